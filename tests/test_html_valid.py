"""Every HTML page of the example digest passes the W3C Nu HTML Checker (vnu.jar)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import nu_checker_jar


def test_pages_are_valid_html5(built_example: Path, tmp_path: Path) -> None:
    jar = nu_checker_jar()
    pages = sorted(str(p) for p in built_example.rglob("*.html"))
    assert len(pages) > 30
    result = subprocess.run(
        ["java", "-Xss4m", "-jar", str(jar), "--errors-only", "--format", "gnu", *pages],
        check=False, capture_output=True, text=True, timeout=300,
    )
    report = (result.stdout + result.stderr).strip()
    assert result.returncode == 0 and report == "", report
    print(f"{len(pages)} pages valid", file=sys.stderr)
