"""The store's check of previous_ref across years (kpilib.store.previous_refs): whichever
year is loaded first, a previous_ref naming no KPI of the previous year's set is refused,
naming file, row and column, and nothing is stored."""

from __future__ import annotations

import pytest

from conftest import CATALOGUE_2024, read_csv_rows, write_csv
from kpilib.errors import ValidationError
from kpilib.store import Store


def next_year(tmp_path, previous: dict[int, str]):
    """The 2024-25 fixture as a 2025-26 set; ``previous``: data row index -> previous_ref."""
    header, rows = read_csv_rows(CATALOGUE_2024)
    for i, row in enumerate(rows):
        row["year"] = "2025-26"
        row["previous_ref"] = previous.get(i, "")
    return write_csv(tmp_path / "catalogue-2025-26.csv", [*header, "previous_ref"], rows)


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "kpi.sqlite") as s:
        yield s


def refused(store, path) -> ValidationError:
    before = store.counts()
    with pytest.raises(ValidationError) as info:
        store.load_catalogue(path)
    assert store.counts() == before  # nothing stored
    assert "nothing from this file was stored" in str(info.value)
    return info.value


@pytest.mark.parametrize("previous, bad", [
    pytest.param("HSG99", "HSG99", id="renumbered from a ref 2024-25 never had"),
    pytest.param("HSG01;HSG98", "HSG98", id="merged: only the missing ref is named"),
])
def test_later_year_loaded_second_is_checked(tmp_path, store, previous, bad):
    store.load_catalogue(CATALOGUE_2024)
    err = refused(store, next_year(tmp_path, {1: previous}))
    [p] = err.problems
    assert (p.file, p.row, p.column, p.value) == ("catalogue-2025-26.csv", 3, "previous_ref",
                                                  previous)
    assert f"names {bad}, not a ref of the 2024-25 KPI set" in p.message
    assert "catalogue-2024-25.csv" in p.message  # where the earlier set came from


def test_earlier_year_loaded_second_checks_the_stored_later_set(tmp_path, store):
    later = next_year(tmp_path, {0: "HSG01", 2: "HSG97"})
    store.load_catalogue(later)  # 2024-25 is not stored yet: nothing to check against
    err = refused(store, CATALOGUE_2024)
    [p] = err.problems
    assert err.file == "catalogue-2024-25.csv"
    assert (p.file, p.row, p.column, p.value) == ("catalogue-2025-26.csv", 4, "previous_ref",
                                                  "HSG97")
    assert "stored (2025-26's KPI set); catalogue-2024-25.csv, now being loaded" in p.message


@pytest.mark.parametrize("order", ["earlier first", "later first"])
def test_valid_links_load_in_either_order(tmp_path, store, order):
    later = next_year(tmp_path, {0: "HSG01", 1: "HSG01;HSG02"})
    files = [CATALOGUE_2024, later] if order == "earlier first" else [later, CATALOGUE_2024]
    for f in files:
        assert not store.load_catalogue(f).already_loaded
    assert sorted(set(store.catalogue()["year"])) == ["2024-25", "2025-26"]


def test_every_broken_link_of_a_file_at_once(tmp_path, store):
    store.load_catalogue(CATALOGUE_2024)
    err = refused(store, next_year(tmp_path, {0: "XX1", 2: "XX2"}))
    assert [(p.row, p.value) for p in err.problems] == [(2, "XX1"), (4, "XX2")]


def test_a_replaced_earlier_set_is_checked_too(tmp_path, store):
    store.load_catalogue(CATALOGUE_2024)
    store.load_catalogue(next_year(tmp_path, {0: "HSG02"}))
    header, rows = read_csv_rows(CATALOGUE_2024)
    smaller = write_csv(tmp_path / "catalogue-2024-25-v2.csv", header,
                        [r for r in rows if r["ref"] != "HSG02"])
    [p] = refused(store, smaller).problems
    assert (p.file, p.row, p.value) == ("catalogue-2025-26.csv", 2, "HSG02")
