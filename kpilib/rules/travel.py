"""Direction of travel (spec section 4).  Pure functions over plain values.

Compares the current period with the previous one.  Each symbol comes with a
description so that a report never relies on the arrow (or its colour) alone.
"""

from __future__ import annotations

from kpilib.rules.rag import _r, margin, meets

NO_TRAVEL = "n/a"
SCHEMES = ("nnc", "trust", "graded")
NNC_RANGE = 0.05
GRADED_RANGE = 0.02

DESCRIPTIONS: dict[str, dict[str, str]] = {
    "nnc": {
        "↑G": "Improved",
        "↓G": "Improved",
        "→": "Same as last period",
        "↓": "Worse, but on target or within 5% of last period",
        "↑": "Worse, but on target or within 5% of last period",
        "↓R": "Worse by more than 5% and not on target",
        "↑R": "Worse by more than 5% and not on target",
    },
    "trust": {"↑G": "Improved", "→": "Same as last period", "↓A": "Declined"},
    "graded": {
        "↑": "Improved by more than 2%",
        "↔": "Within 2% of last period",
        "↓": "Declined by more than 2%",
    },
}
NO_POLARITY = {"↑": "Rose (no polarity)", "↓": "Fell (no polarity)", "⇔": "No change (no polarity)"}


def describe(symbol: str, scheme: str, polarity: str) -> str:
    """Words for a travel symbol, for screen readers and greyscale print."""
    if symbol == NO_TRAVEL:
        return "No previous value to compare"
    if polarity == "none":
        return NO_POLARITY.get(symbol, symbol)
    return DESCRIPTIONS.get(scheme, {}).get(symbol, symbol)


def _no_polarity(current: float, previous: float) -> str:
    c, p = _r(current), _r(previous)
    return "⇔" if c == p else ("↑" if c > p else "↓")


def travel(
    current: float | None,
    previous: float | None,
    polarity: str,
    scheme: str = "nnc",
    target: float | str | None = None,
) -> str:
    """The direction-of-travel symbol from ``previous`` to ``current``.

    ``target`` is the current period's effective target (a number, ``review``
    or None): the ``nnc`` scheme treats a worsening KPI that is still on target
    as amber-free.  Returns ``n/a`` when either value is absent.
    """
    if current is None or previous is None:
        return NO_TRAVEL
    if scheme not in SCHEMES:
        raise ValueError(f"unknown travel_scheme {scheme!r} (expected one of {', '.join(SCHEMES)})")
    if polarity not in ("higher", "lower"):
        return _no_polarity(current, previous)
    gain = _r(margin(current, previous, polarity))  # > 0 improved, < 0 worse
    up = "↑" if polarity == "higher" else "↓"  # the arrow of an improvement
    down = "↓" if polarity == "higher" else "↑"  # the arrow of a worsening
    if scheme == "graded":
        if previous == 0:
            rel = 0.0 if gain == 0 else (1.0 if gain > 0 else -1.0)
        else:
            rel = _r(gain / abs(previous))
        if rel > GRADED_RANGE:
            return "↑"
        if rel < -GRADED_RANGE:
            return "↓"
        return "↔"
    if gain == 0:
        return "→"
    if scheme == "trust":
        return "↑G" if gain > 0 else "↓A"
    if gain > 0:
        return up + "G"
    within = -gain <= _r(NNC_RANGE * abs(previous))
    if within or meets(current, target if not isinstance(target, str) else None, polarity):
        return down
    return down + "R"
