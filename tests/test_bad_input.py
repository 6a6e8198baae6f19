"""Every kind of bad input: the exact message with file and line, exit 1, public/ untouched."""

from __future__ import annotations

from pathlib import Path

from .conftest import MINIMAL_SITE_YAML, article, build, tree_state, write_site

GOOD = article("A good story", body="Good body.", tags="[Ports]")


def _site_with_public(tmp_path: Path, files: dict[str, str | bytes], site_yaml: str | None = None) -> Path:
    """A site that built once successfully, then gets the bad files."""
    site = write_site(tmp_path / "site", {"content/good.md": GOOD})
    first = build(site)
    assert first.code == 0, first.output
    for name, data in files.items():
        path = site / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
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
