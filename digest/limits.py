"""Size limits on input, checked before the input is read.

`limits.max_file_size` in site.yaml bounds each content file, so a stray 50 MB file (a log, a
database dump saved as .md) is one clear error instead of minutes of Markdown and gigabytes of
memory. The check needs only the file's size from `stat`, never its bytes.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .diagnostics import Diagnostic

if TYPE_CHECKING:
    from .config import SiteConfig

# Portable file-system limits (POSIX NAME_MAX, Linux PATH_MAX): a name's and a whole path's bytes.
# digest.output asks the output folder's own file system for the real ones where it can.
NAME_MAX, PATH_MAX = 255, 4096

_UNITS = {"": 1, "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "kib": 1024, "mib": 1024**2, "gib": 1024**3}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*", re.IGNORECASE)


def parse_size(value: Any) -> int | None:
    """Bytes from a whole number (`2000000`) or a string (`"2 MB"`, `"500 KiB"`); None if neither
    or not positive. KB/MB/GB are powers of 1000, KiB/MiB/GiB powers of 1024."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if not isinstance(value, str) or len(value) > 40:
        return None
    match = _SIZE.fullmatch(value)
    if match is None or match.group(2).lower() not in _UNITS:
        return None
    size = int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    return size if size > 0 else None


def format_size(size: int) -> str:
    """`52 MB`, `1.5 MB`, `800 KB`, `312 bytes` (powers of 1000, as file managers show them)."""
    for unit, factor in (("GB", 1000**3), ("MB", 1000**2), ("KB", 1000)):
        if size >= factor:
            value = size / factor
            text = f"{value:.0f}" if value >= 10 else f"{value:.1f}".removesuffix(".0")
            return f"{text} {unit}"
    return f"{size} byte{'s' * (size != 1)}"


def check_size(rel_path: str, size: int, config: SiteConfig) -> Diagnostic | None:
    """The error for a content file of `size` bytes over `limits.max_file_size`, else None."""
    limit = config.limits.max_file_size
    if size <= limit:
        return None
    shown, allowed = format_size(size), format_size(limit)
    if shown == allowed:  # 1,000,001 bytes against 1,000,000: rounding would hide the difference
        shown, allowed = f"{size:,} bytes", f"{limit:,} bytes"
    return Diagnostic(rel_path, 0, "error",
                      f"file is {shown}; the limit is {allowed} (limits.max_file_size in site.yaml)")
