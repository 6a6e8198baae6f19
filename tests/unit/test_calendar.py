"""digest.calendar on its own: edition month grids, the coverage chart, tag weights."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from digest.calendar import coverage, month_grids, term_weight


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
