"""The output folder is a boundary: nothing outside it is written or deleted, whatever its manifest,
its links or a failure half-way through the commit; path limits and --out are checked up front."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import digest.output
from digest.output import JOURNAL, MANIFEST

from .conftest import REPO, article, build, run_cli, tree_digest, tree_state, write_site
from .fshelp import build_or_fail, permissions_unbound_reason, run_bound

SITE_YAML = "title: Boundary test\ntimezone: UTC\nbase_url: https://example.org/\n"


def _site(root: Path, site_yaml: str = SITE_YAML, **articles: str) -> Path:
    files = {f"content/{slug}.md": text for slug, text in articles.items()}
    return write_site(root, files, site_yaml)


def _story(title: str, day: int = 2, tags: str = "[Ports]", body: str = "Body text.") -> str:
    return article(title, date=f"2026-03-{day:02d}T09:00:00", body=body, tags=tags)


def _built(root: Path, site_yaml: str = SITE_YAML) -> Path:
    site = _site(root, site_yaml, one=_story("One"), two=_story("Two", 3, "[Ports, Water]"), three=_story("Three", 4, "[Water]"))
    result = build(site)
    assert result.code == 0, result.output
    return site


def _manifest(public: Path) -> dict:
    return json.loads((public / MANIFEST).read_text())


def _claims_are_true(public: Path) -> None:
    """The manifest lists exactly the files digest left, each with the hash of its bytes."""
    files = _manifest(public)["files"]
    on_disk = {rel for rel in tree_digest(public) if rel != MANIFEST}
    assert set(files) == on_disk
    for rel, (sha, _) in files.items():
        assert hashlib.sha256((public / rel).read_bytes()).hexdigest() == sha, rel


# -- the manifest and the journal: every path is checked before anything is touched -------------

SAFE_SEGMENT = st.text(alphabet="abcxyz019-_.é", min_size=1, max_size=8).filter(lambda s: s not in (".", ".."))


@st.composite
def hostile_paths(draw: st.DrawFn, victims: tuple[str, str]) -> str:
    """A path from a grammar of ways out of (or around) a folder; each is hostile by construction."""
    safe = draw(st.lists(SAFE_SEGMENT, min_size=0, max_size=3))
    kind = draw(st.sampled_from(["dotdot", "absolute", "backslash", "nul", "empty", "dot", "long", "surrogate", "victim"]))
    at = draw(st.integers(0, len(safe)))
    if kind == "victim":  # a real file outside public/, by `..` or by absolute path
        return draw(st.sampled_from(["../victim/precious", "../../victim/precious", victims[0], victims[1]]))
    if kind == "dotdot":
        return "/".join(safe[:at] + [".."] * draw(st.integers(1, 3)) + safe[at:] + ["x"])
    if kind == "absolute":
        return "/" + "/".join(safe + ["x"])
    if kind == "backslash":
        return "/".join(safe + [draw(st.sampled_from(["..\\x", "a\\b", "\\etc\\passwd"]))])
    if kind == "nul":
        return "/".join(safe + ["x\x00y"])
    if kind == "empty":
        return "/".join(safe[:at] + [""] + safe[at:] + ["x"]) if safe else draw(st.sampled_from(["", "/", "a//b"]))
    if kind == "dot":
        return "/".join(safe[:at] + ["."] + safe[at:] + ["x"])
    if kind == "long":
        return "/".join(safe + ["n" * draw(st.integers(256, 400))])
    return "/".join(safe + ["bad\udcff"])


@pytest.fixture
def built_site(tmp_path: Path) -> Path:
    return _built(tmp_path / "site")


def _plant_victims(tmp_path: Path, site: Path) -> tuple[str, str]:
    """Files a hostile manifest might name, one and two folders above public/."""
    for folder in (site / "victim", tmp_path / "victim"):
        folder.mkdir(exist_ok=True)
        (folder / "precious").write_text("keep me")
    return str(site / "victim" / "precious"), str(tmp_path / "victim" / "precious")


def _everything(tmp_path: Path) -> dict:
    """Every file around the site but the article cache (a failed build may still fill it)."""
    return {rel: state for rel, state in tree_state(tmp_path).items() if "/.cache/" not in rel}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_hostile_manifest_path_is_an_error_that_touches_nothing(tmp_path: Path, built_site: Path, data: st.DataObject) -> None:
    public = built_site / "public"
    victims = _plant_victims(tmp_path, built_site)
    original = (public / MANIFEST).read_bytes()
    hostile = data.draw(hostile_paths(victims), label="hostile path")
    legacy = data.draw(st.booleans(), label="format 1 manifest")
    files = _manifest(public)["files"]
    files[hostile] = [hashlib.sha256(b"keep me").hexdigest(), ""]
    bad = files if legacy else {"format": 2, "files": files}
    try:
        (built_site / "content" / "one.md").unlink()  # a build that has stale files to remove
        (public / MANIFEST).write_text(json.dumps(bad))
        before = _everything(tmp_path)
        result = build(built_site)
        assert result.code == 1, result.output
        assert "public/.digest-manifest.json: error: the path " in result.err
        assert "Traceback" not in result.output
        assert _everything(tmp_path) == before, "a build with a hostile manifest changed files"
    finally:
        (public / MANIFEST).write_bytes(original)
        (built_site / "content" / "one.md").write_text(_story("One"))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_hostile_journal_path_is_an_error_that_touches_nothing(tmp_path: Path, built_site: Path, data: st.DataObject) -> None:
    public = built_site / "public"
    victims = _plant_victims(tmp_path, built_site)
    hostile = data.draw(hostile_paths(victims), label="hostile path")
    side = data.draw(st.sampled_from(["adding", "removing"]))
    try:
        (public / JOURNAL).write_text(json.dumps({"adding": [], "removing": [], side: [hostile]}))
        before = _everything(tmp_path)
        result = build(built_site)
        assert result.code == 1, result.output
        assert "public/.digest-journal.json: error: the path " in result.err
        assert _everything(tmp_path) == before
    finally:
        (public / JOURNAL).unlink()


@pytest.mark.parametrize("content, message", [
    (b"{not json", "public/.digest-manifest.json: error: unreadable"),
    (b"[1, 2, 3]", "public/.digest-manifest.json: error: is not a manifest digest wrote"),
    (b'{"format": 2, "files": ["a"]}', "public/.digest-manifest.json: error: is not a manifest digest wrote"),
    (b'{"format": 2, "files": {"../x": ["", ""]}}', "public/.digest-manifest.json: error: the path \"../x\" contains `..`"),
])
def test_a_broken_manifest_is_an_error_naming_it(built_site: Path, content: bytes, message: str) -> None:
    public = built_site / "public"
    (public / MANIFEST).write_bytes(content)
    before = tree_state(public)
    result = build(built_site)
    assert result.code == 1 and message in result.err, result.output
    assert tree_state(public) == before


@pytest.mark.parametrize("kind", ["symlink", "fifo", "folder"])
def test_a_manifest_that_is_not_a_plain_file_is_refused_without_reading_it(tmp_path: Path, built_site: Path, kind: str) -> None:
    public = built_site / "public"
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(json.dumps({"format": 2, "files": {"index.html": ["", ""]}}))
    (public / MANIFEST).unlink()
    if kind == "symlink":
        (public / MANIFEST).symlink_to(elsewhere)
    elif kind == "fifo":
        os.mkfifo(public / MANIFEST)  # reading it would block the build forever
    else:
        (public / MANIFEST).mkdir()
    before = tree_state(public)
    result = build_or_fail(built_site)
    assert result.code == 1, result.output
    assert "public/.digest-manifest.json: error: is not a regular file" in result.err
    assert tree_state(public) == before


def test_a_format_1_manifest_still_works(built_site: Path) -> None:
    public = built_site / "public"
    files = _manifest(public)["files"]
    (public / MANIFEST).write_text(json.dumps(files))  # what builds before format 2 wrote
    (built_site / "content" / "one.md").unlink()
    result = build(built_site)
    assert result.code == 0, result.output
    assert not (public / "articles" / "one").exists()
    _claims_are_true(public)


# -- links inside the output folder --------------------------------------------------------------

def test_a_link_planted_as_a_folder_of_public_is_refused(tmp_path: Path, built_site: Path) -> None:
    public = built_site / "public"
    elsewhere = tmp_path / "elsewhere"
    shutil.move(public / "articles", elsewhere)
    (public / "articles").symlink_to(elsewhere, target_is_directory=True)
    (built_site / "content" / "four.md").write_text(_story("Four", 5))  # a new page under articles/
    (built_site / "content" / "one.md").unlink()  # and a stale one to delete there
    outside, inside = tree_state(elsewhere), tree_state(public)
    result = build(built_site)
    assert result.code == 1, result.output
    assert "public/articles: error: is a symbolic link (to `" in result.err
    assert "digest never writes or deletes through links" in result.err
    assert tree_state(elsewhere) == outside, "the build wrote or deleted through the link"
    assert tree_state(public) == inside
    (public / "articles").unlink()  # the user removes the link: the next build repairs everything
    result = build(built_site)
    assert result.code == 0, result.output
    assert (public / "articles" / "four" / "index.html").is_file()
    _claims_are_true(public)


def test_a_link_planted_as_a_page_is_replaced_never_written_through(tmp_path: Path, built_site: Path) -> None:
    public = built_site / "public"
    bashrc = tmp_path / "home" / ".bashrc"
    bashrc.parent.mkdir()
    bashrc.write_text("export PATH=/usr/bin\n")
    before = tree_state(bashrc.parent)
    for page in ("index.html", "articles/two/index.html"):
        (public / page).unlink()
        (public / page).symlink_to(bashrc)
    (built_site / "content" / "two.md").write_text(_story("Two, updated", 3, "[Ports, Water]"))
    result = build(built_site)
    assert result.code == 0, result.output
    assert tree_state(bashrc.parent) == before
    for page in ("index.html", "articles/two/index.html"):
        assert not (public / page).is_symlink() and b"<html" in (public / page).read_bytes()
    _claims_are_true(public)


def test_a_link_planted_where_nothing_changes_is_replaced_too(tmp_path: Path, built_site: Path) -> None:
    """Same bytes behind the link as the page would have: the link is still not left to be published."""
    public = built_site / "public"
    copy = tmp_path / "copy.html"
    shutil.copy(public / "404.html", copy)
    (public / "404.html").unlink()
    (public / "404.html").symlink_to(copy)
    result = build(built_site)
    assert result.code == 0, result.output
    assert not (public / "404.html").is_symlink()
    assert copy.read_bytes() == (public / "404.html").read_bytes()


def test_the_output_folder_may_not_be_a_link(tmp_path: Path) -> None:
    """A site folder (a cloned repository, say) holding `public -> somewhere` must not make the build
    write somewhere: not even into an empty or missing folder."""
    site = _site(tmp_path / "site", one=_story("One"))
    target = tmp_path / "autostart"
    (site / "public").symlink_to(target)  # dangling: the build would create it
    result = build(site)
    assert result.code == 1, result.output
    assert "public: error: is a symbolic link (to `" in result.err
    assert not target.exists()
    target.mkdir()
    result = build(site)
    assert result.code == 1 and not any(target.iterdir())


def test_a_link_in_the_way_of_the_preview_folder_is_refused(tmp_path: Path) -> None:
    """serve's preview goes to SITE/.cache/preview-PORT: a planted `.cache` link must not lead it out."""
    from digest.build import BuildOptions
    from digest.build import build as build_site_into

    site = _site(tmp_path / "site", one=_story("One"))
    target = tmp_path / "elsewhere"
    target.mkdir()
    (site / ".cache").symlink_to(target)
    result = build_site_into(BuildOptions(site=site, out=site / ".cache" / "preview-5500"))
    messages = [d.format() for d in result.diagnostics]
    assert not result.ok
    assert any(m.startswith(".cache/preview-5500: error: leads out of the site through a symbolic link") for m in messages), messages
    assert not (target / "preview-5500").exists()


def test_a_folder_where_a_file_goes_is_not_emptied_of_files_digest_did_not_make(built_site: Path) -> None:
    public = built_site / "public"
    (public / "404.html").unlink()
    (public / "404.html").mkdir()
    (public / "404.html" / "notes.txt").write_text("mine")
    before = tree_state(public)
    result = build(built_site)
    assert result.code == 1, result.output
    assert "public/404.html: error: is a folder where digest writes a file" in result.err
    assert tree_state(public) == before


# -- a commit that fails part-way ----------------------------------------------------------------

MUTATIONS = ("replace", "rename", "unlink", "rmdir", "mkdir", "link")


class _FaultyOs:
    """The os module as digest/output.py sees it, with every call that changes the disk counted and
    failing on the chosen call (transient) or from it on (persistent)."""

    def __init__(self, fail_at: int | None, persistent: bool):
        self.fail_at, self.persistent, self.calls = fail_at, persistent, 0

    def __getattr__(self, name: str):
        real = getattr(os, name)
        if name not in MUTATIONS:
            return real

        def counted(*args, **kwargs):
            self.calls += 1
            if self.fail_at is not None and (self.calls == self.fail_at or (self.persistent and self.calls > self.fail_at)):
                raise OSError(errno.EIO, "injected I/O error")
            return real(*args, **kwargs)
        return counted


def _changed_site(root: Path) -> Path:
    """A built site, then edited so the next commit replaces, adds and removes files and folders,
    and puts a folder where a file was and a file where a folder was."""
    site = _site(root, "title: Commit test\n",  # no feeds: fewer files, the same kinds of change
                 one=_story("One"), two=_story("Two", 3, "[Ports, Water]"), three=_story("Three", 4, "[Water]"))
    (site / "static" / "was-a-folder").mkdir(parents=True)
    (site / "static" / "was-a-folder" / "inside.txt").write_text("old")
    (site / "static" / "was-a-file").write_text("old")
    assert build(site).code == 0
    (site / "content" / "two.md").write_text(_story("Two, updated", 3, "[Ports, Water]"))
    (site / "content" / "three.md").unlink()
    (site / "content" / "four.md").write_text(_story("Four", 6, "[Energy]"))
    shutil.rmtree(site / "static" / "was-a-folder")
    (site / "static" / "was-a-folder").write_text("new file")
    (site / "static" / "was-a-file").unlink()
    (site / "static" / "was-a-file").mkdir()
    (site / "static" / "was-a-file" / "inside.txt").write_text("new")
    return site


def _build_with(site: Path, faulty: _FaultyOs, monkeypatch: pytest.MonkeyPatch):
    with monkeypatch.context() as patch:
        patch.setattr(digest.output, "os", faulty)
        return build(site)


def _commit_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, dict[str, str]]:
    """How many disk-changing calls a good commit of the edit makes, and the bytes of a clean build."""
    site = _changed_site(tmp_path / "count")
    counter = _FaultyOs(None, False)
    assert _build_with(site, counter, monkeypatch).code == 0
    clean = _changed_site(tmp_path / "clean")
    shutil.rmtree(clean / "public")
    assert build(clean).code == 0
    return counter.calls, tree_digest(clean / "public")


def test_a_commit_that_fails_at_any_step_leaves_public_exactly_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls, _ = _commit_calls(tmp_path, monkeypatch)
    assert calls > 10  # replacements, additions, removals and pruned folders all happen
    template = _changed_site(tmp_path / "template")
    for fail_at in range(1, calls + 1):
        site = tmp_path / f"at-{fail_at}"
        shutil.copytree(template, site, symlinks=True)
        before = tree_state(site / "public")
        result = _build_with(site, _FaultyOs(fail_at, persistent=False), monkeypatch)
        assert result.code == 1, (fail_at, result.output)
        assert "public: error: could not update the output folder (injected I/O error); " \
               "the output folder was left exactly as it was" in result.err, result.err
        assert tree_state(site / "public") == before, f"public/ changed when call {fail_at} failed"
        assert not (site / "public" / JOURNAL).exists() and not list(site.glob(".digest-staging-*"))
        shutil.rmtree(site)


def test_a_commit_that_cannot_even_be_undone_is_repaired_by_the_next_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every call from the failing one on fails too (the disk went away): the undo fails as well.
    The journal then marks public/, the manifest never claims a missing file, and the next good
    build ends exactly where a clean build does."""
    calls, clean = _commit_calls(tmp_path, monkeypatch)
    template = _changed_site(tmp_path / "template")
    for fail_at in range(1, calls + 1):
        site = tmp_path / f"at-{fail_at}"
        shutil.copytree(template, site, symlinks=True)
        public = site / "public"
        before = tree_state(public)
        result = _build_with(site, _FaultyOs(fail_at, persistent=True), monkeypatch)
        assert result.code == 1 and "Traceback" not in result.output, (fail_at, result.output)
        if (public / JOURNAL).exists():
            assert "the next build repairs it" in result.err
        else:
            assert tree_state(public) == before
        for rel in _manifest(public)["files"]:
            assert (public / rel).is_file(), f"after failing at call {fail_at} the manifest claims a missing {rel}"
        result = build(site)
        assert result.code == 0, result.output
        assert tree_digest(public) == clean, f"the build after a failure at call {fail_at} differs from a clean build"
        assert not (public / JOURNAL).exists()
        _claims_are_true(public)
        shutil.rmtree(site)


@pytest.mark.parametrize("existing", ["missing", "empty"])
def test_a_first_build_that_fails_to_move_into_place_leaves_the_folder_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, existing: str) -> None:
    site = _site(tmp_path / "site", one=_story("One"))
    if existing == "empty":
        (site / "public").mkdir()
    result = _build_with(site, _FaultyOs(1 if existing == "missing" else 2, persistent=False), monkeypatch)
    assert result.code == 1 and "public: error: could not move the new site into place" in result.err, result.output
    assert (site / "public").exists() == (existing == "empty")
    assert existing == "missing" or not any((site / "public").iterdir())
    assert not list(site.glob(".digest-staging-*"))


# -- names and paths too long for the file system ------------------------------------------------

@settings(max_examples=20, deadline=None)
@given(length=st.integers(245, 270), where=st.sampled_from(["slug", "tag"]))
def test_a_slug_or_tag_too_long_for_a_file_name_is_an_error_at_its_line(length: int, where: str) -> None:
    name = "a" * length
    with tempfile.TemporaryDirectory() as tmp:
        fields = {"slug": name} if where == "slug" else {"tags": f"[{name}]"}
        site = write_site(Path(tmp) / "site", {"content/story.md": article("Story", **fields)}, SITE_YAML)
        result = build(site)
        if length <= 255:
            assert result.code == 0, result.output
            folder = "articles" if where == "slug" else "tags"
            assert (site / "public" / folder / name / "index.html").is_file()
        else:
            assert result.code == 1, result.output
            what = f"slug `{'a' * 40}…`" if where == "slug" else f"tag `{'a' * 40}…`"
            assert f"content/story.md:4: error: {what} is too long for a file name: " in result.err, result.err
            assert f"would be {length} bytes, and the file system allows 255" in result.err
            assert not (site / "public").exists()


def test_a_permalink_pattern_with_an_over_long_folder_is_an_error_at_its_line(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"content/story.md": article("Story")},
                      SITE_YAML + "permalinks:\n  archive: " + "b" * 300 + "/\n")
    result = build(site)
    assert result.code == 1
    assert "site.yaml:5: error: `permalinks.archive` has a folder name of 300 bytes; the file system allows 255" in result.err


def _deep_folder(root: Path, total: int) -> Path:
    """A folder whose absolute path is `total` bytes long."""
    folder = root
    while len(os.fsencode(folder)) < total - 201:
        folder = folder / ("d" * 200)
    rest = total - len(os.fsencode(folder)) - 1
    folder = folder / ("e" * rest)
    folder.mkdir(parents=True)
    assert len(os.fsencode(folder)) == total
    return folder


@settings(max_examples=12, deadline=None)
@given(slug_length=st.integers(1, 120))
def test_a_page_whose_whole_path_is_too_long_is_an_error_before_anything_is_written(slug_length: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out_parent = _deep_folder(Path(tmp) / "o", 3950)
        out = out_parent / "public"
        slug = "s" * slug_length
        site = write_site(Path(tmp) / "site", {"content/story.md": article("Story", slug=slug)}, "title: T\n")
        result = build(site, "--out", str(out))
        staging_path = len(os.fsencode(out_parent)) + 1 + len(".digest-staging-") + 8
        longest = staging_path + 1 + len(f"articles/{slug}/index.html")
        if longest < 4096:
            assert result.code == 0, result.output
            assert (out / "articles" / slug / "index.html").is_file()
        else:
            assert result.code == 1 and "Traceback" not in result.output
            assert "content/story.md:4: error: slug `" in result.err and "makes the path of its page too long" in result.err
            assert not out.exists()


# -- --out ------------------------------------------------------------------------------------------

def _out_cases(tmp_path: Path, site: Path) -> dict[str, tuple[str, str]]:
    (tmp_path / "a-file").write_text("x")
    os.mkfifo(tmp_path / "a-fifo")
    (tmp_path / "a-link").symlink_to(tmp_path / "somewhere")
    return {
        "file": (str(tmp_path / "a-file"), "is a file, not a folder"),
        "device": ("/dev/null", "is a character device, not a folder"),
        "fifo": (str(tmp_path / "a-fifo"), "is a named pipe (FIFO), not a folder"),
        "link": (str(tmp_path / "a-link"), "is a symbolic link (to `"),
        "site": (str(site), "is the site folder itself"),
        "parent": (str(tmp_path), "contains the site folder"),
        "content": (str(site / "content" / "out"), "is inside the site's content/ folder"),
        "static": (str(site / "static"), "is inside the site's static/ folder"),
        "theme": (str(REPO / "templates" / "out") if (REPO / "templates").is_dir() else "", "is inside the built-in theme's folder"),
        "long-name": (str(tmp_path / ("n" * 256)), "is 256 bytes long; the file system allows 255"),
        "long-path": (str(tmp_path / "/".join(["p" * 200] * 21)), "the file system allows 4095"),
        "under-a-file": (str(tmp_path / "a-file" / "public"), "cannot be created: `"),
        "virtual": ("/proc/digest-out", "cannot be created in `/proc`"),
    }


@pytest.mark.parametrize("case", ["file", "device", "fifo", "link", "site", "parent", "content", "static", "theme",
                                  "long-name", "long-path", "under-a-file", "virtual"])
def test_an_unusable_out_folder_is_a_one_line_usage_error(tmp_path: Path, case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import digest.serve

    def serve_must_not_start(args: object) -> int:
        raise AssertionError("serve started with an unusable --out")

    monkeypatch.setattr(digest.serve, "serve", serve_must_not_start)  # a server would never return
    site = _site(tmp_path / "site", one=_story("One"))
    out, message = _out_cases(tmp_path, site)[case]
    before = tree_state(tmp_path)
    for command in ("build", "serve"):
        result = run_cli(command, "--site", str(site), "--out", out)
        assert result.code == 2, result.output
        lines = result.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: --out ") and message in lines[0], result.err
        assert result.out == ""
    assert tree_state(tmp_path) == before


def test_an_unwritable_out_folder_is_a_usage_error(tmp_path: Path) -> None:
    reason = permissions_unbound_reason()
    if reason:
        pytest.skip(reason)
    site = _site(tmp_path / "site", one=_story("One"))
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    for out, message in ((locked, "is not writable"), (locked / "public", f"cannot be created in `{locked}`: permission denied")):
        result = run_bound(["--site", str(site), "--out", str(out)], cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip() == f"error: --out {out}: {message}"
    assert not any(locked.iterdir())


def test_the_manifest_format_is_readable_json(built_site: Path) -> None:
    data = _manifest(built_site / "public")
    assert data["format"] == 2 and "index.html" in data["files"]
    assert not any(stat.S_ISLNK(os.lstat(p).st_mode) for p in (built_site / "public").rglob("*"))


def test_a_tag_alias_too_long_for_a_file_name_is_an_error_naming_it(tmp_path: Path) -> None:
    alias = "Alias " + "x" * 260
    site = write_site(tmp_path / "site", {"content/story.md": article("Story", tags="[Ports]")},
                      f"title: T\ntags:\n  aliases:\n    Ports: ['{alias}']\n")
    result = build(site)
    assert result.code == 1, result.output
    assert "site.yaml: error: tag alias `Alias xxxx" in result.err and "(tags.aliases) is too long for a file name" in result.err
    assert not (site / "public").exists()
