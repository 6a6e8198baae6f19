"""Finding and reading import sources without surprises from the file system.

A SOURCE named on the command line is taken as given (a symbolic link to it is followed).
Inside a SOURCE folder only regular files are read, and a symbolic link is followed only when
it stays inside that folder: one pointing outside is refused with a warning naming it, so
importing a downloaded folder cannot pull in ~/.ssh. Broken and looping links, FIFOs,
devices, sockets and unreadable files are reported by name; none can hang the import (the
file type is checked on the open descriptor before a byte is read).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..fsguard import file_kind

# A source larger than this is refused: no article or feed is this big, and the parsers'
# time grows with the size of what they are given.
MAX_SOURCE_BYTES = 20 * 1024 * 1024

_CONTROLS = dict.fromkeys([*range(0x20), *range(0x7F, 0xA0)])


class SourceProblem(Exception):
    """A file that cannot be read as a source; the message follows `PATH: error:`."""


@dataclass(frozen=True)
class Found:
    """One entry met while expanding a SOURCE: a file to import, or a problem to report."""

    path: Path
    explicit: bool  # named on the command line (not met while walking a folder)
    problem: str = ""  # set when the entry is reported instead of imported
    level: str = "warning"  # of the problem


def display(path: Path | str) -> str:
    """A path as it can be printed: bytes that are not UTF-8 as \\xNN, control characters
    escaped, so a file name cannot garble or rewrite the terminal."""
    text = os.fsencode(os.fspath(path)).decode("utf-8", errors="backslashreplace")
    if any(ord(ch) in _CONTROLS for ch in text):
        text = "".join(f"\\x{ord(ch):02x}" if ord(ch) in _CONTROLS else ch for ch in text)
    return text


def name_is_utf8(path: Path) -> bool:
    try:
        os.fsencode(path.name).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def expand(source: Path) -> Iterator[Found]:
    """The files a SOURCE stands for, in a stable order, with a problem for each entry that
    cannot be imported. A folder is walked recursively; hidden entries (".", "~") are skipped."""
    try:
        info = source.stat()  # follows a link named on the command line
    except FileNotFoundError:
        if source.is_symlink():
            yield Found(source, True, f"broken symbolic link (to {display(os.readlink(source))})", "error")
        else:
            yield Found(source, True, "no such file or folder", "error")
        return
    except OSError as exc:
        yield Found(source, True, _os_problem(exc, "cannot read"), "error")
        return
    if stat.S_ISDIR(info.st_mode):
        root = Path(os.path.realpath(source))
        yield from _walk(source, root, {_identity(info)}, set())
    elif stat.S_ISREG(info.st_mode):
        yield Found(source, True)
    else:
        yield Found(source, True, f"not a regular file: {file_kind(info.st_mode)}", "error")


def _walk(folder: Path, root: Path, folders_seen: set[tuple[int, int]], files_seen: set[tuple[int, int]]) -> Iterator[Found]:
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda e: os.fsencode(e.name))
    except OSError as exc:
        yield Found(folder, False, _os_problem(exc, "cannot read folder"))
        return
    for entry in entries:
        if entry.name.startswith((".", "~")):
            continue
        path = Path(entry.path)
        try:
            is_link = entry.is_symlink()
            info = os.stat(path)  # the target's type and identity, for links too
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                yield Found(path, False, "symbolic link loop; skipped")
            elif isinstance(exc, FileNotFoundError):
                yield Found(path, False, f"broken symbolic link (to {display(os.readlink(path))}); skipped")
            else:
                yield Found(path, False, _os_problem(exc, "cannot read") + "; skipped")
            continue
        if is_link:
            target = Path(os.path.realpath(path))
            if not target.is_relative_to(root):
                yield Found(path, False, f"symbolic link to {display(target)}, outside {display(root)}; not followed")
                continue
        key = _identity(info)
        if stat.S_ISDIR(info.st_mode):
            # A link to a folder inside the SOURCE is walked where the folder really is.
            if not is_link and key not in folders_seen:
                folders_seen.add(key)
                yield from _walk(path, root, folders_seen, files_seen)
        elif stat.S_ISREG(info.st_mode):
            if key not in files_seen:  # a file and a link to it: imported once
                files_seen.add(key)
                yield Found(path, False)
        else:
            yield Found(path, False, f"not a regular file: {file_kind(info.st_mode)}; skipped")


def read_source(path: Path, limit: int = MAX_SOURCE_BYTES) -> bytes:
    """The bytes of a regular file. The type is checked on the open descriptor (opened
    without blocking), so a FIFO or device put in place of a file is refused, not waited on."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise SourceProblem(_os_problem(exc, "cannot read")) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SourceProblem(f"not a regular file: {file_kind(info.st_mode)}")
        if info.st_size > limit:
            raise SourceProblem(f"too large to import ({info.st_size:,} bytes; the limit is {limit:,})")
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:  # grew while we read it
                raise SourceProblem(f"too large to import (over {limit:,} bytes)")
        return b"".join(chunks)
    except OSError as exc:
        raise SourceProblem(_os_problem(exc, "cannot read")) from None
    finally:
        os.close(fd)


def _identity(info: os.stat_result) -> tuple[int, int]:
    return info.st_dev, info.st_ino


def _os_problem(exc: OSError, what: str) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    return f"{what}: {exc.strerror or exc}"
