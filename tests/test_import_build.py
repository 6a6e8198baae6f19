"""Imported content builds: every source into one site, related headlines link, the rest is
shown as "Elsewhere", drafts stay out of the published site."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import html as lxml_html

from digest.importers import run_import
from tests.conftest import build, write_site
from tests.test_import_support import FEEDS, FIXTURES, PAGES, TEXTS, corpus

SEED_SLUG = "container-traffic-through-the-harwick-terminal-fell-by-a-third-in-february"


def _import(site: Path, sources: list[Path]) -> list[str]:
    lines: list[str] = []
    run_import(sources, site, out=lines.append)
    return lines


def _page(public: Path, slug: str) -> lxml_html.HtmlElement:
    return lxml_html.fromstring((public / "articles" / slug / "index.html").read_text(encoding="utf-8"))


def test_every_fixture_imports_into_a_site_that_builds(tmp_path):
    site = write_site(tmp_path / "site", {})
    lines = _import(site, [TEXTS, PAGES, FEEDS])
    errors = [ln for ln in lines if ": error: " in ln]
    assert [e.split(": error: ")[0].rsplit("/", 1)[-1] for e in errors] == [
        "MALFORMED-incomplete-cdata.xml",
        "MALFORMED-undeclared-prefix.xml",
    ]
    assert len(list((site / "content").glob("*.md"))) == 12 + 16
    for drafts in ("", "--drafts"):
        result = build(site, *([drafts] if drafts else []))
        assert result.code == 0, result.output[-3000:]
        assert not re.search(r": error: ", result.output), result.output[-3000:]


def test_imported_scrape_links_to_related_stories_and_lists_the_rest_elsewhere(tmp_path):
    related = {
        "walkout.md": "Harwick dockworkers walk out over shift-pattern changes",
        "mediation.md": "Port Authority Offers Mediation in Harwick Dispute",
    }
    files = {f"content/{name}": f'---\ntitle: "{title}"\ndate: 2024-03-01\n---\n\nStory text.\n' for name, title in related.items()}
    site = write_site(tmp_path / "site", files)
    lines = _import(site, [TEXTS / "agency-seed-layout.txt"])
    assert lines[-1] == "imported 1 new (1 marked draft: derived title to rewrite), 0 unchanged, 0 skipped, 0 errors"

    # A draft until an editor writes a title: not in the published site.
    result = build(site)
    assert result.code == 0, result.output
    assert not (site / "public" / "articles" / SEED_SLUG).exists()

    result = build(site, "--drafts")
    assert result.code == 0, result.output
    assert "related story" not in result.output  # no "related story not found" warning
    doc = _page(site / "public", SEED_SLUG)
    listed = doc.xpath('//section[@id="related"]//div[@data-kind="listed"]//a')
    page_dir = site / "public" / "articles" / SEED_SLUG
    assert [(a.text_content(), (page_dir / a.get("href")).resolve()) for a in listed] == [
        ("Port Authority Offers Mediation in Harwick Dispute", (site / "public" / "articles" / "mediation").resolve()),
    ]
    # "Dockworkers Walk Out Over Shift Pattern Changes" does not match "Harwick dockworkers walk
    # out…": it is elsewhere, as plain text after the related section, with no link.
    (elsewhere,) = doc.xpath('//section[@id="elsewhere"]')
    assert elsewhere.xpath("string(h2)") == "Elsewhere"
    assert [li.text_content().strip() for li in elsewhere.iter("li")] == [
        "Dockworkers Walk Out Over Shift Pattern Changes",
        "Baltic Freight Rates Climb for a Third Week",
    ]
    assert not elsewhere.xpath(".//a")
    page_text = doc.text_content()
    assert "not in this digest" not in page_text
    assert doc.xpath('//section[@id="related"]/following::section[@id="elsewhere"]')


def test_elsewhere_entries_with_an_address_are_links_and_text_is_escaped(tmp_path):
    article = (
        "---\ntitle: Harbour story\ndate: 2024-03-01\nelsewhere:\n"
        '  - "<script>alert(1)</script> & more"\n'
        "  - {title: Outside coverage, url: 'https://example.org/story'}\n---\n\nText.\n"
    )
    site = write_site(tmp_path / "site", {"content/harbour-story.md": article})
    result = build(site)
    assert result.code == 0, result.output
    html = (site / "public" / "articles" / "harbour-story" / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html and "<script>alert(1)" not in html
    assert '<a href="https://example.org/story" rel="noopener external">Outside coverage</a>' in html


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{title: Bad, url: 'javascript:alert(1)'}", "each `elsewhere` story must be a headline, or {title, url} with an http(s) url"),
        ("[1, 2]", "each `elsewhere` story must be a headline, or {title, url} with an http(s) url"),
    ],
)
def test_bad_elsewhere_entries_are_errors_at_their_line(tmp_path, value, message):
    article = f"---\ntitle: Harbour story\ndate: 2024-03-01\nelsewhere:\n  - {value}\n---\n\nText.\n"
    site = write_site(tmp_path / "site", {"content/harbour-story.md": article})
    result = build(site)
    assert result.code == 1
    assert f"content/harbour-story.md:4: error: {message}" in result.output


@pytest.mark.corpus
def test_every_corpus_source_imports_into_a_site_that_builds(tmp_path):
    site = write_site(tmp_path / "site", {})
    sources = [
        *sorted(corpus("text").rglob("*.txt")),
        *sorted(corpus("html").glob("*/source.html")),
        *sorted(corpus("feeds").glob("*.xml")),
        FIXTURES,
    ]
    lines = _import(site, sources)
    errors = [ln for ln in lines if ": error: " in ln]
    # The feeds feedparser cannot read are the only failures.
    assert sorted(e.split(": error: ")[0].rsplit("/", 1)[-1] for e in errors) == [
        "MALFORMED-incomplete-cdata.xml",
        "MALFORMED-rss-incomplete-cdata.xml",
        "MALFORMED-undeclared-namespace.xml",
        "MALFORMED-undeclared-prefix.xml",
    ]
    assert len(list((site / "content").glob("*.md"))) > 300
    result = build(site, "--drafts")
    assert result.code == 0, result.output[-3000:]
    assert not re.search(r": error: ", result.output), result.output[-3000:]


@pytest.mark.corpus
def test_imported_seed_links_to_its_related_stories(tmp_path):
    related = {
        "broad-coalition.md": "Broad Counter-Terrorism Coalition 'Best Way Forward' Against ISIL",
        "renzi.md": "Italian PM Renzi Calls for Broader Anti-ISIL Coalition",
    }
    files = {
        f"content/{name}": f'---\ntitle: "{title}"\ndate: 2015-11-26\n---\n\nStory text.\n' for name, title in related.items()
    }
    site = write_site(tmp_path / "site", files)
    lines = _import(site, [corpus("text", "seed-sputnik-s400.txt")])
    assert lines[-1] == "imported 1 new (1 marked draft: derived title to rewrite), 0 unchanged, 0 skipped, 0 errors"
    result = build(site, "--drafts")
    assert result.code == 0, result.output

    public = site / "public"
    pages = {p: p.read_text(encoding="utf-8") for p in public.rglob("*.html")}
    seed_page = next(p for p, text in pages.items() if "Hmeimim airbase" in text and "<article" in text)
    targets = {}
    for name in related:
        slug = name.removesuffix(".md")
        targets[slug] = next(p for p in pages if slug in p.as_posix() and p.name == "index.html")
    doc = lxml_html.fromstring(pages[seed_page])
    hrefs = {(seed_page.parent / a.get("href")).resolve() for a in doc.iter("a") if a.get("href")}
    for slug, target in targets.items():
        assert target.resolve() in hrefs or target.parent.resolve() in hrefs, (slug, sorted(map(str, hrefs))[:40])
    elsewhere = doc.xpath('//section[@id="elsewhere"]//li')
    assert [li.text_content().strip() for li in elsewhere] == ["US-Led Coalition Against ISIL Conducts 23 Airstrikes in Iraq, Syria"]
