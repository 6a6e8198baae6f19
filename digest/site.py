"""The site graph: stories, taxonomies, relations, editions, and the list of pages to render."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from .calendar import Coverage, Month, add_time_views
from .config import AnnotationKind, SiteConfig, describe
from .content import Article, RelatedRef
from .diagnostics import Diagnostics
from .frontpage import arrange_days
from .markup import RenderedArticle, entry_html
from .markup.crosslinks import FILE_PREFIX
from .related import related_by_tags
from .search import search_page
from .slugs import slugify, tag_key
from .storylines import Storyline, Timeline, add_storylines
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
    coverage: Coverage | None = None  # stories over time, for the term page's chart
    weight: int = 1  # 1..5: how much it is used, relative to its taxonomy's most used term
    dep_key: str = field(init=False)  # the same term's name in every build (see digest.incremental)

    def __post_init__(self) -> None:
        self.dep_key = f"t:{self.taxonomy}/{self.slug}"

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
    most_covered: list[Term] = field(default_factory=list)  # the terms with most stories, at most MOST_COVERED
    dep_key: str = field(init=False)

    def __post_init__(self) -> None:
        self.dep_key = "x:" + self.name

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
    lead: Story | None = None  # the day's lead story (frontpage.arrange_days)
    briefs: list[Story] = field(default_factory=list)  # stories listed "In brief"
    dep_key: str = field(init=False)

    def __post_init__(self) -> None:
        self.dep_key = "e:" + self.day.isoformat()


@dataclass(eq=False, repr=False)
class Story:
    """An article placed in the site: its parsed fields, its HTML, and its links to the rest."""

    article: Article
    rendered: RenderedArticle
    url: str
    content_key: str = ""  # identifies the file's parsed and rendered form (digest/build/articles.py)
    kinds: dict[str, AnnotationKind] = field(default_factory=dict)  # site.yaml's annotation kinds, for feed_html
    terms: dict[str, list[Term]] = field(default_factory=dict)
    related: list[RelatedLink] = field(default_factory=list)
    incoming: list[Story] = field(default_factory=list)
    auto_related: list[Story] = field(default_factory=list)
    inline_links: list[Story] = field(default_factory=list)  # targets of [[...]] and file links
    edition: Edition | None = None
    order: tuple[float, str] = (0.0, "")  # newest first, then by slug: computed once, sorted often
    timeline: Timeline | None = None  # its running story, if it is part of one ("The story so far")
    is_lead: bool = False  # front-matter `lead: true`
    is_brief: bool = False  # front-matter `brief: true`
    dep_key: str = field(init=False)

    def __post_init__(self) -> None:
        self.dep_key = "s:" + self.article.slug

    # Attributes that are a function of the article's file alone (with the article settings), like
    # every field reached through __getattr__: the same content_key means the same value.
    FROM_FILE = frozenset({"article", "rendered", "content_key", "summary", "feed_html", "dep_key"})

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

    @functools.cached_property
    def feed_html(self) -> str:
        """The article as a feed reader shows it (cross-links still as markers): computed once per
        build for every feed that carries the story."""
        return entry_html(self.rendered, self.kinds)


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


@dataclass(eq=False, repr=False)
class Page:
    """One file to render: where it goes, with which template, and what it shows."""

    path: str
    template: str
    kind: str
    title: str
    context: dict[str, Any] = field(default_factory=dict)
    pagination: Pagination | None = None
    feed: FeedLink | None = None  # the Atom feed this page offers in its <head>
    stories: tuple[Story, ...] = ()  # the stories it shows, newest first (its sitemap lastmod)
    dep_key: str = field(init=False)

    def __post_init__(self) -> None:
        self.dep_key = "p:" + self.path

    @property
    def lastmod(self) -> dt.datetime | None:
        """The newest change among the stories shown (`updated`, else `date`), never the build clock."""
        return max((s.article.updated or s.article.date for s in self.stories), default=None)


@dataclass(frozen=True)
class FeedLink:
    path: str
    title: str


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
    storylines: list[Storyline] = field(default_factory=list)  # every running story, newest first
    running_stories: list[Storyline] = field(default_factory=list)  # those still running (side column)
    calendar: list[Month] = field(default_factory=list)  # edition months, newest first
    archive_url: str = ""
    tag_uri: str = "tag:localhost,"  # feed entry ids: tag:<host>,<day>:<base path><slug>
    base_path: str = "/"
    search: bool = False  # this build makes a search index (digest.search)
    dep_key = "site"

    @property
    def tags(self) -> Taxonomy:
        return self.taxonomies["tags"]

    @property
    def has_feeds(self) -> bool:
        """Feeds and the sitemap need absolute URLs: without base_url they are left out."""
        return self.config.base_url is not None


class CrossLinkTargets:
    """A site's inline cross-link targets as a graph object (`targets["port-strike"]` is a story),
    so that a page resolving one records the read like any other."""

    dep_key = "xrefs"

    def __init__(self, site: Site):
        self.site = site

    def __getitem__(self, target: str) -> Story:
        return self.site.xrefs[target]


_NOT_WORD = re.compile(r"[\W_]+")


def _newest_first(story: Story) -> tuple[float, str]:
    return story.order


@lru_cache(maxsize=65536)
def normalize_headline(text: str) -> str:
    """Headlines match ignoring case, punctuation, quote and dash styles, and spacing."""
    return " ".join(_NOT_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).split())


class Resolver:
    """The one way a written reference (a slug, a headline, or `file:content/x.md`) finds its story."""

    def __init__(self, stories: list[Story]):
        self.by_slug = {s.article.slug: s for s in stories}
        self.by_path = {s.article.path: s for s in stories}
        self.by_headline: dict[str, list[Story]] = defaultdict(list)
        for story in sorted(stories, key=lambda s: s.article.path):
            self.by_headline[normalize_headline(story.article.title)].append(story)

    def find(self, target: str) -> list[Story]:
        """Every story `target` names: one when it is unambiguous, none or several otherwise."""
        if target.startswith(FILE_PREFIX):
            found = self.by_path.get(target[len(FILE_PREFIX):])
            return [found] if found else []
        if target in self.by_slug:
            return [self.by_slug[target]]
        return self.by_headline.get(normalize_headline(target), [])


@dataclass
class RelatedMemo:
    """The last automatic-relations answer (kept in memory by serve and on disk for the next build):
    most edits leave every story's tags, date and links as they were, and then the answer stands."""

    key: str = ""  # digest of everything the answer depends on
    found: dict[str, list[str]] = field(default_factory=dict)
    changed: bool = False


def build_site(config: SiteConfig, entries: list[tuple[Article, RenderedArticle, str]], diags: Diagnostics,
               related_memo: RelatedMemo | None = None, search: bool = False) -> Site:
    """Assemble the graph from (article, rendered, content key) entries. Problems go to `diags`;
    the returned Site is only usable without errors."""
    urls = Urls(config)
    kinds = config.kinds
    entries = sorted(entries, key=lambda e: e[0].path)
    by_slug: dict[str, Story] = {}
    stories: list[Story] = []
    for article, rendered, content_key in entries:
        if article.slug in by_slug:
            first = by_slug[article.slug].article
            line = article.line_of("slug") if "slug" in article.field_lines else 1
            diags.error(article.path, line, f"duplicate slug `{article.slug}`: {first.path} and {article.path} would both be written to {urls.article(article.slug, article.date)}")
            continue
        story = Story(article=article, rendered=rendered, url=urls.article(article.slug, article.date),
                      content_key=content_key, kinds=kinds, order=(-article.date.timestamp(), article.slug))
        by_slug[article.slug] = story
        stories.append(story)
    stories.sort(key=_newest_first)

    taxonomies = {name: _build_taxonomy(name, stories, config, urls, diags) for name in config.taxonomies}
    resolver = Resolver(stories)
    _resolve_related(stories, resolver, diags)
    _auto_related(stories, by_slug, config, related_memo or RelatedMemo())
    xrefs = _resolve_crossrefs(stories, resolver, diags)
    editions = _build_editions(stories, urls)
    base = urlsplit(config.base_url or "")
    site = Site(config, urls, stories, by_slug, taxonomies, editions, xrefs=xrefs, archive_url=urls.archive(),
                tag_uri=f"tag:{(base.hostname or 'localhost').lower()},", base_path=base.path or "/", search=search)
    arrange_days(site, diags)
    add_storylines(site)
    add_time_views(site)
    site.pages = plan_pages(site)
    return site


def term_values(article: Article, taxonomy: str) -> tuple[list[str], int]:
    """The values an article gives a taxonomy, and the line they were written on. Values that are
    not text are left out here and reported by term_value_problems."""
    if taxonomy == "tags":
        return list(article.tags), article.line_of("tags")
    value = _taxonomy_field(article, taxonomy)
    items = value if isinstance(value, list) else [value]
    terms = [text for text in map(_term_text, items) if text]
    return terms, (article.line_of(taxonomy) if terms else 0)


def term_value_problems(article: Article, taxonomy: str) -> list[tuple[int, str]]:
    """(line, message) for each value of a taxonomy field that is not text or a number: such a
    value would otherwise vanish from the site without a word. (Tags are checked as files are read.)"""
    if taxonomy == "tags":
        return []
    value = _taxonomy_field(article, taxonomy)
    if value is None or isinstance(value, str) or _term_text(value) is not None:
        return []  # a blank `issue: ""` gives no term, as an empty list does
    line = article.line_of(taxonomy)
    if not isinstance(value, list):
        message = f"`{taxonomy}` is a taxonomy (site.yaml `taxonomies`): give it text or a list of text, not {describe(value)}"
        return [(line, message)]
    line_of = getattr(value, "line_of", lambda index: line)
    return [(line_of(index), f"{_singular(taxonomy)} {index + 1} is empty" if isinstance(item, str)
             else f"{_singular(taxonomy)} {index + 1} must be text, not {describe(item)}")
            for index, item in enumerate(value) if _term_text(item) is None]


def _taxonomy_field(article: Article, taxonomy: str) -> Any:
    return getattr(article, taxonomy, None) if taxonomy in Article.__dataclass_fields__ else article.extra.get(taxonomy)


def _term_text(value: Any) -> str | None:
    """A term's text from one value: text or a number (`issue: 12`); None for anything else."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    return value if isinstance(value, str) and value.strip() else None


def _build_taxonomy(name: str, stories: list[Story], config: SiteConfig, urls: Urls, diags: Diagnostics) -> Taxonomy:
    alias_of: dict[str, str] = {}
    if name == "tags":
        for canonical, variants in config.tags.aliases.items():
            for variant in variants:
                alias_of[tag_key(variant)] = canonical
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    carriers: dict[str, list[Story]] = defaultdict(list)
    where: dict[str, tuple[str, int]] = {}
    keys_of: dict[int, list[str]] = {}  # story -> its terms' keys, in the order written
    for story in reversed(stories):  # oldest first, so `where` names the first use
        for problem_line, message in term_value_problems(story.article, name):
            diags.error(story.article.path, problem_line, message)
        values, line = term_values(story.article, name)
        keys: list[str] = []
        for value in values:
            value = " ".join(value.split())
            value = alias_of.get(tag_key(value), value)
            key = tag_key(value)
            if key in keys:
                continue
            keys.append(key)
            spellings[key][value] += 1
            carriers[key].append(story)
            where.setdefault(key, (story.article.path, line))
        keys_of[id(story)] = keys
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
    by_key = {key: term for key, term in by_slug.values()}
    for story in stories:
        story.terms[name] = [by_key[key] for key in keys_of[id(story)] if key in by_key]
    if name == "tags":
        for alias_key, canonical in alias_of.items():
            term = by_key.get(tag_key(canonical))
            if term is not None:
                term.aliases.append(alias_key)
    return taxonomy


def _singular(taxonomy: str) -> str:
    return taxonomy.removesuffix("s")


def _resolve_related(stories: list[Story], resolver: Resolver, diags: Diagnostics) -> None:
    for story in stories:
        for ref in story.article.related:
            link = resolve_ref(ref, story, resolver, diags)
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


def resolve_ref(ref: RelatedRef, story: Story, resolver: Resolver, diags: Diagnostics) -> RelatedLink:
    if ref.is_external:
        return RelatedLink(title=ref.title, url=ref.url)
    matches = resolver.find(ref.target)
    if len(matches) == 1:
        return RelatedLink(title=matches[0].article.title, story=matches[0])
    if len(matches) > 1:
        names = " and ".join(m.article.path for m in matches)
        diags.warning(story.article.path, ref.line, f"related story \"{ref.target}\" matches more than one article: {names}")
        return RelatedLink(title=ref.target)
    diags.warning(story.article.path, ref.line, f"related story not found: \"{ref.target}\"")
    return RelatedLink(title=ref.target)


def _auto_related(stories: list[Story], by_slug: dict[str, Story], config: SiteConfig, memo: RelatedMemo) -> None:
    """Up to `related.auto` stories per story by shared tags, never repeating explicit links."""
    if config.related.auto <= 0:
        return
    tags = {s.article.slug: [t.slug for t in s.tags] for s in stories}
    dates = {s.article.slug: s.order[0] for s in stories}
    exclude = {s.article.slug: [link.story.article.slug for link in s.related if link.story is not None]
               + [other.article.slug for other in s.incoming] for s in stories}
    inputs = (config.related.auto, config.related.max_share, [(slug, tags[slug], dates[slug], exclude[slug]) for slug in sorted(tags)])
    key = hashlib.sha256(repr(inputs).encode("utf-8", "surrogateescape")).hexdigest()
    if memo.key != key:
        memo.found = related_by_tags(tags, dates, limit=config.related.auto, max_share=config.related.max_share, exclude=exclude)
        memo.key, memo.changed = key, True
    for story in stories:
        story.auto_related = [by_slug[slug] for slug in memo.found[story.article.slug]]


def _resolve_crossrefs(stories: list[Story], resolver: Resolver, diags: Diagnostics) -> dict[str, Story]:
    """Every inline link's target must be an article in this build: anything else is an error."""
    resolved: dict[str, Story] = {}
    for story in stories:
        for ref in story.rendered.crossrefs:
            if ref.target in resolved:
                continue
            matches = resolver.find(ref.target)
            path, line = story.article.path, ref.line
            if len(matches) == 1:
                resolved[ref.target] = matches[0]
            elif ref.target.startswith(FILE_PREFIX):
                diags.error(path, line, f"cross-link to `{ref.written}`: there is no article "
                                        f"{ref.target[len(FILE_PREFIX):]} in this build")
            elif matches:
                names = " and ".join(m.article.path for m in matches)
                diags.error(path, line, f"cross-link `{ref.written}` matches more than one article: {names}; use a slug")
            else:
                diags.error(path, line, f"cross-link target not found: `{ref.written}` "
                                        "(no article in this build has that slug or headline)")
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
    """Every page and feed to render, with the stories each shows."""
    config, urls = site.config, site.urls
    site_feed = FeedLink("feed.xml", config.title) if site.has_feeds else None
    pages: list[Page] = []
    for pagination, chunk in _paginate(site.stories, config.digest.per_page, "", urls):
        title = config.title if pagination.number == 1 else f"{config.title} — page {pagination.number}"
        pages.append(Page(pagination.paths[pagination.number - 1], "index.html", "digest", title,
                          {"stories": chunk, "groups": group_by_day(chunk)}, pagination, site_feed, tuple(chunk)))
    for story in site.stories:
        pages.append(Page(story.url, "article.html", "article", story.article.title, {"story": story},
                          feed=site_feed, stories=(story,)))
    for edition in site.editions:
        pages.append(Page(edition.url, "edition.html", "edition", f"Digest for {edition.day:%-d %B %Y}",
                          {"edition": edition, "stories": edition.stories}, feed=site_feed, stories=tuple(edition.stories)))
    months: dict[tuple[int, int], list[Edition]] = defaultdict(list)
    for edition in site.editions:
        months[(edition.day.year, edition.day.month)].append(edition)
    archive = [(dt.date(y, m, 1), eds) for (y, m), eds in sorted(months.items(), reverse=True)]
    pages.append(Page(site.archive_url, "archive.html", "archive", "Archive", {"months": archive}, feed=site_feed,
                      stories=tuple(site.stories)))
    for taxonomy in site.taxonomies.values():
        pages.append(Page(taxonomy.url, "taxonomy.html", "taxonomy", taxonomy.label, {"taxonomy": taxonomy},
                          feed=site_feed, stories=tuple(site.stories)))
        for term in taxonomy.terms:
            term_feed = FeedLink(term.feed, f"{config.title}: {term.name}") if site.has_feeds else None
            for pagination, chunk in _paginate(term.stories, config.tags.per_page, term.url, urls):
                title = term.name if pagination.number == 1 else f"{term.name} — page {pagination.number}"
                pages.append(Page(pagination.paths[pagination.number - 1], "term.html", "term", title,
                                  {"taxonomy": taxonomy, "term": term, "stories": chunk}, pagination, term_feed, tuple(chunk)))
    pages.extend(_alias_pages(site))
    pages.append(Page("404.html", "404.html", "404", "Page not found", {}, feed=site_feed))
    pages.extend(_feed_pages(site))
    pages.append(search_page(site, site_feed))
    return pages


def _feed_pages(site: Site) -> list[Page]:
    """An Atom feed of the newest stories of the site and of every term (only with base_url:
    feeds need absolute URLs)."""
    if not site.has_feeds:
        return []
    config = site.config
    limit = config.feeds.entries
    # An empty feed still needs <updated>: the site's newest change, or the epoch, keeps it deterministic.
    newest = max((s.article.updated or s.article.date for s in site.stories), default=dt.datetime(1970, 1, 1, tzinfo=dt.UTC))
    feeds = [("feed.xml", "", config.title, site.stories[:limit])]
    for taxonomy in site.taxonomies.values():
        for term in taxonomy.terms:
            feeds.append((term.feed, term.url, f"{config.title}: {term.name}", term.stories[:limit]))
    pages = []
    for path, page_path, title, stories in feeds:
        updated = max((s.article.updated or s.article.date for s in stories), default=newest)
        pages.append(Page(path, "atom.xml", "feed", title, {"stories": stories, "feed_page": page_path, "updated": updated},
                          stories=tuple(stories)))
    return pages


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
            pages.append(Page(site.urls.term("tags", slug), "alias.html", "alias", term.name, {"term": term, "alias": name}))
    return pages
