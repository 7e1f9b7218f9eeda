"""Exceptions.  One base class, specific subclasses (as papermill does).

Every error a *user* can cause (a bad file, a bad parameter, an unknown
period) is a :class:`KpiError`; the CLI prints its message and exits non-zero
without a traceback.  Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SHOWN_CHARS = 80  # the most of one value a message echoes
MESSAGE_CHARS = 400  # the most of one problem's message
SHOWN_PROBLEMS = 1000  # the most problems a ValidationError lists (it keeps them all)


def shown(value: object, limit: int = SHOWN_CHARS) -> str:
    """``value`` as text for a message: at most ``limit`` characters, an ellipsis for the
    rest (a 1 MB cell is not echoed whole)."""
    text = str(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _shorten(message: str) -> str:
    """A message with every run of over 200 characters without a space (an echoed value,
    not a file path) cut short."""
    message = re.sub(r"\S{201,}", lambda m: shown(m.group()), message)
    return shown(message, MESSAGE_CHARS)


class KpiError(Exception):
    """Base class for every user-facing error.

    Errors cross process boundaries (the run's worker pool, Dask), so every subclass
    pickles with its type, message and attributes, whatever its constructor: a copy is
    rebuilt from ``args`` and the instance's attributes, without calling ``__init__``
    (plain exception pickling calls ``cls(*args)``, which fails for a constructor such as
    :class:`ValidationError`'s ``(file, problems)``).
    """

    def __reduce__(self):
        return _rebuild, (type(self), self.args, self.__dict__ or None)


def _rebuild(cls: type[KpiError], args: tuple, state: dict | None) -> KpiError:
    err = cls.__new__(cls, *args)
    err.args = args
    if state:
        err.__dict__.update(state)
    return err


class PeriodError(KpiError, ValueError):
    """A period, month, quarter or financial-year id is malformed."""


class CatalogueError(KpiError):
    """The catalogue cannot answer a question (unknown ref, no KPI set for a year)."""


class MomentError(KpiError, ValueError):
    """A moment (``as_of``, a load time) is not an ISO-8601 time."""


class StoreError(KpiError):
    """The data store is missing, unreadable or of an unexpected shape."""


class ParamsError(KpiError):
    """A report run's parameter set is invalid."""


class RunError(KpiError):
    """A report run failed; the previous published output is intact."""


class AuditError(KpiError):
    """A run folder cannot be audited (no manifest, unreadable manifest)."""


@dataclass(frozen=True, order=True)
class Problem:
    """One problem found in an input file: where it is and what was expected.

    ``row`` is the 1-based line number in the file as a spreadsheet shows it
    (the header is row 1, the first data row is row 2); ``None`` for a problem
    with the file as a whole (a missing column, an unreadable file).
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        value = "" if self.value is None else f": {shown(self.value)!r}"
        return f"{where}{value}: {_shorten(self.message)}"


class ValidationError(KpiError):
    """A file failed validation.  Carries every problem found, not just the first.

    ``problems`` holds one :class:`Problem` per row and column; the message groups the
    same problem on several rows into one line (:func:`problem_lines`).
    """

    def __init__(self, file: str, problems: list[Problem]):
        self.file = file
        self.problems = sorted(problems, key=lambda p: (p.row or 0, p.column or "", p.message))
        n = len(self.problems)
        lines = [f"{file}: {n} problem{'s' if n != 1 else ''}; nothing from this file was stored"]
        listed = problem_lines(self.problems)
        lines += [f"  {line}" for line in listed[:SHOWN_PROBLEMS]]
        if len(listed) > SHOWN_PROBLEMS:
            lines.append(f"  ... and {len(listed) - SHOWN_PROBLEMS:,} more problems: fix these "
                         "and load the file again")
        super().__init__("\n".join(lines))


MAX_RANGES = 30  # row ranges listed on one line before "and N more rows"
MAX_VALUES = 5  # distinct values listed on one line before "and N more"


def other_rows(rows: list[int], row: int, limit: int = 5) -> str:
    """``4, 7`` or ``4, 7, 9, 12, 15 and 3 more``: the rows of a group besides ``row``
    (``rows`` sorted), in time independent of the group's size."""
    others = [r for r in rows[:limit + 1] if r != row][:limit]
    rest = len(rows) - 1 - len(others)
    return ", ".join(str(r) for r in others) + (f" and {rest:,} more" if rest > 0 else "")


def row_ranges(rows: list[int]) -> str:
    """``2-35`` or ``2, 5, 9-12``: sorted rows as ranges of consecutive numbers."""
    spans: list[list[int]] = []
    for r in sorted(set(rows)):
        if spans and r == spans[-1][1] + 1:
            spans[-1][1] = r
        else:
            spans.append([r, r])
    text = [f"{a}" if a == b else f"{a}-{b}" for a, b in spans[:MAX_RANGES]]
    rest = sum(b - a + 1 for a, b in spans[MAX_RANGES:])
    return ", ".join(text) + (f" and {rest} more rows" if rest else "")


def _template(p: Problem) -> str:
    """The message with the row's own value factored out (``'<ref>' is not ...``), so the
    same problem with different values groups into one line."""
    if not p.value or not p.value.strip():
        return p.message
    token = re.compile(rf"(?<![\w.-]){re.escape(p.value)}(?![\w-]|\.\w)")
    return token.sub(f"<{p.column or 'value'}>", p.message)


def problem_lines(problems: list[Problem]) -> list[str]:
    """One line per distinct problem: the same (column, message) on several rows is one line
    listing the rows as ranges (``file, rows 2-35, column 'ref': ...``), with the rows'
    values where they differ; a problem with the file as a whole is a line of its own."""
    groups: dict[tuple, list[Problem]] = {}
    for i, p in enumerate(problems):
        key = ("file", i) if p.row is None else (p.file, p.column, _template(p))
        groups.setdefault(key, []).append(p)
    lines = []
    for key, group in groups.items():
        if len(group) == 1:
            lines.append(str(group[0]))
            continue
        first = group[0]
        where = f"{first.file}, rows {row_ranges([p.row for p in group])}"
        if first.column:
            where += f", column '{first.column}'"
        values = list(dict.fromkeys(p.value for p in group))
        if len(values) == 1 and len({p.message for p in group}) == 1:
            value = "" if first.value is None else f": {shown(first.value)!r}"
            lines.append(f"{where}{value}: {_shorten(first.message)}")
            continue
        listed = ", ".join(repr(shown(v)) for v in values[:MAX_VALUES] if v is not None)
        more = f" and {len(values) - MAX_VALUES} more" if len(values) > MAX_VALUES else ""
        lines.append(f"{where} ({listed}{more}): {_shorten(key[2])}")
    return lines
