"""Benchmark harness for issue 7: our build against its floors and its peers.

    python bench/run.py --n 5000 [--peers] [--large] [--related-50k] [--write-readme]

Sizes: every standard size (1,000 and 5,000) up to --n, plus --n itself, plus 20,000 with
--large. Everything is generated under bench/work/ (git-ignored) and reused while
(N, seed, generator source) match. Heavy runs go strictly one after another: the machine
has 2 cores and timing two things at once would measure neither.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WORK = BENCH / "work"
sys.path.insert(0, str(ROOT))

# Imported after the sys.path insert: run as a script, only bench/ would be on the path.
from bench import corpus
from bench.measure import Run, run

STANDARD_SIZES = (1000, 5000)
LARGE = 20000
PELICAN_VENV = WORK / "venv-pelican"


@dataclass
class Row:
    """All samples of one measurement at one N; the table shows medians."""

    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    max_rss_mb: list[float] = field(default_factory=list)
    tree_rss_mb: list[float] = field(default_factory=list)
    note: str = ""

    def add(self, r: Run) -> None:
        self.seconds.append(r.seconds)
        self.cpu_seconds.append(r.cpu_seconds)
        self.max_rss_mb.append(r.max_rss_mb)
        self.tree_rss_mb.append(r.tree_rss_mb)

    @property
    def median(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds else None

    @property
    def cpu(self) -> float | None:
        return statistics.median(self.cpu_seconds) if self.cpu_seconds else None

    @property
    def rss(self) -> float | None:
        # Whole-tree peak: what the machine has to have, workers included.
        return max(self.tree_rss_mb) if self.tree_rss_mb else None


Results = dict[int, dict[str, Row]]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- corpus -------------------------------------------------------------------------


def prepare(n: int, seed: int, peers: bool) -> Path:
    """bench/work/n<N>-s<seed>/ with site/, pelican/, hugo/; regenerated only when stale."""
    base = WORK / f"n{n}-s{seed}"
    stamp = base / "corpus.json"
    want = {"n": n, "seed": seed, "generator": corpus.generator_fingerprint()}
    have = json.loads(stamp.read_text()) if stamp.exists() else {}
    needed = ["site"] + (["pelican", "hugo"] if peers else [])
    if {k: have.get(k) for k in want} == want and all(k in have.get("formats", []) for k in needed):
        return base
    log(f"generating corpus N={n} seed={seed} ({', '.join(needed)})")
    start = time.perf_counter()
    articles = corpus.generate(n, seed)
    corpus.write_digest(base / "site", articles)
    if peers:
        corpus.write_pelican(base / "pelican", articles)
        corpus.write_hugo(base / "hugo", articles)
    stamp.write_text(json.dumps({**want, "formats": needed}))
    log(f"  generated in {time.perf_counter() - start:.1f} s")
    return base


def edit_target(n: int, seed: int) -> corpus.Article:
    # The middle article: neither the newest (on every index page) nor the oldest.
    return corpus.generate(n, seed)[n // 2]


# --- our engine ---------------------------------------------------------------------


def engine_available() -> str | None:
    """None if our build can run, else why not."""
    if not (ROOT / "build.py").exists():
        return "engine not available on this branch (no build.py)"
    return None


def ours_cmd(site: Path, out: Path, jobs: int | None, search: bool = False) -> list[str]:
    """Our build; the engine's rows without the search index (Pagefind, a separate program run
    after the build), which one row of its own measures."""
    cmd = [sys.executable, str(ROOT / "build.py"), "build", "--site", str(site), "--out", str(out), "--quiet"]
    if not search:
        cmd.append("--no-search")
    return cmd + (["--jobs", str(jobs)] if jobs else [])


TRASH = WORK / "trash"


def clear(*paths: Path) -> None:
    """Get output folders out of the way before a cold run, in O(1).

    Deleting is slow on this disk (~2.5 ms per file or folder: 25 s for a 5,000-article
    site), so folders are renamed into bench/work/trash/ and deleted once at the end,
    when no measurement is running.
    """
    TRASH.mkdir(parents=True, exist_ok=True)
    for p in paths:
        if p.is_dir():
            p.rename(TRASH / f"{p.name}-{time.time_ns()}")
        elif p.exists():
            p.unlink()


def empty_trash() -> None:
    if TRASH.exists():
        log("deleting old outputs (bench/work/trash)")
        shutil.rmtree(TRASH, ignore_errors=True)


def checked(r: Run, what: str) -> Run:
    if r.returncode != 0:
        tail = "\n".join(r.output.splitlines()[-20:])
        raise RuntimeError(f"{what} failed with exit {r.returncode}:\n{tail}")
    return r


def find_page(out: Path, art: corpus.Article) -> Path | None:
    """The article's page, wherever the engine's URL scheme puts it."""
    candidates = [p for p in out.rglob("*.html") if art.slug in p.as_posix()]
    for p in sorted(candidates, key=lambda p: len(p.as_posix())):
        if art.title in p.read_text(errors="replace"):
            return p
    return None


def bench_ours(base: Path, n: int, seed: int, repeat: int, jobs: int | None, res: dict[str, Row]) -> None:
    site, out = base / "site", base / "out"
    # The engine keeps its cache in <site>/.cache (see ARCHITECTURE: cache.py); a cold
    # build starts with neither cache nor output. The OS page cache stays warm: dropping
    # it needs root-wide effects on a shared machine, and peers get the same treatment.
    caches = [site / ".cache", ROOT / ".cache"]
    # Files just written by the generator are all "modified within the last clock tick" of the
    # first build, which (rightly) keeps any build from trusting their size and time alone; an
    # editor's site is not written in the same second it is built. Date them an hour back.
    hour_ago = time.time_ns() - 3_600_000_000_000
    for path in (site / "content").rglob("*.md"):
        os.utime(path, ns=(hour_ago, hour_ago))
    os.utime(site / "site.yaml", ns=(hour_ago, hour_ago))
    art = edit_target(n, seed)
    article = site / "content" / f"{art.slug}.md"
    original = article.read_text()
    page: Path | None = None
    try:
        for i in range(repeat):
            clear(out, *caches)
            res.setdefault("ours-cold", Row()).add(checked(run(ours_cmd(site, out, jobs), cwd=ROOT), "cold build"))
            res.setdefault("ours-nochange", Row()).add(checked(run(ours_cmd(site, out, jobs), cwd=ROOT), "no-change rebuild"))
            page = page or find_page(out, art)
            marker = f"Bench edit marker {i} {time.time_ns()}."
            article.write_text(original.replace("\n---\n\n", f"\n---\n\n{marker}\n\n", 1))
            r = checked(run(ours_cmd(site, out, jobs), cwd=ROOT), "edit rebuild")
            row = res.setdefault("ours-edit", Row())
            row.add(r)
            # The build having exited is not enough: the page must hold the new text.
            if page is None or marker not in page.read_text(errors="replace"):
                row.note = "edited page not found or not updated"
            article.write_text(original)
            # As at generation: the next cold build must not start within the clock's racy window of a
            # save (RACY_NS, 2 s), or its no-change rebuild rightly refuses to trust size and time alone.
            time.sleep(2.5)
            log(f"  ours N={n} #{i + 1}: cold {res['ours-cold'].seconds[-1]:.2f} s, "
                f"no-change {res['ours-nochange'].seconds[-1]:.2f} s, edit {r.seconds * 1000:.0f} ms")
        clear(out, *caches)  # once: the cold build with the search index as well
        res.setdefault("ours-cold-search", Row()).add(checked(run(ours_cmd(site, out, jobs, search=True), cwd=ROOT),
                                                              "cold build with search"))
    finally:
        article.write_text(original)
    if page is not None:
        probe_serve(site, out, article, page, repeat, res)


def probe_serve(site: Path, out: Path, article: Path, page: Path, repeat: int, res: dict[str, Row]) -> None:
    """Serve rebuild in-process (see serve_rebuilder in bench/probes.py)."""
    row = res.setdefault("ours-serve", Row())
    for _ in range(repeat):
        r = run([sys.executable, str(BENCH / "probes.py"), "serve", "--site", str(site), "--out", str(out),
                 "--article", str(article), "--page", str(page)], cwd=ROOT)
        data = _last_json(r.output)
        if "seconds" not in data:
            row.note = str(data.get("unavailable", r.output[-300:]))
            return
        row.seconds.append(float(data["seconds"]))
        row.max_rss_mb.append(r.max_rss_mb)
        row.tree_rss_mb.append(r.tree_rss_mb)


def _last_json(text: str) -> dict[str, object]:
    for line in reversed(text.splitlines()):
        if line.startswith("{"):
            try:
                return dict(json.loads(line))
            except ValueError:
                pass
    return {"unavailable": text.strip()[-300:] or "no output"}


# --- floors -------------------------------------------------------------------------


def bench_floors(base: Path, repeat: int, res: dict[str, Row]) -> None:
    content = base / "site" / "content"
    for procs in (1, 2):
        row = res.setdefault(f"floor-md-{procs}", Row())
        for _ in range(repeat):
            row.add(checked(run([sys.executable, str(BENCH / "floors.py"), str(content), "--procs", str(procs)]),
                            "floor"))
    row = res.setdefault("floor-cp", Row())
    target = base / "cp-target"
    for _ in range(repeat):
        clear(target)
        row.add(checked(run(["cp", "-r", str(content), str(target)], sample=False), "cp -r"))
    clear(target)
    # What any `python build.py` pays before reading a file: interpreter + our imports.
    row = res.setdefault("floor-startup", Row())
    for _ in range(repeat):
        row.add(checked(run([sys.executable, "-c", "import markdown, yaml, jinja2"]), "startup"))
    log(f"  floors: md 1p {res['floor-md-1'].median:.2f} s, 2p {res['floor-md-2'].median:.2f} s, "
        f"cp {res['floor-cp'].median:.2f} s")


# --- peers --------------------------------------------------------------------------


def pelican_bin() -> Path | None:
    """Pelican in its own venv (never in the project's environment), installed on demand."""
    exe = PELICAN_VENV / "bin" / "pelican"
    if exe.exists():
        return exe
    log("installing Pelican into bench/work/venv-pelican (once)")
    try:
        subprocess.run([sys.executable, "-m", "venv", str(PELICAN_VENV)], check=True)
        subprocess.run([str(PELICAN_VENV / "bin" / "pip"), "install", "-q", "pelican", "markdown"], check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        log(f"pelican: could not install ({e})")
        return None
    return exe if exe.exists() else None


def peer_version(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=30).stdout.strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "?"


def bench_peers(base: Path, n: int, repeat: int, res: dict[str, Row], versions: dict[str, str]) -> None:
    pelican = pelican_bin()
    if pelican is None:
        res["pelican-cold"] = Row(note="pelican: not installed")
    else:
        versions.setdefault("Pelican", peer_version([str(pelican), "--version"]))
        d = base / "pelican"
        cmd = [str(pelican), "content", "-s", "pelicanconf.py", "-o", "output", "-q"]
        for i in range(repeat):
            clear(d / "output", d / "cache")
            res.setdefault("pelican-cold", Row()).add(checked(run(cmd, cwd=d), "pelican cold"))
            # Second run: reads its content cache, as Pelican users run it day to day.
            res.setdefault("pelican-warm", Row()).add(checked(run(cmd, cwd=d), "pelican warm"))
            log(f"  pelican N={n} #{i + 1}: cold {res['pelican-cold'].seconds[-1]:.2f} s, "
                f"warm {res['pelican-warm'].seconds[-1]:.2f} s")
    hugo = shutil.which("hugo")
    if hugo is None:
        res["hugo-cold"] = Row(note="hugo: not installed")
        log("hugo: not installed")
        return
    versions.setdefault("Hugo", peer_version([hugo, "version"]))
    d = base / "hugo"
    for i in range(repeat):
        clear(d / "public", d / "resources")
        res.setdefault("hugo-cold", Row()).add(checked(run([hugo, "--quiet", "-d", "public"], cwd=d), "hugo"))
        log(f"  hugo N={n} #{i + 1}: {res['hugo-cold'].seconds[-1]:.2f} s")


def bench_related(seed: int, results: Results) -> None:
    r = run([sys.executable, str(BENCH / "probes.py"), "related", "--n", "50000", "--seed", str(seed)], cwd=ROOT)
    data = _last_json(r.output)
    row = results.setdefault(50000, {}).setdefault("related", Row())
    if "seconds" in data:
        row.seconds.append(float(data["seconds"]))
        # Includes generating 50,000 articles in the probe: an upper bound on its memory.
        row.max_rss_mb.append(r.max_rss_mb)
        row.tree_rss_mb.append(r.tree_rss_mb)
    else:
        row.note = str(data.get("unavailable"))
    log(f"  related @50k: {data}")


# --- report -------------------------------------------------------------------------

LABELS = {
    "ours-cold": "**digest**, cold build",
    "ours-cold-search": "**digest**, cold build with the search index (Pagefind), once",
    "ours-nochange": "**digest**, no-change rebuild",
    "ours-edit": "**digest**, one-article edit → page on disk (`build.py` process)",
    "ours-serve": "**digest**, serve rebuild → page on disk (in-process)",
    "pelican-cold": "Pelican, cold",
    "pelican-warm": "Pelican, with its content cache",
    "hugo-cold": "Hugo, cold",
    "floor-md-1": "Python-Markdown (engine's extensions) + libyaml alone, 1 process, nothing written",
    "floor-md-2": "Python-Markdown (engine's extensions) + libyaml alone, 2 processes, nothing written",
    "floor-cp": "`cp -r` of the content folder (file-system floor)",
    "floor-startup": "`python -c 'import markdown, yaml, jinja2'` (process start floor)",
}


def fmt_s(s: float | None) -> str:
    if s is None:
        return "–"
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"


def table(results: Results, sizes: list[int]) -> str:
    big = max(sizes)
    head = "| | " + " | ".join(f"N = {n:,}" for n in sizes) + f" | peak RSS at {big:,} | ms/article at {big:,} |"
    lines = [head, "|---" * (len(sizes) + 3) + "|"]
    for key, label in LABELS.items():
        rows = [results.get(n, {}).get(key) for n in sizes]
        if not any(rows):
            continue
        cells = []
        for row in rows:
            cell = fmt_s(row.median) if row else "–"
            if row and row.cpu is not None:
                cell += f" <sub>cpu {fmt_s(row.cpu)}</sub>"
            if row and row.note:
                cell = f"{cell} ({row.note})" if row.median is not None else row.note
            cells.append(cell)
        last = rows[-1]
        rss = f"{last.rss:.0f} MB" if last and last.rss else "–"
        per = f"{last.median / big * 1000:.2f}" if last and last.median is not None else "–"
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {rss} | {per} |")
    return "\n".join(lines)


def targets(results: Results, sizes: list[int]) -> str:
    """The issue's targets, checked on N = 5,000 (or the largest N measured).

    Judged on wall time, as the issue states them. A second column redoes the ratios on
    CPU time (user + system): on a shared machine other work inflates wall time unevenly
    between rows, CPU time much less. It is a proxy only: it charges Hugo for using both
    cores, which wall time rightly does not.
    """
    n = 5000 if 5000 in sizes else max(sizes)
    r = results.get(n, {})

    def med(key: str, cpu: bool = False) -> float | None:
        row = r.get(key)
        if row is None:
            return None
        return row.cpu if cpu else row.median

    def ratio(a: str, b: str, cpu: bool) -> float | None:
        x, y = med(a, cpu), med(b, cpu)
        return x / y if x and y else None

    lines = [f"| target (N = {n:,}) | measured (wall) | met? | on CPU time |", "|---|---|---|---|"]

    def show(value: float | None, unit: str) -> str:
        if value is None:
            return "–"
        return {"×": f"{value:.2f}×", "s": f"{value * 1000:.0f} ms", "MB": f"{value:.0f} MB",
                "%": f"{value * 100:+.0f} %"}[unit]

    def add(label: str, wall: float | None, cpu: float | None, ok: Callable[[float], bool],
            unit: str = "×") -> None:
        met = "–" if wall is None else "yes" if ok(wall) else "**no**"
        lines.append(f"| {label} | {show(wall, unit)} | {met} | {show(cpu, unit)} |")

    add("cold build ≤ 1.3× the 2-process Markdown + libyaml floor", ratio("ours-cold", "floor-md-2", False),
        ratio("ours-cold", "floor-md-2", True), lambda v: v <= 1.3)
    add("no-change rebuild ≤ 0.15× Hugo cold", ratio("ours-nochange", "hugo-cold", False),
        ratio("ours-nochange", "hugo-cold", True), lambda v: v <= 0.15)
    add("one-article edit → page on disk ≤ 0.5 s (fresh `build.py` process)", med("ours-edit"),
        med("ours-edit", True), lambda v: v <= 0.5, "s")
    add("one-article edit → page on disk ≤ 150 ms (serve, in-process)", med("ours-serve"), None,
        lambda v: v <= 0.15, "s")
    row = r.get("ours-cold")
    add("peak RSS ≤ 300 MB (cold, whole process tree)", row.rss if row else None, None,
        lambda v: v <= 300, "MB")

    def spread(cpu: bool) -> float | None:
        per = []
        for m in sizes:
            row = results.get(m, {}).get("ours-cold")
            t = (row.cpu if cpu else row.median) if row and m >= 1000 else None
            if t:
                per.append(t / m)
        return max(per) / min(per) - 1 if len(per) > 1 else None

    add("time per article flat from 1,000 to largest N (spread ≤ 20 %)", spread(False), spread(True),
        lambda v: v <= 0.2, "%")
    return "\n".join(lines)


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
        mem = f"{mem_kb / 2**20:.0f} GiB"
    except (OSError, AttributeError):
        mem = "?"
    return (f"{os.cpu_count()} cores ({cpu}), {mem} RAM, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def load_average() -> str:
    # The machine is shared: a reader must know whether anything else ran meanwhile.
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def report(results: Results, sizes: list[int], args: argparse.Namespace, versions: dict[str, str]) -> str:
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    parts = [
        f"### {today} — {machine()}",
        "",
        f"`python bench/run.py {' '.join(sys.argv[1:])}` — median of "
        + (f"{args.repeat} runs" if args.repeat else "3 runs (1 for N ≥ 20,000)")
        + f", seed {args.seed}"
        + (f", `--jobs {args.jobs}`" if args.jobs else "")
        + (". Peers: " + "; ".join(f"{k} {v}" for k, v in versions.items()) if versions else "")
        + f". Load average (1/5/15 min) at start {args.load_start}, at end {load_average()}.",
        "",
        table(results, sizes),
    ]
    busy = max(float(x) for x in (args.load_start.split("/")[0], load_average().split("/")[0]))
    if busy > (os.cpu_count() or 1):
        parts += ["", (f"**Caution:** the 1-minute load average reached {busy:.1f} on {os.cpu_count()} cores: "
                       "other work ran meanwhile, so wall times are inflated, unevenly between rows. "
                       "Ratios on CPU time (last column below) are the steadier reading; re-run on a quiet machine.")]
    if any("ours-cold" in results.get(n, {}) for n in sizes) or args.peers:
        parts += ["", targets(results, sizes)]
    rel = results.get(50000, {}).get("related")
    if rel:
        parts += ["", "Automatic relations at 50,000 articles (`digest.related.related_by_tags`, in-process): "
                  + (f"{fmt_s(rel.median)}, peak RSS {rel.rss:.0f} MB (the probe process, 50,000 generated articles included)"
                     if rel.median is not None and rel.rss else rel.note or "–")]
    return "\n".join(parts) + "\n"


def write_readme(text: str) -> None:
    readme = BENCH / "README.md"
    start, end = "<!-- results:start -->", "<!-- results:end -->"
    old = readme.read_text() if readme.exists() else f"# Benchmarks\n\n{start}\n{end}\n"
    if start not in old:
        old += f"\n{start}\n{end}\n"
    head, rest = old.split(start, 1)
    tail = rest.split(end, 1)[1]
    readme.write_text(f"{head}{start}\n{text}{end}{tail}")


def save(results: Results) -> None:
    data = {str(n): {k: asdict(v) for k, v in rows.items()} for n, rows in results.items()}
    (WORK / "results-latest.json").write_text(json.dumps(data, indent=1))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=5000, help="largest standard size (default 5000)")
    ap.add_argument("--sizes", type=int, nargs="+", help="exact sizes instead of the standard ones")
    ap.add_argument("--large", action="store_true", help=f"also N = {LARGE:,}")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, help="runs per measurement (default 3; 1 for N ≥ 20,000)")
    ap.add_argument("--jobs", type=int, help="passed to our build as --jobs")
    ap.add_argument("--peers", action="store_true", help="also Pelican (bench venv) and Hugo (if on PATH)")
    ap.add_argument("--no-ours", action="store_true", help="skip our engine (peers/floors only)")
    ap.add_argument("--no-floors", action="store_true", help="skip the floors")
    ap.add_argument("--related-50k", action="store_true", help="time automatic relations (related_by_tags) at 50,000")
    ap.add_argument("--write-readme", action="store_true", help="put the table into bench/README.md")
    args = ap.parse_args(argv)
    args.load_start = load_average()

    sizes = sorted(set(args.sizes) if args.sizes else {s for s in STANDARD_SIZES if s <= args.n} | {args.n})
    if args.large:
        sizes = sorted(set(sizes) | {LARGE})
    WORK.mkdir(parents=True, exist_ok=True)
    empty_trash()  # left over from an interrupted run
    results: Results = {}
    versions: dict[str, str] = {}
    why_not = None if not args.no_ours else "skipped (--no-ours)"
    why_not = why_not or engine_available()
    if why_not and not args.no_ours:
        log(f"ours: {why_not}")
    for n in sizes:
        repeat = args.repeat or (1 if n >= LARGE else 3)
        base = prepare(n, args.seed, args.peers)
        res = results.setdefault(n, {})
        if why_not is None:
            log(f"N={n}: our build ×{repeat}")
            bench_ours(base, n, args.seed, repeat, args.jobs, res)
        if not args.no_floors:
            log(f"N={n}: floors ×{repeat}")
            bench_floors(base, repeat, res)
        if args.peers:
            log(f"N={n}: peers ×{repeat}")
            bench_peers(base, n, repeat, res, versions)
        save(results)
    if args.related_50k:
        log("automatic relations at 50,000")
        bench_related(args.seed, results)
        save(results)
    text = report(results, sizes, args, versions)
    print(text, flush=True)
    if args.write_readme:
        write_readme(text)
        log("bench/README.md updated")
    empty_trash()  # minutes for a 5,000-article run: after the report, not before
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
