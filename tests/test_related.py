"""Related stories: listed (slug, headline, outside), backlinks, and automatic relations by tags."""

from __future__ import annotations

import math
import random
import re
from pathlib import Path

import pytest

from digest.related import ALWAYS_COUNTS, related_by_tags, weights
from tests.conftest import article, build, write_site

SITE_YAML = "title: Related test\ntimezone: UTC\nbase_url: https://news.example.org/\n"


def _related_section(page: str) -> dict[str, list[str]]:
    """data-kind -> link texts, from the one <section id="related">."""
    sections = re.findall(r'<section id="related".*?</section>', page, re.DOTALL)
    assert len(sections) <= 1
    groups: dict[str, list[str]] = {}
    for kind, body in re.findall(r'data-kind="(\w+)">(.*?)</div>', sections[0] if sections else "", re.DOTALL):
        groups[kind] = re.findall(r"<li[^>]*>\s*(?:<a [^>]*>|<span class=\"unresolved\">)([^<]*)<", body)
    return groups


def _page(site: Path, slug: str) -> str:
    return (site / "public" / "articles" / slug / "index.html").read_text()


# ---- listed related stories and backlinks ---------------------------------------------------


@pytest.fixture
def listed_site(tmp_path: Path) -> Path:
    return write_site(tmp_path / "site", {
        "content/coalition.md": article("Broad Counter-Terrorism Coalition 'Best Way Forward' Against ISIL", "2026-03-01T09:00:00"),
        "content/renzi.md": article("Italian PM Renzi calls for broader anti-ISIL coalition", "2026-03-02T09:00:00"),
        "content/reader.md": article(
            "Reader story", "2026-03-03T09:00:00",
            related="\n  - renzi\n  - \"broad counter–terrorism coalition “best way forward” against isil\""
                    "\n  - {title: \"Outside report\", url: \"https://example.com/report\"}",
        ),
    }, SITE_YAML)


def test_related_by_slug_headline_and_outside(listed_site: Path) -> None:
    result = build(listed_site)
    assert result.code == 0, result.output
    groups = _related_section(_page(listed_site, "reader"))
    assert groups["listed"] == [
        "Italian PM Renzi calls for broader anti-ISIL coalition",
        "Broad Counter-Terrorism Coalition &#39;Best Way Forward&#39; Against ISIL",
        "Outside report",
    ]
    page = _page(listed_site, "reader")
    assert 'href="../../articles/renzi/"' in page and 'href="https://example.com/report" rel="noopener external"' in page


def test_backlinks_show_as_incoming(listed_site: Path) -> None:
    assert build(listed_site).code == 0
    for slug in ("renzi", "coalition"):
        groups = _related_section(_page(listed_site, slug))
        assert groups["incoming"] == ["Reader story"], groups
        assert "listed" not in groups


def test_unresolved_related_is_a_warning_and_plain_text(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {
        "content/a.md": article("A", related="\n  - no-such-story"),
    }, SITE_YAML)
    result = build(site)
    assert result.code == 0
    assert 'content/a.md:5: warning: related story not found: "no-such-story"' in result.err
    page = _page(site, "a")
    assert '<span class="unresolved">no-such-story</span>' in page
    strict = build(site, "--strict")
    assert strict.code == 1 and 'content/a.md:5: error: related story not found: "no-such-story"' in strict.err


def test_ambiguous_headline_names_both_articles(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {
        "content/one.md": article("Storm hits coast", "2026-03-01T09:00:00"),
        "content/two.md": article("Storm Hits Coast!", "2026-03-02T09:00:00"),
        "content/a.md": article("A", "2026-03-03T09:00:00", related="\n  - \"storm hits coast\""),
    }, SITE_YAML)
    result = build(site)
    assert result.code == 0
    assert ('content/a.md:5: warning: related story "storm hits coast" matches more than one article: '
            "content/one.md and content/two.md") in result.err


# ---- automatic relations: the pure function -------------------------------------------------


def test_rare_tag_outweighs_common_tags() -> None:
    tags = {"a": ["syria", "aleppo"], "b": ["syria"], "c": ["aleppo"]}
    tags |= {f"x{i}": ["syria"] for i in range(3)} | {f"y{i}": ["filler"] for i in range(20)}
    dates = dict.fromkeys(tags, 0.0)
    # syria is on 5 of 25 articles, aleppo on 2: sharing aleppo counts more than sharing syria.
    assert related_by_tags(tags, dates, limit=2, max_share=0.25)["a"] == ["c", "b"]
    # b is nearer in date than the other syria stories, and c still comes first.
    dates |= {"b": 1.0, "c": 50.0, "x0": 2.0, "x1": 2.0, "x2": 3.0}
    assert related_by_tags(tags, dates, limit=3, max_share=0.25)["a"] == ["c", "b", "x0"]


def test_tag_over_max_share_weighs_nothing() -> None:
    # "common" is on 12 of 14 articles: over max_share and over the always-counting floor.
    tags = {"a": ["common", "rare"], "d": ["rare"]} | {f"c{i}": ["common"] for i in range(11)} | {"z": ["other"]}
    dates = dict.fromkeys(tags, 0.0)
    assert weights({"common": 12, "rare": 2}, 14, 0.5) == {"common": 0, "rare": round(1_000_000 * math.log(7))}
    assert related_by_tags(tags, dates, limit=5, max_share=0.5)["a"] == ["d"]
    assert related_by_tags(tags, dates, limit=5, max_share=0.5)["c0"] == []


@pytest.mark.parametrize("total", range(2, 41))
def test_a_tag_shared_by_few_stories_always_counts(total: int) -> None:
    """Small sites: a tag on 2..ALWAYS_COUNTS articles weighs something at any max_share,
    as long as it is not on every article (log(N/N) is 0 by definition)."""
    for df in range(2, min(total, ALWAYS_COUNTS + 1)):
        for share in (0.01, 0.1, 0.25, 0.5):
            assert weights({"t": df}, total, share)["t"] > 0, (df, total, share)
    # and max_share still applies above the floor
    if total > ALWAYS_COUNTS + 1:
        assert weights({"t": ALWAYS_COUNTS + 1}, total, (ALWAYS_COUNTS + 1) / total - 0.001)["t"] == 0


def test_seven_article_site_relates_two_stories_sharing_a_tag() -> None:
    # The bug this floor fixes: 2 of 7 is over 25 %, so "strike" used to weigh nothing.
    tags = {"a": ["strike"], "b": ["strike"]} | {f"x{i}": [f"t{i}"] for i in range(5)}
    dates = dict.fromkeys(tags, 0.0)
    assert related_by_tags(tags, dates, limit=5, max_share=0.25)["a"] == ["b"]


def test_ties_go_to_nearest_date_then_slug() -> None:
    tags = {"a": ["t"], "far": ["t"], "near": ["t"], "b-same": ["t"], "a-same": ["t"]}
    tags |= {f"pad{i}": ["other"] for i in range(10)}
    dates = {"a": 100.0, "far": 0.0, "near": 90.0, "b-same": 110.0, "a-same": 110.0} | {f"pad{i}": 0.0 for i in range(10)}
    assert related_by_tags(tags, dates, limit=4, max_share=0.5)["a"] == ["a-same", "b-same", "near", "far"]


def test_excludes_self_and_explicit_links_and_respects_limit() -> None:
    tags = {"a": ["t"], "b": ["t"], "c": ["t"]} | {f"p{i}": ["u"] for i in range(5)}
    dates = {"a": 0.0, "b": 1.0, "c": 2.0} | {f"p{i}": 9.0 for i in range(5)}
    assert related_by_tags(tags, dates, limit=5, max_share=0.5, exclude={"a": ["b"]})["a"] == ["c"]
    assert related_by_tags(tags, dates, limit=1, max_share=0.5)["a"] == ["b"]
    assert related_by_tags(tags, dates, limit=0, max_share=0.5)["a"] == []


def _brute(tags, dates, limit, max_share, exclude):
    slugs = sorted(tags)
    df: dict[str, int] = {}
    for slug in slugs:
        for t in set(tags[slug]):
            df[t] = df.get(t, 0) + 1
    w = weights(df, len(slugs), max_share)
    out = {}
    for a in slugs:
        skip = set(exclude.get(a, ())) | {a}
        keys = []
        for c in slugs:
            score = sum(w[t] for t in set(tags[a]) & set(tags[c]))
            if c not in skip and score > 0:
                keys.append((-score, abs(dates[c] - dates[a]), c))
        out[a] = [k[2] for k in sorted(keys)[:limit]]
    return out


@pytest.mark.parametrize("seed", range(40))
def test_index_search_equals_comparing_every_pair(seed: int) -> None:
    """The inverted-index search gives exactly the all-pairs answer (small random sites)."""
    rng = random.Random(seed)
    n, pool = rng.randint(2, 300), [f"t{i}" for i in range(rng.randint(1, 30))]
    slugs = [f"s{i:03d}" for i in range(n)]
    tags = {s: rng.sample(pool, rng.randint(0, min(4, len(pool)))) + (["hot"] if rng.random() < 0.4 else []) for s in slugs}
    dates = {s: float(rng.randint(0, 40)) for s in slugs}  # many equal dates: exercises the slug tie-break
    exclude = {s: rng.sample(slugs, min(2, n)) for s in slugs if rng.random() < 0.2}
    limit, share = rng.randint(1, 6), rng.choice([0.1, 0.25, 0.5, 1.0])
    assert related_by_tags(tags, dates, limit=limit, max_share=share, exclude=exclude) == _brute(tags, dates, limit, share, exclude)


# ---- automatic relations on a built site ----------------------------------------------------


def test_automatic_relations_on_the_page(tmp_path: Path) -> None:
    files = {
        "content/main.md": article("Main", "2026-03-10T09:00:00", tags="[Aleppo, Syria]", related="\n  - listed"),
        "content/listed.md": article("Listed", "2026-03-10T10:00:00", tags="[Aleppo, Syria]"),
        "content/aleppo-old.md": article("Aleppo old", "2026-01-01T09:00:00", tags="[Aleppo]"),
        "content/syria-near.md": article("Syria near", "2026-03-10T11:00:00", tags="[Syria]"),
        "content/syria-far.md": article("Syria far", "2026-02-01T09:00:00", tags="[Syria]"),
    }
    files |= {f"content/other-{i}.md": article(f"Other {i}", f"2026-03-{i + 1:02d}T09:00:00", tags="[Weather]") for i in range(12)}
    site = write_site(tmp_path / "site", files, SITE_YAML + "related:\n  auto: 2\n  max_share: 0.4\n")
    assert build(site).code == 0
    groups = _related_section(_page(site, "main"))
    assert groups["listed"] == ["Listed"]
    # Aleppo (3 of 17) is rarer than Syria (4 of 17); the listed story is not repeated.
    assert groups["automatic"] == ["Aleppo old", "Syria near"]
    # Weather is on 12 of 17 articles: over max_share and over the floor of ALWAYS_COUNTS
    # articles, so those stories get no automatic relations.
    assert "automatic" not in _related_section(_page(site, "other-0"))

    (site / "site.yaml").write_text(SITE_YAML + "related:\n  auto: 0\n")
    assert build(site).code == 0
    assert "automatic" not in _related_section(_page(site, "main"))
