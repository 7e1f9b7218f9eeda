"""WCAG 2.2 AA on every page type, checked by axe-core (from npm) inside headless chromium.

Each page type a reviewer can open is rendered from the demo store and opened from disk;
axe-core is injected inline (no network) and run over the whole document with the WCAG
2.0, 2.1 and 2.2 level A and AA rules.  A violation fails the test with the rule, its
impact and the elements.  Skipped with a reason where chromium, playwright or axe-core is
absent, except on CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from browser import (
    DEMO_AS_OF,
    axe_violations,
    kent_store,
    launched_chromium,
    report_run,
    require_axe,
)
from test_peers_report import project, report  # noqa: F401 (project: a fixture)

from kpilib.cli import main
from kpilib.render.html import kpi_article

pytestmark = pytest.mark.browser

# page type -> (where it comes from, its file): ("run", period, report, edition) is a demo
# report run; "corporate" the demo county's corporate report; "qpr" Kent's 2024-25 Q2 QPR;
# "changes" the demo's 2024-25 -> 2025-26 KPI-set change report; "library" the publication
# library at the output root of the demo's February 2024 core run; "benchmarking" a fleet's
# benchmarking report composed from five copies of that run, their figures scaled.
CORE = ("run", "2024-02", "core", "internal")
PAGE_TYPES = {
    "core overview": (CORE, "index.html"),
    "core section (project notebook)": (CORE, "children-s-services.html"),
    "core section (standard notebook)": (CORE, "place-economy.html"),
    "core overview, public edition": (("run", "2024-02", "core", "public"), "index.html"),
    "core section, public edition": (("run", "2024-02", "core", "public"),
                                     "children-s-services.html"),
    "service overview": (("run", "2024-25-Q3", "service", "internal"), "index.html"),
    "health overview": (("run", "2024-25-Q3", "health", "internal"), "index.html"),
    "corporate overview": (("corporate",), "index.html"),
    "corporate section": (("corporate",), "customer-services.html"),
    "corporate summary": (("corporate",), "summary.html"),
    "corporate managing change": (("corporate",), "managing-change.html"),
    "corporate spotlight": (("corporate",), "spotlight.html"),
    "qpr overview": (("qpr",), "index.html"),
    "qpr directorate": (("qpr",), "integrated-children-s-services.html"),
    "KPI-set change report": (("changes",), "index.html"),
    "publication library": (("library",), "index.html"),
    "one-page report (a view of the core KPIs)": (("one-page",), "index.html"),
    "fleet benchmarking index": (("benchmarking",), "index.html"),
    "fleet benchmarking KPI page": (("benchmarking",), "kpi-bbf06.html"),
}
# a single-page report type that is also a view of the catalogue (every core KPI), registered
# from a module of the test's own, as a council's package would (the kernels import it too)
ONE_PAGE_MODULE = """from kpilib.registry import ReportType, register
register(ReportType(name="onepage", title="Core KPIs on one page", periods=("month",),
                    single_page=True, view={"report": ["core"]}))
"""
_FOLDERS: dict[tuple, Path] = {}


def page_folder(request, tmp_path_factory, test_store, source: tuple) -> Path:
    """The folder of a page type's page (its run made once per session)."""
    kind = source[0]
    if kind == "run":
        _, period, report, edition = source
        return report_run(tmp_path_factory, test_store, period, report,
                          edition=edition).folder
    if kind == "corporate":
        return request.getfixturevalue("corporate_run").folder
    if kind == "qpr":
        return report_run(tmp_path_factory, kent_store(tmp_path_factory), "2024-25-Q2",
                          "qpr").folder
    if kind == "one-page":
        if source not in _FOLDERS:
            _FOLDERS[source] = one_page_run(tmp_path_factory, test_store)
        return _FOLDERS[source]
    if kind == "library":
        return report_run(tmp_path_factory, test_store, "2024-02", "core").folder.parent.parent
    if kind == "benchmarking" and source not in _FOLDERS:
        _FOLDERS[source] = benchmarking_folder(
            tmp_path_factory, test_store,
            report_run(tmp_path_factory, test_store, "2024-02", "core").folder)
    if source not in _FOLDERS:
        out = tmp_path_factory.mktemp("a11y-changes")
        store = out / "kpi.sqlite"
        shutil.copyfile(test_store, store)  # the change report records its publication
        assert main(["changes", "--from", "2024-25", "--to", "2025-26", "--store", str(store),
                     "--as-of", DEMO_AS_OF, "--output-dir", str(out)]) == 0
        _FOLDERS[source] = out / "2024-25_2025-26" / "changes"
    return _FOLDERS[source]


def one_page_run(tmp_path_factory, test_store) -> Path:
    """The folder of the demo's February 2024 core KPIs as a one-page report."""
    from kpilib import registry
    from kpilib.run.runner import run
    from kpilib.settings.params import validate

    out = tmp_path_factory.mktemp("a11y-one-page")
    (out / "onepage_kpis.py").write_text(ONE_PAGE_MODULE, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(out))
        mp.setenv("PYTHONPATH", os.pathsep.join([str(out), *filter(None, [
            os.environ.get("PYTHONPATH")])]))
        mp.setenv(registry.ENV_VAR, "onepage_kpis")
        mp.setattr(registry.TYPES, "_discovered", False)
        mp.delitem(sys.modules, "onepage_kpis", raising=False)
        try:
            params = validate({"period": "2024-02", "report": "onepage",
                               "store": str(test_store), "as_of": DEMO_AS_OF,
                               "output_dir": str(out / "outputs")})
            return run(params, show_progress=False)[0].folder
        finally:
            registry.unregister("onepage")


def benchmarking_folder(tmp_path_factory, test_store, run: Path) -> Path:
    """A fleet's benchmarking report (kpilib.run.benchmarking.compose) of five councils:
    copies of the demo run with their values scaled, so that they rank apart."""
    import io

    import pandas as pd

    from kpilib.run.benchmarking import compose
    from kpilib.store import Store

    inputs = []
    for i in range(5):
        results = pd.read_csv(run / "results.csv", dtype=str, keep_default_na=False)
        results["value"] = [f"{float(v) * (0.9 + i / 20):.6f}" if v else v
                            for v in results["value"]]
        buf = io.StringIO()
        results.to_csv(buf, index=False)
        inputs.append((f"Council {i + 1}", {"results.csv": buf.getvalue().encode(),
                                            "spc.csv": (run / "spc.csv").read_bytes()}))
    with Store.open(test_store) as s:
        cat = s.catalogue(DEMO_AS_OF)
    kpis = cat[(cat["year"] == "2023-24") & (cat["breakdown"] == "")]
    defs = [{"ref": r["ref"], "name": r["name"], "unit": r["unit"], "polarity": r["polarity"],
             "measure": r["measure"]} for r in kpis.to_dict("records")]
    out = tmp_path_factory.mktemp("a11y-benchmarking")
    for name, data in compose(inputs, defs, "2024-02", "core", "Test fleet").items():
        (out / name).write_bytes(data)
    return out


@pytest.fixture(scope="module")
def browser():
    yield from launched_chromium()


def axe_page(browser, path) -> list[str]:
    axe = require_axe()
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  service_workers="block")
    try:
        page = context.new_page()
        page.goto(path.resolve().as_uri(), wait_until="load")
        return axe_violations(page, axe)
    finally:
        context.close()


@pytest.mark.parametrize("page_type", list(PAGE_TYPES))
def test_page_type_meets_wcag_22_aa(request, browser, tmp_path_factory, test_store, page_type):
    source, page = PAGE_TYPES[page_type]
    folder = page_folder(request, tmp_path_factory, test_store, source)
    path = folder / page
    assert path.is_file(), f"{page_type}: no {page} in {sorted(p.name for p in folder.iterdir())}"
    violations = axe_page(browser, path)
    assert not violations, f"{page_type} ({path.name}):\n" + "\n".join(violations)


def test_axe_finds_a_planted_violation(browser, tmp_path):
    """The check can fail: an image without alternative text and an unlabelled field."""
    page = tmp_path / "bad.html"
    page.write_text('<!doctype html><html lang="en"><head><title>t</title></head><body>'
                    '<main><img src="x.png"><input type="text"></main></body></html>')
    found = axe_page(browser, page)
    assert any(v.startswith("image-alt") for v in found), found
    assert any(v.startswith("label") for v in found), found


def test_the_peers_block_with_a_funnel_plot_meets_wcag_22_aa(browser, tmp_path, project):  # noqa: F811
    """The demo has no peer figures with counts yet: a KPI article with the peers section
    and its funnel plot (tests/test_peers_report.py's council and 15 peers), in a page of
    its own, with the funnel's table of figures opened."""
    article = kpi_article(report(project), "K4")
    assert "funnel-chart" in article
    page = tmp_path / "peers.html"
    page.write_text('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Peers'
                    '</title></head><body><main><h1>Peers</h1><h2>Place</h2>'
                    + article.replace("<details", "<details open")
                    + "</main></body></html>", encoding="utf-8")
    violations = axe_page(browser, page)
    assert not violations, "\n".join(violations)
