"""Figures that differ between two ``results.csv`` files.

What ``kpi audit`` lists when a re-execution's figures differ from the published ones, and
what ``kpi status`` and ``kpi revisions RUN`` show of a publication against the one it
superseded: one row per (ref, breakdown, column) and field whose text differs.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

KEY = ["ref", "breakdown", "column"]
FIELDS = ("value", "numerator", "denominator", "rag", "travel")
CHANGE_COLUMNS = (*KEY, "field", "before", "after")


def results_changes(before: Path, after: Path) -> list[dict]:
    """Every figure of ``after`` that is not as in ``before`` (a row only in one file counts,
    its missing side empty): dicts of ``ref, breakdown, column, field, before, after``."""
    a = pd.read_csv(before, dtype=str, keep_default_na=False)
    b = pd.read_csv(after, dtype=str, keep_default_na=False)
    m = a.merge(b, on=KEY, how="outer", suffixes=("_before", "_after"))
    changes = []
    for r in m.to_dict("records"):
        for f in FIELDS:
            old, new = r.get(f"{f}_before", ""), r.get(f"{f}_after", "")
            old = "" if old != old else old
            new = "" if new != new else new
            if old != new:
                changes.append({"ref": r["ref"], "breakdown": r["breakdown"],
                                "column": r["column"], "field": f, "before": old, "after": new})
    return changes
