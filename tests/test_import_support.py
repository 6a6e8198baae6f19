"""Shared helpers for the importer tests (holds no tests itself).

Tests that read the shared corpus are marked `corpus` and get their paths from `corpus()`;
every behaviour they check is also checked on the fixtures in tests/fixtures/import/, which
imitate the corpus layouts with text written for this project.
"""

from __future__ import annotations

import sys
from pathlib import Path

import markdown
import yaml
from lxml import html as lxml_html

REPO = Path(__file__).resolve().parents[1]
# The package under test is this checkout's, however pytest was started.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.conftest import require_corpus

FIXTURES = REPO / "tests" / "fixtures" / "import"
TEXTS = FIXTURES / "text"
PAGES = FIXTURES / "html"
FEEDS = FIXTURES / "feeds"


def corpus(*parts: str) -> Path:
    """A path inside the shared corpus; only tests marked `corpus` may ask for one."""
    return require_corpus(*parts)


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


def rendered_text(body: str) -> str:
    """All visible text of a rendered body, whitespace collapsed."""
    html = markdown.markdown(body)
    if not html.strip():
        return ""
    return " ".join(lxml_html.fragment_fromstring(html, create_parent="div").text_content().split())
