"""Shared helpers for the importer tests (holds no tests itself)."""

from __future__ import annotations

import sys
from pathlib import Path

import markdown
import pytest
import yaml
from lxml import html as lxml_html

REPO = Path(__file__).resolve().parents[1]
# The package under test is this checkout's, however pytest was started.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
CORPUS = REPO / ".." / "shared" / "corpus"
FIXTURES = REPO / "tests" / "fixtures" / "import"


def corpus(*parts: str) -> Path:
    """A path inside the shared corpus; skips the test when the corpus is not checked out."""
    path = CORPUS.joinpath(*parts)
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS.resolve()}")
    return path


def split_file(text: str) -> tuple[dict, str]:
    """(front matter, body) of a content file written by the importer."""
    assert text.startswith("---\n"), text[:80]
    head, sep, body = text[4:].partition("\n---\n\n")
    assert sep, "front matter must end with '---' and a blank line"
    return yaml.safe_load(head), body


def rendered_paragraphs(body: str) -> list[str]:
    """Text of each <p> when the body is rendered by plain Python-Markdown."""
    html = markdown.markdown(body)
    if not html.strip():
        return []
    root = lxml_html.fragment_fromstring(html, create_parent="div")
    return [p.text_content() for p in root.iter("p")]


def rendered_html(body: str) -> str:
    return markdown.markdown(body)
