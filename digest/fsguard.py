"""Listing and reading the site's own files: content/, static/, the site's templates/ and the theme.

Only regular files inside the site are read. Everything else the folders may hold is reported, never
a traceback or a hang: symbolic links that lead out of the site (followed only with
`follow_symlinks: true`), broken or looping links, named pipes, devices and sockets (their type is
checked before anything opens them, so a FIFO cannot block the build), unreadable files and
folders, and names that are not UTF-8. Hidden names (a leading `.`) are skipped, as editors and
version control keep their own files there.
"""

from __future__ import annotations

import errno
import os
import stat
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

import jinja2

from .diagnostics import Diagnostics

NOT_FOLLOWED_HINT = "set `follow_symlinks: true` in site.yaml to follow links that leave the site"


class NotRegularFile(OSError):
    """Raised by read_regular_file for a path that is not (or no longer) a plain file."""


def read_regular_file(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a regular file. Opened without blocking and checked after opening, so a file
    swapped for a FIFO or a device after it was listed is refused instead of hanging the build."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(errno.EINVAL, f"is {file_kind(mode)}, not a regular file", os.fspath(path))
        return handle.read()


def read_problem(exc: OSError) -> str:
    """How a failed read is worded in a diagnostic."""
    if isinstance(exc, NotRegularFile):
        return exc.strerror
    if isinstance(exc, PermissionError):
        return "cannot read it: permission denied"
    return f"cannot read it: {exc.strerror or exc}"


def read_source(path: Path, site_root: Path, diags: Diagnostics) -> bytes | None:
    """read_regular_file, with a failure reported as `PATH: error:` instead of raised."""
    try:
        return read_regular_file(path)
    except OSError as exc:
        diags.error(display_path(path, site_root), 0, read_problem(exc))
        return None


def display_path(path: str | os.PathLike[str], site_root: Path) -> str:
    """How a diagnostic names a file: relative to the site when inside it (the command line puts
    the site folder in front), else absolute. Undecodable bytes and control characters are
    escaped so a file name cannot garble or rewrite the terminal."""
    absolute = os.path.abspath(path)
    root = os.path.abspath(site_root)
    shown = os.path.relpath(absolute, root) if within(absolute, root) else absolute
    return escape_name(shown.replace(os.sep, "/"))


def escape_name(name: str) -> str:
    if name.isascii() and name.isprintable():
        return name
    raw = os.fsencode(name).decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in raw)


def within(path: str, root: str) -> bool:
    """`path` is `root` or lies under it (both absolute, normalised strings)."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def file_kind(mode: int) -> str:
    """What a file of this `st_mode` is, for messages ("is a named pipe (FIFO), not a folder")."""
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _name_problem(name: str) -> str | None:
    """Why a file name cannot be used as it is (it ends up in URLs, messages and the terminal)."""
    if name.isascii() and name.isprintable():
        return None
    try:
        name.encode("utf-8")  # os.scandir decodes undecodable bytes to lone surrogates
    except UnicodeEncodeError:
        return "file name is not valid UTF-8: rename it (names are used in URLs and messages)"
    if any(unicodedata.category(c) == "Cc" for c in name):
        return "file name contains control characters: rename it (names are used in URLs and messages)"
    return None


def _every_name(name: str) -> bool:
    return True


class SiteWalker:
    """Lists regular files under folders of one site, reporting everything else to `diags`.

    A symbolic link is followed when it resolves inside the site (or inside `trusted`, the theme's
    own folder), or anywhere when `follow_outside` is set (site.yaml's `follow_symlinks: true`).
    """

    def __init__(self, site_root: Path, diags: Diagnostics, follow_outside: bool = False, trusted: Iterable[Path] = ()):
        self.site_root = site_root
        self.diags = diags
        self.follow_outside = follow_outside
        self.allowed = [os.path.realpath(site_root), *(os.path.realpath(t) for t in trusted)]
        self.check_access = False

    def files(self, root: Path, wanted: Callable[[str], bool] = _every_name, check_access: bool = False) -> list[tuple[str, Path]]:
        """(path relative to `root`, path to read) of every regular file whose name is `wanted`,
        sorted by relative path. A missing `root` has no files. With `check_access`, a file this
        process may not read is reported here (for files read later by code that cannot report,
        such as Jinja's loader); otherwise reading it reports it."""
        self.check_access = check_access
        found: list[tuple[str, Path]] = []
        root_str = os.fspath(root)
        if os.path.islink(root_str):
            real = self._follow(root_str, True)
            if real is None:
                return found
        elif not os.path.isdir(root_str):
            return found
        else:
            real = os.path.realpath(root_str)
        # A stack, not recursion: a tree thousands of folders deep is legal and must not overflow.
        pending = [(root_str, real, "", frozenset({real}))]
        while pending:
            self._list(*pending.pop(), wanted, found, pending)
        found.sort()
        return [(rel, Path(path)) for rel, path in found]

    def _list(self, folder: str, folder_real: str, prefix: str, ancestors: frozenset[str],
              wanted: Callable[[str], bool], found: list[tuple[str, str]], pending: list) -> None:
        """One folder: its files go to `found`, its subfolders to `pending`."""
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as exc:
            self._report(folder, "error", f"cannot list this folder: {read_problem(exc).removeprefix('cannot read it: ')}")
            return
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            path = entry.path
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_link = not is_dir and entry.is_symlink()
            except OSError:
                continue  # vanished while listed
            problem = _name_problem(name)
            if problem:
                if is_dir or is_link or wanted(name):
                    self._report(path, "error", problem)
                continue
            if is_link:
                real = self._follow(path, wanted(name))
                if real is None:
                    continue
                try:
                    mode = os.stat(real).st_mode
                except OSError:
                    continue
            elif is_dir:
                real, mode = os.path.join(folder_real, name), stat.S_IFDIR
            elif entry.is_file(follow_symlinks=False):
                real, mode = path, stat.S_IFREG  # the common case: no stat call, no path joined
            else:
                real = path
                try:
                    mode = entry.stat(follow_symlinks=False).st_mode
                except OSError:
                    continue
            if stat.S_ISDIR(mode):
                if real in ancestors:
                    self._report(path, "error", "symbolic link loop: this folder link leads back to a folder that contains it")
                    continue
                pending.append((path, real, prefix + name + "/", ancestors | {real}))
            elif not wanted(name):
                continue
            elif not stat.S_ISREG(mode):
                self._report(path, "error", f"is {file_kind(mode)}, not a regular file: not read")
            elif self.check_access and not os.access(real, os.R_OK):
                self._report(path, "error", "cannot read it: permission denied")
            else:
                found.append((prefix + name, real))

    def _follow(self, path: str, wanted: bool) -> str | None:
        """The real path a link leads to, or None (reported) when it is broken, loops or leaves the site."""
        level = "error" if wanted else "warning"
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        try:
            real = os.path.realpath(path, strict=True)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                self._report(path, level, f"symbolic link loop (`{escape_name(target)}`): not followed")
            else:
                self._report(path, level, f"broken symbolic link: `{escape_name(target)}` does not exist")
            return None
        if not self.follow_outside and not any(within(real, root) for root in self.allowed):
            self._report(path, "warning", f"symbolic link to `{escape_name(real)}`, outside the site: not followed "
                                          f"({NOT_FOLLOWED_HINT})")
            return None
        return real

    def _report(self, path: str, level: str, message: str) -> None:
        shown = display_path(path, self.site_root)
        if level == "error":
            self.diags.error(shown, 0, message)
        else:
            self.diags.warning(shown, 0, message)


def content_files(site_root: Path, follow_outside: bool, diags: Diagnostics) -> list[tuple[str, Path]]:
    """Every `content/**/*.md`, as (site-relative path, path to read)."""
    walker = SiteWalker(site_root, diags, follow_outside)
    return [(f"content/{rel}", path) for rel, path in walker.files(site_root / "content", lambda name: name.endswith(".md"))]


def static_files(site_root: Path, template_folders: list[Path], follow_outside: bool, theme: Path,
                 diags: Diagnostics) -> dict[str, Path]:
    """Files copied to the output: each template folder's static/ (the theme's first, the site's
    own overriding it), then the site's static/ at the root. Template folders are walked whole,
    so problems among the templates are reported here too."""
    walker = SiteWalker(site_root, diags, follow_outside, trusted=[theme])
    found: dict[str, Path] = {}
    for folder in reversed(template_folders):
        for rel, path in walker.files(folder, check_access=True):  # templates are read by Jinja's loader
            if rel.startswith("static/"):
                found[rel] = path
    for rel, path in walker.files(site_root / "static"):
        found[rel] = path
    return found


def template_files(site_root: Path, template_folders: list[Path], follow_outside: bool, theme: Path) -> dict[str, Path]:
    """Template name -> file, the first folder holding a name winning. Only what the walker
    accepts; its diagnostics are reported by static_files, once per build."""
    walker = SiteWalker(site_root, Diagnostics(), follow_outside, trusted=[theme])
    found: dict[str, Path] = {}
    for folder in template_folders:
        for rel, path in walker.files(folder, check_access=True):
            if not rel.startswith("static/"):
                found.setdefault(rel, path)
    return found


class GuardedTemplateLoader(jinja2.BaseLoader):
    """Loads only templates the walker accepted: a template that is a link out of the site, a FIFO
    or a device is never opened (the site's copy is skipped and the theme's is used, with the
    walker's warning or error naming it)."""

    def __init__(self, site_root: Path, template_folders: list[Path], follow_outside: bool, theme: Path):
        self.files = template_files(site_root, template_folders, follow_outside, theme)

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        path = self.files.get(template)
        if path is None:
            raise jinja2.TemplateNotFound(template)
        try:
            source = read_regular_file(path).decode("utf-8")
            mtime = os.stat(path).st_mtime_ns
        except OSError as exc:
            raise jinja2.TemplateSyntaxError(read_problem(exc), 1, template, os.fspath(path)) from None
        except UnicodeDecodeError as exc:
            raise jinja2.TemplateSyntaxError(f"not valid UTF-8 ({exc.reason} at byte {exc.start})", 1, template,
                                             os.fspath(path)) from None

        def uptodate() -> bool:
            try:
                return os.stat(path).st_mtime_ns == mtime
            except OSError:
                return False

        return source, os.fspath(path), uptodate

    def list_templates(self) -> list[str]:
        return sorted(self.files)
