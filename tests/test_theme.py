"""The default theme's reading features, page by page: a front page that tells the news, fact-check
verdicts, stories you can follow (timeline, edition calendar, coverage chart), subscribe links.
Plus the pure pieces behind them (filters, storylines, calendars), including generated inputs."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.calendar import coverage, month_grids, term_weight
from digest.filters import annotation_blocks, opens_with_dateline, quoted, reading_minutes, run_in_dateline
from digest.markup.annotations import SENTINEL

from .conftest import article, build, write_site
from .test_build_example import page


def _html(public: Path, path: str) -> str:
    return (public / path).read_text(encoding="utf-8")


def _between(html: str, start: str, end: str) -> str:
    html = html[html.index(start):]
    return html[:html.index(end)]


# ---- the front page -------------------------------------------------------------------------


def test_front_page_shows_the_news_and_separately_the_editors_take(built_example: Path) -> None:
    home = _html(built_example, "index.html")
    card = _between(home, "Harwick’s dockworkers walk out", "</article>")
    # What happened (the summary) and, as well, the editor's note, in that order.
    summary = card.index('<p class="summary">About 1,100 dockworkers at the Harwick Container Terminal began')
    assert summary < card.index('<div class="editor-note"><span class="label">Editor’s note</span>')
    # Every card has a summary, with or without an editor's note.
    assert home.count('class="story-card') == home.count('<p class="summary">')


def test_a_day_has_a_lead_compact_cards_and_briefs(built_example: Path) -> None:
    home = _html(built_example, "index.html")
    friday = _between(home, '<section class="day" aria-labelledby="day-2026-03-06"', 'aria-labelledby="day-2026-03-05"')
    # `lead: true` leads even though it is not the newest story of the day.
    assert friday.index('class="story-card story-lead"') < friday.index("Five days in: what the Harwick port strike")
    assert friday.count("story-lead") == 1
    assert friday.index("Five days in") < friday.index("Fact check: Does Skærholm") < friday.index("In brief")
    briefs = _between(friday, '<section class="in-brief"', "</section>")
    assert "Tram line 2 back to full service" in briefs and "Skærholm ferry adds a late sailing" in briefs
    assert "story-card" not in briefs
    # Without `lead:`, the newest story that is not a brief leads.
    thursday = _between(home, 'aria-labelledby="day-2026-03-05"', "</section>")
    assert re.search(r'story-lead[^"]*">\s*<p class="kicker">Politics</p>\s*<h3 class="story-title"><a href="articles/candidates-clash', thursday)


def test_times_only_under_a_day_heading_and_the_site_name_once(built_example: Path) -> None:
    html = _html(built_example, "index.html")
    river = _between(html, '<div class="river">', '<aside class="side-column"')
    # Cards give the time and its zone only: the day heading above them gives the date.
    stamps = re.findall(r'<p class="byline">.*?<time datetime="[^"]+">([^<]+)</time>', river, re.DOTALL)
    assert stamps and all(re.fullmatch(r"\d\d:\d\d (CET|CEST)", stamp) for stamp in stamps), stamps
    visible = re.sub(r"<[^>]+>", " ", html[html.index("<body"):])
    assert visible.count("Harwick Harbour Digest") == 1
    assert '<h1 class="site-title">' in html
    # Other pages name the site in the header only, as a link, with their own <h1>.
    tag_html = _html(built_example, "tags/ports/index.html")
    assert re.sub(r"<[^>]+>", " ", tag_html[tag_html.index("<body"):]).count("Harwick Harbour Digest") == 1
    assert page(built_example, "tags/ports/index.html").headings[0] == "Ports"


def test_side_column_has_running_stories_calendar_tags_and_feed(built_example: Path) -> None:
    html = _html(built_example, "index.html")
    side = _between(html, '<aside class="side-column"', "</aside>")
    running = _between(side, "Running stories", "</section>")
    assert 'href="articles/port-strike-five-days-in-numbers/"' in running and "5 stories since" in running
    assert 'href="articles/fact-check-skaerholm-ten-days-of-water/"' in running
    assert '<table class="calendar"' in side and 'href="digest/2026-03-06/"' in side
    assert 'href="tags/ports/" rel="tag">Ports <span class="count">8</span>' in side
    assert '<a class="feed-link" href="feed.xml">' in side


def test_fact_check_verdict_on_the_article_and_on_cards(built_example: Path) -> None:
    art = _html(built_example, "articles/fact-check-port-jobs-claim/index.html")
    box = _between(art, '<section class="verdicts"', "</section>")
    assert "Claim checked" in box
    assert "<q>port jobs have doubled since I took office</q>" in box
    assert '<strong class="verdict">Misleading</strong>' in box and 'href="#ann-1-item"' in box
    # At the top: before the body.
    assert art.index('<section class="verdicts"') < art.index('<div class="article-body">')
    home = _html(built_example, "index.html")
    card = _between(home, "Fact check: Did port jobs really double", "</article>")
    assert '<span class="verdict" data-kind="fact-check">Misleading</span>' in card
    assert "Fact-check: 1" in card
    # An article with no rated note has no verdict box.
    assert 'class="verdicts"' not in _html(built_example, "articles/port-strike-enters-second-day/index.html")


def test_reading_time_and_the_dateline_shown_once(built_example: Path) -> None:
    art = _html(built_example, "articles/port-strike-begins-at-harwick/index.html")
    assert re.search(r'<span class="reading-time">\d+ min read</span>', art)
    # The body opens "HARWICK — ": the dateline is its run-in, and not repeated in the byline.
    assert '<p><span class="dateline">HARWICK</span> — About 1,100 dockworkers' in art
    byline = _between(art, '<p class="byline">', "</p>")
    assert "HARWICK" not in byline
    # A body that does not open with its dateline keeps it in the byline.
    fact = _html(built_example, "articles/fact-check-port-jobs-claim/index.html")
    assert '<span class="dateline">HARWICK</span>' in _between(fact, '<p class="byline">', "</p>")


def test_subscribe_links_are_visible(built_example: Path) -> None:
    for path in ("index.html", "archive/index.html", "articles/port-strike-begins-at-harwick/index.html"):
        assert re.search(r'<a class="feed-link" href="(\.\./)*feed\.xml">', _html(built_example, path)), path
    tag = _html(built_example, "tags/strike/index.html")
    assert '<a class="feed-link" href="../../tags/strike/feed.xml">Follow Strike' in tag
    assert (built_example / "tags/strike/feed.xml").is_file()


def test_story_so_far_timeline(built_example: Path) -> None:
    art = _html(built_example, "articles/port-strike-enters-third-day/index.html")
    timeline = _between(art, '<nav class="storyline"', "</nav>")
    titles = re.findall(r'<li(?: class="is-current")?><time datetime="([^"]+)">', timeline)
    assert titles == sorted(titles) and len(titles) == 5  # oldest first, every article of the strike
    assert "5 stories over 5 days" in timeline
    assert '<span aria-current="page">Port strike enters third day; union agrees to talks on Thursday</span>' in timeline
    assert 'href="../../articles/port-strike-begins-at-harwick/"' in timeline
    assert 'href="../../articles/port-strike-enters-third-day/"' not in timeline  # itself is marked, not linked
    # An article in no running story has none.
    assert 'class="storyline"' not in _html(built_example, "articles/council-budget-draft-unveiled/index.html")


def test_edition_navigation_at_top_and_bottom(built_example: Path) -> None:
    edition = _html(built_example, "digest/2026-03-04/index.html")
    navs = re.findall(r'<nav class="edition-nav[^"]*" aria-label="([^"]+)">(.*?)</nav>', edition, re.DOTALL)
    assert [label for label, _ in navs] == ["Editions, top", "Editions"]
    for _, nav in navs:
        assert 'rel="prev" href="../../digest/2026-03-03/"' in nav and 'rel="next" href="../../digest/2026-03-05/"' in nav
    assert edition.index("Editions, top") < edition.index("<h1")


def test_archive_is_a_calendar_of_editions(built_example: Path) -> None:
    archive = _html(built_example, "archive/index.html")
    table = _between(archive, '<table class="calendar"', "</table>")
    # March 2026 starts on a Sunday: six empty cells, then the 1st.
    first_week = _between(table, "<tbody>", "</tr>")
    assert first_week.count("<td></td>") == 6 and '<td class="no-edition">1</td>' in first_week
    linked = re.findall(r'<a href="\.\./digest/(2026-03-\d\d)/"', table)
    assert linked == ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06"]
    assert "5 editions, 18 stories" in archive


def test_tag_page_coverage_chart_and_weighted_index(built_example: Path) -> None:
    tag = _html(built_example, "tags/ports/index.html")
    figure = _between(tag, '<figure class="coverage">', "</figure>")
    assert 'role="img" aria-labelledby="coverage-caption"' in figure
    bars = re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)"', figure)
    assert len(bars) == 5  # one per day with stories, 2 to 6 March
    caption = _between(figure, "<figcaption", "</figcaption>")
    assert "Stories per day" in caption and "8 stories from 2 March 2026" in caption
    assert "<script" not in figure
    # Day headings on the tag page too, so cards show times only.
    assert '<h2 id="day-2026-03-06" class="day-heading">' in tag
    tags = _html(built_example, "tags/index.html")
    assert '<li class="weight-5"><a href="../tags/ports/">Ports' in tags
    assert re.search(r'<li class="weight-1"><a href="\.\./tags/retail/">Retail', tags)


def test_quote_with_its_own_quotation_marks_is_not_wrapped_again(built_example: Path) -> None:
    art = _html(built_example, "articles/port-strike-five-days-in-numbers/index.html")
    item = _between(art, 'id="ann-6-item"', "</li>")
    assert '<span class="quote-text">“We are not going to sign anything' in item
    assert "<q>“" not in art


def test_lead_and_brief_must_be_booleans(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {
        "content/a.md": article("A", brief='"yes please"'),
        "content/b.md": article("B", "2026-03-02T10:00:00", lead="true", brief="true"),
    })
    result = build(site)
    assert result.code == 0
    assert "content/a.md:4: warning: `brief` must be true or false, not `yes please`; ignored" in result.output
    assert "content/b.md:4: warning: `lead: true` and `brief: true` together: shown as the lead story" in result.output
    home = (site / "public/index.html").read_text()
    assert 'class="in-brief"' not in home and home.count("story-lead") == 1


def test_front_matter_text_is_escaped_in_the_new_places(tmp_path: Path) -> None:
    evil = "<script>alert(1)</script>"
    files = {f"content/s{i}.md": article(f"Story {i} {evil}", f"2026-03-0{i + 1}T09:00:00", tags=f'["Tag {evil}", Strike]',
                                         summary=f'"Sum {evil}"', dateline=f'"{evil}"', body="Plain — body",
                                         related=f"\n  - s{i - 1}" if i else "[]", brief="true" if i == 3 else "false")
             for i in range(4)}
    site = write_site(tmp_path / "site", files, "title: T\ntimezone: UTC\nbase_url: https://x.example/\n")
    assert build(site).code == 0
    for html_file in (site / "public").rglob("*.html"):
        assert "<script>alert" not in html_file.read_text(), html_file


# ---- the pure pieces ------------------------------------------------------------------------


def _sentinel(n: int) -> str:
    return f"<!--{SENTINEL} {n}-->"


@st.composite
def bodies(draw):
    """Bodies as the Markdown stage makes them: paragraphs, lists, quotes, tables, headings,
    with note placeholders inside inline text at any depth."""
    number = [0]

    def words():
        parts = []
        for _ in range(draw(st.integers(1, 4))):
            text = draw(st.sampled_from(["Ships wait.", "The union said", "“quoted,” she said", "a <em>b</em> c", "x &amp; y"]))
            parts.append(text)
            if draw(st.booleans()):
                number[0] += 1
                wrap = draw(st.sampled_from(["{}", "<strong>{}</strong>", "<a href='#'>x</a>{}"]))
                parts.append(wrap.format(_sentinel(number[0])))
        return " ".join(parts)

    blocks = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["p", "ul", "blockquote", "table", "h2", "hr", "pre"]))
        if kind == "p":
            blocks.append(f"<p>{words()}</p>")
        elif kind == "ul":
            blocks.append("<ul>\n" + "\n".join(f"<li>{words()}</li>" for _ in range(draw(st.integers(1, 3)))) + "\n</ul>")
        elif kind == "blockquote":
            blocks.append(f"<blockquote>\n<p>{words()}</p>\n<p>{words()}</p>\n</blockquote>")
        elif kind == "table":
            blocks.append(f"<table><tr><td>{words()}</td><td><br>{words()}</td></tr></table>")
        elif kind == "h2":
            blocks.append(f"<h2>{words()}</h2>")
        elif kind == "hr":
            blocks.append("<hr />")
        else:
            blocks.append("<pre><code>x &lt; y</code></pre>")
    return "\n".join(blocks)


@settings(max_examples=300, deadline=None)
@given(bodies())
def test_notes_always_follow_a_whole_top_level_block(body: str) -> None:
    """Generated bodies: the text is kept byte for byte, each marker sits exactly where its
    placeholder was, and each note comes after the top-level block holding its words: never
    inside a paragraph, list or table."""
    blocks = annotation_blocks(body)
    rebuilt, notes, markers = "", [], []
    for block in blocks:
        for chunk, number in block.parts:
            rebuilt += chunk
            if number is not None:
                markers.append(number)
                rebuilt += _sentinel(number)
        for number in block.notes:
            notes.append(number)
            # Where the note goes, every element opened so far is closed again.
            stripped = re.sub(r"<!--.*?-->", "", rebuilt)
            opened = len(re.findall(r"<(?!/|br|hr|!)[a-z0-9]+\b[^>]*?(?<!/)>", stripped))
            closed = len(re.findall(r"</[a-z0-9]+>", stripped))
            assert opened == closed, (number, rebuilt)
    assert rebuilt == body
    expected = [int(n) for n in re.findall(SENTINEL + r" (\d+)", body)]
    assert markers == expected and notes == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab ,.’'\"“”„«»‘-")), min_size=1, max_size=30))
def test_quoted_never_doubles_quotation_marks(text: str) -> None:
    html = str(quoted(text))
    has_marks = re.search("[\"“”„«»]", text) is not None
    assert html.startswith('<span class="quote-text">') == has_marks
    assert html.startswith("<q>") == (not has_marks)
    assert "<" not in html.replace('<span class="quote-text">', "").replace("</span>", "").replace("<q>", "").replace("</q>", "")


def test_quoted_escapes() -> None:
    assert str(quoted("<b>“x”</b>")) == '<span class="quote-text">&lt;b&gt;“x”&lt;/b&gt;</span>'


@pytest.mark.parametrize(("body", "dateline", "expected"), [
    ("<p>HARWICK — Ships.</p>", "HARWICK", '<p><span class="dateline">HARWICK</span> — Ships.</p>'),
    ("<p>Harwick – Ships.</p>", "HARWICK", '<p><span class="dateline">Harwick</span> – Ships.</p>'),
    ("<p>WASHINGTON (Sputnik) - Ships.</p>", "Washington", '<p><span class="dateline">WASHINGTON (Sputnik)</span> - Ships.</p>'),
    ("<p>SKÆRHOLM — x</p>", "SKÆRHOLM", '<p><span class="dateline">SKÆRHOLM</span> — x</p>'),
    ("<p>Ships left HARWICK — today.</p>", "HARWICK", None),
    ("<p>HARWICKSHIRE is big.</p>", "HARWICK", None),
    ("<p>HARWICK — x</p>", "", None),
    ("<p>A &amp; B — x</p>", "A & B", '<p><span class="dateline">A &amp; B</span> — x</p>'),
])
def test_dateline_run_in(body: str, dateline: str, expected: str | None) -> None:
    assert opens_with_dateline(body, dateline) == (expected is not None)
    assert str(run_in_dateline(body, dateline)) == (expected or body)


def test_reading_minutes() -> None:
    assert [reading_minutes(n) for n in (0, 1, 230, 231, 2300)] == [1, 1, 1, 2, 10]


def test_month_grids_start_on_monday_and_link_edition_days() -> None:
    class Ed:
        def __init__(self, day: dt.date, n: int = 1):
            self.day, self.stories = day, [object()] * n

    months = month_grids([Ed(dt.date(2026, 3, 6), 2), Ed(dt.date(2026, 3, 2)), Ed(dt.date(2026, 2, 28))])
    assert [m.first for m in months] == [dt.date(2026, 3, 1), dt.date(2026, 2, 1)]
    march = months[0]
    assert march.editions == 2 and march.stories == 3
    assert all(len(week) == 7 for week in march.weeks)
    assert [c.day.day if c else None for c in march.weeks[0]] == [None] * 6 + [1]
    linked = [c.day for week in march.weeks for c in week if c and c.edition]
    assert linked == [dt.date(2026, 3, 2), dt.date(2026, 3, 6)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31)), min_size=2, max_size=60))
def test_coverage_bars_count_every_story_in_range(days: list[dt.date]) -> None:
    chart = coverage(days)
    assert chart is not None and 1 <= len(chart.bars) <= 60
    starts = [bar.start for bar in chart.bars]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    shown = [d for d in days if d >= starts[0]]
    assert chart.shown == sum(bar.count for bar in chart.bars) == len(shown)
    assert chart.peak.count == max(bar.count for bar in chart.bars)
    for bar in chart.bars:  # inside the drawing, taller for more stories
        assert 0 <= bar.x and bar.x + bar.width <= chart.width + 0.01 and 0 <= bar.y <= chart.height
        assert (bar.height > 0) == (bar.count > 0)
    if (max(days) - min(days)).days < 45:
        assert chart.unit == "day" and len(chart.bars) == (max(days) - min(days)).days + 1


def test_term_weight_is_monotonic_from_1_to_5() -> None:
    weights = [term_weight(n, 40) for n in range(1, 41)]
    assert weights[0] == 1 and weights[-1] == 5 and weights == sorted(weights)
    assert term_weight(3, 3) == 5 and term_weight(1, 1) == 1


# ---- running stories ------------------------------------------------------------------------


def _timeline(public: Path, slug: str) -> list[str]:
    html = _html(public, f"articles/{slug}/index.html")
    if 'class="storyline"' not in html:
        return []
    nav = _between(html, '<nav class="storyline"', "</nav>")
    return [m.group(1) or m.group(2) for m in re.finditer(r'href="\.\./\.\./articles/([a-z0-9-]+)/"|(aria-current)', nav)]


def test_running_stories_follow_links_and_rare_tags_not_generic_ones(tmp_path: Path) -> None:
    def story(day: int, tags: str, related: str = "[]") -> str:
        return article(f"Story {day} {tags}", f"2026-03-{day:02d}T09:00:00", tags=tags, related=related)

    files = {
        # A strike followed over four days: linked in a chain, sharing Strike.
        "content/strike-1.md": story(2, "[Strike, Ports, City]"),
        "content/strike-2.md": story(3, "[Strike, Ports]", "\n  - strike-1"),
        "content/strike-3.md": story(4, "[Strike, Ports, City]", "\n  - strike-2"),
        # Not linked, but shares the rare Strike tag and most of its weight: same story.
        "content/strike-4.md": story(5, "[Strike, Ports]"),
        # Linked to the strike, but about something else (shares only generic tags): not in it.
        "content/election.md": story(4, "[Election, City, Ports]", "\n  - strike-1"),
    }
    files |= {f"content/filler-{i}.md": story(10 + i, f"[City, Topic{i}]") for i in range(6)}
    site = write_site(tmp_path / "site", files)
    assert build(site).code == 0
    public = site / "public"
    assert _timeline(public, "strike-3") == ["strike-1", "strike-2", "aria-current", "strike-4"]
    assert _timeline(public, "strike-1")[0] == "aria-current"
    assert _timeline(public, "election") == []
    assert _timeline(public, "filler-0") == []
    # The front page lists it as running, by its newest story.
    side = _between(_html(public, "index.html"), '<aside class="side-column"', "</aside>")
    assert 'href="articles/strike-4/"' in side and "4 stories since" in side


def test_two_stories_or_one_day_are_not_a_running_story(tmp_path: Path) -> None:
    files = {
        "content/a.md": article("A", "2026-03-02T09:00:00", tags="[Rare]"),
        "content/b.md": article("B", "2026-03-03T09:00:00", tags="[Rare]", related="\n  - a"),
        "content/c.md": article("C", "2026-03-05T09:00:00", tags="[Other]"),
        "content/d.md": article("D", "2026-03-05T10:00:00", tags="[Other]"),
        "content/e.md": article("E", "2026-03-05T11:00:00", tags="[Other]"),
    }
    site = write_site(tmp_path / "site", files)
    assert build(site).code == 0
    for slug in "abcde":
        assert _timeline(site / "public", slug) == [], slug
    assert 'id="running-heading"' not in _html(site / "public", "index.html")


def test_long_running_story_shows_a_window_around_the_article(tmp_path: Path) -> None:
    files = {f"content/day-{i:02d}.md": article(f"Day {i}", f"2026-03-{i + 1:02d}T09:00:00", tags="[Siege]",
                                                 related=f"\n  - day-{i - 1:02d}" if i else "[]") for i in range(20)}
    files |= {f"content/other-{i}.md": article(f"Other {i}", "2026-02-01T09:00:00", tags=f"[X{i}]") for i in range(80)}
    site = write_site(tmp_path / "site", files)
    assert build(site).code == 0
    html = _html(site / "public", "articles/day-10/index.html")
    nav = _between(html, '<nav class="storyline"', "</nav>")
    assert nav.count("<li") == 12 and "20 stories over 20 days; 4 earlier not shown; 4 later not shown" in nav
    assert "day-04/" in nav and "day-03/" not in nav and "day-15/" in nav and "day-16/" not in nav
