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

from collections.abc import Mapping

from kpilib.rules.keys import Facts, StatusKey, _r, margin, rate

GREEN_PLUS, GREEN, AMBER, RED = "Green+", "Green", "Amber", "Red"
MISSING, REVIEW, TRACKING = "Data missing", "Target under review", "Tracking"
STATUSES = (GREEN_PLUS, GREEN, AMBER, RED, MISSING, REVIEW, TRACKING)


def meets(value: float | None, target: float | None, polarity: str) -> bool:
    """True when ``value`` is on target or better.  False without a numeric target."""
    if value is None or target is None or isinstance(target, str) or polarity not in (
        "higher", "lower"
    ):
        return False
    return _r(margin(value, target, polarity)) >= 0


def rag_status(
    value: float | None,
    target: float | str | None,
    polarity: str,
    key: StatusKey,
    tolerance=None,
    floor: float | None = None,
    references: Mapping[str, float | str | None] | None = None,
    **facts,
) -> str:
    """The status ``key`` gives ``value`` against ``target``.

    Parameters
    ----------
    value : the column's value, or None when there is none.
    target : the column's effective numeric target, ``"review"`` or None (tracking).
    polarity : ``higher``, ``lower`` or ``none``.
    key : the KPI's status key (:mod:`kpilib.rules.keys`; the built-in schemes are keys too).
    tolerance : the KPI's parsed ``tolerance`` cell, or None (the key's default).
    floor : the KPI's floor, a reference value like the target.
    references : further reference values by name (a second target, a rolling average).
    facts : ``travel``, ``spc`` and ``history`` of :class:`kpilib.rules.keys.Facts`.
    """
    if isinstance(target, str) and target != "review":
        raise ValueError(f"target must be a number, 'review' or None, not {target!r}")
    refs = {**(references or {}), "target": target, "floor": floor}
    return rate(key, Facts(value, polarity, refs, tolerance, **facts))


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
