"""Incremental and cached builds must give exactly what a clean build gives."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from digest.build import BuildOptions
from digest.build import build as build_site
from digest.build import sources as sources_module
from digest.build.process import ProcessCache

from .conftest import article, build, tree_digest


def _clean_build(site: Path, tmp_path: Path, name: str) -> dict[str, str]:
    """Build a copy of `site` with no cache and no previous output."""
    copy = tmp_path / name
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns(".cache", "public"))
    result = build(copy)
    assert result.code == 0, result.output
    return tree_digest(copy / "public")


class Builder:
    """Builds one site again and again in one process, as serve does."""

    def __init__(self, options: BuildOptions, jobs: int | None = None):
        self.options, self.jobs, self.cache = options, jobs, ProcessCache()

    def build(self):
        return build_site(self.options, jobs=self.jobs, cache=self.cache)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


EDITS = [
    ("edit body", lambda c: _edit(c / "supermarkets-report-shortages.md", "\n\n", "\n\nA new opening paragraph.\n\n")),
    ("edit title", lambda c: _edit(c / "port-strike-enters-second-day.md", "title: ", "title: Updated — ")),
    ("change tags", lambda c: _edit(c / "desalination-plan-revived.md", "tags:\n", "tags:\n  - Brand New Tag\n")),
    ("add article", lambda c: (c / "late-addition.md").write_text(
        article("A late addition", date="2026-03-06T10:00:00", body="Fresh news.", tags="[Ports, Water]",
                related="[port-strike-begins-at-harwick]"))),
    ("delete article", lambda c: (c / "council-budget-draft-unveiled.md").unlink()),
    ("rename article", lambda c: (c / "water-rationing-announced.md").rename(c / "water-rationing-begins.md")),
    ("change date", lambda c: _edit(c / "candidates-clash-in-first-debate.md", "date: 2026-03-05", "date: 2026-03-01")),
    ("edit summary", lambda c: _edit(c / "port-strike-begins-at-harwick.md", "summary: \"About", "summary: \"Roughly")),
]


def test_incremental_equals_clean_after_each_edit(example_site: Path, tmp_path: Path) -> None:
    builder = Builder(BuildOptions(site=example_site))  # warm, in-process, like serve
    assert builder.build().ok
    content = example_site / "content"
    for step, (name, edit) in enumerate(EDITS):
        edit(content)
        via_builder = builder.build()
        assert via_builder.ok, (name, [d.format() for d in via_builder.diagnostics])
        incremental = tree_digest(example_site / "public")
        assert incremental == _clean_build(example_site, tmp_path, f"clean{step}"), f"differs after: {name}"
        assert build(example_site).code == 0  # and a cold process with the disk cache agrees
        assert tree_digest(example_site / "public") == incremental, f"cached CLI build differs after: {name}"


def test_one_edit_rerenders_only_what_shows_it(example_site: Path) -> None:
    builder = Builder(BuildOptions(site=example_site))
    first = builder.build()
    total = first.counts["rendered"]
    assert builder.build().counts["rendered"] == 0  # nothing changed: nothing rendered
    _edit(example_site / "content/supermarkets-report-shortages.md", "\n\n", "\n\nA new opening paragraph.\n\n")
    body_edit = builder.build()
    assert body_edit.loaded.processed == 1
    assert body_edit.counts["rendered"] == 1  # its own page; its summary is explicit, so no card changed
    _edit(example_site / "content/supermarkets-report-shortages.md", "title: ", "title: Now — ")
    title_edit = builder.build()
    assert 1 < title_edit.counts["rendered"] < total / 2


@pytest.mark.parametrize("change", ["markdown option", "template", "engine version", "site title"])
def test_cache_never_outlives_what_shaped_it(example_site: Path, change: str, monkeypatch: pytest.MonkeyPatch) -> None:
    (example_site / "content/straight.md").write_text(article("Straight", body='He said "yes" -- twice.'))
    assert build(example_site).code == 0
    page = example_site / "public/articles/straight/index.html"
    before = page.read_bytes()
    if change == "markdown option":
        with open(example_site / "site.yaml", "a") as handle:
            handle.write("markdown:\n  extensions: [extra, sane_lists, smarty]\n")  # smarty: typographic quotes
    elif change == "template":
        theme = Path(__file__).resolve().parents[1] / "templates"
        shutil.copytree(theme, example_site / "templates")
        _edit(example_site / "templates/article.html", "<article class=\"article", "<article data-custom class=\"article")
    elif change == "engine version":
        monkeypatch.setattr(sources_module, "CODE_FORMAT", "changed")
        sources_module.code_fingerprint.cache_clear()
    else:
        _edit(example_site / "site.yaml", "title: Harwick Harbour Digest", "title: Harwick Digest")
    try:
        assert build(example_site).code == 0
        after = page.read_bytes()
        if change == "markdown option":
            assert b'He said "yes" -- twice' in before and "“yes” – twice".encode() in after  # the sanitiser writes characters, not entities
        elif change == "template":
            assert b"data-custom" in after
        elif change == "engine version":
            assert after == before  # same output; that the cache was bypassed is checked below
        else:
            assert b"Harwick Digest" in after
    finally:
        sources_module.code_fingerprint.cache_clear()


def test_engine_version_change_invalidates_article_cache(example_site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert Builder(BuildOptions(site=example_site)).build().ok
    second = Builder(BuildOptions(site=example_site, out=example_site / "elsewhere")).build()
    assert second.ok and second.loaded.processed == 0 and second.loaded.files == 19  # all from the pack
    monkeypatch.setattr(sources_module, "CODE_FORMAT", "changed")
    sources_module.code_fingerprint.cache_clear()
    try:
        third = Builder(BuildOptions(site=example_site)).build()
        assert third.ok and third.loaded.processed == 19
    finally:
        sources_module.code_fingerprint.cache_clear()


def test_parallel_and_serial_builds_agree(example_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from digest.build import articles, pages

    src = example_site / "content"
    for i, path in enumerate(sorted(src.glob("*.md")) * 12):  # enough files to use the pool
        (src / f"copy-{i}-{path.name}").write_text(path.read_text().replace("title: \"", f"title: \"Copy {i}: ", 1))
    serial = Builder(BuildOptions(site=example_site, out=tmp_path / "serial"), jobs=1)
    assert serial.build().ok
    shutil.rmtree(example_site / ".cache")
    monkeypatch.setattr(articles, "PARALLEL_THRESHOLD", 10)
    monkeypatch.setattr(pages, "PARALLEL_THRESHOLD", 10)
    parallel = Builder(BuildOptions(site=example_site, out=tmp_path / "parallel"), jobs=2).build()
    assert parallel.ok and parallel.loaded.processed > 100
    assert tree_digest(tmp_path / "serial") == tree_digest(tmp_path / "parallel")


def test_stylesheet_edit_copies_the_asset_without_rerendering_pages(example_site: Path) -> None:
    theme = Path(__file__).resolve().parents[1] / "templates"
    (example_site / "templates").mkdir()
    shutil.copytree(theme / "static", example_site / "templates/static")  # a site's own stylesheet
    builder = Builder(BuildOptions(site=example_site))
    assert builder.build().ok
    with open(example_site / "templates/static/style.css", "a") as handle:
        handle.write("\n.new-rule { color: red; }\n")
    result = builder.build()
    assert result.ok and result.written == 1 and result.counts["rendered"] == 0
    assert ".new-rule" in (example_site / "public/static/style.css").read_text()


def test_in_place_edits_stay_exact(example_site: Path, tmp_path: Path) -> None:
    """A body-only edit takes the in-place path (one page); one that changes what other pages
    show (a derived summary, an annotation's kind) must not, and both end like a clean build."""
    builder = Builder(BuildOptions(site=example_site))
    assert builder.build().ok
    art = example_site / "content/port-strike-enters-second-day.md"  # no summary: derived from paragraph 1
    text = art.read_text()
    body_start = text.index("---", 3) + 4
    last_para = text.rindex("\n\n")
    art.write_text(text[:last_para] + "\n\nA closing line added later." + text[last_para:])
    quick = builder.build()
    assert quick.ok and quick.counts["rendered"] == 1
    assert "A closing line added later." in (example_site / "public/articles/port-strike-enters-second-day/index.html").read_text()
    assert tree_digest(example_site / "public") == _clean_build(example_site, tmp_path, "clean-a")
    text = art.read_text()
    first_para = body_start + len(text[body_start:]) - len(text[body_start:].lstrip("\n"))
    art.write_text(text[:first_para] + "Breaking: " + text[first_para:])
    full = builder.build()
    assert full.ok and full.counts["rendered"] > 1
    assert "Breaking: " in (example_site / "public/index.html").read_text()
    assert tree_digest(example_site / "public") == _clean_build(example_site, tmp_path, "clean-b")
