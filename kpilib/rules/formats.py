"""Fixed, locale-free number formatting for results.csv and the HTML.

Determinism depends on these: the same float always gives the same text.

``results.csv`` keeps exact figures (:func:`format_number`, up to 6 decimals).  The
pages show each KPI's figures with one number of decimal places, its *display
precision* (:func:`display_decimals`): the catalogue's ``decimals`` where given,
else a default by unit and magnitude (:func:`default_decimals`); then raised (to at
most 6) where needed so that

* a non-zero figure never reads as zero (0.04% is not ``0.0%``), and
* a value never reads the same as a different target or floor it is shown against
  (0.04% against a target of 0.02%; 84.96% against 85%).

**Unit scale** (the catalogue's ``scale``, spec 7.1): a KPI returned in thousands
(``£000``, ``000s``) or millions (``£m``) is shown in full everywhere on the pages, the
exports and the commentary: 1,234 in ``£000`` reads ``£1,234,000``.  Every display
function takes the KPI's ``scale`` (a multiplier: :func:`scale_of`); ``results.csv``
keeps the figures as returned.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

MAX_DECIMALS = 6
ARREARS_LAG = {"monthly": "month", "quarterly": "quarter", "annual": "year"}
ARREARS_TEXT = "N/A - reported one month in arrears"  # a monthly KPI's; see arrears_text
MISSING_TEXT = "Data missing"
ZERO_TEXT = "N/A (0 out of 0)"
PERIOD_WORDS = {"monthly": ("month", "months"), "quarterly": ("quarter", "quarters"),
                "annual": ("quarter", "quarters")}  # an annual KPI is returned per quarter


SCALES = {"": 1, "thousands": 1_000, "millions": 1_000_000}  # the catalogue's ``scale``


def scale_of(scale) -> int:
    """The multiplier of a catalogue ``scale`` (empty or unknown: 1)."""
    return SCALES.get(scale if isinstance(scale, str) else "", 1)


def scaled(x, scale: float = 1):
    """A figure as shown: ``x`` times the KPI's unit scale (blanks and words unchanged)."""
    if scale == 1 or is_blank(x) or isinstance(x, str):
        return x
    return round(float(x) * scale, MAX_DECIMALS)


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


def arrears_lag(frequency: str) -> str:
    """How far behind a KPI in arrears is reported: a ``month``, ``quarter`` or ``year``."""
    return ARREARS_LAG.get(frequency, "month")


def arrears_text(frequency: str = "monthly") -> str:
    """``N/A - reported one month in arrears``; a quarterly KPI's says ``one quarter``."""
    return f"N/A - reported one {arrears_lag(frequency)} in arrears"


# --------------------------------------------------------------------------- precision


def _numbers(xs: Iterable) -> list[float]:
    """The numeric figures of ``xs`` (blanks and words such as ``review`` left out)."""
    return [float(x) for x in xs if not is_blank(x) and not isinstance(x, str)]


def _places(x: float) -> int:
    """Decimal places ``x`` has (at most 6): ``93.4`` 1, ``80`` 0."""
    s = format_number(x)
    return len(s.split(".")[1]) if "." in s else 0


def default_decimals(unit: str, figures: Iterable) -> int:
    """A KPI's decimal places when its catalogue row gives none, by unit and magnitude.

    * ``percent``: 1 (``93.4%``);
    * ``currency``: 2 where some amount has pence and every amount is under £1,000
      (``£3.50``), else 0 (``£2,340,000``);
    * ``count``, ``number``, ``days``, ``rate``: the fewest places (0, 1 or 2) that show
      every figure exactly, but at most 2 when every figure is under 10, at most 1 when
      under 1,000 and none from 1,000 (``11,477``, ``345.7``, ``2.35``).
    """
    xs = _numbers(figures)
    if unit == "percent":
        return 1
    largest = max((abs(x) for x in xs), default=0.0)
    needed = max((_places(x) for x in xs), default=0)
    if unit == "currency":
        return 2 if needed and largest < 1000 else 0
    cap = 2 if largest < 10 else 1 if largest < 1000 else 0
    return min(needed, cap)


def _fixed(x: float, n: int) -> str:
    return f"{x:.{n}f}"


def _reads_as_zero(x: float, n: int) -> bool:
    return format_number(x) != "0" and float(_fixed(x, n)) == 0


def _clash(figures: list[float], pairs: list[tuple[float, float]], n: int) -> bool:
    if any(_reads_as_zero(x, n) for x in figures):
        return True
    return any(format_number(v) != format_number(t) and _fixed(v, n) == _fixed(t, n)
               for v, t in pairs)


def display_decimals(unit: str, decimals: int | None = None, figures: Iterable = (),
                     pairs: Iterable[tuple] = (), scale: float = 1) -> int:
    """The decimal places a KPI's figures are shown with.

    ``decimals``: the catalogue's (None: :func:`default_decimals` of every figure);
    ``figures``: every number shown for the KPI (values, targets, floor, baseline);
    ``pairs``: (value, target or floor) shown against each other.  The result is raised
    (to at most 6) until no non-zero figure reads as zero and no value reads the same as
    a different target or floor of its pair; figures equal to 6 decimals are equal.
    ``scale``: the KPI's unit scale: the places are those of the figures as shown.
    """
    pairs = [(float(scaled(v, scale)), float(scaled(t, scale))) for v, t in pairs
             if _numbers([v]) and _numbers([t])]
    xs = _numbers(scaled(x, scale) for x in figures) + [x for p in pairs for x in p]
    n = default_decimals(unit, xs) if decimals is None else max(0, min(int(decimals), 6))
    while n < MAX_DECIMALS and _clash(xs, pairs, n):
        n += 1
    return n


# --------------------------------------------------------------------------- display text


def _with_unit(number: str, unit: str) -> str:
    if unit == "percent":
        return number + "%"
    if unit == "currency":
        return ("-£" + number[1:]) if number.startswith("-") else "£" + number
    return number


def format_value(x: float | None, unit: str, decimals: int | None = None,
                 scale: float = 1) -> str:
    """Display form of a value in its unit: ``93.4%``, ``11,477``, ``£2,340,000``.

    ``decimals``: the KPI's display precision (None: the default for this one figure);
    a non-zero value is never shown as zero, whatever ``decimals`` says.  ``scale``: the
    KPI's unit scale (1,234 in ``£000``, scale 1,000, reads ``£1,234,000``).
    """
    if is_blank(x):
        return ""
    x = float(scaled(x, scale))
    n = display_decimals(unit, decimals, [x])
    return _with_unit(f"{x:,.{n}f}", unit)


def format_target(target, unit: str, decimals: int | None = None, scale: float = 1) -> str:
    """Display form of a target or floor: as :func:`format_value`, trailing zeros dropped
    (a target of 90 reads ``90%``, of 97.5 ``97.5%``)."""
    if target is None:
        return "Tracking"
    if isinstance(target, str):
        return "Under review" if target == "review" else target
    x = float(scaled(target, scale))
    text = f"{x:,.{display_decimals(unit, decimals, [x])}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return _with_unit(text, unit)


STATE_TEXT = {"not_due": "Not yet due", "carried_over": "Carried over (reported later)"}
LATEST = ("snapshot", "cumulative")


def parts_text(parts: int, due: int, frequency: str = "monthly") -> str:
    """``3 of 4 quarters``, ``10 of 11 months``: how many due periods a figure has."""
    words = PERIOD_WORDS.get(frequency, PERIOD_WORDS["monthly"])
    return f"{parts} of {due} {words[1] if due != 1 else words[0]}"


def incomplete_note(measure: str, parts: int, due: int, frequency: str = "monthly",
                    missing: tuple[str, ...] = ()) -> str:
    """What an incomplete figure's cell says after it (spec section 2): ``3 of 4 quarters``
    for a ``sum``, ``ratio`` or ``mean``; for a ``snapshot`` or ``cumulative`` (the latest
    period's figure) ``Sep 2024 missing; an earlier figure`` (``missing``: the labels of
    the periods without figures)."""
    if measure in LATEST:
        last = missing[-1] if missing else "latest period"
        return f"{last} missing; an earlier figure"
    return parts_text(parts, due, frequency)


def format_cell(value, numerator, denominator, status: str, unit: str, show_ratio: bool,
                decimals: int | None = None, frequency: str = "monthly",
                mean_of: int = 0, note: str = "", scale: float = 1) -> str:
    """The text of one report cell, per the spec's display rules.

    ``mean_of``: a ratio column whose periods' counts were not all known shows the mean
    of that many periods' values, and says so when it is more than one.  ``note``: an
    incomplete figure's :func:`incomplete_note`, said after it (``1,234 (3 of 4
    quarters)``); ``scale``: the KPI's unit scale (:func:`format_value`).
    """
    if status == "arrears":
        return arrears_text(frequency)
    if status == "zero":
        return ZERO_TEXT
    if status == "na":
        return ""
    if status in STATE_TEXT:
        return STATE_TEXT[status]
    if is_blank(value):
        return MISSING_TEXT
    text = format_value(value, unit, decimals, scale)
    if mean_of > 1:
        words = PERIOD_WORDS.get(frequency, PERIOD_WORDS["monthly"])[1]
        return f"{text} (mean of {note or f'{mean_of} {words}'})"
    if show_ratio and not is_blank(numerator) and not is_blank(denominator):
        text += f" ({plain(numerator)} out of {plain(denominator)}{'; ' + note if note else ''})"
    elif note:
        text += f" ({note})"
    return text
