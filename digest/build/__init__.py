"""The build, as a list of stages: config -> sources -> articles -> site graph -> pages -> output.

Each stage is a function in its own module with explicit inputs and outputs; this module only
calls them in order and turns their results into a BuildResult. A long-lived process (serve)
passes the same ProcessCache to every build, so unchanged files are not parsed again and
unchanged pages are not rendered again.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from ..atomic import cache_folder, load_pickle, save_pickle
from ..config import load_config
from ..diagnostics import Diagnostic, Diagnostics
from ..incremental import (
    BuildState,
    LastBuild,
    input_digest,
    load_last_build,
    load_state,
    nothing_changed,
    save_last_build,
    save_state,
    state_file,
)
from ..output import MANIFEST, check_output_paths
from ..render import TemplateCodeCache
from ..search import find_indexer, search_identity
from ..site import RelatedMemo, Site, build_site
from .articles import ArticleStore, LoadStats, load_articles
from .pages import write_output
from .process import PROCESS, ProcessCache
from .sources import code_fingerprint, list_sources

Progress = Callable[[str, int, int], None]
T = TypeVar("T")


@dataclass(frozen=True)
class BuildOptions:
    site: Path = Path(".")
    out: Path | None = None
    base_url: str | None = None
    drafts: bool = False
    strict: bool = False
    search: bool = True  # make the search index when Pagefind is installed (serve leaves it off)

    @property
    def out_dir(self) -> Path:
        return self.out if self.out is not None else self.site / "public"


@dataclass(repr=False)  # its site graph is large and cyclic: never dump it in a traceback
class BuildResult:
    diagnostics: list[Diagnostic]
    site: Site | None = None
    elapsed: float = 0.0
    written: int = 0
    removed: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage, for bench/
    out: str = "public/"
    rendered: list[str] = field(default_factory=list)  # output files rendered (not skipped) by this build
    loaded: LoadStats = field(default_factory=LoadStats)  # how each content file was read (or not)
    search: bool = False  # a search index was made (or kept)

    @property
    def ok(self) -> bool:
        return not any(d.level == "error" for d in self.diagnostics)

    def summary(self) -> str:
        warnings = sum(1 for d in self.diagnostics if d.level == "warning")
        errors = len(self.diagnostics) - warnings
        if not self.ok:
            return f"build failed: {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}; {self.out} left unchanged"
        c = self.counts
        return (f"built {_n(c['articles'], 'article')}, {_n(c['term_pages'], 'tag page')}, "
                f"{_n(c['editions'], 'edition')} in {self.elapsed:.2f}s ({_n(warnings, 'warning')})")


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


def build(options: BuildOptions, *, jobs: int | None = None, progress: Progress | None = None,
          cache: ProcessCache = PROCESS) -> BuildResult:
    # The build allocates millions of small, mostly acyclic objects; the cyclic collector's
    # repeated passes over them cost ~25% of a rebuild. Cycles are collected after.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _build(options, jobs or os.cpu_count() or 1, progress or (lambda stage, done, total: None), cache)
    finally:
        if paused:
            gc.enable()


def _build(options: BuildOptions, jobs: int, progress: Progress, cache: ProcessCache) -> BuildResult:
    started = clock = time.perf_counter()
    out_dir = options.out_dir
    result = BuildResult(diagnostics=[], out=f"{out_dir}/")
    diags = Diagnostics()

    def stage(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        result.timings[name], clock = now - clock, now

    config = load_config(options.site, diags, options.base_url)
    if config is None:
        return _failed(result, diags)
    if not config.content_dir.is_dir():
        diags.error("content", 0, f"no content/ folder in {config.root.resolve()}")

    sources = list_sources(config, diags)
    indexer = find_indexer() if options.search else None
    result.search = indexer is not None
    inputs = input_digest(code_fingerprint() + search_identity(indexer), options, sources.snapshot(options.site / "site.yaml"))
    state_path = state_file(config.root, out_dir)
    last_path = state_path.with_suffix(".last") if state_path is not None else None
    last = load_last_build(last_path)
    if not diags.errors and nothing_changed(last, inputs, out_dir / MANIFEST):
        assert last is not None
        result.diagnostics, result.counts = list(last.diagnostics), dict(last.counts, rendered=0)
        result.elapsed = time.perf_counter() - started
        return result
    stage("sources")

    store = cache.for_site("articles", config.root, lambda: ArticleStore(config.root))
    records = load_articles(config, sources.content, store, diags, jobs, progress, result.loaded)
    stage("articles")

    entries = [(r.article, r.rendered, r.key) for r in records
               if r.article is not None and r.rendered is not None and (options.drafts or not r.article.draft)]
    cache_dir = cache_folder(config.root)
    related_path = cache_dir / "related.pickle" if cache_dir is not None else None
    related = cache.for_site("related", config.root, lambda: _loaded(related_path, RelatedMemo))
    site = build_site(config, entries, diags, related, search=indexer is not None)
    check_output_paths(site, out_dir, diags)
    if not site.has_feeds:
        diags.warning("site.yaml", 0, "no base_url: feed.xml, the tag feeds, sitemap.xml and robots.txt are left out "
                                      "(they need absolute URLs; set base_url in site.yaml or pass --base-url)")
    if options.strict:
        diags.promote_warnings()
    stage("graph")
    if diags.errors:
        return _failed(result, diags)

    previous = cache.for_site("state:" + str(out_dir.resolve()), config.root, lambda: _StateSlot(state_path))
    compiled = cache.shared("templates", TemplateCodeCache)
    compiled.folder = cache_folder(config.root, "templates")
    written = write_output(site, sources.static, out_dir, previous.load(), code_fingerprint(), compiled, diags, jobs, progress,
                           indexer)
    stage("pages")
    if diags.errors:
        return _failed(result, diags)

    store.save()
    if related.changed:
        save_pickle(related_path, related)
        related.changed = False
    assert written.state is not None
    previous.save(written.state)
    result.diagnostics = diags.sorted()
    result.site, result.written, result.removed = site, written.written, written.removed
    result.rendered = sorted(written.rendered_paths)
    result.counts = {"articles": len(site.stories), "term_pages": sum(1 for p in site.pages if p.kind == "term"),
                     "editions": len(site.editions), "rendered": written.rendered}
    save_last_build(last_path, LastBuild.after(inputs, out_dir / MANIFEST, result.counts, result.diagnostics))
    stage("save")
    result.elapsed = time.perf_counter() - started
    return result


def _loaded(path: Path | None, kind: type[T]) -> T:
    found = load_pickle(path)
    return found if isinstance(found, kind) else kind()


def _failed(result: BuildResult, diags: Diagnostics) -> BuildResult:
    result.diagnostics = diags.sorted()
    return result


class _StateSlot:
    """The last build's state for one output folder: kept in memory by a long-lived process, and on
    disk for the next process. A state on disk newer than the one in memory (another process built
    into the same folder since) wins."""

    def __init__(self, path: Path | None):
        self.path = path  # None: no usable .cache folder, so memory only
        self.state: BuildState | None = None
        self.stamp: tuple[int, int] | None = None

    def _disk_stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.path.lstat() if self.path is not None else None
        except OSError:
            return None
        return None if stat is None else (stat.st_mtime_ns, stat.st_size)

    def load(self) -> BuildState | None:
        stamp = self._disk_stamp()
        if self.path is not None and (self.state is None or stamp != self.stamp):
            self.state, self.stamp = load_state(self.path), stamp
        return self.state

    def save(self, state: BuildState) -> None:
        save_state(self.path, state)
        self.state, self.stamp = state, self._disk_stamp()
