"""Financial-year periods and the column layout of monthly and quarterly reports.

Ids are plain strings, as they appear in returns and in ``results.csv``:

* financial year ``2023-24`` (1 April 2023 to 31 March 2024);
* month ``2024-02``;
* quarter ``2023-24-Q3`` (Q1 Apr-Jun, Q2 Jul-Sep, Q3 Oct-Dec, Q4 Jan-Mar).

Everything here is pure: no clock, no I/O.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from kpilib.errors import PeriodError

# ASCII digits only: ``\d`` would take ٢٠٢٤-٠٢ for 2024-02
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
_QUARTER = re.compile(r"^([0-9]{4})-([0-9]{2})-Q([1-4])$")
_FY = re.compile(r"^([0-9]{4})-([0-9]{2})$")

MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _check_fy(start: int, end2: int, text: str) -> None:
    if (start + 1) % 100 != end2:
        raise PeriodError(
            f"{text!r} is not a financial year: the second part must be the year after "
            f"the first (expected {start}-{(start + 1) % 100:02d})"
        )


@functools.lru_cache(maxsize=1024)
def parse_fy(text: str) -> int:
    """Return the starting calendar year of financial year ``text`` (``2023-24`` -> 2023)."""
    m = _FY.match(str(text).strip())
    if not m:
        raise PeriodError(f"{text!r} is not a financial year id (expected e.g. 2023-24)")
    start = int(m.group(1))
    _check_fy(start, int(m.group(2)), text)
    return start


def fy_id(start_year: int) -> str:
    """``2023`` -> ``'2023-24'``."""
    return f"{start_year}-{(start_year + 1) % 100:02d}"


@dataclass(frozen=True, order=True)
class Period:
    """A month or a quarter.

    ``months`` are the month ids the period covers, in order; ``fy`` is the
    financial year it belongs to.
    """

    kind: str  # "month" | "quarter"
    id: str
    fy: str
    months: tuple[str, ...]

    @property
    def label(self) -> str:
        """Human label: ``Feb 2024`` or ``Q3 2023-24``."""
        if self.kind == "month":
            y, m = self.id.split("-")
            return f"{MONTH_ABBR[int(m) - 1]} {y}"
        return f"{self.id[-2:]} {self.fy}"


def _fy_like(year: int, second: int) -> bool:
    return (year + 1) % 100 == second


def _month_fy_start(year: int, month: int) -> int:
    return year if month >= 4 else year - 1


@functools.lru_cache(maxsize=4096)
def month(text: str) -> Period:
    """Parse a month id ``YYYY-MM``."""
    m = _MONTH.match(str(text).strip())
    if not m:
        raise PeriodError(f"{text!r} is not a month id (expected YYYY-MM, e.g. 2024-02)")
    year, mon = int(m.group(1)), int(m.group(2))
    if not 1 <= mon <= 12:
        hint = " (it looks like a financial year)" if _fy_like(year, mon) else ""
        raise PeriodError(
            f"{text!r} is not a month id{hint}: expected YYYY-MM with a month 01 to 12, "
            f"e.g. 2024-02"
        )
    mid = f"{year:04d}-{mon:02d}"
    return Period("month", mid, fy_id(_month_fy_start(year, mon)), (mid,))


@functools.lru_cache(maxsize=1024)
def quarter(text: str) -> Period:
    """Parse a quarter id ``YYYY-YY-Qn``."""
    m = _QUARTER.match(str(text).strip())
    if not m:
        raise PeriodError(f"{text!r} is not a quarter id (expected e.g. 2023-24-Q3)")
    start = int(m.group(1))
    _check_fy(start, int(m.group(2)), text)
    q = int(m.group(3))
    months = tuple(fy_months(fy_id(start))[(q - 1) * 3 : q * 3])
    return Period("quarter", f"{fy_id(start)}-Q{q}", fy_id(start), months)


@functools.lru_cache(maxsize=4096)
def parse_period(text: str) -> Period:
    """Parse a month id or a quarter id; raise :class:`PeriodError` naming what was expected."""
    s = str(text).strip()
    if _QUARTER.match(s):
        return quarter(s)
    if _MONTH.match(s):
        return month(s)
    raise PeriodError(
        f"{text!r} is not a period id (expected a month such as 2024-02 "
        f"or a quarter such as 2023-24-Q3)"
    )


def is_period(text: object) -> bool:
    try:
        parse_period(str(text))
    except PeriodError:
        return False
    return True


def fy_months(fy: str) -> list[str]:
    """The twelve month ids of financial year ``fy``, April first."""
    return list(_fy_months(fy))


@functools.lru_cache(maxsize=256)
def _fy_months(fy: str) -> tuple[str, ...]:
    start = parse_fy(fy)
    return tuple(f"{start + (m < 4):04d}-{m:02d}" for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3))


def fy_quarters(fy: str) -> list[str]:
    parse_fy(fy)
    return [f"{fy}-Q{q}" for q in (1, 2, 3, 4)]


@functools.lru_cache(maxsize=4096)
def month_number_in_fy(month_id: str) -> int:
    """April is 1, March is 12."""
    p = month(month_id)
    return fy_months(p.fy).index(p.id) + 1


def quarter_of_month(month_id: str) -> str:
    p = month(month_id)
    return f"{p.fy}-Q{(month_number_in_fy(p.id) - 1) // 3 + 1}"


def shift(period: Period | str, steps: int) -> Period:
    """The period ``steps`` months (or quarters) later; negative for earlier."""
    p = parse_period(period) if isinstance(period, str) else period
    if p.kind == "month":
        y, m = (int(x) for x in p.id.split("-"))
        idx = y * 12 + (m - 1) + steps
        return month(f"{idx // 12:04d}-{idx % 12 + 1:02d}")
    start = parse_fy(p.fy)
    idx = start * 4 + int(p.id[-1]) - 1 + steps
    return quarter(f"{fy_id(idx // 4)}-Q{idx % 4 + 1}")


def previous(period: Period | str) -> Period:
    """The previous month of a month, the previous quarter of a quarter."""
    return shift(period, -1)


@dataclass(frozen=True)
class Column:
    """One column of a report: YTD, a quarter or a month.

    ``months`` is the span of months the column aggregates; ``quarters`` the
    span of quarter ids (for KPIs returned quarterly).  ``current`` marks the
    report period's own column (the one direction of travel is shown on).
    """

    id: str
    kind: str  # "ytd" | "quarter" | "month"
    label: str
    months: tuple[str, ...]
    quarters: tuple[str, ...]
    current: bool = False


def _quarter_column(qid: str, current: bool = False, label: str | None = None) -> Column:
    q = quarter(qid)
    return Column(q.id, "quarter", label or q.label, q.months, (q.id,), current)


def monthly_columns(month_id: str) -> list[Column]:
    """Columns of a monthly report for month M (spec section 1).

    YTD, every completed quarter of the FY before M's quarter, then each month
    of M's quarter up to M.  February 2024: YTD, Q1, Q2, Q3, 2024-01, 2024-02.
    """
    m = month(month_id)
    fy_m = fy_months(m.fy)
    n = fy_m.index(m.id) + 1
    qn = (n - 1) // 3 + 1
    done_quarters = [f"{m.fy}-Q{q}" for q in range(1, qn)]
    ytd_quarters = tuple(done_quarters + ([f"{m.fy}-Q{qn}"] if n % 3 == 0 else []))
    cols = [Column("YTD", "ytd", f"YTD {m.fy}", tuple(fy_m[:n]), ytd_quarters)]
    cols += [_quarter_column(q) for q in done_quarters]
    for mid in fy_m[(qn - 1) * 3 : n]:
        p = month(mid)
        cols.append(Column(p.id, "month", p.label, (p.id,), (), p.id == m.id))
    return cols


def quarterly_columns(quarter_id: str, previous_period: bool = False) -> list[Column]:
    """Columns of a quarterly report for quarter Q (spec section 1).

    YTD, each quarter of the FY up to Q, then the same quarter of the previous
    FY (shown where data exists; the report layer drops it when empty).  With
    ``previous_period`` (a council's report shape), a first quarter's report also shows
    the quarter before it, the previous FY's Q4, after its own.
    """
    q = quarter(quarter_id)
    qn = int(q.id[-1])
    quarters = [f"{q.fy}-Q{i}" for i in range(1, qn + 1)]
    months = tuple(fy_months(q.fy)[: qn * 3])
    cols = [Column("YTD", "ytd", f"YTD {q.fy}", months, tuple(quarters))]
    cols += [_quarter_column(x, current=(x == q.id)) for x in quarters]
    if previous_period and qn == 1:
        before = previous(q)
        cols.append(_quarter_column(before.id, label=f"{before.label} (previous quarter)"))
    last_year = shift(q, -4)
    cols.append(_quarter_column(last_year.id, label=f"{last_year.label} (last year)"))
    return cols


def report_columns(period: str, previous_period: bool = False) -> list[Column]:
    """The column layout for a report on ``period`` (a month or a quarter id)."""
    p = parse_period(period)
    return monthly_columns(p.id) if p.kind == "month" else quarterly_columns(p.id,
                                                                             previous_period)


def current_column(columns: list[Column]) -> Column:
    return next(c for c in columns if c.current)
