"""sitemap.xml (every indexable page, with lastmod) and robots.txt pointing at it.

lastmod comes from the stories a page shows (their `updated`, else `date`), never from the build
clock, so the same content gives the same bytes. Redirect pages (tag aliases) and 404.html are
not pages a search engine should index and are left out.
"""

from __future__ import annotations

import datetime as dt
from xml.etree import ElementTree as ET

from .site import Page, Site, Story

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
UNLISTED_KINDS = ("404", "alias")


def sitemap_files(site: Site) -> dict[str, bytes]:
    """Site path -> bytes of sitemap.xml and robots.txt; empty without base_url."""
    if not site.has_feeds:
        return {}
    robots = f"User-agent: *\nAllow: /\n\nSitemap: {site.urls.absolute('sitemap.xml')}\n"
    return {"sitemap.xml": sitemap(site), "robots.txt": robots.encode()}


def sitemap(site: Site) -> bytes:
    urlset = ET.Element("urlset", {"xmlns": SITEMAP_NS})
    newest = _newest(site.stories)
    for page in site.pages:
        if page.kind in UNLISTED_KINDS:
            continue
        url = ET.SubElement(urlset, "url")
        ET.SubElement(url, "loc").text = site.urls.absolute(page.path)
        modified = lastmod(page) or newest
        if modified is not None:
            ET.SubElement(url, "lastmod").text = modified.isoformat()
    ET.indent(urlset, space="  ")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(urlset, encoding="utf-8", xml_declaration=False) + b"\n"


def lastmod(page: Page) -> dt.datetime | None:
    """An article's own last change; for a listing, the newest change among the stories it shows."""
    deps = page.deps
    if deps is None:
        return None
    return _newest(deps.full or deps.cards)


def _newest(stories: list[Story] | tuple[Story, ...]) -> dt.datetime | None:
    return max((s.article.updated or s.article.date for s in stories), default=None)
