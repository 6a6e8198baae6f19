"""Command line: build | serve | import."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TextIO

from .build import BuildOptions, build
from .diagnostics import Diagnostic
from .fsguard import escape_name
from .importers.registry import FormatChoices
from .output import out_dir_problem
from .search import OFF_NOTE

COMMANDS = ("build", "serve", "import")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="build.py", description="Build an annotated news digest into a static site.")
    commands = parser.add_subparsers(dest="command", metavar="{build,serve,import}")

    b = commands.add_parser("build", help="render the site into public/ (the default command)")
    _site_options(b)
    b.add_argument("--out", type=Path, help="output folder (default: SITE/public)")
    b.add_argument("--base-url", help="absolute URL the site is served from (overrides site.yaml)")
    b.add_argument("--drafts", action="store_true", help="include articles marked `draft: true`")
    b.add_argument("--strict", action="store_true", help="treat warnings as errors")
    b.add_argument("--quiet", action="store_true", help="print only problems and the summary")
    b.add_argument("--no-search", action="store_true", help="skip the search index (Pagefind) for a quicker build")
    b.add_argument("--jobs", type=_positive_int, default=None, metavar="N",
                   help="worker processes for large builds (default: all cores)")

    s = commands.add_parser("serve", help="build, serve on localhost and rebuild on every change")
    _site_options(s)
    s.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    s.add_argument("--port", type=int, default=5500, help="port (default: 5500)")
    s.add_argument("--open", action="store_true", help="open the site in a browser")
    s.add_argument("--no-drafts", action="store_true", help="hide drafts (shown by default while previewing)")
    s.add_argument("--search", action="store_true", help="build the search index too (off in the preview: it re-indexes "
                   "every article after each edit)")
    s.add_argument("--out", type=Path, help="folder for the preview files (default: SITE/.cache/preview-PORT; "
                   "public/ is left to `build`)")

    i = commands.add_parser("import", help="convert scraped text, saved HTML pages or feeds into content/")
    i.add_argument("sources", nargs="+", type=Path, metavar="SOURCE", help="file or folder to import")
    _site_options(i)
    i.add_argument("--format", choices=FormatChoices(), default="auto", metavar="FORMAT", help="%(choices)s (default: auto, detected from each file's content)")
    i.add_argument("--tag", action="append", default=[], metavar="TAG", help="add this tag to every imported article")
    i.add_argument("--force", action="store_true", help="replace a content file recognised as the same article (never a hand-written one)")
    i.add_argument("--dry-run", action="store_true", help="show what would be written, write nothing")
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _site_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", type=Path, default=Path("."), help="site folder holding site.yaml and content/ (default: .)")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        argv.insert(0, "build")
    args = _parser().parse_args(argv)
    if getattr(args, "out", None) is not None:
        problem = out_dir_problem(args.out, args.site)
        if problem:
            shown = escape_name(str(args.out))
            shown = shown if len(shown) <= 100 else f"{shown[:48]}…{shown[-48:]}"
            print(f"error: --out {shown}: {problem}", file=sys.stderr)
            return 2
    if args.command == "build":
        return run_build(args)
    if args.command == "serve":
        from .serve import serve

        return serve(args)
    from .importers import run_import

    return run_import(args.sources, args.site, fmt=args.format, extra_tags=args.tag, force=args.force, dry_run=args.dry_run)


def run_build(args: argparse.Namespace) -> int:
    options = BuildOptions(site=args.site, out=args.out, base_url=args.base_url, drafts=args.drafts, strict=args.strict,
                           search=not args.no_search)
    progress = ProgressLine(sys.stderr) if not args.quiet and sys.stderr.isatty() else None
    result = build(options, jobs=args.jobs, progress=progress)
    if progress:
        progress.clear()
    prefix = display_prefix(args.site)
    for diagnostic in result.diagnostics:
        print(format_diagnostic(diagnostic, prefix), file=sys.stderr)
    if result.ok and not result.search and not args.no_search:
        print(OFF_NOTE)
    print(result.summary(), file=sys.stderr if not result.ok else sys.stdout)
    return 0 if result.ok else 1


class ProgressLine:
    """A one-line progress display on a terminal, shown only once a build has taken a second."""

    def __init__(self, stream: TextIO, delay: float = 1.0):
        self.stream, self.started, self.delay = stream, time.monotonic(), delay
        self.last = 0.0
        self.shown = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.started < self.delay or (now - self.last < 0.1 and done < total):
            return
        self.last, self.shown = now, True
        width = 30
        filled = width * done // max(total, 1)
        self.stream.write(f"\r{stage:>8} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}\x1b[K")
        self.stream.flush()

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def display_prefix(site: Path) -> str:
    """Messages name files as the user would type them from the current folder."""
    try:
        rel = os.path.relpath(site.resolve(), Path.cwd())
    except ValueError:
        rel = str(site.resolve())
    return "" if rel == "." else rel.rstrip("/") + "/"


def format_diagnostic(diagnostic: Diagnostic, prefix: str = "") -> str:
    if prefix and not os.path.isabs(diagnostic.path):
        diagnostic = Diagnostic(prefix + diagnostic.path, diagnostic.line, diagnostic.level, diagnostic.message)
    return diagnostic.format()
