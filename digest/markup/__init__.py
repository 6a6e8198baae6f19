"""Markdown -> HTML for article bodies, editor's notes and annotation notes.

A pure function of an Article and the config; runs inside worker processes and is cached.

Every string of HTML this stage returns has passed digest/sanitize.py's allow-list, so later
stages (pages, cards, feeds, JSON-LD) only ever see sanitised HTML. Two markers of our own must
cross the sanitiser: where a side-note goes (`<!--digest-annotation N-->`, a comment, and the
sanitiser drops comments) and cross-links (`href="digest-xref:..."`, a scheme it drops). Inside
one conversion both are written with a random nonce, as text and as a `#fragment` the sanitiser
keeps, and turned into their final form after it: an author can type neither, in any encoding,
because they cannot know the nonce. The nonce never reaches the output, which stays deterministic.
"""

from __future__ import annotations

import html
import json
import re
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from xml.etree import ElementTree

import markdown
from markdown.treeprocessors import Treeprocessor

from ..config import MarkdownOptions, SiteConfig
from ..content import Annotation, Article
from ..diagnostics import Diagnostic
from ..sanitize import sanitize_html
from . import crosslinks, guards
from .annotations import SENTINEL, AnchorResult, AnnotationAnchorer, side_note_html
from .crosslinks import CrossRef
from .entry import entry_html

__all__ = ["RenderedArticle", "entry_html", "render_article"]

_XREF_GUARD = "#digest-xref-"  # + nonce + ":" + the marker's target
_NOTE_GUARD = "digestnote"  # + nonce + "n" + the annotation's number + "x": plain text
_ALIGNMENT = re.compile(r"\s*text-align:\s*(left|right|center);?\s*")


class _TableAlignment(Treeprocessor):
    """The tables extension aligns columns with `style=`, which the sanitiser drops (no content
    may carry CSS): say it with a class the theme styles instead."""

    def run(self, root: ElementTree.Element) -> None:
        for element in root.iter():
            if element.tag in ("th", "td") and "style" in element.attrib:
                match = _ALIGNMENT.fullmatch(element.attrib.pop("style"))
                if match:
                    classes = element.get("class", "").split()
                    element.set("class", " ".join([*classes, f"align-{match.group(1)}"]))


class _ProtectMarkers(Treeprocessor):
    """Runs last: cross-link markers (made only by crosslinks, which drops typed ones) get the
    conversion's nonce so they survive the sanitiser as fragment links."""

    def run(self, root: ElementTree.Element) -> None:
        guard = _XREF_GUARD + self.md.digest_nonce + ":"  # type: ignore[attr-defined]
        for element in root.iter("a"):
            href = element.get("href")
            if href is not None and href.startswith(crosslinks.MARKER):
                element.set("href", guard + href[len(crosslinks.MARKER):])


def _markdown(options: MarkdownOptions, *, allow_html: bool) -> markdown.Markdown:
    """One reusable Markdown instance per (extensions, mode) in each process: construction costs
    more than converting a short note. (Instances are reset before every conversion.)"""
    return _markdown_for(json.dumps([options.extensions, options.extension_configs], sort_keys=True, default=str), allow_html)


@lru_cache(maxsize=8)
def _markdown_for(extensions: str, allow_html: bool) -> markdown.Markdown:
    names, configs = json.loads(extensions)
    return _new_markdown(MarkdownOptions(extensions=tuple(names), extension_configs=configs), allow_html=allow_html)


def new_markdown(options: MarkdownOptions) -> markdown.Markdown:
    """Raises if an extension is unknown or misconfigured (checked when site.yaml is loaded)."""
    return markdown.Markdown(
        extensions=list(options.extensions),
        extension_configs=options.extension_configs,
        output_format="html",
    )


def _new_markdown(options: MarkdownOptions, *, allow_html: bool) -> markdown.Markdown:
    md = new_markdown(options)
    if not allow_html:
        # Notes are written in front-matter: raw HTML there is shown as text, never injected.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
    md.treeprocessors.register(_TableAlignment(md), "table_alignment", 0)
    guards.install(md)  # bounded time on hostile text (digest/markup/guards.py)
    crosslinks.install(md)
    md.digest_nonce = ""  # type: ignore[attr-defined]
    anchorer = AnnotationAnchorer(md)
    anchorer.sentinel = lambda number: _NOTE_GUARD + md.digest_nonce + f"n{number}x"  # type: ignore[attr-defined]
    # After every inline pattern, smarty, attr_list, toc and unescape: match what a reader sees.
    md.treeprocessors.register(anchorer, "annotations", -10)
    md.treeprocessors.register(_ProtectMarkers(md), "protect_markers", -20)
    return md


def _begin(md: markdown.Markdown, source_path: str) -> None:
    crosslinks.begin(md, source_path)
    md.digest_nonce = secrets.token_hex(16)  # type: ignore[attr-defined]


def _finish(md: markdown.Markdown, html_out: str) -> str:
    """The conversion's HTML through the allow-list, with our own markers put back."""
    nonce = md.digest_nonce  # type: ignore[attr-defined]
    clean = sanitize_html(html_out).replace(f'href="{_XREF_GUARD}{nonce}:', f'href="{crosslinks.MARKER}')
    if _NOTE_GUARD + nonce in clean:
        note = _NOTE_GUARD + nonce + r"n(\d+)x"

        def place(match: re.Match[str]) -> str:
            if match.group(1) is not None:
                # Raw HTML around a highlight can pull the words into an attribute value (`<b title='>`):
                # a comment there would break out of it. Sanitised HTML has `<` and `>` only as tag
                # delimiters, so `<[^>]*>` is exactly one tag.
                return re.sub(note, "", match.group(1))
            return f"<!--{SENTINEL} {match.group(2)}-->"

        clean = re.sub(r"(<[^>]*>)|" + note, place, clean)
    # A marker the sanitiser moved somewhere odd must not carry the nonce into the output.
    return clean.replace(nonce, "") if nonce in clean else clean


def to_html(text: str, config: SiteConfig, *, allow_html: bool = True) -> str:
    return convert(text, config, allow_html=allow_html)[0]


def convert(text: str, config: SiteConfig, *, allow_html: bool = True, source_path: str = "",
            first_line: int = 1) -> tuple[str, list[CrossRef]]:
    """HTML plus the cross-links to other stories found in `text` (with their file lines)."""
    md = _markdown(config.markdown, allow_html=allow_html)
    try:
        _begin(md, source_path)
        html_out = _finish(md, md.reset().convert(text))
        return html_out, crosslinks.collect(md, text, first_line)
    finally:
        md.reset()


_TAG = re.compile(r"<[^>]+>")
_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)


def html_to_text(fragment: str) -> str:
    return " ".join(html.unescape(_TAG.sub("", fragment)).split())


def shorten(text: str, limit: int) -> str:
    """Cut at a word boundary and mark the cut, so summaries never end mid-word."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + "…"


@dataclass(frozen=True)
class RenderedNote:
    html: str
    line: int


@dataclass(frozen=True)
class AnchoredAnnotation:
    """An annotation placed in the body; `number` counts in reading order from 1."""

    number: int
    annotation: Annotation
    text: str  # the highlighted words as a reader sees them
    note_html: str  # the note as block HTML (end-of-article list)
    side_html: str  # the note as phrasing content (side-note inside the paragraph)
    side_complete: bool  # False when the side-note shows only the first paragraph

    @property
    def id(self) -> str:
        return f"ann-{self.number}"


@dataclass(frozen=True)
class RenderedArticle:
    """What the Markdown stage adds to an Article."""

    body_html: str
    summary: str  # plain text
    editor_note_html: str
    annotation_notes: tuple[RenderedNote, ...] = ()
    word_count: int = 0
    anchored: tuple[AnchoredAnnotation, ...] = ()  # in reading order
    diagnostics: tuple[Diagnostic, ...] = field(default=())
    crossrefs: tuple[CrossRef, ...] = ()  # inline links to other stories, resolved by the site stage


def _convert_body(article: Article, config: SiteConfig) -> tuple[str, AnchorResult | None, list[CrossRef]]:
    md = _markdown(config.markdown, allow_html=config.markdown.raw_html)
    anchorer: AnnotationAnchorer = md.treeprocessors["annotations"]
    anchorer.pending, anchorer.result = article.annotations, None
    try:
        _begin(md, article.path)
        body_html = _finish(md, md.reset().convert(article.body))
        return body_html, anchorer.result, crosslinks.collect(md, article.body, article.body_line)
    finally:
        anchorer.pending, anchorer.result = (), None
        md.reset()


def render_article(article: Article, config: SiteConfig) -> RenderedArticle:
    """The article's HTML, or an error (no traceback, no endless wait) where Markdown would take
    too long or recurse too deep on its text (see digest/markup/guards.py)."""
    problem = guards.check_source(article.body)
    try:
        if problem is None:
            return _render_article(article, config)
    except guards.MarkupTooComplex as exc:
        problem = exc
    except RecursionError:
        problem = guards.MarkupTooComplex("Markdown structures nest too deeply to convert (such as hundreds of "
                                          "nested lists, quotes or definitions): flatten them")
    _markdown_for.cache_clear()  # an interrupted conversion may leave an instance half-reset
    line = guards.line_of(problem.excerpt, article) if problem.excerpt else article.body_line
    return RenderedArticle(body_html="", summary="", editor_note_html="",
                           diagnostics=(Diagnostic(article.path, line, "error", problem.message),))


def _render_article(article: Article, config: SiteConfig) -> RenderedArticle:
    body_html, anchoring, refs = _convert_body(article, config)
    text = html_to_text(body_html)
    if article.summary:
        summary = article.summary
    else:
        first = _FIRST_PARAGRAPH.search(body_html)
        summary = shorten(html_to_text(first.group(1)) if first else text, config.digest.summary_length)
    note_list = []
    for a in article.annotations:
        note_html, note_refs = convert(a.note, config, allow_html=False, source_path=article.path, first_line=a.line)
        note_list.append(RenderedNote(note_html, a.line))
        refs += note_refs
    notes = tuple(note_list)
    editor_note_html = ""
    if article.editor_note:
        editor_note_html, note_refs = convert(article.editor_note, config, allow_html=False, source_path=article.path,
                                              first_line=article.line_of("editor_note"))
        refs += note_refs
    anchored, problems = _anchored(article, notes, anchoring)
    return RenderedArticle(
        body_html=body_html,
        summary=summary,
        editor_note_html=editor_note_html,
        annotation_notes=notes,
        word_count=len(text.split()),
        anchored=anchored,
        diagnostics=tuple(problems),
        crossrefs=tuple(refs),
    )


def _anchored(article: Article, notes: tuple[RenderedNote, ...],
              anchoring: AnchorResult | None) -> tuple[tuple[AnchoredAnnotation, ...], list[Diagnostic]]:
    if anchoring is None:  # an empty body: Markdown never ran the tree processors
        anchoring = AnchorResult(errors=[(a.line, f'annotation quote not found: "{a.quote}" (the article has no text)')
                                         for a in article.annotations])
    problems = [Diagnostic(article.path, line, "error", message) for line, message in anchoring.errors]
    anchored = []
    for anchor in anchoring.anchors:
        note = notes[anchor.index].html
        side, complete = side_note_html(note)
        anchored.append(AnchoredAnnotation(anchoring.numbers[anchor.index], article.annotations[anchor.index],
                                           anchor.text, note, side, complete))
    return tuple(anchored), problems
