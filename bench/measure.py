"""Run one command and measure its wall time and memory, the way every row is measured.

Memory is taken two ways because they answer different questions:
- `max_rss_mb`: ru_maxrss — the largest single process of the run (the command or any
  child it waited for). Taken by `/usr/bin/time` when present: a child's ru_maxrss starts
  from its parent's RSS at fork (Linux keeps the high-water mark across fork and exec),
  so measured straight from this Python process every row would read >= ~25 MB. The
  tiny C wrapper's own ~2 MB is the only bias left. Without it, wait4() is the fallback.
- `tree_rss_mb`: the sum of RSS over the whole process tree, sampled every 20 ms. With
  `--jobs 2` two workers are alive at once; the machine pays for both, and ru_maxrss
  would report only the larger one. Sampling can miss a short spike, so it is a floor.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_PAGE = os.sysconf("SC_PAGE_SIZE")
TIME_BIN = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


@dataclass
class Run:
    seconds: float
    cpu_seconds: float  # user + system of the whole tree: robust to other load, unlike wall
    max_rss_mb: float
    tree_rss_mb: float
    returncode: int
    output: str


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids.extend(int(k) for k in f.read().split())
    except OSError:
        pass  # the process ended between listing and reading: nothing to add
    return kids


def tree_rss_bytes(pid: int) -> int:
    """Resident bytes of pid and all its descendants right now (0 once it is gone)."""
    total = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * _PAGE
        except OSError:
            continue
        stack.extend(_children(p))
    return total


def run(cmd: Sequence[str | os.PathLike[str]], cwd: Path | None = None,
        env: dict[str, str] | None = None, sample: bool = True) -> Run:
    """Run cmd to completion; output (stdout+stderr) is kept for error messages only."""
    tmp = Path(os.environ.get("TMPDIR", "/tmp"))
    out_path = tmp / f"bench-run-{os.getpid()}.log"
    rss_path = tmp / f"bench-rss-{os.getpid()}.txt"
    argv = [str(c) for c in cmd]
    if TIME_BIN:
        argv = [TIME_BIN, "-q", "-f", "%M", "-o", str(rss_path), *argv]
    peak = 0
    done = threading.Event()
    with open(out_path, "w+b") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

        def sampler() -> None:
            nonlocal peak
            while not done.wait(0.02):
                peak = max(peak, tree_rss_bytes(proc.pid))

        thread = threading.Thread(target=sampler, daemon=True)
        if sample:
            thread.start()
        # wait4 rather than Popen.wait: it hands back the child's rusage, including the
        # max RSS of the grandchildren it reaped (multiprocessing workers).
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        done.set()
        proc.returncode = os.waitstatus_to_exitcode(status)
        if sample:
            thread.join()
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    out_path.unlink(missing_ok=True)
    max_rss = usage.ru_maxrss / 1024  # Linux reports KiB
    if TIME_BIN:
        try:
            max_rss = int(rss_path.read_text().split()[-1]) / 1024
        except (OSError, ValueError, IndexError):
            pass  # time could not write it (command not found, killed): keep wait4's
        rss_path.unlink(missing_ok=True)
    cpu = usage.ru_utime + usage.ru_stime  # wait4 counts reaped descendants too
    return Run(elapsed, cpu, max_rss, max(peak / 2**20, max_rss), proc.returncode, text)
