"""The demo data generator: deterministic files that honour the data contracts (spec s.6)."""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

import pandas as pd
import pytest

from kpilib import demo
from kpilib.rules.periods import fy_months, fy_quarters, parse_period, shift

CATALOGUE_COLUMNS = {
    "year", "ref", "name", "directorate", "department", "commitment", "report", "theme",
    "frequency", "measure", "unit", "polarity", "target", "tolerance", "floor", "rag_scheme",
    "travel_scheme", "breakdowns", "breakdown", "benchmark", "statutory",
    "scale",  # the health KPIs written in £000
    "metric",  # the KPIs with peer figures (kpilib.demo.peers)
}  # fmt: skip
RETURNS_COLUMNS = {
    "ref", "period", "breakdown", "value", "numerator", "denominator", "status", "commentary",
}  # fmt: skip
# Every KPI of seeds/nnc-kpi-catalogue-2024-25.txt, refs normalised (AFL08 OFLOG -> AFL08,
# MPS04 OFLOG -> MPS04, STP16/17 -> STP16).
SEED_REFS = [
    "AFL26", "AFL07", "AFL03", "AFL08", "AFL15", "AFL13", "AFL14", "AFL17", "AFL12",
    "BBF22", "BBF33", "BBF18b", "BBF36", "BBF47", "BBF48", "BBF50", "BBF05", "BBF06", "BBF27",
    "BBF07", "BBF28", "BBF29", "BBF08", "BBF09",
    "STP09", "STP10", "MPS04", "MPS05", "STP37", "STP44", "STP29", "STP30", "STP31", "STP15",
    "STP16",
]  # fmt: skip
TRUST_REFS = ["BBF05", "BBF06", "BBF07", "BBF08", "BBF09", "BBF27", "BBF28", "BBF29"]
YEARS = ("2023-24", "2024-25")
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _header(path: Path) -> list[str]:
    with open(path, encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh))


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> list[demo.DemoFile]:
    return demo.write_demo_files(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def catalogue(files) -> pd.DataFrame:
    """The catalogues of the years with returns (the next year's set: test_changes_report)."""
    return pd.concat([_read(f.path) for f in files if f.kind == "catalogue"
                      and f.path.stem.removeprefix("catalogue-") in YEARS], ignore_index=True)


@pytest.fixture(scope="module")
def kpis(catalogue) -> pd.DataFrame:
    return catalogue[catalogue["breakdown"] == ""]


@pytest.fixture(scope="module")
def returns(files) -> pd.DataFrame:
    frames = [_read(f.path).assign(file=f.path.name, loaded_at=f.loaded_at)
              for f in files if f.kind == "returns"]
    return pd.concat(frames, ignore_index=True)


def _kpi(kpis: pd.DataFrame, year: str, ref: str) -> pd.Series:
    rows = kpis[(kpis["year"] == year) & (kpis["ref"] == ref)]
    assert len(rows) == 1, (year, ref)
    return rows.iloc[0]


# --------------------------------------------------------------------------- files


def test_two_runs_write_byte_identical_files(tmp_path):
    def digest(folder: Path) -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}

    a = demo.write_demo_files(tmp_path / "a")
    b = demo.write_demo_files(tmp_path / "b")
    assert [(f.path.name, f.kind, f.loaded_at) for f in a] == [
        (f.path.name, f.kind, f.loaded_at) for f in b]
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert len(digest(tmp_path / "a")) == len(a)
    raw = (tmp_path / "a" / "returns-2024-02.csv").read_bytes()
    assert b"\r\n" not in raw and raw.endswith(b"\n")
    raw.decode("utf-8")


def test_file_list_kinds_and_names(files):
    names = [f.path.name for f in files]
    assert len(names) == len(set(names))
    assert all(f.path.is_file() for f in files)
    assert [f.path.name for f in files if f.kind == "catalogue"] == [
        "catalogue-2023-24.csv", "catalogue-2024-25.csv", "catalogue-2025-26.csv"]
    monthly = {f"returns-{m}.csv" for fy in YEARS for m in fy_months(fy)}
    quarterly = {f"returns-{q}.csv" for fy in YEARS for q in fy_quarters(fy)}
    revisions = {n for n in names if n.startswith("revisions-")}
    peers = {"bodies.csv", "groups.csv", "benchmarks-2022-23.csv", "benchmarks-2023-24.csv",
             "benchmarks-2024-25.csv"}
    assert monthly | quarterly <= set(names)
    assert 2 <= len(revisions) <= 4
    assert set(names) == {"catalogue-2023-24.csv", "catalogue-2024-25.csv",
                          "catalogue-2025-26.csv"} | monthly \
        | quarterly | revisions | peers
    assert all(f.kind == "returns" for f in files if f.path.name.startswith(("returns", "revis")))
    assert {f.path.name: f.kind for f in files if f.path.name in peers} == {
        "bodies.csv": "bodies", "groups.csv": "groups", "benchmarks-2022-23.csv": "benchmarks",
        "benchmarks-2023-24.csv": "benchmarks", "benchmarks-2024-25.csv": "benchmarks"}


def test_loaded_at_is_iso_utc_and_strictly_increasing(files):
    stamps = [f.loaded_at for f in files]
    assert all(STAMP.match(s) for s in stamps)
    assert all(a < b for a, b in zip(stamps, stamps[1:]))
    when = {f.path.name: f.loaded_at for f in files}
    # a month's return is loaded early in the next month, after its year's catalogue
    assert when["returns-2024-02.csv"].startswith("2024-03-0")
    assert when["catalogue-2024-25.csv"] < when["returns-2024-04.csv"]
    assert when["catalogue-2023-24.csv"] == stamps[0]
    # a quarter's return about 20 days after the quarter ends
    assert when["returns-2024-25-Q3.csv"][:7] == "2025-01"
    assert "2025-01-18" <= when["returns-2024-25-Q3.csv"][:10] <= "2025-01-24"


@pytest.mark.parametrize("kind,columns", [("catalogue", CATALOGUE_COLUMNS),
                                          ("returns", RETURNS_COLUMNS)])
def test_contract_columns_exactly(files, kind, columns):
    for f in files:
        if f.kind == kind:
            header = _header(f.path)
            assert len(header) == len(set(header))
            next_year = f.path.name == "catalogue-2025-26.csv"  # links to 2024-25's refs
            assert set(header) == columns | ({"previous_ref"} if next_year else set()), \
                f.path.name


# --------------------------------------------------------------------------- catalogue


def test_every_seed_kpi_is_in_the_2024_25_core_set(kpis):
    year = kpis[kpis["year"] == "2024-25"]
    assert set(SEED_REFS) <= set(year["ref"])
    core = year[year["report"] == "core"]
    assert sorted(core["ref"]) == sorted(SEED_REFS)
    assert set(core["frequency"]) == {"monthly"}
    assert _kpi(kpis, "2024-25", "AFL07")["name"].startswith(
        "Long-term support needs met by admission to residential and nursing care homes")
    assert _kpi(kpis, "2024-25", "STP16")["name"] == (
        "Percentage of non-major planning applications decided on time")
    assert _kpi(kpis, "2024-25", "MPS05")["directorate"] == "Finance & Performance"
    assert _kpi(kpis, "2024-25", "BBF36")["directorate"] == "Children's Services"
    assert set(core["commitment"]) == {"Active, fulfilled lives", "Better, brighter futures",
                                       "Modern public services", "Safe and thriving places"}


def test_kpi_set_changes_between_years(kpis):
    y23 = set(kpis.loc[kpis["year"] == "2023-24", "ref"])
    y24 = set(kpis.loc[kpis["year"] == "2024-25", "ref"])
    assert {"AFL26", "BBF47", "BBF48", "BBF50"} <= y24 - y23  # NEW in 2024-25
    assert y23 - y24  # something was removed
    assert _kpi(kpis, "2023-24", "AFL08")["name"] != _kpi(kpis, "2024-25", "AFL08")["name"]


@pytest.mark.parametrize("ref,t23,t24", [
    ("AFL07", "564", "480"), ("AFL03", "35", "40"), ("AFL13", "252 (21 per month)",
     "264 (22 per month)"), ("AFL14", "300 (25 per month)", "300 (25 per month)"),
    ("AFL17", "245", "260"), ("AFL15", "", ""), ("BBF22", "", "0"), ("BBF33", "", "0"),
    ("BBF18b", "", "100"), ("BBF06", "85", "85"), ("STP37", "56", "56"), ("STP44", "99", "99"),
    ("STP15", "90", "88"), ("STP16", "85", "86"), ("STP29", "", ""), ("STP31", "", ""),
])  # fmt: skip
def test_seed_targets(kpis, ref, t23, t24):
    assert _kpi(kpis, "2023-24", ref)["target"] == t23
    assert _kpi(kpis, "2024-25", ref)["target"] == t24


def test_catalogue_details(kpis, catalogue):
    k = lambda ref: _kpi(kpis, "2024-25", ref)  # noqa: E731
    assert (k("AFL07")["measure"], k("AFL07")["unit"], k("AFL07")["polarity"]) == (
        "ratio", "rate", "lower")
    assert (k("AFL17")["measure"], k("AFL17")["polarity"]) == ("snapshot", "lower")
    assert (k("STP37")["unit"], k("STP37")["polarity"]) == ("days", "lower")
    for ref in ("MPS04", "MPS05"):
        assert k(ref)["measure"] == "cumulative"
        m = re.match(r"^98 \((.*)\)$", k(ref)["target"])
        profile = [float(v) for v in m.group(1).split(";")]
        assert len(profile) == 12 and profile == sorted(profile) and profile[-1] == 98
    for ref in ("STP29", "STP30", "STP31"):
        assert k(ref)["breakdowns"] == "P1;P2;P3;P4"
    for ref in TRUST_REFS:
        assert (k(ref)["rag_scheme"], k(ref)["travel_scheme"]) == ("trust", "trust")
    over = catalogue[(catalogue["year"] == "2024-25") & (catalogue["breakdown"] != "")]
    assert dict(zip(over["breakdown"], over["target"])) == {
        "P1": "97.5", "P2": "97.5", "P3": "90", "P4": "90"}
    assert set(over["ref"]) == {"STP31"}
    others = [c for c in CATALOGUE_COLUMNS
              if c not in ("year", "ref", "breakdown", "target", "tolerance", "floor")]
    assert (over[others] == "").all().all()


def test_report_sets_schemes_and_tolerances(kpis):
    year = kpis[kpis["year"] == "2024-25"]
    service = year[year["report"] == "service"]
    health = year[year["report"] == "health"]
    assert 12 <= len(service) <= 16 and set(service["frequency"]) == {"quarterly"}
    assert len(service["directorate"].unique()) >= 4
    assert set(health["frequency"]) == {"quarterly"}
    assert {t: 3 <= n <= 5 for t, n in health["theme"].value_counts().items()} == {
        "Financial": True, "Customer": True, "Workforce": True}
    assert {"tolerance", "floor", "graded", "trust"} <= set(kpis["rag_scheme"])
    # nnc with trust (one meaning per symbol); never graded beside nnc (↑ improved / worse)
    assert {"nnc", "trust"} <= set(kpis["travel_scheme"])
    assert "graded" not in set(kpis["travel_scheme"])
    floor = year[year["rag_scheme"] == "floor"]
    assert (floor["floor"] != "").all()
    lower = floor[floor["polarity"] == "lower"]
    assert (lower["floor"].astype(float) > lower["target"].astype(float)).any()
    tolerances = set(kpis["tolerance"])
    assert "none" in tolerances and "" in tolerances
    assert any(re.fullmatch(r"\d+(\.\d+)?%", t) for t in tolerances)
    assert any(re.fullmatch(r"\d+(\.\d+)?pp", t) for t in tolerances)
    assert _kpi(kpis, "2024-25", "STP15")["tolerance"] == "85-88"
    assert "review" in set(kpis["target"])
    assert (year["benchmark"] != "").sum() >= 5 and (year["statutory"] != "").sum() >= 5


def test_catalogue_files_pass_kpilib_validation(files):
    catalogue = pytest.importorskip("kpilib.ingest.catalogue")
    for f in files:
        if f.kind == "catalogue":
            assert len(catalogue.read_catalogue_file(f.path)) > 50


# --------------------------------------------------------------------------- returns


def test_returns_cover_every_period_of_every_kpi(files, kpis):
    loaded = pd.concat([_read(f.path) for f in files if f.path.name.startswith("returns-")])
    have = set(zip(loaded["ref"], loaded["period"], loaded["breakdown"]))
    for _, k in kpis.iterrows():
        periods = fy_months(k["year"]) if k["frequency"] == "monthly" else fy_quarters(k["year"])
        parts = [""] + [b for b in k["breakdowns"].split(";") if b]
        missing = [(k["ref"], p, b) for p in periods for b in parts
                   if (k["ref"], p, b) not in have]
        assert not missing, missing[:5]
    months = {p for p in loaded["period"] if parse_period(p).kind == "month"}
    assert min(months) == "2023-04" and max(months) == "2025-03" and len(months) == 24


def test_returns_follow_the_validation_rules(files, kpis):
    for f in files:
        if f.kind != "returns":
            continue
        df = _read(f.path)
        assert not df.duplicated(["ref", "period", "breakdown"]).any(), f.path.name
        for _, r in df.iterrows():
            where = (f.path.name, r["ref"], r["period"], r["breakdown"])
            p = parse_period(r["period"])
            k = _kpi(kpis, p.fy, r["ref"])  # ref in the catalogue of the period's year
            assert p.kind == ("month" if k["frequency"] == "monthly" else "quarter"), where
            assert r["breakdown"] == "" or r["breakdown"] in k["breakdowns"].split(";"), where
            assert r["status"] in ("", "missing", "unavailable", "arrears"), where
            for col in ("value", "numerator", "denominator"):
                assert r[col] == "" or NUMBER.match(r[col]), where
            if r["status"]:
                assert r["value"] == r["numerator"] == r["denominator"] == "", where
                continue
            if k["measure"] == "ratio":
                assert r["numerator"] != "" and r["denominator"] != "", where
            if r["numerator"]:
                n, d = float(r["numerator"]), float(r["denominator"])
                assert 0 <= n and 0 <= d, where
                if k["unit"] in ("percent", "rate"):
                    assert n <= d, where
                if r["value"] and d:
                    scale = {"percent": 100, "rate": 100_000}.get(k["unit"], 1)
                    assert float(r["value"]) == pytest.approx(n / d * scale, abs=0.051), where
            else:
                assert r["value"] != "", where
            if k["unit"] == "percent" and r["value"]:
                assert 0 <= float(r["value"]) <= 100, where


def test_breakdown_kpis_have_a_separate_total_row(returns):
    rows = returns[(returns["ref"] == "STP31") & (returns["period"] == "2024-06")
                   & returns["file"].str.startswith("returns-")]
    assert sorted(rows["breakdown"]) == ["", "P1", "P2", "P3", "P4"]
    total = rows[rows["breakdown"] == ""].iloc[0]
    assert total["numerator"] and total["denominator"]


def test_missing_unavailable_and_arrears(returns):
    status = returns[returns["status"] != ""]
    assert {"missing", "unavailable", "arrears"} <= set(status["status"])
    arrears = status[status["status"] == "arrears"]
    assert set(arrears["ref"]) == {"AFL07"}
    # the latest month is in arrears; each month's value arrives in the next month's file
    latest = returns[(returns["file"] == "returns-2025-03.csv") & (returns["ref"] == "AFL07")]
    assert dict(zip(latest["period"], latest["status"])) == {"2025-03": "arrears", "2025-02": ""}
    for m in fy_months("2024-25")[1:]:
        late = returns[(returns["file"] == f"returns-{m}.csv") & (returns["ref"] == "AFL07")
                       & (returns["period"] == shift(m, -1).id)]
        assert len(late) == 1 and late.iloc[0]["numerator"] != ""


def test_a_ratio_with_zero_denominator(returns):
    zero = returns[(returns["numerator"] == "0") & (returns["denominator"] == "0")]
    assert not zero.empty
    assert (zero["value"] == "").all()
    assert ("STP15", "2024-08") in set(zip(zero["ref"], zero["period"]))


def test_derived_and_given_values_and_commentary(returns):
    ratio = returns[returns["numerator"] != ""]
    assert (ratio["value"] == "").any() and (ratio["value"] != "").any()
    with_text = returns[returns["commentary"] != ""]
    assert len(with_text) >= 0.2 * len(returns[returns["breakdown"] == ""])
    assert with_text["commentary"].str.startswith("<p>").all()
    assert with_text["commentary"].str.contains("<b>").any()


def test_exactly_one_hostile_commentary(files):
    text = "".join(f.path.read_text(encoding="utf-8") for f in files)
    assert text.count("<script") == 1
    assert text.count("javascript:") == 1 and "onclick=" in text


def test_revisions_restate_earlier_values(files, returns):
    order = {f.path.name: i for i, f in enumerate(files)}
    revisions = returns[returns["file"].str.startswith("revisions-")]
    assert not revisions.empty
    for _, r in revisions.iterrows():
        key = (r["ref"], r["period"], r["breakdown"])
        earlier = returns[(returns["ref"] == key[0]) & (returns["period"] == key[1])
                          & (returns["breakdown"] == key[2])
                          & (returns["file"].map(order) < order[r["file"]])]
        assert not earlier.empty, key
        before = earlier.iloc[-1]
        assert (before["value"], before["numerator"], before["denominator"]) != (
            r["value"], r["numerator"], r["denominator"]), key
    keys = set(zip(revisions["ref"], revisions["period"], revisions["breakdown"]))
    assert {("STP31", "2024-02", "P2"), ("AFL17", "2024-02", "")} <= keys


# --------------------------------------------------------------------------- store


class _RecordingStore:
    def __init__(self):
        self.calls: list[tuple[str, str, str | None]] = []

    def load(self, kind, path, loaded_at=None):
        self.calls.append((kind, Path(path).name, loaded_at))
        return len(self.calls)


def test_build_demo_store_loads_every_file_in_order(tmp_path):
    store = _RecordingStore()
    results = demo.build_demo_store(store, tmp_path)
    files = demo.write_demo_files(tmp_path / "again")
    assert store.calls == [(f.kind, f.path.name, f.loaded_at) for f in files]
    assert results == list(range(1, len(files) + 1))


def test_build_demo_store_into_a_real_store(tmp_path):
    store_mod = pytest.importorskip("kpilib.store")
    store = store_mod.Store.open(str(tmp_path / "kpi.sqlite"))
    results = demo.build_demo_store(store, tmp_path / "files")
    files = demo.write_demo_files(tmp_path / "again")
    assert len(results) == len(files)
    assert store.last_loaded_at() == files[-1].loaded_at
    cat = store.catalogue()
    assert set(SEED_REFS) <= set(cat.loc[cat["year"] == "2024-25", "ref"])
    assert not store.returns().empty


def test_the_kpis_written_in_thousands_say_so(files):
    """The demo's "(£000)" KPIs are shown in pounds (catalogue ``scale``), not as written."""
    cat = pd.concat([pd.read_csv(f.path, dtype=str, keep_default_na=False) for f in files
                     if f.kind == "catalogue"])
    kpis = cat[cat["breakdown"] == ""]
    in_thousands = kpis[kpis["name"].str.contains("£000", regex=False)]
    assert len(in_thousands) and set(in_thousands["scale"]) == {"thousands"}
    assert set(kpis.loc[~kpis["name"].str.contains("£000", regex=False), "scale"]) == {""}


# --------------------------------------------------------------------------- peers


@pytest.fixture(scope="module")
def benchmarks(files) -> pd.DataFrame:
    return pd.concat([_read(f.path) for f in files if f.kind == "benchmarks"],
                     ignore_index=True)


def test_the_peer_group_is_sixteen_real_councils_with_the_demo_council(files):
    """Real ONS GSS codes of English unitary councils (E06...), the demo's own among them."""
    bodies = _read(next(f.path for f in files if f.kind == "bodies"))
    groups = _read(next(f.path for f in files if f.kind == "groups"))
    assert len(bodies) == 16 and bodies["body"].is_unique
    assert all(re.fullmatch(r"E06\d{6}", c) for c in bodies["body"])
    assert "E06000061" in set(bodies["body"])  # North Northamptonshire
    assert set(groups["group"]) == {"Nearest neighbours (demo)"}
    assert set(groups["body"]) == set(bodies["body"])


def test_every_kpi_with_a_metric_has_a_figure_of_every_body_each_year(benchmarks, kpis):
    mapped = dict(zip(kpis.loc[kpis["metric"] != "", "metric"],
                      kpis.loc[kpis["metric"] != "", "ref"]))
    assert len(mapped) == 7
    counts = benchmarks.groupby(["metric", "period"]).size()
    assert set(counts) == {16}
    assert set(benchmarks["metric"]) == set(mapped)
    assert set(benchmarks["period"]) == {"2022-23", "2023-24", "2024-25"}


def test_peer_figures_are_proportions_with_a_realistic_spread(benchmarks):
    """Each value is its numerator over its denominator (to the 1 dp shown); denominators
    span small and large councils; values spread but stay plausible."""
    scale = benchmarks["unit"].map({"percent": 100.0, "rate": 100_000.0})
    n, d = benchmarks["numerator"].astype(int), benchmarks["denominator"].astype(int)
    assert ((n / d * scale).round(1) - benchmarks["value"].astype(float)).abs().max() < 0.051
    for metric, rows in benchmarks.groupby("metric"):
        v = rows["value"].astype(float)
        dens = rows["denominator"].astype(int)
        assert dens.max() > 3 * dens.min(), metric  # Darlington to Wiltshire
        assert v.std() > 0.02 * v.mean(), metric
        assert v.nunique() > 10, metric


def test_the_councils_own_figure_is_its_returns_year(benchmarks, returns):
    """BBF06 2023-24: the council's own benchmark is the sum of its months' numerators over
    the sum of their denominators (as first returned)."""
    own = benchmarks[(benchmarks["body"] == "E06000061") & (benchmarks["metric"]
                     == "CIN-ASSESSMENT-45D") & (benchmarks["period"] == "2023-24")].iloc[0]
    months = returns[(returns["ref"] == "BBF06") & (returns["breakdown"] == "")
                     & returns["period"].isin(fy_months("2023-24"))
                     & returns["file"].str.startswith("returns-")]
    assert int(own["numerator"]) == months["numerator"].astype(int).sum()
    assert int(own["denominator"]) == months["denominator"].astype(int).sum()
