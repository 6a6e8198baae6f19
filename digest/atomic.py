"""Cache files written whole or not at all, and read back without ever failing a build."""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path
from typing import Any


def save_pickle(path: Path, value: Any) -> None:
    """Replace `path` atomically; a read-only or full disk only costs speed next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        return


def load_pickle(path: Path) -> Any | None:
    """The value saved at `path`, or None if it is missing or damaged."""
    try:
        with open(path, "rb") as handle:
            return pickle.load(handle)
    except Exception:  # noqa: BLE001 - a damaged cache file is a miss, never an error
        return None
