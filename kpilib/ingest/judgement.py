"""Targets per period and recorded judgement (``kpi load targets|overrides FILE``).

**Targets** (``ref, period, target`` and optionally ``breakdown`` and one column per
reference value the council's keys declare, such as a ``forecast`` or a second target
``aim_for``): a loaded target replaces the catalogue's for that ref, breakdown and period,
whatever the order of the loads; a target changed in year is a new load, and an earlier
report re-run as of its moment keeps the target it showed.

**Overrides** (``ref, period, breakdown, status, reason, by``): a status set by judgement,
with its reason and who decided; the status must be one of the KPI's key.

Every ref must be a KPI of the catalogue of the period's financial year; every problem of a
file is reported at once.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from kpilib.errors import Problem, ValidationError, other_rows
from kpilib.ingest import numbers
from kpilib.ingest.catalogue import check_columns, read_table, select_columns
from kpilib.ingest.contracts import (
    OVERRIDE_LOAD_COLUMNS,
    OVERRIDE_LOAD_REQUIRED,
    TARGET_COLUMNS,
    TARGET_REQUIRED,
)
from kpilib.ingest.keys import builtin_keys
from kpilib.ingest.text import text_problems
from kpilib.rules.measures import NUMBER
from kpilib.rules.periods import PeriodError, parse_period
from kpilib.rules.targets import _NUMBER_RE

KEY = ["ref", "breakdown", "period"]
MAX_TEXT = 500  # a reason or a name


def _kpis(catalogue: pd.DataFrame) -> dict[tuple[str, str], dict]:
    rows = catalogue[catalogue["breakdown"] == ""]
    return {(r["year"], r["ref"]): r for r in rows.to_dict("records")}


def _row_common(name: str, df: pd.DataFrame, catalogue: pd.DataFrame, keys, add) -> dict:
    """Checks of ref, period and breakdown; each row's KPI (or None)."""
    kpis = _kpis(catalogue)
    years = sorted({y for y, _ in kpis})
    found = {}
    for row in df.index:
        ref, period, b = df.at[row, "ref"], df.at[row, "period"], df.at[row, "breakdown"]
        if not ref:
            add(row, "ref", "", "required: a KPI ref of the catalogue")
        try:
            per = parse_period(period)
        except PeriodError:
            add(row, "period", period, "expected a month id such as 2024-02 or a quarter id "
                                       "such as 2024-25-Q3")
            continue
        kpi = kpis.get((per.fy, ref))
        if ref and kpi is None:
            inyears = [y for y, r in kpis if r == ref]
            add(row, "ref", ref, f"not a KPI of the {per.fy} catalogue (loaded: "
                f"{', '.join(years) or 'none'}"
                + (f"; the ref is in {', '.join(inyears)}" if inyears else "") + ")")
            continue
        if kpi is None:
            continue
        kind = "month" if kpi["frequency"] == "monthly" else "quarter"
        if per.kind != kind:
            add(row, "period", period, f"{ref} is a {kpi['frequency']} KPI: expected a "
                                       f"{kind} id")
        listed = [x.strip() for x in kpi["breakdowns"].split(";") if x.strip()]
        if b and b not in listed:
            add(row, "breakdown", b, f"not a breakdown of {ref} in {per.fy}; expected one of "
                f"{', '.join(listed) or '(none: leave it empty)'}")
        found[row] = kpi
    dup = df.duplicated(KEY, keep=False)
    for _, rows in df[dup].groupby(KEY).groups.items():
        rows = sorted(int(r) for r in rows)
        for r in rows:
            add(r, "period", df.at[r, "period"], f"duplicate: row(s) {other_rows(rows, r)} give "
                "the same ref, breakdown and period; expected one row each")
    return found


def _declared(keys) -> set[str]:
    return {r for k in keys.status.values() for r in k.references}


def read_targets(path: str | Path, catalogue: pd.DataFrame, keys=None,
                 data: bytes | None = None) -> tuple[pd.DataFrame, list[int]]:
    """Read and validate a targets file: (frame with ``target`` a float and ``refs`` the
    further reference values as JSON, each row's line number)."""
    keys = keys or builtin_keys()
    name = Path(path).name
    raw, problems = read_table(path, data=data)
    declared = sorted(_declared(keys))
    extra = [c for c in raw.columns if c in declared]
    problems += check_columns(name, [c for c in raw.columns if c not in declared],
                              TARGET_COLUMNS, TARGET_REQUIRED)
    df = select_columns(raw, (*TARGET_COLUMNS, *extra))

    def add(row, col, value, msg):
        problems.append(Problem(name, int(row), col, value, msg))

    for col in ("target", *extra):
        df[col], _ = numbers.normalise(df[col])
        for row in df.index:
            v = df.at[row, col]
            if (col == "target" and not v) or (v and not _NUMBER_RE.match(v)):
                add(row, col, v, f"{'required: ' if not v else ''}expected a number in the "
                    f"KPI's unit (percent as a number of percent)")
    found = _row_common(name, df, catalogue, keys, add)
    for row, kpi in found.items():
        t = df.at[row, "target"]
        if kpi["polarity"] == "none" and t:
            add(row, "target", t, f"{kpi['ref']} has polarity none: a target needs a direction")
        if kpi["unit"] == "percent" and t and _NUMBER_RE.match(t) and not 0 <= float(t) <= 100:
            add(row, "target", t, "a percent target must be between 0 and 100")
    if problems:
        raise ValidationError(name, problems)
    out = df.loc[:, ["ref", "breakdown", "period", "target"]].copy()
    out["target"] = out["target"].astype(float)
    out["refs"] = [json.dumps({c: float(df.at[r, c]) for c in extra if df.at[r, c]},
                              sort_keys=True) for r in df.index]
    return out.reset_index(drop=True), [int(r) for r in df.index]


def read_overrides(path: str | Path, catalogue: pd.DataFrame, keys=None,
                   data: bytes | None = None) -> tuple[pd.DataFrame, list[int]]:
    """Read and validate an overrides file (every status one of its KPI's key)."""
    keys = keys or builtin_keys()
    name = Path(path).name
    raw, problems = read_table(path, data=data)
    problems += check_columns(name, list(raw.columns), OVERRIDE_LOAD_COLUMNS,
                              OVERRIDE_LOAD_REQUIRED)
    df = select_columns(raw, OVERRIDE_LOAD_COLUMNS)

    def add(row, col, value, msg):
        problems.append(Problem(name, int(row), col, value, msg))

    for row in df.index:
        for col, what in (("reason", "why the status was set by judgement"),
                          ("by", "who decided (a name or a role)")):
            if not df.at[row, col]:
                add(row, col, "", f"required: {what}")
    problems += text_problems(name, df, {"reason": MAX_TEXT, "by": MAX_TEXT})
    found = _row_common(name, df, catalogue, keys, add)
    for row, kpi in found.items():
        ident = kpi["rag_scheme"] or keys.default_status
        key = keys.status.get(ident)
        status = df.at[row, "status"]
        if key is None:
            add(row, "status", status, f"{kpi['ref']}'s key {ident!r} is not in the council's "
                                       "settings")
        elif status not in key.labels:
            add(row, "status", status, f"not a status of {kpi['ref']}'s key {ident!r}; "
                f"expected one of {', '.join(key.labels)}")
    if problems:
        raise ValidationError(name, problems)
    return df.reset_index(drop=True), [int(r) for r in df.index]


__all__ = ["NUMBER", "read_overrides", "read_targets"]
