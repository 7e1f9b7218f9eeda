"""Append-only data store (SQLAlchemy Core): loads, as-of reads, revisions.

Rows are only ever inserted, never updated or deleted.  A load is one
transaction: the whole file is validated first and nothing is stored unless
it is valid.  Every load has a ``loaded_at`` time (ISO-8601 UTC with
microseconds and ``Z``, so it sorts lexically); reads "as of" a time see only
the loads made by then:

* catalogue: for each financial year, the rows of the latest catalogue load
  containing that year;
* returns: per ``(ref, period, breakdown)``, the row of the latest load.

Loads are serialised: each takes the store's write lock (``BEGIN IMMEDIATE`` on SQLite,
``LOCK TABLE loads`` on PostgreSQL) after validating its file, and is stamped under it, so
``load_id`` and ``loaded_at`` both increase in commit order.  A reader that must see one
consistent store across several reads (a report run: its own snapshot, then every notebook
kernel's, then audit's re-execution) also bounds them by ``loads_through``, the highest
``load_id`` committed when it took its snapshot (see docs/design.md, "One snapshot per run").

SQLite by default (a plain path); any SQLAlchemy URL (e.g.
``postgresql+psycopg://...``) is passed through.  Only portable SQL is used.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from kpilib.clock import just_after, normalise_timestamp, utc_now
from kpilib.errors import StoreError
from kpilib.ingest.contracts import (
    CATALOGUE_COLUMNS,
    NUMBERS,
    RETURN_COLUMNS,
    empty_catalogue,
)
from kpilib.rules.periods import parse_period
from kpilib.store.kinds import LOAD_KINDS
from kpilib.store.previous_refs import check as check_previous_refs
from kpilib.store.tables import (
    add_indexes,
    add_later_columns,
    catalogue_rows,
    loads,
    metadata,
    return_rows,
)
from kpilib.store.urls import sqlite_path, store_error, store_url

RETURNS_FRAME_COLUMNS = (*RETURN_COLUMNS, "loaded_at", "source_file", "source_sha256")
REVISION_COLUMNS = ("ref", "period", "breakdown", "first_value", "first_loaded_at", "first_source",
                    "value", "revised_at", "source_file")  # fmt: skip
SOURCE_COLUMNS = ("kind", "source_file", "sha256", "loaded_at", "n_rows")
_KEY = ["ref", "period", "breakdown"]
BUSY_TIMEOUT = 30  # seconds a SQLite load waits for another load's write lock


@dataclass(frozen=True)
class LoadResult:
    kind: str  # "catalogue" | "returns"
    source_file: str
    sha256: str
    loaded_at: str  # of this load, or of the earlier identical load when already_loaded
    n_rows: int
    already_loaded: bool


@dataclass(frozen=True)
class Snapshot:
    """The store as it stood at one moment: everything a report reads."""

    as_of: str | None
    catalogue: pd.DataFrame
    returns: pd.DataFrame
    sources: tuple[dict, ...]
    loads_through: int = 0  # the highest load_id it sees (0: an empty store)
    extras: dict = field(default_factory=dict)  # load kind -> its rows (store/kinds.py)


def _frame(result: sa.CursorResult, columns) -> pd.DataFrame:
    return pd.DataFrame(result.all(), columns=list(columns))


def _text_columns(df: pd.DataFrame, columns) -> pd.DataFrame:
    for c in columns:
        df[c] = df[c].fillna("").astype(str)
    return df


# --------------------------------------------------------------------------- the store


class Store:
    """The append-only store. Open with :meth:`Store.open`."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.url = engine.url.render_as_string(hide_password=True)

    @classmethod
    def open(cls, url_or_path: str | Path) -> Store:
        """Open (creating tables if absent) the store at a SQLAlchemy URL or a SQLite file path."""
        url = store_url(url_or_path)
        if not str(url_or_path).strip():
            raise StoreError("the store is empty text: expected a SQLite file path or a "
                             "SQLAlchemy URL")
        path = sqlite_path(url)
        if path is not None and path.is_dir():
            raise StoreError(f"cannot open store {url}: {path} is a folder; expected a SQLite "
                             "file (e.g. data/kpi.sqlite)")
        try:
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            sqlite = sa.engine.make_url(url).get_backend_name() == "sqlite"
            engine = sa.create_engine(url, **({"connect_args": {"timeout": BUSY_TIMEOUT}}
                                              if sqlite else {}))
            LOAD_KINDS.discover()  # a package's load kind adds its table to the metadata
            metadata.create_all(engine)
            add_later_columns(engine)
            add_indexes(engine)
            insp = sa.inspect(engine)
            for table in metadata.sorted_tables:
                have = {c["name"] for c in insp.get_columns(table.name)}
                lacking = [c.name for c in table.columns if c.name not in have]
                if lacking:
                    raise StoreError(f"store {url}: table {table.name} lacks columns "
                                     f"{', '.join(lacking)}; is this a kpilib store?")
        except (sa.exc.SQLAlchemyError, OSError, ImportError) as e:  # ImportError: no DB driver
            detail = getattr(e, "orig", None) or e
            raise StoreError(f"cannot open store {url}: {detail}") from e
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    # ----------------------------------------------------------------- loading

    def load_catalogue(self, path: str | Path, loaded_at: str | None = None) -> LoadResult:
        """Validate and store a catalogue file; it replaces the KPI set of each year it holds."""
        return self._load("catalogue", Path(path), loaded_at)

    def load_returns(self, path: str | Path, loaded_at: str | None = None) -> LoadResult:
        """Validate (against the catalogue as now stored) and store a returns file."""
        return self._load("returns", Path(path), loaded_at)

    def load(self, kind: str, path: str | Path, loaded_at: str | None = None) -> LoadResult:
        """Validate and store a file of any registered kind (:mod:`kpilib.store.kinds`)."""
        if kind not in LOAD_KINDS:
            raise StoreError(f"cannot load {kind!r} files: expected one of "
                             f"{', '.join(LOAD_KINDS)}")
        return self._load(kind, Path(path), loaded_at)

    # The council's status and travel keys that loads check against (a catalogue's rag_scheme,
    # an override's status, a targets file's reference columns); None: kpilib's built-in keys.
    # ``kpi load`` sets them from the council's settings, found as runs find them.
    keys = None

    # Called inside a load's transaction, after its rows are written and before it commits,
    # with (kind, loaded_at): the tests pause a load there to reproduce a concurrent run.
    before_commit: Callable[[str, str], None] | None = None

    def _load(self, kind: str, path: Path, loaded_at: str | None) -> LoadResult:
        # validation (pandera) is imported only by loads: report kernels only read
        from kpilib.ingest.catalogue import read_bytes

        data = read_bytes(path)
        sha = hashlib.sha256(data).hexdigest()
        try:
            with self.engine.connect() as conn:  # validate outside the write lock
                prev = self._previous(conn, kind, sha, path)
                if prev is not None:
                    return prev
                mark = self._mark(conn, kind)
                table, records = self._validated(conn, kind, path, data)
            with self._writing() as conn:
                prev = self._previous(conn, kind, sha, path)  # a concurrent load of the file
                if prev is not None:
                    return prev
                if self._mark(conn, kind) != mark:  # what it was checked against changed
                    table, records = self._validated(conn, kind, path, data)
                stamp = self._stamp(conn, loaded_at)
                load_id = conn.execute(
                    loads.insert().values(kind=kind, source_file=path.name, sha256=sha,
                                          loaded_at=stamp, n_rows=len(records))
                ).inserted_primary_key[0]
                for rec in records:
                    rec["load_id"] = load_id
                if records:
                    conn.execute(table.insert(), records)
                if self.before_commit is not None:
                    self.before_commit(kind, stamp)
                conn.commit()
        except sa.exc.IntegrityError:  # the same file committed by another load meanwhile
            with self.engine.connect() as conn:
                prev = self._previous(conn, kind, sha, path)
            if prev is None:
                raise
            return prev
        except sa.exc.DBAPIError as e:
            raise store_error(self.url, e, "nothing from this file was stored") from None
        return LoadResult(kind, path.name, sha, stamp, len(records), False)

    @staticmethod
    def _previous(conn: sa.Connection, kind: str, sha: str, path: Path) -> LoadResult | None:
        prev = conn.execute(sa.select(loads.c.loaded_at, loads.c.n_rows)
                            .where(loads.c.kind == kind, loads.c.sha256 == sha)).first()
        if prev is None:
            return None
        return LoadResult(kind, path.name, sha, prev.loaded_at, prev.n_rows, True)

    @staticmethod
    def _mark(conn: sa.Connection, kind: str):
        """The latest load of the kinds a ``kind`` file is checked against (None: none)."""
        spec = LOAD_KINDS[kind]
        against = (*(("catalogue",) if spec.needs_catalogue else ()), *spec.needs_stored)
        if not against:
            return None
        return conn.execute(sa.select(sa.func.max(loads.c.load_id))
                            .where(loads.c.kind.in_(against))).scalar()

    def _validated(self, conn: sa.Connection, kind: str, path: Path, data: bytes):
        from kpilib.ingest.catalogue import read_catalogue_file
        from kpilib.ingest.returns import read_returns

        if kind == "catalogue":  # previous_ref checked against the stored years
            frame = read_catalogue_file(path, data=data, keys=self.keys)
            check_previous_refs(conn, frame, path.name, self._catalogue(conn, None, None),
                                 self._catalogue_loads(conn, None, None))
            return catalogue_rows, frame.to_dict("records")
        if LOAD_KINDS[kind].needs_stored:
            stored = {k: LOAD_KINDS[k].read(self, None, None)[0]
                      for k in LOAD_KINDS[kind].needs_stored}
            return LOAD_KINDS[kind].validate(path, data, self._catalogue(conn, None, None),
                                             stored=stored)
        if LOAD_KINDS[kind].needs_keys:
            return LOAD_KINDS[kind].validate(path, data, self._catalogue(conn, None, None),
                                             self.keys)
        if LOAD_KINDS[kind].validate is not None:
            return LOAD_KINDS[kind].validate(path, data, self._catalogue(conn, None, None))
        frame, row_numbers = read_returns(path, self._catalogue(conn, None, None), data=data)
        frame = frame.astype(object).where(frame.notna(), None)
        frame["row_number"] = row_numbers
        return return_rows, frame.to_dict("records")

    @contextmanager
    def _writing(self):
        """A connection holding the store's write lock: one load at a time, so load ids and
        stamps taken under it increase in commit order (a reader's ``loads_through`` bound
        then excludes every load committed after its snapshot)."""
        with self.engine.connect() as conn:
            if self.engine.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            elif self.engine.dialect.name == "postgresql":
                conn.exec_driver_sql("LOCK TABLE loads IN SHARE ROW EXCLUSIVE MODE")
            yield conn

    @staticmethod
    def _stamp(conn: sa.Connection, loaded_at: str | None) -> str:
        """Now (under the write lock), strictly after every earlier load; or as given."""
        if loaded_at is not None:
            return normalise_timestamp(loaded_at)
        latest = conn.execute(sa.select(sa.func.max(loads.c.loaded_at))).scalar()
        stamp = utc_now()
        return just_after(latest) if latest is not None and stamp <= latest else stamp

    # ----------------------------------------------------------------- reading

    def catalogue(self, as_of: str | None = None, loads_through: int | None = None
                  ) -> pd.DataFrame:
        """Every year's KPI set as it stood at ``as_of`` (default: now), in catalogue order;
        only loads with ``load_id <= loads_through`` when given (as every reader below)."""
        with self.engine.connect() as conn:
            return self._catalogue(conn, as_of, loads_through)

    def _catalogue_loads(self, conn: sa.Connection, as_of: str | None,
                         through: int | None) -> pd.DataFrame:
        """(year, load_id) of the catalogue load in effect for each year."""
        q = (
            sa.select(catalogue_rows.c.year, loads.c.load_id, loads.c.loaded_at)
            .distinct()
            .select_from(catalogue_rows.join(loads))
            .where(loads.c.kind == "catalogue")
        )
        q = _visible(q, as_of, through)
        picks = _frame(conn.execute(q), ["year", "load_id", "loaded_at"])
        picks = picks.sort_values(["loaded_at", "load_id"]).groupby("year").tail(1)
        return picks[["year", "load_id"]]

    def _catalogue(self, conn: sa.Connection, as_of: str | None,
                   through: int | None) -> pd.DataFrame:
        picks = self._catalogue_loads(conn, as_of, through)
        if picks.empty:
            return empty_catalogue()
        cols = [catalogue_rows.c[c] for c in (*CATALOGUE_COLUMNS, "position", "load_id")]
        q = sa.select(*cols).where(catalogue_rows.c.load_id.in_(picks["load_id"].tolist()))
        df = _frame(conn.execute(q), [*CATALOGUE_COLUMNS, "position", "load_id"])
        df = df.merge(picks, on=["year", "load_id"])
        df = df.sort_values(["year", "position"], kind="stable").reset_index(drop=True)
        df = _text_columns(df, CATALOGUE_COLUMNS)
        df["position"] = df["position"].astype("int64")
        return df[[*CATALOGUE_COLUMNS, "position"]]

    def _latest_returns(self, as_of: str | None, periods, through: int | None) -> sa.Subquery:
        r = return_rows.c
        rn = sa.func.row_number().over(
            partition_by=[r.ref, r.period, r.breakdown],
            order_by=[loads.c.loaded_at.desc(), loads.c.load_id.desc()],
        )
        q = sa.select(
            *(r[c] for c in RETURN_COLUMNS), loads.c.loaded_at, loads.c.source_file,
            loads.c.sha256.label("source_sha256"), loads.c.load_id, rn.label("rn"),
        ).select_from(return_rows.join(loads))
        return self._filter(q, as_of, periods, through).subquery()

    @staticmethod
    def _filter(q: sa.Select, as_of: str | None, periods, through: int | None) -> sa.Select:
        q = _visible(q, as_of, through)
        if periods is not None:
            periods = [periods] if isinstance(periods, str) else list(periods)
            q = q.where(return_rows.c.period.in_([parse_period(p).id for p in periods]))
        return q

    def returns(self, as_of: str | None = None, periods=None,
                loads_through: int | None = None) -> pd.DataFrame:
        """Per (ref, period, breakdown) the row of the latest load with loaded_at <= as_of.

        ``periods``: a period id or an iterable of them (default: all).
        """
        sub = self._latest_returns(as_of, periods, loads_through)
        q = sa.select(*(sub.c[c] for c in RETURNS_FRAME_COLUMNS)).where(sub.c.rn == 1)
        with self.engine.connect() as conn:
            df = _frame(conn.execute(q), RETURNS_FRAME_COLUMNS)
        df = _text_columns(df, [c for c in RETURNS_FRAME_COLUMNS if c not in NUMBERS])
        for c in NUMBERS:
            df[c] = df[c].astype(float)
        return df.sort_values(_KEY, kind="stable").reset_index(drop=True)

    def revisions(self, period: str | None = None, as_of: str | None = None) -> pd.DataFrame:
        """One row per revision: a load after the first that changed value, numerator,
        denominator or status of a (ref, period, breakdown)."""
        r = return_rows.c
        q = sa.select(
            *(r[c] for c in (*_KEY, *NUMBERS, "status")), r.row_number,
            loads.c.loaded_at, loads.c.source_file, loads.c.load_id,
        ).select_from(return_rows.join(loads))
        q = self._filter(q, as_of, period, None)
        cols = [*_KEY, *NUMBERS, "status", "row_number", "loaded_at", "source_file", "load_id"]
        with self.engine.connect() as conn:
            df = _frame(conn.execute(q), cols)
        if df.empty:
            return pd.DataFrame({c: pd.Series([], dtype=float if c.endswith("value") else str)
                                 for c in REVISION_COLUMNS})
        for c in NUMBERS:
            df[c] = df[c].astype(float)
        df = df.sort_values([*_KEY, "loaded_at", "load_id"], kind="stable").reset_index(drop=True)
        groups = df.groupby(_KEY, sort=False)
        compared = [*NUMBERS, "status"]
        prev = groups[compared].shift(1)
        same = (df[compared] == prev) | (df[compared].isna() & prev.isna())
        nth = groups.cumcount()
        revised = df[(nth > 0) & ~same.all(axis=1)]
        first = df[nth == 0][[*_KEY, "value", "loaded_at", "source_file"]].rename(
            columns={"value": "first_value", "loaded_at": "first_loaded_at",
                     "source_file": "first_source"})
        out = revised.rename(columns={"loaded_at": "revised_at"}).merge(first, on=_KEY, how="left")
        out = out.sort_values([*_KEY, "revised_at"], kind="stable").reset_index(drop=True)
        return out[list(REVISION_COLUMNS)]

    def sources(self, as_of: str | None = None, loads_through: int | None = None
                ) -> pd.DataFrame:
        """The loads in effect at ``as_of``: each year's catalogue load and every returns load
        that supplies at least one current row. Columns: kind, source_file, sha256,
        loaded_at, n_rows; oldest first."""
        with self.engine.connect() as conn:
            ids = set(self._catalogue_loads(conn, as_of, loads_through)["load_id"].tolist())
            sub = self._latest_returns(as_of, None, loads_through)
            current = sa.select(sub.c.load_id).where(sub.c.rn == 1).distinct()
            ids |= set(conn.execute(current).scalars())
            return sources_of(conn, ids)

    def snapshot(self, as_of: str | None = None, loads_through: int | None = None,
                 extras: tuple[str, ...] = ()) -> Snapshot:
        """The catalogue, returns and their source files as of ``as_of`` (default: the
        latest load), from the loads committed when it starts (``loads_through``, recorded
        in the snapshot: pass it again to read the very same store later), or from those up
        to ``loads_through`` when given; also the rows of the ``extras`` load kinds (a
        report type's ``reads``), whose loads join the sources."""
        through = self.last_load_id() if loads_through is None else int(loads_through)
        as_of = as_of or self.last_loaded_at(through)
        frames, found = self.read_extras(extras, as_of, through)
        sources = (*self.sources(as_of, through).to_dict("records"), *found)
        return Snapshot(as_of, self.catalogue(as_of, through), self.returns(as_of, None, through),
                        sources, through, frames)

    def read_extras(self, kinds: tuple[str, ...], as_of: str | None,
                    through: int | None) -> tuple[dict, list[dict]]:
        """The rows of the load ``kinds`` (a report type's ``reads``) as of ``as_of``: each
        kind's frame, and the loads they came from as sources."""
        read = {k: LOAD_KINDS[k].read(self, as_of, through) for k in kinds}
        return {k: f for k, (f, _) in read.items()}, [s for _, f in read.values() for s in f]

    def last_loaded_at(self, loads_through: int | None = None) -> str | None:
        """The ``loaded_at`` of the latest load (up to ``loads_through``), ``None`` for an
        empty store."""
        q = _visible(sa.select(sa.func.max(loads.c.loaded_at)), None, loads_through)
        with self.engine.connect() as conn:
            return conn.execute(q).scalar()

    def check_writable(self, why: str) -> None:
        """A :class:`StoreError` now, before any work, if the store cannot be written (a
        read-only file, folder or URL; a read-only PostgreSQL user or server), without
        waiting for a load in progress (a store being written to is writable)."""
        dialect = self.engine.dialect.name
        try:
            with self.engine.connect() as conn:
                if dialect == "sqlite":  # a write tried, not waited for, and rolled back
                    conn.exec_driver_sql("PRAGMA busy_timeout = 0")
                    try:
                        conn.execute(loads.insert().values(kind="", source_file="", sha256="",
                                                           loaded_at="", n_rows=0))
                    finally:
                        conn.rollback()
                        conn.exec_driver_sql(f"PRAGMA busy_timeout = {BUSY_TIMEOUT * 1000:.0f}")
                elif dialect == "postgresql":
                    ok = conn.exec_driver_sql(
                        "SELECT has_table_privilege('loads', 'INSERT') "
                        "AND current_setting('transaction_read_only') = 'off'").scalar()
                    if not ok:
                        raise StoreError(f"the store {self.url} is read-only for this user or "
                                         f"server: use a store you can write to; {why}")
        except sa.exc.DBAPIError as e:
            err = store_error(self.url, e, why)
            if "is busy" not in str(err):  # busy: another load is writing, so it is writable
                raise err from None

    def last_load_id(self) -> int:
        """The highest committed ``load_id`` (0 for an empty store): a bound on loads that
        makes later reads see exactly the store as it is now."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.max(loads.c.load_id))).scalar() or 0)

    def counts(self) -> dict[str, int]:
        """Row count of each table (the store only ever grows)."""
        with self.engine.connect() as conn:
            return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                    for t in metadata.sorted_tables}


def sources_of(conn: sa.Connection, ids) -> pd.DataFrame:
    """The loads ``ids`` as sources (kind, source_file, sha256, loaded_at, n_rows), oldest
    first."""
    q = sa.select(*(loads.c[c] for c in SOURCE_COLUMNS), loads.c.load_id).where(
        loads.c.load_id.in_(sorted(int(i) for i in ids)))
    df = _frame(conn.execute(q), [*SOURCE_COLUMNS, "load_id"])
    df = df.sort_values(["loaded_at", "load_id"], kind="stable").reset_index(drop=True)
    df = _text_columns(df, ["kind", "source_file", "sha256", "loaded_at"])
    df["n_rows"] = df["n_rows"].astype("int64")
    return df[list(SOURCE_COLUMNS)]


def _visible(q: sa.Select, as_of: str | None, through: int | None) -> sa.Select:
    """Only the loads made by ``as_of`` and, when given, with ``load_id <= through``."""
    if as_of is not None:
        q = q.where(loads.c.loaded_at <= normalise_timestamp(as_of))
    if through is not None:
        q = q.where(loads.c.load_id <= int(through))
    return q


def open_store(store: str | Path) -> Store:
    """Open an existing store for reading: a missing SQLite file is an error, not a new store."""
    if "://" not in str(store) and not Path(store).exists():
        raise StoreError(
            f"no data store at {str(store)!r}: build one with `kpi demo` or `kpi load`, "
            "or pass --store"
        )
    return Store.open(store)
