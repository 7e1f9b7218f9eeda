"""Bodies, groups and benchmarks: kpilib.ingest.peers, kpilib.store.peers,
kpilib.ingest.metrics (the catalogue's metric column) and kpilib.settings.benchmark (council.yaml's
body and benchmark group), through ``kpi load`` as a user runs it."""

from __future__ import annotations

import time

import pytest

from conftest import write_csv
from kpilib.cli import main
from kpilib.errors import ValidationError
from kpilib.settings.council import CouncilError, load_settings
from kpilib.store import Store

CAT_HEADER = ["year", "ref", "name", "directorate", "commitment", "report", "frequency",
              "measure", "unit", "polarity", "target", "metric"]
BODIES = [["E06000061", "North Northamptonshire", "unitary"],
          ["E06000062", "West Northamptonshire", "unitary"],
          ["E06000001", "Hartlepool", "unitary"],
          ["E06000002", "Middlesbrough", ""],
          ["W06000001", "Isle of Anglesey", "unitary"]]
GROUP = [["Nearest neighbours", b[0]] for b in BODIES[:4]]


def kpi(ref, unit="percent", metric="", year="2024-25"):
    return {"year": year, "ref": ref, "name": f"KPI {ref}", "directorate": "D",
            "commitment": "C", "report": "core", "frequency": "monthly", "measure": "snapshot",
            "unit": unit, "polarity": "higher", "target": "", "metric": metric}


@pytest.fixture
def store(tmp_path):
    """A store with a catalogue mapping metric M-PCT (percent) and M-N (count), four bodies
    in one group and one body (W06000001) in none."""
    db = str(tmp_path / "kpi.sqlite")
    cat = write_csv(tmp_path / "cat.csv", CAT_HEADER,
                    [kpi("K1", metric="M-PCT"), kpi("K2", "count", "M-N")])
    bodies = write_csv(tmp_path / "bodies.csv", ["body", "name", "kind"], BODIES)
    groups = write_csv(tmp_path / "groups.csv", ["group", "body"], GROUP)
    for kind, f in (("catalogue", cat), ("bodies", bodies), ("groups", groups)):
        assert main(["load", kind, str(f), "--store", db]) == 0
    return db


def load(tmp_path, db, kind, header, rows, name="file.csv"):
    path = write_csv(tmp_path / name, header, rows)
    with Store.open(db) as s:
        return s.load(kind, path)


def counts(db):
    with Store.open(db) as s:
        return s.counts()


BENCH = ["body", "metric", "period", "value", "unit"]
GOOD = [["E06000061", "M-PCT", "2023-24", "55", "percent"],
        ["E06000062", "M-PCT", "2023-24", "60.5%", "percent"],
        ["E06000001", "M-PCT", "2023-24", "50", "percent"],
        ["E06000002", "M-N", "2024-25-Q3", "1,200", "count"],
        ["E06000002", "UNMAPPED", "2024-06", "3", "rate"]]


def test_a_good_benchmarks_file_loads_and_reads_back(tmp_path, store):
    res = load(tmp_path, store, "benchmarks", BENCH, GOOD)
    assert res.n_rows == 5 and not res.already_loaded
    with Store.open(store) as s:
        snap = s.snapshot(extras=("bodies", "groups", "benchmarks"))
    b = snap.extras["benchmarks"]
    assert sorted(zip(b["body"], b["metric"], b["value"], strict=True))[:2] == [
        ("E06000001", "M-PCT", 50.0), ("E06000002", "M-N", 1200.0)]
    assert sorted(snap.extras["groups"]["body"]) == sorted(b[0] for b in BODIES[:4])
    assert {s["kind"] for s in snap.sources} >= {"bodies", "groups", "benchmarks"}


# fmt: off
BAD_BENCHMARKS = [
    # id, rows, (row, column) of the problem, words of the message
    ("unknown-body", [["E09999999", "M-PCT", "2023-24", "5", "percent"]], (2, "body"),
     "unknown body"),
    ("body-in-no-group", [["W06000001", "M-PCT", "2023-24", "5", "percent"]], (2, "body"),
     "a body in no group"),
    ("malformed-code", [["E06 000061", "M-PCT", "2023-24", "5", "percent"]], (2, "body"),
     "official code"),
    ("duplicate-different-values", [GOOD[0], [*GOOD[0][:3], "56", "percent"]], (3, "value"),
     "duplicate with another value"),
    ("percent-figure-for-a-count-kpi", [["E06000061", "M-N", "2023-24", "5", "percent"]],
     (2, "unit"), "mapped to a KPI in count"),
    ("count-figure-for-a-percent-kpi", [["E06000061", "M-PCT", "2023-24", "5", "count"]],
     (2, "unit"), "mapped to a KPI in percent"),
    ("unknown-unit", [["E06000061", "M-X", "2023-24", "5", "pct"]], (2, "unit"),
     "expected one of percent"),
    ("not-a-period", [["E06000061", "M-PCT", "2023", "5", "percent"]], (2, "period"),
     "financial year"),
    ("not-a-number", [["E06000061", "M-PCT", "2023-24", "n/a", "percent"]], (2, "value"),
     "expected a number"),
    ("no-metric", [["E06000061", "", "2023-24", "5", "percent"]], (2, "metric"), "required"),
]
# fmt: on


@pytest.mark.parametrize("rows,where,words", [r[1:] for r in BAD_BENCHMARKS],
                         ids=[r[0] for r in BAD_BENCHMARKS])
def test_bad_benchmarks_name_row_and_column_and_store_nothing(tmp_path, store, rows, where,
                                                              words):
    before = counts(store)
    with pytest.raises(ValidationError) as e:
        load(tmp_path, store, "benchmarks", BENCH, [*rows, GOOD[1]])
    assert any((p.row, p.column) == where and words in p.message for p in e.value.problems), \
        str(e.value)
    assert counts(store) == before


def test_identical_duplicate_rows_are_one_figure(tmp_path, store):
    assert load(tmp_path, store, "benchmarks", BENCH, [GOOD[0], GOOD[0]]).n_rows == 1


def test_benchmarks_before_bodies_say_load_bodies_first(tmp_path):
    db = str(tmp_path / "empty.sqlite")
    with pytest.raises(ValidationError, match="kpi load bodies FILE first"):
        load(tmp_path, db, "benchmarks", BENCH, [GOOD[0]])


@pytest.mark.parametrize("rows,where,words", [
    ([["E06000061", "A"], ["E06000061", "B"]], (3, "body"), "duplicate"),
    ([["E6", ""]], (2, "name"), "required"),
], ids=["duplicate-body", "no-name"])
def test_bad_bodies(tmp_path, rows, where, words):
    with pytest.raises(ValidationError) as e:
        load(tmp_path, str(tmp_path / "s.sqlite"), "bodies", ["body", "name"], rows)
    assert any((p.row, p.column) == where and words in p.message for p in e.value.problems)


@pytest.mark.parametrize("rows,where,words", [
    ([["G", "E09999999"]], (2, "body"), "unknown body"),
    ([["G", "E06000061"], ["G", "E06000061"]], (3, "body"), "duplicate"),
    ([["", "E06000061"]], (2, "group"), "required"),
], ids=["unknown-body", "member-twice", "no-group-name"])
def test_bad_groups(tmp_path, store, rows, where, words):
    before = counts(store)
    with pytest.raises(ValidationError) as e:
        load(tmp_path, store, "groups", ["group", "body"], rows)
    assert any((p.row, p.column) == where and words in p.message for p in e.value.problems)
    assert counts(store) == before


def test_a_groups_load_replaces_the_groups_it_names_whole(tmp_path, store):
    """A council leaving a group leaves it from the load on; earlier moments keep it."""
    with Store.open(store) as s:
        before = s.last_loaded_at()
    load(tmp_path, store, "groups", ["group", "body"],
         [["Nearest neighbours", "E06000061"], ["Nearest neighbours", "E06000062"],
          ["Wales", "W06000001"]], name="groups-2.csv")
    with Store.open(store) as s:
        now = s.snapshot(extras=("groups",)).extras["groups"]
        then = s.snapshot(as_of=before, extras=("groups",)).extras["groups"]
    members = now.groupby("group")["body"].apply(sorted).to_dict()
    assert members == {"Nearest neighbours": ["E06000061", "E06000062"],
                       "Wales": ["W06000001"]}
    assert len(then) == 4 and set(then["group"]) == {"Nearest neighbours"}


def test_a_metric_mapped_to_two_kpis_of_a_year_is_refused(tmp_path):
    cat = write_csv(tmp_path / "cat.csv", CAT_HEADER,
                    [kpi("K1", metric="M"), kpi("K2", metric="M"),
                     kpi("K1", metric="M", year="2025-26")])
    with pytest.raises(ValidationError) as e, Store.open(tmp_path / "s.sqlite") as s:
        s.load("catalogue", cat)
    assert {(p.row, p.column) for p in e.value.problems} == {(2, "metric"), (3, "metric")}
    assert "mapped to two KPIs of 2024-25 (K1, K2" in str(e.value)


def test_ten_thousands_of_rows_load_in_seconds(tmp_path, store):
    bodies = [[f"E0{i:07d}", f"Council {i}", ""] for i in range(400)]
    load(tmp_path, store, "bodies", ["body", "name", "kind"], bodies, name="b400.csv")
    load(tmp_path, store, "groups", ["group", "body"], [["England", b[0]] for b in bodies],
         name="england.csv")
    rows = [[b[0], f"M{m}", "2023-24", str((i * 37 + m) % 100), "percent"]
            for i, b in enumerate(bodies) for m in range(100)]
    start = time.perf_counter()
    assert load(tmp_path, store, "benchmarks", BENCH, rows, name="big.csv").n_rows == 40_000
    assert time.perf_counter() - start < 20  # seconds, on a loaded 2-core machine


# fmt: off
SETTINGS = [
    ("body-and-group", "body: E06000061\nbenchmark_group: Nearest neighbours\n", None),
    ("per-kpi-group", "body: E06000061\nbenchmark_groups: {CS-05: Family}\n", None),
    ("bad-code", "body: 'E06 000061'\n", "key 'body'"),
    ("group-without-body", "benchmark_group: Nearest neighbours\n", "needs the council's own"),
    ("groups-not-a-mapping", "body: E1\nbenchmark_groups: [a]\n", "key 'benchmark_groups'"),
]
# fmt: on


@pytest.mark.parametrize("text,error", [r[1:] for r in SETTINGS], ids=[r[0] for r in SETTINGS])
def test_council_settings_name_the_body_and_group(tmp_path, text, error):
    path = tmp_path / "council.yaml"
    path.write_text(text, encoding="utf-8")
    if error:
        with pytest.raises(CouncilError, match=error):
            load_settings(path)
        return
    peers = load_settings(path).peers
    assert peers.body == "E06000061" and peers.active
    assert peers.group_of("CS-05") in ("Nearest neighbours", "Family")


def test_no_settings_no_peers(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no council.yaml (the project's names the demo's group)
    assert not load_settings(None).peers.active
