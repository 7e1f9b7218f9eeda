"""The store's tables for targets per period and statuses set by judgement (reporting rules
7.9, 7.10).

Both are append-only like returns and read as of a moment: a row supersedes an earlier row
with the same ``ref, breakdown, period``, and only loads made by ``as_of`` (and up to a
run's ``loads_through``) are seen, so a report re-run as of its moment shows the target and
the overrides it showed.  Each registers a :class:`~kpilib.store.kinds.LoadKind` checked
against the council's keys (``kpi load targets|overrides``); every report reads them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from kpilib.ingest.contracts import OVERRIDE_LOAD_COLUMNS, TARGET_COLUMNS
from kpilib.store.extras import _read, _records
from kpilib.store.kinds import LoadKind, register_load_kind
from kpilib.store.peers import PEER_READS
from kpilib.store.tables import rows_table, text_columns

KEY = ("ref", "breakdown", "period")
TARGET_READ = (*TARGET_COLUMNS, "refs")

target_rows = rows_table(
    "target_rows",
    *text_columns(("ref", "breakdown", "period")),
    sa.Column("target", sa.Double, nullable=False),
    sa.Column("refs", sa.Text, nullable=False),  # further reference values, JSON
)
override_rows = rows_table("override_rows", *text_columns(OVERRIDE_LOAD_COLUMNS))


def _validate_targets(path: Path, data: bytes, catalogue: pd.DataFrame, keys):
    from kpilib.ingest.judgement import read_targets  # pandera: only loads need it

    return target_rows, _records(*read_targets(path, catalogue, keys, data=data))


def _validate_overrides(path: Path, data: bytes, catalogue: pd.DataFrame, keys):
    from kpilib.ingest.judgement import read_overrides

    return override_rows, _records(*read_overrides(path, catalogue, keys, data=data))


def _target_read(store, as_of, through):
    df, sources = _read(target_rows, TARGET_READ, KEY, "target")(store, as_of, through)
    df["target"] = df["target"].astype(float)
    return df, sources


TARGETS = register_load_kind(LoadKind(
    "targets", "targets per period (and further reference values the council's keys name)",
    _validate_targets, _target_read, TARGET_READ, KEY, needs_catalogue=True, needs_keys=True,
    recorded_when_empty=False))
OVERRIDES = register_load_kind(LoadKind(
    "overrides", "statuses set by judgement, with the reason and who decided",
    _validate_overrides, _read(override_rows, OVERRIDE_LOAD_COLUMNS, KEY, "override"),
    OVERRIDE_LOAD_COLUMNS, KEY, needs_catalogue=True, needs_keys=True,
    recorded_when_empty=False))
RULE_READS = ("targets", "overrides", "annotations")  # what every report reads besides its
#                                                      type's reads


def reads_for_keys(type_reads: tuple[str, ...], keys, peers=None) -> tuple[str, ...]:
    """The load kinds a report reads: its type's, targets, overrides and annotations, comparators
    where the council's keys compare with other bodies' figures, and bodies, groups and
    benchmarks where the council's settings name its body and group (``peers``)."""
    extra = ("comparators",) if keys is not None and keys.uses_comparators else ()
    if peers is not None and peers.active:
        extra = (*extra, *PEER_READS)
    return tuple(dict.fromkeys((*type_reads, *RULE_READS, *extra)))
