"""Annotations (``kpi load annotations FILE``, reporting rules 7.15): a note on a KPI's
period ("new triage process", "policy change") shown on its trend and SPC charts and in
their text alternatives; ``rebase: yes`` also recalculates the KPI's SPC limits from that
period, as a catalogue ``spc_rebase`` period does (section 8).

Every ref must be a KPI of a loaded catalogue (any year); the period a month id or a
quarter id; the text one line or a few, not empty.  Two rows for the same ref and period
with different text (or a different ``rebase``) are each an error; identical rows are one
note.  Every problem of a file is reported at once, naming its row and column.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kpilib.errors import Problem, ValidationError, other_rows
from kpilib.ingest.catalogue import check_columns, read_table, select_columns
from kpilib.ingest.contracts import ANNOTATION_COLUMNS as COLUMNS
from kpilib.ingest.contracts import ANNOTATION_REQUIRED as REQUIRED
from kpilib.ingest.text import text_problems
from kpilib.rules.periods import is_period

KEY = ["ref", "period"]
TEXT_MAX = 200  # characters of a note: a chart label, not commentary
REBASE = {"": "", "no": "", "yes": "yes"}


def validate_annotations(name: str, raw: pd.DataFrame, catalogue: pd.DataFrame,
                         problems: list[Problem] | None = None
                         ) -> tuple[pd.DataFrame, list[int]]:
    """The validated annotations (``rebase`` ``yes`` or empty) and each row's line."""
    problems = [*(problems or []), *check_columns(name, list(raw.columns), COLUMNS, REQUIRED)]
    df = select_columns(raw, COLUMNS)

    def add(row, col, value, msg):
        problems.append(Problem(name, int(row), col, value, msg))

    refs = set(catalogue.loc[catalogue["breakdown"] == "", "ref"])
    years = ", ".join(sorted(set(catalogue["year"]))) or "none"
    for row, ref, period, text, rebase in zip(df.index, df["ref"], df["period"], df["text"],
                                              df["rebase"], strict=True):
        if not ref:
            add(row, "ref", "", "required: a KPI ref of the catalogue")
        elif ref not in refs:
            add(row, "ref", ref, f"unknown ref: in no loaded catalogue (catalogues loaded: "
                f"{years}); expected a KPI ref, or load its catalogue first")
        if not is_period(period):
            add(row, "period", period, ("required: " if not period else "") + "expected a "
                "month id (2024-02) or a quarter id (2024-25-Q3): the period the note is on")
        if not text.strip():
            add(row, "text", text, "required: the note, e.g. new triage process")
        elif len(text) > TEXT_MAX:
            add(row, "text", text, f"{len(text)} characters: expected at most {TEXT_MAX} (a "
                "note on a chart; the period's commentary is the returns' commentary)")
        if rebase.lower() not in REBASE:
            add(row, "rebase", rebase, "expected yes (the SPC limits are recalculated from "
                "this period) or no (or empty)")
    df["rebase"] = [REBASE.get(r.lower(), r) for r in df["rebase"]]
    dup = df.duplicated(KEY, keep=False)
    for _, rows in df[dup].groupby(KEY).groups.items():
        rows = sorted(int(r) for r in rows)
        if len({(df.at[r, "text"], df.at[r, "rebase"]) for r in rows}) > 1:
            for r in rows:
                add(r, "text", df.at[r, "text"], f"duplicate with another note: row(s) "
                    f"{other_rows(rows, r)} give the same ref and period with different "
                    "text or rebase; expected one note per KPI and period")
    problems += text_problems(name, df, texts=("text",))
    if problems:
        raise ValidationError(name, problems)
    df = df.drop_duplicates(KEY, keep="last")
    return df.reset_index(drop=True), [int(r) for r in df.index]


def read_annotations(path: str | Path, catalogue: pd.DataFrame, data: bytes | None = None
                     ) -> tuple[pd.DataFrame, list[int]]:
    """Read and validate one annotations file against ``catalogue`` (every loaded year)."""
    raw, problems = read_table(path, data=data)
    return validate_annotations(Path(path).name, raw, catalogue, problems)
