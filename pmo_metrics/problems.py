"""Located problems found while reading or validating an upload (SPEC §2: errors are exact)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass(frozen=True)
class Problem:
    """One problem, located as precisely as the input allows."""

    severity: str
    file: str
    problem: str
    sheet: str = ""
    cell: str = ""
    column: str = ""
    value: str = ""
    # What kind of problem this is (`bad_number`, `withheld`, `unknown_id`, ...): stable for tests
    # and tools, whatever the wording of `problem`.
    code: str = ""

    def as_dict(self) -> dict:
        """Return the problem as a plain dict (for the audit log and JSON)."""
        return asdict(self)

    def __str__(self) -> str:
        where = " ".join(p for p in (self.file, self.sheet and f"[{self.sheet}]", self.cell) if p)
        found = f" (found {self.value!r})" if self.value != "" else ""
        return f"{self.severity}: {where}: {self.column + ': ' if self.column else ''}{self.problem}{found}"


def error(file: str, problem: str, **where) -> Problem:
    """Return an error problem."""
    return Problem(ERROR, file, problem, **where)


def warning(file: str, problem: str, **where) -> Problem:
    """Return a warning problem."""
    return Problem(WARNING, file, problem, **where)


def info(file: str, problem: str, **where) -> Problem:
    """Return a note for the report (how something was read), neither error nor warning."""
    return Problem(INFO, file, problem, **where)


def column_letter(index: int) -> str:
    """Return the spreadsheet letter of a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Return text with its control characters written as \\xNN, so a message can show them safely."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def shorten(value: object, limit: int = 60) -> str:
    """Return a value as display text, control characters shown as \\xNN, cut to `limit` characters."""
    text = printable("" if value is None else str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"
