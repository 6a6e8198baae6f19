"""sitemap.xml (every indexable page, with lastmod) and robots.txt pointing at it.

lastmod comes from the stories a page shows (their `updated`, else `date`), never from the build
clock, so the same content gives the same bytes. Redirect pages (tag aliases) and 404.html are
not pages a search engine should index and are left out.
"""

from __future__ import annotations

import datetime as dt
from xml.sax.saxutils import escape

from .site import Site, Story

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
UNLISTED_KINDS = ("404", "alias", "feed")


def sitemap_files(site: Site) -> dict[str, bytes]:
    """Site path -> bytes of sitemap.xml and robots.txt; empty without base_url."""
    if not site.has_feeds:
        return {}
    robots = f"User-agent: *\nAllow: /\n\nSitemap: {site.urls.absolute('sitemap.xml')}\n"
    return {"sitemap.xml": sitemap(site), "robots.txt": robots.encode()}


def sitemap(site: Site) -> bytes:
    # Thousands of two-field records: formatted directly (every value escaped) because building
    # an ElementTree for them was most of a one-article rebuild in `serve`.
    newest = _newest(site.stories)
    lines = ['<?xml version="1.0" encoding="utf-8"?>', f'<urlset xmlns="{SITEMAP_NS}">']
    for page in site.pages:
        if page.kind in UNLISTED_KINDS:
            continue
        lines.append("  <url>")
        lines.append(f"    <loc>{escape(site.urls.absolute(page.path) or '')}</loc>")
        modified = page.lastmod or newest
        if modified is not None:
            lines.append(f"    <lastmod>{escape(modified.isoformat())}</lastmod>")
        lines.append("  </url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _newest(stories: list[Story] | tuple[Story, ...]) -> dt.datetime | None:
    return max((s.article.updated or s.article.date for s in stories), default=None)
