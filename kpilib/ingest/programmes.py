"""Programmes (``kpi load programmes FILE``): the county report's "Managing change" rows.

One row per change programme per period (spec section 7): its status (Green, Amber,
Red, Complete, Not started), due date, lead, description and this period's update.
Every problem of a file is reported at once (:class:`~kpilib.errors.ValidationError`);
description and update may hold simple HTML, sanitised when a page is made.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from kpilib.errors import Problem, ValidationError, other_rows
from kpilib.ingest import numbers
from kpilib.ingest.catalogue import check_columns, read_table, schema_problems, select_columns
from kpilib.ingest.contracts import PROGRAMME_COLUMNS as COLUMNS
from kpilib.ingest.contracts import PROGRAMME_REQUIRED as REQUIRED
from kpilib.ingest.contracts import PROGRAMME_STATUSES as STATUSES
from kpilib.ingest.text import text_problems
from kpilib.rules.periods import is_period

PERIOD_EXPECTED = "expected a quarter id such as 2013-14-Q2 or a month id such as 2013-09"
DUE_EXPECTED = "expected an ISO date such as 2015-03-30, or empty"

SCHEMA = pa.DataFrameSchema(
    {
        "programme": pa.Column(str, pa.Check.str_length(
            min_value=1, error="required: the programme's name")),
        "period": pa.Column(str, pa.Check(lambda s: s.map(is_period), element_wise=False,
                                          error=PERIOD_EXPECTED)),
        "status": pa.Column(str, pa.Check.isin(list(STATUSES), error=(
            f"expected one of {', '.join(STATUSES)} (written exactly so)"))),
        "due": pa.Column(str, pa.Check(lambda s: s.map(iso_date_ok), element_wise=False,
                                       error=DUE_EXPECTED)),
    },
    strict=False,
    name="programmes",
)


def iso_date_ok(text: str) -> bool:
    """Empty, or a real calendar date written ``YYYY-MM-DD``."""
    if text == "":
        return True
    if len(text) != 10:
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _duplicates(name: str, df: pd.DataFrame) -> list[Problem]:
    dup = df.duplicated(["programme", "period"], keep=False) & (df["programme"] != "")
    out = []
    for _, rows in df[dup].groupby(["programme", "period"]).groups.items():
        rows = sorted(int(r) for r in rows)
        for r in rows:
            out.append(Problem(name, r, "programme", df.at[r, "programme"],
                               f"duplicate: row(s) {other_rows(rows, r)} name the same "
                               "programme for the same period; expected one row per "
                               "programme and period"))
    return out


def validate_programmes(name: str, raw: pd.DataFrame, problems: list[Problem] | None = None
                        ) -> tuple[pd.DataFrame, list[int]]:
    """The validated programmes frame (the contract's columns, text) and each row's line."""
    problems = [*(problems or []), *check_columns(name, list(raw.columns), COLUMNS, REQUIRED)]
    df = select_columns(raw, COLUMNS)
    problems += schema_problems(name, SCHEMA, df)
    problems += _duplicates(name, df)
    problems += text_problems(name, df, names=("programme", "lead"),
                              texts=("description", "update"))
    if problems:
        raise ValidationError(name, numbers.explain_digits(problems))
    return df.reset_index(drop=True), [int(r) for r in df.index]


def read_programmes(path: str | Path, data: bytes | None = None
                    ) -> tuple[pd.DataFrame, list[int]]:
    """Read and validate one programmes file (CSV or ``.xlsx``); every problem at once."""
    raw, problems = read_table(path, keep_spaces=("description", "update"), data=data)
    return validate_programmes(Path(path).name, raw, problems)
