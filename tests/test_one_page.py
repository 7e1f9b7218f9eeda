"""A report type of one page (``single_page=True``): checked at registration, and run end to
end: one HTML page holding the summary and every KPI (RAG in words and symbols, travel,
charts, commentary sanitised), the manifest listing that page alone, ``kpi audit``
identical, and a public edition withholding small numbers from it."""

from __future__ import annotations

import json
import os
import re
import sys

import pytest

from kpilib import registry
from kpilib.cli import main
from kpilib.registry import RegistryError, ReportType
from tests.conftest import write_csv

ONE_PAGE_MODULE = '''
"""A one-page scorecard: every KPI on the overview page."""
from kpilib.registry import ReportType, register

SCORECARD = register(ReportType(
    name="scorecard", title="Scorecard", periods=("month",), single_page=True,
    description="a test one-page report type",
))
'''
CATALOGUE = ["year", "ref", "name", "directorate", "commitment", "report", "frequency",
             "measure", "unit", "polarity", "target"]
KPIS = [
    ["2023-24", "SC1", "Bins collected on time", "Place", "Clean streets", "scorecard",
     "monthly", "ratio", "percent", "higher", "95"],
    ["2023-24", "SC2", "Fly-tipping incidents", "Place", "Clean streets", "scorecard",
     "monthly", "sum", "count", "lower", "40"],
    ["2023-24", "SC3", "Children seen in time", "Children's Services", "Better futures",
     "scorecard", "monthly", "ratio", "percent", "higher", "90"],
]
RETURNS = ["ref", "period", "value", "numerator", "denominator", "commentary"]
SCRIPT = "<script>alert('x')</script>"


def test_every_contradiction_of_a_single_page_is_named_at_registration():
    rt = ReportType(name="onebad", title="Bad", periods=("month",), single_page=True,
                    extra_pages=(("summary", "Summary", "overview.ipynb"),),
                    section_notebook="my_section.ipynb", section_order=("Place",))
    with pytest.raises(RegistryError) as e:
        registry.register(rt)
    text = str(e.value)
    for said in ("contradicts extra_pages 'summary'",
                 "contradicts section_notebook 'my_section.ipynb'",
                 "contradicts section_order ('Place',)"):
        assert said in text
    assert "onebad" not in registry.names()


def test_a_single_page_needs_no_section_notebook(tmp_path):
    """Its section notebook is never run, so a folder without one is not a problem."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("\n".join(f"{p} = None" for p in registry.RUN_PARAMETERS))
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    nbformat.write(nb, tmp_path / "overview.ipynb")
    registry.check_report_type(ReportType(name="oneok", title="OK", periods=("month",),
                                          single_page=True, notebooks=str(tmp_path)))
    with pytest.raises(RegistryError, match="'section.ipynb' for each section: not in"):
        registry.check_report_type(ReportType(name="twopages", title="No", periods=("month",),
                                              notebooks=str(tmp_path)))


@pytest.fixture
def one_page_project(tmp_path, monkeypatch):
    (tmp_path / "scorecard_kpis.py").write_text(ONE_PAGE_MODULE, encoding="utf-8")
    write_csv(tmp_path / "catalogue.csv", CATALOGUE, KPIS)
    rows = []
    for i, month in enumerate(["2023-04", "2023-05", "2023-06"]):
        note = f"<b>Crews</b> back {SCRIPT}" if month == "2023-06" else ""
        rows += [["SC1", month, "", 930 + 10 * i, 1000, note],
                 ["SC2", month, 45 - 4 * i, "", "", ""],
                 ["SC3", month, "", 3 - i % 2, 4, ""]]
    write_csv(tmp_path / "returns.csv", RETURNS, rows)
    (tmp_path / "council.yaml").write_text("name: Testshire\nsuppression:\n  threshold: 5\n",
                                           encoding="utf-8")
    for edition in ("internal", "public"):
        (tmp_path / f"{edition}.yaml").write_text(
            f'period: "2023-06"\nreport: scorecard\nstore: kpi.sqlite\nedition: {edition}\n'
            "council: council.yaml\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(  # the kernels find the module too
        [str(tmp_path), *filter(None, [os.environ.get("PYTHONPATH")])]))
    monkeypatch.setenv(registry.ENV_VAR, "scorecard_kpis")
    monkeypatch.setattr(registry.TYPES, "_discovered", False)
    monkeypatch.delitem(sys.modules, "scorecard_kpis", raising=False)  # imported afresh: registers
    yield tmp_path
    registry.unregister("scorecard")


@pytest.mark.slow
def test_a_one_page_report_runs_publishes_and_audits(one_page_project, capsys):
    assert main(["load", "catalogue", "catalogue.csv", "--store", "kpi.sqlite"]) == 0
    assert main(["load", "returns", "returns.csv", "--store", "kpi.sqlite"]) == 0
    capsys.readouterr()
    assert main(["run", "internal.yaml", "--quiet"]) == 0
    assert "scorecard 2023-06: 1 page, 3 KPIs" in capsys.readouterr().out
    folder = one_page_project / "outputs" / "2023-06" / "scorecard"
    files = sorted(p.name for p in folder.iterdir() if p.is_file())
    assert files == ["index.html", "manifest.json", "results.csv", "spc.csv"]  # one page
    page = (folder / "index.html").read_text(encoding="utf-8")
    for ref in ("SC1", "SC2", "SC3"):  # every KPI, in full, on the one page
        assert f'<article class="kpi" id="kpi-{ref.lower()}">' in page
    assert "<h1>Scorecard: Jun 2023</h1>" in page
    assert "KPIs by RAG status and directorate" in page  # the summary counts
    assert 'id="toc-h"' in page and 'id="c-clean-streets"' in page  # contents, groups
    assert 'aria-labelledby="pages-h"' not in page  # no list of pages: there are none
    assert 'aria-label="Report pages"' not in page
    assert re.search(r'<span class="sym" aria-hidden="true">[^<]+</span> Green', page)
    assert "improved" in page or "worse" in page  # travel in words
    assert "<b>Crews</b> back" in page and "<script>alert" not in page  # sanitised
    assert "plotly" in page.lower()  # the charts
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "an id repeated on the one page"
    m = json.loads((folder / "manifest.json").read_text())
    assert [p["file"] for p in m["pages"]] == ["index.html"]
    assert [f for f in m["outputs"] if f.endswith(".html")] == ["index.html"]
    assert "notebooks/index.ipynb" in m["outputs"]  # its one executed notebook
    capsys.readouterr()
    assert main(["audit", "outputs/2023-06/scorecard"]) == 0
    assert "identical" in capsys.readouterr().out

    assert main(["run", "public.yaml", "--quiet"]) == 0  # small numbers withheld from it
    public = (one_page_project / "outputs" / "2023-06" / "scorecard-public" / "index.html")
    text = public.read_text(encoding="utf-8")
    assert "Public edition." in text
    results = (public.parent / "results.csv").read_text(encoding="utf-8")
    sc3 = [line for line in results.splitlines() if line.startswith("SC3,,2023-06,")]
    assert sc3 and ",<5," in sc3[0]  # its numerator, 2 of 4, is withheld
    capsys.readouterr()
    assert main(["audit", "outputs/2023-06/scorecard-public"]) == 0
    assert "identical" in capsys.readouterr().out
