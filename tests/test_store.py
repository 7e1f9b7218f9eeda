"""kpilib.store: append-only loads, as-of reads, revisions, sources."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from postgres import BACKENDS
from postgres import store_url as backend_url

from conftest import CATALOGUE_2024, RETURNS_2024_Q1, read_csv_rows, write_csv
from kpilib.clock import normalise_timestamp
from kpilib.errors import MomentError, PeriodError, StoreError, ValidationError
from kpilib.ingest.catalogue import COLUMNS as CATALOGUE_COLUMNS
from kpilib.ingest.catalogue import read_catalogue_file
from kpilib.store import (
    RETURNS_FRAME_COLUMNS,
    REVISION_COLUMNS,
    Store,
    sqlite_path,
    store_url,
)

STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def returns_file(path, rows):
    """rows: (ref, period, breakdown, value[, numerator, denominator, status])."""
    header = ["ref", "period", "breakdown", "value", "numerator", "denominator", "status"]
    return write_csv(path, header, [list(r) for r in rows])


def value_of(frame, ref, period, breakdown=""):
    hit = frame[
        (frame["ref"] == ref) & (frame["period"] == period) & (frame["breakdown"] == breakdown)
    ]
    assert len(hit) == 1, hit
    return hit.iloc[0]


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    """Every test of a store runs on SQLite and on the session's throwaway PostgreSQL."""
    s = Store.open(backend_url(request, tmp_path))
    yield s
    s.close()


# --------------------------------------------------------------------------- opening


def test_a_store_made_before_decimals_and_baseline_gains_them(tmp_path, catalogue_csv):
    path = tmp_path / "kpi.sqlite"
    with Store.open(path) as s:
        s.load_catalogue(catalogue_csv, loaded_at="2024-04-01T09:00:00Z")
        before = s.catalogue()
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:  # the table as an earlier kpilib made it
        for col in ("decimals", "baseline"):
            conn.execute(sa.text(f"ALTER TABLE catalogue_rows DROP COLUMN {col}"))
    engine.dispose()
    header, rows = read_csv_rows(CATALOGUE_2024)
    rows[0].update(year="2025-26", decimals="0", baseline="472")
    newer = write_csv(tmp_path / "catalogue-2025-26.csv", [*header, "decimals", "baseline"],
                      [rows[0]])
    with Store.open(path) as s:
        pd.testing.assert_frame_equal(s.catalogue(), before)  # no row changed
        s.load_catalogue(newer, loaded_at="2025-04-01T09:00:00Z")
        row = s.catalogue().query("year == '2025-26'").iloc[0]
        assert (row["decimals"], row["baseline"]) == ("0", "472")


def test_open_creates_parent_dir_and_tables(tmp_path):
    with Store.open(tmp_path / "new" / "dir" / "kpi.sqlite") as s:
        assert (tmp_path / "new" / "dir" / "kpi.sqlite").exists()
        assert s.counts() == {"loads": 0, "catalogue_rows": 0, "return_rows": 0,
                              "programme_rows": 0, "comparator_rows": 0, "target_rows": 0,
                              "override_rows": 0, "body_rows": 0, "group_rows": 0,
                          "benchmark_rows": 0, "annotation_rows": 0, "publications": 0,
                          "additions": 0}
        assert s.last_loaded_at() is None
        assert s.catalogue().empty and list(s.catalogue().columns) == [
            *CATALOGUE_COLUMNS,
            "position",
        ]
        assert s.returns().empty and list(s.returns().columns) == list(RETURNS_FRAME_COLUMNS)
        assert s.revisions().empty and list(s.revisions().columns) == list(REVISION_COLUMNS)


@pytest.mark.parametrize(
    ("given", "url", "path"),
    [
        pytest.param(
            "data/kpi.sqlite", "sqlite:///data/kpi.sqlite", "data/kpi.sqlite", id="relative path"
        ),
        pytest.param(
            "/srv/kpi.sqlite", "sqlite:////srv/kpi.sqlite", "/srv/kpi.sqlite", id="absolute path"
        ),
        pytest.param(
            "postgresql+psycopg://kpi@db/kpi",
            "postgresql+psycopg://kpi@db/kpi",
            None,
            id="URL passes through",
        ),
        pytest.param("sqlite://", "sqlite://", None, id="in-memory SQLite"),
    ],
)
def test_store_urls(given, url, path):
    assert store_url(given) == url
    assert sqlite_path(given) == (None if path is None else Path(path))


def test_open_a_file_that_is_not_a_database(tmp_path):
    bogus = tmp_path / "notes.sqlite"
    bogus.write_text("not a database, just some text\n" * 50)
    with pytest.raises(StoreError, match="cannot open store"):
        Store.open(bogus)


# --------------------------------------------------------------------------- loading


def test_load_result(store, catalogue_csv):
    res = store.load_catalogue(catalogue_csv)
    assert res.kind == "catalogue" and res.source_file == "catalogue-2024-25.csv"
    assert res.sha256 == hashlib.sha256(catalogue_csv.read_bytes()).hexdigest()
    assert res.n_rows == 13 and res.already_loaded is False
    assert STAMP.match(res.loaded_at) and store.last_loaded_at() == res.loaded_at


def test_catalogue_round_trip(store, catalogue_csv):
    store.load_catalogue(catalogue_csv)
    pd.testing.assert_frame_equal(store.catalogue(), read_catalogue_file(catalogue_csv))


def test_same_file_twice_stores_nothing(loaded_store, returns_csv, tmp_path):
    first = loaded_store.load_returns(returns_csv)
    before = loaded_store.counts()
    again = loaded_store.load_returns(returns_csv)
    renamed = loaded_store.load_returns(shutil.copy(returns_csv, tmp_path / "copy.csv"))
    assert loaded_store.counts() == before
    assert again.already_loaded and renamed.already_loaded
    assert (again.loaded_at, again.n_rows, again.sha256) == (first.loaded_at, 9, first.sha256)
    assert renamed.source_file == "copy.csv"


def test_loaded_at_is_strictly_increasing_after_an_explicit_time(
    loaded_store, returns_csv, tmp_path
):
    loaded_store.load_returns(returns_csv, loaded_at="2999-01-01T00:00:00Z")
    res = loaded_store.load_returns(returns_file(tmp_path / "r.csv", [("HSG01", "2024-05", "", 1)]))
    assert res.loaded_at == "2999-01-01T00:00:00.000001Z"


def test_explicit_loaded_at_is_accepted_as_given(store, catalogue_csv):
    res = store.load_catalogue(catalogue_csv, loaded_at="2024-03-08T09:00")
    assert res.loaded_at == "2024-03-08T09:00:00.000000Z"


@pytest.mark.parametrize(
    ("broken", "kind"),
    [
        pytest.param(
            [("HSG01", "2024-05", "", 1), ("HSG01", "2024-06", "", "x")],
            "returns",
            id="returns with a bad last row",
        ),
        pytest.param([("XXX01", "2024-05", "", 1)], "returns", id="returns with an unknown ref"),
        pytest.param(None, "catalogue", id="catalogue with a bad row"),
    ],
)
def test_a_failing_load_changes_nothing(loaded_store, tmp_path, broken, kind):
    if kind == "returns":
        path = returns_file(tmp_path / "bad.csv", broken)
    else:
        header, rows = read_csv_rows(CATALOGUE_2024)
        rows[-1]["unit"] = "furlongs"
        path = write_csv(tmp_path / "bad.csv", header, rows)
    before, last = loaded_store.counts(), loaded_store.last_loaded_at()
    with pytest.raises(ValidationError):
        getattr(loaded_store, f"load_{kind}")(path)
    assert loaded_store.counts() == before and loaded_store.last_loaded_at() == last


def test_returns_before_any_catalogue_is_a_clear_error(store):
    with pytest.raises(ValidationError, match="no catalogue is loaded for 2024-25"):
        store.load_returns(RETURNS_2024_Q1)
    assert store.counts()["loads"] == 0


def test_returns_are_validated_against_the_stored_catalogue(store, catalogue_2023_csv, tmp_path):
    store.load_catalogue(catalogue_2023_csv)
    with pytest.raises(ValidationError, match="no catalogue is loaded for 2024-25"):
        store.load_returns(returns_file(tmp_path / "r.csv", [("HSG03", "2024-05", "", "", 1, 2)]))
    ok = store.load_returns(returns_file(tmp_path / "r2.csv", [("OLD01", "2023-05", "", 7)]))
    assert ok.n_rows == 1


def test_no_update_or_delete_is_ever_issued(loaded_store, returns_csv, tmp_path):
    statements = []
    sa.event.listen(
        loaded_store.engine,
        "before_cursor_execute",
        lambda conn, cur, stmt, *a: statements.append(stmt.split()[0].upper()),
    )
    loaded_store.load_returns(returns_csv)
    loaded_store.load_returns(returns_file(tmp_path / "r.csv", [("HSG01", "2024-04", "", 480)]))
    loaded_store.load_catalogue(CATALOGUE_2024)  # already loaded
    (
        loaded_store.returns(),
        loaded_store.revisions(),
        loaded_store.catalogue(),
        loaded_store.sources(),
    )
    assert "INSERT" in statements and not {"UPDATE", "DELETE"} & set(statements)


# --------------------------------------------------------------------------- as-of reads


@pytest.fixture
def revised_store(loaded_store, returns_csv, tmp_path):
    """2024-04 loaded at 10:00 on 8 May, then HSG01 revised 472 -> 480 and HSG02 re-sent unchanged
    at 09:00 on 15 May, then HSG01 set to missing at 09:00 on 1 June."""
    loaded_store.load_returns(returns_csv, loaded_at="2024-05-08T10:00:00Z")
    loaded_store.load_returns(
        returns_file(tmp_path / "returns-2024-04-v2.csv",
                     [("HSG01", "2024-04", "", 480), ("HSG02", "2024-04", "", 214)]),
        loaded_at="2024-05-15T09:00:00Z")  # fmt: skip
    loaded_store.load_returns(
        returns_file(
            tmp_path / "returns-2024-04-v3.csv", [("HSG01", "2024-04", "", "", "", "", "missing")]
        ),
        loaded_at="2024-06-01T09:00:00Z",
    )
    return loaded_store


def test_a_revision_is_a_new_row(revised_store):
    assert revised_store.counts() == {"loads": 5, "catalogue_rows": 15, "return_rows": 9 + 2 + 1,
                                      "programme_rows": 0, "comparator_rows": 0,
                                      "target_rows": 0, "override_rows": 0, "body_rows": 0, "group_rows": 0,
                          "benchmark_rows": 0, "annotation_rows": 0,
                                      "publications": 0, "additions": 0}


@pytest.mark.parametrize(
    ("as_of", "value", "source"),
    [
        pytest.param("2024-05-08T10:00:00Z", 472.0, "returns-2024-04.csv", id="at the first load"),
        pytest.param("2024-05-14", 472.0, "returns-2024-04.csv", id="before the revision"),
        pytest.param("2024-05-15T10:00", 480.0, "returns-2024-04-v2.csv", id="after the revision"),
        pytest.param(None, None, "returns-2024-04-v3.csv", id="now: status missing"),
    ],
)
def test_as_of_reads_see_the_value_of_their_time(revised_store, as_of, value, source):
    row = value_of(revised_store.returns(as_of=as_of), "HSG01", "2024-04")
    assert row["source_file"] == source
    if value is None:
        assert pd.isna(row["value"]) and row["status"] == "missing"
    else:
        assert row["value"] == value and row["status"] == ""


def test_as_of_before_any_load_is_empty(revised_store):
    assert revised_store.returns(as_of="2024-05-01").empty


def test_returns_frame(revised_store):
    frame = revised_store.returns(periods=["2024-04"])
    assert list(frame.columns) == list(RETURNS_FRAME_COLUMNS)
    assert len(frame) == 9 and not frame.duplicated(["ref", "period", "breakdown"]).any()
    assert frame[["ref", "period", "breakdown"]].equals(
        frame[["ref", "period", "breakdown"]].sort_values(["ref", "period", "breakdown"])
    )
    hsg03 = value_of(frame, "HSG03", "2024-04")
    assert hsg03["value"] == pytest.approx(1180 / 1240 * 100)  # derived at load
    assert hsg03["commentary"] == "<p>Good month for <b>P1</b> repairs.</p>"
    assert len(hsg03["source_sha256"]) == 64
    assert revised_store.returns(periods="2024-05").empty
    with pytest.raises(PeriodError):
        revised_store.returns(periods=["May 2024"])


def test_revisions(revised_store):
    revs = revised_store.revisions(period="2024-04")
    assert list(revs.columns) == list(REVISION_COLUMNS)
    assert revs[["ref", "first_value", "revised_at", "source_file"]].values.tolist() == [
        ["HSG01", 472.0, "2024-05-15T09:00:00.000000Z", "returns-2024-04-v2.csv"],
        ["HSG01", 472.0, "2024-06-01T09:00:00.000000Z", "returns-2024-04-v3.csv"],
    ]
    assert set(revs["first_source"]) == {"returns-2024-04.csv"}
    assert set(revs["first_loaded_at"]) == {"2024-05-08T10:00:00.000000Z"}
    assert revs["value"].iloc[0] == 480.0 and pd.isna(revs["value"].iloc[1])
    assert "HSG02" not in set(revs["ref"])  # re-sent unchanged: not a revision


def test_revisions_as_of_and_period(revised_store):
    assert len(revised_store.revisions(period="2024-04", as_of="2024-05-20")) == 1
    assert revised_store.revisions(as_of="2024-05-10").empty
    assert revised_store.revisions(period="2024-05").empty


def test_catalogue_is_replaced_per_year_as_of_time(loaded_store, tmp_path):
    header, rows = read_csv_rows(CATALOGUE_2024)
    rows[0]["target"] = "450"  # HSG01 2024-25 retargeted
    rows = [r for r in rows if r["ref"] != "HR01"]  # and HR01 dropped
    v2 = write_csv(tmp_path / "catalogue-2024-25-v2.csv", header, rows)
    loaded_store.load_catalogue(v2, loaded_at="2024-07-01T00:00:00Z")

    def hsg01(cat, year):
        return cat[(cat["year"] == year) & (cat["ref"] == "HSG01")]["target"].tolist()

    old, new = loaded_store.catalogue(as_of="2024-06-30"), loaded_store.catalogue()
    assert hsg01(old, "2024-25") == ["480"] and "HR01" in set(old["ref"])
    assert hsg01(new, "2024-25") == ["450"] and "HR01" not in set(new["ref"])
    assert hsg01(new, "2023-24") == ["500"]  # the other year is untouched
    assert len(new) == 2 + 12 and new["position"].tolist() == [0, 1, *range(12)]
    assert loaded_store.catalogue(as_of="2024-04-01T09:00:00.5Z")["year"].unique().tolist() == [
        "2023-24"
    ]
    assert loaded_store.catalogue(as_of="2024-03-01").empty


def test_sources_lists_the_loads_in_effect(revised_store, tmp_path):
    src = revised_store.sources()
    assert src["source_file"].tolist() == [
        "catalogue-2023-24.csv",
        "catalogue-2024-25.csv",
        "returns-2024-04.csv",
        "returns-2024-04-v2.csv",
        "returns-2024-04-v3.csv",
    ]
    assert list(src.columns) == ["kind", "source_file", "sha256", "loaded_at", "n_rows"]
    early = revised_store.sources(as_of="2024-05-10")
    assert early["source_file"].tolist()[-1] == "returns-2024-04.csv" and len(early) == 3
    # a load wholly superseded is no longer in effect
    revised_store.load_returns(returns_file(tmp_path / "v4.csv", [("HSG01", "2024-04", "", 490)]))
    revised_store.load_returns(returns_file(tmp_path / "v5.csv", [("HSG01", "2024-04", "", 491)]))
    assert "v4.csv" not in revised_store.sources()["source_file"].tolist()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param("2024-03-10", "2024-03-10T00:00:00.000000Z", id="date is its midnight"),
        pytest.param("2024-03-10T12:00", "2024-03-10T12:00:00.000000Z", id="naive is UTC"),
        pytest.param("2024-03-10T12:00:00Z", "2024-03-10T12:00:00.000000Z", id="Z"),
        pytest.param("2024-03-10T12:00:00.5+01:00", "2024-03-10T11:00:00.500000Z", id="offset"),
        pytest.param("2024-03-10T12:00:00.000000Z", "2024-03-10T12:00:00.000000Z", id="canonical"),
    ],
)
def test_normalise_timestamp(given, expected):
    assert normalise_timestamp(given) == expected


def test_bad_as_of_is_a_clear_error(store):
    with pytest.raises(MomentError, match="not an ISO-8601 time"):
        store.returns(as_of="last Tuesday")
