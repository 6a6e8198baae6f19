"""RSS 0.9x/1.0/2.0 and Atom files → one Article per entry, via feedparser."""

from __future__ import annotations

import calendar
import re
import time
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING

from digest.diagnostics import Diagnostic

from .bylines import is_credit
from .common import ZONE_HOURS, Article, ImportFailure, dedupe_tags, derived_title_warning, one_line
from .detect import root_element
from .markdown_out import WEB_SCHEMES, html_to_markdown, html_to_text, safe_url
from .registry import register

if TYPE_CHECKING:
    import feedparser

_FEED_ROOTS = {b"rss", b"feed", b"rdf:rdf", b"rdf", b"channel"}
_FEED_EXTENSIONS = (".rss", ".atom", ".xml", ".rdf")


def looks_like_feed(path: Path, data: bytes) -> bool:
    """An RSS or Atom root element, or a feed extension and a feed element near the top."""
    if root_element(data) in _FEED_ROOTS:
        return True
    return path.suffix.lower() in _FEED_EXTENSIONS and bool(re.search(rb"<(?:rss|feed|rdf:RDF)[\s>]", data[:8192], re.IGNORECASE))


def parse_feed(data: bytes, origin: str) -> tuple[list[Article], list[Diagnostic]]:
    """All readable entries of a feed, plus feed-level warnings.

    Raises ImportFailure when feedparser can read nothing usable: the whole feed is then
    reported as an error and nothing is written.
    """
    # A blank line or BOM before <?xml ...?> makes strict parsers give up on the whole file.
    # feedparser's own sanitiser is not needed: no markup is kept (see markdown_out), and
    # relative links are resolved there against the entry's link.
    import feedparser  # loaded on first use: reading the format names must stay cheap

    parsed = feedparser.parse(data.lstrip(b"\xef\xbb\xbf \t\r\n"), sanitize_html=False, resolve_relative_uris=False)
    warnings: list[Diagnostic] = []
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    entries = list(parsed.entries)
    if problem is not None and not entries:
        raise ImportFailure(f"cannot read feed: {_describe(problem)}")
    if problem is not None:
        warnings.append(Diagnostic(origin, 0, "warning", f"malformed feed, imported what could be read: {_describe(problem)}"))
    if not entries:
        if not parsed.get("version") and not parsed.feed:
            raise ImportFailure("not a feed: no RSS or Atom elements found")
        warnings.append(Diagnostic(origin, 0, "warning", "feed has no entries"))
        return [], warnings

    feed_title = html_to_text(parsed.feed.get("title", ""))
    feed_link = safe_url(parsed.feed.get("link", ""))
    articles = []
    for n, entry in enumerate(entries, start=1):
        where = f"{origin} entry {n}"
        art = _entry_article(entry, where, feed_title, feed_link)
        if art is None:
            warnings.append(Diagnostic(origin, 0, "warning", f"entry {n} has no title, text or link; skipped"))
            continue
        articles.append(art)
    if not articles:
        raise ImportFailure("no entry with a title, text or link could be read")
    return articles, warnings


def _describe(exc: BaseException) -> str:
    text = (str(exc).strip() or type(exc).__name__).splitlines()[0]
    # SAX says "<unknown>:9:0: unbound prefix"; the file name is already on the line.
    m = re.match(r"<unknown>:(\d+):\d+: (.*)", text)
    return f"line {m.group(1)}: {m.group(2)}" if m else text


def _entry_article(entry: feedparser.FeedParserDict, where: str, feed_title: str, feed_link: str) -> Article | None:
    art = Article(origin=where)
    link = safe_url(entry.get("link", ""), feed_link, schemes=WEB_SCHEMES)
    html_body = _best_content(entry)
    summary_html = entry.get("summary", "") or ""
    title = html_to_text(entry.get("title", ""))
    body = html_to_markdown(html_body, base_url=link) if html_body else ""
    if not title and not body and not link:
        return None
    if not title and body:
        title = _first_words(html_to_text(html_body))
        art.draft = True
        art.warnings.append(Diagnostic(where, 0, "warning", derived_title_warning("entry has no title; title derived from its text")))
    elif not title:
        # Only a link survived: keep it rather than lose the entry, and say so.
        title = link
        art.draft = True
        art.warnings.append(Diagnostic(where, 0, "warning", derived_title_warning("entry has no title or text; its link is used as the title")))
    art.title = title
    art.source_url = link
    art.author, credit = _author(entry, feed_title)
    art.source = feed_title or credit
    art.date, art.updated = _dates(entry)
    art.tags = dedupe_tags([html_to_text(t.get("term") or t.get("label") or "") for t in entry.get("tags", []) or []])
    summary = html_to_text(summary_html)
    if summary and html_to_text(html_body) != summary:
        art.summary = summary if len(summary) <= 300 else summary[:299].rsplit(" ", 1)[0] + "…"
    if not body:
        body = html_to_markdown(summary_html, base_url=link) if summary_html else ""
        art.summary = ""
    art.body = body
    if not body:
        art.warnings.append(Diagnostic(where, 0, "warning", "entry has no text; only its title was imported"))
    return art


def _best_content(entry: feedparser.FeedParserDict) -> str:
    """content:encoded / atom:content when present (the full text), else the summary."""
    contents = entry.get("content") or []
    best = max((c.get("value", "") for c in contents), key=len, default="")
    return best or entry.get("summary", "") or ""


def _first_words(text: str, limit: int = 90) -> str:
    text = one_line(text)
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _author(entry: feedparser.FeedParserDict, feed_title: str) -> tuple[str, str]:
    """(the entry's authors, an agency credit given as its author)."""
    names = [one_line(a.get("name", "")) for a in entry.get("authors", []) or [] if a.get("name")]
    if not names and entry.get("author"):
        names = [one_line(entry["author"])]
    cleaned, credit = [], ""
    for name in names:
        # "jane@example.com (Jane Doe)" and "Jane Doe (noreply@example.com)" are RSS conventions.
        m = re.fullmatch(r"\S+@\S+\s*\((.+)\)", name)
        name = m.group(1) if m else re.sub(r"\s*\(\S+@\S+\)$", "", name)
        if "@" in name or not name:
            continue
        if is_credit(name, feed_title):
            credit = credit or name  # "Reuters" wrote nothing: it supplied the story
        elif name not in cleaned:
            cleaned.append(name)
    return ", ".join(cleaned), credit


def _dates(entry: feedparser.FeedParserDict) -> tuple[datetime | None, datetime | None]:
    published = _when(entry, "published")
    updated = _when(entry, "updated")
    if published is None:
        return updated, None
    # A naive time (no zone given) cannot be ordered against an aware one; keep both then.
    if updated is not None and (updated.tzinfo is None) == (published.tzinfo is None) and updated <= published:
        updated = None
    return published, updated


def _when(entry: feedparser.FeedParserDict, key: str) -> datetime | None:
    """The entry's own text, with the publisher's offset kept as written. A time whose zone
    is not stated (or not known) stays without one: the site's time zone applies to it, as
    to a date written by hand. Only text no parser reads falls back to feedparser's reading."""
    # dict.get, not entry.get: feedparser's own get() silently answers "updated" with the
    # published time (a deprecated fallback), which would hide a missing field.
    raw = (dict.get(entry, key) or "").strip()
    if raw:
        try:
            value = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError, OverflowError):
            value = None
        if value is not None:
            if value.tzinfo is None:
                # RFC 822 parsers know only the American zone names ("EEST" parses naive);
                # "-0000" is RFC 2822's "UTC, local zone unknown".
                zone = re.search(r"(?:\b([A-Z]{1,5})|(-0000))$", raw)
                if zone and zone.group(2):
                    value = value.replace(tzinfo=UTC)
                elif zone and zone.group(1) in ZONE_HOURS:
                    value = value.replace(tzinfo=timezone(timedelta(hours=ZONE_HOURS[zone.group(1)])))
            return value.replace(microsecond=0)
        try:
            return datetime.fromisoformat(raw).replace(microsecond=0)
        except ValueError:
            pass
    parsed: time.struct_time | None = dict.get(entry, f"{key}_parsed")
    if parsed:
        try:
            return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
        except (OverflowError, ValueError, OSError):
            return None
    return None


register("feed", looks_like_feed, parse_feed, priority=10)
