"""Every kind of bad input: the exact message with file and line, exit 1, public/ untouched."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import MINIMAL_SITE_YAML, add_files, article, build, tree_state, write_site

GOOD = article("A good story", body="Good body.", tags="[Ports]")


def _site_with_public(tmp_path: Path, files: dict[str, str | bytes], site_yaml: str | None = None) -> Path:
    """A site that built once successfully, then gets the bad files."""
    site = write_site(tmp_path / "site", {"content/good.md": GOOD})
    first = build(site)
    assert first.code == 0, first.output
    add_files(site, files)
    if site_yaml is not None:
        (site / "site.yaml").write_text(site_yaml)
    return site


def _fails_with(site: Path, *expected: str) -> str:
    before = tree_state(site / "public")
    result = build(site)
    assert result.code == 1, result.output
    for line in expected:
        assert line in result.err, f"missing {line!r} in:\n{result.err}"
    assert result.err.rstrip().splitlines()[-1].startswith("build failed:")
    assert tree_state(site / "public") == before, "a failed build changed public/"
    assert not list(site.glob(".digest-staging-*")), "staging folder left behind"
    return result.err


# The fixed cases (a bad date, a YAML error, a slug clash, every site.yaml mistake, template errors...)
# are fixture sites in tests/sites/invalid/, run by tests/test_sites.py.


def test_bom_and_crlf_are_accepted_silently(tmp_path: Path) -> None:
    text = "\ufeff" + article("Windows story", body="Line one.\n\nLine two.").replace("\n", "\r\n")
    # With base_url: without one the build warns that feeds and the sitemap are left out.
    site = write_site(tmp_path / "site", {"content/win.md": text.encode("utf-8")},
                      MINIMAL_SITE_YAML + "base_url: https://example.org/\n")
    result = build(site)
    assert result.code == 0 and result.err == "" and "(0 warnings)" in result.out, result.output
    page = (site / "public/articles/win/index.html").read_text()
    assert "<h1>Windows story" in page and "<p>Line two.</p>" in page


def test_misspelt_field_warns_with_likely_key(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/x.md": article("x", tag="Ports", titel="y")},
                      MINIMAL_SITE_YAML + "base_url: https://example.org/\n")
    result = build(site)
    assert result.code == 0
    assert "content/x.md:4: warning: unknown field `tag`: did you mean `tags`?" in result.err
    assert "content/x.md:5: warning: unknown field `titel`: did you mean `title`?" in result.err
    assert result.out.strip().endswith("(2 warnings)")
    strict = build(site, "--strict")
    assert strict.code == 1 and "content/x.md:4: error: unknown field `tag`" in strict.err


def test_refuses_to_write_into_a_foreign_folder(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/x.md": GOOD})
    mine = tmp_path / "precious"
    mine.mkdir()
    (mine / "notes.txt").write_text("do not lose me")
    result = build(site, "--out", str(mine))
    assert result.code == 1 and "refusing to write into a folder that digest did not create" in result.err
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


def test_usage_error_exits_2(tmp_path: Path) -> None:
    from .conftest import run_cli

    result = run_cli("build", "--no-such-option")
    assert result.code == 2 and "unrecognized arguments" in result.err
    result = run_cli("build", "--jobs", "0")
    assert result.code == 2 and "argument --jobs: must be at least 1" in result.err


def test_template_error_paths_are_right_with_site_elsewhere(tmp_path: Path) -> None:
    from .conftest import run_cli

    write_site(tmp_path / "elsewhere" / "site", {
        "content/good.md": GOOD,
        "templates/term.html": "{% extends 'base.html' %}{% block main %}{{ nope }}{% endblock %}",
    })
    result = run_cli("build", "--site", "elsewhere/site", cwd=tmp_path)
    assert result.code == 1
    assert "elsewhere/site/templates/term.html:1: error: template error: 'nope' is undefined" in result.err


# -- values of a site's own taxonomies -------------------------------------------------------------

_TERM_TEXT = st.one_of(st.text(alphabet=string.ascii_letters, min_size=1, max_size=8), st.integers(0, 10**6))
_NOT_TERM_TEXT = st.one_of(st.just(" "), st.booleans(), st.none(), st.dates(), st.just({"a": 1}), st.lists(st.integers(), max_size=2))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.one_of(_TERM_TEXT, st.none(), st.just(""), st.booleans(), st.dates(), st.just({"a": 1}),
                       st.lists(st.one_of(_TERM_TEXT, _NOT_TERM_TEXT), max_size=4)))
def test_a_taxonomy_value_is_a_term_or_an_error_never_lost(tmp_path_factory, value) -> None:
    """Whatever a site's own taxonomy field holds, each text or number becomes a term with a page,
    and anything else is an error at its line: no value disappears without a word."""
    root = tmp_path_factory.mktemp("taxonomy")
    front = yaml.safe_dump({"title": "A story", "date": "2026-03-02", "issue": value}, sort_keys=False)
    site = write_site(root / "site", {"content/a.md": f"---\n{front}---\nBody.\n"},
                      site_yaml="title: T\ntimezone: UTC\ntaxonomies: [tags, issue]\n")
    run = build(site)
    items = value if isinstance(value, list) else [value]
    text_items = [str(item) for item in items if isinstance(item, (str, int)) and not isinstance(item, bool) and str(item).strip()]
    if isinstance(value, list):
        lost = len(text_items) < len(items)
    else:
        lost = not (value is None or isinstance(value, str) or text_items)
    if lost:
        assert run.code == 1, run.output
        assert re.search(r"(^|/)content/a\.md:\d+: error: (`issue` is a taxonomy|issue \d+ (is empty|must be text))", run.err, re.MULTILINE), run.output
    else:
        assert run.code == 0, run.output
        index = (site / "public/issue/index.html").read_text()
        for text in text_items:
            assert f'>{text} <span class="count">' in index, (text, run.output)


@pytest.mark.parametrize(("taxonomy", "value", "expected"), [
    ("search", "[x]", ("site.yaml: error: taxonomy `search` (taxonomies) and the search page would both be written to "
                      "search/index.html: rename one")),
    ("archive", "[x]", ("site.yaml: error: taxonomy `archive` (taxonomies) and the archive page would both be written to "
                       "archive/index.html: rename one")),
    ("digest", '["2026-03-02"]', ("content/a.md:4: error: digest `2026-03-02` and the edition page would both be written "
                                 "to digest/2026-03-02/index.html: rename one")),
])
def test_two_pages_for_one_file_are_an_error_at_what_chose_the_path(tmp_path: Path, taxonomy: str, value: str,
                                                                    expected: str) -> None:
    site = _site_with_public(tmp_path, {"content/a.md": f"---\ntitle: A\ndate: 2026-03-02\n{taxonomy}: {value}\n---\nBody.\n"},
                             site_yaml=f"title: T\ntimezone: UTC\ntaxonomies: [tags, {taxonomy}]\n")
    _fails_with(site, expected)
