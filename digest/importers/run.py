"""`import`: every SOURCE → read → detect its format → parse into Articles → place each one.

Parsing comes first for all sources, placing second, so that a related headline can be
matched against every story the digest will hold, those imported in the same run included.
Placing decides: unchanged / skipped / a new file with a free slug, and checks that the build
can read the file (the engine's own content stage reads it) before writing it atomically. A
failing source is reported as `PATH: error: …` and the rest go on; the exit status says
whether any failed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from digest.content import load_article
from digest.diagnostics import Diagnostic
from digest.site import normalize_headline
from digest.slugs import slugify

from .common import (
    HASH_KEY,
    Article,
    ImportFailure,
    atomic_write,
    base_slug,
    dedupe_tags,
    numbered_slug,
    read_front_matter,
    render_file,
    strip_controls,
)
from .detect import refuse_reason
from .registry import IMPORTERS, detect_format, formats
from .sources import Found, SourceProblem, display, expand, name_is_utf8, read_source

# Taxonomy values become a path segment (file names stop at 255 bytes); longer than this is
# no tag, section or source name but text a scraper picked up.
MAX_TERM_SLUG = 120
# Files met while walking a folder that belong to saved pages, never articles themselves.
_ASSET_EXTENSIONS = frozenset(
    [".js", ".mjs", ".css", ".map", ".json", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".svg", ".ico",
     ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp3", ".mp4", ".webm", ".pdf", ".zip", ".gz"]
)
_TERMINAL_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Dates whose wall-clock time lies this far inside Python's range convert to any time zone.
_EARLIEST = datetime(1, 1, 3)
_LATEST = datetime(9999, 12, 29, 23, 59, 59)


def run_import(
    sources: list[Path],
    site_dir: Path,
    fmt: str = "auto",
    extra_tags: Iterable[str] = (),
    force: bool = False,
    dry_run: bool = False,
    out: Callable[[str], None] = print,
) -> int:
    """Import every source into site_dir/content/; print one line per article and a summary.

    Returns 0 when every source imported (warnings allowed), 1 when any failed.
    """
    if fmt != "auto" and fmt not in formats():
        out(f"error: unknown format {fmt!r} (choose auto, {', '.join(formats())})")
        return 1
    site_dir = Path(site_dir)
    out = _printable(out)
    placer = _Placer(site_dir / "content", site_dir, force, dry_run, out)
    tags = [t for t in extra_tags if t.strip()]
    batches = [_read(found, fmt, tags) for source in sources for found in expand(Path(source))]
    placer.existing.headlines |= {normalize_headline(a.title) for b in batches for a in b.articles if not a.draft}
    for batch in batches:
        for line in batch.messages:
            out(line)
        if batch.error:
            placer.error(batch.shown, batch.error)
        for art in batch.articles:
            for warning in art.warnings:
                out(warning.format())
            placer.place(art, batch.shown)
    return placer.summary()


def _printable(out: Callable[[str], None]) -> Callable[[str], None]:
    """Print through this: a parser's message may quote input, and input may hold control
    characters that would rewrite the terminal, or text no terminal encoding can show."""

    def emit(line: str) -> None:
        line = line.encode("utf-8", "backslashreplace").decode("utf-8")
        out(_TERMINAL_CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", line))

    return emit


@dataclass
class _Batch:
    """What one file gave: its messages, and either articles or the error that stopped it."""

    shown: str
    messages: list[str] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)
    error: str = ""


def _read(found: Found, fmt: str, tags: list[str]) -> _Batch:
    shown = display(found.path)
    batch = _Batch(shown)
    if found.problem:
        if found.level == "error":
            batch.error = found.problem
        else:
            batch.messages.append(Diagnostic(shown, 0, "warning", found.problem).format())
        return batch
    if not found.explicit and found.path.suffix.lower() in _ASSET_EXTENSIONS:
        return batch
    if not name_is_utf8(found.path):
        batch.messages.append(Diagnostic(shown, 0, "warning", "file name is not valid UTF-8 (shown with \\x escapes)").format())
    try:
        data = read_source(found.path)
    except SourceProblem as exc:
        batch.error = str(exc)
        return batch
    kind = fmt if fmt != "auto" else detect_format(found.path, data)
    if kind is None:
        reason = refuse_reason(data) or "markup that is neither a feed nor a web page"
        if found.explicit:
            batch.error = f"not an article ({reason})"
        elif reason != "JSON data":  # JSON beside an article is its metadata: not worth a line
            batch.messages.append(Diagnostic(shown, 0, "warning", f"not an article ({reason}); skipped").format())
        return batch
    try:
        articles, warnings = IMPORTERS[kind].parse(data, shown)
    except ImportFailure as exc:
        batch.error = str(exc)
        return batch
    except Exception as exc:  # noqa: BLE001 - a parser bug must not stop the other sources
        batch.error = f"{kind} importer failed: {type(exc).__name__}: {exc}"
        return batch
    batch.messages += [w.format() for w in warnings]
    fallback_day = _file_day(found.path)
    for art in articles:
        if art.date is None:
            # The engine requires a date; the file's own date is the best guess we have, and
            # it stays the same on re-import (today's date would not).
            art.date = fallback_day
            art.warnings.append(
                Diagnostic(art.origin or shown, 0, "warning", f"no publication date found; date set to the file's date {fallback_day}; correct it")
            )
        if tags:
            art.tags = dedupe_tags(art.tags + tags)
    batch.articles = articles
    return batch


def _file_day(path: Path) -> date:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).date()
    except (OSError, OverflowError, ValueError):
        return datetime.now(tz=UTC).date()


def unrepresentable_date(value: date | datetime | None) -> bool:
    """Too close to year 1 or 9999 to be converted into every time zone the site may use."""
    if value is None:
        return False
    wall = value.replace(tzinfo=None) if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    return not _EARLIEST <= wall <= _LATEST


def buildable_problem(text: str, site_dir: Path) -> str | None:
    """Why the build could not read this content file, asked of the build's own content stage."""
    from digest.config import SiteConfig

    try:
        article, diagnostics = load_article("content/imported.md", text.encode("utf-8"), SiteConfig(root=site_dir))
    except Exception as exc:  # noqa: BLE001 - whatever the build would trip over, we must not write
        return f"{type(exc).__name__}: {exc}"
    errors = [d.message for d in diagnostics if d.level == "error"]
    if errors or article is None:
        return errors[0] if errors else "unreadable"
    return None


@dataclass
class _Existing:
    """What identifies the articles already in content/: by hash, by source URL, by (title, date)."""

    hashes: dict[str, Path] = field(default_factory=dict)
    urls: dict[str, Path] = field(default_factory=dict)
    keys: dict[tuple[str, str], Path] = field(default_factory=dict)
    taken: set[str] = field(default_factory=set)  # slugs (file stems) in use
    headlines: set[str] = field(default_factory=set)  # normalised titles of published stories
    # Term URL slug -> the spelling the site already uses, per taxonomy-like field: the engine
    # refuses two spellings that share a URL ("US news" in one file, "us-news" in another).
    spellings: dict[str, dict[str, str]] = field(default_factory=lambda: {"tags": {}, "section": {}})

    @classmethod
    def scan(cls, content_dir: Path) -> _Existing:
        found = cls()
        for path in _content_files(content_dir):
            found.taken.add(path.stem)
            meta = read_front_matter(path)
            found.learn_terms(meta.get("tags"), meta.get("section"))
            title = meta.get("title")
            if isinstance(title, str) and meta.get("draft") is not True:
                found.headlines.add(normalize_headline(title))
            digest = meta.get(HASH_KEY)
            if not isinstance(digest, str):
                continue  # written by hand: never matched, so never replaced
            found.remember(path, digest, str(meta.get("source_url") or ""), str(meta.get("title") or ""), meta.get("date"))
        return found

    def learn_terms(self, tags: object, section: object) -> None:
        if isinstance(tags, str):
            tags = tags.split(",")
        for tag in tags if isinstance(tags, list) else []:
            if isinstance(tag, str) and slugify(tag):
                self.spellings["tags"].setdefault(slugify(tag), " ".join(tag.split()))
        if isinstance(section, str) and slugify(section):
            self.spellings["section"].setdefault(slugify(section), " ".join(section.split()))

    def canonical_terms(self, art: Article) -> None:
        """Spell tags and section the way the site already does."""
        known = self.spellings["tags"]
        art.tags = dedupe_tags([known.get(slugify(t), t) for t in art.tags])
        if art.section:
            art.section = self.spellings["section"].get(slugify(art.section), art.section)

    def remember(self, path: Path, digest: str, url: str, title: str, when: object) -> None:
        self.taken.add(path.stem)
        self.hashes.setdefault(digest, path)
        if url:
            self.urls.setdefault(url, path)
        if not url:
            # Only for articles without a URL: feeds often repeat a title ("Daily briefing")
            # for different stories, which their links tell apart.
            self.keys.setdefault(_identity(title, when), path)


def _content_files(content_dir: Path) -> list[Path]:
    """content/**/*.md, without following links to folders (a loop must not hang the scan)."""
    if not content_dir.is_dir():
        return []
    found = []
    for folder, dirs, files in os.walk(content_dir):
        dirs.sort()
        found += [Path(folder, name) for name in files if name.endswith(".md")]
    return sorted(found)


def _identity(title: str, when: object) -> tuple[str, str]:
    if isinstance(when, (datetime, date)):
        when = when.isoformat()[:10]
    return " ".join(title.split()).casefold(), str(when or "")[:10]


class _Placer:
    """Decides where each article goes and writes it; keeps the counts for the summary."""

    def __init__(self, content_dir: Path, site_dir: Path, force: bool, dry_run: bool, out: Callable[[str], None]):
        self.content_dir, self.site_dir = content_dir, site_dir
        self.force, self.dry_run, self.out = force, dry_run, out
        self.existing = _Existing.scan(content_dir)
        self.counts = {"new": 0, "replaced": 0, "unchanged": 0, "skipped": 0, "error": 0}
        self.drafts = {"new": 0, "replaced": 0}

    def error(self, shown: str, message: str) -> None:
        self.counts["error"] += 1
        self.out(f"{shown}: error: {message}")

    def warn(self, shown: str, message: str) -> None:
        self.out(Diagnostic(shown, 0, "warning", message).format())

    def shown(self, path: Path) -> str:
        try:
            return display(path.relative_to(self.site_dir).as_posix())
        except ValueError:
            return display(path)

    def summary(self) -> int:
        counts, drafts = self.counts, self.drafts
        parts = [f"{counts['new']} new" + _drafts_note(drafts["new"])]
        if counts["replaced"]:
            parts.append(f"{counts['replaced']} replaced" + _drafts_note(drafts["replaced"]))
        parts += [f"{counts['unchanged']} unchanged", f"{counts['skipped']} skipped"]
        errors = counts["error"]
        parts.append(f"{errors} error" + ("" if errors == 1 else "s"))
        self.out(("dry run, nothing written: would import " if self.dry_run else "imported ") + ", ".join(parts))
        return 1 if errors else 0

    def finish(self, art: Article) -> None:
        """The last edits before an article becomes a file: spellings the site uses, related
        headlines the digest lacks moved to `elsewhere`, no control characters, no term too
        long for a file name."""
        shown = art.origin
        for name in ("title", "body", "source", "source_url", "author", "section", "dateline", "summary"):
            setattr(art, name, strip_controls(getattr(art, name)))
        art.tags, art.related = strip_controls(art.tags), strip_controls(art.related)
        for name in ("source", "section", "author"):
            if len(slugify(getattr(art, name))) > MAX_TERM_SLUG:
                self.warn(shown, f"`{name}` is too long to be a name ({len(getattr(art, name))} characters); left out")
                setattr(art, name, "")
        long_tags = [t for t in art.tags if len(slugify(t)) > MAX_TERM_SLUG]
        if long_tags:
            self.warn(shown, f"{len(long_tags)} tag(s) too long to be a tag left out")
            art.tags = [t for t in art.tags if t not in long_tags]
        self.existing.canonical_terms(art)
        related, elsewhere = [], list(art.elsewhere)
        for entry in art.related:
            known = not isinstance(entry, str) or entry in self.existing.taken or normalize_headline(entry) in self.existing.headlines
            (related if known else elsewhere).append(entry)
        art.related, art.elsewhere = related, elsewhere

    def place(self, art: Article, source_shown: str) -> None:
        where = art.origin or source_shown
        self.finish(art)
        for name in ("date", "updated"):
            if unrepresentable_date(getattr(art, name)):
                self.error(where, f"`{name}` {getattr(art, name).isoformat()} is too close to year 1 or 9999 for the site to show; not imported")
                return
        text, digest = render_file(art)
        problem = buildable_problem(text, self.site_dir)
        if problem:
            self.error(where, f"the build could not read the result ({problem}); not imported")
            return
        if digest in self.existing.hashes:
            self._report("unchanged", self.existing.hashes[digest])
            return
        if art.source_url:
            same = self.existing.urls.get(art.source_url)
        else:
            same = self.existing.keys.get(_identity(art.title, art.date))
        if same is not None:
            if not self.force:
                self.counts["skipped"] += 1
                self.out(f"skipped {self.shown(same)} (exists; use --force)")
                return
            self._write(same, text, art, digest, "replaced", where)
            return
        base = base_slug(art.title)
        slug, n = base, 1
        while slug in self.existing.taken:
            n += 1
            slug = numbered_slug(base, n)
        self._write(self.content_dir / f"{slug}.md", text, art, digest, "new", where)

    def _write(self, path: Path, text: str, art: Article, digest: str, kind: str, where: str) -> None:
        if not self.dry_run:
            try:
                atomic_write(path, text)
            except OSError as exc:
                self.error(where, f"cannot write {self.shown(path)}: {exc.strerror or exc}")
                return
        self.existing.remember(path, digest, art.source_url, art.title, art.date)
        self.existing.learn_terms(art.tags, art.section)
        if art.draft:
            self.drafts[kind] += 1
        self._report(kind, path)
        if self.dry_run:
            self.out("\n".join("    " + line if line else "" for line in text.rstrip("\n").split("\n")))

    def _report(self, kind: str, path: Path) -> None:
        self.counts[kind] += 1
        self.out(f"{kind} {self.shown(path)}")


def _drafts_note(count: int) -> str:
    if not count:
        return ""
    return f" ({count} marked draft: derived title{'' if count == 1 else 's'} to rewrite)"
