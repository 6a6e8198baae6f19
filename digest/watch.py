"""A polling file watcher that coalesces bursts of changes and never loses one.

Each rebuild is started from a snapshot of the watched files taken *before* it begins; the next
snapshot is compared against that one, so anything saved while a rebuild runs shows up as a change
and triggers another rebuild. (livereload's own watcher drops events inside its delay window.)
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path

# (mtime_ns, size, inode, content hash or None). The hash is only taken for files modified within
# RACY_NS of the scan: a second save in the same timestamp tick with the same size would otherwise
# look unchanged (git's "racy clean" problem).
Stamp = tuple[int, int, int, str | None]
Snapshot = dict[str, Stamp]
RACY_NS = 2_000_000_000

# Editor droppings that are not site sources: swap files, backups, Emacs lock files.
_IGNORED_SUFFIXES = ("~", ".swp", ".swx", ".swo", ".tmp", ".part", ".crdownload")


def ignored_name(name: str) -> bool:
    return name.startswith((".", "#")) or name.endswith(_IGNORED_SUFFIXES) or name == "4913"  # vim's write test


class Watched:
    """What to watch: whole folders (recursively) and single files, minus excluded folders."""

    def __init__(self, folders: Iterable[Path], files: Iterable[Path], exclude: Iterable[Path], base: Path):
        self.folders = [Path(f) for f in folders]
        self.files = [Path(f) for f in files]
        self.exclude = {os.path.realpath(p) for p in exclude}
        self.base = os.path.realpath(base)

    def key(self, path: str) -> str:
        """Paths inside the site are reported relative to it (`content/x.md`), others absolute."""
        rel = os.path.relpath(path, self.base)
        return Path(rel).as_posix() if not rel.startswith("..") else path

    def snapshot(self, previous: Snapshot | None = None) -> Snapshot:
        previous = previous or {}
        now = time.time_ns()
        found: Snapshot = {}
        for folder in self.folders:
            self._walk(os.path.realpath(folder), found, previous, now)
        for file in self.files:
            path = os.path.realpath(file)
            self._add(path, found, previous, now)
        return found

    def _walk(self, top: str, found: Snapshot, previous: Snapshot, now: int) -> None:
        # A stack, not recursion: no tree is too deep to watch. Symlinked folders are not entered
        # (the build does not enter them either), so a link cannot loop or lead out of the site.
        pending = [top]
        while pending:
            folder = pending.pop()
            if folder in self.exclude:
                continue
            try:
                entries = list(os.scandir(folder))
            except OSError:  # gone, unreadable, a name too long: that folder is absent from this snapshot
                continue
            for entry in entries:
                if ignored_name(entry.name):
                    continue
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError:
                    continue
                if is_dir:
                    pending.append(os.path.join(folder, entry.name))
                else:
                    self._add(entry.path, found, previous, now)

    def _add(self, path: str, found: Snapshot, previous: Snapshot, now: int) -> None:
        try:
            st = os.stat(path)
        except OSError:  # vanished between listing and stat: it is simply absent from this snapshot
            return
        key = self.key(path)
        digest = None
        before = previous.get(key)
        same_stat = before is not None and before[:3] == (st.st_mtime_ns, st.st_size, st.st_ino)
        # Only regular files are read: opening a FIFO would block the watcher for good, and a
        # device (a link to /dev/zero) never ends.
        if stat.S_ISREG(st.st_mode) and (now - st.st_mtime_ns < RACY_NS or (same_stat and before[3] is not None)):
            digest = _hash(path)
        found[key] = (st.st_mtime_ns, st.st_size, st.st_ino, digest)


def _hash(path: str) -> str | None:
    digest = hashlib.blake2b(digest_size=16)
    try:
        # O_NONBLOCK: if a FIFO took the regular file's place since the stat, open returns at once.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return None
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def changed_paths(old: Snapshot, new: Snapshot) -> set[str]:
    changed = set(old.keys() ^ new.keys())
    for key in old.keys() & new.keys():
        a, b = old[key], new[key]
        if a[:3] != b[:3] or (a[3] is not None and b[3] is not None and a[3] != b[3]):
            changed.add(key)
    return changed


class Watcher:
    """Runs `on_change(None)` once (the first build), then `on_change(sorted changed paths)` after
    each burst of changes has settled. Runs in its own thread, so rebuilds never block serving.

    Snapshots decide what changed. Filesystem notifications (watchdog, inotify on Linux) only wake
    the loop early, so an idle server does not stat every file four times a second; without them,
    or if they miss something, polling still finds every change."""

    def __init__(self, watched: Watched, on_change: Callable[[list[str] | None], None], *,
                 interval: float = 0.25, settle: float = 0.08, max_settle: float = 2.0, notify: bool = True):
        self.watched = watched
        self.on_change = on_change
        self.interval = interval
        self.settle = settle
        self.max_settle = max_settle
        self.stop_event = threading.Event()
        self.wake = threading.Event()
        self.notifier = _Notifier.start(watched, self.wake) if notify else None
        self.thread = threading.Thread(target=self._run, name="digest-watcher", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float | None = None) -> None:
        self.stop_event.set()
        self.wake.set()
        if self.notifier is not None:
            self.notifier.stop()
        if self.thread.is_alive():
            self.thread.join(timeout)

    def _wait(self, scan_seconds: float) -> bool:
        """Sleep until woken or the next safety-net poll is due; False once stopping."""
        if self.notifier is not None:
            # Notifications do the work; a slow poll only catches what they might miss.
            timeout = max(3.0, 30 * scan_seconds)
        else:
            timeout = max(self.interval, 3 * scan_seconds)  # never spend more than ~1/4 of a core polling
        self.wake.wait(timeout)
        self.wake.clear()
        return not self.stop_event.is_set()

    def _run(self) -> None:
        # The baseline is taken before the first build, so edits made during it are not lost.
        baseline = self.watched.snapshot()
        self._call(None)
        scan_seconds = 0.0
        while self._wait(scan_seconds):
            started = time.perf_counter()
            current = self.watched.snapshot(baseline)
            scan_seconds = time.perf_counter() - started
            if self.notifier is not None:
                self.notifier.sync()
            changed = changed_paths(baseline, current)
            if not changed:
                baseline = current  # refreshes racy hashes; nothing changed
                continue
            # Coalesce a burst (an editor writing several files, a git checkout) into one rebuild.
            deadline = time.monotonic() + self.max_settle
            while time.monotonic() < deadline and not self.stop_event.wait(self.settle):
                self.wake.clear()  # what woke us so far is in the snapshot below
                again = self.watched.snapshot(current)
                more = changed_paths(current, again)
                current = again
                if not more:
                    break
                changed |= more
            if self.stop_event.is_set():
                return
            baseline = current
            self._call(sorted(changed))

    def _call(self, changed: list[str] | None) -> None:
        try:
            self.on_change(changed)
        except Exception:  # noqa: BLE001 - keep watching whatever went wrong: the next save gets another try
            traceback.print_exc()


class _Notifier:
    """Wakes the watcher when the OS reports activity in a watched folder."""

    # Reads are not changes: the build itself opens templates and content files.
    _QUIET = frozenset({"opened", "closed_no_write"})

    def __init__(self, watched: Watched, wake: threading.Event):
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        quiet = self._QUIET

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event) -> None:
                if event.event_type not in quiet:
                    wake.set()

        self.watched = watched
        self.handler = Handler()
        self.observer = Observer()
        self.observer.daemon = True
        self.scheduled: set[str] = set()
        self.sync()
        self.observer.start()

    @classmethod
    def start(cls, watched: Watched, wake: threading.Event) -> _Notifier | None:
        try:
            return cls(watched, wake)
        except Exception:  # noqa: BLE001 - no watchdog, or the OS refused (inotify limits): poll instead
            return None

    def sync(self) -> None:
        """Watch folders that exist now (a site may create templates/ while serving); the parents of
        watched files and folders are watched shallowly to see them appear."""
        wanted = {os.path.realpath(f): True for f in self.watched.folders if os.path.isdir(f)}
        for path in [*self.watched.folders, *self.watched.files]:
            parent = os.path.dirname(os.path.realpath(path))
            if os.path.isdir(parent) and parent not in wanted:
                wanted[parent] = False
        for path, recursive in wanted.items():
            key = f"{path}|{recursive}"
            if key not in self.scheduled:
                try:
                    self.observer.schedule(self.handler, path, recursive=recursive)
                except OSError:
                    continue  # polling covers it
                self.scheduled.add(key)

    def stop(self) -> None:
        try:
            self.observer.stop()
            self.observer.join(5)
        except RuntimeError:
            pass
