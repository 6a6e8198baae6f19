"""Atom 1.0 feeds: the whole digest (`feed.xml`) and one per taxonomy term (`tags/<slug>/feed.xml`).

Written with an XML writer (ElementTree), never by string pasting, so any text is escaped. Every
URL is absolute (from base_url); without base_url there are no feeds. Entry ids are tag: URIs
built from the host, the publication day and the slug, so they survive permalink changes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from markupsafe import escape

from .markup.annotations import annotation_parts
from .markup.crosslinks import substitute
from .site import Site, Story

ATOM = "http://www.w3.org/2005/Atom"
# Characters XML 1.0 forbids even escaped; a stray one in an article must not break the feed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# An entry carries at most this many categories per taxonomy: the entry is in the feed of each of
# its terms, so listing every one of 3,000 tags would make the feeds grow with the square of that.
ENTRY_CATEGORIES = 10

# (href, headline) of an inline cross-link target, as absolute URLs; None if unknown.
Resolver = Callable[[str], "tuple[str, str] | None"]


@dataclass(frozen=True)
class FeedJob:
    """One feed to write: its path, its entries, the page it belongs to and its title."""

    path: str
    stories: tuple[Story, ...]
    page_path: str
    title: str


def feed_jobs(site: Site) -> list[FeedJob]:
    """Every feed of the site; none without base_url. Cheap: nothing is rendered yet, so an
    incremental build can skip the feeds whose entries did not change."""
    if not site.has_feeds:
        return []
    limit = site.config.feeds.entries
    jobs = [FeedJob("feed.xml", tuple(site.stories[:limit]), "", site.config.title)]
    for taxonomy in site.taxonomies.values():
        for term in taxonomy.terms:
            jobs.append(FeedJob(term.feed, tuple(term.stories[:limit]), term.url, f"{site.config.title}: {term.name}"))
    return jobs


def render_feed(site: Site, job: FeedJob) -> bytes:
    def resolve(target: str) -> tuple[str, str] | None:
        story = site.xrefs.get(target)
        return None if story is None else (site.urls.absolute(story.url) or story.url, story.article.title)

    return atom(site, list(job.stories), job.path, job.page_path, job.title, resolve)


def atom(site: Site, stories: list[Story], path: str, page_path: str, title: str, resolve: Resolver) -> bytes:
    config, urls = site.config, site.urls
    feed = ET.Element("feed", {"xmlns": ATOM, "xml:lang": config.language})
    _text(feed, "id", urls.absolute(page_path) or "")
    _text(feed, "title", title)
    if config.description:
        _text(feed, "subtitle", config.description)
    newest = max((_updated(s) for s in stories), default=None) or _site_updated(site)
    _text(feed, "updated", _stamp(newest))
    ET.SubElement(feed, "link", {"rel": "self", "type": "application/atom+xml", "href": urls.absolute(path) or ""})
    ET.SubElement(feed, "link", {"rel": "alternate", "type": "text/html", "href": urls.absolute(page_path) or ""})
    author = ET.SubElement(feed, "author")
    _text(author, "name", config.author or config.title)
    _text(feed, "generator", "digest")
    for story in stories:
        feed.append(_entry(site, story, resolve))
    ET.indent(feed, space="  ")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8", xml_declaration=False) + b"\n"


def _entry(site: Site, story: Story, resolve: Resolver) -> ET.Element:
    config, urls = site.config, site.urls
    article = story.article
    link = urls.absolute(story.url) or ""
    entry = ET.Element("entry")
    _text(entry, "title", article.title)
    ET.SubElement(entry, "link", {"rel": "alternate", "type": "text/html", "href": link})
    _text(entry, "id", entry_id(config.base_url or "", story))
    _text(entry, "published", _stamp(article.date))
    _text(entry, "updated", _stamp(_updated(story)))
    author = ET.SubElement(entry, "author")
    _text(author, "name", article.author or article.source or config.author or config.title)
    for taxonomy, terms in sorted(story.terms.items()):
        scheme = urls.absolute(site.taxonomies[taxonomy].url) or ""
        for term in terms[:ENTRY_CATEGORIES]:
            ET.SubElement(entry, "category", {"term": term.name, "label": term.name, "scheme": scheme})
    if story.rendered.summary:
        _text(entry, "summary", story.rendered.summary)
    # xml:base: relative links in the article (footnotes, its own images) resolve against its page.
    content = _text(entry, "content", substitute(content_html(story, site), resolve))
    content.set("type", "html")
    content.set("xml:base", link)
    return entry


def content_html(story: Story, site: Site) -> str:
    """The article as a feed reader shows it: editor's note, body with numbered highlights, and the
    annotations (kind, rating, quoted words, note, sources) in a list after it."""
    kinds = site.config.kinds
    parts = []
    if story.rendered.editor_note_html:
        parts.append(f'<div class="editor-note"><p><strong>Editor’s note</strong></p>{story.rendered.editor_note_html}</div>')
    anchored = list(getattr(story.rendered, "anchored", ()))
    body = []
    for chunk, number in annotation_parts(story.rendered.body_html):
        body.append(chunk)
        if number and number <= len(anchored):
            a = anchored[number - 1]
            body.append(f'<sup><a href="#{a.id}-item">{a.number}</a></sup>')
    parts.append("".join(body))
    if anchored:
        items = []
        for a in anchored:
            kind = kinds[a.annotation.kind].label if a.annotation.kind in kinds else a.annotation.kind
            rating = f" — Rating: <strong>{escape(a.annotation.rating)}</strong>" if a.annotation.rating else ""
            sources = "".join(f'<li><a href="{escape(s.url)}">{escape(s.title)}</a></li>' for s in a.annotation.sources)
            items.append(f'<li value="{a.number}"><p><strong>{escape(kind)}</strong>{rating}</p>'
                         f"<blockquote><p>{escape(a.text)}</p></blockquote>{a.note_html}"
                         + (f"<ul>{sources}</ul>" if sources else "") + "</li>")
        parts.append(f'<h2>Annotations</h2><ol class="annotations">{"".join(items)}</ol>')
    return _NOT_XML.sub("", "\n".join(parts))


def entry_id(base_url: str, story: Story) -> str:
    """tag:host,YYYY-MM-DD:/base/slug — stable across builds and permalink changes (RFC 4151)."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "localhost").lower()
    return f"tag:{host},{story.article.date.date().isoformat()}:{parts.path or '/'}{story.article.slug}"


def _updated(story: Story) -> dt.datetime:
    return story.article.updated or story.article.date


def _site_updated(site: Site) -> dt.datetime:
    # A feed with no entries still needs <updated>; the newest story keeps it deterministic.
    return max((_updated(s) for s in site.stories), default=dt.datetime(1970, 1, 1, tzinfo=dt.UTC))


def _stamp(moment: dt.datetime) -> str:
    return moment.isoformat()


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = _NOT_XML.sub("", text)
    return element
