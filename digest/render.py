"""Pages -> HTML through Jinja: the site's templates first, then the default theme."""

from __future__ import annotations

import datetime as dt
import json
import traceback
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from .diagnostics import Diagnostic
from .fsguard import GuardedTemplateLoader
from .markup.annotations import annotation_parts
from .markup.crosslinks import substitute
from .site import Page, Site, Story
from .urls import Urls

THEME_DIR = Path(__file__).resolve().parent.parent / "templates"


class TemplateProblem(Exception):
    def __init__(self, diagnostic: Diagnostic, page_path: str = ""):
        super().__init__(diagnostic, page_path)  # args must rebuild it: it crosses process boundaries
        self.diagnostic = diagnostic
        self.page_path = page_path or "index.html"

    def __str__(self) -> str:
        return self.diagnostic.format()


def template_dirs(site_root: Path) -> list[Path]:
    dirs = [site_root / "templates", THEME_DIR]
    unique: list[Path] = []
    for d in dirs:
        if d.is_dir() and d.resolve() not in [u.resolve() for u in unique]:
            unique.append(d)
    return unique


def make_environment(site_root: Path, follow_symlinks: bool = False) -> jinja2.Environment:
    env = jinja2.Environment(
        # Only regular files inside the site or the theme: never a FIFO, a device or a link out.
        loader=GuardedTemplateLoader(site_root, template_dirs(site_root), follow_symlinks, THEME_DIR),
        autoescape=True,  # every field is escaped unless a template explicitly opts out
        undefined=jinja2.StrictUndefined,  # a misspelt variable is an error, not an empty string
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["isodate"] = lambda d: d.isoformat()
    env.filters["longdate"] = _long_date
    env.filters["tojson_ld"] = _json_ld
    env.filters["annotation_parts"] = annotation_parts  # splits a body where side-notes go
    return env


@lru_cache(maxsize=4096)
def _long_date(value: dt.date | dt.datetime) -> str:
    return f"{value.day} {value:%B %Y}"


def _json_ld(data: Any) -> Markup:
    # `</` must not close the surrounding <script>; escape `<` everywhere in JSON-LD.
    return Markup(json.dumps(data, ensure_ascii=False, sort_keys=True).replace("<", "\\u003c"))


class _MemoryBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates kept across rebuilds in one process (serve). Entries are keyed by
    the template's name and source checksum, so an edited template is compiled afresh."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self.store.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


_BYTECODE = _MemoryBytecodeCache()
CARD_CACHE_LIMIT = 20_000


def _environment(site_root: Path, follow_symlinks: bool = False) -> jinja2.Environment:
    # A fresh environment per render pass: imported macro modules capture the globals they
    # were created with, so an environment must never outlive its site graph.
    env = make_environment(site_root, follow_symlinks)
    env.bytecode_cache = _BYTECODE
    return env


class Renderer:
    def __init__(self, site: Site, env: jinja2.Environment | None = None):
        self.site = site
        self.env = env or _environment(site.config.root, site.config.follow_symlinks)
        self.urls: Urls = site.urls
        # A story's card is the same on every page of the same depth (links are root prefix +
        # path), and a story appears on its edition, the digest and every tag page: render once.
        self._cards: dict[tuple[int, str, str], Markup] = {}
        self.page: Page | None = None
        self.prefix = ""
        self._install_globals()

    def story_annotation_counts(self, story: Story) -> list[tuple[Any, int]]:
        counts: dict[str, int] = {}
        for annotation in story.annotations:
            counts[annotation.kind] = counts.get(annotation.kind, 0) + 1
        kinds = self.site.config.kinds
        return [(kinds[name], counts[name]) for name in kinds if name in counts]

    def _install_globals(self) -> None:
        """Globals read the page being rendered from `self.page`, so macros can be imported
        without context (Jinja then builds each macro module once instead of once per page)."""
        urls = self.urls

        links: dict[tuple[str, str], str] = {}

        def url(target: Any) -> str:
            # Links depend only on the page's depth and the target: the same few hundred are
            # asked for on every page (navigation, tags), so remember them.
            path = _site_path(target)
            key = (self.prefix, path)
            href = links.get(key)
            if href is None:
                href = links[key] = urls.link(self.page.path, path)
            return href

        def absolute_url(target: Any) -> str | None:
            return urls.absolute(_site_path(target))

        def card(story: Story, heading: str = "h3") -> Markup:
            prefix = self.prefix
            key = (id(story), heading, prefix)
            html = self._cards.get(key)
            if html is None:
                if len(self._cards) >= CARD_CACHE_LIMIT:
                    self._cards.clear()  # memory stays flat on huge archives; pages are rendered in order
                macro = self.env.get_template("_macros.html").module.story_card
                html = self._cards[key] = Markup(macro(story, heading))
            return html

        self.env.globals.update(
            site=self.site, config=self.site.config, url=url, absolute_url=absolute_url,
            story_annotation_counts=self.story_annotation_counts, card=card,
        )

    def render(self, page: Page) -> bytes:
        try:
            self.page, self.prefix = page, self.urls.root_prefix(page.path)
            template = self.env.get_template(page.template)
            html = template.render(page=page, **page.context)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateProblem(Diagnostic(_template_path(exc.filename, exc.name, self.site.config.root), exc.lineno or 0, "error",
                                             f"template syntax error: {exc.message}")) from None
        except jinja2.TemplateNotFound as exc:
            raise TemplateProblem(Diagnostic(f"templates/{page.template}", 0, "error",
                                             f"template not found: {exc.name}")) from None
        except Exception as exc:  # noqa: BLE001 - any failure inside a template is reported with its line
            path, line = _template_frame(exc, self.site.config.root)
            raise TemplateProblem(Diagnostic(path, line, "error", f"template error: {exc}"), page.path) from None
        # Inline cross-links were left as markers by the per-article stage: link them from this page.
        html = substitute(html, lambda target: self.crosslink(page.path, target))
        return html.encode("utf-8")

    def crosslink(self, from_path: str, target: str) -> tuple[str, str] | None:
        """(href from `from_path`, headline) of an inline cross-link's target story."""
        story = self.site.xrefs.get(target)
        return None if story is None else (self.urls.link(from_path, story.url), story.article.title)


def _site_path(target: Any) -> str:
    if hasattr(target, "url"):  # stories, terms, taxonomies, editions
        return target.url
    if isinstance(target, str):
        return target
    raise TypeError(f"url() needs a page, story, tag or path, not {type(target).__name__}")


def _template_path(filename: str | None, name: str | None, site_root: Path) -> str:
    """Site-relative for the site's own templates (the CLI adds the site folder), absolute for
    the built-in theme's when the site is elsewhere."""
    if filename:
        path = Path(filename).resolve()
        try:
            return path.relative_to(site_root.resolve()).as_posix()
        except ValueError:
            return str(path)
    return f"templates/{name}"


def _template_frame(exc: BaseException, site_root: Path) -> tuple[str, int]:
    """Jinja rewrites tracebacks so template frames carry the template's file and line."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith((".html", ".xml", ".txt", ".j2")):
            return _template_path(frame.filename, None, site_root), frame.lineno or 0
    return "templates", 0
