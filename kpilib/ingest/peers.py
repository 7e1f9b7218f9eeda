"""Bodies, groups and benchmarks (``kpi load bodies|groups|benchmarks FILE``, reporting
rules 7.11-7.13): other public bodies by their official codes, named groups of them, and
their published figures in the long format national datasets use.

A groups file needs its bodies loaded first, and a benchmarks file its bodies and groups
(every body in at least one group).  Every problem of a file is reported at once, each
naming the row and column; nothing is stored.  Checks are plain loops over the rows, so a
national file of 10,000s of rows validates in well under a second.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from kpilib.errors import Problem, ValidationError, other_rows
from kpilib.ingest import numbers
from kpilib.ingest.catalogue import check_columns, read_table, select_columns
from kpilib.ingest.contracts import (
    BENCHMARK_COLUMNS,
    BENCHMARK_REQUIRED,
    BODY_COLUMNS,
    BODY_REQUIRED,
    ENUMS,
    GROUP_COLUMNS,
    GROUP_REQUIRED,
)
from kpilib.ingest.text import text_problems
from kpilib.rules.measures import NUMBER
from kpilib.rules.peers import BODY_CODE, BODY_EXPECTED, PERIOD_EXPECTED, period_end
from kpilib.rules.periods import PeriodError

_NUMBER = re.compile(rf"^{NUMBER}$")


def _read(path, data, columns, required):
    name = Path(path).name
    raw, problems = read_table(path, data=data)
    problems += check_columns(name, list(raw.columns), columns, required)
    return name, select_columns(raw, columns), problems


def _done(name: str, df: pd.DataFrame, problems: list[Problem]):
    if problems:
        raise ValidationError(name, numbers.explain_digits(problems))
    return df.reset_index(drop=True), [int(r) for r in df.index]


def _codes(name: str, df: pd.DataFrame, known: set[str] | None, add) -> None:
    """Every ``body`` a well-formed code (and, given ``known``, a loaded body)."""
    for row, code in zip(df.index, df["body"], strict=True):
        if not code:
            add(row, "body", "", f"required: {BODY_EXPECTED}")
        elif not BODY_CODE.match(code):
            add(row, "body", code, BODY_EXPECTED)
        elif known is not None and code not in known:
            add(row, "body", code, "unknown body: not in the loaded bodies (kpi load bodies "
                f"FILE first; {len(known):,} loaded)")


def _problems(name: str):
    problems: list[Problem] = []

    def add(row, col, value, msg):
        problems.append(Problem(name, int(row), col, value, msg))
    return problems, add


def read_bodies(path: str | Path, data: bytes | None = None
                ) -> tuple[pd.DataFrame, list[int]]:
    """Read and validate a bodies file: ``body`` (code), ``name``, ``kind`` (optional)."""
    name, df, problems = _read(path, data, BODY_COLUMNS, BODY_REQUIRED)
    more, add = _problems(name)
    _codes(name, df, None, add)
    for row in df.index[df["name"] == ""]:
        add(row, "name", "", "required: the body's name, e.g. Somerset Council")
    for _, rows in df[df.duplicated("body", keep=False)].groupby("body").groups.items():
        rows = sorted(int(r) for r in rows)
        for r in rows:
            add(r, "body", df.at[r, "body"], f"duplicate: row(s) {other_rows(rows, r)} give "
                "the same body; expected one row each")
    return _done(name, df, problems + more + text_problems(name, df, names=("name", "kind")))


def read_groups(path: str | Path, bodies: pd.DataFrame, data: bytes | None = None
                ) -> tuple[pd.DataFrame, list[int]]:
    """Read and validate a groups file (``group``, ``body``: one row per member) against
    the loaded ``bodies``."""
    name, df, problems = _read(path, data, GROUP_COLUMNS, GROUP_REQUIRED)
    more, add = _problems(name)
    _codes(name, df, set(bodies["body"]), add)
    for row in df.index[df["group"] == ""]:
        add(row, "group", "", "required: the group's name, e.g. CIPFA nearest neighbours")
    dup = df.duplicated(["group", "body"], keep=False)
    for _, rows in df[dup].groupby(["group", "body"]).groups.items():
        rows = sorted(int(r) for r in rows)
        for r in rows:
            add(r, "body", df.at[r, "body"], f"duplicate: row(s) {other_rows(rows, r)} give "
                "the same group and body; expected each member once")
    return _done(name, df, problems + more + text_problems(name, df, names=("group",)))


def _metrics(catalogue: pd.DataFrame) -> dict[str, set[str]]:
    """metric -> the units of the KPIs it is mapped to (any loaded year)."""
    kpis = catalogue[(catalogue["breakdown"] == "") & (catalogue["metric"] != "")]
    out: dict[str, set[str]] = {}
    for metric, unit in zip(kpis["metric"], kpis["unit"], strict=True):
        out.setdefault(metric, set()).add(unit)
    return out


def read_benchmarks(path: str | Path, catalogue: pd.DataFrame, bodies: pd.DataFrame,
                    groups: pd.DataFrame, data: bytes | None = None
                    ) -> tuple[pd.DataFrame, list[int]]:
    """Read and validate a benchmarks file (long format: ``body, metric, period, value,
    unit`` and optionally ``numerator, denominator``) against the loaded bodies, groups and
    catalogue (a metric a KPI maps must be in that KPI's unit)."""
    name, df, problems = _read(path, data, BENCHMARK_COLUMNS, BENCHMARK_REQUIRED)
    more, add = _problems(name)
    _codes(name, df, set(bodies["body"]), add)
    grouped = set(groups["body"])
    known = set(bodies["body"])
    for row, code in zip(df.index, df["body"], strict=True):
        if code in known and code not in grouped:
            add(row, "body", code, "a body in no group: load a groups file naming it (its "
                "figure would be compared with no one)")
    for col in ("value", "numerator", "denominator"):
        df[col], _ = numbers.normalise(df[col])
        for row, v in zip(df.index, df[col], strict=True):
            if (v or col == "value") and not _NUMBER.match(v):
                add(row, col, v, ("required: " if not v else "") + "expected a number"
                    + (" in the metric's unit" if col == "value" else ""))
    ends = {}
    for row, p in zip(df.index, df["period"], strict=True):
        try:
            ends[row] = period_end(p)
        except PeriodError:
            add(row, "period", p, ("required: " if not p else "") + PERIOD_EXPECTED)
    mapped = _metrics(catalogue)
    units = ENUMS["unit"]
    for row, metric, unit in zip(df.index, df["metric"], df["unit"], strict=True):
        if not metric:
            add(row, "metric", "", "required: the dataset's metric id or name")
        if unit not in units:
            add(row, "unit", unit, f"{'required: ' if not unit else ''}expected one of "
                f"{', '.join(units)}")
        elif metric in mapped and mapped[metric] != {unit}:
            add(row, "unit", unit, f"metric {metric!r} is mapped to a KPI in "
                f"{' and '.join(sorted(mapped[metric]))}: a figure in {unit} cannot be "
                "compared with it (convert it, or map the metric to another KPI)")
    key = ["body", "metric", "period"]
    dup = df.duplicated(key, keep=False)
    if dup.any():
        for _, rows in df[dup].groupby(key).groups.items():
            rows = sorted(int(r) for r in rows)
            if len({df.at[r, "value"] for r in rows}) > 1:
                for r in rows:
                    add(r, "value", df.at[r, "value"], f"duplicate with another value: row(s) "
                        f"{other_rows(rows, r)} give the same body, metric and period")
    problems += more + text_problems(name, df, names=("metric",))
    if problems:
        raise ValidationError(name, numbers.explain_digits(problems))
    df = df.drop_duplicates(key, keep="last")
    return _done(name, df, [])
