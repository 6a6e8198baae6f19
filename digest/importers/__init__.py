"""`import`: turn scraped text, saved pages and feeds into content files.

One source at a time: read → detect format → parse into Articles → place each one
(unchanged / skipped / new file with a free slug) → write atomically. A failing source is
reported and the rest go on; the exit status says whether any failed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from digest.diagnostics import Diagnostic
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
)
from .detect import FORMATS, detect_format

__all__ = ["FORMATS", "run_import"]


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
    if fmt != "auto" and fmt not in FORMATS:
        out(f"error: unknown format {fmt!r} (choose auto, {', '.join(FORMATS)})")
        return 1
    content_dir = Path(site_dir) / "content"
    placer = _Placer(content_dir, Path(site_dir), force, dry_run, out)
    tags = [t for t in extra_tags if t.strip()]
    for source in sources:
        source = Path(source)
        if not source.exists():
            placer.error(str(source), "no such file or folder")
            continue
        for path, explicit in _expand(source):
            _import_file(path, explicit, fmt, tags, placer)
    counts = placer.counts
    parts = [f"{counts['new']} new"]
    if counts["replaced"]:
        parts.append(f"{counts['replaced']} replaced")
    parts += [f"{counts['unchanged']} unchanged", f"{counts['skipped']} skipped"]
    errors = counts["error"]
    parts.append(f"{errors} error" + ("" if errors == 1 else "s"))
    out(("dry run, nothing written: would import " if dry_run else "imported ") + ", ".join(parts))
    return 1 if errors else 0


def _expand(source: Path) -> Iterator[tuple[Path, bool]]:
    """Files to import; a folder is walked recursively in a stable order, hidden entries skipped."""
    if source.is_file():
        yield source, True
        return
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source).parts
        if path.is_file() and not any(p.startswith((".", "~")) for p in rel):
            yield path, False


def _import_file(path: Path, explicit: bool, fmt: str, tags: list[str], placer: _Placer) -> None:
    shown = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        placer.error(shown, f"cannot read: {exc.strerror or exc}")
        return
    kind = fmt if fmt != "auto" else detect_format(path, data)
    if kind is None:
        if explicit:
            placer.error(shown, "not an article (empty, binary or JSON data)")
        return  # metadata files met while walking a folder are not sources
    try:
        articles, warnings = _parse(kind, data, shown)
    except ImportFailure as exc:
        placer.error(shown, str(exc))
        return
    except Exception as exc:  # noqa: BLE001 - a parser bug must not stop the other sources
        placer.error(shown, f"{kind} importer failed: {type(exc).__name__}: {exc}")
        return
    for w in warnings:
        placer.out(w.format())
    fallback_day = _file_day(path)
    for art in articles:
        if art.date is None:
            # The engine requires a date; the file's own date is the best guess we have, and
            # it stays the same on re-import (today's date would not).
            art.date = fallback_day
            art.warnings.append(
                Diagnostic(art.origin or shown, 0, "warning", f"no publication date found; date set to the file's date {fallback_day}; correct it")
            )
        for w in art.warnings:
            placer.out(w.format())
        if tags:
            art.tags = dedupe_tags(art.tags + tags)
        placer.place(art, shown)


def _file_day(path: Path) -> date:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).date()
    except OSError:
        return datetime.now(tz=UTC).date()


def _parse(kind: str, data: bytes, shown: str) -> tuple[list[Article], list[Diagnostic]]:
    # Imported lazily: trafilatura takes a noticeable moment to load and text imports never need it.
    if kind == "feed":
        from .feeds import parse_feed

        return parse_feed(data, shown)
    if kind == "html":
        from .html import parse_html

        return [parse_html(data, shown)], []
    from .text import parse_text

    text, warnings = _decode_text(data, shown)
    return [parse_text(text, shown)], warnings


def _decode_text(data: bytes, shown: str) -> tuple[str, list[Diagnostic]]:
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        note = Diagnostic(shown, 0, "warning", f"not UTF-8 ({exc.reason} at byte {exc.start}); read as Windows-1252")
        return data.decode("cp1252", errors="replace"), [note]


@dataclass
class _Existing:
    """What identifies the articles already in content/: by hash, by source URL, by (title, date)."""

    hashes: dict[str, Path] = field(default_factory=dict)
    urls: dict[str, Path] = field(default_factory=dict)
    keys: dict[tuple[str, str], Path] = field(default_factory=dict)
    taken: set[str] = field(default_factory=set)  # slugs (file stems) in use
    # Term URL slug -> the spelling the site already uses, per taxonomy-like field: the engine
    # refuses two spellings that share a URL ("US news" in one file, "us-news" in another).
    spellings: dict[str, dict[str, str]] = field(default_factory=lambda: {"tags": {}, "section": {}})

    @classmethod
    def scan(cls, content_dir: Path) -> _Existing:
        found = cls()
        if not content_dir.is_dir():
            return found
        for path in sorted(content_dir.rglob("*.md")):
            found.taken.add(path.stem)
            meta = read_front_matter(path)
            found.learn_terms(meta.get("tags"), meta.get("section"))
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

    def error(self, shown: str, message: str) -> None:
        self.counts["error"] += 1
        self.out(f"error {shown}: {message}")

    def shown(self, path: Path) -> str:
        try:
            return path.relative_to(self.site_dir).as_posix()
        except ValueError:
            return str(path)

    def place(self, art: Article, source_shown: str) -> None:
        self.existing.canonical_terms(art)
        text, digest = render_file(art)
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
            self._write(same, text, art, digest, "replaced", source_shown)
            return
        base = base_slug(art.title)
        slug, n = base, 1
        while slug in self.existing.taken:
            n += 1
            slug = numbered_slug(base, n)
        self._write(self.content_dir / f"{slug}.md", text, art, digest, "new", source_shown)

    def _write(self, path: Path, text: str, art: Article, digest: str, kind: str, source_shown: str) -> None:
        if not self.dry_run:
            try:
                atomic_write(path, text)
            except OSError as exc:
                self.error(source_shown, f"cannot write {self.shown(path)}: {exc.strerror or exc}")
                return
        self.existing.remember(path, digest, art.source_url, art.title, art.date)
        self.existing.learn_terms(art.tags, art.section)
        self._report(kind, path)
        if self.dry_run:
            self.out("\n".join("    " + line if line else "" for line in text.rstrip("\n").split("\n")))

    def _report(self, kind: str, path: Path) -> None:
        self.counts[kind] += 1
        self.out(f"{kind} {self.shown(path)}")
