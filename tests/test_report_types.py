"""A new report type plugs in without touching kpilib: a toy type, declared in a module of
its own outside the package, runs end to end through ``kpi run`` and ``kpi audit``."""

from __future__ import annotations

import json
import os

import pytest

from kpilib import registry
from kpilib.cli import main
from tests.conftest import write_csv

pytestmark = pytest.mark.slow

TOY_MODULE = '''
"""A toy report type: one page per key commitment, a summary file of its own."""
from kpilib.registry import ReportType, register, results_csv


def summary(report):
    h = report.headline()
    return "".join(f"{r.ref} {r.rag or 'Not rated'}\\n" for r in h.itertuples())


TOY = register(ReportType(
    name="toy", title="Toy KPIs", periods=("month",), in_all=("month",),
    section_key="commitment", section_label="key commitment",
    outputs={"results.csv": results_csv, "toy-summary.txt": summary},
    description="a test report type",
))
'''
CATALOGUE = ["year", "ref", "name", "directorate", "commitment", "report", "frequency",
             "measure", "unit", "polarity", "target"]
KPIS = [
    ["2023-24", "TOY1", "Bins collected on time", "Place", "Clean streets", "toy", "monthly",
     "ratio", "percent", "higher", "95"],
    ["2023-24", "TOY2", "Fly-tipping incidents", "Place", "Clean streets", "toy", "monthly",
     "sum", "count", "lower", "40"],
    ["2023-24", "TOY3", "Library visits", "Communities", "Thriving places", "toy", "monthly",
     "sum", "count", "higher", ""],
]
RETURNS = ["ref", "period", "value", "numerator", "denominator"]


@pytest.fixture
def toy_project(tmp_path, monkeypatch):
    (tmp_path / "toy_kpis.py").write_text(TOY_MODULE, encoding="utf-8")
    write_csv(tmp_path / "toy-catalogue.csv", CATALOGUE, KPIS)
    rows = []
    for i, month in enumerate(["2023-04", "2023-05", "2023-06"]):
        rows += [["TOY1", month, "", 930 + 10 * i, 1000], ["TOY2", month, 45 - 4 * i, "", ""],
                 ["TOY3", month, 1200 + 50 * i, "", ""]]
    write_csv(tmp_path / "toy-returns.csv", RETURNS, rows)
    (tmp_path / "p.yaml").write_text('period: "2023-06"\nreport: toy\nstore: kpi.sqlite\n',
                                     encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(  # the kernels find the module too
        [str(tmp_path), *filter(None, [os.environ.get("PYTHONPATH")])]))
    monkeypatch.setenv(registry.ENV_VAR, "toy_kpis")
    monkeypatch.setattr(registry.TYPES, "_discovered", False)
    yield tmp_path
    registry.unregister("toy")


def test_a_toy_report_type_runs_and_audits_end_to_end(toy_project, capsys):
    assert "toy" in registry.names()
    assert main(["load", "catalogue", "toy-catalogue.csv", "--store", "kpi.sqlite"]) == 0
    assert main(["load", "returns", "toy-returns.csv", "--store", "kpi.sqlite"]) == 0
    assert main(["run", "p.yaml", "--quiet"]) == 0
    folder = toy_project / "outputs" / "2023-06" / "toy"
    files = sorted(p.name for p in folder.iterdir() if p.is_file())
    assert files == ["clean-streets.html", "index.html", "manifest.json", "results.csv",
                     "thriving-places.html", "toy-summary.txt"]
    assert (folder / "toy-summary.txt").read_text() == "TOY1 Green\nTOY2 Green\nTOY3 Tracking\n"
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "<h1>Toy KPIs: Jun 2023</h1>" in index
    assert "KPIs by RAG status and commitment" in index  # the type's own sections
    m = json.loads((folder / "manifest.json").read_text())
    assert m["parameters"]["report"] == "toy"
    assert "toy-summary.txt" in m["outputs"]
    capsys.readouterr()
    assert main(["audit", "outputs/2023-06/toy"]) == 0
    assert "identical" in capsys.readouterr().out
    # tampering with the type's own output is caught like any other file
    (folder / "toy-summary.txt").write_text("TOY1 Red\n")
    assert main(["audit", "outputs/2023-06/toy"]) == 1
    assert "tampered: toy-summary.txt" in capsys.readouterr().out


def test_catalogue_rows_for_an_unregistered_type_are_refused(tmp_path, capsys):
    write_csv(tmp_path / "c.csv", CATALOGUE, [KPIS[0]])
    assert main(["load", "catalogue", str(tmp_path / "c.csv"),
                 "--store", str(tmp_path / "s.sqlite")]) == 1
    assert "column 'report': 'toy': expected one of core, service, health" in \
        capsys.readouterr().err
