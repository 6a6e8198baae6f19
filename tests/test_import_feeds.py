"""Feed importer: our feeds imitating each corpus feed's quirks (tests/fixtures/import/feeds/),
then every corpus feed against rss-parser's expectations where they exist."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from digest.importers import run_import
from digest.importers.bylines import is_credit
from digest.importers.common import ImportFailure, render_file
from digest.importers.feeds import parse_feed
from tests.test_import_support import FEEDS, corpus, rendered_html, split_file


def _ours(name):
    path = FEEDS / name
    return parse_feed(path.read_bytes(), str(path))


def _zone(hours: float) -> timezone:
    return timezone(timedelta(hours=hours))


# ---------------------------------------------------------------- our feeds

# name -> [(title, link, date, author, tags)] in entry order
EXPECTED = {
    "rss2-news.xml": [
        ("Tug crews accept new pay offer", "https://gazette.example/2024/mar/11/tug-crews-pay",
         datetime(2024, 3, 11, 13, 5, tzinfo=_zone(3)), "Sofia Marin in Piraeus", ["Labour", "Ports"]),
        ("Breakwater repairs to close the north channel", "https://gazette.example/2024/mar/10/breakwater-repairs",
         datetime(2024, 3, 10, 7, 30, tzinfo=UTC), "", ["Ports", "Shipping"]),  # dc:creator "Reuters" is a credit
        ("Letters: the ferry timetable", "https://gazette.example/2024/mar/09/letters-ferry",
         datetime(2024, 3, 9, 18, 0, tzinfo=_zone(3)), "Gazette readers", []),  # "EEST"
    ],
    "atom-offsets.xml": [
        ("Neue Schleuse geht in Betrieb", "https://hafen.example/meldung/neue-schleuse-1234.html",
         datetime(2024, 3, 8, 17, 22, tzinfo=_zone(1)), "Jonas Keller", ["Schifffahrt"]),
        ("Was Lotsen verdienen", "https://hafen.example/meldung/lotsen-5678.html",
         datetime(2024, 3, 7, 9, 0, tzinfo=_zone(1)), "Redaktion", []),
    ],
    "rdf-rss1.xml": [
        ("Sediment moves faster after dredging", "https://journal.example/content/42/1",
         datetime(2024, 3, 7, 10, 29, 47, tzinfo=_zone(-7)), "Okafor, N. A.", ["Oceanography"]),
        ("Seagrass recovers in quiet harbours", "https://journal.example/content/42/2",
         datetime(2024, 3, 7, 10, 29, 47, tzinfo=_zone(-7)), "Lindqvist, E.", []),
    ],
    "latin1-declared.xml": [
        ("Nova ponte-cais abre em Março", "https://cais.example/ponte-cais", datetime(2024, 3, 6, 13, 47, tzinfo=UTC), "", []),
        ("Pescadores pedem mais segurança", "https://cais.example/pescadores", datetime(2024, 3, 5, 9, 0, tzinfo=UTC), "", []),
    ],
    "content-encoded.xml": [
        ("What a crane operator sees", "https://notes.example/dockside/what-a-crane-operator-sees-1a2b",
         datetime(2024, 3, 5, 18, 55, 38, tzinfo=UTC), "Amara Osei", ["work", "ports"]),
    ],
    "cdata-padded.xml": [
        ("Fog closes the port for a second day", "https://radio.example/news/fog-second-day",
         datetime(2024, 3, 7, 6, 0, tzinfo=_zone(-5)), "", []),
    ],
    "MALFORMED-leading-blank-line.xml": [
        ("Startup maps berths with drones", "https://quaytech.example/2024/03/04/drones/", datetime(2024, 3, 4, 15, 10, tzinfo=UTC), "", []),
    ],
}
READABLE_MALFORMED = {
    "MALFORMED-undeclared-latin1.xml": 1,
    "MALFORMED-truncated-epoch-date.xml": 2,
    "MALFORMED-link-only-ampersand.xml": 1,
}
UNREADABLE = ["MALFORMED-incomplete-cdata.xml", "MALFORMED-undeclared-prefix.xml"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_titles_links_dates_authors_tags(name):
    articles, warnings = _ours(name)
    assert not [w for w in warnings if "malformed" in w.message]
    got = [(a.title, a.source_url, a.date, a.author, a.tags) for a in articles]
    assert got == EXPECTED[name]
    for art, (*_, when, _author, _tags) in zip(articles, EXPECTED[name], strict=True):
        # The publisher's offset is kept as written, not converted.
        assert art.date.utcoffset() == when.utcoffset()
        assert f"\ndate: {when.isoformat()}\n" in render_file(art)[0]


def test_entry_fields_in_detail():
    articles, _ = _ours("rss2-news.xml")
    art = articles[0]
    assert art.source == "Harbour Gazette"
    html = rendered_html(art.body)
    assert "<p>Tug crews voted to accept a <strong>4% rise</strong>, ending a month of overtime bans.</p>" in html
    assert articles[1].author == "" and articles[1].source == "Harbour Gazette"


def test_atom_updated_kept_only_when_later_and_relative_links_resolved():
    articles, _ = _ours("atom-offsets.xml")
    assert articles[0].updated == datetime(2024, 3, 8, 17, 54, 50, tzinfo=_zone(1))
    assert articles[1].updated is None  # "updated" before "published": noise
    assert "[doppelt so lang](https://hafen.example/glossar/schleuse)" in articles[0].body
    assert articles[0].summary == "Nach vier Jahren Bauzeit ist die neue Schleuse fertig."


def test_html_in_atom_titles_becomes_text():
    articles, _ = _ours("atom-offsets.xml")
    assert articles[1].title == "Was Lotsen verdienen"


def test_full_content_is_preferred_to_the_summary():
    (art,), _ = _ours("content-encoded.xml")
    html = rendered_html(art.body)
    assert "<h3>Forty metres up</h3>" in html and "<em>toys</em>" in html
    assert "<blockquote>" in html and "<li>Shifts last eight hours.</li>" in html
    assert art.updated == datetime(2024, 3, 5, 19, 39, 12, tzinfo=UTC)


def test_empty_description_imports_the_title_with_a_warning():
    articles, _ = _ours("rdf-rss1.xml")
    assert articles[0].body == ""
    assert any("entry has no text" in w.message for w in articles[0].warnings)


@pytest.mark.parametrize(("name", "count"), sorted(READABLE_MALFORMED.items()))
def test_readable_malformed_feed_imports_with_a_warning(name, count):
    articles, warnings = _ours(name)
    assert len(articles) == count
    assert any("malformed feed" in w.message for w in warnings)


def test_undeclared_latin1_decodes_correctly():
    (art,), _ = _ours("MALFORMED-undeclared-latin1.xml")
    assert art.title == "Simulações mostram cheias no cais"
    assert "\ufffd" not in art.title + art.body


def test_epoch_dc_date_does_not_break_a_valid_pubdate():
    articles, _ = _ours("MALFORMED-truncated-epoch-date.xml")
    assert articles[0].date == datetime(2024, 3, 8, 15, 10, tzinfo=UTC)


def test_link_only_entry_uses_the_link_as_a_draft_title():
    (art,), _ = _ours("MALFORMED-link-only-ampersand.xml")
    assert art.source_url == "http://link.example/get?a=1&b=2"
    assert art.title == "http://link.example/get?a=1&b=2"
    assert art.draft is True
    assert any("link is used as the title; marked `draft: true`" in w.message for w in art.warnings)


@pytest.mark.parametrize("name", UNREADABLE)
def test_unreadable_feed_is_an_error(name):
    with pytest.raises(ImportFailure):
        _ours(name)


def test_unreadable_feed_writes_nothing_and_fails(tmp_path):
    lines = []
    status = run_import([FEEDS / UNREADABLE[1]], tmp_path, out=lines.append)
    assert status == 1
    assert lines[0] == f"{FEEDS / UNREADABLE[1]}: error: cannot read feed: line 5: unbound prefix"
    assert lines[-1] == "imported 0 new, 0 unchanged, 0 skipped, 1 error"
    assert not list(tmp_path.rglob("*.md"))


def test_feed_content_is_sanitised(tmp_path):
    feed = tmp_path / "evil.xml"
    feed.write_text(
        """<?xml version="1.0"?><rss version="2.0"><channel><title>Evil</title>
<item><title>Bad &lt;b onmouseover="x()"&gt;entry&lt;/b&gt;</title><link>https://e.example/1</link>
<pubDate>Mon, 16 Oct 2017 15:10:00 +0000</pubDate>
<description><![CDATA[<p onclick="a()">Hello <script>alert(1)</script><a href="javascript:alert(2)">x</a>
<img src="https://e.example/i.png" onerror="b()"><iframe src="https://e.example"></iframe>
<a href="https://e.example/ok">ok</a></p>]]></description></item></channel></rss>""",
        encoding="utf-8",
    )
    site = tmp_path / "site"
    assert run_import([feed], site, out=lambda _: None) == 0
    (path,) = (site / "content").glob("*.md")
    meta, body = split_file(path.read_text(encoding="utf-8"))
    assert meta["title"] == "Bad entry"
    html = rendered_html(body)
    assert not re.search(r"<\s*(script|iframe)|\son\w+\s*=|javascript:", html, re.IGNORECASE), html
    assert '<a href="https://e.example/ok">ok</a>' in html


def test_every_one_of_our_feeds_imports_into_a_site(tmp_path):
    lines = []
    status = run_import(sorted(FEEDS.glob("*.xml")), tmp_path, out=lines.append)
    errors = [ln for ln in lines if ": error: " in ln]
    assert sorted(e.split(": error: ")[0].rsplit("/", 1)[-1] for e in errors) == sorted(UNREADABLE)
    assert status == 1
    expected = sum(len(v) for v in EXPECTED.values()) + sum(READABLE_MALFORMED.values())
    new = [ln for ln in lines if ln.startswith("new ")]
    assert len(new) == expected == len(list((tmp_path / "content").glob("*.md")))


# ---------------------------------------------------------------- the shared corpus

WELL_FORMED = {
    "guardian-rss2.xml": 55,
    "heise-atom1.xml": 15,
    "science-rss1-rdf.xml": 69,
    "jn-pt-rss2-iso8859-1.xml": 40,
    "medium-content-encoded-rss2.xml": 7,
    "google-ads-blog-feedburner-atom1.xml": 25,
    "huffpost-canada-rss2.xml": 2,
    "google-alerts-atom1.xml": 20,
    "MALFORMED-techcrunch-rss2-leading-newline.xml": 20,
}
CORPUS_READABLE_MALFORMED = {
    "MALFORMED-uol-noticias-rss-undeclared-latin1.xml": 15,
    "MALFORMED-invalid-date-truncated.xml": 2,
    "MALFORMED-rss-item-link-corrupted-ampersands.xml": 1,
}
CORPUS_UNREADABLE = ["MALFORMED-undeclared-namespace.xml", "MALFORMED-rss-incomplete-cdata.xml"]


def _parse(name):
    path = corpus("feeds", name)
    return parse_feed(path.read_bytes(), str(path))


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "count"), sorted(WELL_FORMED.items()))
def test_well_formed_feed_gives_one_article_per_entry(name, count):
    articles, warnings = _parse(name)
    assert len(articles) == count
    assert not [w for w in warnings if "malformed" in w.message]
    for art in articles:
        assert art.title and "<" not in art.title
        assert art.source_url.startswith("http")
        assert art.date is not None and art.date.tzinfo is not None


@pytest.mark.corpus
@pytest.mark.parametrize(
    "name",
    [
        "guardian-rss2",
        "heise-atom1",
        "medium-content-encoded-rss2",
        "google-ads-blog-feedburner-atom1",
        "science-rss1-rdf",
        "jn-pt-rss2-iso8859-1",
    ],
)
def test_titles_links_dates_authors_tags_match_rss_parser(name):
    exp_path = corpus("feeds", "expected", f"{name}.rss-parser.json")
    encoding = "latin-1" if name.startswith("jn-pt") else "utf-8"
    items = json.loads(exp_path.read_text(encoding=encoding))["feed"]["items"]
    articles, _ = _parse(f"{name}.xml")
    assert len(articles) == len(items)
    for art, item in zip(articles, items, strict=True):
        assert art.title == " ".join(item["title"].split())
        assert art.source_url == item["link"].replace(" ", "%20")
        if item.get("isoDate"):
            iso = datetime.fromisoformat(item["isoDate"])
            assert art.date.astimezone(UTC) == iso.astimezone(UTC).replace(microsecond=0)
        if item.get("creator"):
            # An agency credit ("Associated Press") names who supplied the story, not an author.
            assert art.author == ("" if is_credit(item["creator"]) else item["creator"])
        cats = item.get("categories")
        if cats and all(isinstance(c, str) for c in cats):
            assert [t.casefold() for t in art.tags] == list(dict.fromkeys(c.strip().casefold() for c in cats))


@pytest.mark.corpus
def test_guardian_entry_fields_in_detail():
    articles, _ = _parse("guardian-rss2.xml")
    art = articles[0]
    assert art.title == "Trump State of the Union address promised unity but emphasized discord"
    assert art.author == "David Smith in Washington"
    assert art.date == datetime(2018, 1, 31, 7, 26, 5, tzinfo=UTC)
    assert art.source == "The Guardian"
    assert "Donald Trump" in art.tags
    assert "<p>" in rendered_html(art.body)


@pytest.mark.corpus
def test_heise_offsets_are_kept():
    articles, _ = _parse("heise-atom1.xml")
    assert all(a.date.utcoffset() == timedelta(hours=1) for a in articles)


@pytest.mark.corpus
def test_latin1_feeds_decode_correctly():
    articles, warnings = _parse("MALFORMED-uol-noticias-rss-undeclared-latin1.xml")
    assert any("malformed feed" in w.message for w in warnings)
    text = " ".join(a.title + a.body for a in articles)
    assert "\ufffd" not in text and "simulações" in articles[0].title
    pt, _ = _parse("jn-pt-rss2-iso8859-1.xml")
    assert pt[0].title == "Mãe de utente é a nova presidente da Raríssimas"


@pytest.mark.corpus
def test_corpus_html_in_atom_titles_becomes_text():
    articles, _ = _parse("google-alerts-atom1.xml")
    assert articles[0].title.startswith("Report offers Prediction of Automotive Slack Market")


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "count"), sorted(CORPUS_READABLE_MALFORMED.items()))
def test_corpus_readable_malformed_feed_imports_with_a_warning(name, count):
    articles, warnings = _parse(name)
    assert len(articles) == count
    assert any("malformed feed" in w.message for w in warnings)


@pytest.mark.corpus
def test_corrupted_ampersand_link_is_decoded():
    articles, _ = _parse("MALFORMED-rss-item-link-corrupted-ampersands.xml")
    assert articles[0].source_url == "http://link/get?a=1&b=2"
    assert any("link is used as the title" in w.message for w in articles[0].warnings)


@pytest.mark.corpus
def test_corpus_epoch_dc_date_does_not_break_a_valid_pubdate():
    articles, _ = _parse("MALFORMED-invalid-date-truncated.xml")
    assert articles[0].date == datetime(2017, 10, 16, 15, 10, tzinfo=UTC)


@pytest.mark.corpus
@pytest.mark.parametrize("name", CORPUS_UNREADABLE)
def test_corpus_unreadable_feed_is_an_error(name):
    with pytest.raises(ImportFailure):
        _parse(name)


@pytest.mark.corpus
def test_every_corpus_feed_imports_into_a_site(tmp_path):
    feeds = sorted(corpus("feeds").glob("*.xml"))
    lines = []
    status = run_import(feeds, tmp_path, out=lines.append)
    errors = [ln for ln in lines if ": error: " in ln]
    assert len(errors) == len(CORPUS_UNREADABLE), errors
    assert status == 1  # the two unreadable ones, and only those
    expected = sum(WELL_FORMED.values()) + sum(CORPUS_READABLE_MALFORMED.values())
    written = list((tmp_path / "content").glob("*.md"))
    new = [ln for ln in lines if ln.startswith("new ")]
    # A feed may list the same story twice (same link, different wording): second is skipped.
    skipped = [ln for ln in lines if ln.startswith("skipped ")]
    assert len(new) + len(skipped) == expected
    assert len(written) == len(new)
