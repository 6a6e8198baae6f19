"""Pages -> bytes through Jinja (the site's templates first, then the default theme), recording
what each render reads so that digest.incremental can tell later whether it would change."""

from __future__ import annotations

import datetime as dt
import json
import re
import traceback
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from .atomic import read_sealed, write_sealed
from .diagnostics import Diagnostic
from .filters import FILTERS
from .fsguard import GuardedTemplateLoader
from .incremental import ENTITY_TYPES, Reads, entity_key
from .markup.annotations import annotation_parts
from .markup.crosslinks import substitute
from .site import CrossLinkTargets, Page, Site, Story

THEME_DIR = Path(__file__).resolve().parent.parent / "templates"
# C0 and C1 control characters (but tab and newline) never reach a page or a feed, whatever the
# template prints: XML forbids most of them and a terminal or browser may act on them.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


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


class RecordingEnvironment(jinja2.Environment):
    """A Jinja environment that reports every attribute a template reads from a graph object, and
    every template it loads, to `self.reads` (when set). Compiled templates call `getattr` and
    `getitem` for every `a.b` and `a['b']`, and filters such as map(attribute=…) call `getitem`."""

    reads: Reads | None = None
    page: Any = None  # the page being rendered: digest.incremental fingerprints it whole, not by reads

    def getattr(self, obj: Any, attribute: str) -> Any:
        reads = self.reads
        if reads is not None and type(obj) in ENTITY_TYPES and obj is not self.page:
            reads.attrs.add((obj.dep_key, attribute))
        # jinja2.Environment.getattr, inlined: this runs for every `a.b` of every page.
        try:
            return getattr(obj, attribute)
        except AttributeError:
            pass
        try:
            return obj[attribute]
        except (TypeError, LookupError, AttributeError):
            return self.undefined(obj=obj, name=attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        reads = self.reads
        if reads is not None and type(obj) in ENTITY_TYPES and obj is not self.page and isinstance(argument, str):
            reads.attrs.add((obj.dep_key, argument))
        return super().getitem(obj, argument)

    def get_template(self, name: Any, parent: str | None = None, globals: Any = None) -> jinja2.Template:
        if self.reads is not None and isinstance(name, str):
            self.reads.templates.add(name)
        return super().get_template(name, parent, globals)


def make_environment(site_root: Path, bytecode_cache: jinja2.BytecodeCache | None = None,
                     follow_symlinks: bool = False) -> RecordingEnvironment:
    env = RecordingEnvironment(
        # Only regular files inside the site or the theme: never a FIFO, a device or a link out.
        loader=GuardedTemplateLoader(site_root, template_dirs(site_root), follow_symlinks, THEME_DIR),
        autoescape=True,  # every field is escaped unless a template explicitly opts out
        undefined=jinja2.StrictUndefined,  # a misspelt variable is an error, not an empty string
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=bytecode_cache,
    )
    env.filters["isodate"] = isodate
    env.filters["longdate"] = _long_date
    env.filters["tojson_ld"] = _json_ld
    env.filters["annotation_parts"] = annotation_parts  # splits a body where side-notes go
    env.filters.update(FILTERS)  # the theme's pure filters (digest/filters.py)
    return env


def isodate(value: dt.date | dt.datetime) -> str:
    """RFC 3339 / HTML `datetime`: an offset in whole minutes. Zones before standard time had offsets
    in seconds (Europe/Copenhagen's mean time, +00:50:20), which neither format allows: such a
    moment is written in UTC instead, the same instant."""
    if isinstance(value, dt.datetime) and value.utcoffset() is not None and value.utcoffset() % dt.timedelta(minutes=1):
        return value.astimezone(dt.UTC).isoformat()
    return value.isoformat()


@lru_cache(maxsize=4096)
def _long_date(value: dt.date | dt.datetime) -> str:
    return f"{value.day} {value:%B %Y}"


def _json_ld(data: Any) -> Markup:
    # `</` must not close the surrounding <script>; escape `<` everywhere in JSON-LD.
    return Markup(json.dumps(data, ensure_ascii=False, sort_keys=True).replace("<", "\\u003c"))


class TemplateCodeCache(jinja2.BytecodeCache):
    """Compiled templates, kept in memory across rebuilds in one process (serve) and on disk for the
    next process (compiling the theme costs more than rendering a small site). Entries are keyed by
    the template's name and source checksum (and Jinja's own version), so an edited template is
    compiled afresh."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}
        self.folder: Path | None = None  # set per build: the site's .cache/templates

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self.store.get(bucket.key)
        if data is None and self.folder is not None:
            data = read_sealed(self.folder / bucket.key)  # compiled code runs: only this user's
            if data is None:
                return
            self.store[bucket.key] = data
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self.store[bucket.key] = bucket.bytecode_to_string()
        if self.folder is not None:
            write_sealed(self.folder / bucket.key, data)


FRAGMENT_CACHE_LIMIT = 20_000


class Renderer:
    """Renders one site's pages; `render` returns the bytes and what the render read."""

    def __init__(self, site: Site, bytecode_cache: jinja2.BytecodeCache | None = None):
        # A fresh environment per site: imported macro modules capture the globals they were
        # created with, so an environment must never outlive its site graph.
        self.site = site
        self.env = make_environment(site.config.root, bytecode_cache, site.config.follow_symlinks)
        self.urls = site.urls
        self.xref_table = CrossLinkTargets(site)
        # A story's card is the same on every page of the same depth (links are root prefix +
        # path), and a story appears on its edition, the digest and every tag page: render once.
        self._fragments: dict[tuple, tuple[Markup, Reads]] = {}
        self.page: Page | None = None
        self.prefix = ""
        self._install_globals()

    @property
    def reads(self) -> Reads:
        assert self.env.reads is not None, "only while rendering a page"
        return self.env.reads

    def read(self, obj: Any, attribute: str) -> Any:
        """Python helpers read graph objects through here, so their reads are recorded too."""
        key = entity_key(obj)
        if key is not None and self.env.reads is not None:
            self.env.reads.attrs.add((key, attribute))
        return getattr(obj, attribute)

    def _install_globals(self) -> None:
        """Globals read the page being rendered from `self.page`, so macros can be imported
        without context (Jinja then builds each macro module once instead of once per page)."""
        urls, config, read = self.urls, self.site.config, self.read
        links: dict[tuple[str, str], str] = {}

        def site_path(target: Any) -> str:
            if isinstance(target, str):
                return target
            if isinstance(target, Page):
                return read(target, "path")
            if entity_key(target) is not None:  # stories, terms, taxonomies, editions
                return read(target, "url")
            raise TypeError(f"url() needs a page, story, tag or path, not {type(target).__name__}")

        def url(target: Any) -> str:
            # Links depend only on the page's depth and the target: the same few hundred are
            # asked for on every page (navigation, tags), so remember them.
            path = site_path(target)  # (relative_urls and base_url are recorded for every page)
            key = (self.prefix, path)
            href = links.get(key)
            if href is None:
                href = links[key] = urls.link(self.page.path, path)
            return href

        def absolute_url(target: Any) -> str | None:
            path = site_path(target)
            read(config, "base_url")
            return urls.absolute(path)

        def fragment(template: str, macro_name: str, *args: Any) -> Markup:
            """A macro's output, made once per build for the same arguments and page depth: a story's
            card appears on its edition, the digest and every tag page, its feed entry in every feed
            of its tags. The reads made while making it count for every page that shows it."""
            key = (template, macro_name, *(id(a) if entity_key(a) else a for a in args), self.prefix)
            cached = self._fragments.get(key)
            if cached is None:
                if len(self._fragments) >= FRAGMENT_CACHE_LIMIT:
                    self._fragments.clear()  # memory stays flat on huge archives; pages are rendered in order
                outer, self.env.reads = self.env.reads, Reads()
                try:
                    macro = getattr(self.env.get_template(template).module, macro_name)
                    cached = self._fragments[key] = (Markup(macro(*args)), self.env.reads)
                finally:
                    self.env.reads = outer
            if self.env.reads is not None:
                self.env.reads.merge(cached[1])
            return cached[0]

        def card(story: Story, heading: str = "h3") -> Markup:
            return fragment("_macros.html", "story_card", story, heading)

        def feed_entry(story: Story) -> Markup:
            return fragment("_atom.xml", "entry", story)

        def story_annotation_counts(story: Story) -> list[tuple[Any, int]]:
            counts: dict[str, int] = {}
            for annotation in read(story, "annotations"):
                counts[annotation.kind] = counts.get(annotation.kind, 0) + 1
            kinds = read(config, "kinds")
            return [(kinds[name], counts[name]) for name in kinds if name in counts]

        def feed_content(story: Story) -> str:
            """The story's feed entry HTML with cross-links made absolute (plain text: the feed
            template escapes it into <content type="html">)."""
            return substitute(read(story, "feed_html"), self.absolute_crosslink)

        self.env.globals.update(
            site=self.site, config=config, url=url, absolute_url=absolute_url, card=card,
            story_annotation_counts=story_annotation_counts, feed_content=feed_content, feed_entry=feed_entry,
        )

    def render(self, page: Page) -> tuple[bytes, Reads]:
        reads = Reads()
        # Every page links through url(), whose answers depend on these two settings.
        reads.attrs.update((("config", "relative_urls"), ("config", "base_url")))
        self.env.reads, self.env.page = reads, page
        try:
            self.page, self.prefix = page, self.urls.root_prefix(page.path)
            template = self.env.get_template(page.template)
            html = template.render(page=page, **page.context)
            # Inline cross-links were left as markers by the per-article stage: link them from this page.
            html = substitute(html, lambda target: self.crosslink(page.path, target))
            if _CONTROL.search(html):  # whatever a template printed: one pass over the page
                html = _CONTROL.sub("", html)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateProblem(Diagnostic(_template_path(exc.filename, exc.name, self.site.config.root), exc.lineno or 0, "error",
                                             f"template syntax error: {exc.message}")) from None
        except jinja2.TemplateNotFound as exc:
            raise TemplateProblem(Diagnostic(f"templates/{page.template}", 0, "error",
                                             f"template not found: {exc.name}")) from None
        except Exception as exc:  # noqa: BLE001 - any failure inside a template is reported with its line
            path, line = _template_frame(exc, self.site.config.root)
            raise TemplateProblem(Diagnostic(path, line, "error", f"template error: {exc}"), page.path) from None
        finally:
            self.env.reads = self.env.page = None
        return html.encode("utf-8"), reads

    def _target(self, target: str) -> Story | None:
        key = entity_key(self.xref_table)
        if key is not None and self.env.reads is not None:
            self.env.reads.attrs.add((key, target))
        return self.site.xrefs.get(target)

    def crosslink(self, from_path: str, target: str) -> tuple[str, str] | None:
        """(href from `from_path`, headline) of an inline cross-link's target story."""
        story = self._target(target)
        if story is None:
            return None
        self.read(self.site.config, "relative_urls")
        return self.urls.link(from_path, self.read(story, "url")), self.read(story, "title")

    def absolute_crosslink(self, target: str) -> tuple[str, str] | None:
        story = self._target(target)
        if story is None:
            return None
        url = self.read(story, "url")
        self.read(self.site.config, "base_url")
        return self.urls.absolute(url) or url, self.read(story, "title")


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


Render = Callable[[Page], tuple[bytes, "Reads"]]
