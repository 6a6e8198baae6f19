"""End-to-end fixture sites, as Zola keeps them: every site in tests/sites/valid/ builds with exactly
the warnings in its expected.txt; every site in tests/sites/invalid/ fails with exactly the lines in
its expected.txt, exit status 1, and leaves an existing output folder exactly as it was.

To add a case, add a folder (site.yaml, content/, templates/ as needed) and its expected.txt: the
diagnostics as the build prints them from inside the site folder, one per line, without the
summary line (`{site}` stands for the site's absolute path).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import build, run_cli, tree_state

SITES = Path(__file__).resolve().parent / "sites"
VALID = sorted(p.name for p in (SITES / "valid").iterdir() if p.is_dir())
INVALID = sorted(p.name for p in (SITES / "invalid").iterdir() if p.is_dir())


def _expected(folder: Path) -> list[str]:
    path = folder / "expected.txt"
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def _copy(folder: Path, into: Path) -> Path:
    shutil.copytree(folder, into, ignore=shutil.ignore_patterns("expected.txt"))
    return into


@pytest.mark.parametrize("name", VALID)
def test_valid_site_builds(tmp_path: Path, name: str) -> None:
    site = _copy(SITES / "valid" / name, tmp_path / name)
    result = run_cli("build", "--site", ".", "--quiet", cwd=site)
    assert result.code == 0, result.output
    assert result.err.replace(str(site.resolve()), "{site}").splitlines() == _expected(SITES / "valid" / name)
    assert result.out.startswith("built ")


@pytest.mark.parametrize("name", INVALID)
def test_invalid_site_fails_with_its_messages_and_touches_nothing(tmp_path: Path, name: str) -> None:
    out = tmp_path / "public"
    good = build(_copy(SITES / "valid" / "minimal", tmp_path / "good"), "--out", str(out))
    assert good.code == 0, good.output
    before = tree_state(out)
    site = _copy(SITES / "invalid" / name, tmp_path / name)
    result = run_cli("build", "--site", ".", "--out", str(out), "--quiet", cwd=site)  # messages name files from the site
    assert result.code == 1, result.output
    lines = result.err.replace(str(site.resolve()), "{site}").splitlines()
    assert lines[-1].startswith("build failed: ")
    assert lines[:-1] == _expected(SITES / "invalid" / name)
    assert tree_state(out) == before, "a failed build changed the output folder"
    assert not list(tmp_path.glob(".digest-staging-*")), "staging folder left behind"


def _built(tmp_path: Path, name: str) -> Path:
    site = _copy(SITES / "valid" / name, tmp_path / name)
    assert run_cli("build", "--site", ".", "--quiet", cwd=site).code == 0
    return site / "public"


def test_full_site_uses_every_setting(tmp_path: Path) -> None:
    public = _built(tmp_path, "full")
    page = (public / "2026/03/port-strike/index.html").read_text()
    assert 'href="/digest/2026/03/talks-resume/"' in page  # relative_urls: false, from base_url's path; permalinks
    assert "Disputed" in page and "Background" not in page  # fact-check rating; kinds relabelled only for context
    assert (public / "source/baltic-wire/index.html").exists()  # a second taxonomy
    assert "islamic-state" in (public / "tags/isil/index.html").read_text()  # alias redirect
    assert not list(public.rglob("*not-ready*")) and "Not ready yet" not in (public / "index.html").read_text()  # draft
    assert (public / "robots.txt").read_text() == "User-agent: *\nDisallow: /drafts/\n"  # the site's own file wins
    assert (public / "page/2/index.html").exists() is False  # two stories, per_page 2: one page
    assert '<html lang="en-GB">' in page


def test_own_templates_are_used_and_read_like_the_theme(tmp_path: Path) -> None:
    page = (_built(tmp_path, "custom-templates") / "articles/good/index.html").read_text()
    assert '<p class="motto">Read slowly</p>' in page and "<p>2 words</p>" in page


def test_unicode_tags_become_ascii_urls(tmp_path: Path) -> None:
    public = _built(tmp_path, "unicode")
    assert {p.name for p in (public / "tags").iterdir() if p.is_dir()} >= {"moskva", "curacao", "s-400"}
