"""Content-hash keyed cache of per-article work, in `.cache/` at the site root.

A key covers everything that can change an article's parsed and rendered form: the file's path
and bytes, the settings the content and Markdown stages read, the installed Markdown version
and extensions, and this package's own source. Anything else changing can't reuse an entry.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import pickle
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from .config import SiteConfig

# Settings read by content.py and markup/: the rest of site.yaml can't change an article's entry.
ARTICLE_SETTINGS = ("timezone", "markdown", "digest", "annotation_kinds")
CACHE_FORMAT = "1"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of this package's sources and the libraries that shape its output."""
    digest = hashlib.sha256(CACHE_FORMAT.encode())
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    for dist in ("markdown", "pyyaml", "jinja2", "python-slugify", "nh3"):
        try:
            digest.update(f"{dist}={importlib.metadata.version(dist)}".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{dist}=?".encode())
    return digest.hexdigest()[:20]


def _extension_versions(config: SiteConfig) -> str:
    """Versions of the packages that provide the configured Markdown extensions (Python-Markdown's
    own are covered by its version in code_fingerprint)."""
    registered = {ep.name: ep for ep in importlib.metadata.entry_points(group="markdown.extensions")}
    versions = []
    for name in config.markdown.extensions:
        entry = registered.get(name)
        dist = entry.dist.name if entry is not None and entry.dist is not None else name.split(".")[0].split(":")[0]
        if dist.lower() == "markdown":
            continue
        try:
            versions.append(f"{dist}={importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{dist}=?")
    return ",".join(versions)


def article_settings_key(config: SiteConfig) -> str:
    return hashlib.sha256(
        f"{code_fingerprint()}|{config.fingerprint(*ARTICLE_SETTINGS)}|{_extension_versions(config)}".encode()
    ).hexdigest()[:20]


def article_key(settings_key: str, rel_path: str, data: bytes) -> str:
    digest = hashlib.sha256(settings_key.encode())
    digest.update(rel_path.encode() + b"\0")
    digest.update(data)
    return digest.hexdigest()


class ArticleCache:
    def __init__(self, site_root: Path):
        self.folder = site_root / ".cache" / "articles"

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key[2:]}.pickle"

    def get(self, key: str) -> Any | None:
        try:
            with open(self._path(key), "rb") as handle:
                return pickle.load(handle)
        except FileNotFoundError:
            return None
        except Exception:  # noqa: BLE001 - a damaged entry is just a miss
            return None

    def put(self, key: str, value: Any) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only or full disk only costs speed

    def remove(self, keys: set[str]) -> None:
        for key in keys:
            try:
                self._path(key).unlink()
            except OSError:
                pass

    def prune(self, keep: set[str]) -> None:
        """Drop entries no build will ask for again (edited or deleted articles)."""
        if not self.folder.is_dir():
            return
        for sub in self.folder.iterdir():
            if not sub.is_dir():
                continue
            for entry in sub.iterdir():
                if sub.name + entry.stem not in keep:
                    try:
                        entry.unlink()
                    except OSError:
                        pass
