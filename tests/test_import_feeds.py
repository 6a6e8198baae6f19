"""Feed importer: every corpus feed, against rss-parser's expectations where they exist."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from digest.importers import run_import
from digest.importers.common import ImportFailure
from digest.importers.feeds import parse_feed
from tests.test_import_support import corpus, rendered_html, split_file

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
READABLE_MALFORMED = {
    "MALFORMED-uol-noticias-rss-undeclared-latin1.xml": 15,
    "MALFORMED-invalid-date-truncated.xml": 2,
    "MALFORMED-rss-item-link-corrupted-ampersands.xml": 1,
}
UNREADABLE = ["MALFORMED-undeclared-namespace.xml", "MALFORMED-rss-incomplete-cdata.xml"]


def _parse(name):
    path = corpus("feeds", name)
    return parse_feed(path.read_bytes(), str(path))


@pytest.mark.parametrize(("name", "count"), sorted(WELL_FORMED.items()))
def test_well_formed_feed_gives_one_article_per_entry(name, count):
    articles, warnings = _parse(name)
    assert len(articles) == count
    assert not [w for w in warnings if "malformed" in w.message]
    for art in articles:
        assert art.title and "<" not in art.title
        assert art.source_url.startswith("http")
        assert art.date is not None and art.date.tzinfo is not None


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
            assert art.author == item["creator"]
        cats = item.get("categories")
        if cats and all(isinstance(c, str) for c in cats):
            assert [t.casefold() for t in art.tags] == list(dict.fromkeys(c.strip().casefold() for c in cats))


def test_guardian_entry_fields_in_detail():
    articles, _ = _parse("guardian-rss2.xml")
    art = articles[0]
    assert art.title == "Trump State of the Union address promised unity but emphasized discord"
    assert art.author == "David Smith in Washington"
    assert art.date == datetime(2018, 1, 31, 7, 26, 5, tzinfo=UTC)
    assert art.source == "The Guardian"
    assert "Donald Trump" in art.tags
    assert "<p>" in rendered_html(art.body)


def test_latin1_feeds_decode_correctly():
    articles, warnings = _parse("MALFORMED-uol-noticias-rss-undeclared-latin1.xml")
    assert any("malformed feed" in w.message for w in warnings)
    text = " ".join(a.title + a.body for a in articles)
    assert "\ufffd" not in text and "simulações" in articles[0].title
    pt, _ = _parse("jn-pt-rss2-iso8859-1.xml")
    assert pt[0].title == "Mãe de utente é a nova presidente da Raríssimas"


def test_html_in_atom_titles_becomes_text():
    articles, _ = _parse("google-alerts-atom1.xml")
    assert articles[0].title.startswith("Report offers Prediction of Automotive Slack Market")


@pytest.mark.parametrize(("name", "count"), sorted(READABLE_MALFORMED.items()))
def test_readable_malformed_feed_imports_with_a_warning(name, count):
    articles, warnings = _parse(name)
    assert len(articles) == count
    assert any("malformed feed" in w.message for w in warnings)


def test_corrupted_ampersand_link_is_decoded():
    articles, _ = _parse("MALFORMED-rss-item-link-corrupted-ampersands.xml")
    assert articles[0].source_url == "http://link/get?a=1&b=2"
    assert any("link is used as the title" in w.message for w in articles[0].warnings)


def test_epoch_dc_date_does_not_break_a_valid_pubdate():
    articles, _ = _parse("MALFORMED-invalid-date-truncated.xml")
    assert articles[0].date == datetime(2017, 10, 16, 15, 10, tzinfo=UTC)


@pytest.mark.parametrize("name", UNREADABLE)
def test_unreadable_feed_is_an_error(name):
    with pytest.raises(ImportFailure):
        _parse(name)


def test_unreadable_feed_writes_nothing_and_fails(tmp_path):
    lines = []
    status = run_import([corpus("feeds", UNREADABLE[0])], tmp_path, out=lines.append)
    assert status == 1
    assert lines[0].startswith(f"error {corpus('feeds', UNREADABLE[0])}: cannot read feed")
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


def test_every_corpus_feed_imports_into_a_site(tmp_path):
    feeds = sorted(corpus("feeds").glob("*.xml"))
    lines = []
    status = run_import(feeds, tmp_path, out=lines.append)
    errors = [ln for ln in lines if ln.startswith("error ")]
    assert len(errors) == len(UNREADABLE), errors
    assert status == 1  # the two unreadable ones, and only those
    expected = sum(WELL_FORMED.values()) + sum(READABLE_MALFORMED.values())
    written = list((tmp_path / "content").glob("*.md"))
    new = [ln for ln in lines if ln.startswith("new ")]
    # A feed may list the same story twice (same link, different wording): second is skipped.
    skipped = [ln for ln in lines if ln.startswith("skipped ")]
    assert len(new) + len(skipped) == expected
    assert len(written) == len(new)
