"""Inline cross-links between stories: `[[slug]]`, `[[Headline]]`, `[[target|text]]`, `[text](other.md)`.

The Markdown stage works on one article and cannot see the others, so here each link only gets a
marker (`href="digest-xref:<target>"`) and is recorded with the line it was written on. The site
stage resolves every recorded target (an unknown one is an error at that line), and the renderer
rewrites each marker into a link from the page it ends up on (relative), or absolute in feeds.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote
from xml.etree import ElementTree

from markdown import Markdown
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString
from markupsafe import escape

MARKER = "digest-xref:"
FILE_PREFIX = "file:"
_OWN = "data-digest-xref"  # set on links we made, removed before output: only we may write markers
_TITLE_CLASS = "xref xref-title"

# `[[target]]` or `[[target|text]]` on one line; the target cannot contain brackets or pipes.
WIKI_LINK = r"\[\[([^\[\]|\n]+?)(?:\|([^\[\]\n]+?))?\]\]"
# A relative link to a Markdown file (optionally with a fragment): `other.md`, `../x/y.md#part`.
_MD_HREF = re.compile(r"^(?![a-zA-Z][a-zA-Z0-9+.-]*:)(?!/)([^?#]+\.md)(#[^\s]*)?$")


@dataclass(frozen=True)
class CrossRef:
    """One inline link to another story, as found while rendering an article."""

    target: str  # a slug or headline as written, or "file:content/other.md"
    written: str  # the link as it appears in the source, for messages and line finding
    line: int


class _WikiLinks(InlineProcessor):
    def handleMatch(self, m: re.Match, data: str):  # type: ignore[override]
        target, text = " ".join(m.group(1).split()), m.group(2)
        element = ElementTree.Element("a")
        element.set("href", MARKER + quote(target, safe=""))
        if text and text.strip():
            element.text = text.strip()  # inline Markdown in the link text is still processed
        else:
            element.set("class", _TITLE_CLASS)  # text becomes the target's headline when resolved
            element.text = AtomicString(target)
        element.set(_OWN, "1")
        self.md.digest_xrefs.append((target, m.group(0)))  # type: ignore[attr-defined]
        return element, m.start(0), m.end(0)


class _FileLinks(Treeprocessor):
    """Links to `other-story.md` become markers; markers the author typed are dropped."""

    def run(self, root: ElementTree.Element) -> None:
        md = self.md
        for element in root.iter("a"):
            href = element.get("href")
            if element.get(_OWN) is not None:
                del element.attrib[_OWN]
                continue
            if href is None:
                continue
            if href.startswith(MARKER):
                del element.attrib["href"]
                continue
            match = _MD_HREF.match(href)
            if not match:
                continue
            base = posixpath.dirname(md.digest_path)  # type: ignore[attr-defined]
            path = posixpath.normpath(posixpath.join(base, unquote(match.group(1))))
            target = FILE_PREFIX + path
            element.set("href", MARKER + quote(target, safe="") + (match.group(2) or ""))
            md.digest_xrefs.append((target, f"]({href}"))  # type: ignore[attr-defined]


def install(md: Markdown) -> None:
    """Add the cross-link syntax to a Markdown instance (before links, after code spans and escapes)."""
    md.digest_xrefs = []  # type: ignore[attr-defined]
    md.digest_path = ""  # type: ignore[attr-defined]
    md.inlinePatterns.register(_WikiLinks(WIKI_LINK, md), "digest_wikilinks", 175)
    md.treeprocessors.register(_FileLinks(md), "digest_file_links", 15)


def begin(md: Markdown, source_path: str) -> None:
    md.digest_xrefs = []  # type: ignore[attr-defined]
    md.digest_path = source_path  # type: ignore[attr-defined]


def collect(md: Markdown, text: str, first_line: int) -> list[CrossRef]:
    """The links found by the last conversion of `text`, with the file line each was written on
    (`first_line` is the line of the text's first line in the file)."""
    found = getattr(md, "digest_xrefs", [])
    md.digest_xrefs = []  # type: ignore[attr-defined]
    refs: list[CrossRef] = []
    searched_from: dict[str, int] = {}
    for target, written in found:
        start = searched_from.get(written, 0)
        pos = text.find(written, start)
        if pos < 0:
            pos = text.find(written)
        searched_from[written] = pos + 1 if pos >= 0 else 0
        line = first_line + (text.count("\n", 0, pos) if pos >= 0 else 0)
        refs.append(CrossRef(target=target, written=written.lstrip("]("), line=line))
    return refs


def place_in_file(refs: tuple[CrossRef, ...], file_text: str, body_line: int) -> tuple[CrossRef, ...]:
    """Front-matter notes are parsed YAML: find the line each link is written on in the raw file,
    searching from the line of the note's key (which is where `collect` placed it)."""
    lines = file_text.split("\n")
    placed = []
    for ref in refs:
        if ref.line >= body_line or not ref.written:
            placed.append(ref)
            continue
        needle = ref.written if ref.target.startswith(FILE_PREFIX) else ref.written.split("|")[0]
        line = ref.line
        for number in range(max(ref.line, 1), min(body_line, len(lines) + 1)):
            if needle in lines[number - 1]:
                line = number
                break
        placed.append(CrossRef(ref.target, ref.written, line))
    return tuple(placed)


# Markdown's serializer may order attributes either way: match the whole start tag.
_TITLE_LINK = re.compile(r'<a ((?:[^>]*\s)?class="' + _TITLE_CLASS + r'"[^>]*)>[^<]*</a>')
_TITLE_HREF = re.compile(r'href="' + re.escape(MARKER) + r'([^"#]*)"')
_HREF = re.compile(r'href="' + re.escape(MARKER) + r'([^"#]*)')


def substitute(html: str, resolve: Callable[[str], tuple[str, str] | None]) -> str:
    """Rewrite every marker in `html`: `resolve(target)` gives (href, headline), or None to leave
    the marker as it is (only possible for targets the site stage already reported)."""
    if MARKER not in html:
        return html

    def title_link(m: re.Match) -> str:
        href_match = _TITLE_HREF.search(m.group(1))
        found = resolve(unquote(href_match.group(1))) if href_match else None
        if found is None:
            return m.group(0)
        href, title = found
        return f'<a href="{escape(href)}" class="xref">{escape(title)}</a>'

    def href(m: re.Match) -> str:
        found = resolve(unquote(m.group(1)))
        return m.group(0) if found is None else f'href="{escape(found[0])}'

    return _HREF.sub(href, _TITLE_LINK.sub(title_link, html))
