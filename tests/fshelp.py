"""Helpers for tests of odd files: a build that cannot hang the test run, and a build that file
permissions bind even when the tests run as root (as in CI).

Root reads and writes anything whatever the mode bits, so a chmod 000 file proves nothing there. As
root, the build runs under setpriv without the two capabilities that override permission checks
(CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH): it is still root, but mode bits apply to it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from .conftest import REPO, Run, build

HANG_GUARD_SECONDS = 60  # the builds in these tests take well under a second


def build_or_fail(site: Path, *extra: str) -> Run:
    """Build in-process, failing (not hanging) if the build blocks, as reading a FIFO would."""
    outcome: list[Run] = []
    worker = threading.Thread(target=lambda: outcome.append(build(site, *extra)), daemon=True)
    worker.start()
    worker.join(HANG_GUARD_SECONDS)
    if worker.is_alive():
        for fifo in (p for p in site.rglob("*") if stat.S_ISFIFO(p.lstat().st_mode)):
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # release a blocked reader
        worker.join(5)
        pytest.fail(f"the build did not finish in {HANG_GUARD_SECONDS}s: something blocked it")
    return outcome[0]

DROP = "-dac_override,-dac_read_search"


def permissions_unbound_reason() -> str | None:
    """Why this machine cannot run a build that mode bits bind (None: it can)."""
    if os.geteuid() != 0:
        return None
    if shutil.which("setpriv") is None:
        return "running as root without setpriv (util-linux) to drop the capabilities that ignore file modes"
    return None


def run_bound(argv: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """`python build.py ARGV` as a process that file modes bind."""
    command = [sys.executable, str(REPO / "build.py"), *argv]
    if os.geteuid() == 0:
        command = ["setpriv", f"--inh-caps={DROP}", f"--bounding-set={DROP}", *command]
    return subprocess.run(command, check=False, cwd=cwd, capture_output=True, text=True, timeout=timeout)
