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
from ..diagnostics import Diagnostics
from ..fsguard import content_files as guarded_content_files
from ..fsguard import static_files as guarded_static_files
from ..render import THEME_DIR, template_dirs

CODE_FORMAT = "2"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of this package's sources and the libraries that shape its output."""
    digest = hashlib.sha256(CODE_FORMAT.encode())
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    for dist in ("markdown", "pyyaml", "jinja2", "markupsafe", "python-slugify", "nh3"):
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


def list_sources(config: SiteConfig, diags: Diagnostics) -> Sources:
    """Links out of the site, FIFOs, devices, unreadable files and undecodable names among them are
    reported to `diags` (digest/fsguard.py), never read."""
    return Sources(content_files(config, diags), static_files(config, diags), template_dirs(config.root))


def content_files(config: SiteConfig, diags: Diagnostics | None = None) -> list[tuple[str, Path]]:
    """Every `content/**/*.md` (hidden files and folders skipped), as (site-relative path, path).
    Odd entries are left out and reported to `diags` (the build always passes one)."""
    return guarded_content_files(config.root, config.follow_symlinks, diags if diags is not None else Diagnostics())


def _files_under(folder: Path, skip_static: bool = False) -> list[str]:
    found = []
    for current, dirs, files in os.walk(folder):
        rel_folder = os.path.relpath(current, folder).replace(os.sep, "/")
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (skip_static and rel_folder == "." and d == "static"))
        found.extend(name if rel_folder == "." else f"{rel_folder}/{name}" for name in files if not name.startswith("."))
    return sorted(found)


def static_files(config: SiteConfig, diags: Diagnostics | None = None) -> dict[str, Path]:
    """Theme assets under static/, overridable by the site's own templates/static and static/.
    Odd entries are left out and reported to `diags` (the build always passes one)."""
    return guarded_static_files(config.root, template_dirs(config.root), config.follow_symlinks, THEME_DIR,
                                diags if diags is not None else Diagnostics())
