"""Comparators (``kpi load comparators FILE``): other bodies' figures shown beside the
council's own (comparator group and England averages, spec section 7).

Every ref must be a KPI of a loaded catalogue (any year); the value is a number in the
KPI's unit.  Every problem of a file is reported at once.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from kpilib.errors import Problem, ValidationError, other_rows
from kpilib.ingest import numbers
from kpilib.ingest.catalogue import check_columns, read_table, schema_problems, select_columns
from kpilib.ingest.contracts import COMPARATOR_COLUMNS as COLUMNS
from kpilib.ingest.contracts import COMPARATOR_REQUIRED as REQUIRED
from kpilib.ingest.text import text_problems
from kpilib.rules.measures import NUMBER

KEY = ["ref", "group", "period"]

SCHEMA = pa.DataFrameSchema(
    {
        "ref": pa.Column(str, pa.Check.str_length(min_value=1,
                                                  error="required: a KPI ref of the catalogue")),
        "group": pa.Column(str, pa.Check.str_length(
            min_value=1, error="required: the comparator group, e.g. England")),
        "period": pa.Column(str, pa.Check.str_length(
            min_value=1, error="required: the comparator's own period, e.g. 2012-13")),
        "value": pa.Column(str, pa.Check.str_matches(
            rf"^{NUMBER}$", error="required: a number in the KPI's unit (e.g. 56.0)")),
    },
    strict=False,
    name="comparators",
)


def _catalogue_problems(name: str, df: pd.DataFrame, catalogue: pd.DataFrame) -> list[Problem]:
    refs = set(catalogue.loc[catalogue["breakdown"] == "", "ref"])
    years = ", ".join(sorted(set(catalogue["year"]))) or "none"
    unknown = df[(df["ref"] != "") & ~df["ref"].isin(refs)]
    return [Problem(name, int(r), "ref", df.at[r, "ref"],
                    f"unknown ref: in no loaded catalogue (catalogues loaded: {years}); "
                    "expected a KPI ref, or load its catalogue first")
            for r in unknown.index]


def _duplicates(name: str, df: pd.DataFrame) -> list[Problem]:
    dup = df.duplicated(KEY, keep=False)
    out = []
    for _, rows in df[dup].groupby(KEY).groups.items():
        rows = sorted(int(r) for r in rows)
        out += [Problem(name, r, "group", df.at[r, "group"],
                        f"duplicate: row(s) {other_rows(rows, r)} give the same ref, group "
                        "and period; expected one row each") for r in rows]
    return out


def validate_comparators(name: str, raw: pd.DataFrame, catalogue: pd.DataFrame,
                         problems: list[Problem] | None = None
                         ) -> tuple[pd.DataFrame, list[int]]:
    """The validated comparators frame (``value`` a float) and each row's line number."""
    problems = [*(problems or []), *check_columns(name, list(raw.columns), COLUMNS, REQUIRED)]
    df = select_columns(raw, COLUMNS)
    df["value"], _ = numbers.normalise(df["value"])
    problems += schema_problems(name, SCHEMA, df)
    problems += _catalogue_problems(name, df, catalogue)
    problems += _duplicates(name, df)
    problems += text_problems(name, df, names=("group", "period", "source"))
    if problems:
        raise ValidationError(name, numbers.explain_digits(problems))
    out = df.copy()
    out["value"] = out["value"].astype(float)
    return out.reset_index(drop=True), [int(r) for r in df.index]


def read_comparators(path: str | Path, catalogue: pd.DataFrame, data: bytes | None = None
                     ) -> tuple[pd.DataFrame, list[int]]:
    """Read and validate one comparators file against ``catalogue`` (every loaded year)."""
    raw, problems = read_table(path, data=data)
    return validate_comparators(Path(path).name, raw, catalogue, problems)
