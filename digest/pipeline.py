"""The build: config -> content -> markdown -> site graph -> render -> write."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from .config import SiteConfig, load_config
from .content import Article, load_article
from .diagnostics import Diagnostic, Diagnostics
from .markup import RenderedArticle, render_article
from .markup.crosslinks import place_in_file
from .output import OutputError, StagedOutput
from .render import Renderer, TemplateProblem, template_dirs
from .site import Site, build_site


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


@dataclass
class BuildResult:
    diagnostics: list[Diagnostic]
    site: Site | None = None
    elapsed: float = 0.0
    written: int = 0
    removed: int = 0
    counts: dict[str, int] = field(default_factory=dict)

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
    root = config.root
    if not config.content_dir.is_dir():
        return []
    files = sorted(p for p in config.content_dir.rglob("*.md") if p.is_file() and not _hidden(p, root))
    return [(p.relative_to(root).as_posix(), p) for p in files]


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


def build(options: BuildOptions) -> BuildResult:
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

    entries: list[tuple[Article, RenderedArticle]] = []
    for rel, path in content_files(config):
        article, rendered, problems = process_file(rel, path.read_bytes(), config)
        diags.extend(problems)
        if article is not None and rendered is not None and (options.drafts or not article.draft):
            entries.append((article, rendered))

    site = build_site(config, entries, diags)
    if options.strict:
        diags.promote_warnings()
    if diags.errors:
        result.diagnostics = diags.sorted()
        return result

    try:
        staged = StagedOutput(out_dir)
    except OutputError as exc:
        diags.error(str(out_dir), 0, str(exc).split(": ", 1)[-1])
        result.diagnostics = diags.sorted()
        return result
    try:
        renderer = Renderer(site)
        template_problems: dict[Diagnostic, list[str]] = {}
        for page in site.pages:
            try:
                staged.add(page.path, renderer.render(page))
            except TemplateProblem as problem:
                template_problems.setdefault(problem.diagnostic, []).append(problem.page_path)
        for diagnostic, pages in template_problems.items():
            others = f" and {len(pages) - 1} other page{'s' * (len(pages) > 2)}" if len(pages) > 1 else ""
            diags.error(diagnostic.path, diagnostic.line, f"{diagnostic.message} (rendering {pages[0]}{others})")
        for site_path, source in static_files(config).items():
            staged.add(site_path, source.read_bytes())
        if diags.errors:
            result.diagnostics = diags.sorted()
            staged.discard()
            return result
        result.written, result.removed = staged.commit()
    except BaseException:
        staged.discard()
        raise

    result.site = site
    result.diagnostics = diags.sorted()
    result.elapsed = time.perf_counter() - started
    result.counts.update(
        articles=len(site.stories),
        term_pages=sum(1 for p in site.pages if p.kind == "term"),
        editions=len(site.editions),
    )
    return result
