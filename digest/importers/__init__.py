"""`import`: turn scraped text, saved pages and feeds into content files.

`registry` holds the formats (each format module registers its `detect` and `parse`),
`sources` finds and reads the files safely, `run` places each article and writes it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["IMPORTERS", "formats", "register", "run_import"]


def __getattr__(name: str) -> Any:
    # Loaded on first use, so that the command line can read `registry` for its --format
    # choices without loading the importer itself on every build.
    if name == "run_import":
        from .run import run_import

        return run_import
    if name in ("IMPORTERS", "formats", "register"):
        from . import registry

        return getattr(registry, name)
    raise AttributeError(name)
