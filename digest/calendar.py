"""Time views of the site graph: month grids of editions, and each term's coverage over time.

Both are plain data computed once per build (no template calls a method): the archive and the
side column print `site.calendar`, a tag page draws `term.coverage` as an inline SVG bar chart.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .site import Edition, Site

# Coverage charts: one bar per day for spans up to DAILY_SPAN days, per week up to WEEKLY_SPAN
# weeks, else per month; at most MAX_BARS bars (the most recent ones).
DAILY_SPAN = 45
WEEKLY_SPAN = 60
MAX_BARS = 60
CHART_WIDTH = 320
CHART_HEIGHT = 64
WEIGHT_STEPS = 5  # tags index: font steps from the rarest to the most used tag


@dataclass(eq=False, repr=False)
class CalendarDay:
    day: dt.date
    edition: Edition | None = None


@dataclass(eq=False, repr=False)
class Month:
    first: dt.date  # the 1st of the month
    weeks: list[list[CalendarDay | None]]  # Monday first; None pads the first and last week
    editions: int = 0
    stories: int = 0


def month_grids(editions: list[Edition]) -> list[Month]:
    """One grid per month that has an edition, newest month first."""
    by_month: dict[tuple[int, int], dict[dt.date, Edition]] = {}
    for edition in editions:
        by_month.setdefault((edition.day.year, edition.day.month), {})[edition.day] = edition
    months = []
    for (year, month), days in sorted(by_month.items(), reverse=True):
        weeks: list[list[CalendarDay | None]] = []
        for week in _cal.Calendar(firstweekday=0).monthdayscalendar(year, month):
            row: list[CalendarDay | None] = []
            for number in week:
                if number == 0:
                    row.append(None)
                else:
                    day = dt.date(year, month, number)
                    row.append(CalendarDay(day=day, edition=days.get(day)))
            weeks.append(row)
        months.append(Month(first=dt.date(year, month, 1), weeks=weeks, editions=len(days),
                            stories=sum(len(e.stories) for e in days.values())))
    return months


@dataclass(eq=False, repr=False)
class Bar:
    start: dt.date
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass(eq=False, repr=False)
class Coverage:
    """Stories per day, week or month for one term, ready to draw (SVG user units)."""

    unit: str  # "day", "week" or "month"
    bars: list[Bar] = field(default_factory=list)
    peak: Bar | None = None  # the (first) busiest bar
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    shown: int = 0  # stories inside the bars (all of them unless the span was cut to MAX_BARS)


def _bucket_start(day: dt.date, unit: str) -> dt.date:
    if unit == "day":
        return day
    if unit == "week":
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1)


def _next(start: dt.date, unit: str) -> dt.date:
    if unit == "day":
        return start + dt.timedelta(days=1)
    if unit == "week":
        return start + dt.timedelta(days=7)
    return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def coverage(days: list[dt.date]) -> Coverage | None:
    """Bars for the given story days (any order); None for fewer than two stories."""
    if len(days) < 2:
        return None
    first, last = min(days), max(days)
    span = (last - first).days + 1
    unit = "day" if span <= DAILY_SPAN else "week" if span <= WEEKLY_SPAN * 7 else "month"
    counts = Counter(_bucket_start(day, unit) for day in days)
    starts = [_bucket_start(first, unit)]
    end = _bucket_start(last, unit)
    while starts[-1] < end:
        starts.append(_next(starts[-1], unit))
    starts = starts[-MAX_BARS:]
    highest = max(counts[s] for s in starts)
    slot = CHART_WIDTH / len(starts)
    gap = min(2.0, slot / 4)
    chart = Coverage(unit=unit)
    for index, start in enumerate(starts):
        n = counts[start]
        height = round((CHART_HEIGHT - 4) * n / highest, 1) if n else 0.0
        bar = Bar(start=start, count=n, x=round(index * slot + gap / 2, 2), y=round(CHART_HEIGHT - height, 1),
                  width=round(slot - gap, 2), height=height)
        chart.bars.append(bar)
        if chart.peak is None or n > chart.peak.count:
            chart.peak = bar
    chart.shown = sum(bar.count for bar in chart.bars)
    return chart


def term_weight(count: int, most: int) -> int:
    """1 (least used) .. WEIGHT_STEPS (most used), on a log scale."""
    if most <= 1 or count <= 1:
        return 1
    return 1 + min(WEIGHT_STEPS - 1, math.floor((WEIGHT_STEPS - 1) * math.log(count) / math.log(most) + 1e-9))


MOST_COVERED = 12  # terms in the side column's "Most covered"


def add_time_views(site: Site) -> None:
    """`site.calendar` (edition months, newest first); `taxonomy.most_covered`; `term.coverage` and
    `term.weight` for every term of every taxonomy."""
    site.calendar = month_grids(site.editions)
    for taxonomy in site.taxonomies.values():
        # Once here, not on every page of the digest: the side column lists them (ties alphabetical).
        taxonomy.most_covered = sorted(taxonomy.terms, key=lambda term: -term.count)[:MOST_COVERED]
        most = max((term.count for term in taxonomy.terms), default=0)
        for term in taxonomy.terms:
            term.weight = term_weight(term.count, most)
            term.coverage = coverage([story.article.day for story in term.stories])
