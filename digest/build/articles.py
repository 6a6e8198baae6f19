"""Content files -> (Article, RenderedArticle): parse and render each file once, remember the result.

Per-file work is a pure function of the file's bytes and the article settings (`process_file`), so
its result is kept under a key of both, in memory for the life of the process and on disk in one
packed file (`.cache/articles.pack`), and new work runs in a process pool when there is enough of it.

The pack is a stat index, like git's: a file whose size and modification time are what they were
when its entry was written is not even opened. An entry written less than RACY_NS after its file's
modification time proves nothing (a second save in the same clock tick keeps both), so such files
are re-read and hashed. The pack is append-only: a build appends the entries it changed and the
file is rewritten whole only when most of it is superseded.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import multiprocessing
import os
import pickle
import stat as stat_module
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from ..atomic import cache_folder, seal, unseal
from ..config import SiteConfig
from ..content import Article, load_article
from ..diagnostics import Diagnostic, Diagnostics
from ..fsguard import read_problem, read_regular_file
from ..limits import check_size
from ..markup import RenderedArticle, render_article
from ..markup.crosslinks import place_in_file
from .sources import code_fingerprint

# Settings read by content.py and markup/: the rest of site.yaml can't change an article's entry.
ARTICLE_SETTINGS = ("timezone", "markdown", "digest", "annotations")
PACK_FORMAT = "digest-articles-1"
RACY_NS = 2_000_000_000
# Below this many files to (re)process, a process pool costs more than it saves
# (measured: pool start-up and pickling ~0.15 s on 2 cores vs ~2 ms of Markdown per article).
PARALLEL_THRESHOLD = 150

Outcome = tuple[Article | None, RenderedArticle | None, list[Diagnostic]]
Progress = Callable[[str, int, int], None]


def process_file(rel_path: str, data: bytes, config: SiteConfig) -> Outcome:
    """All per-article work: a pure function of the file's bytes and the config."""
    article, diags = load_article(rel_path, data, config)
    if article is None:
        return None, None, diags
    rendered = render_article(article, config)
    if rendered.crossrefs:
        # Links in front-matter notes are placed on the line they are written on in the file.
        text = data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
        rendered = replace(rendered, crossrefs=place_in_file(rendered.crossrefs, text, article.body_line))
    return article, rendered, diags + list(rendered.diagnostics)


def _extension_versions(config: SiteConfig) -> str:
    """Versions of the packages that provide the configured Markdown extensions (Python-Markdown's
    own are covered by its version in code_fingerprint)."""
    registered = {ep.name: ep for ep in importlib.metadata.entry_points(group="markdown.extensions")}
    versions = []
    for name in config.markdown.extensions:
        entry = registered.get(name)
        dist = entry.dist.name if entry is not None and entry.dist is not None else name.split(".")[0].split(":")[0]
        if dist.lower() == "markdown":
            continue
        try:
            versions.append(f"{dist}={importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{dist}=?")
    return ",".join(versions)


def settings_key(config: SiteConfig) -> str:
    return hashlib.sha256(
        f"{code_fingerprint()}|{config.fingerprint(*ARTICLE_SETTINGS)}|{_extension_versions(config)}".encode()
    ).hexdigest()[:20]


def content_key(settings: str, rel_path: str, data: bytes) -> str:
    digest = hashlib.sha256(settings.encode())
    digest.update(rel_path.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(data)
    return digest.hexdigest()


@dataclass
class FileRecord:
    """What is known of one content file: its stat when read, its key, and the work done on it."""

    mtime_ns: int
    size: int
    key: str
    article: Article | None
    rendered: RenderedArticle | None
    diagnostics: list[Diagnostic]
    verified_ns: int  # when the file was last read (a racy entry is re-read)

    def matches(self, mtime_ns: int, size: int) -> bool:
        return self.mtime_ns == mtime_ns and self.size == size and self.verified_ns - mtime_ns >= RACY_NS


class ArticleStore:
    """The records of one site's content files, in memory and in the pack file."""

    def __init__(self, site_root: Path):
        self.root = site_root
        self.pack = site_root / ".cache" / "articles.pack"
        self.settings = ""
        self.records: dict[str, FileRecord] = {}
        self._pack_stat: tuple[int, int] | None = None  # of the pack as this process last saw it
        self._frames = 0  # frames in the pack file
        self._dirty: dict[str, FileRecord | None] = {}  # entries to append (None: file gone)

    def refresh(self, settings: str) -> None:
        """Load the pack if another process changed it since (or nothing is loaded yet)."""
        try:
            stat = self.pack.lstat()
            current: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            current = None
        if self.settings != settings:
            self.records, self._pack_stat = {}, None
            self.settings = settings
        if current is None or current == self._pack_stat:
            return
        records, frames = _read_pack(self.pack, settings)
        if records is None:  # another format, other settings or not ours: the next save rewrites it
            self._pack_stat = None
            return
        self.records, self._frames = records, frames
        self._pack_stat = current

    def put(self, rel: str, record: FileRecord) -> None:
        self.records[rel] = record
        self._dirty[rel] = record

    def forget(self, rels: Iterable[str]) -> None:
        """Read these files again next build even if size and time match: a watcher saw them change."""
        for rel in rels:
            self.records.pop(rel, None)

    def drop_missing(self, present: set[str]) -> None:
        for rel in [rel for rel in self.records if rel not in present]:
            del self.records[rel]
            self._dirty[rel] = None

    def save(self) -> None:
        """Append this build's changes to the pack (rewrite it whole when mostly superseded)."""
        if not self._dirty:
            return
        folder = cache_folder(self.root)
        try:
            if folder is None:
                return  # .cache is not a folder of the site: no cache
            rewrite = self._pack_stat is None or self._frames + len(self._dirty) > 2 * len(self.records) + 64
            if rewrite:
                fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
                with os.fdopen(fd, "wb") as handle:
                    _write_frame(handle, PACK_FORMAT + "|" + self.settings)
                    for rel, record in sorted(self.records.items()):
                        _write_frame(handle, (rel, record))
                os.replace(tmp, self.pack)
                self._frames = len(self.records)
            else:
                fd = os.open(self.pack, os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0))
                with os.fdopen(fd, "ab") as handle:
                    for rel, record in self._dirty.items():
                        _write_frame(handle, (rel, record))
                self._frames += len(self._dirty)
            stat = self.pack.lstat()
            self._pack_stat = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            return  # a read-only or full disk only costs speed
        finally:
            self._dirty = {}


# A frame is its length (4 bytes, big-endian) and the sealed pickle: a pack this user did not write,
# or a frame cut short by a crash, is never unpickled.
def _write_frame(handle: BinaryIO, value: object) -> None:
    blob = seal(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    handle.write(len(blob).to_bytes(4, "big") + blob)


def _read_frames(handle: BinaryIO) -> Iterator[object]:
    while len(size := handle.read(4)) == 4:
        data = unseal(handle.read(int.from_bytes(size, "big")))
        if data is None:
            return
        yield pickle.loads(data)


def _read_pack(path: Path, settings: str) -> tuple[dict[str, FileRecord] | None, int]:
    records: dict[str, FileRecord] = {}
    frames = 0
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat_module.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return None, 0
            frame_iter = _read_frames(handle)
            if next(frame_iter, None) != PACK_FORMAT + "|" + settings:
                return None, 0
            for rel, record in frame_iter:  # type: ignore[misc]
                frames += 1
                if record is None:
                    records.pop(rel, None)
                else:
                    records[rel] = record
    except Exception:  # noqa: BLE001 - a damaged pack (a crash mid-append) keeps what was read before it
        return records, frames
    return records, frames


@dataclass
class LoadStats:
    files: int = 0
    unopened: int = 0  # size and time as recorded: not even read
    unchanged: int = 0  # read and hashed: the same bytes as recorded
    processed: int = 0  # parsed and rendered


def load_articles(config: SiteConfig, files: list[tuple[str, Path]], store: ArticleStore, diags: Diagnostics,
                  jobs: int, progress: Progress, stats: LoadStats | None = None) -> list[FileRecord]:
    """A record per content file, in file order; every file's diagnostics go to `diags`."""
    stats = stats if stats is not None else LoadStats()
    settings = settings_key(config)
    store.refresh(settings)
    todo: list[tuple[str, bytes, str, int, int, int]] = []
    present: set[str] = set()
    for rel, path in files:
        try:
            stat = path.stat()
        except OSError:
            continue  # deleted while we were listing
        too_big = check_size(rel, stat.st_size, config)  # from stat: an oversized file is never read
        if too_big is not None:
            diags.extend([too_big])
            continue
        present.add(rel)
        record = store.records.get(rel)
        if record is not None and record.matches(stat.st_mtime_ns, stat.st_size):
            stats.unopened += 1
            continue
        read_at = time.time_ns()
        try:
            data = read_regular_file(path)  # never blocks: a file swapped for a FIFO is refused
        except OSError as exc:
            diags.error(rel, 0, read_problem(exc))
            present.discard(rel)
            continue
        key = content_key(settings, rel, data)
        if record is not None and record.key == key:
            stats.unchanged += 1
            store.put(rel, replace(record, mtime_ns=stat.st_mtime_ns, size=stat.st_size, verified_ns=read_at))
        else:
            todo.append((rel, data, key, stat.st_mtime_ns, stat.st_size, read_at))
    stats.files, stats.processed = len(present), len(todo)
    outcomes = _run(config, [(rel, data) for rel, data, *_ in todo], jobs, progress)
    for (rel, _, key, mtime, size, read_at), (article, rendered, problems) in zip(todo, outcomes):
        store.put(rel, FileRecord(mtime, size, key, article, rendered, problems, read_at))
    store.drop_missing(present)
    ordered = [store.records[rel] for rel, _ in files if rel in present]
    for record in ordered:
        diags.extend(record.diagnostics)
    return ordered


def _run(config: SiteConfig, jobs: list[tuple[str, bytes]], workers: int, progress: Progress) -> list[Outcome]:
    if len(jobs) < PARALLEL_THRESHOLD or workers < 2:
        outcomes = []
        for done, (rel, data) in enumerate(jobs, 1):
            outcomes.append(process_file(rel, data, config))
            progress("articles", done, len(jobs))
        return outcomes
    # fork: workers start in milliseconds and inherit imported modules. The config travels with
    # each chunk of jobs (pickled once per chunk: pickle's memo shares it between the chunk's items).
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        chunk = max(1, min(64, len(jobs) // (workers * 8)))
        outcomes = []
        tasks = [(rel, data, config) for rel, data in jobs]
        for done, outcome in enumerate(pool.map(_process_job, tasks, chunksize=chunk), 1):
            outcomes.append(outcome)
            progress("articles", done, len(jobs))
        return outcomes


def _process_job(job: tuple[str, bytes, SiteConfig]) -> Outcome:
    return process_file(*job)
