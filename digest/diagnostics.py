"""Problems found while building, collected as values and printed together."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Level = Literal["error", "warning"]

# Messages quote untrusted text (titles, tags, file names) and end up on a terminal. These code
# points are printed as Python-style escapes (`\x1b`, `\u202e`) so a value can neither drive the
# terminal nor fake a line: every C0 control (tab and newline included: a newline in a title
# could forge a second `path:line: error:` line), DEL, every C1 control (U+009B is a one-byte
# CSI), the bidirectional overrides, embeddings, isolates and marks (U+202E can display a line
# reversed), the line and paragraph separators, and lone surrogates (which cannot be encoded).
_TERMINAL_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")


_SHORT_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def terminal_safe(text: str) -> str:
    """`text` with every code point a terminal could act on written as an escape."""
    return _TERMINAL_UNSAFE.sub(_escape_char, text)


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem, located as precisely as we know: `path:line: level: message`."""

    path: str
    line: int
    level: Level
    message: str

    def format(self) -> str:
        """One line, safe to print: untrusted parts are escaped (terminal_safe)."""
        where = f"{self.path}:{self.line}" if self.line else self.path
        return terminal_safe(f"{where}: {self.level}: {self.message}")


@dataclass
class Diagnostics:
    """Collects diagnostics across a whole run so every problem is reported at once."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, path: str | Path, line: int, message: str) -> None:
        self.items.append(Diagnostic(str(path), line, "error", message))

    def warning(self, path: str | Path, line: int, message: str) -> None:
        self.items.append(Diagnostic(str(path), line, "warning", message))

    def extend(self, other: Diagnostics | list[Diagnostic]) -> None:
        self.items.extend(other.items if isinstance(other, Diagnostics) else other)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.level == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.level == "warning"]

    def sorted(self) -> list[Diagnostic]:
        # Unique and in file order so output is stable whatever the processing order was.
        return sorted(set(self.items), key=lambda d: (d.path, d.line, d.level, d.message))

    def promote_warnings(self) -> None:
        """--strict: every warning becomes an error."""
        self.items = [Diagnostic(d.path, d.line, "error", d.message) for d in self.items]
