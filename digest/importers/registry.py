"""The importers, by format name: each format module registers its `detect` and `parse`.

Detection asks the detectors in order of `priority` (lower first) and the first that accepts
the file wins: feeds before pages (a feed's HTML content must not make it a page), and the
catch-all, scraped text, last. What is no article at all (empty, binary, JSON sidecars, XML
that is neither a feed nor a page) is refused before any detector is asked.

The command line offers `--format auto` plus every registered name through FormatChoices,
which loads the format modules only when the choices are looked at (an import, or --help):
`build` and `serve` never pay for them. The modules themselves load their heavy libraries
(trafilatura, feedparser, lxml) inside `parse`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, overload

from .detect import refuse_reason

if TYPE_CHECKING:
    from digest.diagnostics import Diagnostic

    from .common import Article


Detect = Callable[[Path, bytes], bool]
Parse = Callable[[bytes, str], "tuple[list[Article], list[Diagnostic]]"]


class Importer(NamedTuple):
    detect: Detect  # (path, whole file) -> does this format read it?
    parse: Parse  # (data, origin) -> (articles, source-level warnings); raises ImportFailure
    priority: int = 50


IMPORTERS: dict[str, Importer] = {}


def register(name: str, detect: Detect, parse: Parse, priority: int = 50) -> None:
    """Make a format available to `import` (and to `--format NAME`)."""
    if name == "auto" or not name.isidentifier():
        raise ValueError(f"invalid importer name {name!r}")
    IMPORTERS[name] = Importer(detect, parse, priority)


def formats() -> tuple[str, ...]:
    """The registered format names, in detection order."""
    _load_builtin()
    return tuple(sorted(IMPORTERS, key=lambda name: (IMPORTERS[name].priority, name)))


def detect_format(path: Path, data: bytes) -> str | None:
    """The name of the importer for this file, or None when it is no article."""
    if refuse_reason(data) is not None:
        return None
    return next((name for name in formats() if IMPORTERS[name].detect(path, data)), None)


def _load_builtin() -> None:
    # The built-in formats register themselves when their modules load.
    from . import feeds, html, text  # noqa: F401


class FormatChoices(Sequence[str]):
    """`auto` and the registered format names, read from the registry on first use."""

    def _names(self) -> tuple[str, ...]:
        return ("auto", *formats())

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def __len__(self) -> int:
        return len(self._names())

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._names()[index]
