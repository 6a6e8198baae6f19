"""Atom feeds, sitemap.xml and robots.txt, tag aliases and extra taxonomies, head links."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from xml.etree import ElementTree

import feedparser
import pytest

from tests.conftest import article, build, tree_digest, write_site

BASE = "https://digest.example.org/"
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def _file_for(public: Path, url: str, base: str = BASE) -> Path:
    assert url.startswith(base), url
    path = urlsplit(url).path[len(urlsplit(base).path):]
    return public / (path + "index.html" if path == "" or path.endswith("/") else path)


def _feeds(public: Path) -> list[Path]:
    return sorted(public.rglob("feed.xml"))


# ---- the example digest ---------------------------------------------------------------------


def test_every_feed_parses_with_the_right_entries(built_example: Path) -> None:
    public = built_example
    feeds = _feeds(public)
    term_pages = [p.parent for p in public.glob("tags/*/index.html")
                  if 'http-equiv="refresh"' not in p.read_text()]
    assert public / "feed.xml" in feeds and len(feeds) == 1 + len(term_pages)
    for path in feeds:
        feed = feedparser.parse(path.read_bytes())
        assert not feed.bozo, (path, feed.get("bozo_exception"))
        assert feed.version == "atom10"
        page = _file_for(public, feed.feed.link)
        assert page.is_file() and page.parent == path.parent
        self_link = next(link.href for link in feed.feed.links if link.rel == "self")
        assert _file_for(public, self_link) == path
        # The entries are the stories the feed's page lists (cards and "In brief" lines), newest
        # first; the page itself may put a day's lead story first.
        html = page.read_text()
        listed = re.findall(r'<h[23] class="story-title"><a href="([^"]+)"', html)
        for briefs in re.findall(r'<section class="in-brief".*?</section>', html, re.DOTALL):
            listed += re.findall(r'<li><a href="([^"]+)">', briefs)
        assert len(listed) <= 20
        assert sorted(e.link for e in feed.entries) == sorted(urljoin(feed.feed.link, href) for href in listed)
        published = [e.published_parsed for e in feed.entries]
        assert published == sorted(published, reverse=True)
        for entry in feed.entries:
            assert entry.link.startswith(BASE) and _file_for(public, entry.link).is_file()
            assert entry.id.startswith("tag:digest.example.org,20")
            assert entry.title and entry.updated and entry.published and entry.author and entry.summary
            assert entry.content[0].type == "text/html"
            for href in re.findall(r'href="([^"]+)"', entry.content[0].value):
                assert "://" in href or href.startswith(("#", "mailto:")), (path, href)


def test_site_feed_has_the_newest_articles_with_annotations(built_example: Path) -> None:
    feed = feedparser.parse((built_example / "feed.xml").read_bytes())
    assert len(feed.entries) == 18
    updated = [e.updated_parsed for e in feed.entries]
    published = [e.published_parsed for e in feed.entries]
    assert published == sorted(published, reverse=True) and all(updated)
    second_day = next(e for e in feed.entries if e.link.endswith("/articles/port-strike-enters-second-day/"))
    html = second_day.content[0].value
    assert "<h2>Annotations</h2>" in html and "The count rose from five to seven" in html
    assert "Ports" in [t.term for t in second_day.tags]
    assert second_day.author == "Jens Aaltonen"


def test_sitemap_lists_exactly_the_html_pages(built_example: Path) -> None:
    public = built_example
    root = ElementTree.fromstring((public / "sitemap.xml").read_bytes())
    assert root.tag == SITEMAP_NS + "urlset"
    entries = {u.findtext(SITEMAP_NS + "loc"): u.findtext(SITEMAP_NS + "lastmod") for u in root}
    listed = {_file_for(public, loc) for loc in entries}
    html = {p for p in public.rglob("*.html") if p.name != "404.html"}
    redirects = {p for p in html if 'http-equiv="refresh"' in p.read_text()}
    assert listed == html - redirects
    for lastmod in entries.values():
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", lastmod)
    article = entries[BASE + "articles/port-strike-enters-second-day/"]
    assert lastmod and article == "2026-03-03T13:05:00+01:00"  # its `updated`
    robots = (public / "robots.txt").read_text()
    assert robots == f"User-agent: *\nAllow: /\n\nSitemap: {BASE}sitemap.xml\n"


def test_every_page_links_its_feed_and_canonical_url(built_example: Path) -> None:
    for page in built_example.rglob("*.html"):
        text = page.read_text()
        if 'http-equiv="refresh"' in text:
            continue
        feed = re.search(r'<link rel="alternate" type="application/atom\+xml" title="[^"]*" href="([^"]+)">', text)
        assert feed, page
        href = feed.group(1)  # 404.html links from the site root: it is served at any URL
        assert (built_example / href.lstrip("/") if href.startswith("/") else page.parent / href).resolve().is_file()
        if page.name != "404.html":
            canonical = re.search(r'<link rel="canonical" href="([^"]+)">', text)
            assert canonical and _file_for(built_example, canonical.group(1)) == page
    term = (built_example / "tags" / "ports" / "index.html").read_text()
    assert 'href="../../tags/ports/feed.xml"' in term


def test_feeds_are_stable_across_builds(example_site: Path) -> None:
    assert build(example_site).code == 0
    first = tree_digest(example_site / "public")
    (example_site / "public" / "feed.xml").unlink()
    assert build(example_site).code == 0
    assert tree_digest(example_site / "public") == first


# ---- without base_url -----------------------------------------------------------------------


def test_without_base_url_feeds_and_sitemap_are_left_out_with_one_warning(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {
        "content/a.md": article("A", tags="[Ports]"),
        "content/b.md": article("B", tags="[Ports]"),
    })
    result = build(site)
    assert result.code == 0
    assert result.err.count("warning") == 1
    assert "site.yaml: warning: no base_url: feed.xml, the tag feeds, sitemap.xml and robots.txt are left out" in result.err
    public = site / "public"
    assert not _feeds(public) and not (public / "sitemap.xml").exists() and not (public / "robots.txt").exists()
    page = (public / "index.html").read_text()
    assert "application/atom+xml" not in page and 'rel="canonical"' not in page
    # --base-url supplies it from the command line.
    assert build(site, "--base-url", "https://example.net/news").code == 0
    feed = feedparser.parse((public / "tags" / "ports" / "feed.xml").read_bytes())
    assert not feed.bozo and len(feed.entries) == 2
    assert all(e.link.startswith("https://example.net/news/articles/") for e in feed.entries)
    assert feed.entries[0].id.startswith("tag:example.net,2026-03-02:/news/")


def test_feed_entries_setting_and_hostile_text(tmp_path: Path) -> None:
    files = {f"content/s{i}.md": article(f"Story {i} <b>&amp; ]]>", f"2026-03-0{i + 1}T09:00:00",
                                         body=f"Body {i} \x0b with <em>html</em>.", tags="['A & B']")
             for i in range(5)}
    site = write_site(tmp_path / "site", files, f"title: T\nbase_url: {BASE}\nfeeds:\n  entries: 3\n")
    assert build(site).code == 0, build(site).output
    for path in (site / "public" / "feed.xml", site / "public" / "tags" / "a-b" / "feed.xml"):
        feed = feedparser.parse(path.read_bytes())
        assert not feed.bozo, feed.get("bozo_exception")
        assert [e.title for e in feed.entries] == [f"Story {i} <b>&amp; ]]>" for i in (4, 3, 2)]
        assert feed.entries[0].tags[0].term == "A & B"


# ---- aliases and taxonomies -----------------------------------------------------------------


@pytest.fixture
def tagged_site(tmp_path: Path) -> Path:
    site_yaml = (f"title: T\nbase_url: {BASE}\ntaxonomies: [tags, source]\n"
                 "tags:\n  aliases:\n    Islamic State: [ISIL, ISIS, Daesh]\n")
    return write_site(tmp_path / "site", {
        "content/a.md": article("A", "2026-03-01T09:00:00", tags="[ISIL, Syria]", source="Sputnik"),
        "content/b.md": article("B", "2026-03-02T09:00:00", tags="[Daesh]", source="Reuters"),
        "content/c.md": article("C", "2026-03-03T09:00:00", tags="[Islamic State]", source="Sputnik"),
    }, site_yaml)


def test_aliases_fold_into_the_canonical_tag_and_redirect(tagged_site: Path) -> None:
    assert build(tagged_site).code == 0
    public = tagged_site / "public"
    canonical = (public / "tags" / "islamic-state" / "index.html").read_text()
    assert canonical.count('class="story-title"') == 3
    for alias in ("isil", "isis", "daesh"):
        page = (public / "tags" / alias / "index.html").read_text()
        assert '<meta http-equiv="refresh" content="0; url=../../tags/islamic-state/">' in page
        assert f'<link rel="canonical" href="{BASE}tags/islamic-state/">' in page
        assert '<a href="../../tags/islamic-state/">Islamic State</a>' in page
        assert not (public / "tags" / alias / "feed.xml").exists()
    tags_index = (public / "tags" / "index.html").read_text()
    assert "ISIL" not in tags_index and "Daesh" not in tags_index
    article_page = (public / "articles" / "a" / "index.html").read_text()
    assert '<a href="../../tags/islamic-state/" rel="tag">Islamic State</a>' in article_page


def test_a_second_taxonomy_has_pages_and_feeds(tagged_site: Path) -> None:
    assert build(tagged_site).code == 0
    public = tagged_site / "public"
    sputnik = (public / "source" / "sputnik" / "index.html").read_text()
    assert sputnik.count('class="story-title"') == 2
    assert '<link rel="alternate" type="application/atom+xml" title="T: Sputnik" href="../../source/sputnik/feed.xml">' in sputnik
    feed = feedparser.parse((public / "source" / "sputnik" / "feed.xml").read_bytes())
    assert not feed.bozo and [e.title for e in feed.entries] == ["C", "A"]
    assert (public / "source" / "index.html").is_file()
