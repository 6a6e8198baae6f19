"""What a build reads from disk: content files, static files, template folders, and a stat snapshot
of all of them (with the engine's own code) so that a build can tell when nothing at all changed."""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..config import SiteConfig
from ..render import template_dirs

CODE_FORMAT = "2"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of this package's sources and the libraries that shape its output."""
    digest = hashlib.sha256(CODE_FORMAT.encode())
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    for dist in ("markdown", "pyyaml", "jinja2", "markupsafe", "python-slugify"):
        try:
            digest.update(f"{dist}={importlib.metadata.version(dist)}".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{dist}=?".encode())
    return digest.hexdigest()[:20]


@dataclass
class Sources:
    content: list[tuple[str, Path]]  # (site-relative path, path), sorted
    static: dict[str, Path]  # output path -> file; the site's own files win over the theme's
    template_folders: list[Path]  # the site's templates/ first, then the theme

    def snapshot(self, site_yaml: Path) -> tuple:
        """Names, sizes and modification times of every input, and the newest modification time.
        Equal snapshots mean unchanged inputs unless a file changed within the clock's resolution
        of the snapshot (the caller checks the newest time against when the snapshot was taken)."""
        entries = []
        newest = 0
        paths = [("site.yaml", site_yaml), *self.content, *sorted(self.static.items())]
        for folder in self.template_folders:
            paths.extend((f"templates:{rel}", folder / rel) for rel in _files_under(folder, skip_static=True))
        for name, path in paths:
            try:
                stat = path.stat()
            except OSError:
                entries.append((name, -1, -1))
                continue
            entries.append((name, stat.st_mtime_ns, stat.st_size))
            newest = max(newest, stat.st_mtime_ns)
        return tuple(entries), newest


def list_sources(config: SiteConfig) -> Sources:
    return Sources(content_files(config), static_files(config), template_dirs(config.root))


def content_files(config: SiteConfig) -> list[tuple[str, Path]]:
    """Every `content/**/*.md` (hidden files and folders skipped), as (site-relative path, path)."""
    root = config.content_dir
    if not root.is_dir():
        return []
    found: list[str] = []
    # os.walk on strings: pathlib's sorting and str() dominated no-change rebuilds at 5,000 files.
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        rel_folder = os.path.relpath(folder, config.root).replace(os.sep, "/")
        found.extend(f"{rel_folder}/{name}" for name in files if name.endswith(".md") and not name.startswith("."))
    found.sort()
    return [(rel, config.root / rel) for rel in found]


def _files_under(folder: Path, skip_static: bool = False) -> list[str]:
    found = []
    for current, dirs, files in os.walk(folder):
        rel_folder = os.path.relpath(current, folder).replace(os.sep, "/")
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (skip_static and rel_folder == "." and d == "static"))
        found.extend(name if rel_folder == "." else f"{rel_folder}/{name}" for name in files if not name.startswith("."))
    return sorted(found)


def static_files(config: SiteConfig) -> dict[str, Path]:
    """Theme assets under static/, overridable by the site's own templates/static and static/."""
    found: dict[str, Path] = {}
    for templates in reversed(template_dirs(config.root)):  # theme first, site overrides
        static = templates / "static"
        if static.is_dir():
            for rel in _files_under(static):
                found["static/" + rel] = static / rel
    site_static = config.root / "static"
    if site_static.is_dir():
        for rel in _files_under(site_static):
            found[rel] = site_static / rel
    return found
