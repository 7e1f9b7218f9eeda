"""kpilib.store under concurrency: loads serialised and stamped under the write lock, reads
bounded by the loads committed at a snapshot, concurrent loads of one file.

A load is paused inside its transaction (``Store.before_commit``, after its rows are written
and its stamp taken, before it commits) so every interleaving here is deterministic.
"""

from __future__ import annotations

import threading

import pytest
from postgres import BACKENDS
from postgres import store_url as backend_url
from test_store import returns_file, value_of

from conftest import CATALOGUE_2024, read_csv_rows, write_csv
from kpilib.clock import utc_now
from kpilib.errors import StoreError, ValidationError
from kpilib.store import Store, database

WAIT = 60  # seconds: a generous bound, never reached when the code is right


class PausedLoad:
    """A load in another thread, held just before its commit until :meth:`commit`."""

    def __init__(self, url, path, kind="returns"):
        self.store = Store.open(url)
        self.stamped, self.go = threading.Event(), threading.Event()
        self.result, self.error = None, None
        self.store.before_commit = self._pause
        self.thread = threading.Thread(target=self._run, args=(kind, path), daemon=True)
        self.thread.start()
        assert self.stamped.wait(WAIT), "the load never reached its commit"

    def _pause(self, kind, stamp):
        self.stamp = stamp
        self.stamped.set()
        assert self.go.wait(WAIT)

    def _run(self, kind, path):
        try:
            self.result = getattr(self.store, f"load_{kind}")(path)
        except Exception as e:  # handed to the test
            self.error = e

    def commit(self):
        self.go.set()
        self.thread.join(WAIT)
        self.store.close()
        if self.error:
            raise self.error
        return self.result


@pytest.fixture(params=BACKENDS)
def empty_store(request, tmp_path):
    """SQLite, and a new database on the session's throwaway PostgreSQL server."""
    s = Store.open(backend_url(request, tmp_path))
    yield s
    s.close()


@pytest.fixture
def db(empty_store, catalogue_csv, catalogue_2023_csv, returns_csv):
    empty_store.load_catalogue(catalogue_2023_csv, loaded_at="2024-04-01T09:00:00Z")
    empty_store.load_catalogue(catalogue_csv, loaded_at="2024-04-01T09:00:01Z")
    empty_store.load_returns(returns_csv)
    return empty_store


def test_a_snapshot_bound_hides_a_load_that_commits_after_it(db, tmp_path):
    revision = returns_file(tmp_path / "rev.csv", [("HSG01", "2024-04", "", 999)])
    paused = PausedLoad(db.url, revision)
    as_of = utc_now()  # after the load's stamp: an as_of read alone would see it once committed
    assert paused.stamp <= as_of
    during = db.snapshot(as_of)
    paused.commit()
    again = db.snapshot(as_of, during.loads_through)
    assert value_of(during.returns, "HSG01", "2024-04")["value"] == 472
    assert again.returns.equals(during.returns) and again.catalogue.equals(during.catalogue)
    assert again.sources == during.sources and again.loads_through == during.loads_through
    # the bound is what makes it exact: a plain as-of read now sees the late commit
    assert value_of(db.snapshot(as_of).returns, "HSG01", "2024-04")["value"] == 999


def test_load_ids_and_stamps_increase_in_commit_order(db, tmp_path):
    paused = PausedLoad(db.url, returns_file(tmp_path / "a.csv", [("HSG01", "2024-04", "", 1)]))
    bound = db.last_load_id()
    result = paused.commit()
    db.load_returns(returns_file(tmp_path / "b.csv", [("HSG01", "2024-04", "", 2)]))
    src = db.sources()
    assert db.last_load_id() == bound + 2
    assert src["loaded_at"].is_monotonic_increasing and result.loaded_at == paused.stamp


def test_two_loads_of_one_file_at_once_store_it_once(db, tmp_path):
    path = returns_file(tmp_path / "same.csv", [("HSG01", "2024-04", "", 481)])
    first = PausedLoad(db.url, path)
    second = threading.Thread(target=lambda: results.append(db.load_returns(path)))
    results = []
    second.start()  # validates, then waits for the first load's write lock
    first_result = first.commit()
    second.join(WAIT)
    assert not first_result.already_loaded
    assert [r.already_loaded for r in results] == [True]
    assert results[0].loaded_at == first_result.loaded_at
    assert db.counts()["loads"] == 4  # two catalogues, the fixture's returns, this file once


def test_a_load_that_cannot_get_the_write_lock_says_the_store_is_busy(db, tmp_path, monkeypatch):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL loads wait for the lock as long as it is held")
    monkeypatch.setattr(database, "BUSY_TIMEOUT", 0.2)
    busy = Store.open(db.url)
    paused = PausedLoad(db.url, returns_file(tmp_path / "a.csv", [("HSG01", "2024-04", "", 1)]))
    before = db.counts()
    with pytest.raises(StoreError, match=r"is busy: another load is writing to it; try again"
                                         r".*nothing from this file was stored"):
        busy.load_returns(returns_file(tmp_path / "b.csv", [("HSG01", "2024-04", "", 2)]))
    assert db.counts() == before
    paused.commit()
    assert db.counts()["loads"] == before["loads"] + 1


def test_returns_are_validated_again_when_a_catalogue_commits_meanwhile(db, tmp_path,
                                                                      monkeypatch):
    """Returns validated against the catalogue as it stood, while a catalogue that drops
    their KPI is being loaded, are validated again under the lock, and refused."""
    header, rows = read_csv_rows(CATALOGUE_2024)
    v2 = write_csv(tmp_path / "catalogue-v2.csv", header, [r for r in rows if r["ref"] != "HR01"])
    hr01 = returns_file(tmp_path / "hr01.csv", [("HR01", "2024-25-Q1", "", 8.5)])
    validated, real = threading.Event(), Store._validated

    def validate(self, *args):
        out = real(self, *args)
        validated.set()
        return out

    monkeypatch.setattr(Store, "_validated", validate)
    paused = PausedLoad(db.url, v2, kind="catalogue")
    errors = []
    t = threading.Thread(target=lambda: _catch(errors, db.load_returns, hr01))
    t.start()
    assert validated.wait(WAIT)  # valid against the catalogue committed so far
    before = db.counts()
    paused.commit()
    t.join(WAIT)
    assert len(errors) == 1 and isinstance(errors[0], ValidationError)
    assert "unknown ref: HR01 is in no loaded catalogue" in str(errors[0])
    assert db.counts()["return_rows"] == before["return_rows"]


def _catch(errors, fn, *args):
    try:
        fn(*args)
    except Exception as e:  # handed to the test
        errors.append(e)
