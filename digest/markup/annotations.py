"""Anchor front-matter annotations to the words a reader sees in the rendered body.

Runs as a Python-Markdown tree processor after every inline pattern (smarty, escapes, entities),
so a quote is matched against the reader's text, not the Markdown source: `**S-400** Triumf` is
found by `S-400 Triumf`. Matching treats whitespace runs (NBSP included), straight/curly quotes
and hyphens/dashes as equal, is case-sensitive, may cross inline markup but never a block
boundary, and picks the first match unless `occurrence`, `prefix` or `suffix` (W3C
TextQuoteSelector semantics) say otherwise.

Each anchored quote becomes one or more `<mark class="annotation">` elements (one per run of text
inside one inline element, so the HTML stays well nested; overlapping quotes nest their marks),
and an HTML comment `<!--digest-annotation N-->` is left where the note belongs. Templates split
the body at those comments (`annotation_parts` filter) to place the marker and side-note; any
other consumer of `body_html` (feeds) simply never sees the comments. The comment is written
through the sanitiser under a nonce (AnnotationAnchorer.sentinel), and the sanitiser removes
every comment the author wrote, so only the anchorer can place a side-note.
"""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple
from xml.etree import ElementTree

from markdown.treeprocessors import Treeprocessor

from ..content import Annotation
from .nearest import PassageIndex

SENTINEL = "digest-annotation"
_SENTINEL_RE = re.compile(r"<!--" + SENTINEL + r" (\d+)-->")

# Elements whose text flows on within the surrounding block; anything else is a block boundary.
INLINE_TAGS = frozenset(
    ["a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "data", "del", "dfn", "em", "i", "img", "ins", "kbd", "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr"]
)
# A marker placed inside one of these would be invalid (a control inside a link) or look like code.
_HOIST_FROM = frozenset({"a", "code", "kbd", "samp"})

_QUOTES = {c: "'" for c in "'‘’‚‛′`"} | {c: '"' for c in '"“”„‟″'}
_DASHES = {c: "-" for c in "-‐‑‒–—―−"}
_INVISIBLE = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")
_CHAR_MAP = _QUOTES | _DASHES | {"…": "..."}

_CLOSING = frozenset(".,;:!?…'\"’”)]»›")
# Placeholders and entities: each is one unit of text. Every other character is a unit by itself,
# so a slot is read as runs of plain characters between these tokens.
_SPECIAL = re.compile(r"\x02wzxhzdk:(\d+)\x03|\x02(\d+)\x03|&(?:#[0-9]+|#x[0-9a-fA-F]+|[0-9a-zA-Z]+);")
_SINGLE_TAG = re.compile(r"\s*<[^<>]*>\s*")
# The comparison form in two C-speed passes: drop invisibles and fold quotes, dashes and `…`,
# then collapse whitespace runs (`\s` and str.isspace agree on every code point).
_FOLD = str.maketrans({**{c: None for c in _INVISIBLE}, **_CHAR_MAP})
_SPACES = re.compile(r"\s+")
# Where offsets shift between a text and its comparison form: whitespace runs longer than one,
# invisibles, `…`, and a leading whitespace character (it may join a space before the text).
# Everything else, single spaces included, maps one to one.
_INVISIBLES = "".join(sorted(_INVISIBLE))
_SHIFTS = re.compile(f"[\\s{_INVISIBLES}]{{2,}}|[{_INVISIBLES}]|…|^\\s")


def _fold(text: str) -> str:
    """The comparison form of text, not stripped."""
    return _SPACES.sub(" ", text.translate(_FOLD))


def normalize(text: str) -> str:
    """The comparison form of a quote, prefix or suffix."""
    return _fold(text).strip()


@dataclass
class _Slot:
    """One `.text` or `.tail` string of the tree: the only places text can live."""

    element: ElementTree.Element
    attr: str  # "text" | "tail"
    container: ElementTree.Element  # the element this text sits directly inside

    def get(self) -> str:
        return getattr(self.element, self.attr) or ""

    def set(self, value: str) -> None:
        setattr(self.element, self.attr, value or None)


class _Piece(NamedTuple):
    """Consecutive units of one block. A unit is the smallest piece of source text a highlight may
    start or end at (units are numbered in reading order); a piece is either a run of plain
    characters, one unit each, or a single token unit: a placeholder, an entity, a <br>."""

    slot: int  # -1 for a <br>
    start: int  # offsets in the slot's text
    end: int
    unit: int  # number of the first unit
    text: str  # as the reader sees it
    plain: bool
    breaks: bool = False  # a raw HTML tag: a <mark> must not straddle it

    @property
    def units(self) -> int:
        return self.end - self.start if self.plain else 1


@dataclass
class _Segment:
    """The text of one block, normalized. Which unit produced each normalized character is only
    worked out for blocks a quote is found in: most blocks never need it."""

    pieces: list[_Piece]
    norm: str
    _starts: list[int] | None = None  # normalized offsets where an `_owners` entry begins
    _owners: list[tuple[int, int]] = field(default_factory=list)  # (unit, step): owner = unit + step * delta

    def owner(self, position: int) -> int:
        """The unit that produced normalized character `position`."""
        if self._starts is None:
            self._map()
        assert self._starts is not None
        entry = bisect.bisect_right(self._starts, position) - 1
        unit, step = self._owners[entry]
        return unit + step * (position - self._starts[entry])

    def _map(self) -> None:
        # `_fold` on the joined text, traced piece by piece: plain characters map one to one
        # between the characters that shift offsets (whitespace, invisibles, `…`).
        starts: list[int] = []
        owners: list[tuple[int, int]] = []
        size, space = 0, False  # space: the last character produced is a (collapsing) space
        for piece in self.pieces:
            text, unit = piece.text, piece.unit
            if not piece.plain:
                added = 0
                for char in text:
                    if char in _INVISIBLE:
                        continue
                    if char.isspace():
                        if not space:
                            added, space = added + 1, True
                        continue
                    added, space = added + len(_CHAR_MAP.get(char, char)), False
                if added:
                    starts.append(size)
                    owners.append((unit, 0))
                    size += added
                continue
            position = 0
            for shift in _SHIFTS.finditer(text):
                at = shift.start()
                if at > position:
                    starts.append(size)
                    owners.append((unit + position, 1))
                    size, space = size + at - position, text[at - 1].isspace()
                if shift.group() == "…":
                    starts.append(size)
                    owners.append((unit + at, 0))
                    size, space = size + 3, False
                else:
                    first = next((i for i, char in enumerate(shift.group()) if char not in _INVISIBLE), None)
                    if first is not None and not space:
                        starts.append(size)
                        owners.append((unit + at + first, 0))
                        size, space = size + 1, True
                position = shift.end()
            if len(text) > position:
                starts.append(size)
                owners.append((unit + position, 1))
                size, space = size + len(text) - position, text[-1].isspace()
        self._starts, self._owners = starts, owners

    def overlapping(self, first: int, last: int) -> list[tuple[_Piece, int, int]]:
        """The pieces holding units first..last, each with the (local) part of it inside."""
        found = []
        for piece in self.pieces:
            low, high = max(first, piece.unit), min(last + 1, piece.unit + piece.units)
            if low < high:
                found.append((piece, low - piece.unit, high - piece.unit))
        return found


@dataclass(frozen=True)
class Anchor:
    index: int  # position in the article's `annotations`
    text: str  # the highlighted words as a reader sees them
    first_unit: int  # reading order


@dataclass
class AnchorResult:
    anchors: list[Anchor] = field(default_factory=list)
    numbers: dict[int, int] = field(default_factory=dict)  # annotation index -> number in reading order
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message)


class _Document:
    """The body tree read as blocks of reader-visible text."""

    def __init__(self, root: ElementTree.Element, stash: Sequence[object]):
        self.root, self.stash = root, stash
        self.slots: list[_Slot] = []
        self.slot_index: dict[tuple[int, str], int] = {}
        self.slot_pieces: list[list[_Piece]] = []  # per slot, in offset order (<br> belongs to none)
        self.unit_count = 0
        self.segments: list[_Segment] = []
        self.blocks: set[ElementTree.Element] = {root}
        self._current: list[_Piece] = []
        self._passages: PassageIndex | None = None
        self._block(root)
        self._flush()

    # -- reading -------------------------------------------------------------------------------
    def _flush(self) -> None:
        if self._current:
            self.segments.append(_Segment(self._current, _fold("".join(p.text for p in self._current))))
        self._current = []

    def _block(self, element: ElementTree.Element) -> None:
        self._flush()
        self.blocks.add(element)
        self._contents(element)
        self._flush()

    def _contents(self, element: ElementTree.Element) -> None:
        self._add_slot(element, "text", element)
        for child in element:
            if not isinstance(child.tag, str):  # comments, processing instructions: no visible text
                pass
            elif child.tag in INLINE_TAGS:
                if child.tag == "br":
                    self._add(_Piece(-1, 0, 0, self.unit_count, " ", False))
                self._contents(child)
            else:
                self._block(child)
            self._add_slot(child, "tail", element)

    def _add(self, piece: _Piece) -> None:
        self._current.append(piece)
        self.unit_count += piece.units

    def _add_slot(self, element: ElementTree.Element, attr: str, container: ElementTree.Element) -> None:
        index = len(self.slots)
        slot = _Slot(element, attr, container)
        self.slots.append(slot)
        self.slot_index[(id(element), attr)] = index
        text = slot.get()
        pieces: list[_Piece] = []
        self.slot_pieces.append(pieces)
        position = 0
        if "\x02" in text or "&" in text:
            for token in _SPECIAL.finditer(text):
                start, end = token.span()
                if start > position:
                    pieces.append(_Piece(index, position, start, self.unit_count, text[position:start], True))
                    self._add(pieces[-1])
                position = end
                stashed, escaped = token.group(1), token.group(2)
                flush = False
                if stashed is not None:
                    raw = self.stash[int(stashed)] if int(stashed) < len(self.stash) else ""
                    if isinstance(raw, str) and "<" not in raw:
                        piece = _Piece(index, start, end, self.unit_count, html.unescape(raw), False)
                    else:
                        # A raw tag (`<b>`) or a whole raw HTML fragment: invisible to matching, and a
                        # point a highlight must not straddle (it would misnest the HTML).
                        single = isinstance(raw, str) and _SINGLE_TAG.fullmatch(raw)
                        piece = _Piece(index, start, end, self.unit_count, "", False, breaks=True)
                        flush = not single
                elif escaped is not None:
                    piece = _Piece(index, start, end, self.unit_count, chr(int(escaped)), False)
                else:
                    piece = _Piece(index, start, end, self.unit_count, html.unescape(token.group(0)), False)
                pieces.append(piece)
                self._add(piece)
                if flush:
                    self._flush()
        if len(text) > position:
            pieces.append(_Piece(index, position, len(text), self.unit_count, text[position:], True))
            self._add(pieces[-1])

    # -- matching ------------------------------------------------------------------------------
    def find_all(self, quote: str) -> list[tuple[int, int, int]]:
        """Every (segment, start, end) where `quote` occurs, overlapping ones included."""
        found = []
        for number, segment in enumerate(self.segments):
            text = segment.norm
            start = text.find(quote)
            while start != -1:
                found.append((number, start, start + len(quote)))
                start = text.find(quote, start + 1)
        return found

    def fits(self, seg: int, start: int, end: int, prefix: str, suffix: str) -> bool:
        """Whether the text before the match, across block boundaries and whitespace collapsed,
        ends with `prefix`, and the text after it starts with `suffix`.

        Reads only as many blocks as it needs: collapsing `X + " " + Y` gives collapsed X, a space
        and collapsed Y, so once collapsed Y is as long as the prefix, X cannot change the answer."""
        if prefix:
            words = self.segments[seg].norm[:start].split()
            before, number = " ".join(words), seg
            while len(before) < len(prefix) and number > 0:
                number -= 1
                words = self.segments[number].norm.split() + words
                before = " ".join(words)
            if not before.endswith(prefix):
                return False
        if suffix:
            words = self.segments[seg].norm[end:].split()
            after, number = " ".join(words), seg
            while len(after) < len(suffix) and number < len(self.segments) - 1:
                number += 1
                words = words + self.segments[number].norm.split()
                after = " ".join(words)
            if not after.startswith(suffix):
                return False
        return True

    def first_unit(self, seg: int, start: int) -> int:
        return self.segments[seg].owner(start)

    def display(self, seg: int, start: int, end: int) -> str:
        segment = self.segments[seg]
        first, last = segment.owner(start), segment.owner(end - 1)
        text = "".join(piece.text[low:high] if piece.plain else piece.text
                       for piece, low, high in segment.overlapping(first, last))
        return " ".join(text.split())

    def closest(self, quote: str) -> str:
        """The passage of the body most like `quote`, to show in the error message."""
        if self._passages is None:  # built once, for the first quote that is not found
            self._passages = PassageIndex([segment.norm for segment in self.segments])
        found = self._passages.closest(quote)
        return self.display(*found) if found else ""

    def joined_contains(self, quote: str) -> bool:
        """Whether the quote occurs once block boundaries are read as spaces."""
        return quote in " ".join(" ".join(s.norm for s in self.segments).split())

    # -- highlighting --------------------------------------------------------------------------
    def pieces(self, seg: int, start: int, end: int) -> list[tuple[int, int, int]]:
        """The (slot, start, end) runs a highlight is made of."""
        segment = self.segments[seg]
        first, last = segment.owner(start), segment.owner(end - 1)
        runs: list[tuple[int, int, int]] = []
        for piece, low, high in segment.overlapping(first, last):
            if piece.slot < 0 or piece.breaks:
                runs.append((-1, 0, 0))
                continue
            begin, stop = (piece.start + low, piece.start + high) if piece.plain else (piece.start, piece.end)
            if runs and runs[-1][0] == piece.slot and runs[-1][2] == begin:
                runs[-1] = (piece.slot, runs[-1][1], stop)
            else:
                runs.append((piece.slot, begin, stop))
        return [r for r in runs if r[0] >= 0 and r[2] > r[1]]

    def marker_position(self, slot: int, offset: int) -> tuple[int, int]:
        """Where the note goes: after the highlight, moved out of links and code (and out of an
        inline element the highlight ends with, so the marker is not bold because the words were)."""
        while True:
            s = self.slots[slot]
            container = s.container
            if container in self.blocks or container.tag not in INLINE_TAGS:
                return self._after_punctuation(slot, offset)
            at_end = offset >= len(s.get()) and (
                (s.attr == "text" and len(container) == 0) or (s.attr == "tail" and container[-1] is s.element)
            )
            if not (at_end or container.tag in _HOIST_FROM):
                return self._after_punctuation(slot, offset)
            slot, offset = self.slot_index[(id(container), "tail")], 0

    def _unit_at(self, slot: int, offset: int) -> tuple[str, int] | None:
        """(text, end) of the unit of `slot` that starts at `offset`, if one does."""
        for piece in self.slot_pieces[slot]:
            if piece.plain and piece.start <= offset < piece.end:
                return piece.text[offset - piece.start], offset + 1
            if not piece.plain and piece.start == offset:
                return piece.text, piece.end
        return None

    def _after_punctuation(self, slot: int, offset: int) -> tuple[int, int]:
        """Like a footnote marker, the note goes after closing punctuation: `office.”¹`, not `office¹.”`."""
        unit = self._unit_at(slot, offset)
        while unit is not None and unit[0] and all(c in _CLOSING for c in unit[0]):
            offset = unit[1]
            unit = self._unit_at(slot, offset)
        return slot, offset


def anchor(root: ElementTree.Element, stash: Sequence[object], annotations: Sequence[Annotation],
           store: Callable[[str], str]) -> AnchorResult:
    """Find every annotation's quote in `root` and wrap it in <mark> elements (in place).

    `store` stashes raw HTML and returns its placeholder (Markdown's htmlStash.store).
    """
    document = _Document(root, stash)
    result = AnchorResult()
    chosen: list[tuple[int, tuple[int, int, int]]] = []
    for index, annotation in enumerate(annotations):
        match, error = _choose(document, annotation)
        if error:
            result.errors.append((annotation.line, error))
            continue
        assert match is not None
        seg, start, _end = match
        first_unit = document.first_unit(seg, start)
        result.anchors.append(Anchor(index, document.display(*match), first_unit))
        chosen.append((index, match))
    result.anchors.sort(key=lambda a: (a.first_unit, a.index))
    result.numbers = {a.index: n for n, a in enumerate(result.anchors, 1)}
    _highlight(document, annotations, chosen, result.numbers, store)
    return result


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'


def _choose(document: _Document, annotation: Annotation) -> tuple[tuple[int, int, int] | None, str]:
    quote = normalize(annotation.quote)
    shown = _quoted(" ".join(annotation.quote.split()))
    matches = document.find_all(quote) if quote else []
    if not matches:
        if quote and document.joined_contains(quote):
            return None, (f"annotation quote not found: {shown} (it runs across two paragraphs or blocks; "
                          "a quote must lie within one)")
        closest = document.closest(quote) if quote else ""
        hint = f" (closest passage: {_quoted(closest)})" if closest else ""
        return None, f"annotation quote not found: {shown}{hint}"
    prefix, suffix = normalize(annotation.prefix), normalize(annotation.suffix)
    if prefix or suffix:
        fitting = [match for match in matches if document.fits(*match, prefix, suffix)]
        if not fitting:
            given = " and ".join(f"{name} {_quoted(value)}" for name, value in
                                 (("prefix", annotation.prefix), ("suffix", annotation.suffix)) if value.strip())
            times = "once" if len(matches) == 1 else f"{len(matches)} times"
            return None, f"annotation quote {shown} occurs {times}, but never with {given}"
        matches = fitting
    occurrence = annotation.occurrence or 1
    if occurrence > len(matches):
        times = "once" if len(matches) == 1 else f"{len(matches)} times"
        qualifier = " with that prefix/suffix" if prefix or suffix else ""
        return None, f"annotation quote {shown} occurs only {times}{qualifier}, so there is no occurrence {occurrence}"
    return matches[occurrence - 1], ""


def _highlight(document: _Document, annotations: Sequence[Annotation],
               chosen: list[tuple[int, tuple[int, int, int]]], numbers: dict[int, int],
               store: Callable[[str], str]) -> None:
    # Per slot: the ranges each annotation covers and the offsets where notes go, applied at once
    # so that overlapping highlights split the text into well-nested pieces.
    ranges: dict[int, list[tuple[int, int, int]]] = {}
    markers: dict[int, list[tuple[int, int]]] = {}
    first_piece: dict[int, tuple[int, int]] = {}
    for index, match in chosen:
        number = numbers[index]
        pieces = document.pieces(*match)
        for slot, start, end in pieces:
            ranges.setdefault(slot, []).append((start, end, index))
        first_piece[index] = (pieces[0][0], pieces[0][1])
        last_slot, _, last_end = pieces[-1]
        slot, offset = document.marker_position(last_slot, last_end)
        markers.setdefault(slot, []).append((offset, number))
    for slot in sorted(set(ranges) | set(markers)):
        _rewrite_slot(document, slot, ranges.get(slot, []), sorted(markers.get(slot, [])),
                      annotations, numbers, first_piece, store)


def _rewrite_slot(document: _Document, slot_no: int, ranges: list[tuple[int, int, int]],
                  markers: list[tuple[int, int]], annotations: Sequence[Annotation], numbers: dict[int, int],
                  first_piece: dict[int, tuple[int, int]], store: Callable[[str], str]) -> None:
    slot = document.slots[slot_no]
    text = slot.get()
    cuts = sorted({0, len(text), *(r[0] for r in ranges), *(r[1] for r in ranges), *(m[0] for m in markers)})
    items: list[str | ElementTree.Element] = []
    for start, end in zip(cuts, cuts[1:] + [None]):
        for offset, number in markers:
            if offset == start:
                items.append(store(f"<!--{SENTINEL} {number}-->"))
        if end is None:
            break
        covering = sorted({r[2] for r in ranges if r[0] <= start and end <= r[1]}, key=lambda i: numbers[i])
        piece = text[start:end]
        if not covering:
            items.append(piece)
            continue
        outer: ElementTree.Element | None = None
        inner: ElementTree.Element | None = None
        for index in covering:
            number = numbers[index]
            mark = ElementTree.Element("mark", {
                "class": "annotation", "data-kind": annotations[index].kind, "data-annotation": str(number),
                "aria-describedby": f"ann-{number}-note",
            })
            if first_piece.get(index) == (slot_no, start):
                mark.set("id", f"ann-{number}")
            if inner is None:
                outer = mark
            else:
                inner.append(mark)
            inner = mark
        assert inner is not None and outer is not None
        inner.text = piece
        items.append(outer)
    _materialize(document, slot, items)


def _materialize(document: _Document, slot: _Slot, items: list[str | ElementTree.Element]) -> None:
    """Replace the slot's string by `items` (strings and new elements), in place."""
    lead: list[str] = []
    elements: list[tuple[ElementTree.Element, list[str]]] = []
    for item in items:
        if isinstance(item, str):
            (elements[-1][1] if elements else lead).append(item)
        else:
            elements.append((item, []))
    if slot.attr == "text":
        parent, position = slot.element, 0
    else:
        parent = slot.container
        position = list(parent).index(slot.element) + 1
    slot.set("".join(lead))
    for offset, (element, tail) in enumerate(elements):
        element.tail = "".join(tail) or None
        parent.insert(position + offset, element)


class AnnotationAnchorer(Treeprocessor):
    """Set `pending` before converting a body; read `result` after.

    `sentinel(number)`, when set, gives the text written where note `number` goes instead of the
    comment: the Markdown stage makes it unforgeable and turns it into the comment after
    sanitising (see digest/markup/__init__.py)."""

    def __init__(self, md) -> None:
        super().__init__(md)
        self.pending: Sequence[Annotation] = ()
        self.result: AnchorResult | None = None
        self.sentinel: Callable[[int], str] | None = None

    def run(self, root: ElementTree.Element) -> None:
        if not self.pending:
            return
        self.result = anchor(root, self.md.htmlStash.rawHtmlBlocks, self.pending, self._store)

    def _store(self, fragment: str) -> str:
        placeholder = _SENTINEL_RE.fullmatch(fragment)
        if placeholder is not None and self.sentinel is not None:
            return self.sentinel(int(placeholder.group(1)))
        return self.md.htmlStash.store(fragment)


def annotation_parts(body_html: str) -> list[tuple[str, int | None]]:
    """Split a body at its note placeholders: [(html, number of the note that follows or None)]."""
    parts: list[tuple[str, int | None]] = []
    position = 0
    for match in _SENTINEL_RE.finditer(body_html):
        parts.append((body_html[position:match.start()], int(match.group(1))))
        position = match.end()
    parts.append((body_html[position:], None))
    return parts


_BLOCK_IN_NOTE = re.compile(r"<(?:ul|ol|li|dl|dt|dd|blockquote|pre|table|div|h[1-6]|hr|figure)\b", re.IGNORECASE)


def side_note_html(note_html: str) -> tuple[str, bool]:
    """A note as phrasing content, to sit inside the paragraph it annotates.

    Returns (html, complete): paragraphs become block-styled spans; a note with lists, tables or
    other blocks keeps only its first paragraph here (complete=False) and is shown in full in
    the end-of-article list.
    """
    if not _BLOCK_IN_NOTE.search(note_html):
        spans = re.sub(r"<p\b[^>]*>", '<span class="note-p">', note_html)
        return spans.replace("</p>", "</span>").strip(), True
    first = re.match(r"\s*<p\b[^>]*>(.*?)</p>", note_html, re.DOTALL)
    return (f'<span class="note-p">{first.group(1)}</span>' if first else ""), False
