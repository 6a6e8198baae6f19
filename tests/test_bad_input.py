"""Every kind of bad input: the exact message with file and line, exit 1, public/ untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

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


CASES = {
    "yaml-syntax": ({"content/bad.md": "---\ntitle: [unclosed\ndate: 2026-03-02\n---\nx\n"},
                    ["content/bad.md:3: error: YAML syntax error"]),
    "no-closing-fence": ({"content/bad.md": "---\ntitle: x\ndate: 2026-03-02\nBody\n"},
                         ["content/bad.md:1: error: front-matter is not closed"]),
    "no-front-matter": ({"content/bad.md": "Just text\n"},
                        ["content/bad.md:1: error: missing front-matter"]),
    "missing-title": ({"content/bad.md": "---\ndate: 2026-03-02\n---\nx\n"},
                      ["content/bad.md:1: error: missing required field `title`"]),
    "missing-date": ({"content/bad.md": "---\ntitle: x\n---\nx\n"},
                     ["content/bad.md:1: error: missing required field `date`"]),
    "bad-date": ({"content/bad.md": "---\ntitle: x\ndate: next tuesday\n---\nx\n"},
                 ["content/bad.md:3: error: unparseable `date` `next tuesday`"]),
    "bad-date-value": ({"content/bad.md": "---\ntitle: x\ndate: 2026-13-45\n---\nx\n"},
                       ["content/bad.md:3: error: unparseable `date` `2026-13-45`"]),
    "tags-wrong-type": ({"content/bad.md": "---\ntitle: x\ndate: 2026-03-02\ntags: 5\n---\nx\n"},
                        ["content/bad.md:4: error: `tags` must be a list or a comma-separated string, not a number"]),
    "title-wrong-type": ({"content/bad.md": "---\ntitle: [a, b]\ndate: 2026-03-02\n---\nx\n"},
                         ["content/bad.md:2: error: `title` must be text, not a list"]),
    "duplicate-slug": ({"content/a/same.md": article("One"), "content/b/same.md": article("Two")},
                       ["content/b/same.md:1: error: duplicate slug `same`: content/a/same.md and content/b/same.md"]),
    "duplicate-explicit-slug": ({"content/other.md": article("Other", slug="good")},
                                ["content/other.md:4: error: duplicate slug `good`: content/good.md and content/other.md"]),
    "slug-traversal": ({"content/bad.md": article("x", slug="../../etc")},
                       ["content/bad.md:4: error: unsafe slug `../../etc`"]),
    "slug-slash": ({"content/bad.md": article("x", slug="a/b")},
                   ["content/bad.md:4: error: unsafe slug `a/b`"]),
    "slug-uppercase-filename": ({"content/Bad Name.md": article("x")},
                                ["content/Bad Name.md:1: error: file name `Bad Name.md` is not a valid slug"]),
    "not-utf8": ({"content/bad.md": "---\ntitle: caf\xe9\n".encode("latin-1") + b"date: 2026-03-02\n---\n"},
                 ["content/bad.md:2: error: file is not valid UTF-8"]),
    "empty-file": ({"content/bad.md": b""},
                   ["content/bad.md:1: error: empty file"]),
    "tag-slug-collision": ({"content/bad.md": article("x", tags="[S-400, S 400]")},
                           ["error: tags `S 400` (content/bad.md) and `S-400` (content/bad.md) would share the URL tags/s-400/"]),
    "empty-tag-slug": ({"content/bad.md": article("x", tags="['!!!']")},
                       ["content/bad.md:4: error: tag `!!!` has no letters or digits to make a URL from"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_content_is_reported_and_public_untouched(tmp_path: Path, case: str) -> None:
    files, expected = CASES[case]
    site = _site_with_public(tmp_path, files)
    _fails_with(site, *expected)


def test_all_problems_are_reported_in_one_run(tmp_path: Path) -> None:
    site = _site_with_public(tmp_path, {
        "content/one.md": "---\ntitle: x\ndate: never\n---\n",
        "content/two.md": "---\ntitle: y\ndate: 2026-03-02\ntags: 5\n---\n",
        "content/three.md": "no front matter\n",
    })
    err = _fails_with(site, "content/one.md:3: error:", "content/two.md:4: error:", "content/three.md:1: error:")
    assert "build failed: 3 errors" in err


SITE_YAML_CASES = {
    "unknown-key": ("title: T\ntitel: x\n", "site.yaml:2: error: unknown setting `titel` (did you mean `title`?)"),
    "wrong-type": ("title: T\ndigest:\n  per_page: many\n", "site.yaml:3: error: `digest.per_page` must be a whole number, not a string"),
    "yaml-syntax": ("title: [T\n", "site.yaml:2: error: YAML syntax error"),
    "not-a-mapping": ("- a\n- b\n", "site.yaml:1: error: site.yaml must be a mapping of settings, not a list"),
    "bad-timezone": ("timezone: Mars/Olympus\n", "site.yaml:1: error: unknown time zone `Mars/Olympus`"),
    "bad-permalink": ("permalinks:\n  article: '../{slug}/'\n", "site.yaml:2: error: `permalinks.article` must be a relative folder path"),
    "bad-markdown-extension": ("markdown:\n  extensions: [no_such_extension]\n",
                               "site.yaml:2: error: `markdown.extensions` could not be loaded"),
}


@pytest.mark.parametrize("case", sorted(SITE_YAML_CASES))
def test_bad_site_yaml(tmp_path: Path, case: str) -> None:
    text, expected = SITE_YAML_CASES[case]
    site = _site_with_public(tmp_path, {}, site_yaml=text)
    _fails_with(site, expected)


def test_site_yaml_not_utf8(tmp_path: Path) -> None:
    site = _site_with_public(tmp_path, {})
    (site / "site.yaml").write_bytes("title: Caf\xe9\n".encode("latin-1"))
    _fails_with(site, "site.yaml:1: error: site.yaml is not valid UTF-8")


def test_missing_site_yaml(tmp_path: Path) -> None:
    site = _site_with_public(tmp_path, {})
    (site / "site.yaml").unlink()
    _fails_with(site, "site.yaml: error: site.yaml not found")


@pytest.mark.parametrize("template, body, expected", [
    ("article.html", "{% extends 'base.html' %}{% block main %}\n\n{{ stroy.title }}{% endblock %}",
     "templates/article.html:3: error: template error: 'stroy' is undefined (rendering articles/good/)"),
    ("index.html", "{% extends 'base.html' %}\n{% block main %}{% if %}{% endblock %}",
     "templates/index.html:2: error: template syntax error"),
])
def test_template_errors_name_template_and_line(tmp_path: Path, template: str, body: str, expected: str) -> None:
    site = _site_with_public(tmp_path, {f"templates/{template}": body})
    _fails_with(site, expected)


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
