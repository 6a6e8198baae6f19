"""Markdown -> HTML for article bodies, editor's notes and annotation notes.

A pure function of an Article and the config; runs inside worker processes and is cached.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from xml.etree import ElementTree

import markdown
from markdown.treeprocessors import Treeprocessor

from ..config import MarkdownOptions, SiteConfig
from ..content import Annotation, Article
from ..diagnostics import Diagnostic
from . import crosslinks, guards
from .annotations import AnchorResult, AnnotationAnchorer, side_note_html
from .crosslinks import CrossRef
from .entry import entry_html

__all__ = ["RenderedArticle", "entry_html", "render_article"]

_UNSAFE_URL = re.compile(r"^\s*(?:javascript|vbscript|data):", re.IGNORECASE)


class _SafeLinks(Treeprocessor):
    """Drop script URLs: notes and imported bodies must never carry `javascript:` links."""

    def run(self, root: ElementTree.Element) -> None:
        for element in root.iter():
            for attribute in ("href", "src"):
                value = element.get(attribute)
                if value is not None and _UNSAFE_URL.match(value):
                    del element.attrib[attribute]


_instances: dict[tuple[str, bool], markdown.Markdown] = {}


def _markdown(options: MarkdownOptions, *, allow_html: bool) -> markdown.Markdown:
    """One reusable Markdown instance per (options, mode) in each process: construction costs
    more than converting a short note."""
    key = (json.dumps([options.extensions, options.extension_configs], sort_keys=True, default=str), allow_html)
    md = _instances.get(key)
    if md is None:
        md = _instances[key] = _new_markdown(options, allow_html=allow_html)
    return md


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
    md.treeprocessors.register(_SafeLinks(md), "safe_links", 0)
    guards.install(md)  # bounded time on hostile text (digest/markup/guards.py)
    crosslinks.install(md)
    # After every inline pattern, smarty, attr_list, toc and unescape: match what a reader sees.
    md.treeprocessors.register(AnnotationAnchorer(md), "annotations", -10)
    return md


def to_html(text: str, config: SiteConfig, *, allow_html: bool = True) -> str:
    return convert(text, config, allow_html=allow_html)[0]


def convert(text: str, config: SiteConfig, *, allow_html: bool = True, source_path: str = "",
            first_line: int = 1) -> tuple[str, list[CrossRef]]:
    """HTML plus the cross-links to other stories found in `text` (with their file lines)."""
    md = _markdown(config.markdown, allow_html=allow_html)
    try:
        crosslinks.begin(md, source_path)
        html_out = md.reset().convert(text)
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
    md = _markdown(config.markdown, allow_html=True)
    anchorer: AnnotationAnchorer = md.treeprocessors["annotations"]
    anchorer.pending, anchorer.result = article.annotations, None
    try:
        crosslinks.begin(md, article.path)
        body_html = md.reset().convert(article.body)
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
    _instances.clear()  # an interrupted conversion may leave an instance half-reset
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
