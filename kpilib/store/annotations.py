"""The store's table for annotations (reporting rules 7.15): notes on a KPI's period, shown
on its charts; a note with ``rebase: yes`` recalculates its SPC limits from that period.

Append-only and read as of a moment like every load kind: a row supersedes an earlier row
for the same ``ref, period`` (a note reworded, or its rebase withdrawn).  A report reads
only the notes of its own KPIs up to its period (``LoadKind.by_ref``), so a note on
another report's KPI neither lists the load among its sources nor changes its fingerprint.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kpilib.ingest.contracts import ANNOTATION_COLUMNS
from kpilib.store.extras import _read, _records
from kpilib.store.kinds import LoadKind, register_load_kind
from kpilib.store.tables import rows_table, text_columns

KEY = ("ref", "period")

annotation_rows = rows_table("annotation_rows", *text_columns(ANNOTATION_COLUMNS))


def _validate(path: Path, data: bytes, catalogue: pd.DataFrame):
    from kpilib.ingest.annotations import read_annotations  # only loads need validation

    return annotation_rows, _records(*read_annotations(path, catalogue, data=data))


ANNOTATIONS = register_load_kind(LoadKind(
    "annotations", "notes on a KPI's period shown on its charts (ref, period, text, rebase)",
    _validate, _read(annotation_rows, ANNOTATION_COLUMNS, KEY, "annotation"),
    ANNOTATION_COLUMNS, KEY, needs_catalogue=True, recorded_when_empty=False, by_ref=True))
