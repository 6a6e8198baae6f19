"""Cache files: written whole or not at all, read back only if this user wrote them, never a build error.

Caches hold pickles and compiled templates, and loading either runs code. A site folder can come
from anyone (a cloned repository may carry its own `.cache/`), so every cache file is sealed with an
HMAC under a key only this user can read (`$XDG_CACHE_HOME/digest/cache-key`, else
`~/.cache/digest/cache-key`, mode 0600). A file that fails the check is a cache miss. Caches are
only written inside a `.cache` that is a real folder of the site, never through a link.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import secrets
import stat
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

_MAC_SIZE = 32


@lru_cache(maxsize=1)
def _key() -> bytes:
    """This user's cache key. Without a writable home a random key serves this process only
    (caches then only help within one process: serve)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "digest"
    path = base / "cache-key"
    try:
        base.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_bytes(32))
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            key = handle.read(64)
        if info.st_uid == os.getuid() and not info.st_mode & 0o077 and len(key) >= 32:
            return key
    except (OSError, RuntimeError):
        pass
    return secrets.token_bytes(32)


def seal(data: bytes) -> bytes:
    return hmac.new(_key(), data, hashlib.sha256).digest() + data


def unseal(blob: bytes) -> bytes | None:
    """The data of a sealed blob, or None if this user's key did not seal it."""
    mac, data = blob[:_MAC_SIZE], blob[_MAC_SIZE:]
    if len(mac) != _MAC_SIZE or not hmac.compare_digest(mac, hmac.new(_key(), data, hashlib.sha256).digest()):
        return None
    return data


def cache_folder(site_root: Path, *parts: str) -> Path | None:
    """`site_root/.cache/<parts>`, created if needed; None if any part is a link or not a folder
    (a planted `.cache` link must not send writes out of the site)."""
    folder = site_root
    for part in (".cache", *parts):
        folder = folder / part
        try:
            info = folder.lstat()
        except FileNotFoundError:
            try:
                folder.mkdir()
            except OSError:
                return None
            continue
        except OSError:
            return None
        if not stat.S_ISDIR(info.st_mode):
            return None
    return folder


def write_sealed(path: Path, data: bytes) -> None:
    """Replace `path` atomically with sealed `data`; a read-only or full disk only costs speed."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(seal(data))
        os.replace(tmp, path)
    except OSError:
        return


def read_sealed(path: Path) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return None
            return unseal(handle.read())
    except OSError:
        return None


def save_pickle(path: Path | None, value: Any) -> None:
    if path is not None:
        write_sealed(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def load_pickle(path: Path | None) -> Any | None:
    """The value saved at `path` by this user, or None if it is missing, damaged or foreign."""
    data = read_sealed(path) if path is not None else None
    if data is None:
        return None
    try:
        return pickle.loads(data)
    except Exception:  # noqa: BLE001 - a damaged cache file is a miss, never an error
        return None
