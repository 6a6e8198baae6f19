"""The build: config -> content -> markdown -> site graph -> render -> write."""

from __future__ import annotations

import gc
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from .cache import ArticleCache, article_key, article_settings_key
from .config import SiteConfig, load_config
from .content import Article, load_article
from .diagnostics import Diagnostic, Diagnostics
from .feeds import FeedJob, feed_jobs, render_feed
from .incremental import card_key, feed_fingerprint, global_key, graph_signature, page_fingerprint
from .limits import check_size
from .markup import RenderedArticle, render_article
from .markup.crosslinks import place_in_file
from .output import OutputError, StagedOutput
from .render import THEME_DIR, Renderer, TemplateProblem, template_dirs
from .site import Page, Site, build_site
from .sitemap import sitemap_files


@dataclass(frozen=True)
class BuildOptions:
    site: Path = Path(".")
    out: Path | None = None
    base_url: str | None = None
    drafts: bool = False
    strict: bool = False

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

    @property
    def ok(self) -> bool:
        return not any(d.level == "error" for d in self.diagnostics)

    def summary(self) -> str:
        warnings = sum(1 for d in self.diagnostics if d.level == "warning")
        errors = len(self.diagnostics) - warnings
        if not self.ok:
            return f"build failed: {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}; {self.counts.get('out', 'public/')} left unchanged"
        c = self.counts
        return (f"built {_n(c['articles'], 'article')}, {_n(c['term_pages'], 'tag page')}, "
                f"{_n(c['editions'], 'edition')} in {self.elapsed:.2f}s ({_n(warnings, 'warning')})")


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


def process_file(rel_path: str, data: bytes, config: SiteConfig) -> tuple[Article | None, RenderedArticle | None, list[Diagnostic]]:
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


def content_files(config: SiteConfig) -> list[tuple[str, Path]]:
    """Every `content/**/*.md` (hidden files and folders skipped), as (site-relative path, path)."""
    root = config.content_dir
    if not root.is_dir():
        return []
    found: list[str] = []
    # os.walk on strings: pathlib's sorting and str() dominated no-change rebuilds at 5,000 files.
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        rel_folder = os.path.relpath(folder, config.root).replace(os.sep, "/")
        found.extend(f"{rel_folder}/{name}" for name in files if name.endswith(".md") and not name.startswith("."))
    found.sort()
    return [(rel, config.root / rel) for rel in found]


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def static_files(config: SiteConfig) -> dict[str, Path]:
    """Theme assets under static/, overridable by the site's own templates/static and static/."""
    found: dict[str, Path] = {}
    for templates in reversed(template_dirs(config.root)):  # theme first, site overrides
        static = templates / "static"
        if static.is_dir():
            for f in sorted(static.rglob("*")):
                if f.is_file() and not _hidden(f, static):
                    found["static/" + f.relative_to(static).as_posix()] = f
    site_static = config.root / "static"
    if site_static.is_dir():
        for f in sorted(site_static.rglob("*")):
            if f.is_file() and not _hidden(f, site_static):
                found[f.relative_to(site_static).as_posix()] = f
    return found


# Below this many articles to (re)process, a process pool costs more than it saves
# (measured: pool start-up and pickling ~0.15 s on 2 cores vs ~2 ms of Markdown per article).
PARALLEL_THRESHOLD = 150


@dataclass
class _Memo:
    """What the last build in this process knew about one content file."""

    mtime_ns: int
    size: int
    settings_key: str
    key: str
    article: Article | None
    rendered: RenderedArticle | None
    diagnostics: list[Diagnostic]


@dataclass
class _LastBuild:
    """What an in-place edit (Builder._edit_in_place) needs from the last full build."""

    site: Site
    config_key: str
    base: str | None
    out_dir: Path
    keys: dict[str, str]  # content file -> cache key
    signatures: dict[str, str]  # content file -> graph_signature
    full_keys: dict[int, str]
    card_keys: dict[int, str]
    graph_diags: list[Diagnostic]
    article_pages: dict[str, Page]
    counts: dict[str, int]


_worker_config: SiteConfig | None = None


_worker_cache: ArticleCache | None = None


def _init_worker(config: SiteConfig) -> None:
    global _worker_config, _worker_cache
    _worker_config, _worker_cache = config, ArticleCache(config.root)


def _process_and_cache(job: tuple[str, bytes, str], config: SiteConfig, cache: ArticleCache):
    """Process one file and store the result; in workers, so cache writes overlap other work."""
    rel, data, key = job
    outcome = process_file(rel, data, config)
    cache.put(key, outcome)
    return outcome


def _process_in_worker(job: tuple[str, bytes, str]) -> tuple[Article | None, RenderedArticle | None, list[Diagnostic]]:
    assert _worker_config is not None and _worker_cache is not None
    return _process_and_cache(job, _worker_config, _worker_cache)


class Builder:
    """Builds a site, remembering per-file work between builds of the same process (serve).

    Layers, cheapest first: the in-memory memo (file unchanged since the last build in this
    process), the on-disk cache (same bytes and settings seen by an earlier process), then
    real work, in a process pool when there is enough of it.
    """

    def __init__(self, options: BuildOptions, jobs: int | None = None,
                 progress: Callable[[str, int, int], None] | None = None):
        self.options = options
        self.progress = progress or (lambda stage, done, total: None)
        self.jobs = jobs or os.cpu_count() or 1
        self._memo: dict[str, _Memo] = {}
        self._pruned = False
        self._replaced_keys: set[str] = set()
        self._last: _LastBuild | None = None
        self._write_state: tuple | None = None
        self.last_stats: dict[str, int] = {}

    def forget(self, rel_paths: Iterable[str]) -> None:
        """Redo these files next build even if mtime and size match: a watcher saw their bytes change
        (a second save within one timestamp tick can keep both)."""
        for rel in rel_paths:
            self._memo.pop(rel, None)

    def build(self) -> BuildResult:
        # The build allocates millions of small, mostly acyclic objects; the cyclic collector's
        # repeated passes over them cost ~25% of a rebuild. Cycles are collected after.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            return self._build()
        finally:
            if gc_was_enabled:
                gc.enable()

    def _build(self) -> BuildResult:
        options = self.options
        started = time.perf_counter()
        diags = Diagnostics()
        out_dir = options.out_dir
        result = BuildResult(diagnostics=[], counts={"out": f"{out_dir}/"})
        config = load_config(options.site, diags, options.base_url)
        if config is None:
            result.diagnostics = diags.sorted()
            return result
        if not config.content_dir.is_dir():
            diags.error("content", 0, f"no content/ folder in {config.root.resolve()}")

        timings = result.timings
        mark = time.perf_counter()
        processed = self._process_all(config, diags)
        timings["articles"], mark = time.perf_counter() - mark, time.perf_counter()
        fast = self._edit_in_place(config, processed, diags, result)
        if fast is not None:
            timings["pages"] = time.perf_counter() - mark
            return fast
        self._last = None
        file_diag_count = len(diags.items)
        entries = [(m.article, m.rendered) for m in processed
                   if m.article is not None and m.rendered is not None and (options.drafts or not m.article.draft)]
        site = build_site(config, entries, diags)
        timings["graph"], mark = time.perf_counter() - mark, time.perf_counter()
        if not site.has_feeds:
            diags.warning("site.yaml", 0, "no base_url: feed.xml, the tag feeds, sitemap.xml and robots.txt are left out "
                                          "(they need absolute URLs; set base_url in site.yaml or pass --base-url)")
        if options.strict:
            diags.promote_warnings()
        if diags.errors:
            result.diagnostics = diags.sorted()
            return result

        graph_diags = diags.items[file_diag_count:]
        content_keys = {m.article.slug: m.key for m in processed if m.article is not None}
        rendered_pages = self._write(config, site, content_keys, out_dir, diags, result)
        timings["pages"] = time.perf_counter() - mark
        result.diagnostics = diags.sorted()
        if not result.ok:
            return result
        cache = ArticleCache(config.root)
        if not self._pruned:
            cache.prune({m.key for m in processed})  # once per process: it lists the whole cache
            self._pruned = True
        else:
            cache.remove(self._replaced_keys - {m.key for m in processed})
        result.site = site
        result.elapsed = time.perf_counter() - started
        result.counts.update(
            articles=len(site.stories),
            term_pages=sum(1 for p in site.pages if p.kind == "term"),
            editions=len(site.editions),
            rendered=rendered_pages,
        )
        if self._write_state is not None and not options.strict:
            base, full_keys, card_keys = self._write_state
            self._last = _LastBuild(
                site=site, config_key=config.fingerprint(), base=base, out_dir=out_dir,
                keys={rel: m.key for rel, m in self._memo.items()},
                signatures={rel: graph_signature(m.article, m.rendered) for rel, m in self._memo.items()
                            if m.article is not None and m.rendered is not None},
                full_keys=full_keys, card_keys=card_keys, graph_diags=graph_diags,
                article_pages={p.deps.full[0].article.slug: p for p in site.pages
                               if p.kind == "article" and p.deps is not None and p.deps.full},
                counts=dict(result.counts),
            )
        return result

    def _edit_in_place(self, config: SiteConfig, processed: list[_Memo], diags: Diagnostics,
                       result: BuildResult) -> BuildResult | None:
        """The rebuild an editor waits for in `serve`: when the only changes are to article files
        and none changes anything another page shows (title, date, tags, summary, links...),
        the site graph stands; render just those articles' pages and the feeds that carry them.

        Returns None whenever that is not certain, and the full build runs instead.
        """
        last = self._last
        if last is None or last.out_dir != self.options.out_dir or last.config_key != config.fingerprint():
            return None
        if set(last.keys) != {rel for rel in self._memo}:
            return None  # files added or removed
        changed = [(rel, m) for rel, m in self._memo.items() if last.keys[rel] != m.key]
        if not changed or any(m.article is None or m.rendered is None or any(d.level == "error" for d in m.diagnostics)
                               for _, m in changed):
            return None
        if any(graph_signature(m.article, m.rendered) != last.signatures.get(rel) for rel, m in changed):
            return None
        if last.base is None or _overrides_templates(config.root) or \
                global_key(config, template_dirs(config.root), self.options.drafts) != last.base:
            return None
        site = last.site
        stories = []
        for _, memo in changed:
            story = site.by_slug.get(memo.article.slug)
            if story is None:  # a draft while drafts are hidden: no page shows it
                continue
            story.article, story.rendered = memo.article, memo.rendered
            last.full_keys[id(story)] = memo.key
            stories.append(story)
        try:
            staged = StagedOutput(self.options.out_dir)
        except OutputError:
            return None
        try:
            changed_ids = {id(s) for s in stories}
            items: list[Page | FeedJob] = [last.article_pages[s.article.slug] for s in stories]
            items += [job for job in feed_jobs(site) if any(id(s) in changed_ids for s in job.stories)]
            statics = static_files(config)
            items = [item for item in items if item.path not in statics]
            newest = site.stories[0] if site.stories else None
            todo = []
            for index, item in enumerate(items):
                fingerprint = (page_fingerprint(item, last.base, last.full_keys, last.card_keys) if isinstance(item, Page)
                               else feed_fingerprint(item, last.base, last.full_keys, last.card_keys, newest))
                todo.append((index, fingerprint))
            rendered = 0
            for outcome in _render_slice(site, staged, items, todo):
                if isinstance(outcome, TemplateProblem):
                    staged.discard()
                    self._last = None
                    return None  # let the full build report it
                staged.record(*outcome)
                rendered += outcome[0].endswith(".html")
            for site_path, source in statics.items():
                staged.add(site_path, source.read_bytes())
            staged.keep_previous()
            result.written, result.removed = staged.commit()
        except BaseException:
            staged.discard()
            raise
        for rel, memo in changed:
            last.keys[rel] = memo.key
        diags.extend(last.graph_diags)
        result.diagnostics = diags.sorted()
        result.site = site
        result.counts.update(last.counts, rendered=rendered)
        result.elapsed = 0.0
        return result

    def _process_all(self, config: SiteConfig, diags: Diagnostics) -> list[_Memo]:
        settings_key = article_settings_key(config)
        cache = ArticleCache(config.root)
        results: dict[str, _Memo] = {}
        todo: list[tuple[str, bytes, str, int, int]] = []
        memo_hits = cache_hits = 0
        files = content_files(config)
        for rel, path in files:
            try:
                stat = path.stat()
            except OSError:
                continue  # deleted while we were listing
            memo = self._memo.get(rel)
            if memo and (memo.mtime_ns, memo.size, memo.settings_key) == (stat.st_mtime_ns, stat.st_size, settings_key):
                results[rel] = memo
                memo_hits += 1
                continue
            too_big = check_size(rel, stat.st_size, config)  # from stat: the file is never read
            if too_big is not None:
                diags.extend([too_big])
                continue
            data = path.read_bytes()
            key = article_key(settings_key, rel, data)
            cached = cache.get(key)
            if cached is not None:
                results[rel] = _Memo(stat.st_mtime_ns, stat.st_size, settings_key, key, *cached)
                cache_hits += 1
            else:
                todo.append((rel, data, key, stat.st_mtime_ns, stat.st_size))
        for (rel, _, key, mtime, size), outcome in zip(todo, self._run(config, [(t[0], t[1], t[2]) for t in todo])):
            article, rendered, problems = outcome
            results[rel] = _Memo(mtime, size, settings_key, key, article, rendered, problems)
        self._replaced_keys = {m.key for m in self._memo.values()} - {m.key for m in results.values()}
        self._memo = results
        self.last_stats = {"files": len(files), "memo_hits": memo_hits, "cache_hits": cache_hits, "processed": len(todo)}
        ordered = [results[rel] for rel, _ in files if rel in results]
        for memo in ordered:
            diags.extend(memo.diagnostics)
        return ordered

    def _run(self, config: SiteConfig, jobs: list[tuple[str, bytes, str]]):
        if len(jobs) < PARALLEL_THRESHOLD or self.jobs < 2:
            outcomes = []
            cache = ArticleCache(config.root)
            for done, job in enumerate(jobs, 1):
                outcomes.append(_process_and_cache(job, config, cache))
                self.progress("articles", done, len(jobs))
            return outcomes
        # fork: workers start in milliseconds and inherit imported modules.
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(self.jobs, mp_context=context, initializer=_init_worker, initargs=(config,)) as pool:
            chunk = max(1, min(64, len(jobs) // (self.jobs * 8)))
            outcomes = []
            for done, outcome in enumerate(pool.map(_process_in_worker, jobs, chunksize=chunk), 1):
                outcomes.append(outcome)
                self.progress("articles", done, len(jobs))
            return outcomes

    def _write(self, config: SiteConfig, site: Site, content_keys: dict[str, str], out_dir: Path,
               diags: Diagnostics, result: BuildResult) -> int:
        try:
            staged = StagedOutput(out_dir)
        except OutputError as exc:
            diags.error(str(out_dir), 0, str(exc).split(": ", 1)[-1])
            return 0
        rendered_pages = 0
        self._write_state = None
        try:
            folders = template_dirs(config.root)
            # Pages of a site with its own templates are always rendered: its templates may show
            # data we cannot see in a page's declared dependencies.
            skippable = not _overrides_templates(config.root)
            base = global_key(config, folders, self.options.drafts) if skippable else None
            by_id = {id(s): s for s in site.stories}
            full_keys = {i: content_keys[s.article.slug] for i, s in by_id.items()}
            card_keys = {i: card_key(s) for i, s in by_id.items()}
            self._write_state = (base, full_keys, card_keys)
            statics = static_files(config)
            # A site's own file (say robots.txt or feed.xml in static/) wins over a generated one.
            feeds = [job for job in feed_jobs(site) if job.path not in statics]
            items: list[Page | FeedJob] = [*site.pages, *feeds]
            newest = site.stories[0] if site.stories else None
            todo: list[tuple[int, str | None]] = []
            for index, item in enumerate(items):
                if not base:
                    fingerprint = None
                elif isinstance(item, Page):
                    fingerprint = page_fingerprint(item, base, full_keys, card_keys)
                else:
                    fingerprint = feed_fingerprint(item, base, full_keys, card_keys, newest)
                if not staged.unchanged(item.path, fingerprint):
                    todo.append((index, fingerprint))
            template_problems: dict[Diagnostic, list[str]] = {}
            for outcome in self._render_pages(site, staged, items, todo):
                if isinstance(outcome, TemplateProblem):
                    template_problems.setdefault(outcome.diagnostic, []).append(outcome.page_path)
                else:
                    staged.record(*outcome)
                    rendered_pages += outcome[0].endswith(".html")
            for diagnostic, pages in template_problems.items():
                others = f" and {len(pages) - 1} other page{'s' * (len(pages) > 2)}" if len(pages) > 1 else ""
                diags.error(diagnostic.path, diagnostic.line, f"{diagnostic.message} (rendering {pages[0]}{others})")
            # The sitemap depends on every page: written every build (StagedOutput leaves the
            # file alone when its bytes are unchanged).
            for site_path, data in sitemap_files(site).items():
                if site_path not in statics:  # a file the site supplies itself (its own robots.txt) wins
                    staged.add(site_path, data)
            for site_path, source in statics.items():
                staged.add(site_path, source.read_bytes())
            if diags.errors:
                staged.discard()
                return rendered_pages
            result.written, result.removed = staged.commit()
        except BaseException:
            staged.discard()
            raise
        return rendered_pages


    def _render_pages(self, site: Site, staged: StagedOutput, items: list[Page | FeedJob],
                      todo: list[tuple[int, str | None]]) -> list:
        """Render and stage the given pages: in forked workers when there are many (they inherit
        the site graph, so nothing big is pickled), else here."""
        global _render_job
        if len(todo) < PARALLEL_THRESHOLD or self.jobs < 2:
            outcomes = []
            for start in range(0, len(todo), 50):
                outcomes.extend(_render_slice(site, staged, items, todo[start:start + 50]))
                self.progress("pages", len(outcomes), len(todo))
            return outcomes
        _render_job = (site, staged, items)
        try:
            context = multiprocessing.get_context("fork")
            size = max(8, min(200, len(todo) // (self.jobs * 6)))
            slices = [todo[i:i + size] for i in range(0, len(todo), size)]
            with ProcessPoolExecutor(self.jobs, mp_context=context) as pool:
                outcomes = []
                for part in pool.map(_render_in_worker, slices):
                    outcomes.extend(part)
                    self.progress("pages", len(outcomes), len(todo))
                return outcomes
        finally:
            _render_job = None


_render_job: tuple[Site, StagedOutput, list[Page | FeedJob]] | None = None


def _overrides_templates(site_root: Path) -> bool:
    """Does the site replace any theme template (not just add static assets)?"""
    own = site_root / "templates"
    if not own.is_dir() or own.resolve() == THEME_DIR.resolve():
        return False
    return any(p.is_file() and p.relative_to(own).parts[0] != "static" for p in own.rglob("*"))


def _render_in_worker(todo: list[tuple[int, str | None]]) -> list:
    assert _render_job is not None
    return _render_slice(*_render_job, todo)


def _render_slice(site: Site, staged: StagedOutput, items: list[Page | FeedJob], todo: list[tuple[int, str | None]]) -> list:
    global _renderer
    if _renderer is None or _renderer.site is not site:
        _renderer = Renderer(site)  # one site at a time: the old graph can be freed
    renderer = _renderer
    outcomes: list = []
    for index, fingerprint in todo:
        item = items[index]
        try:
            data = renderer.render(item) if isinstance(item, Page) else render_feed(site, item)
            outcomes.append(staged.stage(item.path, data, fingerprint))
        except TemplateProblem as problem:
            outcomes.append(problem)
    return outcomes


_renderer: Renderer | None = None


def build(options: BuildOptions) -> BuildResult:
    return Builder(options).build()
