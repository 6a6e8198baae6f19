"""Saved-page importer: corpus accuracy targets, tricky pages, and sanitising."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from digest.importers.html import clean_author, parse_html, strip_site_suffix
from digest.importers.markdown_out import html_to_markdown, safe_url
from tests.test_import_support import REPO, corpus, rendered_html


@pytest.fixture(scope="module")
def imported():
    base = corpus("html")
    out = {}
    for case in sorted(p for p in base.iterdir() if (p / "source.html").is_file()):
        truth = json.loads((case / "expected.json").read_text(encoding="utf-8"))
        out[case.name] = (parse_html((case / "source.html").read_bytes(), str(case)), truth)
    return out


def _share(imported, field, same):
    cases = [(a, t) for a, t in imported.values() if t.get(field) is not None]
    return sum(same(a, t) for a, t in cases) / len(cases)


def test_title_accuracy_at_least_90_percent(imported):
    assert len(imported) == 40
    share = _share(imported, "title", lambda a, t: " ".join(a.title.split()) == " ".join(t["title"].split()))
    assert share >= 0.90


def test_date_accuracy_at_least_80_percent(imported):
    share = _share(imported, "date", lambda a, t: str(a.date)[:10] == t["date"][:10])
    assert share >= 0.80


def test_every_page_has_body_source_and_url(imported):
    for name, (art, _) in imported.items():
        assert len(art.body) > 200, name
        assert art.source, name
        assert art.source_url.startswith("http"), name


def test_body_keeps_article_text_and_drops_boilerplate(imported):
    kept = leaked = checked = 0
    for art, truth in imported.values():
        text = " ".join(re.sub(r"<[^>]+>", " ", rendered_html(art.body)).split())
        text = text.replace("&#x27;", "'").replace("&amp;", "&").replace("&quot;", '"')
        must = truth.get("body_must_contain") or []
        kept += sum(" ".join(s.split()) in text for s in must)
        leaked += sum(s in text for s in truth.get("body_must_not_contain") or [])
        checked += len(must)
    assert checked == 42
    # trafilatura keeps one newsletter teaser (timesofisrael) and reflows one annotated
    # snippet across a link (thelocal); anything beyond that is a regression.
    assert kept >= 41
    assert leaked <= 1


def test_site_suffix_removed_and_syndicated_canonical_kept(imported):
    art, _ = imported["japantimes-masks-stolen"]
    assert art.title == "Losing face: 6,000 surgical masks stolen from Kobe hospital"
    msn, _ = imported["msn"]
    assert msn.source_url.startswith("http://www.businessinsider.com/")
    bbc, _ = imported["bbc-52241221-hart-island"]
    assert bbc.title == "Coronavirus: New York ramps up mass burials amid outbreak"


def test_independent_picks_the_day_trafilatura_trusts(imported):
    art, _ = imported["independent-bug-1255978"]
    assert str(art.date).startswith("2015-09-17")


def test_author_cleanup():
    assert clean_author("Jeffrey Gettleman; JEFFREY GETTLEMAN") == "Jeffrey Gettleman"
    assert clean_author("Username") == ""
    assert clean_author("By Ana Sandoiu") == "Ana Sandoiu"
    assert clean_author("Joshua Sokol May") == "Joshua Sokol"
    assert strip_site_suffix("Headline | The Japan Times", "The Japan Times", "japantimes.co.jp") == "Headline"
    assert strip_site_suffix("A - B", "", "") == "A - B"


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


def test_safe_url():
    assert safe_url("javascript:alert(1)") == ""
    assert safe_url("  JAVASCRIPT:alert(1)") == ""
    assert safe_url("/a b", "https://e.com/x/") == "https://e.com/a%20b"
    assert safe_url("mailto:a@b.c") == "mailto:a@b.c"
    assert ")" not in safe_url("https://e.com/a)b")


def test_accuracy_script_runs_and_reports():
    corpus("html")
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "import_accuracy.py")],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"^\s+title\s+\d+\s+40\s+\d+\.\d%$", done.stdout, re.MULTILINE), done.stdout
    assert re.search(r"^\s+date\s+\d+\s+23\s+", done.stdout, re.MULTILINE)
