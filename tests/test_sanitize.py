"""The allow-list sanitiser (digest/sanitize.py), where the Markdown stage applies it, the markers
that must cross it and nothing else, `markdown.raw_html`, and control characters (issue 10)."""

from __future__ import annotations

import json
import re
import types
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest import markup
from digest.config import MarkdownOptions, SiteConfig
from digest.content import load_article
from digest.diagnostics import Diagnostic, terminal_safe
from digest.markup import RenderedArticle, render_article
from digest.markup.annotations import annotation_parts
from digest.sanitize import ALLOWED_ATTRIBUTES, ALLOWED_ELEMENTS, URL_SCHEMES, clean_text, sanitize_html

from .conftest import article, build, write_site
from .hostile import (
    CONTROL_CHARS,
    FAMILIES,
    executable_problems,
    parse_fragment,
    payloads,
    spelt_scheme,
    url_scheme,
)

CONFIG = SiteConfig(root=Path("."))
EVERY_EXTENSION = SiteConfig(root=Path("."), markdown=MarkdownOptions(
    extensions=("extra", "sane_lists", "smarty", "toc", "admonition", "codehilite", "md_in_html")))
NO_RAW_HTML = SiteConfig(root=Path("."), markdown=MarkdownOptions(raw_html=False))


def scaled(examples: int) -> int:
    return max(examples, examples * settings().max_examples // 100)


def render(body: str, config: SiteConfig = CONFIG, **fields: str) -> RenderedArticle:
    parsed, problems = load_article("content/x.md", article(body=body, **fields).encode(), config)
    assert parsed is not None, [p.format() for p in problems]
    return render_article(parsed, config)


def with_note(body: str, quote: str, note: str = "A note.", config: SiteConfig = CONFIG, **fields: str) -> RenderedArticle:
    annotations = f'\n  - quote: {json.dumps(quote)}\n    note: {json.dumps(note)}'
    return render(body, config, annotations=annotations, **fields)


def every_html(rendered: RenderedArticle) -> list[str]:
    """Every string of HTML the Markdown stage hands to pages and feeds."""
    return [rendered.body_html, rendered.editor_note_html, *(n.html for n in rendered.annotation_notes),
            *(a.note_html for a in rendered.anchored), *(a.side_html for a in rendered.anchored)]


# -- the policy itself ---------------------------------------------------------------------------

_ELEMENT_NAMES = sorted(ALLOWED_ELEMENTS | {"script", "style", "iframe", "svg", "math", "form", "input", "button",
                                            "object", "embed", "meta", "base", "link", "template", "textarea",
                                            "noscript", "select", "video", "body", "frameset", "xmp", "title", "applet",
                                            "marquee", "nobr", "font", "center", "caption"})
_ATTRIBUTE_NAMES = sorted({name for names in ALLOWED_ATTRIBUTES.values() for name in names}
                          | {"onclick", "onerror", "onload", "style", "srcset", "formaction", "action", "xlink:href",
                             "src", "href", "data", "poster", "target", "rel", "data-x", "http-equiv", "content"})
_values = st.one_of(spelt_scheme(), st.sampled_from(["https://example.org/", "#top", "../x/", "mailto:a@example.org",
                                                     "alert(1)", "x", "1", ""]),
                    st.text(alphabet='<>"\'&=:;/ #\t\nabcjsvr', max_size=12))


@st.composite
def fragments(draw: st.DrawFn, depth: int = 0) -> str:
    """Random HTML soup: allowed and dangerous elements, attributes and URL values, comments,
    unclosed and stray tags, quoted every way."""
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["element", "text", "comment", "stray"] if depth < 3 else ["text", "comment"]))
        if kind == "text":
            parts.append(draw(st.text(alphabet="ab &<>\"'#;\u00a0\x1b", max_size=8)))
        elif kind == "comment":
            parts.append(draw(st.sampled_from(["<!--c-->", "<!-->", "<!--digest-annotation 1-->", "<!x>", "<?x>"])))
        elif kind == "stray":
            parts.append(f"</{draw(st.sampled_from(_ELEMENT_NAMES))}>")
        else:
            name = draw(st.sampled_from(_ELEMENT_NAMES))
            attributes = "".join(
                f" {draw(st.sampled_from(_ATTRIBUTE_NAMES))}={quote}{draw(_values).replace(quote, '') if quote else ''.join(draw(_values).split())}{quote}"
                for quote in draw(st.lists(st.sampled_from(['"', "'", ""]), max_size=3)))
            inner = draw(fragments(depth + 1))
            parts.append(f"<{name}{attributes}>{inner}" + (f"</{name}>" if draw(st.booleans()) else ""))
    return "".join(parts)


CANONICAL_TAG = re.compile(r'<[a-z][a-z0-9]*(?: [a-z][a-z0-9:-]*="[^"<>]*")*>|</[a-z][a-z0-9]*>')


def policy_problems(html: str, *, sentinels: bool = False) -> list[str]:
    """What in `html` the allow-list should have removed (`sentinels`: the Markdown stage's own
    side-note comments are expected)."""
    problems = []
    for element in parse_fragment(html).iter():
        if not isinstance(element.tag, str):
            if not (sentinels and re.fullmatch(r"digest-annotation \d+", element.text or "")):
                problems.append("a comment")
            continue
        if element.tag == "DOCUMENT_FRAGMENT":
            continue
        if element.tag not in ALLOWED_ELEMENTS:
            problems.append(f"<{element.tag}>")
        allowed = ALLOWED_ATTRIBUTES["*"] | ALLOWED_ATTRIBUTES.get(element.tag, frozenset())
        for name, value in element.attrib.items():
            if name not in allowed:
                problems.append(f"{name}= on <{element.tag}>")
            if name in ("href", "src") and url_scheme(value) not in (None, *URL_SCHEMES):
                problems.append(f"{value!r} in {name}=")
    if CONTROL_CHARS.search(html):
        problems.append("a control character")
    return problems


@given(fragments())
@settings(max_examples=scaled(200), deadline=None)
def test_only_the_allow_list_survives(fragment: str) -> None:
    cleaned = sanitize_html(fragment)
    assert policy_problems(cleaned) == []
    # `<` and `>` only delimit tags (never raw in text or attribute values): what lets later stages
    # (side-notes, cross-links, the side-note sentinel) find tags with regular expressions.
    assert not re.search("[<>]", CANONICAL_TAG.sub("", cleaned)), cleaned
    # Stable: what the browser re-parses is what was checked (no mutation on a second pass).
    assert sanitize_html(cleaned) == cleaned


@pytest.mark.parametrize("html, kept", [
    ('<p id="a" class="b" title="t" lang="fr" dir="rtl">x</p>', '<p id="a" class="b" title="t" lang="fr" dir="rtl">x</p>'),
    ('<a href="https://example.org/?a=1&amp;b=2">x</a>', '<a href="https://example.org/?a=1&amp;b=2">x</a>'),
    ('<a href="mailto:desk@example.org">x</a>', '<a href="mailto:desk@example.org">x</a>'),
    ('<a href="../other/#part">x</a>', '<a href="../other/#part">x</a>'),
    ('<a href="#fn:1">x</a>', '<a href="#fn:1">x</a>'),
    ('<img src="photo.jpg" alt="A" width="10" height="5">', '<img src="photo.jpg" alt="A" width="10" height="5">'),
    ('<mark class="annotation" data-kind="context" data-annotation="1" aria-describedby="ann-1-note" id="ann-1">w</mark>',
     '<mark class="annotation" data-kind="context" data-annotation="1" aria-describedby="ann-1-note" id="ann-1">w</mark>'),
    ("<p>a\u00a0b &amp; &lt;c&gt;</p>", "<p>a\u00a0b &amp; &lt;c&gt;</p>"),
])
def test_allowed_markup_is_kept(html: str, kept: str) -> None:
    assert sanitize_html(html) == kept


@pytest.mark.parametrize("html, expected", [
    ('<a href="javascript&#58;alert(1)">x</a>', "<a>x</a>"),
    ('<a href="javascript&colon;alert(1)">x</a>', "<a>x</a>"),
    ('<a href="javascript&#x3A;alert(1)">x</a>', "<a>x</a>"),
    ('<a href="java\tscript:alert(1)">x</a>', "<a>x</a>"),
    ('<a href="java\nscript:alert(1)">x</a>', "<a>x</a>"),
    ('<a href="java&#x09;script:alert(1)">x</a>', "<a>x</a>"),
    ('<a href="&#1;javascript:alert(1)">x</a>', "<a>x</a>"),
    ('<a href=" JAVASCRIPT:alert(1)">x</a>', "<a>x</a>"),
    ('<a href="vbscript:msgbox(1)">x</a>', "<a>x</a>"),
    ('<img src="data:image/svg+xml;base64,PHN2Zz4=" alt="">', '<img alt="">'),
    ("<svg onload=alert(1)><circle r=1></circle></svg>after", "after"),
    ('<img src=x onerror="alert(1)">', '<img src="x">'),
    ("<iframe src=//evil.example></iframe>", ""),
    ('<object data="x.swf"></object><embed src="x.swf">', ""),
    ('<form action="javascript:alert(1)"><button formaction="javascript:alert(1)">go</button></form>', "go"),
    ('<meta http-equiv="refresh" content="0;url=javascript:alert(1)"><base href="javascript:alert(1)//">', ""),
    ("<style>body{background:red}</style>text", "text"),
    ('<p style="color:red">x</p>', "<p>x</p>"),
    ('<img srcset="javascript:alert(1) 1x" src="a.png">', '<img src="a.png">'),
    ('<a xlink:href="javascript:alert(1)">x</a>', "<a>x</a>"),
    ('<a href="https://example.org/" target="_blank" rel="opener">x</a>', '<a href="https://example.org/">x</a>'),
    ("<script>alert(1)</script>", ""),
    ("x<!-- a comment -->y", "xy"),
    ("&#27;[2Jx&#x9b;", "[2Jx›"),  # the HTML parser reads &#x9b; as windows-1252's U+203A
])
def test_bypasses_are_removed(html: str, expected: str) -> None:
    assert sanitize_html(html) == expected


def test_clean_text() -> None:
    assert clean_text("a\x00b\x1b[2Jc\x7fd\x85e\x9bf\tg\nh") == "ab[2Jcde" + "f\tg\nh"
    assert clean_text("lone \ud800 surrogate") == "lone \ufffd surrogate"
    assert clean_text("\u202eright-to-left is text\u2028") == "\u202eright-to-left is text\u2028"


# -- applied by the Markdown stage to every piece of HTML ------------------------------------------

@given(body=payloads, editor_note=payloads, note=payloads)
@settings(max_examples=scaled(60), deadline=None)
def test_markdown_stage_output_is_sanitised(body: str, editor_note: str, note: str) -> None:
    rendered = with_note(f"Words to quote.\n\n{body}\n", "Words to quote", note=note,
                         editor_note=json.dumps(editor_note), summary=json.dumps(body))
    assert rendered.diagnostics == ()
    for html in every_html(rendered):
        assert executable_problems(parse_fragment(html), "fragment", page=False) == []
        assert policy_problems(html, sentinels=True) == []


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_with_every_extension(family: str) -> None:
    """Extensions that add syntax (md_in_html, attr_list through extra, admonition, toc) open
    more doors; the sanitiser still closes them all."""
    @given(FAMILIES[family])
    @settings(max_examples=scaled(15), deadline=None)
    def check(payload: str) -> None:
        body = f"Words.\n\n{payload}\n\n<div markdown=\"1\">{payload}</div>\n\n!!! note\n    {payload}\n"
        for config in (EVERY_EXTENSION, NO_RAW_HTML):
            rendered = render(body, config, editor_note=json.dumps(payload))
            for html in every_html(rendered):
                assert policy_problems(html) == [], (config.markdown, html)

    check()


@pytest.mark.parametrize("body", [
    "[x](javascript:alert(1))", "[x](javascript&#58;alert(1))", "[x](javascript&colon;alert(1))",
    "[x](&#x6A;avascript:alert(1))", "[x](<java\tscript:alert(1)>)", "[x][r]\n\n[r]: javascript:alert(1)",
    "![x](javascript:alert(1))", "<javascript:alert(1)>", "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "[x](vbscript:msgbox(1))",
    'Para.\n{: onclick="alert(1)" }', '![i](x.png){: onerror="alert(1)" }',
    '[l](https://example.org/){: href="javascript:alert(1)" }', '[l](https://example.org/){: style="x" }',
    '<a href="javascript:alert(1)">x</a>', "<svg onload=alert(1)>", '<p><img src=x onerror=alert(1)></p>',
])
def test_markdown_bypasses(body: str) -> None:
    for config in (CONFIG, EVERY_EXTENSION):
        html = render(f"Start.\n\n{body}\n", config).body_html
        assert policy_problems(html) == [], html
        assert executable_problems(parse_fragment(html), body, page=False) == []


def test_the_policy_applies_to_notes_too() -> None:
    rendered = with_note("Words to quote.", "Words to quote", note="[n](javascript:alert(1)) ![i](x){: onerror=alert(1) }",
                         editor_note='"[e](javascript&#58;alert(1)) {: onclick=alert(1) }"')
    for html in every_html(rendered):
        assert "javascript" not in html and "onerror" not in html and 'onclick="' not in html, html


def test_output_is_deterministic() -> None:
    body = '[[other]] and <b>raw</b> and [x](other.md)\n\nWords to quote.[^1]\n\n[^1]: Foot.'
    first = with_note(body, "Words to quote")
    second = with_note(body, "Words to quote")
    assert first == second
    assert "digestnote" not in first.body_html and "#digest-xref-" not in first.body_html


# -- the markers only our Markdown extension can write ---------------------------------------------

@pytest.mark.parametrize("forged", [
    "<!--digest-annotation 1-->", "<!--digest-annotation 2-->", "<p>x<!--digest-annotation 1-->y</p>",
    "Inline <!--digest-annotation 1--> comment", "<div><!--digest-annotation 1--></div>",
    "&lt;!--digest-annotation 1--&gt;", "<!-- <!--digest-annotation 1--> -->", "<!--digest-annotation 1--!>",
    "digestnote0n1x and digestnoten1x",
])
def test_an_author_cannot_place_a_side_note(forged: str) -> None:
    plain = render(f"Words to quote.\n\n{forged}\n")
    assert [number for _, number in annotation_parts(plain.body_html) if number] == []
    annotated = with_note(f"Words to quote.\n\n{forged}\n\nMore words.", "Words to quote")
    assert [number for _, number in annotation_parts(annotated.body_html) if number] == [1]
    assert annotated.body_html.index("</mark>.<!--digest-annotation 1-->") < annotated.body_html.index("More")


@pytest.mark.parametrize("forged", [
    '<a href="digest-xref:other">x</a>', '<a href="digest&#45;xref:other">x</a>', "[x](digest-xref:other)",
    '<a href="DIGEST-XREF:other">x</a>', '<a href="#digest-xref-0:other">x</a>', '[x](#digest-xref-:other)',
])
def test_an_author_cannot_write_a_cross_link_marker(forged: str) -> None:
    rendered = render(f"Text.\n\n{forged}\n")
    assert "digest-xref:" not in rendered.body_html.lower() and rendered.crossrefs == ()


def test_a_marker_swallowed_into_an_attribute_is_dropped() -> None:
    """Raw HTML can turn highlighted words into an attribute value (`<b title='>words<i '>`); the
    side-note sentinel must not become a comment there (it would break out of the attribute)."""
    md = types.SimpleNamespace(digest_nonce="f00d")
    html = '<p title="digestnotef00dn1x &lt;a href=&quot;#digest-xref-f00d:x&quot;&gt;">w</p>digestnotef00dn2x'
    assert markup._finish(md, html) == '<p title=" &lt;a href=&quot;#digest-xref-:x&quot;&gt;">w</p><!--digest-annotation 2-->'


def test_real_markers_survive() -> None:
    rendered = with_note("See [[other-story]] and [it](other-story.md#part).\n\nWords to quote.", "Words to quote")
    assert 'href="digest-xref:other-story"' in rendered.body_html
    assert 'href="digest-xref:file%3Acontent%2Fother-story.md#part"' in rendered.body_html
    assert [r.target for r in rendered.crossrefs] == ["other-story", "file:content/other-story.md"]
    assert [n for _, n in annotation_parts(rendered.body_html) if n] == [1]


# -- extensions keep working ---------------------------------------------------------------------

EXTENSION_BODY = """# A heading

Text with a footnote[^1] and HTML.

Term
: Its definition.

| left | centre | right |
|:-----|:------:|------:|
| a    | b      | c     |

```python
x = 1
```

!!! warning "Mind"
    Admonished.

*[HTML]: Hyper Text Markup Language

[^1]: The footnote.
"""


def test_extensions_keep_their_markup() -> None:
    html = render(EXTENSION_BODY, EVERY_EXTENSION).body_html
    for expected in ['<h1 id="a-heading">A heading</h1>', '<sup id="fnref:1"><a class="footnote-ref" href="#fn:1">1</a></sup>',
                     '<li id="fn:1">', '<a class="footnote-backref" href="#fnref:1" title="Jump back to footnote 1 in the text">',
                     '<abbr title="Hyper Text Markup Language">HTML</abbr>', "<dl>\n<dt>Term</dt>\n<dd>Its definition.</dd>",
                     '<th class="align-left">left</th>', '<th class="align-center">centre</th>', '<td class="align-right">c</td>',
                     '<div class="codehilite"><pre>', '<div class="admonition warning">', '<p class="admonition-title">Mind</p>',
                     '<div class="footnote">']:
        assert expected in html, expected
    assert "style=" not in html
    fenced = render("```python\nx = 1\n```\n").body_html
    assert '<pre><code class="language-python">x = 1\n</code></pre>' in fenced


# -- markdown.raw_html -------------------------------------------------------------------------------

def test_raw_html_allowed_but_sanitised_by_default() -> None:
    html = render("Some <kbd>Ctrl</kbd> and <b onclick=alert(1)>bold</b>.\n\n<div class=\"box\">Box</div>\n").body_html
    assert "<kbd>Ctrl</kbd>" in html and "<b>bold</b>" in html and '<div class="box">Box</div>' in html


def test_raw_html_false_shows_it_as_text() -> None:
    html = render("Some <kbd>Ctrl</kbd> and <b onclick=alert(1)>bold</b>.\n\n<div>Box</div>\n", NO_RAW_HTML).body_html
    assert "&lt;kbd&gt;Ctrl&lt;/kbd&gt;" in html and "&lt;b onclick=alert(1)&gt;bold" in html
    assert "&lt;div&gt;Box&lt;/div&gt;" in html and "<kbd>" not in html


def test_raw_html_setting(tmp_path: Path) -> None:
    files = {"content/a.md": article(body="A <b>raw</b> tag.")}
    site = write_site(tmp_path / "off", files, site_yaml="title: T\nmarkdown:\n  raw_html: false\n")
    assert build(site).code == 0
    assert "A &lt;b&gt;raw&lt;/b&gt; tag." in (site / "public/articles/a/index.html").read_text()
    site = write_site(tmp_path / "bad", files, site_yaml="title: T\nmarkdown:\n  raw_html: sometimes\n")
    result = build(site)
    assert result.code == 1
    assert "site.yaml:3: error: `markdown.raw_html` must be true or false, not a string" in result.err


# -- control characters ------------------------------------------------------------------------------

def test_control_characters_are_removed_on_the_way_in() -> None:
    text = ('---\ntitle: "Clear \x1b[2Jscreen"\ndate: 2026-03-02\nsummary: "Escaped \\e[31mred\\x9b and \\u0085"\n'
            'tags: ["A\\x07b"]\nextra_field: "x\\x00y"\n---\n\nBody \x9b31m text\x07.\n')
    parsed, problems = load_article("content/x.md", text.encode(), CONFIG)
    assert parsed is not None
    assert (parsed.title, parsed.summary, parsed.tags, parsed.extra["extra_field"]) == (
        "Clear [2Jscreen", "Escaped [31mred and", ("Ab",), "xy")
    assert "\x9b" not in parsed.body and "\x07" not in parsed.body
    assert [p.format() for p in problems] == [
        "content/x.md:2: warning: removed 3 control characters (first: U+001B): they cannot appear in a page or feed",
        "content/x.md:4: warning: `summary`: removed control characters written as YAML escapes: they cannot appear in a page or feed",
        "content/x.md:5: warning: `tags`: removed control characters written as YAML escapes: they cannot appear in a page or feed",
        "content/x.md:6: warning: `extra_field`: removed control characters written as YAML escapes: they cannot appear in a page or feed",
    ]


def test_site_yaml_control_characters_are_removed(tmp_path: Path) -> None:
    site = write_site(tmp_path / "s", {"content/a.md": article()},
                      site_yaml='title: "Digest \\e[2J"\ndescription: "About \\x9b31m"\n')
    assert build(site).code == 0
    for page in (site / "public").rglob("*.html"):
        assert not CONTROL_CHARS.search(page.read_text()), page


@given(st.text())
def test_a_message_is_one_line_a_terminal_cannot_act_on(text: str) -> None:
    line = Diagnostic(f"content/{text}.md", 3, "error", f"unknown tag `{text}`").format()
    assert "\n" not in line and "\r" not in line
    assert not re.search("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]", line)
    line.encode("utf-8")  # printable: no lone surrogate


def test_terminal_escapes_are_readable() -> None:
    assert terminal_safe("a\x1b[2Jb\nc\td\u202ee\x9b") == "a\\x1b[2Jb\\nc\\td\\u202ee\\x9b"


def test_a_hostile_file_name_is_escaped_in_messages(tmp_path: Path) -> None:
    site = write_site(tmp_path / "s", {"content/Evil\x1b]0;owned\x07\u202e.md": article()})
    result = build(site)
    assert result.code == 1
    assert "\x1b" not in result.err and "\u202e" not in result.err and "\x07" not in result.err
    assert "Evil\\x1b]0;owned\\x07\\u202e.md" in result.err
