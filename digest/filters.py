"""Pure Jinja filters of the default theme: values in, values out, nothing read from the site.

Registered in render.make_environment (`FILTERS`). Each takes values a template already has
(`story.body_html`, `story.dateline`, `a.text`, `story.word_count`), so a page's output depends only
on what it reads.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from dataclasses import dataclass, field

from markupsafe import Markup

from .markup.annotations import SENTINEL

WORDS_PER_MINUTE = 230

# Tags, comments (the note sentinels among them) of a body's HTML, in order.
_TOKEN = re.compile(r"<!--(.*?)-->|<(/?)([A-Za-z][A-Za-z0-9-]*)\b[^>]*?(/?)>", re.DOTALL)
_SENTINEL_TEXT = re.compile(SENTINEL + r" (\d+)")
_VOID = frozenset(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"])
_RAW_TEXT = frozenset(("script", "style", "textarea", "title"))


@dataclass
class Block:
    """A top-level block of a body (or several), split where annotation markers go."""

    parts: list[tuple[str, int | None]] = field(default_factory=list)  # (html, marker number after it)
    notes: list[int] = field(default_factory=list)  # notes to show after the block, in order


def annotation_blocks(body_html: str) -> list[Block]:
    """Split a body into runs of top-level blocks, each ending with the block whose words carry
    notes, so a template can put a marker where each note's words end and the note itself after
    the paragraph (list, table, quote...) holding them: never inside a sentence.

    Raw HTML that leaves an element open keeps its notes for the end of the body rather than
    splitting inside the open element."""
    blocks: list[Block] = []
    current = Block()
    depth, start, raw_until = 0, 0, None
    for match in _TOKEN.finditer(body_html):
        comment, closing, name, self_closing = match.groups()
        if raw_until is not None:  # inside <script>/<style>...: only its end tag counts
            if closing and name.lower() == raw_until:
                raw_until = None
                depth = max(0, depth - 1)
            continue
        if comment is not None:
            found = _SENTINEL_TEXT.fullmatch(comment)
            if found:
                number = int(found.group(1))
                current.parts.append((body_html[start:match.start()], number))
                current.notes.append(number)
                start = match.end()
            continue
        tag = name.lower()
        if closing:
            depth = max(0, depth - 1)
            if depth == 0 and current.notes:
                current.parts.append((body_html[start:match.end()], None))
                blocks.append(current)
                current, start = Block(), match.end()
        elif tag not in _VOID and not self_closing:
            depth += 1
            if tag in _RAW_TEXT:
                raw_until = tag
    current.parts.append((body_html[start:], None))
    blocks.append(current)
    return blocks


_DOUBLE_QUOTES = re.compile("[\"“”„‟«»「」『』]")


def quoted(text: str) -> Markup:
    """Quoted words in quotation marks, unless they already hold some: `“Talking is not the same
    as settling,”` must not come out as ““…””. Those are set as an excerpt (styled, no marks)."""
    if _DOUBLE_QUOTES.search(text):
        return Markup('<span class="quote-text">{}</span>').format(text)
    return Markup("<q>{}</q>").format(text)


def _dateline_pattern(dateline: str) -> re.Pattern[str]:
    # "HARWICK — ", "HARWICK, March 2 — ", "WASHINGTON (Sputnik) - ": the dateline, anything short
    # without a tag up to a dash, then the dash.
    return re.compile(r"(\s*<p>)(" + re.escape(html.escape(dateline.strip(), quote=False)) + r")([^<—–-]{0,40}?)(\s*[—–-]\s+)",
                      re.IGNORECASE)


def opens_with_dateline(body_html: str, dateline: str) -> bool:
    """Does the first paragraph start with the dateline (so the byline need not repeat it)?"""
    return bool(dateline.strip()) and _dateline_pattern(dateline).match(body_html) is not None


def run_in_dateline(body_html: str, dateline: str) -> Markup:
    """The body with its opening dateline set as a run-in (`<span class="dateline">`)."""
    if not dateline.strip():
        return Markup(body_html)
    return Markup(_dateline_pattern(dateline).sub(r'\1<span class="dateline">\2\3</span>\4', body_html, count=1))


def reading_minutes(word_count: int) -> int:
    """Whole minutes at WORDS_PER_MINUTE, at least one."""
    return max(1, math.ceil(word_count / WORDS_PER_MINUTE))


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`3 stories`, `1 story`: the number and the right form of the noun."""
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"


def dateformat(value: dt.date, pattern: str) -> str:
    """`value.strftime(pattern)` as a filter, so templates call no methods."""
    return value.strftime(pattern)


FILTERS = {
    "dateformat": dateformat,
    "annotation_blocks": annotation_blocks,
    "quoted": quoted,
    "opens_with_dateline": opens_with_dateline,
    "run_in_dateline": run_in_dateline,
    "reading_minutes": reading_minutes,
    "plural": plural,
}
