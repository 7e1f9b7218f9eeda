"""Activity indicators' range statuses (spec section 7, catalogue ``expected_low`` /
``expected_high``).  Pure.

An activity indicator is a KPI with no target that is monitored for demand (Kent's
quarterly report).  Against its expected range its status is ``Above range``,
``Within range`` or ``Below range``; the range is inclusive (a value on either end is
within it).  An indicator with no range stays ``Tracking``, and one with no value is
``Data missing``, as every RAG scheme says.
"""

from __future__ import annotations

import math

from kpilib.rules.rag import MISSING, TRACKING

ABOVE, WITHIN, BELOW = "Above range", "Within range", "Below range"
RANGE_STATUSES = (ABOVE, WITHIN, BELOW)

_DP = 9  # as rules.rag: 0.1 + 0.2 is on an end of 0.3


def range_status(value: float | None, low: float | None, high: float | None) -> str:
    """The status of an activity indicator's ``value`` against its range ``[low, high]``.

    ``low`` and ``high`` are both given or both None (catalogue validation makes sure);
    None means the indicator has no range: ``Tracking``.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if low is None or high is None:
        return TRACKING
    v = round(value, _DP)
    if v > round(high, _DP):
        return ABOVE
    if v < round(low, _DP):
        return BELOW
    return WITHIN
