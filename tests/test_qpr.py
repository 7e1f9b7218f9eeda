"""The Kent-style quarterly performance report (report type ``qpr``; kpilib/reports/qpr.py,
kpilib/render/qpr.py, kpilib/demo/kent.py): activity indicators' range statuses in
``results.csv``, NEW and Removed markers through ``previous_ref`` (renumbered, merged,
split) and a council's first year, the baseline column from last year's Q4 return or the
catalogue, and Kent's own store, settings and parameter sets from ``kpi demo --council
kent`` through ``kpi run``, ``kpi audit`` and ``kpi revisions``."""

from __future__ import annotations

import hashlib
import re
import shutil
from html import unescape
from pathlib import Path

import pandas as pd
import pytest

import kpilib.notebook as kn
from conftest import write_csv
from kpilib.cli import main
from kpilib.ingest.contracts import RESULTS_COLUMNS
from kpilib.store import Store

ROOT = Path(__file__).resolve().parents[1]
HEADER = ["year", "ref", "name", "directorate", "commitment", "report", "frequency", "measure",
          "unit", "polarity", "target", "floor", "rag_scheme", "baseline", "expected_low",
          "expected_high", "previous_ref"]
RETURNS = ["ref", "period", "value"]
D1, D2 = "Customer Services", "Adult Social Care"


def kpi_row(fy, ref, directorate=D1, previous_ref="", baseline="", **kw):
    return {"year": fy, "ref": ref, "name": f"Indicator {ref}", "directorate": directorate,
            "commitment": "Key Performance Indicators", "report": "qpr",
            "frequency": "quarterly", "measure": "snapshot", "unit": "percent",
            "polarity": "higher", "target": "90", "floor": "80", "rag_scheme": "floor",
            "baseline": baseline, "previous_ref": previous_ref, **kw}


def activity_row(fy, ref, low="", high="", directorate=D1, previous_ref=""):
    return kpi_row(fy, ref, directorate, previous_ref, measure="sum", unit="count",
                   polarity="none", target="", floor="", rag_scheme="", expected_low=low,
                   expected_high=high, commitment="Activity indicators")


def store_with(tmp_path, catalogues: dict[str, list[dict]], returns: list[dict]) -> str:
    """A store holding each year's catalogue, then the returns (one file)."""
    store = Store.open(tmp_path / "kpi.sqlite")
    for fy, rows in catalogues.items():
        store.load_catalogue(write_csv(tmp_path / f"catalogue-{fy}.csv", HEADER, rows))
    if returns:
        store.load_returns(write_csv(tmp_path / "returns.csv", RETURNS, returns))
    store.engine.dispose()
    return str(tmp_path / "kpi.sqlite")


def text_of(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


# --------------------------------------------------------------------------- range statuses

@pytest.mark.parametrize("value, low, high, status", [
    pytest.param("450", "400", "500", "Within range", id="within"),
    pytest.param("400", "400", "500", "Within range", id="on the low end: within"),
    pytest.param("500", "400", "500", "Within range", id="on the high end: within"),
    pytest.param("501", "400", "500", "Above range", id="above"),
    pytest.param("399", "400", "500", "Below range", id="below"),
    pytest.param("450", "", "", "Tracking", id="no range stays Tracking"),
])
def test_activity_indicator_status_goes_into_results_csv(tmp_path, value, low, high, status):
    store = store_with(tmp_path, {"2024-25": [kpi_row("2024-25", "K1"),
                                              activity_row("2024-25", "A1", low, high)]},
                       [{"ref": "A1", "period": "2024-25-Q1", "value": value},
                        {"ref": "K1", "period": "2024-25-Q1", "value": "85"}])
    report = kn.open_report(store, "2024-25-Q1", "qpr")
    res = report.results
    assert tuple(res.columns) == RESULTS_COLUMNS
    a1 = res[(res["ref"] == "A1") & (res["column"] == "2024-25-Q1")]
    assert a1["rag"].tolist() == [status]
    k1 = res[(res["ref"] == "K1") & (res["column"] == "2024-25-Q1")]
    assert k1["rag"].tolist() == ["Amber"]  # the floor scheme: under target, above floor
    page = text_of(kn.section_page_body(report, D1))
    activity = page[page.index("Activity indicators: "):]
    assert "Status" in activity and status in activity
    assert ("No range set" in activity) == (low == "")


def test_activity_indicator_with_no_value_is_data_missing(tmp_path):
    store = store_with(tmp_path, {"2024-25": [kpi_row("2024-25", "K1"),
                                              activity_row("2024-25", "A1", "1", "2")]},
                       [{"ref": "K1", "period": "2024-25-Q1", "value": "95"}])
    res = kn.open_report(store, "2024-25-Q1", "qpr").results
    assert res[(res["ref"] == "A1") & (res["column"] == "2024-25-Q1")]["rag"].tolist() == [
        "Data missing"]


# --------------------------------------------------------------------------- NEW and Removed

PREVIOUS = [kpi_row("2023-24", "K1"), kpi_row("2023-24", "K2"), kpi_row("2023-24", "K3"),
            kpi_row("2023-24", "K4"), kpi_row("2023-24", "K5"),
            kpi_row("2023-24", "K6", D2), activity_row("2023-24", "A1", directorate=D2)]
CURRENT = [
    kpi_row("2024-25", "K1"),                          # kept
    kpi_row("2024-25", "K2B", previous_ref="K2"),      # renumbered
    kpi_row("2024-25", "K34", previous_ref="K3;K4"),   # merged
    activity_row("2024-25", "A1X", previous_ref="A1", directorate=D2),  # split from A1 ...
    activity_row("2024-25", "A1Y", previous_ref="A1", directorate=D2),  # ... into two
    kpi_row("2024-25", "N1"),                          # new
]                                                      # K5 (D1) and K6 (D2) removed


@pytest.mark.parametrize("ref, marker", [
    pytest.param("K1", "", id="kept"),
    pytest.param("K2B", "", id="renumbered"),
    pytest.param("K34", "", id="merged"),
    pytest.param("A1X", "", id="split (first)"),
    pytest.param("A1Y", "", id="split (second)"),
    pytest.param("N1", "NEW", id="new"),
])
def test_new_markers(tmp_path, ref, marker):
    store = store_with(tmp_path, {"2023-24": PREVIOUS, "2024-25": CURRENT}, [])
    kpis = kn.open_report(store, "2024-25-Q1", "qpr").kpis.set_index("ref")
    assert kpis.loc[ref, "marker"] == marker


def test_removed_kpis_are_listed_at_the_end_of_their_directorate(tmp_path):
    store = store_with(tmp_path, {"2023-24": PREVIOUS, "2024-25": CURRENT}, [])
    report = kn.open_report(store, "2024-25-Q1", "qpr")
    assert [r["ref"] for r in report.extra.removed] == ["K5", "K6"]
    d1 = text_of(kn.section_page_body(report, D1))
    d2 = text_of(kn.section_page_body(report, D2))
    assert "Removed since 2023-24 K5 Indicator K5 Removed" in d1 and "K6" not in d1
    assert "Removed since 2023-24 K6 Indicator K6 Removed" in d2 and "K5" not in d2
    assert d1.index("Removed since") > d1.index("Indicator N1")  # after its KPIs
    assert "N1 Indicator N1 NEW" in d1 and "K1 Indicator K1 NEW" not in d1
    assert "No NEW or Removed markers" not in d1 + d2


def test_first_year_shows_no_markers_and_says_why(tmp_path):
    store = store_with(tmp_path, {"2024-25": CURRENT}, [])
    report = kn.open_report(store, "2024-25-Q1", "qpr")
    assert set(report.kpis["marker"]) == {""} and report.extra.removed == ()
    html = kn.section_page_body(report, D1)
    assert ("No NEW or Removed markers: the 2023-24 KPI set is not loaded, so this year's "
            "KPIs cannot be compared with last year's.") in text_of(html)
    assert 'class="marker' not in html and "Removed since" not in html


# --------------------------------------------------------------------------- baseline column

@pytest.mark.parametrize("previous, current_row, q4, shown, source", [
    pytest.param([kpi_row("2023-24", "K1")], kpi_row("2024-25", "K1", baseline="50"),
                 "77", "77.0%", "the 2023-24 Q4 return",
                 id="last year's Q4 return wins over the catalogue"),
    pytest.param([kpi_row("2023-24", "K1")], kpi_row("2024-25", "K1", baseline="50"),
                 None, "50.0%", "the catalogue's baseline",
                 id="no Q4 return: the catalogue's baseline"),
    pytest.param([], kpi_row("2024-25", "K1", baseline="50"), None, "50.0%",
                 "the catalogue's baseline", id="first year: the catalogue's baseline"),
    pytest.param([kpi_row("2023-24", "OLD")],
                 kpi_row("2024-25", "K1", previous_ref="OLD", baseline="50"), "66", "66.0%",
                 "the 2023-24 Q4 return", id="renumbered: the previous ref's Q4 return"),
    pytest.param([kpi_row("2023-24", "P1"), kpi_row("2023-24", "P2")],
                 kpi_row("2024-25", "K1", previous_ref="P1;P2", baseline="50"), "66",
                 "50.0%", "the catalogue's baseline",
                 id="merged: no one actual, the catalogue's baseline"),
    pytest.param([kpi_row("2023-24", "K1")], kpi_row("2024-25", "K1"), None, "", "",
                 id="neither: no baseline"),
])
def test_baseline_column(tmp_path, previous, current_row, q4, shown, source):
    returns = [{"ref": "K1", "period": "2024-25-Q1", "value": "91"}]
    if q4 is not None:
        returns.append({"ref": previous[0]["ref"], "period": "2023-24-Q4", "value": q4})
        returns.append({"ref": previous[0]["ref"], "period": "2023-24-Q3", "value": "12"})
    cats = {"2023-24": previous, "2024-25": [current_row]} if previous else {
        "2024-25": [current_row]}
    report = kn.open_report(store_with(tmp_path, cats, returns), "2024-25-Q1", "qpr")
    k = report.kpis.set_index("ref").loc["K1"]
    assert (k["baseline_text"], k["baseline_source"]) == (shown, source)
    table = text_of(kn.section_page_body(report, D1))
    assert "2023-24 Q4 actual" in table
    if shown:
        assert f"Indicator K1 {shown} 91.0%" in table


@pytest.mark.parametrize("current, expected", [
    pytest.param([kpi_row("2024-25", "K1", previous_ref="S1", baseline="50"),
                  kpi_row("2024-25", "K2", previous_ref="S1")],
                 {"K1": ("50.0%", "the catalogue's baseline"), "K2": ("", "")},
                 id="split: neither part has the whole's actual"),
    pytest.param([kpi_row("2024-25", "S1", baseline="50"),
                  kpi_row("2024-25", "K2", previous_ref="S1")],
                 {"S1": ("50.0%", "the catalogue's baseline"),
                  "K2": ("66.0%", "the 2023-24 Q4 return")},
                 id="number given to another KPI: the renumbered one has the actual"),
    pytest.param([kpi_row("2024-25", "S1", previous_ref="S1"),
                  kpi_row("2024-25", "K2", previous_ref="S1")],
                 {"S1": ("", ""), "K2": ("", "")},
                 id="split keeping the number: no part has the whole's actual"),
])
def test_baseline_of_kpis_that_share_a_previous_kpi(tmp_path, current, expected):
    returns = [{"ref": "S1", "period": "2023-24-Q4", "value": "66"},
               *({"ref": k["ref"], "period": "2024-25-Q1", "value": "91"} for k in current)]
    report = kn.open_report(store_with(tmp_path, {"2023-24": [kpi_row("2023-24", "S1")],
                                                  "2024-25": current}, returns),
                            "2024-25-Q1", "qpr")
    kpis = report.kpis.set_index("ref")
    assert {r: (kpis.loc[r, "baseline_text"], kpis.loc[r, "baseline_source"])
            for r in expected} == expected


def test_baseline_of_a_monthly_kpi_is_its_q4_by_its_measure(tmp_path):
    previous = [kpi_row("2023-24", "K1", frequency="monthly", measure="sum", unit="count",
                        target="10", floor="5")]
    current = [kpi_row("2024-25", "K1", unit="count", target="30", floor="15")]
    returns = [{"ref": "K1", "period": p, "value": v}
               for p, v in (("2024-01", "4"), ("2024-02", "5"), ("2024-03", "6"),
                            ("2023-12", "100"), ("2024-25-Q1", "31"))]
    report = kn.open_report(store_with(tmp_path, {"2023-24": previous, "2024-25": current},
                                       returns), "2024-25-Q1", "qpr")
    assert report.kpis.set_index("ref").loc["K1", "baseline_text"] == "15"  # Jan-Mar summed


def test_qpr_is_quarterly_only(tmp_path, capsys):
    store = store_with(tmp_path, {"2024-25": [kpi_row("2024-25", "K1")]}, [])
    p = tmp_path / "p.yaml"
    p.write_text(f'period: "2024-06"\nreport: qpr\nstore: {store}\n', encoding="utf-8")
    assert main(["run", str(p), "--quiet"]) == 1
    assert ("key 'period': the qpr report is for a quarter, not a month (2024-06)"
            in capsys.readouterr().err)


# --------------------------------------------------------------------------- Kent's own store

def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_kent_demo_never_touches_the_demo_councils_store(tmp_path, monkeypatch, capsys,
                                                         test_store):
    monkeypatch.chdir(tmp_path)
    Path("data").mkdir()
    shutil.copyfile(test_store, "data/kpi.sqlite")
    before = sha(Path("data/kpi.sqlite"))
    nnc_2024 = Store.open("data/kpi.sqlite").catalogue()
    nnc_2024 = nnc_2024[nnc_2024["year"] == "2024-25"]

    assert main(["demo", "--council", "kent"]) == 0
    out, err = capsys.readouterr()
    assert err == "kpi: store councils/kent/data/kpi.sqlite\n"
    assert out.startswith("demo store built at councils/kent/data/kpi.sqlite: 10 files")
    assert sha(Path("data/kpi.sqlite")) == before
    kent = Store.open("councils/kent/data/kpi.sqlite").catalogue()
    assert set(kent["report"]) == {"qpr"} and sorted(set(kent["year"])) == ["2023-24",
                                                                            "2024-25"]
    # Kent's 2024-25 catalogue into the demo council's store: refused, nothing changed
    assert main(["demo", "--council", "kent", "--store", "data/kpi.sqlite"]) == 1
    assert "store data/kpi.sqlite already has data" in capsys.readouterr().err
    assert sha(Path("data/kpi.sqlite")) == before
    after = Store.open("data/kpi.sqlite").catalogue()
    pd.testing.assert_frame_equal(after[after["year"] == "2024-25"], nnc_2024)


@pytest.mark.slow
def test_kent_qpr_end_to_end(tmp_path, monkeypatch, capsys):
    """kpi demo --council kent, then Kent's Q2 parameter set, run from the checkout's root:
    the run folder (in Kent's home), results.csv's contract, the pages a reviewer sees,
    audit (from Kent's home), and a revision."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "councils" / "kent", "councils/kent")
    assert main(["demo", "--council", "kent"]) == 0
    capsys.readouterr()
    assert main(["run", "councils/kent/params/2024-25-Q2.yaml", "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert "kpi: store data/kpi.sqlite" in err
    assert out.startswith("qpr 2024-25-Q2: 6 pages, 27 KPIs"), out
    assert f"-> {tmp_path / 'councils/kent/outputs/2024-25-Q2/qpr/index.html'}" in out, out
    monkeypatch.chdir(tmp_path / "councils" / "kent")  # audits and loads from its home
    folder = Path("outputs/2024-25-Q2/qpr")
    res = pd.read_csv(folder / "results.csv", dtype=str, keep_default_na=False)
    assert tuple(res.columns) == RESULTS_COLUMNS
    q2 = res[res["column"] == "2024-25-Q2"].set_index("ref")
    assert {"Above range", "Within range", "Tracking"} <= set(q2["rag"])
    assert q2.loc["CS-AI2", "rag"] == "Tracking"  # the website visits have no range
    assert set(q2.loc[["CS01", "GL01", "ASCH01"], "rag"]) <= {"Green", "Amber", "Red"}

    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "Kent County Council (demo)" in index and "Quarterly Performance Report" in index
    children = text_of((folder / "integrated-children-s-services.html").read_text("utf-8"))
    assert "CLA02 Number of foster households NEW" in children
    assert "Removed since 2023-24 SCS03" in children
    assert "SCS01 Percentage of Case holding posts filled by permanent qualified social " \
           "workers 73.6%" in children  # 2023-24 Q4 actual, from last year's return
    gl_html = (folder / "governance-and-law.html").read_text("utf-8")
    gl = text_of(gl_html)
    assert "GL-AI2 Total number of FoI requests" in gl and "marker marker-new" not in gl_html  # split
    assert "Removed since" not in gl  # GL-AI1 was split, not removed
    cs = text_of((folder / "customer-services.html").read_text("utf-8"))
    assert "CS08 Percentage of complaints" in cs and "CS08 Percentage of complaints " \
        "responded to within timescale NEW" not in cs  # renumbered from CS07
    assert "Removed since" not in cs

    assert main(["audit", str(folder)]) == 0, capsys.readouterr()
    assert f"{folder}: identical" in capsys.readouterr().out
    revised = write_csv(Path("revised.csv"), RETURNS, [
        {"ref": "CS01", "period": "2024-25-Q1", "value": "12.5"}])
    assert main(["--store", "data/kpi.sqlite", "load", "returns", str(revised)]) == 0
    capsys.readouterr()
    assert main(["revisions", str(folder)]) == 0
    out, err = capsys.readouterr()
    assert "(the run's, from its manifest)" in err
    assert re.search(r"^CS01\s+2024-25-Q1\s+\S+\s+12\.5\s", out, re.M), out
