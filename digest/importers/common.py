"""What every importer shares: the article record, Markdown escaping, front-matter text, and safe writing."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import yaml

from digest.diagnostics import Diagnostic
from digest.slugs import slugify

from .sources import SourceProblem, read_source

# The engine reads fields in this order; keeping it fixed makes re-imports byte-identical.
FIELD_ORDER = (
    "title",
    "date",
    "updated",
    "source",
    "source_url",
    "author",
    "section",
    "dateline",
    "summary",
    "tags",
    "related",
    "elsewhere",
    "draft",
)
# Named unlike any real field so the engine's "did you mean" check leaves it alone.
HASH_KEY = "import_hash"
MAX_SLUG = 80

# Spaces that look ordinary but are not; scraped text is full of them.
_ODD_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u2009\u200a\u2002\u2003\u2004\u2005\u2006\u2008\u205f\u3000"), " ")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
# C0 controls but tab, newline and carriage return (line ends are normalised where lines are
# split), DEL, and C1 controls: they can rewrite a terminal and are invalid in XML 1.0. Lone
# surrogates (JSON "\ud800") too: no UTF-8 file can hold them.
_CONTROLS = dict.fromkeys([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0), *range(0xD800, 0xE000)], None)


@dataclass
class Article:
    """One imported article before it becomes a file; `line` locates warnings in the source."""

    title: str = ""
    body: str = ""  # Markdown, already escaped
    date: datetime | date | None = None
    updated: datetime | date | None = None
    source: str = ""
    source_url: str = ""
    author: str = ""
    section: str = ""
    dateline: str = ""
    summary: str = ""
    tags: list[str] = field(default_factory=list)
    related: list[str | dict[str, str]] = field(default_factory=list)
    # Related headlines that name no story in the digest (shown as "Elsewhere", never as links
    # into the digest); `import` moves unmatched `related` entries here when it places the article.
    elsewhere: list[str | dict[str, str]] = field(default_factory=list)
    draft: bool = False  # set when the title was made up by the importer: an editor must write one
    origin: str = ""  # e.g. "path/to/feed.xml entry 3", for messages only
    warnings: list[Diagnostic] = field(default_factory=list)


# Zone abbreviations sources write after a time, as UTC offsets in hours. Only unambiguous
# ones: "IST" (India, Ireland, Israel) or "CST" (China, US Central) are left out on purpose.
ZONE_HOURS = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 1, "BST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3,
    "MSK": 3, "GST": 4, "PKT": 5, "ICT": 7, "WIB": 7, "HKT": 8, "SGT": 8, "AWST": 8, "JST": 9, "KST": 9,
    "ACST": 9.5, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13, "NST": -3.5, "AST": -4, "ADT": -3, "EST": -5,
    "EDT": -4, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10,
}


class ImportFailure(Exception):
    """A source that cannot be imported at all; the message is shown after `error path:`."""


# ---------------------------------------------------------------- text clean-up


def clean_text(text: str) -> str:
    """Ordinary spaces for odd ones, invisible and control characters removed, NFC so equal
    text is equal bytes."""
    return unicodedata.normalize("NFC", text.translate(_ODD_SPACES).translate(_INVISIBLE).translate(_CONTROLS))


def strip_controls(value: object) -> object:
    """The value with control characters removed from every string in it (line ends made
    '\n'): the last step before a file is written, whatever parser made the article."""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROLS)
    if isinstance(value, list):
        return [strip_controls(v) for v in value]
    if isinstance(value, dict):
        return {k: strip_controls(v) for k, v in value.items()}
    return value


def derived_title_warning(what: str) -> str:
    return f"{what}; marked `draft: true` until an editor rewrites the title (then remove `draft`)"


def quote_folded(text: str) -> str:
    """Whitespace collapsed, curly quotes made straight, case folded: for comparing titles and names."""
    return " ".join(text.translate(str.maketrans("‘’“”", "''\"\"")).split()).casefold()


def one_line(text: str) -> str:
    """Collapse all whitespace: front-matter strings are single-line values."""
    return " ".join(clean_text(text).split())


def dedupe_tags(tags: list[str]) -> list[str]:
    """Keep the first spelling of tags that would share a URL ("Tom Petty", "tom-petty",
    "#TomPetty" ...) and drop tags with nothing to make a URL from: the engine rejects both."""
    seen: set[str] = set()
    result = []
    for tag in tags:
        tag = one_line(tag).strip(" ,;")
        key = slugify(tag)
        if key and key not in seen:
            seen.add(key)
            result.append(tag)
    return result


# ---------------------------------------------------------------- Markdown escaping

# Backslash escapes Python-Markdown understands; `<` and `&` are not among them, so they
# become entities instead (which also makes raw HTML impossible).
_INLINE = re.compile(r"([\\`*_{}\[\]])")
_LINE_START_LIST = re.compile(r"^(\d+)([.)])(\s|$)")
_LINE_START_MARK = re.compile(r"^([-+#=:%])")


def escape_inline(text: str) -> str:
    """Escape text so that Markdown shows it literally, whatever it contains."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _INLINE.sub(r"\\\1", text)


def escape_line(line: str) -> str:
    """Escape one line of a paragraph, including what only matters at a line start."""
    line = escape_inline(line.strip())
    # "1. " starts a list, "-"/"+" a list or a setext underline, "#" a heading, "=" a setext underline,
    # ":" a definition (def_list), "%" a meta line in some extensions.
    line = _LINE_START_LIST.sub(r"\1\\\2\3", line)
    m = _LINE_START_MARK.match(line)
    if m:
        ch = m.group(1)
        if ch in "-+#":
            line = "\\" + line
        else:
            line = f"&#{ord(ch)};" + line[1:]
    return line


def paragraph_markdown(paragraph: str) -> str:
    """A plain-text paragraph (lines kept) as Markdown that renders to exactly that text."""
    lines = [line for line in clean_text(paragraph).split("\n") if line.strip()]
    return "\n".join(escape_line(line) for line in lines)


def paragraphs_markdown(paragraphs: list[str]) -> str:
    return "\n\n".join(p for p in (paragraph_markdown(p) for p in paragraphs) if p)


# ---------------------------------------------------------------- titles and slugs

_CLAUSE_BREAK = re.compile(r"(?:[,;:]\s|\s[—–]\s|\s-\s)")
_WEAK_END = frozenset(
    ["a", "an", "the", "of", "in", "on", "at", "to", "for", "from", "by", "with", "and", "or", "but", "nor", "as", "is", "are", "was", "were", "be", "been", "not", "that", "which", "who", "whose", "its", "it", "this", "these", "those", "their", "his", "her", "our", "your", "than", "into", "over", "about", "after", "before", "against", "between"]
)


def derive_title(text: str, limit: int = 90) -> str:
    """A headline-length title from a lead sentence: whole first sentence if short, else cut
    at the last clause boundary, else at a word boundary, never ending on a function word."""
    sentences = split_sentences(one_line(text))
    sentence = sentences[0] if sentences else ""
    # "Feeling tired?" alone says nothing; take the next sentence too while it still fits.
    for more in sentences[1:]:
        if len(sentence) >= 30 or len(sentence) + 1 + len(more) > limit:
            break
        sentence = f"{sentence} {more}"
    sentence = sentence.rstrip(".").strip()
    if len(sentence) <= limit:
        return sentence
    head = sentence[: limit + 1]
    cuts = [m.start() for m in _CLAUSE_BREAK.finditer(head) if 30 <= m.start() <= limit]
    if cuts:
        return _trim_weak(sentence[: cuts[-1]])
    words = sentence[: limit - 1].rsplit(" ", 1)[0]
    return _trim_weak(words) + "…"


_ABBREVIATIONS = frozenset(
    ["mr", "mrs", "ms", "dr", "st", "jr", "sr", "gen", "sen", "rep", "gov", "lt", "col", "sgt", "prof", "no", "vs", "etc", "inc", "corp", "co", "ltd", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"]
)


def split_sentences(text: str) -> list[str]:
    """Split at . ! ? followed by a capital, but not after "U.S.", "Mr." or an initial."""
    out, start = [], 0
    for m in re.finditer(r"[.!?…][\"'”’)]*\s+(?=[A-Z“\"‘'(])", text):
        word = text[start : m.start() + 1].rsplit(" ", 1)[-1]
        bare = word.rstrip(".").lower()
        if m.group(0)[0] == "." and (bare in _ABBREVIATIONS or len(bare) <= 1 or "." in bare):
            continue
        out.append(text[start : m.end()].strip())
        start = m.end()
    tail = text[start:].strip()
    return out + [tail] if tail else out


def _trim_weak(text: str) -> str:
    words = text.rstrip(" ,;:—–-").split(" ")
    while len(words) > 3 and words[-1].casefold().strip("’'\"") in _WEAK_END:
        words.pop()
    return " ".join(words).rstrip(" ,;:—–-")


def base_slug(title: str) -> str:
    """slugify(title), cut at a hyphen to fit MAX_SLUG; 'article' when nothing is left."""
    slug = slugify(title) or "article"
    return _cut_slug(slug, MAX_SLUG)


def _cut_slug(slug: str, limit: int) -> str:
    if len(slug) <= limit:
        return slug
    cut = slug[: limit + 1]
    cut = cut[: cut.rfind("-")] if "-" in cut else cut[:limit]
    return cut.strip("-") or slug[:limit]


def numbered_slug(base: str, n: int) -> str:
    """base-n, still within MAX_SLUG."""
    suffix = f"-{n}"
    return _cut_slug(base, MAX_SLUG - len(suffix)) + suffix


# ---------------------------------------------------------------- front matter


def _iso(value: datetime | date) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return value.isoformat()


def front_matter_fields(article: Article) -> dict[str, object]:
    """The non-empty fields in the engine's order."""
    fields: dict[str, object] = {}
    for name in FIELD_ORDER:
        value = getattr(article, name)
        if value is None or value is False or value == "" or value == []:
            continue
        fields[name] = value
    return fields


def _has_yaml_breaks(value: object) -> bool:
    if isinstance(value, str):
        return any(ch in value for ch in "\x85\u2028\u2029")
    if isinstance(value, dict):
        return any(_has_yaml_breaks(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_yaml_breaks(v) for v in value)
    return False


def _dump_value(key: str, value: object) -> str:
    if isinstance(value, (datetime, date)):
        # Unquoted ISO 8601: YAML reads it back as a timestamp, as a hand-written date would be.
        return f"{key}: {_iso(value)}\n"
    # safe_dump quotes every string YAML would read back as something else ("yes", "null",
    # "2015-01-01", ": ", leading "-"); the round-trip test holds it to that.
    return yaml.safe_dump(
        {key: value},
        sort_keys=False,
        # YAML reads U+0085/U+2028/U+2029 as line breaks; only escaping keeps them.
        allow_unicode=not _has_yaml_breaks(value),
        width=1_000_000,
        default_flow_style=False,
    )


def render_file(article: Article) -> tuple[str, str]:
    """The content file text and its import hash. Deterministic: the same article always
    gives the same bytes, so a re-import can recognise it by the hash it stored."""
    fields = front_matter_fields(article)
    body = article.body.strip("\n")
    head = "".join(_dump_value(k, v) for k, v in fields.items())
    digest = content_hash(head, body)
    head += _dump_value(HASH_KEY, digest)
    return f"---\n{head}---\n\n{body}\n", digest


def content_hash(head: str, body: str) -> str:
    return hashlib.sha256((head + "\n" + body).encode("utf-8")).hexdigest()[:16]


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses YAML aliases: a few hundred bytes of nested aliases expand to
    gigabytes, and the importer reads every file in content/."""

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("aliases are not read here")
        return super().compose_node(parent, index)


def read_front_matter(path: Path) -> dict[str, object]:
    """Front matter of an existing content file, or {} when it has none, it does not parse,
    or the path is no regular file (a FIFO named x.md must not hang the import)."""
    try:
        text = read_source(path).decode("utf-8")
    except (SourceProblem, UnicodeDecodeError):
        return {}
    if not text.startswith("---"):
        return {}
    end = re.search(r"^---[ \t]*$", text[3:], flags=re.MULTILINE)
    if not end:
        return {}
    try:
        data = yaml.load(text[3 : 3 + end.start()], Loader=_NoAliasLoader)
    except (yaml.YAMLError, ValueError, OverflowError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


# ---------------------------------------------------------------- writing


def atomic_write(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder and rename, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
