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
    """A file failed validation.  Carries every problem found, not just the first."""

    def __init__(self, file: str, problems: list[Problem]):
        self.file = file
        self.problems = sorted(problems, key=lambda p: (p.row or 0, p.column or "", p.message))
        n = len(self.problems)
        lines = [f"{file}: {n} problem{'s' if n != 1 else ''}; nothing from this file was stored"]
        lines += [f"  {p}" for p in self.problems[:SHOWN_PROBLEMS]]
        if n > SHOWN_PROBLEMS:
            lines.append(f"  ... and {n - SHOWN_PROBLEMS:,} more problems: fix these and load "
                         "the file again")
        super().__init__("\n".join(lines))
