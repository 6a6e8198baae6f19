"""Saved-page importer: headlines, bylines, dates and boilerplate on pages that imitate real
layouts (tests/fixtures/import/html/), sanitising, then the accuracy targets on the corpus."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from lxml import html as lxml_html

from digest.importers.bylines import clean_author, split_byline
from digest.importers.common import render_file
from digest.importers.html import parse_html, strip_site_suffix
from digest.importers.markdown_out import MAX_QUOTE_DEPTH, html_to_markdown, safe_url
from tests.test_import_support import PAGES, REPO, TEXTS, corpus, rendered_html, rendered_text, split_file


def _page(name: str):
    art = parse_html((PAGES / name).read_bytes(), name)
    meta, body = split_file(render_file(art)[0])
    return art, meta, body


# ---------------------------------------------------------------- our pages


def test_visible_headline_wins_over_social_and_search_titles():
    # <title> "How to ride the new harbour ferry…", og:title "Free ferry rides start in April",
    # and the <h1> in the article's header, which is what a reader sees.
    _art, meta, _ = _page("hero-headline.html")
    assert meta["title"] == "The harbour ferry will be free for eight weeks this spring"
    assert meta["source"] == "HarbourVoice"
    assert meta["source_url"] == "https://harbourvoice.example/news/2024/03/free-ferry"
    assert meta["summary"] == "The city will run the harbour ferry without fares for eight weeks."


def test_job_title_and_outlet_are_cut_from_the_byline():
    _, meta, _ = _page("hero-headline.html")
    assert meta["author"] == "Dana Whitlock"  # "Dana Whitlock HarbourVoice Staff"
    _, meta, _ = _page("boilerplate.html")
    assert meta["author"] == "Lena Sørensen"  # "By Lena Sørensen, Senior Reporter"


def test_a_date_in_the_page_zone_is_kept_as_written():
    art, meta, _ = _page("hero-headline.html")
    assert meta["date"] == datetime(2024, 3, 12, 13, 5, tzinfo=timezone(timedelta(hours=3)))
    assert "\ndate: 2024-03-12T13:05:00+03:00\n" in render_file(art)[0]
    art, meta, _ = _page("glued-byline.html")
    assert "\ndate: 2024-03-14T10:20:00-08:00\n" in render_file(art)[0]


def test_agency_credit_is_no_author_and_becomes_the_source():
    # "By CNN", <meta name="author" content="CNN">, no site name and no canonical URL.
    _art, meta, _ = _page("agency-byline.html")
    assert "author" not in meta
    assert meta["source"] == "CNN"
    # A pop-up's <h1> ("Sign up for breaking news alerts") is not the headline.
    assert meta["title"] == "Quay crane collapses during storm, no one hurt"
    assert meta["tags"] == ["Ports", "Storms", "Safety"]


def test_syndicated_page_keeps_the_canonical_address_and_skips_the_logo_headline():
    _, meta, _ = _page("syndicated.html")
    assert meta["source_url"] == "https://tradepress.example/shipyard-wins-order-for-two-electric-tugs-2024-3"
    assert meta["title"] == "Shipyard wins order for two electric tugs"
    assert meta["author"] == "Priya Raman"


def test_byline_glued_to_its_date_and_comment_count():
    _, meta, body = _page("glued-byline.html")
    assert meta["author"] == "Ravi Menon"
    assert meta["title"] == "Lighthouse keepers return to the northern cape"  # no " - Coastline"
    assert "312" not in body


def test_body_keeps_article_text_and_drops_boilerplate():
    _, meta, body = _page("boilerplate.html")
    text = rendered_text(body)
    for kept in [
        "After more than a hundred years on the open pier, the town's fish market will move into the old customs house",
        "The customs house, empty since 2019, has room for 30 stalls and a cold store.",
        '"People come for the boats, not for a building," said one',
    ]:
        assert kept in text
    for dropped in ["We use cookies", "morning newsletter", "Pier repairs to start", "Be the first to comment", "Registered in the harbour"]:
        assert dropped not in text
    assert meta["title"] == "Fish market moves to the old customs house"
    assert meta["tags"] == ["Harbour", "Markets"]
    assert meta["summary"] == "After a century on the pier, the fish market is moving indoors."


@pytest.mark.parametrize(
    ("byline", "site", "host", "people", "credit"),
    [
        ("Adam Aaronson PhillyVoice Staff", "", "", "Adam Aaronson", ""),
        ("Adam Aaronson PhillyVoice Staff", "PhillyVoice", "phillyvoice.com", "Adam Aaronson", ""),
        ("CNN", "", "", "", "CNN"),
        ("By Reuters", "", "", "", "Reuters"),
        ("By Jane Doe, CNN", "", "", "Jane Doe", "CNN"),
        ("Jane Doe, Staff Writer", "", "", "Jane Doe", ""),
        ("Jane Doe for The Guardian", "", "", "Jane Doe", ""),
        ("Joe McDonald Senior Reporter", "", "", "Joe McDonald", ""),
        ("Our Foreign Staff", "", "", "", "Our Foreign Staff"),
        ("Staff and agencies", "", "", "", "Staff and agencies"),
        ("AFP/The Local", "The Local Sweden", "thelocal.se", "", "AFP"),
        ("CBS News", "CBS News", "cbsnews.com", "", "CBS News"),
        ("Stella Kim, Jennifer Jett", "", "", "Stella Kim, Jennifer Jett", ""),
        ("Perry Bacon Jr.", "", "", "Perry Bacon Jr.", ""),
        ("Jeffrey Gettleman; JEFFREY GETTLEMAN", "", "", "Jeffrey Gettleman", ""),
        ("Username", "", "", "", ""),
        ("By Ana Sandoiu", "", "", "Ana Sandoiu", ""),
        ("Joshua Sokol May", "", "", "Joshua Sokol", ""),
    ],
)
def test_bylines(byline, site, host, people, credit):
    assert split_byline(byline, site, host) == (people, credit)
    assert clean_author(byline, site, host) == people


def test_site_suffix():
    assert strip_site_suffix("Headline | The Japan Times", "The Japan Times", "japantimes.co.jp") == "Headline"
    assert strip_site_suffix("A - B", "", "") == "A - B"


# ---------------------------------------------------------------- sanitising

HOSTILE_PAGE = b"""<!doctype html><html><head><title>Evil page - Example News</title>
<meta property="og:site_name" content="Example News">
<link rel="canonical" href="javascript:alert(1)">
<script>window.bad = 1</script></head><body>
<article><h1>Evil page</h1>
<p onclick="steal()">First paragraph of the story is long enough to count as article text for the extractor,
with <a href="javascript:alert(2)">a bad link</a>, <a href="JaVaScRiPt:alert(3)">another</a>,
<a href="data:text/html,x">data link</a> and <a href="https://example.com/ok">a good one</a>.</p>
<p>Second paragraph: <img src="x" onerror="alert(4)"> <iframe src="https://evil.example/"></iframe>
<script>document.write('injected')</script> literal text &lt;script&gt;alert(5)&lt;/script&gt; stays text.
It also goes on for a while so that the extractor keeps it as part of the main content of the page.</p>
<p>Third paragraph with <b onmouseover="x()">bold</b> and <em>emphasis</em> and more words to be safe here.</p>
</article></body></html>"""


def _assert_safe(html: str) -> None:
    assert not re.search(r"<\s*(script|iframe|object|embed|style)", html, re.IGNORECASE), html
    assert not re.search(r"\son\w+\s*=", html, re.IGNORECASE), html
    assert not re.search(r"(href|src)\s*=\s*[\"']?\s*(javascript|data|vbscript):", html, re.IGNORECASE), html


def test_page_html_is_sanitised():
    art = parse_html(HOSTILE_PAGE, "evil.html")
    html = rendered_html(art.body)
    _assert_safe(html)
    assert '<a href="https://example.com/ok">a good one</a>' in html
    assert "&lt;script&gt;alert(5)&lt;/script&gt;" in html  # shown as text, not run
    assert "injected" not in art.body
    assert art.source_url == ""  # a javascript: canonical is dropped, not kept
    assert art.title == "Evil page"


@pytest.mark.parametrize(
    "fragment",
    [
        '<a href="javascript:alert(1)">x</a>',
        '<a href=" jav&#x09;ascript:alert(1)">x</a>',
        '<img src=x onerror=alert(1)>',
        "<svg><script>alert(1)</script></svg>",
        '<p style="x" onmouseover="a()">t</p>',
        "<scr<script>ipt>alert(1)</script>",
        "<!-- <script>alert(1)</script> -->",
        '<a href="https://ok.example/" onclick="x()">ok</a>',
        "<math><mi xlink:href='javascript:alert(1)'>x</mi></math>",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        '<a href="https://x.example/a)b](javascript:alert(1))">y</a>',
        "<pre><script>alert(1)</script></pre>",
        "<code>&lt;script&gt;</code>",
    ],
)
def test_html_to_markdown_never_lets_markup_through(fragment):
    _assert_safe(rendered_html(html_to_markdown(fragment)))


def test_html_to_markdown_structure():
    md = html_to_markdown(
        "<h2>Sub</h2><p>One <strong>two</strong> <i>three</i> <code>a`b</code></p>"
        "<ul><li>x</li><li>y</li></ul><p>between</p><ol><li>first</li></ol><blockquote><p>q</p></blockquote>"
        "<pre>line 1\n  line 2</pre><p>a<br>b</p>",
        base_url="https://example.com/dir/page",
    )
    html = rendered_html(md)
    assert "<h2>Sub</h2>" in html
    assert "<strong>two</strong>" in html and "<em>three</em>" in html and "<code>a`b</code>" in html
    assert "<li>x</li>" in html and "<ol>" in html and "<blockquote>" in html
    assert "<pre><code>line 1\n  line 2\n</code></pre>" in html
    assert "a<br />\nb" in html


def test_deeply_nested_quotes_stop_at_a_readable_depth():
    md = html_to_markdown("<blockquote>" * 200 + "<p>deep</p>" + "</blockquote>" * 200)
    assert md == "> " * MAX_QUOTE_DEPTH + "deep"
    assert rendered_html(md).count("<blockquote>") == MAX_QUOTE_DEPTH


def test_safe_url():
    assert safe_url("javascript:alert(1)") == ""
    assert safe_url("  JAVASCRIPT:alert(1)") == ""
    assert safe_url("/a b", "https://e.com/x/") == "https://e.com/a%20b"
    assert safe_url("mailto:a@b.c") == "mailto:a@b.c"
    assert ")" not in safe_url("https://e.com/a)b")


# ---------------------------------------------------------------- the accuracy script


def _run_accuracy(corpus_dir) -> subprocess.CompletedProcess:
    env = {**os.environ, "DIGEST_CORPUS": str(corpus_dir)}
    return subprocess.run(
        [sys.executable, str(REPO / "bench" / "import_accuracy.py"), "--verbose"],
        check=False, capture_output=True, text=True, timeout=300, env=env,
    )


def test_accuracy_script_measures_a_corpus_laid_out_like_the_shared_one(tmp_path):
    """The script on a corpus made of our own fixtures, laid out as ../shared/corpus is."""
    truths = {
        "hero-headline": {"title": "The harbour ferry will be free for eight weeks this spring", "author": "Dana Whitlock",
                          "date": "2024-03-12"},
        "glued-byline": {"title": "Lighthouse keepers return to the northern cape", "author": "Ravi Menon", "date": "2024-03-14"},
        # A wrong truth on purpose: the script must count it as a miss and say so.
        "syndicated": {"title": "Not the headline", "author": None, "date": None},
    }
    for name, truth in truths.items():
        case = tmp_path / "html" / name
        case.mkdir(parents=True)
        shutil.copy(PAGES / f"{name}.html", case / "source.html")
        (case / "expected.json").write_text(json.dumps(truth), encoding="utf-8")
    (tmp_path / "text").mkdir()
    shutil.copy(TEXTS / "title-then-sentences.txt", tmp_path / "text")
    shutil.copy(TEXTS / "title-then-sentences.json", tmp_path / "text")
    done = _run_accuracy(tmp_path)
    assert done.returncode == 0, done.stderr
    assert re.search(r"^\s+title\s+2\s+3\s+66\.7%$", done.stdout, re.MULTILINE), done.stdout
    assert re.search(r"^\s+author\s+2\s+2\s+100\.0%$", done.stdout, re.MULTILINE), done.stdout
    assert re.search(r"^\s+date\s+2\s+2\s+100\.0%$", done.stdout, re.MULTILINE), done.stdout
    assert "miss title  syndicated: got 'Shipyard wins order for two electric tugs', truth 'Not the headline'" in done.stdout
    assert re.search(r"Scraped text \(corpus/text\)\n\s+title\s+1\s+1\s+100\.0%", done.stdout), done.stdout


def test_accuracy_script_without_a_corpus_says_so(tmp_path):
    done = _run_accuracy(tmp_path / "absent")
    assert done.returncode == 0
    assert "corpus not found" in done.stdout


# ---------------------------------------------------------------- the shared corpus


@pytest.fixture(scope="module")
def imported():
    base = corpus("html")
    out = {}
    for case in sorted(p for p in base.iterdir() if (p / "source.html").is_file()):
        truth = json.loads((case / "expected.json").read_text(encoding="utf-8"))
        source = (case / "source.html").read_bytes()
        out[case.name] = (parse_html(source, str(case)), truth, source)
    return out


def _share(imported, field, same):
    cases = [(a, t) for a, t, _ in imported.values() if t.get(field) is not None]
    return sum(same(a, t) for a, t in cases) / len(cases)


# Where the truth is not the headline on the page: Readability.js keeps breitbart's site suffix,
# and takes <title> or og:title where the page's visible <h1> says something else.
TRUTH_IS_NOT_THE_VISIBLE_HEADLINE = {"breitbart", "independent-bug-1255978", "theverge", "vox-videos-1"}


@pytest.mark.corpus
def test_titles_are_the_truth_or_the_visible_headline(imported):
    assert len(imported) == 40
    for name, (art, truth, source) in imported.items():
        if name in TRUTH_IS_NOT_THE_VISIBLE_HEADLINE:
            h1s = [" ".join(h.text_content().split()) for h in lxml_html.fromstring(source).iter("h1")]
            assert art.title in h1s, (name, art.title)
            assert " ".join(art.title.split()) != " ".join(truth["title"].split())
        else:
            assert " ".join(art.title.split()) == " ".join(truth["title"].split()), name
    # The human-annotated case where <title> differs from the visible headline.
    assert imported["latimes-bloomberg-debate"][0].title == "As his first debate nears, Bloomberg is having to answer about his past"


@pytest.mark.corpus
def test_date_accuracy_at_least_80_percent(imported):
    share = _share(imported, "date", lambda a, t: str(a.date)[:10] == t["date"][:10])
    assert share >= 0.80


@pytest.mark.corpus
def test_every_page_has_body_source_and_url(imported):
    for name, (art, _, _) in imported.items():
        assert len(art.body) > 200, name
        assert art.source, name
        assert art.source_url.startswith("http"), name


@pytest.mark.corpus
def test_corpus_body_keeps_article_text_and_drops_boilerplate(imported):
    kept = leaked = checked = 0
    for art, truth, _ in imported.values():
        text = rendered_text(art.body)
        must = truth.get("body_must_contain") or []
        kept += sum(" ".join(s.split()) in text for s in must)
        leaked += sum(s in text for s in truth.get("body_must_not_contain") or [])
        checked += len(must)
    assert checked == 42
    # trafilatura keeps one newsletter teaser (timesofisrael) and reflows one annotated
    # snippet across a link (thelocal); anything beyond that is a regression.
    assert kept >= 41
    assert leaked <= 1


@pytest.mark.corpus
def test_site_suffix_removed_and_syndicated_canonical_kept(imported):
    art, _, _ = imported["japantimes-masks-stolen"]
    assert art.title == "Losing face: 6,000 surgical masks stolen from Kobe hospital"
    msn, _, _ = imported["msn"]
    assert msn.source_url.startswith("http://www.businessinsider.com/")
    bbc, _, _ = imported["bbc-52241221-hart-island"]
    assert bbc.title == "Coronavirus: New York ramps up mass burials amid outbreak"


@pytest.mark.corpus
def test_corpus_credits_are_not_authors(imported):
    assert imported["cbsnews-south-carolina-voters"][0].author == ""  # "CBS News"
    assert imported["telegraph"][0].author == ""  # "Our Foreign Staff"
    assert imported["breitbart"][0].author == "Lucas Nolan"


@pytest.mark.corpus
def test_independent_picks_the_day_trafilatura_trusts(imported):
    art, _, _ = imported["independent-bug-1255978"]
    assert str(art.date).startswith("2015-09-17")


@pytest.mark.corpus
def test_accuracy_script_runs_on_the_shared_corpus():
    done = _run_accuracy(corpus())
    assert done.returncode == 0, done.stderr
    assert re.search(r"^\s+title\s+\d+\s+40\s+\d+\.\d%$", done.stdout, re.MULTILINE), done.stdout
    assert re.search(r"^\s+date\s+\d+\s+23\s+", done.stdout, re.MULTILINE)
