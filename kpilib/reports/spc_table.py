"""SPC for a report: each KPI's (and breakdown's) series, its XmR analysis, and ``spc.csv``.

Pure: built from the same inputs as the report (catalogue rows and the
returns as of the run).  The series of a KPI is every period of its own
frequency (months for a monthly KPI, quarters for a quarterly or annual one)
that has a value, from the earliest in the store up to the KPI's current
period in the report; periods without a value (missing, unavailable,
arrears) are left out, and each breakdown has its own series.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from kpilib.rules import spc
from kpilib.rules.formats import format_number
from kpilib.rules.periods import parse_period

SPC_COLUMNS = ("ref", "breakdown", "period", "value", "mean", "lower_limit", "upper_limit",
               "point", "rule", "variation", "assurance")


@dataclass(frozen=True)
class SeriesSpec:
    """What the analysis of one series needs to know of its KPI."""

    ref: str
    breakdown: str
    frequency: str
    polarity: str
    last: str  # the KPI's current period in the report (a month or quarter id)
    target: float | None = None
    rebase: tuple[str, ...] = ()
    baseline: int | None = None


def parse_rebase(text: str) -> tuple[str, ...]:
    """``spc_rebase``: ``;``-separated period ids."""
    return tuple(p.strip() for p in str(text or "").split(";") if p.strip())


def parse_baseline(text: str) -> int | None:
    return int(text) if str(text or "").strip() else None


def series(spec: SeriesSpec, values: Mapping[str, float | None]) -> tuple[list[str], list[float]]:
    """The periods (of the KPI's own frequency, up to ``spec.last``) that have a value."""
    kind = "month" if spec.frequency == "monthly" else "quarter"
    have = sorted(p for p, v in values.items()
                  if v is not None and v == v and p <= spec.last
                  and parse_period(p).kind == kind)
    return have, [float(values[p]) for p in have]


def analyse_all(specs: Iterable[SeriesSpec],
                values: Mapping[tuple[str, str], Mapping[str, float | None]]
                ) -> dict[tuple[str, str], spc.Analysis]:
    """The analysis of every series, by (ref, breakdown)."""
    out = {}
    for s in specs:
        periods, vals = series(s, values.get((s.ref, s.breakdown), {}))
        out[(s.ref, s.breakdown)] = spc.analyse(periods, vals, s.polarity, s.target, s.rebase,
                                                s.baseline)
    return out


def spc_frame(analyses: Mapping[tuple[str, str], spc.Analysis]) -> pd.DataFrame:
    """The ``spc.csv`` table: one row per point of every charted series, numbers as text
    (up to 6 decimals); ``variation`` and ``assurance`` on the latest point only."""
    rows = []
    for (ref, breakdown), a in analyses.items():
        if not a.charted:
            continue
        for i, p in enumerate(a.points):
            latest = i == len(a.points) - 1
            lim = p.limits
            rows.append({
                "ref": ref, "breakdown": breakdown, "period": p.period,
                "value": format_number(p.value), "mean": format_number(lim.mean),
                "lower_limit": format_number(lim.lower), "upper_limit": format_number(lim.upper),
                "point": p.point, "rule": p.rule,
                "variation": a.variation if latest else "",
                "assurance": a.assurance if latest else "",
            })
    return pd.DataFrame(rows, columns=list(SPC_COLUMNS))
