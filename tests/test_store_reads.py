"""A report reads only the years, refs and periods it shows (kpilib/store/reads.py), with
indexes (added to older stores when opened), and shows exactly what it showed when it read
the whole store."""

from __future__ import annotations

import shutil
import sqlite3

import pandas as pd
import pytest
import sqlalchemy as sa

from kpilib import registry
from kpilib.demo.bulk import add_unrelated
from kpilib.reports.model import build_report, reads_for
from kpilib.store import Store
from kpilib.store.reads import REPORT_READS, report_snapshot, sources

DEMO_AS_OF = "2025-06-30T00:00:00.000000Z"  # the root conftest's fixed moment

# (period, report type): month reports at the start, middle and end of a quarter and a
# year, quarterly reports of each quarter (Q4: monthly SPC series end at the quarter id)
REPORTS = [
    ("2023-04", "core"), ("2024-02", "core"), ("2024-03", "core"), ("2024-04", "core"),
    ("2025-03", "core"), ("2024-25-Q1", "service"), ("2024-25-Q3", "service"),
    ("2023-24-Q4", "health"), ("2024-25-Q4", "health"),
]  # fmt: skip


def _built(snap, period, report):
    return build_report(snap.catalogue, snap.returns, period, report, snap.as_of, snap.sources)


def _same(a, b) -> None:
    for frame in ("kpis", "cells", "series", "spc"):
        pd.testing.assert_frame_equal(getattr(a, frame), getattr(b, frame))
    assert a.columns == b.columns and a.sources == b.sources
    for name, write in registry.get(a.report).outputs.items():
        assert write(a) == write(b), name


@pytest.fixture(scope="module")
def demo(test_store):
    s = Store.open(test_store)
    yield s
    s.close()


@pytest.fixture(scope="module")
def crowded(test_store, tmp_path_factory):
    """The demo store and, loaded before DEMO_AS_OF, 300 core KPIs of 2025-26 with 15,000
    return rows, and 40 core KPIs of 2022-23 (a year a 2023-24 report rates columns with)
    with 2,000 rows, under refs no demo report has."""
    path = tmp_path_factory.mktemp("crowded") / "kpi.sqlite"
    shutil.copyfile(test_store, path)
    s = Store.open(path)
    add_unrelated(s, 300, 15_000, year="2025-26", loaded_at="2025-06-01T09:00:00Z")
    add_unrelated(s, 40, 2_000, year="2022-23", loaded_at="2025-06-02T09:00:00Z", prefix="YY")
    yield s
    s.close()


@pytest.mark.parametrize(("period", "report"), REPORTS, ids=[f"{p}-{r}" for p, r in REPORTS])
def test_the_report_is_the_one_built_from_the_whole_store(demo, period, report):
    full = demo.snapshot(DEMO_AS_OF)
    snap = report_snapshot(demo, reads_for(period, report), DEMO_AS_OF, full.loads_through)
    assert len(snap.returns) < len(full.returns)
    _same(_built(full, period, report), _built(snap, period, report))


@pytest.fixture(scope="module")
def kent(tmp_path_factory):
    """Kent's demo store: a KPI renumbered, one split and one merged between its years."""
    from kpilib.demo.kent import build_kent_store

    folder = tmp_path_factory.mktemp("kent")
    s = Store.open(folder / "kent.sqlite")
    build_kent_store(s, folder / "demo")
    yield s
    s.close()


@pytest.mark.parametrize("period", ["2024-25-Q1", "2024-25-Q4"])
def test_a_report_following_previous_refs_is_the_one_built_from_the_whole_store(kent, period):
    full = kent.snapshot(DEMO_AS_OF)
    snap = report_snapshot(kent, reads_for(period, "qpr"), DEMO_AS_OF, full.loads_through,
                           registry.get("qpr").reads)
    report = _built(snap, period, "qpr")
    _same(_built(full, period, "qpr"), report)
    cs08 = report.series[(report.series["ref"] == "CS08") & report.series["value"].notna()]
    assert "2023-24-Q4" in set(cs08["period"])  # renumbered from CS07: last year followed


@pytest.mark.parametrize(("period", "report"), REPORTS, ids=[f"{p}-{r}" for p, r in REPORTS])
def test_unrelated_rows_change_nothing_the_report_shows(demo, crowded, period, report):
    plain = report_snapshot(demo, reads_for(period, report), DEMO_AS_OF)
    snap = report_snapshot(crowded, reads_for(period, report), DEMO_AS_OF)
    a, b = _built(plain, period, report), _built(snap, period, report)
    assert a.results.equals(b.results) and a.spc_csv.equals(b.spc_csv)
    pd.testing.assert_frame_equal(plain.catalogue, snap.catalogue)
    pd.testing.assert_frame_equal(plain.returns, snap.returns)


BOUNDS = [  # (period, report, latest month read, latest quarter read; None: none of that kind)
    ("2024-02", "core", "2024-02", None), ("2024-25-Q2", "service", None, "2024-25-Q2"),
]  # fmt: skip


@pytest.mark.parametrize(("period", "report", "month", "quarter"), BOUNDS,
                         ids=[f"{b[0]}-{b[1]}" for b in BOUNDS])
def test_the_reads_are_the_report_s_years_refs_and_periods(crowded, period, report, month,
                                                           quarter):
    reads = reads_for(period, report)
    snap = report_snapshot(crowded, reads, DEMO_AS_OF)
    cat = snap.catalogue
    mine = cat[(cat["year"] == reads.fy) & (cat["report"] == report)]
    assert set(cat["year"]) <= set(reads.years) and reads.fy in set(cat["year"])
    assert set(cat.loc[cat["year"] != reads.fy, "ref"]) <= set(mine["ref"])
    assert not cat["ref"].str.match("YY|ZZ").any()  # the unrelated KPIs' refs
    assert set(snap.returns["ref"]) <= set(mine["ref"]) and len(snap.returns)
    months = snap.returns["period"].str.len() == 7
    assert (snap.returns.loc[months, "period"].max() if months.any() else None) == month
    assert (snap.returns.loc[~months, "period"].max() if (~months).any() else None) == quarter
    assert snap.reads == REPORT_READS


def test_sources_are_the_store_s_without_reading_every_row(crowded):
    with crowded.engine.connect() as conn:
        for as_of, through in [(DEMO_AS_OF, None), ("2024-04-22T12:00:00Z", None),
                               (DEMO_AS_OF, 20), (None, None)]:
            pd.testing.assert_frame_equal(sources(conn, as_of, through),
                                          crowded.sources(as_of, through))


def test_sources_leave_out_a_load_every_row_of_which_was_superseded(tmp_path, test_store):
    path = tmp_path / "kpi.sqlite"
    shutil.copyfile(test_store, path)
    s = Store.open(path)
    rows = s.returns(DEMO_AS_OF)
    rows = rows[rows["source_file"] == "returns-2025-03.csv"]  # every current row of the file
    again = tmp_path / "returns-2025-03-again.csv"
    rows[["ref", "period", "breakdown", "value", "numerator", "denominator", "status",
          "commentary"]].to_csv(again, index=False)
    s.load_returns(again, loaded_at="2025-06-10T09:00:00Z")
    with s.engine.connect() as conn:
        mine = sources(conn, DEMO_AS_OF, None)
    assert "returns-2025-03.csv" not in set(mine["source_file"])
    assert "returns-2025-03-again.csv" in set(mine["source_file"])
    pd.testing.assert_frame_equal(mine, s.sources(DEMO_AS_OF))


def _plans(store: Store, statements: list[str]) -> list[str]:
    raw = sqlite3.connect(store.engine.url.database)
    out = []
    for sql, params in statements:
        rows = raw.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
        out += [r[-1] for r in rows]
    raw.close()
    return out


def test_the_reads_use_the_indexes(crowded):
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    sa.event.listen(crowded.engine, "before_cursor_execute", record)
    try:
        report_snapshot(crowded, reads_for("2024-02", "core"), DEMO_AS_OF)
    finally:
        sa.event.remove(crowded.engine, "before_cursor_execute", record)
    plans = _plans(crowded, seen)
    assert "SEARCH return_rows USING INDEX ix_return_rows_key (ref=?)" in plans
    assert any("catalogue_rows USING" in p and "ix_catalogue_rows_year (year=?" in p
               for p in plans)
    assert not [p for p in plans if p.startswith("SCAN") and "_rows" in p]


def _work(store: Store, read) -> int:
    """SQLite's virtual machine steps (in hundreds) that ``read`` makes the store take: the
    rows it looks at, whatever the clock says."""
    steps = [0]

    def count():
        steps[0] += 1

    def on_checkout(dbapi_connection, record, proxy):
        dbapi_connection.set_progress_handler(count, 100)

    sa.event.listen(store.engine, "checkout", on_checkout)
    try:
        read()
    finally:
        sa.event.remove(store.engine, "checkout", on_checkout)
        with store.engine.connect() as conn:
            conn.connection.dbapi_connection.set_progress_handler(None, 100)
    return steps[0]


def test_the_work_of_a_report_s_reads_does_not_grow_with_unrelated_rows(demo, crowded):
    """17,000 unrelated return rows (13 times the demo's) and 340 KPIs: the report's reads
    do about the same work; reading the whole store (as runs did) does many times more."""
    reads = reads_for("2024-02", "core")
    mine = [_work(s, lambda s=s: report_snapshot(s, reads, DEMO_AS_OF)) for s in (demo, crowded)]
    whole = [_work(s, lambda s=s: s.snapshot(DEMO_AS_OF)) for s in (demo, crowded)]
    assert whole[1] > 5 * whole[0]  # the measure sees rows read
    assert mine[1] < 1.2 * mine[0], mine


def test_an_older_store_gains_the_indexes_and_keeps_every_row(tmp_path, test_store):
    path = tmp_path / "old.sqlite"
    shutil.copyfile(test_store, path)
    raw = sqlite3.connect(path)
    raw.execute("DROP INDEX ix_catalogue_rows_year")
    raw.commit()
    before = {t: raw.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()
              for t in ("loads", "catalogue_rows", "return_rows")}
    raw.close()
    Store.open(path).close()
    raw = sqlite3.connect(path)
    names = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "ix_catalogue_rows_year" in names
    assert before == {t: raw.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()
                      for t in before}
    raw.close()


def test_a_store_that_cannot_gain_an_index_is_still_read(tmp_path, test_store, monkeypatch):
    path = tmp_path / "old.sqlite"
    shutil.copyfile(test_store, path)
    with sqlite3.connect(path) as raw:
        raw.execute("DROP INDEX ix_catalogue_rows_year")

    def refuse(self, bind, checkfirst=False):
        raise sa.exc.OperationalError("CREATE INDEX", {}, Exception("readonly database"))

    monkeypatch.setattr(sa.Index, "create", refuse)
    s = Store.open(path)
    snap = report_snapshot(s, reads_for("2024-02", "core"), DEMO_AS_OF)
    assert len(snap.returns) and len(snap.catalogue)
    s.close()
