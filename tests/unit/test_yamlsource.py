"""digest.yamlsource on its own: YAML with the line of every key and item."""

from __future__ import annotations

import pytest

from digest.yamlsource import YamlError, load_yaml


def test_yaml_keeps_lines_of_keys_and_items() -> None:
    data = load_yaml("title: x\ntags:\n  - a\n  - b\nnotes:\n  - quote: q\n", first_line=2)
    assert data.line_of("title") == 2 and data.line_of("tags") == 3
    assert data["tags"].line_of(1) == 5
    assert data["notes"][0].line_of("quote") == 7
    with pytest.raises(YamlError) as err:
        load_yaml("a: 1\nb: [\n", first_line=10)
    assert err.value.line >= 11
