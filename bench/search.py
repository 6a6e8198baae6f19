"""What search costs: the Pagefind stage of a build, with and without it, at N articles.

    python bench/search.py [--n 1000] [--repeat 3]

Runs in-process on a corpus from bench/corpus.py (in bench/work/search-<N>/), each case with a
fresh output folder:

- cold build, search on / search off (PAGEFIND_BINARY_PATH pointing at nothing);
- serve rebuild after a one-sentence body edit (one `Rebuilder` kept, as `serve` keeps it), on / off;
- serve rebuild after an edit that changes no article page (`tags.per_page`): the index is kept.

"search stage" is the wall time inside digest.search.index_site (linking the pages, running
Pagefind, sorting its output, staging the files); "Pagefind CPU" the CPU seconds of the Pagefind
process, which a busy machine does not inflate. Medians of --repeat runs, in seconds.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import corpus
from digest import search
from digest.build import BuildOptions, pages
from digest.serve import Rebuilder

stage_seconds: list[float] = []
pagefind_cpu: list[float] = []
_index_site = pages.index_site


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed_index_site(*args, **kwargs):
    started, cpu = time.perf_counter(), _children_cpu()
    try:
        return _index_site(*args, **kwargs)
    finally:
        stage_seconds.append(time.perf_counter() - started)
        pagefind_cpu.append(_children_cpu() - cpu)


pages.index_site = _timed_index_site


def _site(n: int, seed: int) -> Path:
    site = ROOT / "bench" / "work" / f"search-{n}"
    stamp = site / ".generated"
    if not stamp.exists() or stamp.read_text() != f"{n} {seed}":
        shutil.rmtree(site, ignore_errors=True)
        corpus.write_digest(site, corpus.generate(n, seed))
        stamp.write_text(f"{n} {seed}")
    return site


def _run(site: Path, search_on: bool) -> dict[str, float]:
    out = site / "out"
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(site / ".cache", ignore_errors=True)
    if search_on:
        os.environ.pop("PAGEFIND_BINARY_PATH", None)
    else:
        os.environ["PAGEFIND_BINARY_PATH"] = "/nonexistent/pagefind"
    times: dict[str, float] = {}
    serve = Rebuilder(BuildOptions(site=site, out=out))
    stage_seconds.clear()

    def timed(name: str, action=None, changed: list[str] | None = None) -> None:
        if action:
            action()
        stage_seconds.clear()
        pagefind_cpu.clear()
        started = time.perf_counter()
        result = serve.rebuild(changed)
        times[name] = time.perf_counter() - started
        times[name + " (search stage)"] = sum(stage_seconds)
        times[name + " (Pagefind CPU)"] = sum(pagefind_cpu)
        assert result.ok, [d.format() for d in result.diagnostics]

    story = sorted((site / "content").glob("*.md"))[len(list((site / "content").glob("*.md"))) // 2]
    original = story.read_text()
    yaml = site / "site.yaml"
    original_yaml = yaml.read_text()
    try:
        timed("cold build")
        timed("body edit", lambda: story.write_text(original.rstrip("\n") + f"\n\nAn added sentence {time.time()}.\n"),
              [story.relative_to(site).as_posix()])
        timed("listing-only edit", lambda: yaml.write_text(original_yaml + "tags:\n  per_page: 7\n"), ["site.yaml"])
    finally:
        story.write_text(original)
        yaml.write_text(original_yaml)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if search.find_indexer() is None:
        print("pagefind is not installed: pip install -r requirements.txt", file=sys.stderr)
        return 2
    site = _site(args.n, args.seed)
    samples: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.repeat):
        for mode, on in (("on", True), ("off", False)):
            for name, seconds in _run(site, on).items():
                samples.setdefault((name, mode), []).append(seconds)
    print(f"N = {args.n}, median of {args.repeat} (seconds)")
    print(f"{'':34} {'search on':>10} {'search off':>10}")
    for name in dict.fromkeys(name for name, _ in samples):
        on, off = (statistics.median(samples[(name, mode)]) for mode in ("on", "off"))
        print(f"{name:34} {on:10.3f} {off:10.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
