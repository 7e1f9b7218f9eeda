"""The store's tables for the county report's programmes and comparators (spec section 7).

Both are append-only like returns and read as of a moment: a row supersedes an earlier
row with the same key (``programme, period``; ``ref, group, period``), and only loads
made by ``as_of`` (and up to a run's ``loads_through``) are seen.  Each registers a
:class:`~kpilib.store.kinds.LoadKind`, so ``kpi load programmes|comparators`` and a
report type's ``reads`` find them; importing :mod:`kpilib.store` registers them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from kpilib.ingest.contracts import COMPARATOR_COLUMNS, PROGRAMME_COLUMNS
from kpilib.store.database import SOURCE_COLUMNS, Store, _visible, loads
from kpilib.store.kinds import LoadKind, register_load_kind
from kpilib.store.tables import rows_table, text_columns

PROGRAMME_KEY = ("programme", "period")
COMPARATOR_KEY = ("ref", "group", "period")
READ_COLUMNS = ("loaded_at", "load_id", "row_number", "source_file")

programme_rows = rows_table("programme_rows", *text_columns(PROGRAMME_COLUMNS))
comparator_rows = rows_table(
    "comparator_rows",
    *text_columns(("ref", "group", "period")),
    sa.Column("value", sa.Double, nullable=False),
    *text_columns(("source",)),
)


def _records(frame: pd.DataFrame, rows: list[int]) -> list[dict]:
    out = frame.to_dict("records")
    for rec, row in zip(out, rows, strict=True):
        rec["row_number"] = row
    return out


def _validate_programmes(path: Path, data: bytes, catalogue: pd.DataFrame):
    from kpilib.ingest.programmes import read_programmes  # pandera: only loads need it

    return programme_rows, _records(*read_programmes(path, data=data))


def _validate_comparators(path: Path, data: bytes, catalogue: pd.DataFrame):
    from kpilib.ingest.comparators import read_comparators

    return comparator_rows, _records(*read_comparators(path, catalogue, data=data))


def _read(table: sa.Table, columns: tuple[str, ...], key: tuple[str, ...], kind: str):
    def read(store: Store, as_of: str | None, through: int | None):
        q = sa.select(*(table.c[c] for c in columns), loads.c.loaded_at, loads.c.load_id,
                      table.c.row_number, loads.c.source_file).select_from(table.join(loads))
        with store.engine.connect() as conn:
            df = pd.DataFrame(conn.execute(_visible(q, as_of, through)).all(),
                              columns=[*columns, *READ_COLUMNS])
            df = df.sort_values(["loaded_at", "load_id", "row_number"], kind="stable")
            df = df.drop_duplicates(list(key), keep="last")  # the latest load of each key
            ids = sorted({int(i) for i in df["load_id"]})
            src = pd.DataFrame(conn.execute(
                sa.select(*(loads.c[c] for c in SOURCE_COLUMNS), loads.c.load_id)
                .where(loads.c.load_id.in_(ids))).all(), columns=[*SOURCE_COLUMNS, "load_id"])
        src = src.sort_values(["loaded_at", "load_id"], kind="stable")
        df = df.sort_values([*key, "loaded_at"], kind="stable").reset_index(drop=True)
        for c in (*columns, "loaded_at", "source_file"):
            if c != "value":
                df[c] = df[c].astype(object).fillna("").astype(str)
        if "value" in df:
            df["value"] = df["value"].astype(float)
        sources = [{**r, "n_rows": int(r["n_rows"])} for r in
                   src[list(SOURCE_COLUMNS)].to_dict("records")]
        return df, sources

    read.__doc__ = f"The {kind} rows in effect as of a moment, and the loads they came from."
    return read


PROGRAMMES = register_load_kind(LoadKind(
    "programmes", "programme files (the report's Managing change section)",
    _validate_programmes, _read(programme_rows, PROGRAMME_COLUMNS, PROGRAMME_KEY, "programme"),
    PROGRAMME_COLUMNS, PROGRAMME_KEY))
COMPARATORS = register_load_kind(LoadKind(
    "comparators", "comparator files (other bodies' figures beside the council's)",
    _validate_comparators,
    _read(comparator_rows, COMPARATOR_COLUMNS, COMPARATOR_KEY, "comparator"),
    COMPARATOR_COLUMNS, COMPARATOR_KEY, needs_catalogue=True))
