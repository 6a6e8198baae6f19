"""Scraped plain text (agency pages copied as text, newspaper-style dumps) → Article.

The layout is guessed line by line rather than matched as a whole, so a file that lacks a
part (no related stories, no tag line, an unknown boilerplate line) still imports and the
editor gets a warning naming what was not found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from difflib import SequenceMatcher
from pathlib import Path

from digest.diagnostics import Diagnostic

from .common import (
    ZONE_HOURS,
    Article,
    ImportFailure,
    clean_text,
    dedupe_tags,
    derive_title,
    derived_title_warning,
    one_line,
    paragraphs_markdown,
)
from .detect import is_markup_document
from .registry import register

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}

# "14:28 GMT16 April 2021", "14:28 GMT 16.04.2021", "16 April 2021, 14:28", each optionally
# followed by "(updated 15:02 GMT 16.04.2021)"; scrapers often drop the space before the day.
_ZONE_NAMES = "|".join(sorted(ZONE_HOURS, key=len, reverse=True))
_TIME = rf"(?P<h>\d{{1,2}}):(?P<mi>\d{{2}})\s*(?P<tz>{_ZONE_NAMES})?(?P<off>[+-]\d{{1,2}}(?::?\d{{2}})?)?"
_DAY = r"(?:(?P<d>\d{1,2})\s*(?P<mon>[A-Za-z]{3,9})\.?,?\s*(?P<y>\d{4})|(?P<dd>\d{1,2})[./](?P<mm>\d{1,2})[./](?P<yy>\d{4}))"
_STAMPS = [
    re.compile(rf"^{_TIME}\s*,?\s*{_DAY}$", re.IGNORECASE),
    re.compile(rf"^{_DAY}\s*,?\s*{_TIME}$", re.IGNORECASE),
    re.compile(rf"^{_TIME}$", re.IGNORECASE),  # only inside "(updated …)": same day as the story
]
# "2017-09-12T13:05:00+03:00", "2017-09-12 13:05": kept in the zone it states.
_ISO_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$")
_STAMP_LINE = re.compile(r"^(?P<main>[^()]+?)\s*(?:\(\s*(?:updated|upd\.?)\s*:?\s*(?P<upd>[^()]+?)\s*\))?$", re.IGNORECASE)


# Lines scrapers pick up from page furniture. Matching is on the whole line, case-insensitive.
_BOILERPLATE = [
    r"listen live",
    r"get short url",
    r"community standards\s*discussion",
    r"community standards",
    r"discussion",
    r"share( this( article| story)?)?",
    r"subscribe",
    r"subscribe to .{1,40} for free",
    r"follow .{1,40} on (twitter|facebook|telegram|instagram).*",
    r"(click|tap) here .*",
    r"% of readers think this story is fact\. add your two cents\.",
    r"headline: .*",  # an unrelated teaser injected by some sites before the article
    r"take our poll - story continues below.*",
    r"advertisement",
    r"(read|see) (more|also):?",
    r"comments?",
    r"print",
    r"e-?mail",
    r"© .*|copyright .*",
    r"all rights reserved\.?",
]
_BOILERPLATE_RE = re.compile(r"^(?:" + "|".join(_BOILERPLATE) + r")$", re.IGNORECASE)

# "WASHINGTON (Sputnik) — ", "BUDAPEST, Hungary, February 19, 2018 (LifeSiteNews) – ",
# "Vatican City, Jan 24, 2018 / 04:26 am (CNA/EWTN News).- ", "Geneva - ", "(NaturalNews) ".
_PLACE = r"(?P<place>[A-Z][A-Za-z.'’-]*(?:[ ][A-Z][A-Za-z.'’-]*){0,3}(?:,[ ][A-Z][A-Za-z.]*(?:[ ][A-Z][A-Za-z.]*){0,2})?)"
_WHEN = r"(?:,?[ ](?P<when>[A-Z][a-z]{2,8}\.?[ ]\d{1,2}(?:,[ ]\d{4})?(?:[ ]/[ ]\d{1,2}:\d{2}[ ]?[ap]\.?m\.?)?))?"
_AGENCY = r"(?:[ ]?\((?P<agency>[^()\n]{2,40})\))"
_DASH = r"\s*(?:\.?-{1,2}|[—–]|\.-)\s+"
_DATELINE_RE = re.compile(rf"^{_PLACE}{_WHEN}(?:{_AGENCY}{_DASH}|{_DASH})")
_AGENCY_ONLY_RE = re.compile(r"^\((?P<agency>[A-Z][^():\n]{1,30})\)\s+(?=\S)")

_BYLINE_RE = re.compile(
    r"^(?:(?i:by)\s+)?(?P<name>[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){1,3})(?:\s*/\s*(?P<org>[A-Z][\w .&'’-]{1,40}))?$"
)

_SENTENCE_END = re.compile(r"[.!?…][\"'”’)]*$")


@dataclass
class _Line:
    no: int  # 1-based line number in the source file
    text: str


@dataclass
class _Block:
    lines: list[_Line]
    gap_before: int  # blank lines before it

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def no(self) -> int:
        return self.lines[0].no


def looks_like_text(path: Path, data: bytes) -> bool:
    """Anything that is not an XML or HTML document: scraped text has no fixed shape."""
    return not is_markup_document(data)


def parse_text_file(data: bytes, origin: str) -> tuple[list[Article], list[Diagnostic]]:
    text, warnings = decode_text(data, origin)
    return [parse_text(text, origin)], warnings


def decode_text(data: bytes, origin: str) -> tuple[str, list[Diagnostic]]:
    """UTF-8 (with or without a BOM), UTF-16 with a BOM, else Windows-1252 with a warning."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), []
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        note = Diagnostic(origin, 0, "warning", f"not UTF-8 ({exc.reason} at byte {exc.start}); read as Windows-1252")
        return data.decode("cp1252", errors="replace"), [note]


def parse_text(raw: str, origin: str) -> Article:
    """Parse one scraped article. Raises ImportFailure when there is no article text at all."""
    art = Article(origin=origin)
    warn = _Warner(origin, art)
    lines = [_Line(i + 1, clean_text(t).strip()) for i, t in enumerate(raw.replace("\r\n", "\n").replace("\r", "\n").split("\n"))]
    if not any(line.text for line in lines):
        raise ImportFailure("empty file: no article text")

    header, rest = _split_header(lines)
    if not any(line.text for line in rest):
        # Everything looked like header (a very short article): keep only the first real
        # line as the headline and read the rest as the story.
        real = [i for i, ln in enumerate(lines) if ln.text and not _BOILERPLATE_RE.match(ln.text) and not _match_stamp(ln.text)]
        first = real[0] if real else len(lines) - 1
        header, rest = lines[: first + 1], lines[first + 1 :]
    agency_layout, returned = _read_header(header, art, warn)
    if returned:
        # Back to the body, from the first returned line on (blank lines keep paragraphs apart).
        first = returned[0].no
        keep = {ln.no for ln in returned}
        rest = [ln for ln in header if ln.no >= first and (ln.no in keep or not ln.text)] + rest
    blocks = _blocks(rest)
    blocks = [b for b in (_drop_boilerplate(b, warn) for b in blocks) if b]
    blocks, trailer_found = _read_trailer(blocks, art, warn, agency_layout)
    if not blocks:
        raise ImportFailure("no article paragraphs found")

    paragraphs = [b.text for b in blocks]
    lead_no = blocks[0].no
    lead_repeated = False
    if len(paragraphs) > 1 and _same_start(paragraphs[0], _strip_dateline(paragraphs[1])):
        lead_repeated = True
    if agency_layout or lead_repeated:
        art.summary = one_line(paragraphs[0])
    if lead_repeated:
        paragraphs = paragraphs[1:]
        blocks = blocks[1:]

    # The dateline opens the first paragraph of the story proper, which follows the lead
    # when the lead stands alone.
    found = [(i, d) for i, d in enumerate(_dateline(p) for p in paragraphs[:2]) if d]
    if found:
        at, (place, agency) = found[0]
        art.dateline = place
        if agency:
            art.source = agency
        if agency_layout and not agency:
            warn(blocks[at].no, "dateline names no agency; source left empty")
    elif agency_layout:
        warn(blocks[0].no, "no dateline (e.g. 'WASHINGTON (Sputnik) — ') found; source and dateline left empty")

    if not art.summary:
        art.summary = _summary_from(_strip_dateline(paragraphs[0]))

    if not art.title:
        lead = art.summary or _strip_dateline(paragraphs[0])
        art.title = derive_title(lead)
        art.draft = True
        warn(lead_no, derived_title_warning("title derived from the lead"))
    if agency_layout and not trailer_found:
        warn(blocks[-1].lines[-1].no, "no related stories or tag line found after the article")

    art.body = paragraphs_markdown(paragraphs)
    return art


class _Warner:
    def __init__(self, origin: str, art: Article):
        self.origin, self.art = origin, art

    def __call__(self, line: int, message: str) -> None:
        self.art.warnings.append(Diagnostic(self.origin, line, "warning", message))


# ---------------------------------------------------------------- header


def _is_headline_like(text: str) -> bool:
    """Short, one sentence at most, not ending like a body sentence (unless very short)."""
    words = text.split()
    if not words or len(text) > 200:
        return False
    if re.search(r"[.!?…]\s+[A-Z]", text[:-1]) and not re.search(r"\b[A-Z][a-z]{0,3}\.\s", text):
        return False  # more than one sentence
    if text.endswith((",", ";", ":")):
        return False  # a sentence that goes on
    if text.endswith((".", ".”", '."')) and not text.endswith("..."):
        return len(words) <= 6
    return True


def _title_case_ratio(text: str) -> float:
    words = [w for w in re.findall(r"[A-Za-z][\w'’-]*", text) if len(w) > 3]
    if not words:
        return 0.0
    return sum(w[0].isupper() for w in words) / len(words)


def _split_header(lines: list[_Line]) -> tuple[list[_Line], list[_Line]]:
    """Header = the leading run of lines that are timestamps, boilerplate or short headline-like
    lines; it ends at the first line that reads like body text."""
    header: list[_Line] = []
    seen = 0
    for i, line in enumerate(lines):
        if not line.text:
            header.append(line)
            continue
        seen += 1
        t = line.text
        if seen > 8:
            return header, lines[i:]
        if _match_stamp(t) or _BOILERPLATE_RE.match(t) or _is_headline_like(t):
            header.append(line)
            continue
        return header, lines[i:]
    return header, []


def _read_header(header: list[_Line], art: Article, warn: _Warner) -> tuple[bool, list[_Line]]:
    """Fill date/title/section/author from header lines. Returns whether it is the agency
    layout (a timestamp line opens the page, there is no headline, the lead stands alone)
    and the lines that turned out not to be header after all, which go back to the body."""
    returned: list[_Line] = []
    agency_layout = False
    candidates: list[_Line] = []
    first_text = next((ln for ln in header if ln.text), None)
    for idx, line in enumerate(header):
        t = line.text
        if not t:
            continue
        stamp = _match_stamp(t)
        if stamp and art.date is None:
            art.date, art.updated = stamp
            agency_layout = line is first_text or agency_layout
            continue
        if _BOILERPLATE_RE.match(t):
            continue
        nxt = header[idx + 1].text if idx + 1 < len(header) else ""
        is_first_alone = line is first_text and not nxt
        words = len(t.split())
        byline = _BYLINE_RE.match(t)
        if byline and not art.author and (t.lower().startswith("by ") or re.search(r"\b[A-Z]{3,}\b", t)):
            art.author = _uncap(byline.group("name"))
            if byline.group("org") and not art.source:
                art.source = _uncap(byline.group("org"))
            continue
        if words >= 5 or (is_first_alone and not agency_layout):
            candidates.append(line)
            continue
        if words <= 4 and not art.section:
            art.section = t
            continue
        if agency_layout:
            warn(line.no, f"unrecognised line before the article dropped: {t!r}")
        else:
            returned.append(line)

    if agency_layout:
        # Agency pages have no headline (the lead stands in for it): a long line between the
        # timestamp and the lead is page furniture we do not know yet.
        for extra in candidates:
            warn(extra.no, f"unrecognised line before the article dropped: {extra.text!r}")
        candidates = []
    if candidates:
        title = candidates[0]
        for other in candidates[1:]:
            # A sentence-case deck followed by a Title Case line: the latter is the headline.
            if _title_case_ratio(other.text) >= 0.8 > _title_case_ratio(title.text):
                title = other
        art.title = one_line(title.text)
        # A line before the headline is a deck (kept as the summary); anything after it
        # is the start of the story.
        decks = [c for c in candidates if c.no < title.no]
        if decks and not art.summary:
            art.summary = one_line(decks[0].text)
        returned += decks[1:] + [c for c in candidates if c.no > title.no]
    return agency_layout, sorted(returned, key=lambda ln: ln.no)


def _match_stamp(line: str) -> tuple[datetime | None, datetime | None] | None:
    """(published, updated) when the line is a timestamp line, else None."""
    m = _STAMP_LINE.match(line)
    if not m:
        return None
    main = _stamp_value(m.group("main"), None, allow_time_only=False)
    if main is None:
        return None
    updated = _stamp_value(m.group("upd"), main, allow_time_only=True) if m.group("upd") else None
    return main, updated


def _stamp_value(text: str, same_day_as: datetime | None, allow_time_only: bool) -> datetime | None:
    if _ISO_STAMP.match(text.strip()):
        try:
            return datetime.fromisoformat(text.strip())
        except ValueError:
            return None
    for i, pattern in enumerate(_STAMPS):
        if i == 2 and not (allow_time_only and same_day_as):
            continue
        m = pattern.match(text.strip())
        if m:
            break
    else:
        return None
    g = m.groupdict()
    try:
        if g.get("d"):
            mon = _MONTHS.get(g["mon"].lower())
            if mon is None:
                return None
            day = date(int(g["y"]), mon, int(g["d"]))
        elif g.get("dd"):
            day = date(int(g["yy"]), int(g["mm"]), int(g["dd"]))
        else:
            assert same_day_as is not None
            day = same_day_as.date()
        tz = _zone(g.get("tz"), g.get("off"))
        if tz is None and same_day_as is not None:
            tz = same_day_as.tzinfo  # "(updated 11:40)" is in the story's zone
        value = datetime(day.year, day.month, day.day, int(g["h"]), int(g["mi"]), tzinfo=tz)
    except ValueError:
        return None
    comparable = same_day_as is not None and (value.tzinfo is None) == (same_day_as.tzinfo is None)
    if comparable and i == 2 and value < same_day_as:
        try:
            value += timedelta(days=1)  # "(updated 00:10)" after a 23:50 story is the next day
        except OverflowError:
            return None
    return value


def _zone(name: str | None, offset: str | None) -> tzinfo | None:
    """The zone a stamp states, or None when it states none (the site's zone then applies,
    as for a date written by hand)."""
    if offset:
        sign = -1 if offset[0] == "-" else 1
        hours, _, minutes = offset[1:].partition(":")
        if not minutes and len(hours) > 2:
            hours, minutes = hours[:-2], hours[-2:]
        return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes or 0)))  # ValueError beyond ±24h
    if name:
        return timezone(timedelta(hours=ZONE_HOURS[name.upper()]))
    return None


def _uncap(text: str) -> str:
    """'PETER KORZUN' -> 'Peter Korzun'; mixed-case words are left as written."""
    return " ".join(w.capitalize() if w.isupper() and len(w) > 1 else w for w in text.split())


# ---------------------------------------------------------------- body


def _blocks(lines: list[_Line]) -> list[_Block]:
    blocks: list[_Block] = []
    gap = 0
    current: list[_Line] = []
    for line in lines:
        if line.text:
            if not current:
                start_gap = gap
            current.append(line)
            gap = 0
        else:
            if current:
                blocks.append(_Block(current, start_gap))
                current = []
            gap += 1
    if current:
        blocks.append(_Block(current, start_gap))
    return blocks


def _drop_boilerplate(block: _Block, warn: _Warner) -> _Block | None:
    kept = [line for line in block.lines if not _BOILERPLATE_RE.match(line.text)]
    return _Block(kept, block.gap_before) if kept else None


def _is_tag_line(text: str) -> bool:
    items = [i.strip() for i in text.split(",")]
    if not all(items) or any(len(i.split()) > 8 or _SENTENCE_END.search(i) for i in items):
        return False
    return len(items) >= 2 or len(items[0].split()) <= 3


def _read_trailer(blocks: list[_Block], art: Article, warn: _Warner, agency_layout: bool) -> tuple[list[_Block], bool]:
    """Related headlines (one per line) and a comma-separated tag line after the story.

    Taken only after a gap of two or more blank lines, or in the agency layout where every
    story paragraph is a single line and a multi-line block of headlines cannot be prose.
    """
    if len(blocks) < 2:
        return blocks, False
    start = len(blocks)
    for i in range(len(blocks) - 1, 0, -1):
        if all(_is_headline_like(line.text) and not _SENTENCE_END.search(line.text) or _is_tag_line(line.text) for line in blocks[i].lines):
            start = i
            if blocks[i].gap_before >= 2:
                break
        else:
            break
    if start == len(blocks):
        return blocks, False
    trailer = blocks[start:]
    if blocks[start].gap_before < 2 and not (agency_layout and (len(trailer) > 1 or len(trailer[0].lines) > 1)):
        return blocks, False
    lines = [line for b in trailer for line in b.lines]
    if _is_tag_line(lines[-1].text):
        art.tags = dedupe_tags(lines[-1].text.split(","))
        lines = lines[:-1]
    elif agency_layout:
        warn(lines[-1].no, "no tag line found after the related stories")
    art.related = [one_line(line.text) for line in lines]
    if agency_layout and not art.related:
        warn(trailer[0].no, "no related stories found")
    return blocks[:start], True


# ---------------------------------------------------------------- leads and datelines


def _dateline(paragraph: str) -> tuple[str, str] | None:
    first = paragraph.split("\n", 1)[0]
    m = _DATELINE_RE.match(first)
    if m:
        place = m.group("place").strip()
        agency = (m.group("agency") or "").strip()
        # A mixed-case place with no agency must be short ("Geneva - "), or "Russia - the
        # country ..." sentences would be read as datelines.
        if agency or place.replace(",", "").replace(" ", "").isupper() or len(place.split()) <= 2:
            return place, agency
        return None
    m = _AGENCY_ONLY_RE.match(first)
    if m:
        return "", m.group("agency").strip()
    return None


def _strip_dateline(paragraph: str) -> str:
    first, _, rest = paragraph.partition("\n")
    m = _DATELINE_RE.match(first) if _dateline(paragraph) else None
    if m:
        first = first[m.end() :]
    else:
        a = _AGENCY_ONLY_RE.match(first)
        if a:
            first = first[a.end() :]
    return first + ("\n" + rest if rest else "")


def _norm(text: str) -> str:
    text = one_line(text).casefold()
    text = text.translate(str.maketrans("‘’“”–—", "''\"\"--"))
    return re.sub(r"[^\w' -]", "", text)


def _same_start(lead: str, paragraph: str) -> bool:
    """Does the paragraph open by repeating the lead (give or take punctuation and a few words)?"""
    a, b = _norm(lead), _norm(paragraph)
    if len(a) < 20:
        return False
    head = b[: len(a) + 10]
    return b.startswith(a) or SequenceMatcher(None, a, head).ratio() >= 0.85


def _summary_from(paragraph: str, limit: int = 300) -> str:
    text = one_line(paragraph)
    if len(text) <= limit:
        return text
    sentences = re.split(r"(?<=[.!?])\s+", text)
    out = ""
    for s in sentences:
        if len(out) + len(s) + 1 > limit:
            break
        out = f"{out} {s}".strip()
    return out or text[: limit - 1].rsplit(" ", 1)[0] + "…"


register("text", looks_like_text, parse_text_file, priority=90)
