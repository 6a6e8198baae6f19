"""digest.slugs on its own."""

from __future__ import annotations

import pytest

from digest.slugs import slugify


@pytest.mark.parametrize("text, slug", [
    ("S-400", "s-400"), ("Москва", "moskva"), ("Curaçao", "curacao"), ("!!!", ""),
    ("Combined Joint Task Force Operation Inherent Resolve", "combined-joint-task-force-operation-inherent-resolve"),
])
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug
