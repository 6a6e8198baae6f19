"""Full-text search with no server: a Pagefind index of the article pages.

Pagefind (https://pagefind.app) ships as a Python package with its binary (`pagefind[bin]`).
It is optional: without it the build succeeds, the search page says search is unavailable
and the command line prints `OFF_NOTE`.

The index is built from the pages of the build being staged and added to the same
StagedOutput, so it is committed with them, or discarded with them when the build fails.

Pagefind names its files by content hash, but writes filters (and sorts) in hash-map order, so
two runs over the same pages differ: `canonicalize_bundle` sorts them and renames the files it
rewrites, which makes the bundle a function of the pages. The index is then rebuilt only when
some article page's bytes changed; otherwise the last build's files are kept, which is what a
clean build would write again.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .diagnostics import Diagnostic
from .output import StagedOutput
from .urls import output_file

if TYPE_CHECKING:
    from .site import FeedLink, Page, Site

SEARCH_PATH = "search/"
BUNDLE_DIR = "pagefind/"  # Pagefind's default; its UI finds the index beside its own script
OFF_NOTE = "search: off (pip install 'pagefind[bin]' to enable)"
INSTALL_HINT = "uninstall pagefind (pip uninstall pagefind-bin) to build without search"
NO_WORDS = "not able to build an index"  # what Pagefind says when the pages hold no words at all

# Bump when what we ask Pagefind for changes (arguments, inputs): stored indexes are then redone.
INDEX_FORMAT = "1"
# A hang guard, not a speed target: Pagefind takes about 4 s of CPU per 1,000 articles (bench/search.py).
TIMEOUT_BASE_SECONDS = 120.0
TIMEOUT_PER_PAGE_SECONDS = 0.1


@dataclass(frozen=True)
class Indexer:
    """The Pagefind binary this build would run."""

    executable: Path
    identity: str  # changes when the binary does: part of the index's fingerprint


def find_indexer() -> Indexer | None:
    """The Pagefind binary, found as the `pagefind` package finds it (PAGEFIND_BINARY_PATH,
    pagefind_bin_extended, pagefind_bin, then `pagefind` on PATH); None when search is off."""
    try:
        import cbor2  # noqa: F401 - canonicalize_bundle needs it
        from pagefind.service import get_executable
    except ImportError:
        return None
    try:
        executable = get_executable()
    except Exception:  # noqa: BLE001 - a broken optional install means search is off, not a crash
        return None
    if executable is None:
        return None
    try:
        executable = Path(executable).resolve()
        stat = executable.stat()
    except OSError:
        return None
    if not executable.is_file() or not os.access(executable, os.X_OK):
        return None
    return Indexer(executable, f"{executable}|{stat.st_size}|{stat.st_mtime_ns}")


def search_page(site: Site, feed: FeedLink | None) -> Page:
    """The search page: Pagefind's UI when this build makes an index, else a note that search is off."""
    from .site import Page  # site.py plans this page: imported here to avoid a cycle

    context = {"search_available": site.search, "search_has_articles": bool(site.stories)}
    return Page(SEARCH_PATH, "search.html", "search", "Search", context, feed=feed)


def search_identity(indexer: Indexer | None) -> str:
    """What about search a build's output depends on besides its inputs: which Pagefind, if any.
    Part of the input digest, so installing or removing Pagefind is never 'nothing changed'."""
    return f"search:{INDEX_FORMAT}:{indexer.identity if indexer else 'off'}"


def indexed_files(site: Site) -> list[str]:
    """Output files Pagefind reads: the article pages (listings would only repeat them)."""
    return sorted(output_file(page.path) for page in site.pages if page.kind == "article")


def index_site(site: Site, staged: StagedOutput, indexer: Indexer | None) -> list[Diagnostic]:
    """Add the search index of the staged build to `staged` (replacing the last build's).

    Call it once every page is staged. Returns problems (Pagefind failed or hung); the caller
    then discards the build, so a failed index never reaches the output folder.
    """
    pages = indexed_files(site)
    if indexer is None or not pages or any(rel not in staged.entries for rel in pages):
        return []  # search off, nothing to search, or the build already failed
    taken = sorted(rel for rel in staged.entries if rel.startswith(BUNDLE_DIR))
    if taken:  # the site's own static/pagefind/... is where the index goes
        return [Diagnostic(f"static/{rel}", 0, "error", f"search: the search index is written to {BUNDLE_DIR}, "
                                                         f"which this file would take; move it elsewhere") for rel in taken]
    key = _index_key(indexer, [(rel, staged.entries[rel][0]) for rel in pages])
    if _keep_previous_index(staged, key):
        return []
    return _run_pagefind(indexer, staged, pages, key)


def _index_key(indexer: Indexer, pages: list[tuple[str, str]]) -> str:
    digest = hashlib.sha256(f"search|{INDEX_FORMAT}|{indexer.identity}|".encode())
    for rel, page_hash in pages:
        digest.update(f"{rel}\0{page_hash}\n".encode())
    return digest.hexdigest()


def _keep_previous_index(staged: StagedOutput, key: str) -> bool:
    """Keep the last build's index if it was made by the same binary from the same pages."""
    previous = {rel: entry for rel, entry in (staged.previous or {}).items() if rel.startswith(BUNDLE_DIR)}
    if not previous or any(entry[1] != key for entry in previous.values()):
        return False
    if not staged.trusted:  # after an interrupted commit kept files lose their fingerprints: redo
        return False
    if not all(staged.current_sha(rel) is not None for rel in previous):
        return False
    for rel in sorted(previous):
        staged.keep(rel)
    return True


def _run_pagefind(indexer: Indexer, staged: StagedOutput, pages: list[str], key: str) -> list[Diagnostic]:
    # In the system's temporary folder: its short path leaves room for the longest page paths
    # (a folder beside a deep output folder would not), and hard links work when it is on the
    # same file system.
    with tempfile.TemporaryDirectory(prefix="digest-search-") as work:
        source, bundle = Path(work) / "site", Path(work) / "bundle"
        try:
            for rel in pages:
                _link_or_copy(staged.current_file(rel), source / rel)
        except OSError as exc:
            return [Diagnostic(str(exc.filename or work), 0, "error",
                               f"search: cannot copy the pages for Pagefind to index: {exc.strerror or exc}")]
        command = [str(indexer.executable), "--site", str(source), "--output-path", str(bundle), "--silent"]
        timeout = TIMEOUT_BASE_SECONDS + TIMEOUT_PER_PAGE_SECONDS * len(pages)
        try:
            run = subprocess.run(command, capture_output=True, timeout=timeout, check=False,
                                 stdin=subprocess.DEVNULL, cwd=work)
        except subprocess.TimeoutExpired:
            return [_problem(indexer, f"did not finish indexing {len(pages)} pages in {timeout:.0f}s")]
        except OSError as exc:
            return [_problem(indexer, f"could not run: {exc.strerror or exc}")]
        said_all = (run.stdout + run.stderr).decode("utf-8", "replace")
        if run.returncode != 0 and NO_WORDS in said_all:  # valid, if odd: no article has a word in it
            return [Diagnostic(str(indexer.executable), 0, "warning",
                               "search: no article has any words to index; the search page will say so")]
        if run.returncode != 0 or not (bundle / "pagefind-entry.json").is_file():
            said = (run.stderr or run.stdout).decode("utf-8", "replace").strip().splitlines()
            reason = said[-1].strip() if said else f"exit status {run.returncode}"
            return [_problem(indexer, f"failed to index the site: {reason}")]
        try:
            canonicalize_bundle(bundle)
        except BundleFormatError as exc:
            return [_problem(indexer, f"wrote an index digest cannot make deterministic ({exc}); "
                                      f"use the version requirements.txt names")]
        for path in sorted(bundle.rglob("*")):
            if path.is_file():
                staged.add(BUNDLE_DIR + path.relative_to(bundle).as_posix(), path.read_bytes(), key)
    return []


def _link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _problem(indexer: Indexer, message: str) -> Diagnostic:
    # Named by the program that failed: the problem is in no file of the site.
    return Diagnostic(str(indexer.executable), 0, "error", f"search: Pagefind {message}; {INSTALL_HINT}")


class BundleFormatError(Exception):
    """The bundle is not laid out as the Pagefind versions we know write it."""


_PREFIX = b"pagefind_dcd"  # Pagefind's marker at the start of every decompressed index file


def canonicalize_bundle(bundle: Path) -> None:
    """Make a Pagefind bundle a function of its input pages.

    Filter files list their values, and the metadata file its filters and sorts, in hash-map
    order, which changes from run to run. Sort them, then rename each rewritten file after its
    new content (as Pagefind names them) and update the references: metadata -> filter files,
    pagefind-entry.json -> metadata.
    """
    import cbor2

    entry_path = bundle / "pagefind-entry.json"
    try:
        entry = json.loads(entry_path.read_bytes())
        languages = entry["languages"]
        items = sorted(languages.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BundleFormatError(f"pagefind-entry.json: {exc}") from None
    for language, info in items:
        meta_path = bundle / f"pagefind.{_field(info, 'hash', str)}.pf_meta"
        meta = _read_cbor(meta_path, cbor2)
        if not (isinstance(meta, list) and len(meta) >= 5 and _pairs(meta[3], str) and _pairs(meta[4], list)):
            raise BundleFormatError(f"{meta_path.name}: unexpected layout")
        filters = []
        for name, old_hash in meta[3]:
            path = bundle / "filter" / f"{old_hash}.pf_filter"
            data = _read_cbor(path, cbor2)
            if not (isinstance(data, list) and len(data) == 2 and data[0] == name and _pairs(data[1], list)):
                raise BundleFormatError(f"{path.name}: unexpected layout")
            data[1].sort(key=lambda value: value[0])
            filters.append((name, path, cbor2.dumps(data)))
        for _, path, _ in filters:
            path.unlink()  # all first: a new name may equal an old one not yet rewritten
        renamed = []
        for name, _, payload in sorted(filters, key=lambda f: f[0]):
            new_hash = _content_name(language, payload, 7, bundle / "filter", ".pf_filter")
            _write_index_file(bundle / "filter" / f"{new_hash}.pf_filter", payload)
            renamed.append([name, new_hash])
        meta[3] = renamed
        meta[4] = sorted(meta[4], key=lambda sort: sort[0])
        payload = cbor2.dumps(meta)
        meta_path.unlink()
        info["hash"] = _content_name(language, payload, 10, bundle, ".pf_meta", prefix="pagefind.")
        _write_index_file(bundle / f"pagefind.{info['hash']}.pf_meta", payload)
    entry_path.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":"), sort_keys=True),
                          encoding="utf-8")


def _field(mapping: object, key: str, kind: type) -> object:
    value = mapping.get(key) if isinstance(mapping, dict) else None
    if not isinstance(value, kind):
        raise BundleFormatError(f"pagefind-entry.json: no {key}")
    return value


def _pairs(value: object, second: type) -> bool:
    """A list of [name, <second>] pairs with distinct names."""
    if not isinstance(value, list) or not all(
            isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) and isinstance(p[1], second) for p in value):
        return False
    return len({p[0] for p in value}) == len(value)


def _read_cbor(path: Path, cbor2) -> object:
    try:
        raw = path.read_bytes()
        data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
        if not data.startswith(_PREFIX):
            raise BundleFormatError(f"{path.name}: not a Pagefind index file")
        return cbor2.loads(data[len(_PREFIX):])
    except (OSError, EOFError, gzip.BadGzipFile, cbor2.CBORDecodeError) as exc:
        raise BundleFormatError(f"{path.name}: {exc}") from None


def _write_index_file(path: Path, payload: bytes) -> None:
    # mtime=0: the gzip header must not carry the build's clock.
    path.write_bytes(gzip.compress(_PREFIX + payload, compresslevel=9, mtime=0))


def _content_name(language: str, payload: bytes, length: int, folder: Path, suffix: str, prefix: str = "") -> str:
    """`<language>_<hash>`, Pagefind's naming, lengthened while it would clash with a file."""
    full = hashlib.sha256(payload).hexdigest()
    for size in range(length, len(full) + 1):
        name = f"{language}_{full[:size]}"
        if not (folder / f"{prefix}{name}{suffix}").exists():
            return name
    raise BundleFormatError(f"cannot name {language} {suffix} file")
