"""Odd files in content/, static/ and templates/: links out of the site, broken and looping links,
FIFOs, devices, sockets, unreadable files and names that are not UTF-8. Each is a `PATH: error:` or
a warning naming it, never a traceback, a hang or an article silently left out."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import stat
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.fsguard import NotRegularFile, read_regular_file

from .conftest import article, build, tree_state, write_site
from .fshelp import HANG_GUARD_SECONDS, build_or_fail, permissions_unbound_reason, run_bound

GOOD = article("A good story", body="Good body.", tags="[Ports]")
SECRET = "TOP-SECRET-OUTSIDE-THE-SITE"


def _site(tmp_path: Path, site_yaml: str = "title: Odd files\n") -> Path:
    site = write_site(tmp_path / "site", {"content/good.md": GOOD}, site_yaml)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "story.md").write_text(article("From outside", body=SECRET))
    (outside / "secret.txt").write_text(SECRET)
    (outside / "folder").mkdir()
    (outside / "folder" / "inner.md").write_text(article("Inner outside", body=SECRET))
    return site


def _published(site: Path) -> str:
    public = site / "public"
    return "".join(p.read_bytes().decode("utf-8", "replace") for p in public.rglob("*") if p.is_file())


# -- a generated tree of odd entries in content/ ---------------------------------------------------

# kind -> (level the build reports it at, or None when it is fine, message)
KINDS = {
    "article": (None, ""),
    "link-inside": (None, ""),
    "hidden-fifo": (None, ""),
    "link-outside": ("warning", "symbolic link to `{outside}/story.md`, outside the site: not followed"),
    "folder-link-outside": ("warning", "symbolic link to `{outside}/folder`, outside the site: not followed"),
    "dangling": ("error", "broken symbolic link: `missing.md` does not exist"),
    "self-loop": ("error", "symbolic link loop (`{name}`): not followed"),
    "folder-loop": ("error", "symbolic link loop: this folder link leads back to a folder that contains it"),
    "fifo": ("error", "is a named pipe (FIFO), not a regular file: not read"),
    "socket": ("error", "is a socket, not a regular file: not read"),
    "not-utf8": ("error", "file name is not valid UTF-8: rename it"),
}


def _make(kind: str, folder: Path, index: int, tmp_path: Path, sockets: list[socket.socket]) -> tuple[str, str]:
    """Create one entry; returns (its path as the build names it, the slug it should publish or '')."""
    name = f"e{index}.md"
    path = folder / name
    if kind == "article":
        path.write_text(article(f"Story {index}"))
        return name, f"e{index}"
    if kind == "link-inside":
        target = tmp_path / "site" / "drafts" / name
        target.parent.mkdir(exist_ok=True)
        target.write_text(article(f"Linked {index}"))
        path.symlink_to(target)
        return name, f"e{index}"
    if kind == "hidden-fifo":
        os.mkfifo(folder / f".{name}")
        return "", ""
    if kind == "link-outside":
        path.symlink_to(tmp_path / "outside" / "story.md")
    elif kind == "folder-link-outside":
        name = f"d{index}"
        (folder / name).symlink_to(tmp_path / "outside" / "folder", target_is_directory=True)
    elif kind == "dangling":
        path.symlink_to("missing.md")
    elif kind == "self-loop":
        path.symlink_to(name)
    elif kind == "folder-loop":
        name = f"up{index}"
        (folder / name).symlink_to(".", target_is_directory=True)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        sockets.append(server)
    elif kind == "not-utf8":
        name = f"caf\udce9{index}.md"  # the byte 0xE9 alone: Latin-1, not UTF-8
        Path(os.fsdecode(os.fsencode(folder) + b"/" + os.fsencode(name))).write_text(article("Latin-1 name"))
        name = f"caf\\xe9{index}.md"
    return name, ""


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=st.lists(st.tuples(st.sampled_from(sorted(KINDS)), st.integers(0, 2)), min_size=1, max_size=6))
def test_every_odd_entry_is_reported_by_name_and_nothing_hangs(tmp_path_factory: pytest.TempPathFactory,
                                                                 entries: list[tuple[str, int]]) -> None:
    tmp_path = tmp_path_factory.mktemp("odd")
    site = _site(tmp_path)
    sockets: list[socket.socket] = []
    expected: list[tuple[str, str]] = []  # (level, line start)
    published = ["good"]
    try:
        for index, (kind, depth) in enumerate(entries):
            folder = site / "content" / "/".join(["sub"] * depth) if depth else site / "content"
            folder.mkdir(parents=True, exist_ok=True)
            name, slug = _make(kind, folder, index, tmp_path, sockets)
            if slug:
                published.append(slug)
            level, message = KINDS[kind]
            if level:
                shown = "/".join(["content", *(["sub"] * depth), name])
                message = message.format(outside=(tmp_path / "outside").resolve(), name=name)
                expected.append((level, f"{shown}: {level}: {message}"))
        result = build_or_fail(site)
    finally:
        for server in sockets:
            server.close()
    assert "Traceback" not in result.output
    for level, line in expected:
        assert line in result.err, f"missing {line!r} in:\n{result.err}"
    if any(level == "error" for level, _ in expected):
        assert result.code == 1, result.output
        assert not (site / "public").exists()
    else:
        assert result.code == 0, result.output
        for slug in published:
            assert (site / "public" / "articles" / slug / "index.html").is_file(), slug
        assert SECRET not in _published(site)


# -- links out of the site: refused unless site.yaml says to follow them ---------------------------

def test_links_out_of_the_site_are_followed_when_site_yaml_says_so(tmp_path: Path) -> None:
    site = _site(tmp_path, "title: Odd files\nfollow_symlinks: true\n")
    (site / "content" / "linked.md").symlink_to(tmp_path / "outside" / "story.md")
    (site / "content" / "more").symlink_to(tmp_path / "outside" / "folder", target_is_directory=True)
    (site / "static").mkdir()
    (site / "static" / "notes.txt").symlink_to(tmp_path / "outside" / "secret.txt")
    result = build_or_fail(site)
    assert result.code == 0, result.output
    assert "symbolic link" not in result.err
    assert SECRET in (site / "public" / "articles" / "linked" / "index.html").read_text()
    assert (site / "public" / "articles" / "inner" / "index.html").is_file()
    assert (site / "public" / "notes.txt").read_text() == SECRET


def test_a_static_file_or_template_linked_out_of_the_site_is_not_published(tmp_path: Path) -> None:
    site = _site(tmp_path)
    for name in ("static/leak.txt", "templates/article.html", "templates/static/theme-leak.css"):
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).symlink_to(tmp_path / "outside" / "secret.txt")
    result = build_or_fail(site)
    assert result.code == 0, result.output
    outside = (tmp_path / "outside" / "secret.txt").resolve()
    for name in ("static/leak.txt", "templates/article.html", "templates/static/theme-leak.css"):
        assert f"{name}: warning: symbolic link to `{outside}`, outside the site: not followed" in result.err
    assert SECRET not in _published(site)
    assert not (site / "public" / "leak.txt").exists() and not (site / "public" / "static" / "theme-leak.css").exists()
    assert "Good body." in (site / "public" / "articles" / "good" / "index.html").read_text()  # the theme's template


def test_a_link_to_another_file_of_the_site_is_followed(tmp_path: Path) -> None:
    site = _site(tmp_path)
    (site / "notes").mkdir()
    (site / "notes" / "kept.md").write_text(article("Kept in notes/"))
    (site / "content" / "kept.md").symlink_to(Path("..") / "notes" / "kept.md")
    (site / "templates").mkdir()
    (site / "shared.html").write_text("{% extends 'base.html' %}{% block main %}SHARED 404{% endblock %}")
    (site / "templates" / "404.html").symlink_to(site / "shared.html")
    result = build_or_fail(site)
    assert result.code == 0 and "symbolic link" not in result.err, result.output
    assert (site / "public" / "articles" / "kept" / "index.html").is_file()
    assert "SHARED 404" in (site / "public" / "404.html").read_text()


# -- special files in static/ and templates/ ----------------------------------------------------------

@pytest.mark.parametrize("name", ["static/feed.pipe", "templates/article.html", "templates/static/x.css"])
def test_a_fifo_among_static_files_or_templates_is_an_error_not_a_hang(tmp_path: Path, name: str) -> None:
    site = _site(tmp_path)
    (site / name).parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(site / name)
    result = build_or_fail(site)
    assert result.code == 1, result.output
    assert f"{name}: error: is a named pipe (FIFO), not a regular file: not read" in result.err


def test_special_files_are_reported_with_content_errors_in_one_run(tmp_path: Path) -> None:
    site = _site(tmp_path)
    (site / "content" / "bad.md").write_text("---\ntitle: [unclosed\n---\n")
    (site / "static").mkdir()
    os.mkfifo(site / "static" / "pipe")
    result = build_or_fail(site)
    assert result.code == 1
    assert "content/bad.md:" in result.err and "static/pipe: error: is a named pipe" in result.err


def test_a_device_in_content_is_an_error(tmp_path: Path) -> None:
    site = _site(tmp_path)
    try:
        os.mknod(site / "content" / "null.md", stat.S_IFCHR | 0o600, os.makedev(1, 3))  # like /dev/null
    except PermissionError:
        pytest.skip("making a device node needs CAP_MKNOD")
    result = build_or_fail(site)
    assert result.code == 1
    assert "content/null.md: error: is a character device, not a regular file: not read" in result.err


@pytest.mark.parametrize("kind", ["file", "fifo", "folder"])
def test_a_file_name_with_control_characters_is_an_error_shown_escaped(tmp_path: Path, kind: str) -> None:
    site = _site(tmp_path)
    name = site / "content" / "clear\x1b[2J\u0085.md"
    if kind == "fifo":
        os.mkfifo(name)
    elif kind == "folder":
        name.mkdir()
        (name / "inner.md").write_text(article("Inner"))
    else:
        name.write_text(article("Terminal escape", slug="fine-slug"))
    result = build_or_fail(site)
    assert result.code == 1
    assert "content/clear\\x1b[2J\\x85.md: error: file name contains control characters: rename it" in result.err
    assert "\x1b" not in result.err and "\x85" not in result.err


def test_names_that_are_not_utf8_in_static_and_templates_are_errors(tmp_path: Path) -> None:
    site = _site(tmp_path)
    for folder in ("static", "templates"):
        (site / folder).mkdir()
        Path(os.fsdecode(os.fsencode(site / folder) + b"/logo\xff.png")).write_bytes(b"x")
    result = build_or_fail(site)
    assert result.code == 1
    for folder in ("static", "templates"):
        assert f"{folder}/logo\\xff.png: error: file name is not valid UTF-8" in result.err


def test_reading_refuses_a_file_swapped_for_a_fifo_after_listing(tmp_path: Path) -> None:
    """Listing checks the type, but a file can change between listing and reading: reading checks again."""
    fifo = tmp_path / "late.md"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            read_regular_file(fifo)
        except NotRegularFile as exc:
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(HANG_GUARD_SECONDS)
    assert not reader.is_alive() and outcome and "named pipe" in str(outcome[0])


# -- unreadable files (mode bits bind only without root's override capabilities) -------------------

@pytest.mark.parametrize("name, message", [
    ("content/locked.md", "content/locked.md: error: cannot read it: permission denied"),
    ("content/locked", "content/locked: error: cannot list this folder: permission denied"),
    ("static/locked.css", "static/locked.css: error: cannot read it: permission denied"),
    ("templates/article.html", "templates/article.html: error: cannot read it: permission denied"),
])
def test_an_unreadable_file_or_folder_is_an_error_naming_it(tmp_path: Path, name: str, message: str) -> None:
    reason = permissions_unbound_reason()
    if reason:
        pytest.skip(reason)
    site = _site(tmp_path)
    assert build(site).code == 0
    path = site / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if name.endswith("locked"):
        path.mkdir()
        (path / "inside.md").write_text(article("Inside a locked folder"))
    else:
        path.write_text(article("Locked") if name.endswith(".md") else "x")
    before = tree_state(site / "public")
    path.chmod(0)
    try:
        result = run_bound(["--site", str(site), "--quiet"], cwd=tmp_path)
    finally:
        path.chmod(0o755)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert message in result.stderr, result.stderr
    assert tree_state(site / "public") == before


def test_a_content_tree_deeper_than_the_recursion_limit_builds() -> None:
    # Not in pytest's tmp_path: its clean-up of old runs uses shutil.rmtree, which recurses and
    # would fail on this tree if a killed run left it behind.
    tmp_path = Path(tempfile.mkdtemp(prefix="digest-deep-"))
    site = _site(tmp_path)
    depth = 1200  # more levels than Python's default recursion limit
    folders = [os.open(site / "content", os.O_RDONLY)]
    try:
        for _ in range(depth):
            os.mkdir("a", dir_fd=folders[-1])
            folders.append(os.open("a", os.O_RDONLY, dir_fd=folders[-1]))
        handle = os.open("deep.md", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=folders[-1])
        os.write(handle, article("Deep down").encode())
        os.close(handle)
        result = build_or_fail(site)
        assert result.code == 0, result.output[-2000:]
        assert (site / "public" / "articles" / "deep" / "index.html").is_file()
    finally:
        # shutil.rmtree (and so pytest's clean-up of old tmp folders) recurses: remove it here, bottom up.
        with contextlib.suppress(FileNotFoundError):
            os.unlink("deep.md", dir_fd=folders[-1])
        for level in range(len(folders) - 1, 0, -1):
            os.close(folders[level])
            os.rmdir("a", dir_fd=folders[level - 1])
        os.close(folders[0])
        shutil.rmtree(tmp_path)
