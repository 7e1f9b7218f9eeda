"""Nothing missing looks complete, and nothing in thousands reads as pounds: a synthetic
council (not the demo, so the goldens stay as they are) built to trigger both, end to end
through the documented commands (reporting-rules.md section 2, "A figure with a period
missing" and "Figures in thousands or millions"; 7.1 ``scale``; 7.3 ``parts``).

* FIN01 "Agency staff spend (£000)": a quarterly ``sum`` in thousands, Q2 ``missing``. Its
  YTD at Q3 is the total of Q1 and Q3 only: it must say "2 of 3 quarters", be rated
  ``Incomplete`` (as a complete total it would be Green against the full target), carry
  ``2 of 3`` in results.csv, and its chart must not join Q1 to Q3.
* FIN02 "Sundry debt over 90 days (£000)": a quarterly ``snapshot`` in thousands, every
  quarter there, Red at Q3: its figures (table, target, exception sentence, chart, workbook)
  read in full pounds.
* FIN03 "Invoices paid (count)": complete and unscaled, the control: no label, no parts.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from conftest import write_csv
from kpilib.cli import main

pytestmark = pytest.mark.slow

CATALOGUE = ["year", "ref", "name", "directorate", "commitment", "report", "frequency",
             "measure", "unit", "polarity", "target", "scale"]
FINANCE = "Finance and Resources"
KPIS = [  # ref, name, measure, unit, polarity, target, scale
    ("FIN01", "Agency staff spend (£000)", "sum", "currency", "lower", "1000", "thousands"),
    ("FIN02", "Sundry debt over 90 days old (£000)", "snapshot", "currency", "lower", "2500",
     "thousands"),
    ("FIN03", "Invoices paid", "sum", "count", "none", "", ""),
    ("FIN04", "Payments made online", "sum", "count", "higher", "1200 (100 per month)", ""),
]
RETURNS = [  # ref, period, value, status
    ("FIN01", "2024-25-Q1", "300", ""), ("FIN01", "2024-25-Q2", "", "missing"),
    ("FIN01", "2024-25-Q3", "350", ""),
    ("FIN02", "2024-25-Q1", "2400", ""), ("FIN02", "2024-25-Q2", "2550", ""),
    ("FIN02", "2024-25-Q3", "2900", ""),
    ("FIN03", "2024-25-Q1", "5100", ""), ("FIN03", "2024-25-Q2", "4800", ""),
    ("FIN03", "2024-25-Q3", "5000", ""),
    *(("FIN04", f"2024-{m:02d}", "100", "") for m in range(4, 11)),
    ("FIN04", "2024-11", "", "unavailable"), ("FIN04", "2024-12", "130", ""),
]


def _kpi(*argv: str) -> int:
    return main(list(argv))


def _plotly_data(page: str, ref: str) -> list[dict]:
    got = re.search(rf'Plotly\.newPlot\(\s*"chart-{ref.lower()}",\s*(\[.*?\]),\s*\{{', page,
                    re.S)
    assert got, f"no chart for {ref}"
    return json.loads(got.group(1))


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("council")
    cat = write_csv(root / "catalogue.csv", CATALOGUE, [
        {"year": "2024-25", "ref": r, "name": n, "directorate": FINANCE, "commitment": FINANCE,
         "report": "service", "frequency": "monthly" if r == "FIN04" else "quarterly",
         "measure": m, "unit": u,
         "polarity": p, "target": t, "scale": s} for r, n, m, u, p, t, s in KPIS])
    ret = write_csv(root / "returns.csv", ["ref", "period", "value", "status"], [
        {"ref": r, "period": p, "value": v, "status": s} for r, p, v, s in RETURNS])
    store = str(root / "kpi.sqlite")
    assert _kpi("load", "catalogue", str(cat), "--store", store) == 0
    assert _kpi("load", "returns", str(ret), "--store", store) == 0
    params = root / "q3.yaml"
    params.write_text(f'period: "2024-25-Q3"\nreport: service\nstore: {store}\n'
                      f"output_dir: {root / 'outputs'}\n", encoding="utf-8")
    assert _kpi("run", str(params), "--quiet") == 0
    folder = root / "outputs" / "2024-25-Q3" / "service"
    assert folder.is_dir()
    return folder


@pytest.fixture(scope="module")
def results(run) -> pd.DataFrame:
    df = pd.read_csv(run / "results.csv", dtype=str, keep_default_na=False)
    return df.set_index(["ref", "column"])


@pytest.fixture(scope="module")
def page(run) -> str:
    return (run / "finance-and-resources.html").read_text(encoding="utf-8")


def test_an_incomplete_total_is_labelled_and_not_rated(results, page):
    ytd = results.loc[("FIN01", "YTD")]
    # the figure itself stays exact and as returned (thousands)
    assert (ytd["value"], ytd["parts"]) == ("650", "2 of 3")
    # 650 against the full target 1000 (lower is better) would be Green: it is not rated
    assert ytd["rag"] == "Incomplete"
    assert results.loc[("FIN01", "2024-25-Q2"), "rag"] == "Data missing"
    assert results.loc[("FIN01", "2024-25-Q2"), "parts"] == ""
    assert "£650,000 (2 of 3 quarters)" in page
    assert "Data missing" in page


@pytest.mark.parametrize(("ref", "column"), [
    pytest.param("FIN02", "YTD", id="a snapshot with its latest quarter there"),
    pytest.param("FIN03", "YTD", id="a complete unscaled sum"),
    pytest.param("FIN01", "2024-25-Q3", id="a one-quarter column with its figure"),
])
def test_a_complete_figure_has_no_parts(results, ref, column):
    assert results.loc[(ref, column), "parts"] == ""
    assert results.loc[(ref, column), "rag"] != "Incomplete"


def test_an_incomplete_headline_is_neither_rated_nor_compared(results, page):
    # a monthly KPI's Q3 in a quarterly report: October and December, November unavailable;
    # 230 against the quarter's 300 would be Red, and "worse" than Q2's 300
    q3 = results.loc[("FIN04", "2024-25-Q3")]
    assert (q3["value"], q3["rag"], q3["parts"]) == ("230", "Incomplete", "2 of 3")
    assert (q3["travel"], q3["travel_label"]) == (
        "n/a", "Not compared: a period of this figure is missing")
    assert "230 (2 of 3 months)" in page


def test_the_chart_shows_the_missing_quarter_as_a_gap(page):
    data = _plotly_data(page, "FIN01")
    line = next(t for t in data if t["name"] == "FIN01")
    assert line["x"] == ["Q1 2024-25", "Q2 2024-25", "Q3 2024-25"]
    assert line["y"] == [300000.0, None, 350000.0], "Q1 is never joined to Q3"
    assert line["connectgaps"] is False
    assert line["customdata"] == ["£300,000", "", "£350,000"]
    alt = page[page.index("chart-fin01"):]
    assert "No figure for Q2 2024-25 (shown as a gap)." in alt[:20000]


def test_a_kpi_in_thousands_reads_in_full_everywhere_on_the_pages(results, page, run):
    assert results.loc[("FIN02", "2024-25-Q3"), "value"] == "2900"  # as returned
    assert results.loc[("FIN02", "2024-25-Q3"), "rag"] == "Red"
    assert "£2,900,000" in page and "£2,500,000" in page  # figure and target
    assert not re.search(r"£2,900(?!,000)", page), "never the returned figure as pounds"
    data = _plotly_data(page, "FIN02")
    line = next(t for t in data if t["name"] == "FIN02")
    assert line["y"][-1] == 2900000.0 and line["customdata"][-1] == "£2,900,000"
    overview = (run / "index.html").read_text(encoding="utf-8")  # the exception's sentence
    assert "£2,900,000 against a target of £2,500,000" in overview


def test_the_workbook_shows_full_figures_and_keeps_results_as_returned(run):
    assert _kpi("export", str(run), "--xlsx", "--who", "A Tester") == 0
    wb = openpyxl.load_workbook(run / "service-2024-25-Q3.xlsx")
    section = wb[FINANCE[:31]]
    rows = {r[0]: r for r in section.iter_rows(min_row=3, values_only=True) if r[0]}
    assert rows["FIN02"][5:9] == (2900000, 2400000, 2550000, 2900000)  # YTD, Q1, Q2, Q3
    assert rows["FIN01"][5] == 650000 and rows["FIN01"][7] is None
    raw = {(r[0], r[2]): r for r in wb["results.csv"].iter_rows(min_row=2, values_only=True)}
    assert raw[("FIN02", "2024-25-Q3")][3] == 2900 and raw[("FIN01", "YTD")][-1] == "2 of 3"
