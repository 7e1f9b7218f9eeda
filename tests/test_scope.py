"""What a report reads (kpilib/reports/scope.py): the loads its rows came from are those it
lists (sources_read), so a load it does not read changes nothing it shows."""

from __future__ import annotations

import pandas as pd
import pytest

from kpilib.reports.scope import reads_for, sources_read

CATALOGUE = pd.DataFrame({"year": ["2024-25", "2024-25", "2024-25"],
                          "ref": ["A1", "B1", "S1"], "report": ["core", "core", "service"],
                          "previous_ref": ["", "OLD1", ""]})


def load(name: str, kind: str = "returns") -> dict:
    return {"kind": kind, "source_file": name, "sha256": f"h-{name}", "loaded_at": f"t-{name}"}


def rows(*items) -> pd.DataFrame:
    return pd.DataFrame([{"ref": ref, "period": period, "source_file": name,
                          "source_sha256": f"h-{name}", "loaded_at": f"t-{name}"}
                         for ref, period, name in items])


@pytest.mark.parametrize("row, listed", [
    pytest.param(("A1", "2024-05", "r.csv"), True, id="its KPI, its month"),
    pytest.param(("A1", "2024-04", "r.csv"), True, id="its KPI, an earlier month"),
    pytest.param(("A1", "2024-06", "r.csv"), False, id="its KPI, a later month"),
    pytest.param(("A1", "2024-25-Q1", "r.csv"), True, id="its KPI, the quarter of its month"),
    pytest.param(("A1", "2024-25-Q2", "r.csv"), False, id="its KPI, a later quarter"),
    pytest.param(("A1", "2023-24-Q4", "r.csv"), True, id="its KPI, an earlier quarter"),
    pytest.param(("OLD1", "2024-01", "r.csv"), True, id="a ref its KPI names in previous_ref"),
    pytest.param(("S1", "2024-05", "r.csv"), False, id="another report type's KPI"),
])
def test_a_returns_load_is_listed_when_the_report_reads_one_of_its_rows(row, listed):
    sources = (load("cat.csv", "catalogue"), load("r.csv"), load("t.csv", "targets"))
    got = sources_read(sources, CATALOGUE, rows(row), reads_for("2024-05", "core"))
    assert got == ((load("cat.csv", "catalogue"),) + ((load("r.csv"),) if listed else ())
                   + (load("t.csv", "targets"),))


def test_a_load_whose_rows_were_all_revised_is_not_listed():
    """The rows read are the latest of each key: the revision's load, not the first one."""
    got = sources_read((load("first.csv"), load("rev.csv")), CATALOGUE,
                       rows(("A1", "2024-05", "rev.csv")), reads_for("2024-05", "core"))
    assert got == (load("rev.csv"),)


def test_rows_without_their_load_keep_every_source():
    """A frame of returns that does not say where its rows came from: nothing is left out."""
    sources = (load("r.csv"),)
    assert sources_read(sources, CATALOGUE, pd.DataFrame({"ref": []}),
                        reads_for("2024-05", "core")) == sources
