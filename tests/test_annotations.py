"""Annotations: anchoring quotes to the rendered text, and what the article page shows."""

from __future__ import annotations

import html.parser
import json
import re
from pathlib import Path
from typing import ClassVar

import pytest

from digest.config import DEFAULT_KINDS, MarkdownOptions, SiteConfig
from digest.content import load_article
from digest.markup import RenderedArticle, render_article
from digest.markup.annotations import annotation_parts, normalize, side_note_html

from .conftest import article, build, tree_state, write_site

# smarty on: its placeholders (htmlStash) are the hardest text for anchoring to see through.
CONFIG = SiteConfig(
    root=Path("."),
    markdown=MarkdownOptions(extensions=("extra", "sane_lists", "smarty")),
)


def annotations_yaml(*items: dict[str, object]) -> str:
    """The `annotations:` value, one item per dict, each key on its own line (as editors write it)."""
    lines = [""]
    for item in items:
        for i, (key, value) in enumerate(item.items()):
            lines.append(f"  {'- ' if i == 0 else '  '}{key}: {json.dumps(value, ensure_ascii=False)}")
    return "\n".join(lines)


def render(body: str, *items: dict[str, object]) -> tuple[RenderedArticle, list[str], str]:
    """Render one article; returns (rendered, formatted diagnostics, file text)."""
    items = tuple({"note": "A note.", **item} for item in items)
    text = article(body=body, annotations=annotations_yaml(*items))
    parsed, problems = load_article("content/x.md", text.encode(), CONFIG)
    assert parsed is not None, [p.format() for p in problems]
    rendered = render_article(parsed, CONFIG)
    return rendered, [d.format() for d in (*problems, *rendered.diagnostics)], text


def marks(body_html: str, number: int) -> str:
    """The highlighted text of annotation `number` (all its pieces, in order)."""
    found = re.findall(rf'<mark [^>]*data-annotation="{number}"[^>]*>(.*?)</mark>', body_html)
    return "".join(re.sub(r"<[^>]+>", "", piece) for piece in found)


def line_of(text: str, needle: str) -> int:
    return text.splitlines().index(next(line for line in text.splitlines() if needle in line)) + 1


class _Nesting(html.parser.HTMLParser):
    VOID: ClassVar[set[str]] = {"br", "img", "hr", "input", "meta", "link", "wbr", "col", "source"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def assert_well_nested(fragment: str) -> None:
    checker = _Nesting()
    checker.feed(fragment)
    checker.close()
    assert not checker.problems and not checker.stack, (checker.problems, checker.stack, fragment)


# -- matching ----------------------------------------------------------------------------------

def test_plain_quote_is_marked_and_followed_by_its_note_placeholder() -> None:
    rendered, problems, _ = render("The S-400 Triumf system was deployed.", {"quote": "S-400 Triumf", "kind": "context"})
    assert problems == []
    assert ('<mark aria-describedby="ann-1-note" class="annotation" data-annotation="1" data-kind="context" '
            'id="ann-1">S-400 Triumf</mark><!--digest-annotation 1--> system') in rendered.body_html
    [anchored] = rendered.anchored
    assert (anchored.number, anchored.text, anchored.id) == (1, "S-400 Triumf", "ann-1")
    assert annotation_parts(rendered.body_html)[0][1] == 1


def test_quote_crosses_emphasis_links_and_code() -> None:
    body = "The **S-400** Triumf, sold by [Almaz-Antey](https://example.org/almaz) to `buyers` abroad."
    rendered, problems, _ = render(body, {"quote": "S-400 Triumf"}, {"quote": "sold by Almaz-Antey to buyers"})
    assert problems == []
    html = rendered.body_html
    assert marks(html, 1) == "S-400 Triumf"
    assert marks(html, 2) == "sold by Almaz-Antey to buyers"
    assert '<strong><mark aria-describedby="ann-1-note" class="annotation" data-annotation="1" data-kind="context" id="ann-1">S-400</mark></strong>' in html
    # The note never lands inside the link or the code span.
    assert re.search(r"<code><mark [^>]*>buyers</mark></code><!--digest-annotation 2--> abroad", html)
    assert_well_nested(html)


def test_nbsp_curly_quotes_apostrophes_and_dashes_are_equal() -> None:
    body = ("Output was about 12\u00a0megawatts.\n\n"
            "The mayor said \u201cwe won\u2019t back down\u201d on Tuesday.\n\n"
            "Plans for 2026--27 were \"not final\", officials said it's early.")
    rendered, problems, _ = render(
        body,
        {"quote": "about 12 megawatts"},
        {"quote": "\"we won't back down\""},
        {"quote": "2026\u201327 were \u201cnot final\u201d"},
        {"quote": "it\u2019s   early"},
    )
    assert problems == []
    texts = [a.text for a in rendered.anchored]
    assert texts == ["about 12 megawatts", "\u201cwe won\u2019t back down\u201d",
                     "2026\u201327 were \u201cnot final\u201d", "it\u2019s early"]
    assert "about 12\u00a0megawatts</mark>" in rendered.body_html  # the reader's NBSP is kept
    assert_well_nested(rendered.body_html)


def test_matching_is_case_sensitive() -> None:
    _, problems, _ = render("The S-400 Triumf.", {"quote": "s-400 triumf"})
    assert len(problems) == 1 and 'annotation quote not found: "s-400 triumf"' in problems[0]
    assert '(closest passage: "S-400 Triumf.")' in problems[0] or '(closest passage: "S-400 Triumf")' in problems[0]


def test_first_match_by_default_and_occurrence_picks_another() -> None:
    body = "Ships were waiting at anchor at dawn. By noon seven were waiting at anchor offshore."
    first, _, _ = render(body, {"quote": "waiting at anchor"})
    second, problems, _ = render(body, {"quote": "waiting at anchor", "occurrence": 2})
    assert problems == []
    assert first.body_html.index("<mark") < first.body_html.index("dawn")
    assert second.body_html.index("<mark") > second.body_html.index("noon")
    assert second.body_html.count("<mark") == 1


def test_prefix_and_suffix_choose_the_occurrence() -> None:
    body = "Berg attacked the bus cuts. Amsel defended the bus cuts as painful. Others called the bus cuts cruel."
    by_prefix, problems, _ = render(body, {"quote": "the bus cuts", "prefix": "Amsel defended"})
    assert problems == []
    assert re.search(r"Amsel defended <mark[^>]*>the bus cuts</mark>", by_prefix.body_html)
    by_suffix, problems, _ = render(body, {"quote": "the bus cuts", "suffix": "cruel"})
    assert problems == []
    assert re.search(r"called <mark[^>]*>the bus cuts</mark><!--digest-annotation 1--> cruel", by_suffix.body_html)
    both, problems, _ = render(body, {"quote": "the bus cuts", "prefix": "defended", "suffix": "as painful"})
    assert problems == [] and re.search(r"defended <mark[^>]*>the bus cuts", both.body_html)


def test_prefix_may_reach_into_the_previous_paragraph() -> None:
    body = "It ended with a vote.\n\nThe vote was close. Later the vote was repeated."
    rendered, problems, _ = render(body, {"quote": "The vote", "prefix": "with a vote."})
    assert problems == []
    assert re.search(r"<p><mark[^>]*>The vote</mark>", rendered.body_html)


def test_overlapping_highlights_are_both_shown() -> None:
    body = "The council passed the budget by 27 votes to 22 on Wednesday."
    rendered, problems, _ = render(body, {"quote": "passed the budget by 27 votes", "kind": "context"},
                                   {"quote": "27 votes to 22", "kind": "fact-check"})
    assert problems == []
    html = rendered.body_html
    assert marks(html, 1) == "passed the budget by 27 votes"
    assert marks(html, 2) == "27 votes to 22"
    assert 'id="ann-1"' in html and 'id="ann-2"' in html
    # The shared words carry both highlights, nested.
    assert re.search(r'<mark [^>]*data-annotation="1"[^>]*><mark [^>]*data-annotation="2"[^>]*>27 votes</mark></mark>', html)
    assert [n for _, n in annotation_parts(html)] == [1, 2, None]
    assert_well_nested(html)


def test_identical_quotes_twice_are_allowed() -> None:
    rendered, problems, _ = render("Seven ships waited.", {"quote": "Seven ships"}, {"quote": "Seven ships", "kind": "analysis"})
    assert problems == []
    assert [a.number for a in rendered.anchored] == [1, 2]
    assert_well_nested(rendered.body_html)


def test_numbers_follow_reading_order_not_front_matter_order() -> None:
    rendered, problems, _ = render("Alpha comes first. Omega comes last.", {"quote": "Omega"}, {"quote": "Alpha"})
    assert problems == []
    assert [(a.number, a.text) for a in rendered.anchored] == [(1, "Alpha"), (2, "Omega")]


def test_not_found_names_the_line_and_the_closest_passage() -> None:
    body = "Moscow deployed the S-400 Triumf near the border.\n\nOther news followed."
    _, problems, text = render(body, {"quote": "Ships"}, {"quote": "S-300 Triumf"})
    line = line_of(text, '"S-300 Triumf"')
    assert f'content/x.md:{line}: error: annotation quote not found: "S-300 Triumf" (closest passage: "S-400 Triumf")' in problems
    assert line_of(text, '"Ships"') < line
    assert len(problems) == 2  # every problem at once


def test_quote_spanning_two_paragraphs_is_an_error() -> None:
    body = "The strike began on Monday.\n\nDockworkers walked out at dawn."
    _, problems, text = render(body, {"quote": "on Monday. Dockworkers walked out"})
    assert len(problems) == 1
    assert problems[0].startswith(f"content/x.md:{line_of(text, 'quote:')}: error: annotation quote not found:")
    assert "two paragraphs" in problems[0]


def test_quote_spanning_list_items_is_an_error() -> None:
    _, problems, _ = render("- first item\n- second item\n", {"quote": "first item second"})
    assert len(problems) == 1 and "not found" in problems[0]


def test_occurrence_beyond_the_matches_is_an_error() -> None:
    _, problems, text = render("Waiting at anchor, then leaving.", {"quote": "at anchor", "occurrence": 3})
    assert problems == [(f'content/x.md:{line_of(text, "quote:")}: error: annotation quote "at anchor" occurs only once, '
                         "so there is no occurrence 3")]


def test_prefix_that_never_fits_is_an_error() -> None:
    _, problems, _ = render("Amsel defended the bus cuts.", {"quote": "the bus cuts", "prefix": "Berg attacked"})
    assert len(problems) == 1
    assert 'annotation quote "the bus cuts" occurs once, but never with prefix "Berg attacked"' in problems[0]


def test_text_behind_escapes_entities_and_raw_inline_html() -> None:
    body = r"Prices rose 5\* &amp; wages <b>fell sharply</b> in March."
    rendered, problems, _ = render(body, {"quote": "5* & wages fell sharply in"})
    assert problems == []
    html = rendered.body_html
    assert marks(html, 1) == "5* &amp; wages fell sharply in"
    assert_well_nested(html)


def test_ellipsis_and_smart_quotes_from_smarty() -> None:
    rendered, problems, _ = render('He said "wait..." and left.', {"quote": "\u201cwait\u2026\u201d"})
    assert problems == [] and rendered.anchored[0].text == "\u201cwait\u2026\u201d"


def test_quote_inside_a_heading_and_a_blockquote() -> None:
    body = "## Port strike talks\n\n> Nobody wants a long strike, said the union.\n"
    rendered, problems, _ = render(body, {"quote": "strike talks"}, {"quote": "a long strike"})
    assert problems == []
    assert_well_nested(rendered.body_html)


def test_empty_body_reports_every_annotation() -> None:
    text = article(body="", annotations=annotations_yaml({"quote": "x", "note": "y"}))
    parsed, _ = load_article("content/x.md", text.encode(), CONFIG)
    rendered = render_article(parsed, CONFIG)
    assert [d.level for d in rendered.diagnostics] == ["error"]


def test_normalize() -> None:
    assert normalize("  \u201cIt\u2019s\u00a0\u00a0a  \u2014 test\u2026\u201d ") == "\"It's a - test...\""


def test_side_note_keeps_paragraphs_and_shortens_blocks() -> None:
    assert side_note_html("<p>One.</p>\n<p>Two <em>x</em>.</p>") == (
        '<span class="note-p">One.</span>\n<span class="note-p">Two <em>x</em>.</span>', True)
    html, complete = side_note_html("<p>Intro.</p>\n<ul>\n<li>a</li>\n</ul>")
    assert (html, complete) == ('<span class="note-p">Intro.</span>', False)


def test_pieces_are_well_nested_in_tricky_bodies() -> None:
    body = ("A *very **deeply** nested* [link *with* emphasis](https://example.org) and `code`.\n\n"
            "| a | b |\n|---|---|\n| cell one | cell two |\n")
    rendered, problems, _ = render(body, {"quote": "deeply nested link with"}, {"quote": "very deeply"},
                                   {"quote": "cell one"}, {"quote": "emphasis and code."})
    assert problems == []
    assert_well_nested(rendered.body_html)
    # No note placeholder ends up inside the link.
    for link in re.findall(r"<a [^>]*>.*?</a>", rendered.body_html):
        assert "digest-annotation" not in link


# -- the article page --------------------------------------------------------------------------

NOTE_SITE = {
    "content/ship.md": article(
        title="Ships queue offshore",
        body="Five ships were *waiting at anchor* on Tuesday, the port said.",
        annotations=annotations_yaml(
            {"quote": "waiting at anchor", "note": "Up from **three** on Monday.", "kind": "fact-check",
             "rating": "Mostly true", "sources": [{"title": "Port log", "url": "https://example.org/log"}]},
            {"quote": "the port said", "note": "A <script>alert(1)</script> statement.", "kind": "analysis"},
        ),
    ),
    "content/other.md": article(title="Nothing annotated", body="Plain."),
}


@pytest.fixture(scope="module")
def note_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = write_site(tmp_path_factory.mktemp("notes") / "site", NOTE_SITE,
                      "title: Test digest\ntimezone: UTC\nbase_url: https://news.example.org/\n")
    result = build(site)
    assert result.code == 0, result.output
    return site / "public"


def test_article_page_has_marker_side_note_and_list(note_site: Path) -> None:
    page = (note_site / "articles/ship/index.html").read_text()
    # Highlight, then the numbered marker: a link to the note (annotations.js makes it a button).
    assert re.search(
        r'<mark aria-describedby="ann-1-note" class="annotation" data-annotation="1" data-kind="fact-check" id="ann-1">'
        r'waiting at anchor</mark></em><a class="annotation-marker" id="ann-1-marker" href="#ann-1-note" data-kind="fact-check" '
        r'data-annotation="1" data-pagefind-ignore><span class="visually-hidden">Annotation </span><span class="annotation-badge">1</span>'
        r'<span class="visually-hidden"> \(Fact-check\)</span></a>', page)
    # Both notes come after the paragraph, never inside the sentence, in reading order.
    paragraph_end = page.index("the port said", page.index('<div class="article-body">'))
    paragraph_end = page.index("</p>", paragraph_end)
    first, second = page.index('<aside class="annotation-note" id="ann-1-note" role="note"'), page.index('id="ann-2-note"')
    assert paragraph_end < first < second
    assert "<aside" not in page[page.index('<div class="article-body">'):paragraph_end]
    assert "Up from <strong>three</strong> on Monday." in page
    assert "&lt;script&gt;" in page and "<script>alert" not in page
    # The end-of-article list: kind, rating, source, back-link.
    section = page[page.index('<section id="annotations"'):]
    section = section[:section.index("</section>")]
    assert '<li id="ann-1-item" class="annotation-item" data-kind="fact-check" value="1">' in section
    assert "Fact-check" in section and "Rating: <strong>Mostly true</strong>" in section
    assert '<a href="https://example.org/log" rel="noopener external">Port log</a>' in section
    assert '<a href="#ann-1">' in section and '<a href="#ann-2">' in section
    # The list comes after the article, before any related section.
    assert page.index("</article>") < page.index('<section id="annotations"')
    # Kind colours from site.yaml, light and dark.
    assert '[data-kind="fact-check"] { --kind: #a3380c; --kind-tint: #a3380c24; }' in page
    assert '[data-kind="fact-check"] { --kind: #f5a57f; --kind-tint: #f5a57f24; }' in page


def test_every_aria_reference_resolves(note_site: Path) -> None:
    page = (note_site / "articles/ship/index.html").read_text()
    ids = set(re.findall(r'\sid="([^"]+)"', page))
    for ref in re.findall(r'aria-(?:describedby|labelledby)="([^"]+)"', page) + re.findall(r'for="([^"]+)"', page):
        assert ref in ids, ref
    for ref in re.findall(r'href="#([^"]+)"', page):
        assert ref in ids, ref
    assert len(re.findall(r'\sid="([^"]+)"', page)) == len(ids)  # ids are unique


def test_json_ld_news_article_with_claim_review(note_site: Path) -> None:
    page = (note_site / "articles/ship/index.html").read_text()
    blob = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.DOTALL).group(1)
    data = json.loads(blob)
    news, *reviews = data["@graph"]
    assert data["@context"] == "https://schema.org"
    assert news["@type"] == "NewsArticle" and news["headline"] == "Ships queue offshore"
    assert news["url"] == "https://news.example.org/articles/ship/"
    assert len(reviews) == 1  # the analysis has no rating and is not a fact-check
    review = reviews[0]
    assert review["@type"] == "ClaimReview"
    assert review["claimReviewed"] == "waiting at anchor"
    assert review["reviewRating"] == {"@type": "Rating", "alternateName": "Mostly true"}
    assert review["url"] == "https://news.example.org/articles/ship/#ann-1"


def test_cards_count_annotations_by_kind(note_site: Path) -> None:
    home = (note_site / "index.html").read_text()
    card = home[home.index("Ships queue offshore"):]
    card = card[:card.index("</article>")]
    assert "2 annotations" in card
    assert '<span class="kind-count" data-kind="fact-check">Fact-check: 1</span>' in card
    assert '<span class="kind-count" data-kind="analysis">Analysis: 1</span>' in card
    other = home[home.index("Nothing annotated"):]
    assert "annotation" not in other[:other.index("</article>")]


def test_misspelt_quote_fails_the_build_and_leaves_public_alone(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/a.md": article(body="The S-400 Triumf system.")})
    assert build(site).code == 0
    before = tree_state(site / "public")
    text = article(body="The S-400 Triumf system.\n\nAnother paragraph.",
                   annotations=annotations_yaml({"quote": "S-300 Triumf", "note": "x"}, {"quote": "Another paragraph", "note": "y"}))
    (site / "content/a.md").write_text(text)
    result = build(site)
    assert result.code == 1
    line = line_of(text, "S-300")
    assert f'content/a.md:{line}: error: annotation quote not found: "S-300 Triumf" (closest passage: "S-400 Triumf")' in result.output
    assert tree_state(site / "public") == before


def test_example_digest_anchors_every_annotation(built_example: Path) -> None:
    from digest.config import load_config
    from digest.diagnostics import Diagnostics

    repo = Path(__file__).resolve().parents[1]
    config = load_config(repo, Diagnostics())
    annotated = 0
    for path in sorted((repo / "content").glob("*.md")):
        parsed, _ = load_article(f"content/{path.name}", path.read_bytes(), config)
        if parsed is None or not parsed.annotations or parsed.draft:
            continue
        annotated += 1
        page = (built_example / "articles" / parsed.slug / "index.html").read_text()
        for number in range(1, len(parsed.annotations) + 1):
            assert f'id="ann-{number}"' in page and f'id="ann-{number}-note"' in page, (path.name, number)
        assert "digest-annotation" not in page  # every placeholder became a side-note
        assert_well_nested(page[page.index('<div class="article-body">'):page.index("</article>")])
    assert annotated >= 9


def test_default_kind_colours_meet_wcag_aa() -> None:
    from digest.config import DARK_BACKGROUND, LIGHT_BACKGROUND, contrast_ratio

    # Used as text and as the marker's background (with the page background as its text colour),
    # on the page and on the note background.
    for kind in DEFAULT_KINDS.values():
        for background in (LIGHT_BACKGROUND, "#ffffff", "#f3efe4"):
            assert contrast_ratio(kind["color"], background) >= 4.5, (kind, background)
        for background in (DARK_BACKGROUND, "#1c1c20", "#26241f"):
            assert contrast_ratio(kind["dark_color"], background) >= 4.5, (kind, background)


def test_low_contrast_kind_colour_is_a_warning(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/a.md": article()},
                      "title: T\nannotations:\n  kinds:\n    context: {label: Context, color: '#ffee00'}\n")
    result = build(site)
    assert result.code == 0
    assert ("site.yaml:3: warning: `annotations.kinds.context.color` #ffee00 has contrast 1.2:1 on the theme's light "
            "background #fdfcf9; WCAG AA needs 4.5:1") in result.output
