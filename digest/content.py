"""One content file -> one validated Article (or diagnostics explaining why not).

A pure function of the file's bytes and the config, so it can be cached and run in parallel.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import PurePosixPath
from typing import Any

from .config import SiteConfig, describe
from .diagnostics import Diagnostic, Diagnostics
from .sanitize import CONTROL_CHARS, clean_strings
from .slugs import is_valid_article_slug, tag_key
from .yamlsource import LineList, LineMap, YamlError, load_yaml

KNOWN_FIELDS = (
    "title", "date", "updated", "slug", "summary", "editor_note", "source", "source_url",
    "author", "section", "dateline", "tags", "related", "elsewhere", "annotations", "draft",
)
TEXT_FIELDS = ("title", "summary", "editor_note", "source", "source_url", "author", "section", "dateline")


@dataclass(frozen=True)
class RelatedRef:
    """One entry of `related`: a slug or headline inside the digest, or an outside story."""

    target: str  # slug or headline; empty for external stories
    line: int
    title: str = ""  # external stories only
    url: str = ""  # external stories only

    @property
    def is_external(self) -> bool:
        return bool(self.url)


@dataclass(frozen=True)
class Source:
    title: str
    url: str


@dataclass(frozen=True)
class Annotation:
    quote: str
    note: str  # Markdown
    kind: str
    line: int
    occurrence: int | None = None
    prefix: str = ""
    suffix: str = ""
    sources: tuple[Source, ...] = ()
    rating: str = ""


@dataclass(frozen=True)
class Article:
    path: str  # as shown in messages, e.g. "content/port-strike.md"
    slug: str
    title: str
    date: dt.datetime  # aware, in the site's time zone
    body: str  # Markdown
    body_line: int  # line of the body's first line in the file
    updated: dt.datetime | None = None
    summary: str = ""  # plain text as written; empty = derive from the body
    editor_note: str = ""  # Markdown
    source: str = ""
    source_url: str = ""
    author: str = ""
    section: str = ""
    dateline: str = ""
    tags: tuple[str, ...] = ()
    related: tuple[RelatedRef, ...] = ()
    elsewhere: tuple[Source, ...] = ()  # stories outside the digest, shown as text (url "") or links
    annotations: tuple[Annotation, ...] = ()
    draft: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    field_lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, key: str) -> int:
        return self.field_lines.get(key, 1)

    @property
    def day(self) -> dt.date:
        return self.date.date()


def split_front_matter(text: str) -> tuple[str, str, int] | str:
    """Return (front-matter, body, body's first line) or an error message."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return "missing front-matter: the file must start with a `---` line"
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            front = "\n".join(lines[1:index])
            body = "\n".join(lines[index + 1:])
            return front, body, index + 2
    return "front-matter is not closed: add a `---` line after the last field"


def load_article(rel_path: str, data: bytes, config: SiteConfig) -> tuple[Article | None, list[Diagnostic]]:
    """Parse and validate one content file."""
    diags = Diagnostics()
    article = _load(rel_path, data, config, diags)
    if diags.errors:
        article = None
    return article, diags.items


def _load(path: str, data: bytes, config: SiteConfig, diags: Diagnostics) -> Article | None:
    if not data.strip():
        diags.error(path, 1, "empty file: an article needs front-matter with at least `title` and `date`")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        diags.error(path, line, f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); save it as UTF-8")
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _without_control_chars(path, text, diags)
    split = split_front_matter(text)
    if isinstance(split, str):
        diags.error(path, 1, split)
        return None
    front, body, body_line = split
    yaml_warnings: list[tuple[int, str]] = []
    try:
        meta = load_yaml(front, first_line=2, warnings=yaml_warnings) if front.strip() else None
    except YamlError as exc:
        diags.error(path, exc.line, exc.message)
        return None
    for line, message in yaml_warnings:
        diags.warning(path, line, message)
    if meta is None:
        diags.error(path, 1, "front-matter is empty: `title` and `date` are required")
        return None
    if not isinstance(meta, LineMap):
        diags.error(path, 2, f"front-matter must be a mapping of fields, not {describe(meta)}")
        return None

    for key in list(meta):  # YAML escapes ("\e", "\x9b") can still spell control characters
        value, changed = clean_strings(meta[key])
        if changed:
            meta[key] = value
            diags.warning(path, meta.line_of(key), f"`{key}`: removed control characters written as YAML escapes: "
                                                   "they cannot appear in a page or feed")

    err = _Reporter(path, meta, diags)

    values: dict[str, Any] = {}
    for key in TEXT_FIELDS:
        value = meta.get(key)
        if value is None:
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool) and key != "source_url":
            value = str(value)  # `title: 1984` is a title, not a type error
        if not isinstance(value, str):
            err(key, f"`{key}` must be text, not {describe(value)}")
            continue
        values[key] = value.strip()
    if "title" not in meta:
        diags.error(path, 1, "missing required field `title`")
    elif not values.get("title") and (meta["title"] is None or isinstance(meta["title"], str)):
        err("title", "`title` must not be empty")  # other types were reported above
    if values.get("source_url") and not _is_safe_url(values["source_url"]):
        err("source_url", f"`source_url` must be an http(s) URL, not `{values['source_url']}`")

    tz = config.tz
    date = _read_date(meta, "date", tz, err)
    if "date" not in meta:
        diags.error(path, 1, "missing required field `date`")
    updated = _read_date(meta, "updated", tz, err) if "updated" in meta else None

    slug = PurePosixPath(path).stem
    if "slug" in meta:
        raw = meta["slug"]
        if not isinstance(raw, str):
            err("slug", f"`slug` must be text, not {describe(raw)}")
        elif not is_valid_article_slug(raw):
            err("slug", f"unsafe slug `{raw}`: use lowercase ASCII letters, digits and single hyphens only")
        else:
            slug = raw
    elif not is_valid_article_slug(slug):
        diags.error(path, 1, f"file name `{PurePosixPath(path).name}` is not a valid slug: rename it using "
                             "lowercase ASCII letters, digits and hyphens, or set `slug:`")

    tags = _read_tags(meta, err)
    related = _read_related(meta, err)
    elsewhere = _read_elsewhere(meta, err)
    annotations = _read_annotations(meta, config, err)

    draft = meta.get("draft", False)
    if not isinstance(draft, bool):
        err("draft", f"`draft` must be true or false, not {describe(draft)}")
        draft = False

    extra = {}
    for key in meta:
        if key in KNOWN_FIELDS:
            continue
        if not isinstance(key, str):
            diags.error(path, meta.line_of(key), f"field names must be text, not {describe(key)}")
            continue
        hint = get_close_matches(key, KNOWN_FIELDS, n=1, cutoff=0.75)
        if hint:
            diags.warning(path, meta.line_of(key), f"unknown field `{key}`: did you mean `{hint[0]}`?")
        extra[key] = meta[key]

    if diags.errors or date is None:
        return None
    return Article(
        path=path, slug=slug, title=values["title"], date=date, body=body, body_line=body_line,
        updated=updated, summary=values.get("summary", ""), editor_note=values.get("editor_note", ""),
        source=values.get("source", ""), source_url=values.get("source_url", ""),
        author=values.get("author", ""), section=values.get("section", ""),
        dateline=values.get("dateline", ""), tags=tags, related=related, elsewhere=elsewhere, annotations=annotations,
        draft=draft, extra=extra, field_lines=dict(meta.key_lines),
    )


def _without_control_chars(path: str, text: str, diags: Diagnostics) -> str:
    """Control characters (CONTROL_CHARS) can't be shown in HTML or XML and could drive a terminal
    that prints a message quoting them: they are removed on the way in, with a warning."""
    first = CONTROL_CHARS.search(text)
    if first is None:
        return text
    count = len(CONTROL_CHARS.findall(text))
    line = text.count("\n", 0, first.start()) + 1
    plural = "s" if count > 1 else ""
    diags.warning(path, line, f"removed {count} control character{plural} (first: U+{ord(first.group()):04X}): "
                              "they cannot appear in a page or feed")
    return CONTROL_CHARS.sub("", text)


class _Reporter:
    """Reports a problem at the line of a front-matter key, or at an exact line."""

    def __init__(self, path: str, meta: LineMap, diags: Diagnostics):
        self.path, self.meta, self.diags = path, meta, diags

    def __call__(self, key: str, message: str) -> None:
        self.diags.error(self.path, self.meta.line_of(key), message)

    def at(self, line: int, message: str) -> None:
        self.diags.error(self.path, line, message)


def _is_safe_url(url: str) -> bool:
    return url.startswith(("http://", "https://")) and not any(c.isspace() for c in url)


def _read_date(meta: LineMap, key: str, tz: dt.tzinfo, err) -> dt.datetime | None:
    value = meta.get(key)
    if value is None:
        if key in meta:
            err(key, f"`{key}` must not be empty")
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            err(key, f"unparseable `{key}` `{value}`: use ISO 8601, such as 2026-03-02 or 2026-03-02T09:30:00+01:00")
            return None
    else:
        err(key, f"`{key}` must be a date such as 2026-03-02, not {describe(value)}")
        return None
    # Both paths end here aware, in the site's zone, so editions group by the site's calendar day.
    local = parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed
    try:
        # The build shows the date in the site's zone and compares it in UTC: a moment that is
        # in year 1 or 9999 in one of them but outside the calendar in the other is refused here.
        local = local.astimezone(tz)
        local.astimezone(dt.UTC)
    except OverflowError:
        err(key, f"`{key}` `{_shown_date(value)}` is outside the calendar the build can show: in UTC or in the "
                 f"site's time zone ({getattr(tz, 'key', tz)}) it falls before year 1 or after year 9999")
        return None
    return local


def _shown_date(value: str | dt.date) -> str:
    return value.strip() if isinstance(value, str) else value.isoformat()


def _read_tags(meta: LineMap, err) -> tuple[str, ...]:
    raw = meta.get("tags")
    if raw is None:
        return ()
    if isinstance(raw, str):
        items = [t for t in (part.strip() for part in raw.split(",")) if t]
    elif isinstance(raw, list):
        items = []
        for index, item in enumerate(raw):
            if isinstance(item, (int, float)) and not isinstance(item, bool):
                item = str(item)
            if not isinstance(item, str) or not item.strip():
                err("tags", f"tag {index + 1} must be non-empty text, not {describe(item)}")
                continue
            items.append(" ".join(item.split()))
    else:
        err("tags", f"`tags` must be a list or a comma-separated string, not {describe(raw)}")
        return ()
    unique: dict[str, str] = {}
    for item in items:
        unique.setdefault(tag_key(item), item)
    return tuple(unique.values())


def _read_related(meta: LineMap, err) -> tuple[RelatedRef, ...]:
    raw = meta.get("related")
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw_items, lines = [raw], [meta.line_of("related")]
    elif isinstance(raw, LineList):
        raw_items, lines = list(raw), [raw.line_of(i) for i in range(len(raw))]
    else:
        err("related", f"`related` must be a list, not {describe(raw)}")
        return ()
    refs = []
    for item, line in zip(raw_items, lines):
        if isinstance(item, str) and item.strip():
            refs.append(RelatedRef(target=item.strip(), line=line))
        elif isinstance(item, dict):
            title, url = item.get("title"), item.get("url")
            if not isinstance(title, str) or not title.strip() or not isinstance(url, str) or not _is_safe_url(url):
                err("related", "an outside related story needs `title` (text) and `url` (an http(s) URL)")
                continue
            refs.append(RelatedRef(target="", line=line, title=title.strip(), url=url.strip()))
        else:
            err("related", f"each related story must be a slug, a headline or {{title, url}}, not {describe(item)}")
    return tuple(refs)


def _read_elsewhere(meta: LineMap, err) -> tuple[Source, ...]:
    raw = meta.get("elsewhere")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        err("elsewhere", f"`elsewhere` must be a list, not {describe(raw)}")
        return ()
    items = []
    for item in raw:
        if isinstance(item, str) and item.strip():
            items.append(Source(title=item.strip(), url=""))
        elif isinstance(item, dict) and isinstance(item.get("title"), str) and item["title"].strip() \
                and isinstance(item.get("url"), str) and _is_safe_url(item["url"].strip()):
            items.append(Source(title=item["title"].strip(), url=item["url"].strip()))
        else:
            err("elsewhere", "each `elsewhere` story must be a headline, or {title, url} with an http(s) url")
    return tuple(items)


def _read_annotations(meta: LineMap, config: SiteConfig, err) -> tuple[Annotation, ...]:
    raw = meta.get("annotations")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        err("annotations", f"`annotations` must be a list, not {describe(raw)}")
        return ()
    kinds = config.kinds
    result = []
    for index, item in enumerate(raw):
        line = raw.line_of(index) if isinstance(raw, LineList) else meta.line_of("annotations")
        where = f"annotation {index + 1}"

        if not isinstance(item, dict):
            err.at(line, f"{where} must be a mapping with `quote` and `note`, not {describe(item)}")
            continue
        quote, note = item.get("quote"), item.get("note")
        ok = True
        for key, value in (("quote", quote), ("note", note)):
            if not isinstance(value, str) or not value.strip():
                err.at(item.line_of(key) if key in item else line, f"{where}: `{key}` is required and must be text")
                ok = False
        kind = item.get("kind", "context")
        if not isinstance(kind, str) or kind not in kinds:
            err.at(item.line_of("kind"), f"{where}: unknown kind `{kind}` (known: {', '.join(kinds)})")
            ok = False
        occurrence = item.get("occurrence")
        if occurrence is not None and (not isinstance(occurrence, int) or isinstance(occurrence, bool) or occurrence < 1):
            err.at(item.line_of("occurrence"), f"{where}: `occurrence` must be a whole number from 1")
            ok = False
        text_opts = {}
        for key in ("prefix", "suffix", "rating"):
            value = item.get(key, "")
            if not isinstance(value, str):
                err.at(item.line_of(key), f"{where}: `{key}` must be text, not {describe(value)}")
                ok = False
            text_opts[key] = value if isinstance(value, str) else ""
        sources = []
        raw_sources = item.get("sources") or []
        if not isinstance(raw_sources, list):
            err.at(item.line_of("sources"), f"{where}: `sources` must be a list of {{title, url}}")
            ok = False
            raw_sources = []
        for source in raw_sources:
            if isinstance(source, str) and _is_safe_url(source):
                sources.append(Source(title=source, url=source))
            elif isinstance(source, dict) and isinstance(source.get("url"), str) and _is_safe_url(source["url"]):
                sources.append(Source(title=str(source.get("title") or source["url"]), url=source["url"]))
            else:
                err.at(item.line_of("sources"), f"{where}: each source needs an http(s) `url` (and a `title`)")
                ok = False
        unknown = set(item) - {"quote", "note", "kind", "occurrence", "prefix", "suffix", "sources", "rating"}
        for key in sorted(map(str, unknown)):
            err.at(item.line_of(key), f"{where}: unknown field `{key}`")
            ok = False
        if ok:
            result.append(Annotation(
                quote=quote.strip(), note=note.strip(), kind=kind, line=item.line_of("quote"),
                occurrence=occurrence, prefix=text_opts["prefix"], suffix=text_opts["suffix"],
                sources=tuple(sources), rating=text_opts["rating"].strip(),
            ))
    return tuple(result)
