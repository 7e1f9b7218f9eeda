"""The store's tables (SQLAlchemy Core) and how a store made by an earlier kpilib gains what
was added since: later optional columns (empty) and indexes, without changing a row.

The load kinds added later (:mod:`kpilib.store.extras`, ``judgement``, ``peers``) define
their tables on the same :data:`metadata`, with :func:`rows_table`.
"""

from __future__ import annotations

import sqlalchemy as sa

from kpilib.ingest.contracts import (
    CATALOGUE_ADDED,
    CATALOGUE_COLUMNS,
    NUMBERS,
    RETURNS_ADDED,
)

metadata = sa.MetaData()


def rows_table(name: str, *columns: sa.SchemaItem) -> sa.Table:
    """The table of one kind of loaded row: keyed by its load and its row number in the
    file (what messages and audit name), then ``columns`` (and any index)."""
    return sa.Table(
        name, metadata,
        sa.Column("load_id", sa.Integer, sa.ForeignKey("loads.load_id"), primary_key=True),
        sa.Column("row_number", sa.Integer, primary_key=True),
        *columns,
    )  # fmt: skip


def text_columns(names, **kw) -> list[sa.Column]:
    """Required text columns (``kw``: e.g. ``server_default=""`` for a later one)."""
    return [sa.Column(c, sa.Text, nullable=False, **kw) for c in names]

loads = sa.Table(
    "loads", metadata,
    sa.Column("load_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("source_file", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("loaded_at", sa.String(32), nullable=False, index=True),
    sa.Column("n_rows", sa.Integer, nullable=False),
    sa.UniqueConstraint("kind", "sha256", name="uq_loads_kind_sha256"),
)  # fmt: skip
catalogue_rows = sa.Table(
    "catalogue_rows", metadata,
    sa.Column("load_id", sa.Integer, sa.ForeignKey("loads.load_id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    *(sa.Column(c, sa.Text, nullable=False) for c in CATALOGUE_COLUMNS
      if c not in CATALOGUE_ADDED),
    *(sa.Column(c, sa.Text, nullable=False, server_default="") for c in CATALOGUE_ADDED),
    sa.Index("ix_catalogue_rows_year", "year", "load_id"),  # a report reads its years only
)  # fmt: skip
return_rows = rows_table(
    "return_rows",
    *text_columns(("ref", "period", "breakdown")),
    *(sa.Column(c, sa.Double, nullable=True) for c in NUMBERS),
    *text_columns(("status", "commentary")),
    *text_columns(RETURNS_ADDED, server_default=""),
    sa.Index("ix_return_rows_key", "ref", "period", "breakdown"),
)


def add_later_columns(engine: sa.Engine) -> None:
    """A store made before the catalogue's (or returns') later optional columns gains them,
    empty (what a file without them means); no row is changed."""
    for table, added, mark in ((catalogue_rows, CATALOGUE_ADDED, "year"),
                               (return_rows, RETURNS_ADDED, "ref")):
        have = {c["name"] for c in sa.inspect(engine).get_columns(table.name)}
        lacking = [c for c in added if c not in have]
        if lacking and mark in have:  # not a kpilib table at all: Store.open says so
            with engine.begin() as conn:
                for c in lacking:
                    conn.execute(sa.text(f"ALTER TABLE {table.name} ADD COLUMN {c} TEXT "
                                         "NOT NULL DEFAULT ''"))


def add_indexes(engine: sa.Engine) -> None:
    """A store made before an index gains it (no row is changed); one that cannot be
    written is read without it (the same rows, more slowly)."""
    for table in metadata.sorted_tables:
        have = {i["name"] for i in sa.inspect(engine).get_indexes(table.name)}
        for index in (i for i in table.indexes if i.name not in have):
            try:
                index.create(engine)
            except sa.exc.DBAPIError:
                pass
