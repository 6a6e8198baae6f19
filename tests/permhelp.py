"""Running the build where file permissions bind, even when the tests run as root (as in CI).

Root reads and writes anything whatever the mode bits, so a chmod 000 file proves nothing there. As
root, the build runs under setpriv without the two capabilities that override permission checks
(CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH): it is still root, but mode bits apply to it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import REPO

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
