"""A fleet's benchmarking report, as data (pure; reporting rules 7.13.1): for each KPI, every
council of the fleet ranked by its figure for the report's period, with its SPC signal.

The inputs are each council's published run (its ``results.csv`` and ``spc.csv`` frames,
read by :mod:`kpilib.run.benchmarking`) and the KPIs' definitions (ref, name, unit,
polarity, measure).  A council's figure is its KPI's total (``breakdown`` empty) in the
``results.csv`` column of the report's period; ranks, quartiles, median and average follow
:mod:`kpilib.rules.peers` (competition ranks by the KPI's polarity; no quartiles below 4
councils).  A council without a figure is listed after the ranked ones, unranked, saying
why.  Its SPC signal is its ``spc.csv`` row for the KPI's total in the period (``point``,
``variation``, ``assurance``).

:func:`funnel_points` gives a proportion's or rate's (numerator, denominator) per council,
the input of a funnel plot (:mod:`kpilib.rules.funnel`, joined separately).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from kpilib.rules import peers as R

BENCHMARK_COLUMNS = ("ref", "council", "value", "numerator", "denominator", "rank",
                     "quartile", "point", "variation", "assurance")


@dataclass(frozen=True)
class KpiDef:
    ref: str
    name: str
    unit: str
    polarity: str
    measure: str


@dataclass(frozen=True)
class Entry:
    """One council's figure and SPC signal for one KPI and period."""

    council: str
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    point: str = ""
    variation: str = ""
    assurance: str = ""


@dataclass(frozen=True)
class Ranked:
    entry: Entry
    rank: str  # "4th of 20", or why there is none
    quartile: str


@dataclass(frozen=True)
class KpiTable:
    kpi: KpiDef
    period: str
    rows: tuple[Ranked, ...]  # best first; councils without a figure last
    n: int  # councils with a figure
    median: float | None
    mean: float | None


def _number(x) -> float | None:
    if x is None or (isinstance(x, str) and not x.strip()):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def entries(council: str, results: pd.DataFrame, spc: pd.DataFrame | None, period: str
            ) -> dict[str, Entry]:
    """ref -> the council's :class:`Entry` for ``period`` (every KPI total in its results)."""
    totals = results[(results["breakdown"] == "") & (results["column"] == period)]
    signals = {}
    if spc is not None and len(spc):
        rows = spc[(spc["breakdown"] == "") & (spc["period"] == period)]
        signals = {r: (p, v, a) for r, p, v, a in zip(rows["ref"], rows["point"],
                                                     rows["variation"], rows["assurance"],
                                                     strict=True)}
    out = {}
    for ref, value, num, den in zip(totals["ref"], totals["value"], totals["numerator"],
                                    totals["denominator"], strict=True):
        point, variation, assurance = signals.get(ref, ("", "", ""))
        out[ref] = Entry(council, _number(value), _number(num), _number(den), point,
                         variation, assurance)
    return out


def kpi_table(kpi: KpiDef, period: str, by_council: list[Entry]) -> KpiTable:
    """Every council's place for one KPI (``by_council``: one entry per council)."""
    values = {e.council: e.value for e in by_council if e.value is not None}
    best = R.ordered(values, kpi.polarity)
    index = {e.council: e for e in by_council}
    rows = []
    for council, _ in best:
        st = R.standing(values, council, kpi.polarity)
        rows.append(Ranked(index[council], st.rank_text, st.quartile_text))
    rows += [Ranked(e, "not ranked: no figure for this period", "")
             for e in sorted(by_council, key=lambda e: e.council) if e.value is None]
    vals = list(values.values())
    return KpiTable(kpi, period, tuple(rows), len(vals),
                    R.median(vals) if vals else None, R.mean(vals) if vals else None)


def tables(defs: list[KpiDef], period: str, councils: dict[str, dict[str, Entry]],
           only: tuple[str, ...] = ()) -> list[KpiTable]:
    """One table per KPI of ``defs`` (in their order; ``only``: those refs) that at least
    one council reports; ``councils``: council -> its :func:`entries`."""
    out = []
    for kpi in defs:
        if only and kpi.ref not in only:
            continue
        got = [e[kpi.ref] for e in councils.values() if kpi.ref in e]
        if got:
            out.append(kpi_table(kpi, period, got))
    return out


def funnel_points(table: KpiTable) -> list[tuple[str, float, float]]:
    """(council, numerator, denominator) of every council with both, for a ratio KPI (a
    proportion or a rate); [] for other KPIs."""
    if table.kpi.measure != "ratio":
        return []
    return [(r.entry.council, r.entry.numerator, r.entry.denominator) for r in table.rows
            if r.entry.numerator is not None and r.entry.denominator]


def _text(x: float | None) -> str:
    """A figure as written in ``benchmark.csv``: whole numbers without a point, others to
    6 decimal places at most (as ``results.csv``)."""
    if x is None:
        return ""
    return str(int(x)) if x == int(x) else repr(round(x, 6))


def frame(ts: list[KpiTable]) -> pd.DataFrame:
    """``benchmark.csv``: one row per KPI and council, in page order."""
    rows = [(t.kpi.ref, r.entry.council, _text(r.entry.value), _text(r.entry.numerator),
             _text(r.entry.denominator), r.rank, r.quartile, r.entry.point,
             r.entry.variation, r.entry.assurance) for t in ts for r in t.rows]
    return pd.DataFrame(rows, columns=list(BENCHMARK_COLUMNS))
