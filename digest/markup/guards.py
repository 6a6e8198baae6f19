"""Bounds on the time Python-Markdown may take, whatever a body contains.

Python-Markdown is fast on prose but slow on some inputs, measured on a 2-core machine:
- `[` without `]`: every `[` scanned the rest of its paragraph, in the link, image and reference
  patterns alike (20,000 `[` took 7 minutes). Here the scan is shared by a memo of matching
  brackets, and a link destination is scanned for at most LINK_SCAN_LIMIT brackets and quotes.
- Any inline markup: each `*a*`, `` `code` `` or link rebuilds the whole paragraph string, so a
  paragraph's time grows with the square of its length (32,000 characters of `*a* ` took 4 s).
  A paragraph, list item or table cell may hold at most MAX_INLINE_TEXT characters of text
  (code blocks and raw HTML do not count); above that the build stops with an error.
- `<tag` without `>`: the standard library's HTML parser, which reads raw HTML blocks, scans to
  the next `>` for each one (3,000 of them took 7 s). Their total scan length is computed up
  front, in linear time, and more than MAX_TAG_SCAN is an error.
- Deep nesting (a definition list of 800 items without blank lines) exhausts the recursion limit:
  reported as an error instead of a traceback.
"""

from __future__ import annotations

import bisect
import re
import types
from xml.etree import ElementTree

from markdown import Markdown
from markdown.inlinepatterns import dequote
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

MAX_INLINE_TEXT = 20_000
# Within one block (lines between blank lines), each `#` heading or rule line makes every block
# pattern search the rest of the block again: (such lines) x (block length) is bounded by this.
MAX_BLOCK_WORK = 4_000_000
# Definition-list items without blank lines between them nest each in the previous one.
MAX_DEFINITIONS_PER_BLOCK = 100
# Abbreviation definitions (`*[HTML]: ...`) in a body: each is tried at every position of the text.
MAX_ABBREVIATIONS = 200
# `>` markers opening one line (each level copies the rest of the block).
MAX_QUOTE_DEPTH = 50
MAX_TAG_SCAN = 2_000_000
LINK_SCAN_LIMIT = 64
_LINK_PATTERNS = ("link", "image_link", "reference", "image_reference", "short_reference", "short_image_ref")


class MarkupTooComplex(Exception):
    """Markdown would take too long (or recurse too deep) on this text; `excerpt` locates it."""

    def __init__(self, message: str, excerpt: str = ""):
        super().__init__(message)
        self.message, self.excerpt = message, excerpt


def install(md: Markdown) -> None:
    """Patch the link patterns' scans and add the paragraph-size check (before inline parsing)."""
    for name in _LINK_PATTERNS:
        if name in md.inlinePatterns:
            pattern = md.inlinePatterns[name]
            pattern.getText = types.MethodType(_get_text, pattern)  # type: ignore[method-assign]
            pattern.getLink = types.MethodType(_get_link, pattern)  # type: ignore[method-assign]
    md.treeprocessors.register(_InlineSizeCheck(md), "digest_inline_size", 21)  # "inline" is 20
    # After fenced code and raw HTML are set aside (priorities 25 and 20): they cost nothing later.
    md.preprocessors.register(_BlockCheck(md), "digest_block_check", 5)


# Lines a block pattern splits a block at: `#` headings, rules, setext underlines, abbreviations.
_SPLITTING_LINE = re.compile(r"[ ]{0,3}(?:#|(?:[-*_][ ]{0,2}){3,}\s*$|[=-]+[ ]*$|\*\[)")
_ABBREVIATION = re.compile(r"[ ]{0,3}\*\[[^\]]*\]:")
_DEFINITION = re.compile(r"[ ]{0,3}:[ \t]")
_QUOTE_MARKS = re.compile(r"[ ]{0,3}(?:>[ ]?)+")


class _BlockCheck(Preprocessor):
    """Refuse blocks whose block-level parsing time would grow with the square of their size."""

    def run(self, lines: list[str]) -> list[str]:
        abbreviations = [line for line in lines if _ABBREVIATION.match(line)]
        if len(abbreviations) > MAX_ABBREVIATIONS:
            raise MarkupTooComplex(f"{len(abbreviations):,} abbreviation definitions (`*[...]:` lines); the limit is "
                                   f"{MAX_ABBREVIATIONS} (each is tried at every position of the text)",
                                   abbreviations[MAX_ABBREVIATIONS].strip()[:60])
        block: list[str] = []
        for line in [*lines, ""]:
            if line.strip():
                block.append(line)
                continue
            if block:
                self._check(block)
            block = []
        return lines

    @staticmethod
    def _check(block: list[str]) -> None:
        splitting = definitions = 0
        for line in block:
            if _SPLITTING_LINE.match(line):
                splitting += 1
            elif _DEFINITION.match(line):
                definitions += 1
            quotes = _QUOTE_MARKS.match(line)
            if quotes and quotes.group().count(">") > MAX_QUOTE_DEPTH:
                raise MarkupTooComplex(f"a line opening {quotes.group().count('>'):,} levels of `>` quotes; "
                                       f"the limit is {MAX_QUOTE_DEPTH}", line.strip()[:60])
        size = sum(len(line) + 1 for line in block)
        if splitting * size > MAX_BLOCK_WORK:
            raise MarkupTooComplex(f"a block of {len(block):,} lines without a blank line, {splitting:,} of them headings "
                                   "or rules: Markdown would take minutes on it; put blank lines around headings and rules",
                                   block[0].strip()[:60])
        if definitions > MAX_DEFINITIONS_PER_BLOCK:
            raise MarkupTooComplex(f"{definitions:,} definitions (`: ...` lines) without a blank line between them; "
                                   f"Markdown nests each in the previous one (at most {MAX_DEFINITIONS_PER_BLOCK}): "
                                   "separate the terms with blank lines", block[0].strip()[:60])


class _InlineSizeCheck(Treeprocessor):
    def run(self, root: ElementTree.Element) -> None:
        for element in root.iter():
            for text in (element.text, element.tail):
                if text and not isinstance(text, AtomicString) and len(text) > MAX_INLINE_TEXT:
                    raise MarkupTooComplex(
                        f"a paragraph of {len(text):,} characters; the limit is {MAX_INLINE_TEXT:,} "
                        "(Markdown's time grows with the square of a paragraph's length): "
                        "break it up with blank lines", text.strip()[:60])


_START_TAG = re.compile(r"<[a-zA-Z]")


def check_source(text: str) -> MarkupTooComplex | None:
    """The HTML-parser hazard, from the text alone: for every `<tag` the distance the parser
    scans to the next `>`, summed, must stay under MAX_TAG_SCAN."""
    if "<" not in text:
        return None
    total = 0
    closes = [m.start() for m in re.finditer(">", text)]
    for match in _START_TAG.finditer(text):
        at = bisect.bisect_left(closes, match.start())
        total += (closes[at] if at < len(closes) else len(text)) - match.start()
        if total > MAX_TAG_SCAN:
            count = len(_START_TAG.findall(text))
            return MarkupTooComplex(
                f"{count:,} `<` that start an HTML tag, many without a closing `>` near them: reading them "
                "as HTML would take minutes; write a `<` that is not a tag as `&lt;`", text[match.start():match.start() + 60])
    return None


def line_of(excerpt: str, article) -> int:
    """The file line where `excerpt` (text of the body or of a front-matter note) starts."""
    first = excerpt.split("\n", 1)[0].strip()[:40]
    at = article.body.find(first) if first else -1
    if at >= 0:
        return article.body_line + article.body[:at].count("\n")
    for annotation in article.annotations:
        if first and first in annotation.note:
            return annotation.line
    return article.line_of("editor_note") if first and first in article.editor_note else article.body_line


# -- link patterns ------------------------------------------------------------------------------

_BRACKETS = re.compile(r"[\[\]]")


def _get_text(self, data: str, index: int) -> tuple[str, int, bool]:
    """Python-Markdown's LinkInlineProcessor.getText (the text up to the `]` matching the `[`
    just before `index`), answered from a memo of matching brackets shared by every `[` of the
    same string, so a run of unmatched `[` is scanned once instead of once per `[`."""
    close = _matching_bracket(self, data, index)
    if close < 0:
        return data[index:], len(data), False
    return data[index:close], close + 1, True


def _matching_bracket(owner: object, data: str, index: int) -> int:
    memo = owner.__dict__.get("_digest_brackets")
    if memo is None or memo[0] is not data:
        memo = (data, {})
        owner.__dict__["_digest_brackets"] = memo
    table: dict[int, int] = memo[1]
    known = table.get(index)
    if known is not None:
        return known
    stack = [index]  # positions just after each `[` still open, innermost last
    position = index
    while True:
        found = _BRACKETS.search(data, position)
        if found is None:
            break
        at = found.start()
        if data[at] == "[":
            inner = table.get(at + 1)
            if inner is None:
                stack.append(at + 1)
                position = at + 1
                continue
            if inner < 0:
                break  # an inner `[` that never closes: no enclosing one can close either
            position = inner + 1  # a balanced group: skip it whole
            continue
        opened = stack.pop()
        table[opened] = at
        if not stack:
            return at
        position = at + 1
    for opened in stack:
        table[opened] = -1
    return -1


_LINK_CHARS = re.compile(r"[()'\"]")


def _get_link(self, data: str, index: int) -> tuple[str, str | None, int, bool]:
    """Python-Markdown's LinkInlineProcessor.getLink, step for step, except that it jumps from one
    bracket or quote to the next instead of walking every character, and gives up (not a link)
    after LINK_SCAN_LIMIT of them, where the original walked to the end of the paragraph."""
    href = ""
    title: str | None = None
    handled = False
    m = self.RE_LINK.match(data, pos=index)
    if m and m.group(1):
        href = m.group(1)[1:-1].strip()
        if m.group(2):
            title = m.group(2)[1:-1]
        index = m.end(0)
        handled = True
    elif m:
        bracket_count = 1
        backtrack_count = 1
        start_index = m.end()
        index = start_index
        last_bracket = -1
        quote: str | None = None
        start_quote = -1
        exit_quote = -1
        ignore_matches = False
        alt_quote = None
        start_alt_quote = -1
        exit_alt_quote = -1
        last = ""
        previous = start_index  # characters before this have been seen for `last`
        closed = False
        for visited, found in enumerate(_LINK_CHARS.finditer(data, start_index)):
            if visited >= LINK_SCAN_LIMIT:
                break
            pos = found.start()
            gap = data[previous:pos].rstrip(" ")
            if gap:
                last = gap[-1]
            c = data[pos]
            index = pos
            if c == "(":
                if not ignore_matches:
                    bracket_count += 1
                elif backtrack_count > 0:
                    backtrack_count -= 1
            elif c == ")":
                if (exit_quote != -1 and quote == last) or (exit_alt_quote != -1 and alt_quote == last):
                    bracket_count = 0
                elif not ignore_matches:
                    bracket_count -= 1
                elif backtrack_count > 0:
                    backtrack_count -= 1
                    if backtrack_count == 0:
                        last_bracket = index + 1
            elif not quote:
                ignore_matches = True
                backtrack_count = bracket_count
                bracket_count = 1
                start_quote = index + 1
                quote = c
            elif c != quote and not alt_quote:
                start_alt_quote = index + 1
                alt_quote = c
            elif c == quote:
                exit_quote = index + 1
            elif alt_quote and c == alt_quote:
                exit_alt_quote = index + 1
            index += 1
            if bracket_count == 0:
                if exit_quote >= 0 and quote == last:
                    href = data[start_index:start_quote - 1]
                    title = "".join(data[start_quote:exit_quote - 1])
                elif exit_alt_quote >= 0 and alt_quote == last:
                    href = data[start_index:start_alt_quote - 1]
                    title = "".join(data[start_alt_quote:exit_alt_quote - 1])
                else:
                    href = data[start_index:index - 1]
                closed = True
                break
            last = c
            previous = pos + 1
        if not closed:
            index = len(data)
        if bracket_count != 0 and backtrack_count == 0:
            href = data[start_index:last_bracket - 1]
            index = last_bracket
            bracket_count = 0
        handled = bracket_count == 0
    if title is not None:
        title = self.RE_TITLE_CLEAN.sub(" ", dequote(self.unescape(title.strip())))
    href = self.unescape(href).strip()
    return href, title, index, handled
