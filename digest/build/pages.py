"""Site graph -> output folder: render the pages that may have changed, stage them, commit atomically.

Which pages may be skipped is digest.incremental's decision; this module only asks it, renders the
rest (in forked workers when there are many: they inherit the graph, so nothing big is pickled),
and hands every file to digest.output.StagedOutput, which replaces changed files only after the
whole build succeeded.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from ..diagnostics import Diagnostic, Diagnostics
from ..fsguard import display_path, read_source
from ..incremental import BuildState, Reads, Skipper, page_context
from ..output import OutputError, StagedOutput
from ..render import Renderer, TemplateProblem
from ..search import Indexer, index_site
from ..site import Page, Site
from ..sitemap import sitemap_files
from ..urls import output_file
from .process import PROCESS

# Below this many pages to render, forking workers costs more than it saves.
PARALLEL_THRESHOLD = 150

Progress = Callable[[str, int, int], None]


@dataclass
class Written:
    written: int = 0
    removed: int = 0
    rendered: int = 0  # pages (HTML files) rendered, not skipped
    rendered_paths: list[str] = field(default_factory=list)  # every file rendered (pages and feeds)
    state: BuildState | None = None


@dataclass
class _Job:
    """What a render worker needs; inherited by fork, never pickled."""

    site: Site
    staged: StagedOutput
    pages: list[Page]
    renderer: Renderer | None = None


RenderOutcome = tuple[str, str, bool, Reads] | TemplateProblem


def write_output(site: Site, static: dict[str, Path], out_dir: Path, state: BuildState | None, base: str,
                 bytecode: jinja2.BytecodeCache | None, diags: Diagnostics, jobs: int, progress: Progress,
                 indexer: Indexer | None = None) -> Written:
    """Render, stage and commit; on any error nothing in `out_dir` changes."""
    result = Written()
    try:
        staged = StagedOutput(out_dir, site.config.root)
    except OutputError as exc:
        diags.error(display_path(exc.path, site.config.root), 0, exc.message)
        return result
    try:
        renderer = Renderer(site, bytecode)
        skipper = Skipper(state, base, site, renderer.env)
        # A site's own file (say robots.txt or feed.xml in static/) wins over a generated one.
        pages = [page for page in site.pages if page.path not in static]
        todo: list[tuple[int, bytes]] = []
        for index, page in enumerate(pages):
            rel = output_file(page.path)
            context = page_context(page)
            if skipper.fresh(page, rel, context, staged.current_sha(rel)):
                staged.keep(rel)
            else:
                todo.append((index, context))
        problems: dict[Diagnostic, list[str]] = {}
        job = _Job(site, staged, pages, renderer)
        for (index, context), outcome in zip(todo, _render_all(job, [i for i, _ in todo], jobs, progress)):
            if isinstance(outcome, TemplateProblem):
                problems.setdefault(outcome.diagnostic, []).append(outcome.page_path)
                continue
            rel, sha, changed, reads = outcome
            staged.record(rel, sha, "", changed)
            skipper.record(rel, reads, context, sha)
            result.rendered += rel.endswith(".html")
            result.rendered_paths.append(rel)
        for diagnostic, paths in problems.items():
            others = f" and {len(paths) - 1} other page{'s' * (len(paths) > 2)}" if len(paths) > 1 else ""
            diags.error(diagnostic.path, diagnostic.line, f"{diagnostic.message} (rendering {paths[0]}{others})")
        # The sitemap depends on every page: made every build (cheap), written only when its bytes change.
        for site_path, data in sitemap_files(site).items():
            if site_path not in static:
                staged.add(site_path, data)
        for site_path, source in static.items():
            data = read_source(source, site.config.root, diags)
            if data is not None:
                staged.add(site_path, data)
        if not diags.errors:
            diags.extend(index_site(site, staged, indexer))  # search: Pagefind indexes the staged article pages
        if diags.errors:
            staged.discard()
            return result
        result.written, result.removed = staged.commit()
    except OutputError as exc:  # the output folder was put back as it was (or marked for repair)
        staged.discard()
        diags.error(display_path(exc.path, site.config.root), 0, exc.message)
        return result
    except BaseException:
        staged.discard()
        raise
    result.state = skipper.finish(set(staged.entries))
    return result


def _render_all(job: _Job, indexes: list[int], jobs: int, progress: Progress) -> list[RenderOutcome]:
    if len(indexes) < PARALLEL_THRESHOLD or jobs < 2:
        outcomes: list[RenderOutcome] = []
        for start in range(0, len(indexes), 50):
            outcomes.extend(_render_slice(job, indexes[start:start + 50]))
            progress("pages", len(outcomes), len(indexes))
        return outcomes
    # The main process renders a share itself, beside jobs - 1 forked workers: it holds the whole
    # graph, and each worker copies much of it as reference counts are written, so one worker
    # fewer is one copy less of the graph in memory (and no core sits waiting).
    PROCESS.forked_job = job
    try:
        context = multiprocessing.get_context("fork")
        size = max(8, min(200, len(indexes) // (jobs * 6)))
        slices = [indexes[i:i + size] for i in range(0, len(indexes), size)]
        own = set(range(0, len(slices), jobs))  # interleaved, so every process gets every kind of page
        parts: dict[int, list[RenderOutcome]] = {}
        done = 0
        with ProcessPoolExecutor(jobs - 1, mp_context=context) as pool:
            futures = {number: pool.submit(_render_in_worker, part) for number, part in enumerate(slices) if number not in own}
            for number in sorted(own):
                parts[number] = _render_slice(job, slices[number])
                done += len(slices[number])
                progress("pages", done, len(indexes))
            for number, future in futures.items():
                parts[number] = future.result()
                done += len(slices[number])
                progress("pages", done, len(indexes))
        return [outcome for number in range(len(slices)) for outcome in parts[number]]
    finally:
        PROCESS.forked_job = None


def _render_in_worker(indexes: list[int]) -> list[RenderOutcome]:
    assert isinstance(PROCESS.forked_job, _Job)
    return _render_slice(PROCESS.forked_job, indexes)


def _render_slice(job: _Job, indexes: list[int]) -> list[RenderOutcome]:
    if job.renderer is None:
        job.renderer = Renderer(job.site)
    renderer = job.renderer
    outcomes: list[RenderOutcome] = []
    for index in indexes:
        page = job.pages[index]
        try:
            data, reads = renderer.render(page)
        except TemplateProblem as problem:
            outcomes.append(problem)
            continue
        rel, sha, _, changed = job.staged.stage(page.path, data)
        outcomes.append((rel, sha, changed, reads))
    return outcomes
