"""RAG status (spec section 3).  Pure functions over plain values.

Every scheme first applies the statuses that need no calculation:

* no value                -> ``Data missing``
* target ``review``       -> ``Target under review``
* no target               -> ``Tracking`` (the KPI monitors demand only)

then compares the value with the column's effective target (see
:func:`column_target`: an annual target with a monthly profile becomes the
profile's figure for the column) using the KPI's polarity.
"""

from __future__ import annotations

import math

GREEN_PLUS, GREEN, AMBER, RED = "Green+", "Green", "Amber", "Red"
MISSING, REVIEW, TRACKING = "Data missing", "Target under review", "Tracking"
STATUSES = (GREEN_PLUS, GREEN, AMBER, RED, MISSING, REVIEW, TRACKING)
SCHEMES = ("tolerance", "floor", "graded", "trust")
DEFAULT_TOLERANCE_PCT = 5.0

# Rounding applied before comparing, so that 97.5 - 4.875 is "exactly 5% worse".
_DP = 9


def _r(x: float) -> float:
    return round(x, _DP)


def margin(value: float, target: float, polarity: str) -> float:
    """How much better than target ``value`` is (negative: worse)."""
    return value - target if polarity == "higher" else target - value


def meets(value: float | None, target: float | None, polarity: str) -> bool:
    """True when ``value`` is on target or better.  False without a numeric target."""
    if value is None or target is None or isinstance(target, str) or polarity not in (
        "higher", "lower"
    ):
        return False
    return _r(margin(value, target, polarity)) >= 0


def _tolerance_status(value: float, target: float, polarity: str, tolerance) -> str:
    shortfall = _r(-margin(value, target, polarity))
    if shortfall <= 0:
        return GREEN
    kind = getattr(tolerance, "kind", "default") if tolerance is not None else "default"
    if kind == "none":
        return RED
    if kind == "band":
        low, high = tolerance.low, tolerance.high
        return AMBER if _r(low) <= _r(value) <= _r(high) else RED
    if kind == "pp":
        allowance = tolerance.value
    elif kind == "percent":
        allowance = tolerance.value / 100.0 * abs(target)
    else:  # default: the corporate 5% of target
        allowance = DEFAULT_TOLERANCE_PCT / 100.0 * abs(target)
    return AMBER if shortfall <= _r(allowance) else RED


def _floor_status(value: float, target: float, polarity: str, floor: float | None) -> str:
    if _r(margin(value, target, polarity)) >= 0:
        return GREEN
    if floor is None:
        return RED
    return AMBER if _r(margin(value, floor, polarity)) >= 0 else RED


def _graded_status(value: float, target: float, polarity: str) -> str:
    diff = margin(value, target, polarity)
    if target == 0:
        rel = 0.0 if _r(diff) == 0 else math.copysign(math.inf, diff)
    else:
        rel = _r(diff / abs(target))
    if rel > 0.10:
        return GREEN_PLUS
    if rel >= -0.05:
        return GREEN
    if rel >= -0.10:
        return AMBER
    return RED


def rag_status(
    value: float | None,
    target: float | str | None,
    polarity: str,
    scheme: str = "tolerance",
    tolerance=None,
    floor: float | None = None,
) -> str:
    """The RAG status of ``value`` against ``target``.

    Parameters
    ----------
    value : the column's value, or None when there is none.
    target : the column's effective numeric target, ``"review"`` or None (tracking).
    polarity : ``higher``, ``lower`` or ``none``.
    scheme : ``tolerance`` (default), ``floor``, ``graded`` or ``trust``.
    tolerance : a parsed tolerance (``kind`` one of ``default``, ``percent``,
        ``pp``, ``band``, ``none``; with ``value`` or ``low``/``high``), or None
        for the scheme default (5% of target).
    floor : the ``floor`` scheme's floor.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if isinstance(target, str):
        if target == "review":
            return REVIEW
        raise ValueError(f"target must be a number, 'review' or None, not {target!r}")
    if target is None or polarity not in ("higher", "lower"):
        return TRACKING
    if scheme in ("tolerance", "trust"):
        return _tolerance_status(value, target, polarity, tolerance)
    if scheme == "floor":
        return _floor_status(value, target, polarity, floor)
    if scheme == "graded":
        return _graded_status(value, target, polarity)
    raise ValueError(f"unknown rag_scheme {scheme!r} (expected one of {', '.join(SCHEMES)})")


def column_target(target, measure: str, months_in_column: int, last_month_number: int,
                  quarters_in_column: int = 0, last_quarter_number: int = 0):
    """The effective target of one report column.

    Parameters
    ----------
    target : a parsed catalogue target (``kind`` ``none``/``review``/``number``;
        ``value``; optional ``per_month``, ``per_quarter`` or twelve-value
        cumulative ``profile``), or None.
    measure : the KPI's measure.
    months_in_column : how many months the column spans (YTD to month 7: 7).
    last_month_number : the FY month number of the column's last month (April 1).
    quarters_in_column, last_quarter_number : the same in quarters.

    Returns
    -------
    A number, ``"review"`` or None (tracking).  A profiled target applies
    per column: ``264 (22 per month)`` is 22 for a month, 66 for a quarter and
    22 x months for YTD on a ``sum`` KPI, and 22 x month number on a
    ``cumulative`` one; a twelve-value profile gives the value at the column's
    last month.
    """
    if target is None or target.kind == "none":
        return None
    if target.kind == "review":
        return "review"
    if target.profile:
        return target.profile[last_month_number - 1]
    if target.per_month is not None:
        n = last_month_number if measure == "cumulative" else months_in_column
        return target.per_month * n
    if target.per_quarter is not None:
        n = last_quarter_number if measure == "cumulative" else quarters_in_column
        return target.per_quarter * n
    return target.value
