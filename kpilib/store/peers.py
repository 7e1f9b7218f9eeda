"""The store's tables for bodies, groups and benchmarks (reporting rules 7.11-7.13).

Append-only and read as of a moment like every load kind:

* ``bodies``: a row supersedes an earlier row for the same ``body`` (a renamed council);
* ``groups``: a load **replaces each group it names, whole** (as a catalogue load replaces
  a year's KPI set): the members of a group are those of the latest load naming it, so a
  council leaving a nearest-neighbour group leaves it from that load on;
* ``benchmarks``: a row supersedes an earlier row for the same ``body, metric, period``.

Each registers a :class:`~kpilib.store.kinds.LoadKind` (``kpi load bodies|groups|
benchmarks``); a groups file is checked against the loaded bodies, a benchmarks file
against the loaded bodies, groups and catalogue.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from kpilib.ingest.contracts import BENCHMARK_COLUMNS, BODY_COLUMNS, GROUP_COLUMNS
from kpilib.store.extras import _read, _records
from kpilib.store.kinds import LoadKind, register_load_kind
from kpilib.store.tables import rows_table, text_columns

BODY_KEY = ("body",)
GROUP_KEY = ("group", "body")
BENCHMARK_KEY = ("body", "metric", "period")

body_rows = rows_table("body_rows", *text_columns(BODY_COLUMNS))
group_rows = rows_table("group_rows", *text_columns(GROUP_COLUMNS))
benchmark_rows = rows_table(
    "benchmark_rows",
    *text_columns(("body", "metric", "period", "unit")),
    *(sa.Column(c, sa.Double, nullable=True) for c in ("value", "numerator", "denominator")),
    sa.Index("ix_benchmark_rows_metric", "metric", "period"),
)


def _validate_bodies(path: Path, data: bytes, catalogue: pd.DataFrame):
    from kpilib.ingest.peers import read_bodies  # only loads need validation

    return body_rows, _records(*read_bodies(path, data=data))


def _validate_groups(path: Path, data: bytes, catalogue: pd.DataFrame, stored: dict):
    from kpilib.ingest.peers import read_groups

    return group_rows, _records(*read_groups(path, stored["bodies"], data=data))


def _validate_benchmarks(path: Path, data: bytes, catalogue: pd.DataFrame, stored: dict):
    from kpilib.ingest.peers import read_benchmarks

    df, rows = read_benchmarks(path, catalogue, stored["bodies"], stored["groups"], data=data)
    for col in ("value", "numerator", "denominator"):
        df[col] = [float(v) if v else None for v in df[col]]
    return benchmark_rows, _records(df, rows)


def _read_groups(store, as_of: str | None, through: int | None):
    """Each group's members as of a moment: those of the latest load naming the group."""
    df, sources = _read(group_rows, GROUP_COLUMNS, GROUP_KEY, "group")(store, as_of, through)
    if df.empty:
        return df, sources
    latest = df.groupby("group")["load_id"].transform("max")
    df = df[df["load_id"] == latest].reset_index(drop=True)
    kept = set(df["loaded_at"])  # the loads the members come from
    return df, [s for s in sources if s["loaded_at"] in kept]


def _read_benchmarks(store, as_of: str | None, through: int | None):
    df, sources = _read(benchmark_rows, BENCHMARK_COLUMNS, BENCHMARK_KEY, "benchmark")(
        store, as_of, through)
    for col in ("numerator", "denominator"):
        df[col] = pd.to_numeric(df[col].replace("", None), errors="coerce")
    return df, sources


BODIES = register_load_kind(LoadKind(
    "bodies", "bodies by their official codes (ONS GSS codes: body, name, kind)",
    _validate_bodies, _read(body_rows, BODY_COLUMNS, BODY_KEY, "body"), BODY_COLUMNS,
    BODY_KEY, recorded_when_empty=False))
GROUPS = register_load_kind(LoadKind(
    "groups", "named groups of bodies (group, body: nearest neighbours, family groups)",
    _validate_groups, _read_groups, GROUP_COLUMNS, GROUP_KEY, needs_stored=("bodies",),
    recorded_when_empty=False))
BENCHMARKS = register_load_kind(LoadKind(
    "benchmarks", "peer figures in the long format of national datasets (body, metric, "
    "period, value, unit)", _validate_benchmarks, _read_benchmarks, BENCHMARK_COLUMNS,
    BENCHMARK_KEY, needs_catalogue=True, needs_stored=("bodies", "groups"),
    recorded_when_empty=False))
PEER_READS = ("bodies", "groups", "benchmarks")  # what a council with a body code reads
