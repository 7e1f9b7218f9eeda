"""A report type that is a view of the catalogue (``view={column: values}``): its KPIs are
chosen by a filter over the catalogue's columns, across the report types their rows name,
without repeating a row.  Each KPI keeps its own row and returns, so the view's figures
are its source report's; the filter is checked at registration; no catalogue row may name
a view; a change to a KPI the view shows runs it again, a change to one it does not show
leaves it unchanged; ``kpi audit`` finds it identical."""

from __future__ import annotations

import json
import os
import sys

import pandas as pd
import pytest

from kpilib import registry
from kpilib.cli import main
from kpilib.notebook import open_report
from kpilib.registry import RegistryError, ReportType
from tests.conftest import write_csv

VIEW_MODULE = '''
"""Children's Services' KPIs, whichever report their rows name."""
from kpilib.registry import ReportType, register

CHILDRENS = register(ReportType(
    name="childrens", title="Children's Services KPIs", periods=("quarter",),
    section_key="commitment", section_label="key commitment",
    view={"directorate": ["Children's Services"]},
    description="a test view of the catalogue",
))
'''
CATALOGUE = ["year", "ref", "name", "directorate", "commitment", "report", "frequency",
             "measure", "unit", "polarity", "target", "previous_ref"]
KPIS = [  # 2023-24: CS1 was numbered CS0; 2024-25 renumbered it (its history follows)
    ["2023-24", "CS0", "Assessments on time", "Children's Services", "Better futures", "core",
     "monthly", "ratio", "percent", "higher", "85", ""],
    ["2023-24", "CS2", "Care leavers in work", "Children's Services", "Better futures",
     "service", "quarterly", "snapshot", "percent", "higher", "60", ""],
    ["2023-24", "PL2", "Streetlights working", "Place", "Safe places", "service", "quarterly",
     "snapshot", "percent", "higher", "98", ""],
    ["2024-25", "CS1", "Assessments on time", "Children's Services", "Better futures", "core",
     "monthly", "ratio", "percent", "higher", "85", "CS0"],
    ["2024-25", "CS2", "Care leavers in work", "Children's Services", "Better futures",
     "service", "quarterly", "snapshot", "percent", "higher", "60", ""],
    ["2024-25", "PL1", "Potholes fixed in time", "Place", "Safe places", "core", "monthly",
     "ratio", "percent", "higher", "90", ""],
    ["2024-25", "PL2", "Streetlights working", "Place", "Safe places", "service", "quarterly",
     "snapshot", "percent", "higher", "98", ""],
]
RETURNS = ["ref", "period", "value", "numerator", "denominator", "commentary"]
MONTHS_BEFORE = ["2024-01", "2024-02", "2024-03"]
MONTHS = ["2024-04", "2024-05", "2024-06"]


def _returns():
    rows = [["CS0", m, "", 80 + i, 100, ""] for i, m in enumerate(MONTHS_BEFORE)]
    rows += [["CS1", m, "", 84 + i, 100, "<p>On track</p>" if i == 2 else ""]
             for i, m in enumerate(MONTHS)]
    rows += [["PL1", m, "", 88 + i, 100, ""] for i, m in enumerate(MONTHS)]
    rows += [["CS2", "2023-24-Q4", 55, "", "", ""], ["CS2", "2024-25-Q1", 58, "", "", "Up"],
             ["PL2", "2023-24-Q4", 97, "", "", ""], ["PL2", "2024-25-Q1", 99, "", "", ""]]
    return rows


# ---------------------------------------------------------------- registration


def test_every_problem_of_a_view_is_named_at_registration():
    rt = ReportType(name="badview", title="Bad", periods=("quarter",),
                    view={"directorat": ["X"], "theme": "Financial", "commitment": [],
                          "report": ["core", "badview"]},
                    frequencies=("monthly",), required=("theme",), previous_set=True)
    with pytest.raises(RegistryError) as e:
        registry.register(rt)
    text = str(e.value)
    for said in ("view column 'directorat' is not a catalogue column a view can filter by "
                 "(did you mean 'directorate'?)",
                 "view column 'theme': 'Financial'; expected a list of one or more values",
                 "view column 'commitment': (); expected a list",
                 "view column 'report' names the view 'badview' itself",
                 "cannot have frequencies", "cannot have required", "cannot have previous_set"):
        assert said in text
    assert "badview" not in registry.names()


def test_view_columns_are_catalogue_columns():
    from kpilib.ingest.contracts import CATALOGUE_COLUMNS

    assert set(registry.VIEW_COLUMNS) <= set(CATALOGUE_COLUMNS)


@pytest.mark.parametrize("view, row, included", [
    pytest.param({}, {"report": "toyv"}, True, id="a slice: its report column"),
    pytest.param({}, {"report": "core"}, False, id="a slice: another type's row"),
    pytest.param({"directorate": ["Place"]}, {"report": "core", "directorate": "Place"}, True,
                 id="a view: its filter"),
    pytest.param({"directorate": ["Place"], "report": ["service"]},
                 {"report": "core", "directorate": "Place"}, False,
                 id="a view: every column must match"),
    pytest.param({"ref": ["A1", "B2"]}, {"ref": "B2", "report": "core"}, True,
                 id="a view: a list of refs"),
    pytest.param({"directorate": ["Place"]}, {"report": "toyv", "directorate": "Other"}, False,
                 id="a view: its name in the report column does not count"),
])
def test_which_rows_a_type_includes(view, row, included):
    rt = ReportType(name="toyv", title="T", periods=("month",), view=view)
    assert rt.includes(row) is included
    frame = pd.DataFrame([{"breakdown": "", "ref": "", "report": "", "directorate": "", **row}])
    assert bool(rt.members(frame).iloc[0]) is included


# ---------------------------------------------------------------- a project with a view


@pytest.fixture
def view_project(tmp_path, monkeypatch):
    (tmp_path / "childrens_view.py").write_text(VIEW_MODULE, encoding="utf-8")
    write_csv(tmp_path / "catalogue.csv", CATALOGUE, KPIS)
    write_csv(tmp_path / "returns.csv", RETURNS, _returns())
    for name in ("childrens", "core", "service"):
        (tmp_path / f"{name}.yaml").write_text(
            f'period: "2024-25-Q1"\nreport: {name}\nstore: kpi.sqlite\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(  # the kernels find the module too
        [str(tmp_path), *filter(None, [os.environ.get("PYTHONPATH")])]))
    monkeypatch.setenv(registry.ENV_VAR, "childrens_view")
    monkeypatch.setattr(registry.TYPES, "_discovered", False)
    monkeypatch.delitem(sys.modules, "childrens_view", raising=False)  # imported afresh: registers
    assert main(["load", "catalogue", "catalogue.csv", "--store", "kpi.sqlite"]) == 0
    assert main(["load", "returns", "returns.csv", "--store", "kpi.sqlite"]) == 0
    yield tmp_path
    registry.unregister("childrens")


def _results(report: str) -> pd.DataFrame:
    return open_report("kpi.sqlite", "2024-25-Q1", report).results


def test_a_view_shows_its_source_reports_figures(view_project):
    view = _results("childrens")
    assert sorted(set(view["ref"])) == ["CS1", "CS2"]  # one core, one service KPI; no Place
    for source, ref in (("core", "CS1"), ("service", "CS2")):
        mine = view[view["ref"] == ref].reset_index(drop=True)
        theirs = _results(source)
        theirs = theirs[theirs["ref"] == ref].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, theirs)  # value, target, RAG, travel: the same
    rep = open_report("kpi.sqlite", "2024-25-Q1", "childrens")
    assert rep.sections() == ["Better futures"]
    cs1 = rep.kpis.set_index("ref").loc["CS1"]
    assert cs1["travel"] == open_report("kpi.sqlite", "2024-25-Q1", "core").kpis.set_index(
        "ref").loc["CS1", "travel"]  # travel against its renumbered history (CS0)


def test_no_catalogue_row_may_name_a_view(view_project, capsys):
    bad = [[*KPIS[3][:5], "childrens", *KPIS[3][6:]]]
    write_csv(view_project / "bad.csv", CATALOGUE, bad)
    assert main(["load", "catalogue", "bad.csv", "--store", "other.sqlite"]) == 1
    err = capsys.readouterr().err
    assert "column 'report': 'childrens': expected one of core, service, health" in err


@pytest.mark.slow
def test_a_view_runs_audits_and_reruns_when_its_kpis_change(view_project, capsys):
    assert main(["run", "childrens.yaml", "--quiet"]) == 0
    folder = view_project / "outputs" / "2024-25-Q1" / "childrens"
    files = sorted(p.name for p in folder.iterdir() if p.is_file())
    assert files == ["better-futures.html", "index.html", "manifest.json", "results.csv",
                     "spc.csv"]
    m = json.loads((folder / "manifest.json").read_text())
    assert m["data"]["view"] == {"directorate": ["Children's Services"]}
    page = (folder / "better-futures.html").read_text(encoding="utf-8")
    assert 'id="kpi-cs1"' in page and 'id="kpi-cs2"' in page and 'id="kpi-pl1"' not in page
    capsys.readouterr()
    assert main(["audit", "outputs/2024-25-Q1/childrens"]) == 0
    assert "identical" in capsys.readouterr().out

    # a KPI the view does not show changes: the view is unchanged, verified
    write_csv(view_project / "place.csv", RETURNS, [["PL1", "2024-06", "", 95, 100, "Better"]])
    assert main(["load", "returns", "place.csv", "--store", "kpi.sqlite"]) == 0
    capsys.readouterr()
    assert main(["run", "childrens.yaml"]) == 0
    assert "unchanged, verified" in capsys.readouterr().out

    # a KPI it shows changes (loaded as the core report's return): the view runs again
    write_csv(view_project / "cs.csv", RETURNS, [["CS1", "2024-06", "", 70, 100, "Fell"]])
    assert main(["load", "returns", "cs.csv", "--store", "kpi.sqlite"]) == 0
    capsys.readouterr()
    assert main(["run", "childrens.yaml"]) == 0
    out = capsys.readouterr().out
    assert "unchanged" not in out
    results = (folder / "results.csv").read_text(encoding="utf-8")
    assert "CS1,,2024-25-Q1,79.666667," in results  # (84 + 85 + 70) / 300, was 85


def test_a_view_selecting_nothing_says_its_filter(view_project, capsys):
    registry.register(ReportType(name="nobody", title="Nobody", periods=("quarter",),
                                 view={"directorate": ["Nowhere"]}))
    try:
        (view_project / "nobody.yaml").write_text(
            'period: "2024-25-Q1"\nreport: nobody\nstore: kpi.sqlite\n', encoding="utf-8")
        assert main(["run", "nobody.yaml", "--quiet"]) == 1
        err = capsys.readouterr().err
        assert "no KPIs of the 2024-25 catalogue are in the nobody view (its filter: " \
               "directorate in 'Nowhere'" in err
        assert "Traceback" not in err
    finally:
        registry.unregister("nobody")
