"""Floor: parse every article's front-matter (libyaml) and Markdown, write nothing.

No Python engine can build the site faster than this (it must at least do this work),
so our cold build divided by this number is the engine's own overhead.

    python bench/floors.py CONTENT_DIR [--procs 2]
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
from pathlib import Path

import markdown
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def engine_extensions() -> list[str]:
    """The Markdown extensions the engine enables by default: the floor must do the same
    work (smarty and extra add a regex pass per inline pattern, ~2x plain Markdown)."""
    try:
        from digest.config import DEFAULT_MARKDOWN_EXTENSIONS
    except ImportError:
        return ["footnotes"]
    return list(DEFAULT_MARKDOWN_EXTENSIONS)


try:
    Loader = yaml.CSafeLoader
except AttributeError:  # PyYAML without libyaml: still runs, but the floor is not the floor
    Loader = yaml.SafeLoader  # type: ignore[assignment,misc]


def parse_files(paths: list[str], extensions: list[str]) -> int:
    """Parse each file; returns the HTML size so the work cannot be optimised away."""
    md = markdown.Markdown(extensions=extensions)
    total = 0
    for path in paths:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        _, front, body = text.split("---\n", 2)
        meta = yaml.load(front, Loader=Loader)
        total += len(md.reset().convert(body)) + len(meta)
    return total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("content", type=Path)
    ap.add_argument("--procs", type=int, default=1)
    ap.add_argument("--extensions", help="comma-separated (default: the engine's defaults)")
    args = ap.parse_args(argv)
    exts = args.extensions.split(",") if args.extensions else engine_extensions()
    paths = sorted(str(p) for p in args.content.glob("*.md"))
    if args.procs == 1:
        total = parse_files(paths, exts)
    else:
        # Interleaved chunks so each worker gets the same mix of long and short articles.
        chunks = [paths[i :: args.procs] for i in range(args.procs)]
        with multiprocessing.get_context("fork").Pool(args.procs) as pool:
            total = sum(pool.starmap(parse_files, [(c, exts) for c in chunks]))
    print(f"{len(paths)} files, {total} bytes of HTML, extensions {','.join(exts)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
