"""Writing the output folder (public/): nothing is touched until the whole build has succeeded,
then only changed files are replaced and files of earlier builds that are no longer produced are
removed.

The output folder is a boundary:

- Every path read from the manifest (`.digest-manifest.json`, the list of files digest made) or
  its commit journal is checked before anything is written or deleted: relative, no `..`, no
  empty or `.` segment, no backslash or NUL, no name over the file system's limit. One bad path
  is an error and nothing is touched.
- Nothing is written or deleted through a symbolic link: a link where the build needs a folder is
  an error (nothing touched), a link where it writes a file is replaced by the file (the link's
  target is never opened), and the output folder itself may not be a link.
- The commit is journaled and undone on failure. Before the first change, `.digest-journal.json`
  lists every path the commit may add or remove; the old files are set aside, not deleted, until
  the new manifest is in place. Any failure puts every file back (public/ byte-for-byte and
  mtime-for-mtime as it was) and removes the journal. If even that fails (the disk went away),
  the journal stays: the next build then trusts no recorded hash, compares every file's bytes and
  removes every file either build owned, so it ends exactly where a clean build would.
"""

from __future__ import annotations

import errno
import hashlib
import itertools
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .fsguard import escape_name, file_kind, read_regular_file, within
from .limits import NAME_MAX, PATH_MAX
from .urls import output_file

if TYPE_CHECKING:
    from .diagnostics import Diagnostics
    from .site import Site

MANIFEST = ".digest-manifest.json"
JOURNAL = ".digest-journal.json"
STAGING_PREFIX = ".digest-staging-"
MANIFEST_FORMAT = 2
# mkdtemp's folder beside the output folder, in which a first build stages the whole tree.
_STAGING_NAME_LENGTH = len(STAGING_PREFIX) + 8


class OutputError(Exception):
    """A problem with the output folder: `path` is what it is about (the folder, a file in it, or
    the manifest), `message` says what is wrong and that nothing was changed."""

    def __init__(self, path: str | os.PathLike[str], message: str):
        super().__init__(path, message)
        self.path, self.message = Path(path), message

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def unsafe_reason(rel: object) -> str | None:
    """Why a path read from the manifest or journal may not be used, or None when it names a file
    inside the output folder (relative, normalised, no `..`)."""
    if not isinstance(rel, str):
        return "is not a text path"
    if not rel:
        return "is empty"
    if "\x00" in rel:
        return "contains a NUL character"
    if "\\" in rel:
        return "contains a backslash"
    if rel.startswith("/"):
        return "is an absolute path"
    segments = rel.split("/")
    if ".." in segments:
        return "contains `..` (it would lead out of the output folder)"
    if "" in segments or "." in segments:
        return "is not a normalised path (empty or `.` segment)"
    try:
        encoded = [segment.encode("utf-8") for segment in segments]
    except UnicodeEncodeError:
        return "is not valid Unicode"
    if any(len(segment) > NAME_MAX for segment in encoded):
        return f"has a name longer than {NAME_MAX} bytes"
    if rel in (MANIFEST, JOURNAL):
        return "names digest's own bookkeeping file"
    return None


def _shown(rel: str) -> str:
    """A hostile path, quoted safely for a one-line message."""
    text = json.dumps(rel, ensure_ascii=False) if isinstance(rel, str) else repr(rel)
    return escape_name(text if len(text) <= 120 else text[:117] + "…")


@dataclass
class _Previous:
    """What the output folder holds according to digest's bookkeeping."""

    files: dict[str, tuple[str, str]]  # file -> (sha256 of bytes, page fingerprint)
    trusted: bool = True  # False after an interrupted commit: compare bytes, trust no hash
    extra: set[str] = field(default_factory=set)  # paths an interrupted commit may have left


def _read_json(path: str) -> object | None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OutputError(path, f"cannot read it: {exc.strerror}; nothing was changed") from None
    if not stat.S_ISREG(st.st_mode):
        raise OutputError(path, "is not a regular file (digest writes its bookkeeping as a plain file); "
                                "nothing was changed: remove it")
    try:
        return json.loads(read_regular_file(path))
    except (OSError, ValueError) as exc:
        raise OutputError(path, f"unreadable ({exc}); nothing was changed. To start afresh, empty the output "
                                "folder and build again") from None


def _check_paths(source: str, rels: Iterable[object]) -> None:
    for rel in rels:
        reason = unsafe_reason(rel)
        if reason is not None:
            raise OutputError(source, f"the path {_shown(rel)} {reason}; this is not a file digest wrote, so "
                                      "nothing was changed or deleted. To start afresh, empty the output folder "
                                      "and build again")


def read_previous(root: str) -> _Previous | None:
    """The manifest (and journal, if a commit was interrupted), every path checked; None when the
    folder has no manifest. Raises OutputError for anything unsafe or unreadable."""
    manifest_path = os.path.join(root, MANIFEST)
    data = _read_json(manifest_path)
    if data is None:
        return None
    files = data.get("files") if isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT else data
    if not isinstance(files, dict):
        raise OutputError(manifest_path, "is not a manifest digest wrote; nothing was changed. To start afresh, "
                                         "empty the output folder and build again")
    _check_paths(manifest_path, files)
    previous = _Previous({})
    for rel, entry in files.items():
        if isinstance(entry, list) and len(entry) == 2 and all(isinstance(x, str) for x in entry):
            previous.files[rel] = (entry[0], entry[1])
        else:
            previous.files[rel] = ("", "")  # ours, but with no hash worth trusting
    journal_path = os.path.join(root, JOURNAL)
    journal = _read_json(journal_path)
    if journal is not None:
        lists = [journal.get(key, []) for key in ("adding", "removing")] if isinstance(journal, dict) else [None]
        if not all(isinstance(x, list) for x in lists):
            raise OutputError(journal_path, "is not a journal digest wrote; nothing was changed. To start afresh, "
                                            "empty the output folder and build again")
        listed = [rel for part in lists for rel in part]
        _check_paths(journal_path, listed)
        previous.trusted = False
        previous.extra = set(listed) - set(previous.files)
    return previous


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return None


def _is_regular(path: str) -> bool:
    st = _lstat(path)
    return st is not None and stat.S_ISREG(st.st_mode)


def _file_digest(path: str) -> str | None:
    """sha256 of the file's bytes, or None if it is not a regular file (never through a link)."""
    if not _is_regular(path):
        return None
    try:
        return hashlib.sha256(read_regular_file(path)).hexdigest()
    except OSError:
        return None


def _link_target(path: str) -> str:
    try:
        return escape_name(os.readlink(path))
    except OSError:
        return "?"


def _out_folder_problem(out: str) -> str | None:
    """Why `out` cannot be the output folder as it stands (None: fine, or absent)."""
    st = _lstat(out)
    if st is None:
        return None
    if stat.S_ISLNK(st.st_mode):
        return (f"is a symbolic link (to `{_link_target(out)}`); digest writes only into a real folder: remove the "
                "link, or give the folder it leads to as --out")
    if not stat.S_ISDIR(st.st_mode):
        return f"is {file_kind(st.st_mode)}, not a folder"
    return None




class StagedOutput:
    """Collects the files of one build in a staging folder beside the output folder."""

    def __init__(self, out_dir: Path, site_root: Path | None = None):
        out = os.path.abspath(out_dir)
        problem = _out_folder_problem(out)
        if problem:
            raise OutputError(out_dir, problem)
        if site_root is not None:
            site = os.path.abspath(site_root)
            real_site = os.path.realpath(site)
            if within(out, site) and not within(os.path.realpath(out), real_site):
                raise OutputError(out_dir, f"leads out of the site through a symbolic link (to `{escape_name(os.path.realpath(out))}`); "
                                           "nothing was written: remove the link, or give --out explicitly")
        # The user's path may pass through links above the folder; below it, nothing is followed.
        self.root = os.path.realpath(out)
        self.out_dir = Path(self.root)
        previous = read_previous(self.root)
        if previous is None and os.path.isdir(self.root) and not _is_empty(self.root):
            raise OutputError(out_dir, f"refusing to write into a folder that digest did not create (no {MANIFEST}); "
                                       "choose an empty or new --out folder")
        self._previous = previous
        self.previous = previous.files if previous is not None else None
        self.trusted = previous is None or previous.trusted
        parent = os.path.dirname(self.root)
        try:
            os.makedirs(parent, exist_ok=True)
            self.staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=parent))
        except OSError as exc:
            raise OutputError(parent, f"cannot create the staging folder here: {exc.strerror}; nothing was written") from None
        # First build into a new (or empty) folder: stage the whole tree and rename it into
        # place in one step. Otherwise stage flat and replace just the changed files.
        self.fresh = previous is None
        self.entries: dict[str, tuple[str, str]] = {}  # file -> (sha256 of bytes, page fingerprint)
        self.changed: list[str] = []
        self._verified: dict[str, str] = {}  # file -> sha256 of its bytes, hashed by current_sha

    def current_sha(self, rel: str) -> str | None:
        """The sha256 of output file `rel` as the last build left it, if it is still there (a plain
        file, not a link). After an interrupted commit the file's bytes are hashed instead of
        trusting the record."""
        if not self.trusted:
            owned = rel in (self.previous or {}) or rel in self._previous.extra
            actual = _file_digest(os.path.join(self.root, rel)) if owned else None
            if actual is not None:
                self._verified[rel] = actual
            return actual
        previous = (self.previous or {}).get(rel)
        if previous is None or not _is_regular(os.path.join(self.root, rel)):
            return None
        return previous[0]

    def keep(self, rel: str) -> None:
        """Leave the file from the last build as it is (digest.incremental found it up to date)."""
        if rel in self.entries:
            raise OutputError(os.path.join(self.root, rel), "two pages would be written to this file")
        self.entries[rel] = (self._verified[rel], "") if not self.trusted else (self.previous or {})[rel]

    def add(self, site_path: str, data: bytes, fingerprint: str | None = None) -> None:
        self.record(*self.stage(site_path, data, fingerprint))

    def stage(self, site_path: str, data: bytes, fingerprint: str | None = None) -> tuple[str, str, str, bool]:
        """Write `data` to the staging folder unless the output already has these bytes.

        Changes nothing but the staging folder, so worker processes may call it; the parent
        then `record`s the result.
        """
        rel = output_file(site_path)
        digest = hashlib.sha256(data).hexdigest()
        previous = (self.previous or {}).get(rel)
        if previous is not None or not self.trusted:
            target = os.path.join(self.root, rel)
            same = (previous is not None and previous[0] == digest and _is_regular(target)) if self.trusted \
                else _file_digest(target) == digest
            if same:
                return rel, digest, fingerprint or "", False  # same bytes as last time: don't touch
        try:
            if self.fresh:
                target_path = self.staging / rel
                target_path.parent.mkdir(parents=True, exist_ok=True)
                target_path.write_bytes(data)
            else:
                (self.staging / _staged_name(rel)).write_bytes(data)
        except OSError as exc:  # a full disk, say: the output folder is not touched yet
            raise OutputError(self.staging.parent, f"cannot stage {rel} for writing: {exc.strerror or exc}; "
                                                   "nothing was written") from None
        return rel, digest, fingerprint or "", True

    def record(self, rel: str, digest: str, fingerprint: str, staged: bool) -> None:
        if rel in self.entries:
            raise OutputError(os.path.join(self.root, rel), "two pages would be written to this file")
        self.entries[rel] = (digest, fingerprint)
        if staged:
            self.changed.append(rel)

    def current_file(self, rel: str) -> Path:
        """Where the bytes recorded for output file `rel` are now: staged this build, or kept
        from the last one. For stages that read pages after rendering (the search index)."""
        if rel not in self.changed:
            return self.out_dir / rel
        return self.staging / (rel if self.fresh else _staged_name(rel))

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

    def commit(self) -> tuple[int, int]:
        """Move changed files into place and delete stale ones; returns (written, removed).
        Raises OutputError, having put everything back, when that is not possible."""
        try:
            if self.fresh:
                return self._commit_fresh()
            owned = set(self.previous or {}) | (self._previous.extra if self._previous else set())
            stale = sorted(owned - set(self.entries))
            commit = _Commit(self, stale)
            commit.check()
            return commit.run()
        finally:
            self.discard()

    def _manifest_bytes(self) -> bytes:
        return _manifest_json(self.entries)

    def _commit_fresh(self) -> tuple[int, int]:
        (self.staging / MANIFEST).write_bytes(self._manifest_bytes())
        emptied: int | None = None
        try:
            st = _lstat(self.root)
            if st is not None:
                if not stat.S_ISDIR(st.st_mode):
                    raise OutputError(self.root, f"became {file_kind(st.st_mode)} during the build; nothing was written")
                os.rmdir(self.root)  # empty (checked in __init__); rename needs the name free
                emptied = st.st_mode
            os.chmod(self.staging, 0o755)  # mkdtemp makes it private; a published folder is not
            os.rename(self.staging, self.root)
        except OSError as exc:
            if emptied is not None and _lstat(self.root) is None:
                try:
                    os.mkdir(self.root, stat.S_IMODE(emptied))
                except OSError:
                    pass
            raise OutputError(self.root, f"could not move the new site into place: {exc.strerror or exc}; "
                                         "nothing was written") from None
        return len(self.changed), 0


class _Commit:
    """One replacement of changed files and removal of stale ones, undone on any failure."""

    def __init__(self, staged: StagedOutput, stale: list[str]):
        self.staged = staged
        self.root = staged.root
        self.stale = stale
        self.undo: list[Callable[[], None]] = []
        self.aside = os.path.join(staged.staging, "previous")
        self.counter = itertools.count()
        self.kept = ""

    def path(self, rel: str) -> str:
        return os.path.join(self.root, rel)

    # -- before anything changes -------------------------------------------------------------

    def check(self) -> None:
        """Every file about to be written or removed lies under real folders of the output folder;
        raises OutputError (nothing touched) otherwise."""
        stale = set(self.stale)
        changed = set(self.staged.changed)
        verified: set[str] = set()
        for rel in sorted(changed | stale):
            parts = rel.split("/")
            for depth in range(1, len(parts)):
                folder = "/".join(parts[:depth])
                if folder in verified:
                    continue
                st = _lstat(self.path(folder))
                if st is None:
                    break
                if stat.S_ISLNK(st.st_mode):
                    raise OutputError(self.path(folder), f"is a symbolic link (to `{_link_target(self.path(folder))}`) inside "
                                                         "the output folder, where digest keeps its files; digest never writes "
                                                         "or deletes through links, so nothing was changed: remove the link")
                if not stat.S_ISDIR(st.st_mode):
                    if folder in stale or rel not in changed:
                        break  # an old file of ours, removed first; or nothing to remove below a file
                    raise OutputError(self.path(folder), f"is {file_kind(st.st_mode)} where digest needs a folder (for "
                                                         f"{_shown(rel)}); nothing was changed: remove it")
                verified.add(folder)
        for rel in self.staged.changed:
            st = _lstat(self.path(rel))
            if st is not None and stat.S_ISDIR(st.st_mode):
                leftovers = [name for name in _files_below(self.path(rel), rel) if name not in stale]
                if leftovers:
                    raise OutputError(self.path(rel), f"is a folder where digest writes a file, and holds files digest did "
                                                      f"not make ({_shown(leftovers[0])}); nothing was changed: move them away")

    # -- the changes, each with its undo ---------------------------------------------------------

    def run(self) -> tuple[int, int]:
        staged = self.staged
        changed = staged.changed
        new_manifest = staged._manifest_bytes()
        manifest = self.path(MANIFEST)
        if not changed and not self.stale:
            try:
                if read_bytes_or_none(manifest) != new_manifest:
                    self._replace_manifest(new_manifest)  # one atomic rename: nothing to journal
                _remove_if_there(self.path(JOURNAL))
            except OSError as exc:
                raise OutputError(self.root, f"could not update {MANIFEST} ({exc.strerror or exc}); the next build "
                                             "checks every file again") from None
            return 0, 0
        removed = 0
        try:
            os.mkdir(self.aside)
            # Everything this build keeps that the old manifest does not list: if a second commit fails
            # too, what the first one left is still named somewhere.
            self._write_journal([rel for rel in staged.entries if rel not in (staged.previous or {})], self.stale)
            saved = os.path.join(self.aside, MANIFEST)
            hard_link_or_copy(manifest, saved)
            blocking = self._blocking()
            if blocking:  # the manifest stops claiming them first: it never names a missing file
                kept = {rel: entry for rel, entry in (staged.previous or {}).items() if rel not in blocking}
                self._replace_manifest(_manifest_json(kept))
                self.undo.append(lambda: os.replace(saved, manifest))
            for rel in sorted(blocking):
                removed += self._remove(rel)
            for rel in changed:
                self._put(rel)
            self._replace_manifest(new_manifest)
            if not blocking:
                self.undo.append(lambda: os.replace(saved, manifest))
            for rel in self.stale:
                if rel not in blocking:
                    removed += self._remove(rel)
            os.unlink(self.path(JOURNAL))
            self.undo.clear()  # committed
        except BaseException as exc:
            restored = self._roll_back()
            if not isinstance(exc, OSError):
                raise
            outcome = ("the output folder was left exactly as it was" if restored else
                       f"the output folder is partly updated and {JOURNAL} marks it: the next build repairs it")
            raise OutputError(self.root, f"could not update the output folder ({exc.strerror or exc}); {outcome}") from None
        return len(changed), removed

    def _blocking(self) -> set[str]:
        """Stale files that must go before the new ones come: one where a new file needs a folder
        (old `news`, new `news/index.html`), or one inside a folder a new file replaces."""
        changed = set(self.staged.changed)
        folders = {rel.rsplit("/", depth)[0] for rel in changed for depth in range(1, rel.count("/") + 1)}
        return {rel for rel in self.stale
                if rel in folders or any(rel.rsplit("/", depth)[0] in changed for depth in range(1, rel.count("/") + 1))}

    def _write_journal(self, adding: list[str], removing: list[str]) -> None:
        journal = self.path(JOURNAL)
        tmp = os.path.join(self.aside, JOURNAL)
        with open(tmp, "wb") as handle:
            handle.write(json.dumps({"adding": adding, "removing": removing}, indent=0, ensure_ascii=False).encode())
        os.replace(tmp, journal)
        self.undo.append(lambda: os.unlink(journal))

    def _replace_manifest(self, data: bytes) -> None:
        tmp = os.path.join(self.staged.staging, MANIFEST + ".new")
        with open(tmp, "wb") as handle:
            handle.write(data)
        os.replace(tmp, self.path(MANIFEST))

    def _set_aside(self, path: str) -> None:
        kept = os.path.join(self.aside, str(next(self.counter)))
        os.replace(path, kept)
        self.undo.append(lambda: os.replace(kept, path))

    def _remove(self, rel: str) -> int:
        path = self.path(rel)
        st = _lstat(path)
        if st is None or stat.S_ISDIR(st.st_mode):
            return 0
        self._set_aside(path)
        self._prune(os.path.dirname(path))
        return 1

    def _prune(self, folder: str) -> None:
        while folder != self.root and within(folder, self.root):
            st = _lstat(folder)
            if st is None or not stat.S_ISDIR(st.st_mode) or not _is_empty(folder):
                return
            mode = stat.S_IMODE(st.st_mode)
            os.rmdir(folder)
            self.undo.append(lambda folder=folder, mode=mode: os.mkdir(folder, mode))
            folder = os.path.dirname(folder)

    def _make_folders(self, folder: str) -> None:
        missing = []
        while folder != self.root and _lstat(folder) is None:
            missing.append(folder)
            folder = os.path.dirname(folder)
        for path in reversed(missing):
            os.mkdir(path)
            self.undo.append(lambda path=path: os.rmdir(path))

    def _put(self, rel: str) -> None:
        target = self.path(rel)
        self._make_folders(os.path.dirname(target))
        staged_file = os.path.join(self.staged.staging, _staged_name(rel))
        st = _lstat(target)
        if st is not None and stat.S_ISDIR(st.st_mode):
            mode = stat.S_IMODE(st.st_mode)
            os.rmdir(target)  # emptied of stale files by now (checked before anything changed)
            self.undo.append(lambda: os.mkdir(target, mode))
            st = None
        if st is not None and stat.S_ISREG(st.st_mode) and self._link_aside(target):
            # The old file stays reachable from the side folder, so the new one replaces it in one
            # rename (no moment without the file) and undoing puts the old inode back in one rename.
            kept = self.kept
            os.replace(staged_file, target)
            self.undo.append(lambda: os.replace(kept, target))
            return
        if st is not None:
            self._set_aside(target)  # a link planted here (never followed), or a special file
        os.replace(staged_file, target)
        self.undo.append(lambda: os.replace(target, staged_file))

    def _link_aside(self, path: str) -> bool:
        self.kept = os.path.join(self.aside, str(next(self.counter)))
        return _hard_link(path, self.kept)  # False: a file system without hard links, set the old file aside instead

    def _roll_back(self) -> bool:
        while self.undo:
            try:
                self.undo[-1]()
            except OSError:
                return False
            self.undo.pop()
        return True


def _manifest_json(entries: dict[str, tuple[str, str]]) -> bytes:
    files = {rel: list(entry) for rel, entry in sorted(entries.items())}
    return json.dumps({"format": MANIFEST_FORMAT, "files": files}, indent=0, ensure_ascii=False).encode()


def _is_empty(folder: str) -> bool:
    with os.scandir(folder) as entries:
        return next(entries, None) is None


def _files_below(folder: str, rel: str) -> list[str]:
    """Site-relative paths of everything but folders below `folder` (links not followed)."""
    found = []
    for here, dirs, files in os.walk(folder):
        prefix = rel + here[len(folder):].replace(os.sep, "/")
        found += [f"{prefix}/{name}" for name in files]
        found += [f"{prefix}/{name}" for name in dirs if os.path.islink(os.path.join(here, name))]
    return sorted(found)


_NO_HARD_LINKS = (errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP)


def _hard_link(source: str, destination: str) -> bool:
    """Link `destination` to `source`'s inode; False where the file system has no hard links."""
    try:
        os.link(source, destination)
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        return False
    return True


def hard_link_or_copy(source: str, destination: str) -> None:
    # A link keeps the inode, so putting it back restores its mtime too.
    if not _hard_link(source, destination):
        shutil.copy2(source, destination)


def read_bytes_or_none(path: str) -> bytes | None:
    try:
        return read_regular_file(path) if _is_regular(path) else None
    except OSError:
        return None


def _remove_if_there(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _staged_name(rel: str) -> str:
    # Staging is flat: removing a mirrored tree of empty folders afterwards cost seconds per
    # thousand pages on slow disks, one file per page costs nothing extra.
    return hashlib.sha1(rel.encode()).hexdigest()


# -- limits and the --out folder ---------------------------------------------------------------

def fs_limits(path: str | os.PathLike[str]) -> tuple[int, int]:
    """(longest file name, longest path) in bytes on the file system that holds or would hold `path`."""
    probe = os.path.abspath(path)
    while not os.path.exists(probe) and os.path.dirname(probe) != probe:
        probe = os.path.dirname(probe)
    limits = []
    for name, default in (("PC_NAME_MAX", NAME_MAX), ("PC_PATH_MAX", PATH_MAX)):
        try:
            limits.append(os.pathconf(probe, name) or default)
        except (OSError, ValueError):
            limits.append(default)
    return limits[0], limits[1]


def _short(text: str, keep: int = 40) -> str:
    return escape_name(text if len(text) <= keep else text[:keep] + "…")


def check_output_paths(site: Site, out_dir: Path, diags: Diagnostics) -> None:
    """Every page must fit the file system: each name within its name limit and the whole path
    (in the output folder, and in the staging folder a first build uses) within its path limit.
    An error names what made the path: an article's slug (at `slug:` or the file name), a tag or
    term (at the line listing it), or site.yaml for taxonomies, aliases and permalinks patterns."""
    _check_one_page_per_file(site, diags)
    name_max, path_max = fs_limits(out_dir)
    root = os.path.abspath(out_dir)
    base = max(len(os.fsencode(root)), len(os.fsencode(os.path.dirname(root))) + 1 + _STAGING_NAME_LENGTH)
    reported: set[bytes] = set()  # a tag's page and its feed share the folder: one error, at the page
    for page in site.pages:
        rel = output_file(page.path).encode("utf-8", "surrogateescape")
        longest = max(rel.split(b"/"), key=len)
        whole = base + 1 + len(rel)
        if len(longest) <= name_max and whole < path_max:
            continue
        folder = rel.rsplit(b"/", 1)[0]
        if longest in reported or folder in reported:
            continue
        reported.update((longest, folder))
        where, line, what = _page_source(page)
        if len(longest) > name_max:
            diags.error(where, line, f"{what} is too long for a file name: `{_short(longest.decode('utf-8', 'replace'))}` "
                                     f"would be {len(longest)} bytes, and the file system allows {name_max}")
        else:
            diags.error(where, line, f"{what} makes the path of its page too long: {whole} bytes, and the file system "
                                     f"allows {path_max - 1} (shorten it, or build into a folder with a shorter path)")


# Pages whose path a site's own content or settings chose: a collision is reported at their source.
_CHOSEN_PATHS = ("article", "term", "alias", "taxonomy")


def _check_one_page_per_file(site: Site, diags: Diagnostics) -> None:
    """Two pages bound for one file (a taxonomy named `search` beside the search page, an alias
    equal to a tag...) are an error at what chose the path, before anything is rendered."""
    first_at: dict[str, object] = {}
    for page in site.pages:
        rel = output_file(page.path)
        other = first_at.setdefault(rel, page)
        if other is page:
            continue
        chosen, built_in = (other, page) if other.kind in _CHOSEN_PATHS and page.kind not in _CHOSEN_PATHS else (page, other)
        where, line, what = _page_source(chosen)
        _, _, against = _page_source(built_in)
        if built_in.kind not in _CHOSEN_PATHS:
            against = f"the {built_in.kind} page"
        diags.error(where, line, f"{what} and {against} would both be written to {rel}: rename one")


def _page_source(page) -> tuple[str, int, str]:
    """(file, line, what) that decided a page's path."""
    from .site import term_values

    context = page.context
    if page.kind == "article":
        article = context["story"].article
        if "slug" in article.field_lines:
            return article.path, article.line_of("slug"), f"slug `{_short(article.slug)}`"
        return article.path, 1, f"slug `{_short(article.slug)}` (from the file name)"
    if page.kind == "term":
        term = context["term"]
        first = term.stories[-1].article if term.stories else None  # the oldest use, as other term errors name
        label = f"{term.taxonomy.removesuffix('s')} `{_short(term.name)}`"
        if first is not None:
            return first.path, term_values(first, term.taxonomy)[1], label
        return "site.yaml", 0, label
    if page.kind == "alias":
        return "site.yaml", 0, f"tag alias `{_short(context['alias'])}` (tags.aliases)"
    if page.kind == "taxonomy":
        return "site.yaml", 0, f"taxonomy `{_short(context['taxonomy'].name)}` (taxonomies)"
    return "site.yaml", 0, f"the `permalinks` pattern of the {page.kind} page"


def out_dir_problem(out: Path, site: Path) -> str | None:
    """Why `--out OUT` cannot be used with the site in `site`, in a few words; None when it can."""
    absolute = os.path.abspath(out)
    name_max, path_max = fs_limits(absolute)
    for segment in absolute.split(os.sep):
        size = len(os.fsencode(segment))
        if size > name_max:
            return f"the name `{_short(segment)}` is {size} bytes long; the file system allows {name_max}"
    size = len(os.fsencode(absolute))
    if size >= path_max:
        return f"the path is {size} bytes long; the file system allows {path_max - 1}"
    problem = _out_folder_problem(absolute)
    if problem:
        return problem
    from .render import THEME_DIR

    real_out, real_site = os.path.realpath(absolute), os.path.realpath(site)
    if real_out == real_site:
        return "is the site folder itself; the output needs a folder of its own (such as the default public/)"
    if within(real_site, real_out):
        return "contains the site folder; the output needs a folder of its own (such as the default public/)"
    for name in ("content", "templates", "static"):
        if within(real_out, os.path.join(real_site, name)):
            return f"is inside the site's {name}/ folder, which the build reads"
    if within(real_out, os.path.realpath(THEME_DIR)):
        return "is inside the built-in theme's folder, which the build reads"
    existing = absolute
    while not os.path.lexists(existing):
        existing = os.path.dirname(existing)
    if existing == absolute:
        if not os.access(absolute, os.W_OK | os.X_OK):
            return "is not writable"
        parent = os.path.dirname(real_out)
        refused = _cannot_create_in(parent)
        if refused:
            return f"cannot stage the new site beside it, in `{escape_name(parent)}`: {refused}"
        return None
    if not os.path.isdir(existing):
        return f"cannot be created: `{escape_name(existing)}` is not a folder"
    refused = _cannot_create_in(existing)
    if refused:
        return f"cannot be created in `{escape_name(existing)}`: {refused}"
    return None


def _cannot_create_in(folder: str) -> str | None:
    """Why a folder cannot be made in `folder` (tried for real: permission bits do not bind root,
    and a read-only or virtual file system only says so when asked)."""
    try:
        os.rmdir(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=folder))
    except OSError as exc:
        return (exc.strerror or str(exc)).lower() if exc.errno != errno.EACCES else "permission denied"
    return None
