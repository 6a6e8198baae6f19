"""Running stories: articles that follow one another on the same news, found in the site graph.

Two articles are part of the same running story when they are *close* and *about the same thing*:

- close: one links to the other (`related:`, a backlink, or an inline `[[...]]` link), or they
  share a rare tag (one carried by at most RARE_TAG_STORIES articles);
- about the same thing: the tags they share carry at least SAME_STORY_OVERLAP of the weight of
  the lighter article's tags, each tag weighted by its rarity as automatic related stories weigh
  it (digest/related.py), so sharing `Ports` says less than sharing `Strike`; a tag only one
  article carries weighs log(N), the most of all, as it marks a subject of its own.

A running story is a connected group of such pairs with at least MIN_STORIES articles on at
least two days. Everything here is a pure function of tags, dates and links: deterministic, and
linear in the number of links and rare-tag pairs (never every pair of articles).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .related import WEIGHT_SCALE, weights

if TYPE_CHECKING:
    from .site import Site, Story

RARE_TAG_STORIES = 12
SAME_STORY_OVERLAP = 0.55
MIN_STORIES = 3
TIMELINE_LENGTH = 12  # an article shows at most this many entries of its running story
SIDE_COLUMN_STORIES = 6  # running stories listed beside the digest
STILL_RUNNING = dt.timedelta(days=14)  # ...whose newest article is this close to the site's newest


@dataclass(eq=False, repr=False)
class Storyline:
    """One running story: its articles oldest first."""

    stories: list[Story]
    days: int = 0  # distinct edition days it spans

    @property
    def dep_key(self) -> str:
        """Its name across builds (digest.incremental): the running story that starts with this article."""
        return "l:" + self.stories[0].article.slug

    @property
    def first(self) -> Story:
        return self.stories[0]

    @property
    def latest(self) -> Story:
        return self.stories[-1]


@dataclass(eq=False, repr=False)
class Timeline:
    """What one article shows of its running story: a window of it around the article."""

    storyline: Storyline
    entries: list[Story] = field(default_factory=list)  # oldest first, the article included
    earlier: int = 0  # articles of the story before the window
    later: int = 0  # and after it


def find_storylines(stories: list[Story], max_share: float) -> list[Storyline]:
    """Every running story of the site, the one with the newest article first."""
    slugs = [s.article.slug for s in stories]
    tags = {s.article.slug: [t.slug for t in s.tags] for s in stories}
    doc_freq: dict[str, int] = defaultdict(int)
    for slug in slugs:
        for tag in set(tags[slug]):
            doc_freq[tag] += 1
    weight = weights(doc_freq, len(slugs), max_share)
    # A tag no other article carries cannot be shared, but it still says what an article is
    # about: counted in its weight, it keeps a story with a distinctive subject of its own out of
    # a running story it shares only generic tags with.
    unique = round(WEIGHT_SCALE * math.log(len(slugs))) if slugs else 0
    weight |= {tag: unique for tag, df in doc_freq.items() if df == 1}
    mass = {slug: sum(weight[t] for t in set(tags[slug])) for slug in slugs}

    def same_story(a: str, b: str) -> bool:
        lighter = min(mass[a], mass[b])
        if lighter <= 0:
            return False
        shared = sum(weight[t] for t in set(tags[a]) & set(tags[b]))
        return shared >= SAME_STORY_OVERLAP * lighter

    parent = {slug: slug for slug in slugs}

    def root(slug: str) -> str:
        while parent[slug] != slug:
            parent[slug] = parent[parent[slug]]
            slug = parent[slug]
        return slug

    for a, b in _close_pairs(stories, tags, doc_freq):
        if same_story(a, b):
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)  # the smaller slug is the root: order-independent

    groups: dict[str, list[Story]] = defaultdict(list)
    for story in stories:
        groups[root(story.article.slug)].append(story)
    lines = []
    for members in groups.values():
        members.sort(key=lambda s: (s.article.date, s.article.slug))
        days = len({s.article.day for s in members})
        if len(members) >= MIN_STORIES and days >= 2:
            lines.append(Storyline(stories=members, days=days))
    lines.sort(key=lambda line: line.latest.order)  # newest running story first
    return lines


def _close_pairs(stories: list[Story], tags: dict[str, list[str]], doc_freq: dict[str, int]) -> Iterable[tuple[str, str]]:
    for story in stories:
        a = story.article.slug
        linked = [link.story for link in story.related if link.story is not None] + story.inline_links
        for other in linked:
            if other is not story:
                yield a, other.article.slug
    carriers: dict[str, list[str]] = defaultdict(list)
    for story in stories:
        for tag in dict.fromkeys(tags[story.article.slug]):
            if 2 <= doc_freq[tag] <= RARE_TAG_STORIES:
                carriers[tag].append(story.article.slug)
    for tag in sorted(carriers):
        members = carriers[tag]
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                yield a, b


def timeline_for(line: Storyline, at: int) -> Timeline:
    """The place of `line.stories[at]` in its running story: up to TIMELINE_LENGTH entries around it."""
    entries = line.stories
    start = max(0, min(at - TIMELINE_LENGTH // 2, len(entries) - TIMELINE_LENGTH))
    window = entries[start:start + TIMELINE_LENGTH]
    return Timeline(storyline=line, entries=window, earlier=start, later=len(entries) - start - len(window))


def add_storylines(site: Site) -> None:
    """Give each article in a running story its `timeline`, and the site its `running_stories`
    (the ones still running near the newest article, for the side column)."""
    lines = find_storylines(site.stories, site.config.related.max_share)
    for line in lines:
        for at, story in enumerate(line.stories):
            story.timeline = timeline_for(line, at)
    site.storylines = lines
    if site.stories:
        newest = site.stories[0].article.date
        site.running_stories = [line for line in lines if newest - line.latest.article.date <= STILL_RUNNING][:SIDE_COLUMN_STORIES]
