"""Test-only oracle: the per-character anchoring implementation as it was before the fast one.

A verbatim copy of `anchor()` and its helpers from digest/markup/annotations.py (commit d265761),
kept so tests/test_annotations_equivalence.py can check the optimized code produces the same
tree, anchors, numbers and errors. Do not "fix" or speed up this file: its only job is to be
the old behaviour.
"""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from xml.etree import ElementTree

from digest.content import Annotation

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
_TOKEN = re.compile(r"\x02wzxhzdk:(\d+)\x03|\x02(\d+)\x03|&(?:#[0-9]+|#x[0-9a-fA-F]+|[0-9a-zA-Z]+);|.", re.DOTALL)
_SINGLE_TAG = re.compile(r"\s*<[^<>]*>\s*")


def normalize(text: str) -> str:
    """The comparison form of a quote, prefix or suffix."""
    out: list[str] = []
    for char in text:
        _emit(char, out)
    return "".join(out).strip()


def _emit(char: str, out: list[str]) -> int:
    """Append the comparison form of one visible character; return how many characters it added."""
    if char in _INVISIBLE:
        return 0
    if char.isspace():
        if out and out[-1] == " ":
            return 0
        out.append(" ")
        return 1
    mapped = _CHAR_MAP.get(char, char)
    out.extend(mapped)
    return len(mapped)


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


@dataclass
class _Unit:
    """The smallest piece of source text a highlight may start or end at."""

    slot: int  # -1 for a virtual space (a <br>)
    start: int
    end: int
    text: str  # as the reader sees it
    breaks: bool = False  # a raw HTML tag: a <mark> must not straddle it


@dataclass
class _Segment:
    """The text of one block, normalized, with each character's unit."""

    units: list[int] = field(default_factory=list)
    norm: list[str] = field(default_factory=list)
    owner: list[int] = field(default_factory=list)


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
        self.units: list[_Unit] = []
        self.segments: list[_Segment] = []
        self.parent: dict[ElementTree.Element, ElementTree.Element] = {}
        self.blocks: set[ElementTree.Element] = {root}
        self._current = _Segment()
        self._block(root)
        self._flush()

    # -- reading -------------------------------------------------------------------------------
    def _flush(self) -> None:
        if self._current.units:
            self.segments.append(self._current)
        self._current = _Segment()

    def _block(self, element: ElementTree.Element) -> None:
        self._flush()
        self.blocks.add(element)
        self._contents(element)
        self._flush()

    def _contents(self, element: ElementTree.Element) -> None:
        self._add_slot(element, "text", element)
        for child in element:
            self.parent[child] = element
            if not isinstance(child.tag, str):  # comments, processing instructions: no visible text
                pass
            elif child.tag in INLINE_TAGS:
                if child.tag == "br":
                    self._add_unit(_Unit(-1, 0, 0, " "))
                self._contents(child)
            else:
                self._block(child)
            self._add_slot(child, "tail", element)

    def _add_slot(self, element: ElementTree.Element, attr: str, container: ElementTree.Element) -> None:
        index = len(self.slots)
        slot = _Slot(element, attr, container)
        self.slots.append(slot)
        self.slot_index[(id(element), attr)] = index
        for token in _TOKEN.finditer(slot.get()):
            stashed, escaped = token.group(1), token.group(2)
            if stashed is not None:
                raw = self.stash[int(stashed)] if int(stashed) < len(self.stash) else ""
                if isinstance(raw, str) and "<" not in raw:
                    self._add_unit(_Unit(index, token.start(), token.end(), html.unescape(raw)))
                else:
                    # A raw tag (`<b>`) or a whole raw HTML fragment: invisible to matching, and a
                    # point a highlight must not straddle (it would misnest the HTML).
                    single = isinstance(raw, str) and _SINGLE_TAG.fullmatch(raw)
                    self._add_unit(_Unit(index, token.start(), token.end(), "", breaks=True))
                    if not single:
                        self._flush()
            elif escaped is not None:
                self._add_unit(_Unit(index, token.start(), token.end(), chr(int(escaped))))
            elif len(token.group(0)) > 1:
                self._add_unit(_Unit(index, token.start(), token.end(), html.unescape(token.group(0))))
            else:
                self._add_unit(_Unit(index, token.start(), token.end(), token.group(0)))

    def _add_unit(self, unit: _Unit) -> None:
        index = len(self.units)
        self.units.append(unit)
        segment = self._current
        segment.units.append(index)
        for char in unit.text:
            added = _emit(char, segment.norm)
            segment.owner.extend([index] * added)

    # -- matching ------------------------------------------------------------------------------
    def find_all(self, quote: str) -> list[tuple[int, int, int]]:
        """Every (segment, start, end) where `quote` occurs, overlapping ones included."""
        found = []
        for number, segment in enumerate(self.segments):
            text = "".join(segment.norm)
            start = text.find(quote)
            while start != -1:
                found.append((number, start, start + len(quote)))
                start = text.find(quote, start + 1)
        return found

    def context(self, seg: int, start: int, end: int) -> tuple[str, str]:
        """Normalized text before and after a match, across block boundaries (for prefix/suffix)."""
        texts = ["".join(s.norm) for s in self.segments]
        before = " ".join(texts[:seg] + [texts[seg][:start]])
        after = " ".join([texts[seg][end:]] + texts[seg + 1:])
        return before, after

    def display(self, seg: int, start: int, end: int) -> str:
        segment = self.segments[seg]
        first, last = segment.owner[start], segment.owner[end - 1]
        return " ".join("".join(self.units[i].text for i in range(first, last + 1)).split())

    def closest(self, quote: str) -> str:
        """The passage of the body most like `quote`, to show in the error message."""
        size = max(1, len(quote.split()))
        best, best_score = "", 0.0
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(quote)
        for number, segment in enumerate(self.segments):
            text = "".join(segment.norm)
            words = [m.span() for m in re.finditer(r"\S+", text)]
            for width in (size - 1, size, size + 1):
                if width < 1:
                    continue
                for i in range(max(1, len(words) - width + 1)):
                    window = words[i:i + width]
                    if not window:
                        continue
                    start, end = window[0][0], window[-1][1]
                    matcher.set_seq1(text[start:end])
                    if matcher.real_quick_ratio() <= best_score or matcher.quick_ratio() <= best_score:
                        continue
                    score = matcher.ratio()
                    if score > best_score:
                        best, best_score = self.display(number, start, end), score
        return best

    def joined_contains(self, quote: str) -> bool:
        """Whether the quote occurs once block boundaries are read as spaces."""
        return quote in " ".join(" ".join("".join(s.norm) for s in self.segments).split())

    # -- highlighting --------------------------------------------------------------------------
    def pieces(self, seg: int, start: int, end: int) -> list[tuple[int, int, int]]:
        """The (slot, start, end) runs a highlight is made of."""
        segment = self.segments[seg]
        first, last = segment.owner[start], segment.owner[end - 1]
        runs: list[tuple[int, int, int]] = []
        for unit in self.units[first:last + 1]:
            if unit.slot < 0 or unit.breaks:
                runs.append((-1, 0, 0))
                continue
            if runs and runs[-1][0] == unit.slot and runs[-1][2] == unit.start:
                runs[-1] = (unit.slot, runs[-1][1], unit.end)
            else:
                runs.append((unit.slot, unit.start, unit.end))
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

    def _after_punctuation(self, slot: int, offset: int) -> tuple[int, int]:
        """Like a footnote marker, the note goes after closing punctuation: `office.”¹`, not `office¹.”`."""
        by_start = {u.start: u for u in self.units if u.slot == slot}
        unit = by_start.get(offset)
        while unit is not None and unit.text and all(c in _CLOSING for c in unit.text):
            offset = unit.end
            unit = by_start.get(offset)
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
        first_unit = document.segments[seg].owner[start]
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
        fitting = []
        for match in matches:
            before, after = document.context(*match)
            before, after = " ".join(before.split()), " ".join(after.split())
            if (not prefix or before.endswith(prefix)) and (not suffix or after.startswith(suffix)):
                fitting.append(match)
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
