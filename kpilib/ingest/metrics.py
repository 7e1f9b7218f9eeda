"""The catalogue's ``metric`` column (reporting rules 7.1, 7.13): the metric of a national
dataset whose peer figures (``kpi load benchmarks``) a KPI is compared with.

A metric is a name (one line, bounded) and maps to at most one KPI of a year: two KPIs of
one year naming the same metric is an error naming both rows (which KPI would its peers'
figures be?).
"""

from __future__ import annotations

import pandas as pd

from kpilib.errors import Problem, other_rows
from kpilib.ingest.text import text_problems


def metric_problems(name: str, df: pd.DataFrame) -> list[Problem]:
    """The problems of a catalogue frame's ``metric`` column (index: the file's rows)."""
    out = text_problems(name, df, names=("metric",))
    kpis = df[(df["breakdown"] == "") & (df["metric"] != "")]
    dup = kpis.duplicated(["year", "metric"], keep=False)
    for (year, metric), rows in kpis[dup].groupby(["year", "metric"]).groups.items():
        rows = sorted(int(r) for r in rows)
        refs = ", ".join(str(df.at[r, "ref"]) for r in rows)
        for r in rows:
            out.append(Problem(name, r, "metric", metric, f"a metric mapped to two KPIs of "
                               f"{year} ({refs}; also row {other_rows(rows, r)}): expected "
                               "each metric on one KPI of a year"))
    return out
