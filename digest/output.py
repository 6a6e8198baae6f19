"""Writing public/: nothing is touched until the whole build has succeeded, then only changed
files are replaced (atomically) and files from earlier builds that are no longer produced are removed."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from .urls import output_file

MANIFEST = ".digest-manifest.json"


class OutputError(Exception):
    pass


class StagedOutput:
    """Collects the files of one build in a staging folder beside the output folder."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.previous = _read_manifest(out_dir)
        if self.previous is None and out_dir.exists() and any(out_dir.iterdir()):
            raise OutputError(f"{out_dir}: refusing to write into a folder that digest did not create "
                              f"(no {MANIFEST}); choose an empty or new --out folder")
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        self.staging = Path(tempfile.mkdtemp(prefix=".digest-staging-", dir=out_dir.parent))
        # First build into a new (or empty) folder: stage the whole tree and rename it into
        # place in one step. Otherwise stage flat and replace just the changed files.
        self.fresh = self.previous is None
        self.entries: dict[str, tuple[str, str]] = {}  # file -> (sha256 of bytes, page fingerprint)
        self.changed: list[str] = []

    def current_sha(self, rel: str) -> str | None:
        """The sha256 the last build recorded for output file `rel`, if that file is still there."""
        previous = (self.previous or {}).get(rel)
        if previous is None or not os.path.isfile(os.path.join(self.out_dir, rel)):
            return None
        return previous[0]

    def keep(self, rel: str) -> None:
        """Leave the file from the last build as it is (digest.incremental found it up to date)."""
        if rel in self.entries:
            raise OutputError(f"two pages would be written to {rel}")
        self.entries[rel] = (self.previous or {})[rel]

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
        if previous is not None and previous[0] == digest and (self.out_dir / rel).is_file():
            return rel, digest, fingerprint or "", False  # same bytes as last time: don't touch
        if self.fresh:
            target = self.staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        else:
            (self.staging / _staged_name(rel)).write_bytes(data)
        return rel, digest, fingerprint or "", True

    def record(self, rel: str, digest: str, fingerprint: str, staged: bool) -> None:
        if rel in self.entries:
            raise OutputError(f"two pages would be written to {rel}")
        self.entries[rel] = (digest, fingerprint)
        if staged:
            self.changed.append(rel)

    def keep_previous(self) -> None:
        """Every file of the last build not produced again stays as it is (an in-place edit)."""
        for rel, entry in (self.previous or {}).items():
            self.entries.setdefault(rel, entry)

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

    def commit(self) -> tuple[int, int]:
        """Move changed files into place and delete stale ones; returns (written, removed)."""
        if self.fresh:
            return self._commit_fresh()
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            for rel in self.changed:
                target = self.out_dir / rel
                if target.is_dir():
                    shutil.rmtree(target)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(self.staging / _staged_name(rel), target)
            removed = 0
            for rel in sorted(set(self.previous or {}) - set(self.entries)):
                stale = self.out_dir / rel
                if stale.is_file():
                    stale.unlink()
                    removed += 1
                    _prune_empty_dirs(stale.parent, self.out_dir)
            manifest = json.dumps({rel: list(entry) for rel, entry in sorted(self.entries.items())}, indent=0).encode()
            tmp = self.out_dir / (MANIFEST + ".tmp")
            tmp.write_bytes(manifest)
            os.replace(tmp, self.out_dir / MANIFEST)
            return len(self.changed), removed
        finally:
            self.discard()


    def _commit_fresh(self) -> tuple[int, int]:
        manifest = json.dumps({rel: list(entry) for rel, entry in sorted(self.entries.items())}, indent=0).encode()
        (self.staging / MANIFEST).write_bytes(manifest)
        try:
            if self.out_dir.is_dir():
                self.out_dir.rmdir()  # empty (checked in __init__); rename needs the name free
            os.chmod(self.staging, 0o755)  # mkdtemp makes it private; a published folder is not
            os.rename(self.staging, self.out_dir)
        except OSError:
            self.discard()
            raise
        return len(self.changed), 0


def _staged_name(rel: str) -> str:
    # Staging is flat: removing a mirrored tree of empty folders afterwards cost seconds per
    # thousand pages on slow disks, one file per page costs nothing extra.
    return hashlib.sha1(rel.encode()).hexdigest()


def _read_manifest(out_dir: Path) -> dict[str, tuple[str, str]] | None:
    try:
        data = json.loads((out_dir / MANIFEST).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return {rel: (entry[0], entry[1]) for rel, entry in data.items()
            if isinstance(entry, list) and len(entry) == 2 and all(isinstance(x, str) for x in entry)}


def _prune_empty_dirs(folder: Path, stop: Path) -> None:
    while folder != stop and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
