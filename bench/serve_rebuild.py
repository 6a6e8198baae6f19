"""Preview latency: time from saving one article to its rebuilt page being on disk, with
`build.py serve` running on a synthetic site (5,000 articles by default).

    python bench/serve_rebuild.py [--articles 5000] [--repeat 5]

Uses bench/corpus.py's generator when it is present, otherwise a simple one of its own. The site,
the preview output and the server's log live in bench/work/serve-<N>/. The clock starts when the
edited file has been written and closed, and stops when the article's page in the preview folder
holds the new text (polled every 5 ms), so it includes the watcher's detection delay.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench" / "work"
WORDS = ["port", "harbour", "council", "budget", "water", "reservoir", "grid", "outage", "strike", "union", "talks", "deal", "ministry", "report", "officials", "residents", "pressure", "ban", "supply", "energy", "prices", "jobs", "vote", "plan", "delay", "record"]


def make_site(site: Path, n: int, seed: int) -> list[str]:
    """Write site.yaml + content/ (only if not already there for this N) and return the slugs."""
    try:
        sys.path.insert(0, str(ROOT))
        from bench import corpus  # the shared generator, once it is on this branch
    except ImportError:
        corpus = None
    stamp = site / ".generated"
    if corpus is not None:
        articles = corpus.generate(n, seed)
        if not stamp.exists() or stamp.read_text() != f"corpus {n} {seed}":
            corpus.write_digest(site, articles)
            stamp.write_text(f"corpus {n} {seed}")
        return [a.slug for a in articles]
    slugs = [f"story-{i:05d}" for i in range(n)]
    if stamp.exists() and stamp.read_text() == f"simple {n} {seed}":
        return slugs
    rng = random.Random(seed)
    content = site / "content"
    content.mkdir(parents=True, exist_ok=True)
    (site / "site.yaml").write_text("title: Bench digest\nbase_url: https://bench.example.org/\ntimezone: UTC\n")
    tags = [f"topic {i}" for i in range(300)]
    for i, slug in enumerate(slugs):
        day = 1 + i * 365 // n
        words = [rng.choice(WORDS) for _ in range(600)]
        paragraphs = "\n\n".join(" ".join(words[k:k + 60]).capitalize() + "." for k in range(0, 600, 60))
        related = f"related: [{slugs[i - 1]}]\n" if i else ""
        (content / f"{slug}.md").write_text(
            f"---\ntitle: \"Story {i}: {' '.join(words[:6])}\"\n"
            f"date: 2025-{1 + (day - 1) // 31 % 12:02d}-{1 + (day - 1) % 28:02d}T{i % 24:02d}:00:00\n"
            f"tags: [{', '.join(sorted(set(rng.sample(tags, 3))))}]\n{related}---\n\n{paragraphs}\n"
        )
    stamp.write_text(f"simple {n} {seed}")
    return slugs


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait(check, timeout: float, what: str, step: float = 0.005):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(step)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    base = WORK / f"serve-{args.articles}"
    site, out = base / "site", base / "preview"
    base.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    slugs = make_site(site, args.articles, args.seed)
    print(f"site: {args.articles} articles in {site} ({time.perf_counter() - started:.1f}s to prepare)", flush=True)

    port = free_port()
    log_path = base / "serve.log"
    with log_path.open("wb") as log:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "serve", "--site", str(site), "--port", str(port),
                                 "--out", str(out)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            def builds() -> int:
                text = log_path.read_text(errors="replace")
                if proc.poll() is not None:
                    raise SystemExit(f"serve exited with {proc.returncode}:\n{text[-2000:]}")
                if "build failed" in text:
                    raise SystemExit(f"the synthetic site does not build:\n{text[-2000:]}")
                return len(re.findall(r"^built ", text, re.MULTILINE))

            wait(lambda: builds() >= 1, 1800, "the first build", step=0.1)
            print(f"first build with serve running: {time.perf_counter() - started:.1f}s", flush=True)
            rng = random.Random(args.seed)
            timings = []
            for i in range(args.repeat):
                slug = slugs[len(slugs) // 2 + rng.randrange(-len(slugs) // 4, len(slugs) // 4 or 1)]
                source, page = site / "content" / f"{slug}.md", out / "articles" / slug / "index.html"
                marker = f"bench-edit-{time.time_ns()}"
                done = builds()
                text = source.read_text()
                head, sep, body = text.partition("\n---\n")
                time.sleep(0.5)  # let the watcher settle, as an editor's saves are seconds apart
                with source.open("w") as f:
                    f.write(f"{head}{sep}\n{marker}\n{body}")
                saved = time.perf_counter()
                wait(lambda page=page, marker=marker: page.is_file() and marker in page.read_text(errors="replace"),
                     600, f"{page} to show the edit")
                timings.append(time.perf_counter() - saved)
                wait(lambda done=done: builds() > done, 600, "the rebuild to finish", step=0.05)
                print(f"  save {i + 1}: {slug}: {timings[-1]:.3f}s", flush=True)
                source.write_text(text)  # put it back (rebuilt in the background; the next round waits for it)
                wait(lambda done=done: builds() > done + 1, 600, "the restoring rebuild", step=0.05)
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(120)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(f"serve: save -> rebuilt page on disk, {args.articles} articles: median {statistics.median(timings):.2f}s "
          f"(min {min(timings):.2f}s, max {max(timings):.2f}s, {len(timings)} saves; {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
