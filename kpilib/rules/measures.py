"""How a KPI's values combine over a report column (spec section 2).

Pure functions over plain values.  A column (YTD, a quarter, a month) spans
one or more periods; :func:`aggregate` combines the observations of those
periods with the KPI's ``measure``:

========== =====================================================
sum        sum of the periods with data
snapshot   value of the last period with data
ratio      sum of numerators / sum of denominators (scaled by unit); where
           some period has a value alone (counts not known), the mean
           of the periods' values, flagged (``Cell.mean_of``)
cumulative value of the last period with data
mean       mean of the periods with data
========== =====================================================

A ratio whose denominators sum to 0 has no value (``status == "zero"``,
shown as ``N/A (0 out of 0)``): never an error, never 0% or 100%.

**Completeness** (spec section 2, "A figure with a period missing"): every cell says
how many of its column's *due* periods have figures (``Cell.parts`` of ``Cell.due``) and
which do not (``Cell.gaps``, positions in the column).  A period is due unless its return
says ``not_due``, or it is an annual KPI's quarter with no return (an annual KPI is
returned once a year).  A figure is ``incomplete`` when it lacks a period its measure
needs: any due period for ``sum``, ``ratio`` and ``mean``; the column's last due period
for ``snapshot`` and ``cumulative`` (their figure is the latest period's).  An incomplete
figure is shown, labelled, and rated by the key's reserved state ``incomplete``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

MEASURES = ("sum", "snapshot", "ratio", "cumulative", "mean")
# a number as written in a file (value, target, floor): ASCII digits only, since Python's
# ``\d`` and float() also take other scripts' digits (Arabic-Indic ٣, full-width ３)
NUMBER = r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
UNIT_SCALE = {"percent": 100.0, "rate": 100_000.0}

OK, MISSING, ARREARS, ZERO = "ok", "missing", "arrears", "zero"
NOT_DUE, CARRIED_OVER = "not_due", "carried_over"  # no figure yet: rated by a key's reserved
#                                                     states of those names
INCOMPLETE = "incomplete"  # a figure lacking a period its measure needs: the reserved state
LATEST = ("snapshot", "cumulative")  # the figure is the latest period's: only it must be there


def scale(unit: str) -> float:
    """Multiplier from numerator/denominator to a value: percent x100, rate x100,000, else x1."""
    return UNIT_SCALE.get(unit, 1.0)


def to_number(x) -> float | None:
    """A float, or None for None, NaN, empty text or anything not a number."""
    if x is None:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


@dataclass(frozen=True)
class Obs:
    """One period's return for one KPI (and breakdown), as read from the store."""

    value: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    status: str = ""

    @classmethod
    def of(cls, value=None, numerator=None, denominator=None, status="") -> Obs:
        return cls(to_number(value), to_number(numerator), to_number(denominator), status or "")

    @property
    def has_ratio(self) -> bool:
        return self.numerator is not None and self.denominator is not None

    def usable(self, measure: str) -> bool:
        """True when this period contributes to an aggregate."""
        if self.status:
            return False
        return self.value is not None or self.has_ratio


@dataclass(frozen=True)
class Cell:
    """An aggregated figure for one column.

    ``status``: ``ok`` (a value), ``missing`` (no data: missing, unavailable or
    never returned), ``arrears`` (the column's last period is reported one
    month in arrears), ``zero`` (a ratio of 0 out of 0).

    ``mean_of``: for a ratio whose periods' counts were not all known, the number of
    periods whose values were averaged (0: the figure is not such a mean).
    """

    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    status: str = OK
    mean_of: int = 0
    parts: int = 0  # due periods of the column with figures
    due: int = 0  # periods of the column that were due (not ``not_due``)
    gaps: tuple[int, ...] = ()  # positions (in the column) of due periods without figures
    incomplete: bool = False  # the figure lacks a period its measure needs


def completeness(observations: Sequence[Obs | None], frequency: str = "monthly"
                 ) -> tuple[int, int, tuple[int, ...]]:
    """(periods with figures, periods due, positions of due periods without figures).

    A period is due unless its return says ``not_due``; an annual KPI's quarter with no
    return at all is not due either (it is returned once a year).  ``missing``,
    ``unavailable``, ``arrears``, ``carried_over`` and no return at all are due periods
    without figures."""
    due = [i for i, o in enumerate(observations) if _is_due(o, frequency)]
    gaps = tuple(i for i in due if observations[i] is None or not observations[i].usable(""))
    return len(due) - len(gaps), len(due), gaps


def _is_due(o: Obs | None, frequency: str) -> bool:
    return not ((o is not None and o.status == NOT_DUE) or (o is None and frequency == "annual"))


def is_incomplete(measure: str, gaps: Sequence[int], observations: Sequence[Obs | None],
                  frequency: str = "monthly") -> bool:
    """Whether a figure of ``measure`` lacks a period it needs: any gap for ``sum``,
    ``ratio`` and ``mean``; for ``snapshot`` and ``cumulative`` (the latest period's
    figure) a gap at the column's last due period."""
    if not gaps:
        return False
    if measure not in LATEST:
        return True
    due = [i for i, o in enumerate(observations) if _is_due(o, frequency)]
    return bool(due) and due[-1] == gaps[-1]


def _ratio_value(num: float, den: float, unit: str) -> float | None:
    return None if den == 0 else num / den * scale(unit)


def single_value(obs: Obs, unit: str) -> float | None:
    """A period's own value: the given value, else derived from numerator/denominator."""
    if obs.value is not None:
        return obs.value
    if obs.has_ratio:
        return _ratio_value(obs.numerator, obs.denominator, unit)
    return None


def _no_value(observations: Sequence[Obs | None], measure: str) -> Cell:
    last = observations[-1] if observations else None
    if last is not None and last.status in (ARREARS, NOT_DUE, CARRIED_OVER):
        return Cell(None, status=last.status)
    zero = [o for o in observations if o is not None and not o.status and o.has_ratio
            and o.denominator == 0]
    if zero:
        return Cell(None, 0.0, 0.0, ZERO)
    return Cell(None, status=MISSING)


def _values_mean(usable: Sequence[Obs], unit: str) -> Cell:
    """A ratio column some of whose periods have a value alone (counts not known): the
    mean of its periods' values (a counted period's own ratio among them), no counts."""
    values = [v for v in (single_value(o, unit) for o in usable) if v is not None]
    return Cell(math.fsum(values) / len(values), mean_of=len(values))


def aggregate(observations: Sequence[Obs | None], measure: str, unit: str,
              frequency: str = "monthly") -> Cell:
    """Combine the observations of a column's periods (in period order), saying how
    complete the figure is (:func:`completeness`).

    ``None`` stands for a period with no return at all.
    """
    cell = _combine(observations, measure, unit)
    parts, due, gaps = completeness(observations, frequency)
    incomplete = cell.value is not None and is_incomplete(measure, gaps, observations,
                                                          frequency)
    return replace(cell, parts=parts, due=due, gaps=gaps, incomplete=incomplete)


def _combine(observations: Sequence[Obs | None], measure: str, unit: str) -> Cell:
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}")
    usable = [o for o in observations if o is not None and o.usable(measure)]
    if measure == "ratio":
        if not usable:
            return _no_value(observations, measure)
        if not all(o.has_ratio for o in usable):
            return _values_mean(usable, unit)
        num = math.fsum(o.numerator for o in usable)
        den = math.fsum(o.denominator for o in usable)
        value = _ratio_value(num, den, unit)
        return Cell(value, num, den, OK if value is not None else ZERO)

    with_value = [(o, single_value(o, unit)) for o in usable]
    with_value = [(o, v) for o, v in with_value if v is not None]
    if not with_value:
        return _no_value(observations, measure)
    if measure == "sum":
        return Cell(math.fsum(v for _, v in with_value))
    if measure == "mean":
        return Cell(math.fsum(v for _, v in with_value) / len(with_value))
    # snapshot, cumulative: the last period with data
    o, v = with_value[-1]
    return Cell(v, o.numerator, o.denominator)
