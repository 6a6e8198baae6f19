"""digest.content and the Markdown stage on their own: one file to an Article and its HTML."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from digest.content import load_article
from digest.markup import render_article, shorten

from ..conftest import config_for


def test_article_fields(tmp_path: Path) -> None:
    config = config_for(tmp_path, "timezone: America/New_York\n")
    data = (b"---\ntitle: 1984\ndate: 2026-03-02\nupdated: '2026-03-03T10:00:00Z'\ntags: [A, a, ' B  c ']\n"
            b"related:\n  - other\n  - {title: Outside, url: 'https://e.org/x'}\nsection: World\ncustom: 7\n---\nText\n")
    article, diags = load_article("content/x.md", data, config)
    assert diags == [] and article is not None
    assert article.title == "1984" and article.slug == "x"
    assert article.date == dt.datetime(2026, 3, 2, tzinfo=config.tz)
    assert article.updated.isoformat() == "2026-03-03T05:00:00-05:00"
    assert article.tags == ("A", "B c")
    assert article.related[0].target == "other" and article.related[0].line == 7
    assert article.related[1].is_external and article.related[1].url == "https://e.org/x"
    assert article.extra == {"custom": 7} and article.body_line == 12


def test_summary_derived_from_first_paragraph(tmp_path: Path) -> None:
    config = config_for(tmp_path, "digest: {summary_length: 40}\n")
    article, _ = load_article("content/x.md", b"---\ntitle: t\ndate: 2026-03-02\n---\n# Heading\n\nThe *first* paragraph is long enough to be shortened here.\n\nSecond.\n", config)
    rendered = render_article(article, config)
    assert rendered.summary == "The first paragraph is long enough to…"
    assert shorten("short", 40) == "short"
