"""SPC for a report: each KPI's (and breakdown's) series, its XmR analysis, and ``spc.csv``.

Pure: built from the same inputs as the report (catalogue rows and the
returns as of the run).  The series of a KPI is every period of its own
frequency (months for a monthly KPI, quarters for a quarterly or annual one)
that has a value, from the earliest in the store up to the KPI's current
period in the report; periods without a value (missing, unavailable,
arrears) are left out, and each breakdown has its own series.

A series is analysed from two points (``spc.csv`` has it); its pages show the XmR chart,
limits and icons only from the council's minimum number of points (``spc: min_points:``
in ``council.yaml``, default 12), and otherwise its run chart and the reason in words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from kpilib.rules import spc
from kpilib.rules.formats import format_number
from kpilib.rules.periods import parse_period

SPC_COLUMNS = ("ref", "breakdown", "period", "value", "mean", "lower_limit", "upper_limit",
               "point", "rule", "variation", "assurance",
               "provisional")  # added after the first version of the contract (8.1)
TOO_FEW, TRIAL = "too_few_points", "trial_limits"  # spc.csv's ``provisional`` values


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
                values: Mapping[tuple[str, str], Mapping[str, float | None]],
                min_points: int = spc.MIN_POINTS) -> dict[tuple[str, str], spc.Analysis]:
    """The analysis of every series, by (ref, breakdown); ``min_points``: the council's
    minimum for an XmR chart on the pages."""
    out = {}
    for s in specs:
        periods, vals = series(s, values.get((s.ref, s.breakdown), {}))
        out[(s.ref, s.breakdown)] = spc.analyse(periods, vals, s.polarity, s.target, s.rebase,
                                                s.baseline, min_points)
    return out


POINT_COLUMNS = ("ref", "breakdown", "period", "value", "mean", "lower_limit", "upper_limit",
                 "near_lower", "near_upper", "point", "rule", "high", "group", "provisional")
NO_SPC = {"variation": "", "assurance": "", "spc_provisional": False, "spc_charted": False,
          "spc_variation": "", "spc_assurance": "", "spc_note": ""}


def _provisional(a: spc.Analysis, sizes: dict[int, int]):
    """spc.csv's ``provisional`` of a point: the series is too short for the pages, or the
    point's group has trial limits (fewer than the minimum), or empty."""
    return lambda p: (TOO_FEW if not a.charted
                      else TRIAL if sizes[p.group] < a.min_points else "")


def points_frame(analyses: Mapping[tuple[str, str], spc.Analysis]) -> pd.DataFrame:
    """One row per point of every analysed series (two points or more; numbers as floats,
    NaN where the limits are undefined; the limits as computed, not clipped), in series
    order."""
    rows = []
    for (ref, breakdown), a in analyses.items():
        if not a.computed:
            continue
        sizes: dict[int, int] = {}
        for p in a.points:
            sizes[p.group] = sizes.get(p.group, 0) + 1
        mark = _provisional(a, sizes)
        for p in a.points:
            lim = p.limits
            rows.append({"ref": ref, "breakdown": breakdown, "period": p.period,
                         "value": p.value, "mean": lim.mean, "lower_limit": lim.lower,
                         "upper_limit": lim.upper, "near_lower": lim.near_lower,
                         "near_upper": lim.near_upper, "point": p.point, "rule": p.rule,
                         "high": p.high, "group": p.group, "provisional": mark(p)})
    frame = pd.DataFrame(rows, columns=list(POINT_COLUMNS))
    floats = ("value", "mean", "lower_limit", "upper_limit", "near_lower", "near_upper")
    return frame.astype(dict.fromkeys(floats, float))


def summary(analyses: Mapping[tuple[str, str], spc.Analysis]) -> dict[tuple[str, str], dict]:
    """Each series' icons as the pages show them (``variation``, ``assurance``: none below
    the minimum), as computed (``spc_variation``, ``spc_assurance``: for ``spc.csv``),
    provisional, charted, and why no limits are shown (``spc_note``)."""
    return {key: {"variation": a.variation if a.charted else "",
                  "assurance": a.assurance if a.charted else "",
                  "spc_provisional": a.provisional and a.charted, "spc_charted": a.charted,
                  "spc_variation": a.variation, "spc_assurance": a.assurance,
                  "spc_note": a.note}
            for key, a in analyses.items()}


def spc_csv_frame(points: pd.DataFrame, icons: Mapping[tuple[str, str], dict]) -> pd.DataFrame:
    """The ``spc.csv`` table from the points frame: numbers as text (up to 6 decimals),
    each series' computed ``variation`` and ``assurance`` (``spc_variation`` and
    ``spc_assurance`` of ``icons``) on its latest point only, kept for a series too short
    for the pages (marked ``provisional``)."""
    out = pd.DataFrame({c: pd.Series(dtype=object) for c in SPC_COLUMNS})
    if points.empty:
        return out
    out = points.reindex(columns=list(SPC_COLUMNS)).astype(object)
    for c in ("value", "mean", "lower_limit", "upper_limit"):
        out[c] = [format_number(x) for x in points[c]]
    out["variation"], out["assurance"] = "", ""
    for i in points.groupby(["ref", "breakdown"], sort=False).tail(1).index:
        key = (points.at[i, "ref"], points.at[i, "breakdown"])
        out.at[i, "variation"] = icons[key]["spc_variation"]
        out.at[i, "assurance"] = icons[key]["spc_assurance"]
    return out.reset_index(drop=True)


def spc_frame(analyses: Mapping[tuple[str, str], spc.Analysis]) -> pd.DataFrame:
    """``spc.csv`` straight from analyses (see :func:`spc_csv_frame`)."""
    return spc_csv_frame(points_frame(analyses), summary(analyses))
