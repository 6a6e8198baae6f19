"""Problems found while building, collected as values and printed together."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Level = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem, located as precisely as we know: `path:line: level: message`."""

    path: str
    line: int
    level: Level
    message: str

    def format(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return _one_line(f"{where}: {self.level}: {self.message}")


# Messages quote untrusted text (titles, dates, YAML values): a line break or a terminal control
# character in it must not split the message or rewrite the terminal. Shown as escapes instead.
_UNPRINTABLE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(text: str) -> str:
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


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
