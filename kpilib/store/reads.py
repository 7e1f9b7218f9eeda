"""The store reads of one report run: only the years, refs and periods the report shows.

:meth:`Store.snapshot` reads every year's catalogue and every return row; a run
needs far less.  :func:`report_snapshot` reads, as of ``as_of`` and up to
``loads_through`` like the snapshot (docs/design.md, "One snapshot per run"):

* the catalogue rows of the report's financial year (all of them: they say which
  KPIs are the report's) and, of the earlier years it rates columns with, only the
  rows of the report's refs;
* the latest return row per (ref, period, breakdown) of the report's refs, of the
  periods up to the report's last month or quarter (the SPC series go back to the
  earliest period stored);
* the sources, as :meth:`Store.sources` defines them (every load in effect), found
  without reading every row: a returns load is in effect when one of its rows is
  not superseded by a later visible load.

What to read is the report model's answer (:func:`kpilib.reports.model.reads_for`);
it is passed here as an object with ``report``, ``fy``, ``years``, ``last_month``
and ``last_quarter``.  Every filter is on an indexed column (``ix_return_rows_key``,
``ix_catalogue_rows_year``), so a read costs what the report shows, not what the
store holds.  The rows read are exactly those of the full snapshot that the report
model looks up: the same report, byte for byte (``tests/test_store_reads.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from kpilib import registry
from kpilib.clock import normalise_timestamp
from kpilib.ingest.contracts import CATALOGUE_COLUMNS, NUMBERS, RETURN_COLUMNS, empty_catalogue
from kpilib.rules.markers import previous_refs
from kpilib.store.database import (
    RETURNS_FRAME_COLUMNS,
    Snapshot,
    Store,
    _frame,
    _text_columns,
    _visible,
    catalogue_rows,
    loads,
    return_rows,
    sources_of,
)
from kpilib.store.kinds import LOAD_KINDS

CHUNK = 500  # refs per query: far below any database's limit on bound parameters
MONTH_ID, QUARTER_ID = len("2024-02"), len("2023-24-Q4")  # the lengths of period ids
REPORT_READS = "report"  # the manifest's data.reads of a run that read this way


@dataclass(frozen=True)
class ReportSnapshot(Snapshot):
    """A :class:`Snapshot` of the rows one report reads (``reads``: what was read)."""

    reads: str = REPORT_READS


def _seen(table, as_of: str | None, through: int | None) -> list:
    """The visibility conditions of :func:`kpilib.store.database._visible` on ``table``
    (``loads`` or an alias of it)."""
    out = []
    if as_of is not None:
        out.append(table.c.loaded_at <= normalise_timestamp(as_of))
    if through is not None:
        out.append(table.c.load_id <= int(through))
    return out


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[i:i + CHUNK] for i in range(0, len(items), CHUNK)] or [[]]


def catalogue_picks(conn: sa.Connection, years, as_of: str | None,
                    through: int | None) -> pd.DataFrame:
    """(year, load_id) of the catalogue load in effect for each of ``years`` (None: every
    year), as :meth:`Store._catalogue_loads` picks them."""
    c = catalogue_rows.c
    q = (sa.select(c.year, loads.c.load_id, loads.c.loaded_at).distinct()
         .select_from(catalogue_rows.join(loads)).where(loads.c.kind == "catalogue"))
    if years is not None:
        q = q.where(c.year.in_(list(years)))
    picks = _frame(conn.execute(_visible(q, as_of, through)), ["year", "load_id", "loaded_at"])
    picks = picks.sort_values(["loaded_at", "load_id"]).groupby("year").tail(1)
    return picks[["year", "load_id"]]


def _catalogue_query(year: str, load_id: int, refs: list[str] | None) -> sa.Select:
    c = catalogue_rows.c
    q = sa.select(*(c[x] for x in (*CATALOGUE_COLUMNS, "position"))).where(
        c.year == year, c.load_id == int(load_id))
    return q if refs is None else q.where(c.ref.in_(refs))


def _catalogue_frame(rows: list) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=[*CATALOGUE_COLUMNS, "position"])
    df = df.sort_values(["year", "position"], kind="stable").reset_index(drop=True)
    df = _text_columns(df, CATALOGUE_COLUMNS)
    df["position"] = df["position"].astype("int64")
    return df


def linked_refs(kpis: pd.DataFrame) -> set[str]:
    """The KPIs' refs and the earlier refs their ``previous_ref`` names (renumbered,
    merged or split KPIs: a report reads their history and their previous year's figures)."""
    named = {r for v in kpis.get("previous_ref", ()) for r in previous_refs(v)}
    return set(kpis["ref"]) | named


def report_catalogue(conn: sa.Connection, reads, as_of: str | None,
                     through: int | None) -> pd.DataFrame:
    """The report's year's catalogue, and in its earlier years the report's refs and those
    its KPIs name in ``previous_ref`` (with ``reads.previous_set``, also the previous year's
    KPIs of the report type: a year-on-year comparison lists those removed)."""
    picks = dict(catalogue_picks(conn, reads.years, as_of, through).itertuples(index=False))
    if reads.fy not in picks:
        return empty_catalogue()
    rows = list(conn.execute(_catalogue_query(reads.fy, picks[reads.fy], None)))
    own = _catalogue_frame(rows)
    refs = linked_refs(own[registry.get(reads.report).members(own)])  # a view: its filter
    c = catalogue_rows.c
    for year in reads.years:
        if year != reads.fy and year in picks and refs:
            same = set()
            if reads.previous_set and year == reads.years[1]:
                same = set(conn.execute(sa.select(c.ref).where(
                    c.year == year, c.load_id == int(picks[year]),
                    c.report == reads.report)).scalars())
            for chunk in _chunks(sorted(refs | same)):
                rows += conn.execute(_catalogue_query(year, picks[year], chunk)).all()
    return _catalogue_frame(rows)


def _returns_query(refs: list[str], reads, as_of: str | None, through: int | None):
    r = return_rows.c
    rn = sa.func.row_number().over(partition_by=[r.ref, r.period, r.breakdown],
                                   order_by=[loads.c.loaded_at.desc(), loads.c.load_id.desc()])
    length = sa.func.length(r.period)
    q = sa.select(
        *(r[c] for c in RETURN_COLUMNS), loads.c.loaded_at, loads.c.source_file,
        loads.c.sha256.label("source_sha256"), rn.label("rn"),
    ).select_from(return_rows.join(loads)).where(
        r.ref.in_(refs),
        sa.or_(sa.and_(length == MONTH_ID, r.period <= reads.last_month),
               sa.and_(length == QUARTER_ID, r.period <= reads.last_quarter)))
    sub = _visible(q, as_of, through).subquery()
    return sa.select(*(sub.c[c] for c in RETURNS_FRAME_COLUMNS)).where(sub.c.rn == 1)


def report_returns(conn: sa.Connection, refs: list[str], reads, as_of: str | None,
                   through: int | None) -> pd.DataFrame:
    """The latest row per (ref, period, breakdown) of ``refs``, up to the report's
    periods, as :meth:`Store.returns` gives them."""
    rows = []
    for chunk in _chunks(sorted(refs)) if refs else []:
        rows += conn.execute(_returns_query(chunk, reads, as_of, through)).all()
    df = pd.DataFrame(rows, columns=list(RETURNS_FRAME_COLUMNS))
    df = _text_columns(df, [c for c in RETURNS_FRAME_COLUMNS if c not in NUMBERS])
    for c in NUMBERS:
        df[c] = df[c].astype(float)
    return df.sort_values(["ref", "period", "breakdown"], kind="stable").reset_index(drop=True)


def returns_in_effect(conn: sa.Connection, as_of: str | None, through: int | None) -> list[int]:
    """The returns loads that supply at least one current row: a row of theirs that no
    later visible load (by ``loaded_at``, then ``load_id``) has a row for."""
    later_load, later, row = loads.alias("later_load"), return_rows.alias("later"), return_rows
    superseded = sa.select(sa.literal(1)).select_from(
        later.join(later_load, later.c.load_id == later_load.c.load_id)
    ).where(
        later.c.ref == row.c.ref, later.c.period == row.c.period,
        later.c.breakdown == row.c.breakdown,
        sa.or_(later_load.c.loaded_at > loads.c.loaded_at,
               sa.and_(later_load.c.loaded_at == loads.c.loaded_at,
                       later_load.c.load_id > loads.c.load_id)),
        *_seen(later_load, as_of, through)).correlate_except(later, later_load)
    current = sa.select(sa.literal(1)).select_from(row).where(
        row.c.load_id == loads.c.load_id, ~superseded.exists())
    q = sa.select(loads.c.load_id).where(loads.c.kind == "returns", current.exists(),
                                         *_seen(loads, as_of, through))
    return [int(i) for i in conn.execute(q).scalars()]


def sources(conn: sa.Connection, as_of: str | None, through: int | None) -> pd.DataFrame:
    """:meth:`Store.sources` (each year's catalogue load and every returns load in effect),
    without reading every return row."""
    ids = set(catalogue_picks(conn, None, as_of, through)["load_id"].tolist())
    ids |= set(returns_in_effect(conn, as_of, through))
    return sources_of(conn, ids)


def report_snapshot(store: Store, reads, as_of: str | None = None,
                    loads_through: int | None = None,
                    extras: tuple[str, ...] = ()) -> ReportSnapshot:
    """What one report reads (``reads``: :func:`kpilib.reports.model.reads_for`), as of
    ``as_of`` (default: the latest load) from the loads up to ``loads_through`` (default:
    those committed now), in one transaction; also the rows of the ``extras`` load kinds
    (the report type's ``reads``: programmes, comparators), whose loads join the sources."""
    through = store.last_load_id() if loads_through is None else int(loads_through)
    as_of = as_of or store.last_loaded_at(through)
    with store.engine.connect() as conn:
        cat = report_catalogue(conn, reads, as_of, through)
        mine = cat[(cat["year"] == reads.fy) & registry.get(reads.report).members(cat)]
        ret = report_returns(conn, sorted(linked_refs(mine)), reads, as_of, through)
        src = sources(conn, as_of, through)
    frames, found = store.read_extras(extras, as_of, through)
    frames, found = own_rows(frames, found, linked_refs(mine), reads)
    return ReportSnapshot(as_of, cat, ret, (*src.to_dict("records"), *found), through, frames)


def own_rows(frames: dict, found: list[dict], refs: set[str], reads) -> tuple[dict, list]:
    """The rows of the ``by_ref`` load kinds (annotations) of the report's ``refs`` and
    periods up to its last month or quarter, and of their loads only those a kept row is
    from: a note on another report's KPI is no input of this one."""
    out, drop = dict(frames), set()
    for kind, df in frames.items():
        if not LOAD_KINDS[kind].by_ref:
            continue
        period = df["period"].astype(str)
        month = period.str.len() == MONTH_ID
        kept = df[df["ref"].isin(refs) & ((month & (period <= reads.last_month))
                                          | (~month & (period <= reads.last_quarter)))]
        out[kind] = kept.reset_index(drop=True)
        used = set(zip(kept["loaded_at"], kept["source_file"], strict=True))
        drop |= {(kind, s["loaded_at"], s["source_file"]) for s in found
                 if s.get("kind") == kind and (s["loaded_at"], s["source_file"]) not in used}
    return out, [s for s in found
                 if (s.get("kind"), s.get("loaded_at"), s.get("source_file")) not in drop]


def year_catalogue(store: Store, fy: str, as_of: str | None,
                   through: int | None) -> pd.DataFrame:
    """The catalogue of one financial year as of ``as_of`` (empty when none is loaded)."""
    with store.engine.connect() as conn:
        picks = dict(catalogue_picks(conn, [fy], as_of, through).itertuples(index=False))
        if fy not in picks:
            return empty_catalogue()
        return _catalogue_frame(list(conn.execute(_catalogue_query(fy, picks[fy], None))))
