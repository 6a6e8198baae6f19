"""The one piece of state a process keeps between builds (serve runs many builds in one process).

Everything here is a cache: dropping it only costs time. Values are created by the modules that
own them (digest.build.articles, digest.incremental, digest.render, digest.site).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
SITES_KEPT = 2  # a test run builds thousands of small sites in one process: keep the latest few


class ProcessCache:
    def __init__(self) -> None:
        self.per_site: OrderedDict[tuple[str, Path], Any] = OrderedDict()
        self.forked_job: Any = None  # in a forked render worker: the job it was forked for

    def for_site(self, kind: str, root: Path, make: Callable[[], T]) -> T:
        """The `kind` cache of the site at `root` (an article store, a build state, a memo)."""
        key = (kind, root.resolve())
        found = self.per_site.get(key)
        if found is None:
            found = self.per_site[key] = make()
            while sum(1 for k in self.per_site if k[0] == kind) > SITES_KEPT:
                oldest = next(k for k in self.per_site if k[0] == kind)
                del self.per_site[oldest]
        else:
            self.per_site.move_to_end(key)
        return found

    def shared(self, kind: str, make: Callable[[], T]) -> T:
        """A cache every site shares (compiled templates, keyed by their own source)."""
        return self.for_site(kind, Path("/"), make)

    def clear(self) -> None:
        self.per_site.clear()


PROCESS = ProcessCache()
