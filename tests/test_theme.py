"""The default theme's reading features, page by page: a front page that tells the news, fact-check
verdicts, stories you can follow (timeline, edition calendar, coverage chart), subscribe links.
(The pure pieces behind them are tested on their own in tests/unit/test_filters.py and
tests/unit/test_calendar.py.)"""

from __future__ import annotations

import re
from pathlib import Path

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
