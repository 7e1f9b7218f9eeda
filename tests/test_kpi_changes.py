"""The KPI-set comparison (kpilib.reports.kpi_changes): one table of cases, each a pair of
small KPI sets and the changes.csv rows they must give."""

from __future__ import annotations

import pandas as pd
import pytest

from kpilib.errors import CatalogueError, PeriodError
from kpilib.ingest.contracts import CATALOGUE_COLUMNS
from kpilib.reports.kpi_changes import CHANGE_COLUMNS, compare

BASE = {"name": "KPI", "directorate": "Place", "department": "Housing",
        "commitment": "Safe and thriving places", "report": "core", "frequency": "monthly",
        "measure": "sum", "unit": "count", "polarity": "higher", "target": "10",
        "rag_scheme": "tolerance", "travel_scheme": "nnc"}


def catalogue(rows_2024: list[dict], rows_2025: list[dict]) -> pd.DataFrame:
    """A catalogue frame of both years, every contract column, as the store reads it."""
    out = []
    for year, rows in (("2024-25", rows_2024), ("2025-26", rows_2025)):
        for pos, r in enumerate(rows):
            row = {c: "" for c in CATALOGUE_COLUMNS}
            row.update(BASE if not r.get("breakdown") else {})
            row.update(r, year=year, position=pos)
            out.append(row)
    return pd.DataFrame(out)


def k(ref: str, **cols) -> dict:
    return {"ref": ref, "name": f"KPI {ref}", **cols}


def rows(changes) -> list[tuple]:
    return [tuple(r) for r in changes.table[["ref", "previous_ref", "change", "fields"]]
            .itertuples(index=False)]


CASES = [
    pytest.param([k("A1")], [k("A1")], [("A1", "A1", "unchanged", "")], id="unchanged"),
    pytest.param([k("A1")], [k("A1"), k("N1")], [("A1", "A1", "unchanged", ""),
                                                  ("N1", "", "new", "")], id="new"),
    pytest.param([k("A1"), k("R1")], [k("A1")], [("A1", "A1", "unchanged", ""),
                                                  ("", "R1", "removed", "")], id="removed"),
    pytest.param([k("A1")], [k("A1", name="Renamed")], [("A1", "A1", "changed", "name")],
                 id="renamed"),
    pytest.param([k("A1")], [k("A1", target="12")], [("A1", "A1", "changed", "target")],
                 id="retargeted"),
    pytest.param([k("A1")], [k("A1", department="Finance", target="review")],
                 [("A1", "A1", "changed", "department;target")],
                 id="moved department and retargeted: columns in catalogue order"),
    pytest.param([k("A1", breakdowns="P1;P2"), {"ref": "A1", "breakdown": "P1", "target": "9"}],
                 [k("A1", breakdowns="P1;P2"), {"ref": "A1", "breakdown": "P1", "target": "8"}],
                 [("A1", "A1", "changed", "target")], id="a breakdown's override retargeted"),
    pytest.param([k("B18b")], [k("B18", previous_ref="B18b", name="KPI B18b")],
                 [("B18", "B18b", "changed", "ref")], id="renumbered"),
    pytest.param([k("A1")], [k("A1a", previous_ref="A1"), k("A1b", previous_ref="A1")],
                 [("A1a", "A1", "changed", "ref;name"), ("A1b", "A1", "new", "")],
                 id="split: the first changed, the rest new"),
    pytest.param([k("A1")], [k("A1", previous_ref="A1"), k("A2", previous_ref="A1")],
                 [("A1", "A1", "changed", ""), ("A2", "A1", "new", "")],
                 id="split keeping the ref: changed even with no column differing"),
    pytest.param([k("M1"), k("M2")], [k("M1", previous_ref="M1;M2", name="Merged")],
                 [("M1", "M1;M2", "changed", "name")], id="merged: neither is removed"),
    pytest.param([k("A1"), k("A2")], [k("A2", previous_ref="A1", name="KPI A1"), k("A1")],
                 [("A2", "A1", "changed", "ref"), ("A1", "", "new", ""),
                  ("", "A2", "removed", "")],
                 id="a ref claimed by previous_ref, reused by another KPI: that one is new"),
    pytest.param([k("A1"), k("G1")], [k("A1")],
                 [("A1", "A1", "unchanged", ""), ("", "G1", "removed", "")],
                 id="removed rows come after the later year's, in earlier order"),
    pytest.param([k("A1", decimals="1", baseline="5", spc_rebase="2024-06")],
                 [k("A1", decimals="2", baseline="7")], [("A1", "A1", "unchanged", "")],
                 id="display and analysis columns are not compared"),
]


@pytest.mark.parametrize("before, after, expected", CASES)
def test_comparison(before, after, expected):
    assert rows(compare(catalogue(before, after), "2024-25", "2025-26")) == expected


def test_changes_csv_is_exactly_the_contract():
    ch = compare(catalogue([k("A1"), k("R1", report="health", commitment="Modern public "
                                                                       "services")],
                           [k("A1a", previous_ref="A1"), k("A1b", previous_ref="A1")]),
                 "2024-25", "2025-26")
    assert ch.csv().splitlines() == [
        ",".join(CHANGE_COLUMNS),
        "A1a,A1,changed,ref;name,core,Safe and thriving places",
        "A1b,A1,new,,core,Safe and thriving places",
        ",R1,removed,,health,Modern public services"]


def test_summary_counts_and_sentence():
    before = [k("A1"), k("A2", commitment="Active, fulfilled lives"), k("H1", report="health"),
              k("R1"), k("R2")]
    after = [k("A1", target="1"), k("A2", commitment="Active, fulfilled lives"),
             k("H1", report="health", previous_ref="H1"),
             k("H2", report="health", previous_ref="H1"),
             k("N1", report="service")]
    ch = compare(catalogue(before, after), "2024-25", "2025-26")
    assert ch.counts() == {"new": 2, "changed": 2, "removed": 2, "unchanged": 1}
    assert ch.sentence() == ("2 KPIs are new, 2 changed, 2 removed (1 of the new comes from "
                             "splitting a KPI); 1 unchanged. The 2025-26 set has the same "
                             "number of KPIs as 2024-25 (5 against 5).")
    s = ch.summary(("core", "service", "health"))
    assert s["reports"] == ["core", "service", "health"]
    table = {r["name"]: r["cells"] for r in s["rows"]}
    assert table["Safe and thriving places"] == [[3, 1, -2], [0, 1, 1], [1, 2, 1], [4, 4, 0]]
    assert table["Active, fulfilled lives"] == [[1, 1, 0], [0, 0, 0], [0, 0, 0], [1, 1, 0]]
    assert s["totals"] == [[4, 2, -2], [0, 1, 1], [1, 2, 1], [5, 5, 0]]


@pytest.mark.parametrize("n_new, expected", [
    pytest.param(1, "1 KPI is new, 0 changed, 0 removed; 1 unchanged. The 2025-26 set has "
                    "1 KPI more than 2024-25 (2 against 1).", id="one"),
    pytest.param(0, "0 KPIs are new, 0 changed, 0 removed; 1 unchanged. The 2025-26 set has "
                    "the same number of KPIs as 2024-25 (1 against 1).", id="none"),
])
def test_sentence_grammar(n_new, expected):
    after = [k("A1")] + [k(f"N{i}") for i in range(n_new)]
    assert compare(catalogue([k("A1")], after), "2024-25", "2025-26").sentence() == expected


@pytest.mark.parametrize("years, error, match", [
    pytest.param(("2024-25", "2026-27"), CatalogueError, "expected the financial year after",
                 id="not consecutive"),
    pytest.param(("2025-26", "2024-25"), CatalogueError, "expected the financial year after",
                 id="backwards"),
    pytest.param(("2023-24", "2024-25"), CatalogueError, "--from 2023-24: no KPI set for "
                 "2023-24 in the store", id="a year not loaded"),
    pytest.param(("2024-26", "2025-26"), PeriodError, "2024-26", id="not a financial year"),
])
def test_bad_years_are_clear_errors(years, error, match):
    with pytest.raises(error, match=match):
        compare(catalogue([k("A1")], [k("A1")]), *years)
