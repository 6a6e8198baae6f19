"""Unit tests of the pipeline stages, each on its own."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from digest.config import load_config
from digest.content import load_article
from digest.diagnostics import Diagnostics
from digest.markup import render_article, shorten
from digest.output import OutputError, StagedOutput
from digest.slugs import slugify
from digest.urls import UnsafePath, Urls, output_file
from digest.yamlsource import YamlError, load_yaml


def config_for(tmp_path: Path, text: str = "title: T\n"):
    (tmp_path / "site.yaml").write_text(text)
    diags = Diagnostics()
    config = load_config(tmp_path, diags)
    assert config is not None, [d.format() for d in diags.items]
    return config


def test_yaml_keeps_lines_of_keys_and_items() -> None:
    data = load_yaml("title: x\ntags:\n  - a\n  - b\nnotes:\n  - quote: q\n", first_line=2)
    assert data.line_of("title") == 2 and data.line_of("tags") == 3
    assert data["tags"].line_of(1) == 5
    assert data["notes"][0].line_of("quote") == 7
    with pytest.raises(YamlError) as err:
        load_yaml("a: 1\nb: [\n", first_line=10)
    assert err.value.line >= 11


@pytest.mark.parametrize("text, slug", [
    ("S-400", "s-400"), ("Москва", "moskva"), ("Curaçao", "curacao"), ("!!!", ""),
    ("Combined Joint Task Force Operation Inherent Resolve", "combined-joint-task-force-operation-inherent-resolve"),
])
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_config_defaults_and_errors(tmp_path: Path) -> None:
    config = config_for(tmp_path)
    assert config.digest.per_page == 20 and config.related.auto == 5 and config.base_url is None
    assert [k.name for k in config.annotation_kinds] == ["context", "fact-check", "correction", "analysis"]
    assert config_for(tmp_path, "base_url: https://x.org/news\n").base_url == "https://x.org/news/"
    (tmp_path / "site.yaml").write_text("related:\n  auto: -1\nfeeds:\n  entries: 0\n  extra_key: 1\n")
    diags = Diagnostics()
    assert load_config(tmp_path, diags) is None
    assert [d.format() for d in diags.sorted()] == [
        "site.yaml:2: error: `related.auto` must be 0 or more",
        "site.yaml:4: error: `feeds.entries` must be at least 1",
        "site.yaml:5: error: unknown setting `feeds.extra_key`",
    ]


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


def test_urls(tmp_path: Path) -> None:
    urls = Urls(config_for(tmp_path, "base_url: https://x.org/news/\n"))
    assert urls.link("", "articles/a/") == "articles/a/"
    assert urls.link("articles/a/", "") == "../../"
    assert urls.link("tags/b/page/2/", "tags/b/") == "../../../../tags/b/"
    assert urls.link("articles/a/", "tags/b/") == "../../tags/b/"
    assert urls.link("404.html", "tags/") == "/news/tags/"
    assert urls.absolute("tags/s-400/") == "https://x.org/news/tags/s-400/"
    assert urls.page("tags/x/", 1) == "tags/x/" and urls.page("tags/x/", 3) == "tags/x/page/3/"
    assert output_file("") == "index.html" and output_file("a/b/") == "a/b/index.html"
    for bad in ("../x/", "/etc/passwd", "a/../../b", "a\\b"):
        with pytest.raises(UnsafePath):
            output_file(bad)


def test_staged_output_only_touches_public_on_commit(tmp_path: Path) -> None:
    out = tmp_path / "public"
    staged = StagedOutput(out)
    staged.add("", b"home")
    staged.add("a/", b"page a")
    assert not out.exists()
    assert staged.commit() == (2, 0)
    assert (out / "a/index.html").read_bytes() == b"page a"
    mtime = (out / "index.html").stat().st_mtime_ns
    again = StagedOutput(out)
    again.add("", b"home")
    assert again.commit() == (0, 1)  # a/ is stale and removed, home unchanged
    assert (out / "index.html").stat().st_mtime_ns == mtime and not (out / "a").exists()
    discarded = StagedOutput(out)
    discarded.add("", b"changed")
    discarded.discard()
    assert (out / "index.html").read_bytes() == b"home"
    assert not list(tmp_path.glob(".digest-staging-*"))
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "mine.txt").write_text("x")
    with pytest.raises(OutputError):
        StagedOutput(foreign)


def test_progress_line_draws_a_bar_and_clears_it() -> None:
    import io

    from digest.cli import ProgressLine

    stream = io.StringIO()
    progress = ProgressLine(stream, delay=0)
    progress("articles", 5, 10)
    progress("articles", 10, 10)
    progress.clear()
    text = stream.getvalue()
    assert "articles [###############...............] 5/10" in text
    assert "articles [##############################] 10/10" in text
    assert text.endswith("\r\x1b[K")
    quiet = io.StringIO()
    ProgressLine(quiet, delay=60)("pages", 1, 2)
    assert quiet.getvalue() == ""  # builds shorter than the delay show nothing
