"""The site graph: stories, taxonomies, relations, editions, and the list of pages to render."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .config import SiteConfig
from .content import Article, RelatedRef
from .diagnostics import Diagnostics
from .markup import RenderedArticle
from .markup.crosslinks import FILE_PREFIX
from .related import related_by_tags
from .slugs import slugify, tag_key
from .urls import Urls


@dataclass(eq=False, repr=False)
class Term:
    """One value of a taxonomy (a tag, a source, a section) and the stories that carry it."""

    taxonomy: str
    name: str
    slug: str
    url: str
    stories: list[Story] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)  # alias spellings that redirect here

    @property
    def count(self) -> int:
        return len(self.stories)

    @property
    def feed(self) -> str:
        """Site path of this term's Atom feed (written only when base_url is known)."""
        return self.url + "feed.xml"


@dataclass(eq=False, repr=False)
class Taxonomy:
    name: str
    url: str
    terms: list[Term] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.name.replace("_", " ").capitalize()


@dataclass(eq=False, repr=False)
class RelatedLink:
    """An entry of a story's `related`, resolved: to a story in the digest, an outside URL, or nothing."""

    title: str
    story: Story | None = None
    url: str = ""  # outside stories only

    @property
    def kind(self) -> str:
        return "internal" if self.story else ("external" if self.url else "unresolved")


@dataclass(eq=False, repr=False)
class Edition:
    day: dt.date
    url: str
    stories: list[Story] = field(default_factory=list)
    previous: Edition | None = None
    next: Edition | None = None


@dataclass(eq=False, repr=False)
class Story:
    """An article placed in the site: its parsed fields, its HTML, and its links to the rest."""

    article: Article
    rendered: RenderedArticle
    url: str
    terms: dict[str, list[Term]] = field(default_factory=dict)
    related: list[RelatedLink] = field(default_factory=list)
    incoming: list[Story] = field(default_factory=list)
    auto_related: list[Story] = field(default_factory=list)
    inline_links: list[Story] = field(default_factory=list)  # targets of [[...]] and file links
    edition: Edition | None = None
    order: tuple[float, str] = (0.0, "")  # newest first, then by slug: computed once, sorted often

    def __getattr__(self, name: str) -> Any:
        # Templates read article fields (story.title) and rendered ones (story.body_html) directly.
        if name.startswith("_") or name in ("article", "rendered"):
            raise AttributeError(name)
        try:
            return getattr(self.article, name)
        except AttributeError:
            return getattr(self.rendered, name)

    @property
    def tags(self) -> list[Term]:
        return self.terms.get("tags", [])

    @property
    def summary(self) -> str:
        """The summary as written, else the one derived from the body (never the empty field)."""
        return self.rendered.summary

    @property
    def has_related(self) -> bool:
        return bool(self.related or self.incoming or self.auto_related)


@dataclass(eq=False, repr=False)
class Pagination:
    number: int
    total: int
    paths: list[str]

    @property
    def previous(self) -> str | None:
        return self.paths[self.number - 2] if self.number > 1 else None

    @property
    def next(self) -> str | None:
        return self.paths[self.number] if self.number < self.total else None


@dataclass(frozen=True)
class PageDeps:
    """Everything a page's bytes depend on besides the templates and site.yaml.

    Incremental builds skip a page whose dependencies are unchanged since the last build, so
    these must be complete: `full` stories are shown whole (their file's hash counts), `cards`
    are shown as a card or a link (title, date, summary, tags... count, not the body), and
    `extra` is any other text the page shows (counts, neighbouring editions, term names).
    """

    full: tuple[Story, ...] = ()
    cards: tuple[Story, ...] = ()
    extra: str = ""


@dataclass(eq=False, repr=False)
class Page:
    """One file to render: where it goes, with which template, and what it shows."""

    path: str
    template: str
    kind: str
    title: str
    context: dict[str, Any] = field(default_factory=dict)
    pagination: Pagination | None = None
    # None means "depends on anything": always rendered. Declare deps to make a page skippable.
    deps: PageDeps | None = None


@dataclass(eq=False, repr=False)
class Site:
    config: SiteConfig
    urls: Urls
    stories: list[Story]  # newest first
    by_slug: dict[str, Story]
    taxonomies: dict[str, Taxonomy]
    editions: list[Edition]  # newest first
    pages: list[Page] = field(default_factory=list)
    xrefs: dict[str, Story] = field(default_factory=dict)  # inline cross-link target -> story

    @property
    def tags(self) -> Taxonomy:
        return self.taxonomies["tags"]

    @property
    def has_feeds(self) -> bool:
        """Feeds and the sitemap need absolute URLs: without base_url they are left out."""
        return self.config.base_url is not None

    def feed_for(self, page: Page) -> tuple[str, str] | None:
        """(site path, title) of the feed a page offers: its term's feed, else the site feed."""
        if not self.has_feeds:
            return None
        term = page.context.get("term")
        if isinstance(term, Term) and page.kind == "term":
            return term.feed, f"{self.config.title}: {term.name}"
        return "feed.xml", self.config.title


_NOT_WORD = re.compile(r"[\W_]+")


def _newest_first(story: Story) -> tuple[float, str]:
    return story.order


@lru_cache(maxsize=65536)
def normalize_headline(text: str) -> str:
    """Headlines match ignoring case, punctuation, quote and dash styles, and spacing."""
    return " ".join(_NOT_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).split())


def build_site(config: SiteConfig, entries: list[tuple[Article, RenderedArticle]], diags: Diagnostics) -> Site:
    """Assemble the graph. Problems go to `diags`; the returned Site is only usable without errors."""
    urls = Urls(config)
    entries = sorted(entries, key=lambda e: e[0].path)
    by_slug: dict[str, Story] = {}
    stories: list[Story] = []
    for article, rendered in entries:
        if article.slug in by_slug:
            first = by_slug[article.slug].article
            line = article.line_of("slug") if "slug" in article.field_lines else 1
            diags.error(article.path, line, f"duplicate slug `{article.slug}`: {first.path} and {article.path} would both be written to {urls.article(article.slug, article.date)}")
            continue
        story = Story(article=article, rendered=rendered, url=urls.article(article.slug, article.date),
                      order=(-article.date.timestamp(), article.slug))
        by_slug[article.slug] = story
        stories.append(story)
    stories.sort(key=_newest_first)

    taxonomies = {name: _build_taxonomy(name, stories, config, urls, diags) for name in config.taxonomies}
    by_headline: dict[str, list[Story]] = defaultdict(list)
    for story in sorted(stories, key=lambda s: s.article.path):
        by_headline[normalize_headline(story.article.title)].append(story)
    _resolve_related(stories, by_slug, by_headline, diags)
    _auto_related(stories, by_slug, config)
    xrefs = _resolve_crossrefs(stories, by_slug, by_headline, diags)
    editions = _build_editions(stories, urls)
    site = Site(config, urls, stories, by_slug, taxonomies, editions, xrefs=xrefs)
    site.pages = plan_pages(site)
    return site


def term_values(article: Article, taxonomy: str) -> tuple[list[str], int]:
    """The raw values an article gives a taxonomy, and the line they were written on."""
    if taxonomy == "tags":
        return list(article.tags), article.line_of("tags")
    value = getattr(article, taxonomy, None) if taxonomy in Article.__dataclass_fields__ else article.extra.get(taxonomy)
    if isinstance(value, str):
        return ([value] if value.strip() else []), article.line_of(taxonomy)
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, (str, int)) and str(v).strip()], article.line_of(taxonomy)
    return [], 0


def _build_taxonomy(name: str, stories: list[Story], config: SiteConfig, urls: Urls, diags: Diagnostics) -> Taxonomy:
    alias_of: dict[str, str] = {}
    if name == "tags":
        for canonical, variants in config.tags.aliases.items():
            for variant in variants:
                alias_of[tag_key(variant)] = canonical
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    carriers: dict[str, list[Story]] = defaultdict(list)
    where: dict[str, tuple[str, int]] = {}
    for story in reversed(stories):  # oldest first, so `where` names the first use
        values, line = term_values(story.article, name)
        seen: set[str] = set()
        for value in values:
            value = " ".join(value.split())
            value = alias_of.get(tag_key(value), value)
            key = tag_key(value)
            if key in seen:
                continue
            seen.add(key)
            spellings[key][value] += 1
            carriers[key].append(story)
            where.setdefault(key, (story.article.path, line))
    taxonomy = Taxonomy(name=name, url=urls.taxonomy(name))
    by_slug: dict[str, tuple[str, Term]] = {}
    for key in sorted(spellings):
        counts = spellings[key]
        display = min(counts, key=lambda s: (-counts[s], s))
        slug = slugify(display)
        path, line = where[key]
        if not slug:
            diags.error(path, line, f"{_singular(name)} `{display}` has no letters or digits to make a URL from; rename it")
            continue
        if slug in by_slug:
            other_key, other = by_slug[slug]
            other_path, _ = where[other_key]
            diags.error(path, line, f"{_singular(name)}s `{other.name}` ({other_path}) and `{display}` ({path}) would share the URL "
                                    f"{urls.term(name, slug)}; make them one {_singular(name)} or rename one")
            continue
        term = Term(taxonomy=name, name=display, slug=slug, url=urls.term(name, slug))
        term.stories = sorted(carriers[key], key=_newest_first)
        by_slug[slug] = (key, term)
        taxonomy.terms.append(term)
    taxonomy.terms.sort(key=lambda t: (tag_key(t.name), t.slug))
    by_key = {tag_key(t.name): t for t in taxonomy.terms}
    for story in stories:
        values, _ = term_values(story.article, name)
        # A dict keeps first-use order and checks membership in constant time (thousands of tags).
        terms: dict[int, Term] = {}
        for value in values:
            term = by_key.get(tag_key(alias_of.get(tag_key(value), value)))
            if term is not None:
                terms.setdefault(id(term), term)
        story.terms[name] = list(terms.values())
    if name == "tags":
        for alias_key, canonical in alias_of.items():
            term = by_key.get(tag_key(canonical))
            if term is not None:
                term.aliases.append(alias_key)
    return taxonomy


def _singular(taxonomy: str) -> str:
    return taxonomy.removesuffix("s")


def _resolve_related(stories: list[Story], by_slug: dict[str, Story], by_headline: dict[str, list[Story]],
                     diags: Diagnostics) -> None:
    for story in stories:
        for ref in story.article.related:
            link = resolve_ref(ref, story, by_slug, by_headline, diags)
            if link.story is story:
                continue
            if link.story is not None and any(existing.story is link.story for existing in story.related):
                continue
            story.related.append(link)
    for story in stories:
        for link in story.related:
            target = link.story
            if target is None:
                continue
            lists_back = any(back.story is story for back in target.related)
            if not lists_back and story not in target.incoming:
                target.incoming.append(story)
    for story in stories:
        story.incoming.sort(key=_newest_first)


def resolve_ref(ref: RelatedRef, story: Story, by_slug: dict[str, Story], by_headline: dict[str, list[Story]], diags: Diagnostics) -> RelatedLink:
    if ref.is_external:
        return RelatedLink(title=ref.title, url=ref.url)
    if ref.target in by_slug:
        target = by_slug[ref.target]
        return RelatedLink(title=target.article.title, story=target)
    matches = by_headline.get(normalize_headline(ref.target), [])
    if len(matches) == 1:
        return RelatedLink(title=matches[0].article.title, story=matches[0])
    if len(matches) > 1:
        names = " and ".join(m.article.path for m in matches)
        diags.warning(story.article.path, ref.line, f"related story \"{ref.target}\" matches more than one article: {names}")
        return RelatedLink(title=ref.target)
    diags.warning(story.article.path, ref.line, f"related story not found: \"{ref.target}\"")
    return RelatedLink(title=ref.target)


_last_auto: tuple[tuple, dict[str, list[str]]] | None = None


def _auto_related(stories: list[Story], by_slug: dict[str, Story], config: SiteConfig) -> None:
    """Up to `related.auto` stories per story by shared tags, never repeating explicit links."""
    if config.related.auto <= 0:
        return
    tags = {s.article.slug: [t.slug for t in s.tags] for s in stories}
    dates = {s.article.slug: s.order[0] for s in stories}
    exclude = {s.article.slug: [link.story.article.slug for link in s.related if link.story is not None]
               + [other.article.slug for other in s.incoming] for s in stories}
    # While an editor works (serve), most edits leave every story's tags, date and links as they
    # were: then the previous answer stands and the rebuild skips the whole computation.
    key = (config.related.auto, config.related.max_share, repr(sorted((slug, tags[slug], dates[slug], exclude[slug]) for slug in tags)))
    global _last_auto
    if _last_auto is not None and _last_auto[0] == key:
        found = _last_auto[1]
    else:
        found = related_by_tags(tags, dates, limit=config.related.auto, max_share=config.related.max_share, exclude=exclude)
        _last_auto = (key, found)
    for story in stories:
        story.auto_related = [by_slug[slug] for slug in found[story.article.slug]]


def _resolve_crossrefs(stories: list[Story], by_slug: dict[str, Story], by_headline: dict[str, list[Story]],
                       diags: Diagnostics) -> dict[str, Story]:
    """Every inline link's target must be an article in this build: anything else is an error."""
    by_path = {s.article.path: s for s in stories}
    resolved: dict[str, Story] = {}
    for story in stories:
        for ref in story.rendered.crossrefs:
            if ref.target in resolved:
                continue
            path, line = story.article.path, ref.line
            if ref.target.startswith(FILE_PREFIX):
                target = by_path.get(ref.target[len(FILE_PREFIX):])
                if target is None:
                    diags.error(path, line, f"cross-link to `{ref.written}`: there is no article "
                                            f"{ref.target[len(FILE_PREFIX):]} in this build")
                    continue
            elif ref.target in by_slug:
                target = by_slug[ref.target]
            else:
                matches = by_headline.get(normalize_headline(ref.target), [])
                if len(matches) > 1:
                    names = " and ".join(m.article.path for m in matches)
                    diags.error(path, line, f"cross-link `{ref.written}` matches more than one article: {names}; use a slug")
                    continue
                if not matches:
                    diags.error(path, line, f"cross-link target not found: `{ref.written}` "
                                            "(no article in this build has that slug or headline)")
                    continue
                target = matches[0]
            resolved[ref.target] = target
        targets = (resolved.get(ref.target) for ref in story.rendered.crossrefs)
        story.inline_links = list(dict.fromkeys(t for t in targets if t is not None))
    return resolved


def _build_editions(stories: list[Story], urls: Urls) -> list[Edition]:
    by_day: dict[dt.date, list[Story]] = defaultdict(list)
    for story in stories:
        by_day[story.article.day].append(story)
    editions = [Edition(day=day, url=urls.edition(day), stories=by_day[day]) for day in sorted(by_day, reverse=True)]
    for newer, older in itertools.pairwise(editions):
        newer.previous, older.next = older, newer
    for edition in editions:
        for story in edition.stories:
            story.edition = edition
    return editions


def _paginate(items: list, per_page: int, first: str, urls: Urls) -> list[tuple[Pagination, list]]:
    chunks = [items[i:i + per_page] for i in range(0, len(items), per_page)] or [[]]
    paths = [urls.page(first, n) for n in range(1, len(chunks) + 1)]
    return [(Pagination(n, len(chunks), paths), chunk) for n, chunk in enumerate(chunks, start=1)]


def group_by_day(stories: list[Story]) -> list[tuple[Edition, list[Story]]]:
    groups: list[tuple[Edition, list[Story]]] = []
    for story in stories:
        if groups and groups[-1][0] is story.edition:
            groups[-1][1].append(story)
        else:
            groups.append((story.edition, [story]))
    return groups


def plan_pages(site: Site) -> list[Page]:
    config, urls = site.config, site.urls
    pages: list[Page] = []
    for pagination, chunk in _paginate(site.stories, config.digest.per_page, "", urls):
        title = config.title if pagination.number == 1 else f"{config.title} — page {pagination.number}"
        pages.append(Page(pagination.paths[pagination.number - 1], "index.html", "digest", title,
                          {"stories": chunk, "groups": group_by_day(chunk)}, pagination,
                          PageDeps(cards=_with_inline_targets(chunk), extra=repr(pagination.paths))))
    for story in site.stories:
        edition = story.edition
        pages.append(Page(story.url, "article.html", "article", story.article.title, {"story": story},
                          deps=PageDeps(full=(story,), cards=tuple(_linked_stories(story)),
                                        extra=repr([(t.name, t.url) for ts in story.terms.values() for t in ts])
                                        + (edition.url if edition else ""))))
    for edition in site.editions:
        neighbours = [(e.day, e.url) for e in (edition.previous, edition.next) if e is not None]
        pages.append(Page(edition.url, "edition.html", "edition", f"Digest for {edition.day:%-d %B %Y}",
                          {"edition": edition, "stories": edition.stories},
                          deps=PageDeps(cards=_with_inline_targets(edition.stories), extra=repr(neighbours))))
    months: dict[tuple[int, int], list[Edition]] = defaultdict(list)
    for edition in site.editions:
        months[(edition.day.year, edition.day.month)].append(edition)
    archive = [(dt.date(y, m, 1), eds) for (y, m), eds in sorted(months.items(), reverse=True)]
    pages.append(Page(urls.archive(), "archive.html", "archive", "Archive", {"months": archive},
                      deps=PageDeps(extra=repr([(e.day, e.url, len(e.stories)) for e in site.editions]))))
    for taxonomy in site.taxonomies.values():
        pages.append(Page(taxonomy.url, "taxonomy.html", "taxonomy", taxonomy.label, {"taxonomy": taxonomy},
                          deps=PageDeps(extra=repr([(t.name, t.url, t.count) for t in taxonomy.terms]))))
        for term in taxonomy.terms:
            for pagination, chunk in _paginate(term.stories, config.tags.per_page, term.url, urls):
                title = term.name if pagination.number == 1 else f"{term.name} — page {pagination.number}"
                pages.append(Page(pagination.paths[pagination.number - 1], "term.html", "term", title,
                                  {"taxonomy": taxonomy, "term": term, "stories": chunk}, pagination,
                                  PageDeps(cards=_with_inline_targets(chunk),
                                           extra=repr((term.name, term.count, pagination.paths)))))
    pages.extend(_alias_pages(site))
    pages.append(Page("404.html", "404.html", "404", "Page not found", {}, deps=PageDeps()))
    return pages


def _linked_stories(story: Story) -> list[Story]:
    """Stories an article page links to or lists, each shown as a card or a link."""
    linked = [link.story for link in story.related if link.story is not None]
    return linked + story.incoming + story.auto_related + story.inline_links


def _with_inline_targets(stories: list[Story]) -> tuple[Story, ...]:
    """Cards show editor's notes, whose inline links show their targets' titles and URLs."""
    shown = dict.fromkeys(stories)
    for story in stories:
        shown.update(dict.fromkeys(story.inline_links))
    return tuple(shown)


def _alias_pages(site: Site) -> list[Page]:
    """A redirect page at each tag alias's URL, pointing at the canonical tag's page."""
    if "tags" not in site.taxonomies:
        return []
    taxonomy = site.taxonomies["tags"]
    spelling = {tag_key(v): v for variants in site.config.tags.aliases.values() for v in variants}
    taken = {term.slug for term in taxonomy.terms}
    pages = []
    for term in taxonomy.terms:
        for key in sorted(term.aliases):
            name = spelling.get(key, key)
            slug = slugify(name)
            if not slug or slug in taken:
                continue  # same URL as a real tag (or as the canonical one): nothing to redirect
            taken.add(slug)
            pages.append(Page(site.urls.term("tags", slug), "alias.html", "alias", term.name,
                              {"term": term, "alias": name}, deps=PageDeps(extra=repr((term.name, term.url, name)))))
    return pages
