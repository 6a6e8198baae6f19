"""digest.render on its own: pages from a graph built in memory, and what each render records."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import feedparser
import pytest

from digest.config import SiteConfig
from digest.content import Article
from digest.diagnostics import Diagnostics
from digest.markup import RenderedArticle
from digest.render import Renderer, TemplateProblem
from digest.site import RelatedMemo, Site, build_site

UTC = dt.UTC


def _site(tmp_path: Path, *titles: str, templates: dict[str, str] | None = None, **config: object) -> Site:
    for name, text in (templates or {}).items():
        (tmp_path / "templates").mkdir(exist_ok=True)
        (tmp_path / "templates" / name).write_text(text)
    entries = []
    for i, title in enumerate(titles):
        slug = f"s{i}"
        art = Article(path=f"content/{slug}.md", slug=slug, title=title, date=dt.datetime(2026, 3, 2, 9 + i, tzinfo=UTC),
                      body="Body.", body_line=5, tags=("Ports",), source="Wire")
        rendered = RenderedArticle(body_html="<p>Body.</p>", summary="Body.", editor_note_html="", word_count=1)
        entries.append((art, rendered, f"key-{slug}"))
    diags = Diagnostics()
    site = build_site(SiteConfig(root=tmp_path, **config), entries, diags, RelatedMemo())
    assert not diags.errors
    return site


def _page(site: Site, path: str):
    return next(p for p in site.pages if p.path == path)


def test_a_render_records_what_it_read_and_nothing_else(tmp_path: Path) -> None:
    site = _site(tmp_path, "First", "Second", templates={"article.html": "{{ story.title }}|{{ config.title }}"})
    html, reads = Renderer(site).render(_page(site, "articles/s0/"))
    assert html == b"First|News digest"
    # (every page depends on how links are made: relative_urls and base_url)
    assert reads.attrs == {("s:s0", "title"), ("config", "title"), ("config", "relative_urls"), ("config", "base_url")}
    assert reads.templates == {"article.html"}


def test_reads_inside_a_cached_card_count_for_every_page_that_shows_it(tmp_path: Path) -> None:
    card = "{% macro story_card(story, heading) %}<{{ heading }}>{{ story.title }}</{{ heading }}>{% endmacro %}"
    site = _site(tmp_path, "First", "Second", templates={"_macros.html": card, "index.html": "{% for s in stories %}{{ card(s) }}{% endfor %}",
                                                         "edition.html": "{% for s in stories %}{{ card(s) }}{% endfor %}"})
    renderer = Renderer(site)
    _, home = renderer.render(_page(site, ""))
    _, edition = renderer.render(_page(site, "digest/2026-03-02/"))  # the same cards, from the cache
    assert {("s:s0", "title"), ("s:s1", "title")} <= home.attrs
    assert {("s:s0", "title"), ("s:s1", "title")} <= edition.attrs
    assert "_macros.html" in edition.templates


def test_python_helpers_record_their_reads(tmp_path: Path) -> None:
    site = _site(tmp_path, "First", templates={"article.html": "{{ url(story) }} {{ story_annotation_counts(story) }}"})
    _, reads = Renderer(site).render(_page(site, "articles/s0/"))
    assert {("s:s0", "url"), ("s:s0", "annotations"), ("config", "kinds")} <= reads.attrs


def test_control_characters_never_reach_a_page(tmp_path: Path) -> None:
    site = _site(tmp_path, "Bell\x07 and escape\x1b[2J and C1\x9b here", templates={"article.html": "{{ story.title }}"})
    html, _ = Renderer(site).render(_page(site, "articles/s0/"))
    assert html == b"Bell and escape[2J and C1 here"


def test_a_template_error_names_the_template_line_and_page(tmp_path: Path) -> None:
    site = _site(tmp_path, "First", templates={"article.html": "line one\n{{ story.no_such_field.boom }}\n"})
    with pytest.raises(TemplateProblem) as problem:
        Renderer(site).render(_page(site, "articles/s0/"))
    assert problem.value.diagnostic.path == "templates/article.html" and problem.value.diagnostic.line == 2
    assert problem.value.page_path == "articles/s0/"


def test_feeds_are_atom_that_a_reader_parses(tmp_path: Path) -> None:
    site = _site(tmp_path, "First <b>bold</b>", "Second & more", base_url="https://x.org/news/")
    data, _ = Renderer(site).render(_page(site, "feed.xml"))
    feed = feedparser.parse(data)
    assert not feed.bozo, feed.bozo_exception
    assert [e.title for e in feed.entries] == ["Second & more", "First <b>bold</b>"]
    assert feed.entries[0].id == "tag:x.org,2026-03-02:/news/s1"
    assert feed.entries[0].link == "https://x.org/news/articles/s1/"
    assert [t.term for t in feed.entries[0].tags] == ["Ports"]


def test_an_empty_site_has_a_valid_dated_feed(tmp_path: Path) -> None:
    site = _site(tmp_path, base_url="https://x.org/")
    data, _ = Renderer(site).render(_page(site, "feed.xml"))
    feed = feedparser.parse(data)
    assert not feed.bozo and feed.entries == [] and feed.feed.updated == "1970-01-01T00:00:00+00:00"


def test_machine_readable_dates_have_whole_minute_offsets() -> None:
    from zoneinfo import ZoneInfo

    from digest.render import isodate

    old = dt.datetime(1850, 1, 1, 12, tzinfo=ZoneInfo("Europe/Copenhagen"))  # local mean time: +00:50:20
    assert isodate(old) == "1850-01-01T11:09:40+00:00"
    assert isodate(dt.datetime(2026, 3, 2, 9, tzinfo=ZoneInfo("Europe/Copenhagen"))) == "2026-03-02T09:00:00+01:00"
    assert isodate(dt.date(2026, 3, 2)) == "2026-03-02"
