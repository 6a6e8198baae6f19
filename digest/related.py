"""Automatic relations: for each article, the others sharing the most (rarity-weighted) tags.

A pure function over (slug -> tags, slug -> date), computed from an inverted tag index so that it
never compares every pair of articles:

- each tag weighs like an inverse document frequency, log(N / df), as an integer (exact sums, so
  ties and orderings cannot depend on float rounding); a tag carried by one article only weighs
  nothing, and so does one carried by more than `max_share` of all articles *and* by more than
  ALWAYS_COUNTS articles (on a small site a tag shared by a few stories is exactly what ties a
  running story together, whatever share of the site that is);
- the score of a candidate is the sum of the weights of the tags it shares with the article;
  ties go to the candidate closest in date, then to the smaller slug;
- rare tags (short postings) are scanned in full; candidates sharing only common tags are found
  through an index of common-tag combinations, heaviest combination first and nearest in date
  first, stopping as soon as nothing not yet seen could beat the current top results. Exact for
  articles with at most MAX_COMMON common tags (their heaviest ones are used beyond that).
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_left, insort
from collections.abc import Hashable, Iterable, Mapping
from itertools import combinations

WEIGHT_SCALE = 1_000_000  # weights are log(N/df) in millionths: integers add up exactly
# Combinations are indexed over at most this many common tags per article (its heaviest ones):
# results are exact for articles with no more common tags than this.
MAX_COMMON = 6
# A tag carried by at most this many articles always counts, whatever `max_share` says.
ALWAYS_COUNTS = 10


def weights(doc_freq: Mapping[Hashable, int], total: int, max_share: float) -> dict[Hashable, int]:
    """Tag -> integer weight; 0 for tags too common (or too rare) to say anything."""
    limit = max(max_share * total, ALWAYS_COUNTS)
    return {tag: (round(WEIGHT_SCALE * math.log(total / df)) if 1 < df <= limit else 0) for tag, df in doc_freq.items()}


def related_by_tags(
    tags: Mapping[str, Iterable[Hashable]],
    dates: Mapping[str, float | dt.datetime],
    *,
    limit: int = 5,
    max_share: float = 0.25,
    exclude: Mapping[str, Iterable[str]] | None = None,
) -> dict[str, list[str]]:
    """slug -> up to `limit` related slugs, best first. `exclude[slug]` lists slugs never to
    suggest for that article (its explicit links); an article is never related to itself."""
    slugs = sorted(tags)
    result: dict[str, list[str]] = {slug: [] for slug in slugs}
    n = len(slugs)
    if limit <= 0 or n < 2:
        return result
    index = {slug: i for i, slug in enumerate(slugs)}
    times = [_timestamp(dates[slug]) for slug in slugs]

    tag_ids: dict[Hashable, int] = {}
    article_tags: list[frozenset[int]] = []
    for slug in slugs:
        article_tags.append(frozenset(tag_ids.setdefault(tag, len(tag_ids)) for tag in tags[slug]))
    in_date_order = sorted(range(n), key=lambda i: (times[i], i))
    df = [0] * len(tag_ids)
    for ids in article_tags:
        for t in ids:
            df[t] += 1
    by_tag = weights(dict(enumerate(df)), n, max_share)
    weight_of = [by_tag[t] for t in range(len(df))]
    # Postings this short are cheaper to scan whole than to search with a bound.
    small = max(32, math.isqrt(n) // 4)
    rare_postings: list[set[int]] = [set() for _ in df]
    # Common tags are indexed by combination: the articles carrying all of (t1, t2, ...), in date
    # order. Its size is the sum over articles of 2^(common tags) - 1, small since few tags per
    # article are common; it lets the search visit candidates best-score-first, nearest-first.
    combos: dict[tuple[int, ...], tuple[list[float], list[int]]] = {}
    for i in in_date_order:
        heavy = _common_tags(article_tags[i], df, weight_of, small)
        for t in article_tags[i]:
            if weight_of[t] and df[t] <= small:
                rare_postings[t].add(i)
        for size in range(1, len(heavy) + 1):
            for combo in combinations(heavy, size):
                entry = combos.get(combo)
                if entry is None:
                    entry = combos[combo] = ([], [])
                entry[0].append(times[i])
                entry[1].append(i)

    excluded: dict[int, set[int]] = {}
    for slug, others in (exclude or {}).items():
        if slug in index:
            excluded[index[slug]] = {index[o] for o in others if o in index}

    for a in range(n):
        mine = frozenset(t for t in article_tags[a] if weight_of[t] > 0)
        if not mine:
            continue
        skip = excluded.get(a, set())
        skip.add(a)
        rare = [rare_postings[t] for t in mine if df[t] <= small]
        heavy = _common_tags(article_tags[a], df, weight_of, small)
        best = _best(times[a], mine, rare, heavy, combos, weight_of, article_tags, times, skip, limit)
        result[slugs[a]] = [slugs[c] for _, _, c in best]
    return result


def _common_tags(ids: frozenset[int], df: list[int], weight_of: list[int], small: int) -> tuple[int, ...]:
    """An article's common (but weighted) tags, at most MAX_COMMON of them, heaviest kept, sorted."""
    common = sorted((t for t in ids if weight_of[t] and df[t] > small), key=lambda t: (-weight_of[t], t))
    return tuple(sorted(common[:MAX_COMMON]))


def _best(when: float, mine: frozenset[int], rare: list[set[int]], heavy: tuple[int, ...],
          combos: Mapping[tuple[int, ...], tuple[list[float], list[int]]], weight_of: list[int],
          article_tags: list[frozenset[int]], times: list[float], skip: set[int], limit: int) -> list[tuple[int, float, int]]:
    """The top `limit` keys (-score, date distance, index) for the article dated `when`."""
    # Candidates sharing a rare tag: every one is scored (the set operations run in C).
    found = set().union(*rare) - skip if rare else set()
    scored = sorted((-sum([weight_of[u] for u in article_tags[c] & mine]), c) for c in found)
    if len(scored) > limit:
        cutoff = scored[limit - 1][0]
        scored = [item for item in scored if item[0] <= cutoff]  # the best `limit`, plus any tied
    top = sorted((score, abs(times[c] - when), c) for score, c in scored)[:limit]
    if not heavy:
        return top

    # The rest share common tags only: a candidate whose shared common tags are exactly S scores
    # w(S). Visit the combinations heaviest first, and each one's articles nearest in date first.
    seen = found | skip
    subsets = [combo for size in range(1, len(heavy) + 1) for combo in combinations(heavy, size)]
    subsets.sort(key=lambda combo: -sum(weight_of[t] for t in combo))
    for combo in subsets:
        bound = sum(weight_of[t] for t in combo)
        if len(top) >= limit and top[-1][0] < -bound:
            break  # every remaining candidate scores less than the current top results
        entry = combos.get(combo)
        if entry is None:
            continue
        combo_times, members = entry
        right = bisect_left(combo_times, when)
        left = right - 1
        while left >= 0 or right < len(members):
            if right >= len(members) or (left >= 0 and when - combo_times[left] <= combo_times[right] - when):
                c, left = members[left], left - 1
            else:
                c, right = members[right], right + 1
            distance = abs(times[c] - when)
            if len(top) >= limit and top[-1][:2] < (-bound, distance):
                break  # the rest of this combination is farther away and scores no more
            if c in seen:
                continue
            seen.add(c)
            key = (-sum([weight_of[u] for u in article_tags[c] & mine]), distance, c)
            if len(top) < limit:
                insort(top, key)
            elif key < top[-1]:
                insort(top, key)
                top.pop()
    return top


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _timestamp(value: float | dt.datetime) -> float:
    # Only differences between dates matter here. datetime.timestamp() asks the C library for a
    # naive date's local offset and overflows at year 1 or 9999; subtraction works for any date.
    if isinstance(value, dt.datetime):
        aware = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
        return (aware - _EPOCH).total_seconds()
    return float(value)
