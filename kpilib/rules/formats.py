"""Fixed, locale-free number formatting for results.csv and the HTML.

Determinism depends on these: the same float always gives the same text.
"""

from __future__ import annotations

import math
import re

ARREARS_TEXT = "N/A - reported one month in arrears"
MISSING_TEXT = "Data missing"
ZERO_TEXT = "N/A (0 out of 0)"


def is_blank(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def format_number(x: float | None) -> str:
    """results.csv form: up to 6 decimals, trailing zeros stripped, ``""`` for none."""
    if is_blank(x):
        return ""
    s = f"{round(float(x), 6):.6f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def plain(x: float) -> str:
    """A count with no separators, as the council prints ratios: ``12938``."""
    return f"{x:.0f}" if float(x).is_integer() else format_number(x)


def format_value(x: float | None, unit: str) -> str:
    """Display form of a value in its unit: ``93.4%``, ``1,234``, ``£2,340,000``."""
    if is_blank(x):
        return ""
    x = float(x)
    if unit == "percent":
        return f"{x:.1f}%"
    if unit == "currency":
        return f"£{x:,.0f}"
    if unit in ("count", "number") and x.is_integer():
        return f"{x:,.0f}"
    return f"{x:,.1f}"


def format_cell(value, numerator, denominator, status: str, unit: str, show_ratio: bool) -> str:
    """The text of one report cell, per the spec's display rules."""
    if status == "arrears":
        return ARREARS_TEXT
    if status == "zero":
        return ZERO_TEXT
    if status == "na":
        return ""
    if is_blank(value):
        return MISSING_TEXT
    text = format_value(value, unit)
    if show_ratio and not is_blank(numerator) and not is_blank(denominator):
        text += f" ({plain(numerator)} out of {plain(denominator)})"
    return text


def format_target(target, unit: str) -> str:
    """Display form of an effective column target."""
    if target is None:
        return "Tracking"
    if isinstance(target, str):
        return "Under review" if target == "review" else target
    text = format_value(target, unit)
    return re.sub(r"\.0(%?)$", r"\1", text)
