"""In-process engine probes, each run in a fresh process by run.py so RSS is its own.

    python bench/probes.py related --n 50000 --seed 1
    python bench/probes.py serve --site DIR --out DIR --article content/x.md --page P

Each prints one JSON line on stdout: {"seconds": ...} or {"unavailable": "why"}.
They call engine APIs that may not exist yet; a missing API is reported, never a crash.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# ---------------------------------------------------------------------------------------
# SERVE HOOK. The serve rebuild (issue 5: "time from saving one article to the rebuilt
# page being on disk") is timed in-process through serve_rebuilder() below, which drives
# the engine the way `build.py serve` does: one long-lived digest.serve.Rebuilder, told
# which files changed. If the engine renames that, change serve_rebuilder(); nothing else
# here needs to know.
# ---------------------------------------------------------------------------------------
RELATED_HOOK = ("digest.related", "related_by_tags")


def _emit(**data: object) -> int:
    print(json.dumps(data))
    return 0


def _hook(module: str, name: str) -> object | None:
    try:
        mod = __import__(module, fromlist=[name])
    except ImportError:
        return None
    return getattr(mod, name, None)


def auto_related(fn, articles: list) -> dict[str, list[str]]:
    """The engine's pure function (slug -> tags, slug -> date, explicit links excluded) over the
    corpus generator's article objects, prepared as digest.site prepares its stories."""
    tags = {a.slug: [" ".join(str(t).split()).casefold() for t in a.tags] for a in articles}
    dates = {a.slug: a.date for a in articles}
    exclude = {a.slug: [t for t in (str(getattr(r, "target", r)) for r in (getattr(a, "related", None) or ())) if t in tags]
               for a in articles}
    return fn(tags, dates, limit=5, max_share=0.25, exclude=exclude)


def related(n: int, seed: int) -> int:
    fn = _hook(*RELATED_HOOK)
    if fn is None or not callable(fn):
        return _emit(unavailable="not available in this engine version")
    from bench.corpus import generate

    articles = generate(n, seed)
    start = time.perf_counter()
    try:
        result = auto_related(fn, articles)
    except TypeError as e:
        return _emit(unavailable=f"related_by_tags{inspect.signature(fn)} rejected the call: {e}")
    seconds = time.perf_counter() - start
    size = len(result) if hasattr(result, "__len__") else None
    return _emit(seconds=seconds, articles=n, result_size=size)


def serve_rebuilder(site: Path, out: Path) -> Callable[[list[Path]], object]:
    """The rebuild serve runs after a save, for timing in-process. The initial build happens
    here, untimed, as a running server would have done it. Raises ImportError if this engine
    version has no serve Rebuilder."""
    from digest.build import BuildOptions
    from digest.serve import Rebuilder

    rebuilder = Rebuilder(BuildOptions(site=site, out=out, drafts=True, search=False))  # as `serve` runs
    rebuilder.rebuild(None)
    root = site.resolve()

    def rebuild(changed: list[Path]) -> object:
        rels = []
        for path in changed:
            full = Path(path).resolve()  # as given (absolute or from the current folder), else in the site
            if not full.is_relative_to(root):
                full = (site / path).resolve()
            rels.append(full.relative_to(root).as_posix() if full.is_relative_to(root) else str(full))
        return rebuilder.rebuild(rels)

    return rebuild


def serve(site: Path, out: Path, article: Path, page: Path) -> int:
    try:
        rebuild = serve_rebuilder(site, out)
    except ImportError as e:
        return _emit(unavailable=f"not available in this engine version ({e})")
    original = article.read_text()
    marker = f"Serve probe marker {time.time_ns()}."
    try:
        article.write_text(original.replace("\n---\n\n", f"\n---\n\n{marker}\n\n", 1))
        start = time.perf_counter()
        rebuild([article])
        # Page on disk with the new text is the end point, however the engine schedules.
        while marker not in page.read_text(errors="replace"):
            if time.perf_counter() - start > 30:
                return _emit(unavailable="page did not change within 30 s")
            time.sleep(0.001)
        seconds = time.perf_counter() - start
    finally:
        article.write_text(original)
    return _emit(seconds=seconds)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="probe", required=True)
    r = sub.add_parser("related")
    r.add_argument("--n", type=int, default=50000)
    r.add_argument("--seed", type=int, default=1)
    s = sub.add_parser("serve")
    for name in ("--site", "--out", "--article", "--page"):
        s.add_argument(name, type=Path, required=True)
    args = ap.parse_args(argv)
    if args.probe == "related":
        return related(args.n, args.seed)
    return serve(args.site, args.out, args.article, args.page)


if __name__ == "__main__":
    raise SystemExit(main())
