"""digest.site on its own: the graph built from articles held in memory."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from digest.config import SiteConfig, TagOptions
from digest.content import Article, RelatedRef
from digest.diagnostics import Diagnostics
from digest.markup import RenderedArticle
from digest.markup.crosslinks import CrossRef
from digest.site import RelatedMemo, Resolver, Site, build_site

UTC = dt.UTC


def _entry(slug: str, title: str, day: int = 2, hour: int = 9, tags: tuple[str, ...] = (), related: tuple[str, ...] = (),
           links: tuple[str, ...] = (), updated: int | None = None) -> tuple[Article, RenderedArticle, str]:
    art = Article(path=f"content/{slug}.md", slug=slug, title=title, date=dt.datetime(2026, 3, day, hour, tzinfo=UTC),
                  body="Body.", body_line=5, tags=tags, related=tuple(RelatedRef(target, 3) for target in related),
                  updated=dt.datetime(2026, 3, updated, tzinfo=UTC) if updated else None)
    rendered = RenderedArticle(body_html="<p>Body.</p>", summary="Body.", editor_note_html="",
                               crossrefs=tuple(CrossRef(target, f"[[{target}]]", 6) for target in links))
    return art, rendered, slug


def _build(*entries, memo: RelatedMemo | None = None, **config) -> tuple[Site, list[str]]:
    diags = Diagnostics()
    site = build_site(SiteConfig(root=Path("."), **config), list(entries), diags, memo or RelatedMemo())
    return site, [d.format() for d in diags.sorted()]


def test_one_resolver_finds_slugs_headlines_and_files() -> None:
    site, _ = _build(_entry("port-strike", "Dockers walk out — again"), _entry("other", "Other"))
    resolver = Resolver(site.stories)
    story = site.by_slug["port-strike"]
    assert resolver.find("port-strike") == [story]
    assert resolver.find("DOCKERS walk out -- again!") == [story]  # case, punctuation and dashes ignored
    assert resolver.find("file:content/port-strike.md") == [story]
    assert resolver.find("nothing like it") == [] and resolver.find("file:content/none.md") == []
    twins, _ = _build(_entry("a", "Same headline"), _entry("b", "Same headline"))
    assert len(Resolver(twins.stories).find("same headline")) == 2


def test_related_links_backlinks_and_problems() -> None:
    site, problems = _build(_entry("a", "A", related=("b", "Missing story")), _entry("b", "B"), _entry("c", "C", related=("a",)))
    a, b, c = (site.by_slug[s] for s in "abc")
    assert [link.story for link in a.related] == [b, None] and a.related[1].kind == "unresolved"
    assert b.incoming == [a] and a.incoming == [c]  # backlinks, without anyone writing them
    assert problems == ['content/a.md:3: warning: related story not found: "Missing story"']


def test_crosslinks_resolve_or_fail_at_their_line() -> None:
    site, problems = _build(_entry("a", "A", links=("b", "B headline")), _entry("b", "B headline"), _entry("c", "C", links=("nowhere",)))
    assert site.by_slug["a"].inline_links == [site.by_slug["b"]]
    assert problems == ["content/c.md:6: error: cross-link target not found: `[[nowhere]]` (no article in this build has that slug or headline)"]


def test_editions_are_days_newest_first() -> None:
    # (The content stage has already put every date in the site's zone: a day is the article's `day`.)
    site, _ = _build(_entry("a", "A", day=2, hour=23), _entry("b", "B", day=3, hour=1), _entry("c", "C", day=3, hour=5))
    assert [e.day.isoformat() for e in site.editions] == ["2026-03-03", "2026-03-02"]
    assert [s.article.slug for s in site.stories] == ["c", "b", "a"]
    site, _ = _build(_entry("a", "A", day=2), _entry("b", "B", day=4))
    newer, older = site.editions
    assert newer.previous is older and older.next is newer and newer.next is None


def test_tags_fold_case_spacing_and_aliases() -> None:
    site, _ = _build(_entry("a", "A", tags=("S-400", "ISIL")), _entry("b", "B", tags=("s-400 ", "Daesh")), _entry("c", "C", tags=("S-400",)),
                     tags=TagOptions(aliases={"Islamic State": ("ISIL", "Daesh")}))
    names = {t.name: (t.slug, t.count) for t in site.tags.terms}
    assert names == {"S-400": ("s-400", 3), "Islamic State": ("islamic-state", 2)}
    assert sorted(p.path for p in site.pages if p.kind == "alias") == ["tags/daesh/", "tags/isil/"]


def test_the_page_plan_with_feeds_and_lastmod() -> None:
    site, _ = _build(*(_entry(f"s{i}", f"S{i}", day=2 + i % 3, tags=("Ports",), updated=9 if i == 4 else None) for i in range(7)),
                     base_url="https://x.org/")
    pages = {p.path: p for p in site.pages}
    assert {"", "archive/", "tags/", "tags/ports/", "404.html", "feed.xml", "tags/ports/feed.xml"} <= set(pages)
    assert pages["tags/ports/"].feed.path == "tags/ports/feed.xml" and pages[""].feed.path == "feed.xml"
    assert pages["articles/s4/"].lastmod == dt.datetime(2026, 3, 9, tzinfo=UTC)  # its `updated`
    assert pages[""].lastmod == dt.datetime(2026, 3, 9, tzinfo=UTC)  # the newest change it shows
    assert pages["feed.xml"].context["updated"] == dt.datetime(2026, 3, 9, tzinfo=UTC)
    without, _ = _build(_entry("a", "A"))
    assert not [p for p in without.pages if p.kind == "feed"] and all(p.feed is None for p in without.pages)


def test_the_related_memo_belongs_to_its_caller() -> None:
    """No module-level state: two sites built in one process never share an answer."""
    first_memo, second_memo = RelatedMemo(), RelatedMemo()
    one, _ = _build(_entry("a", "A", tags=("Rare",)), _entry("b", "B", tags=("Rare",)), *(_entry(f"x{i}", "X") for i in range(6)), memo=first_memo)
    two, _ = _build(_entry("a", "A", tags=("Rare",)), _entry("c", "C", tags=("Rare",)), *(_entry(f"x{i}", "X") for i in range(6)), memo=second_memo)
    assert [s.article.slug for s in one.by_slug["a"].auto_related] == ["b"]
    assert [s.article.slug for s in two.by_slug["a"].auto_related] == ["c"]
    key = first_memo.key
    _build(_entry("a", "A", tags=("Rare",)), _entry("b", "B", tags=("Rare",)), *(_entry(f"x{i}", "X") for i in range(6)), memo=first_memo)
    assert first_memo.key == key  # same inputs: the answer stands
