"""`kpi run`: the folder it publishes, atomic replacement, and failures that lose nothing."""

import json

import nbformat
import pandas as pd
import pytest

from kpilib.errors import RunError
from kpilib.notebook import open_report
from kpilib.publish.manifest import output_hashes
from kpilib.run import runner
from kpilib.run.locate import PACKAGE_NOTEBOOKS
from kpilib.settings.params import validate

AS_OF = "2025-06-30T00:00:00.000000Z"
PAGES = ["index.html", "adults-health-partnerships-housing.html", "children-s-services.html",
         "finance-performance.html", "place-economy.html"]


def params(store, out, **kw):
    return validate({"period": "2024-02", "report": "core", "store": str(store), "as_of": AS_OF,
                     "output_dir": str(out), **kw})


def test_run_folder_layout(core_run):
    f = core_run.folder
    assert f.name == "core" and f.parent.name == "2024-02"
    for page in PAGES:
        assert (f / page).is_file(), page
    assert (f / "assets" / "plotly.min.js").is_file()
    assert (f / "results.csv").is_file() and (f / "manifest.json").is_file()
    assert sorted(p.name for p in (f / "notebooks").iterdir()) == sorted(
        p.replace(".html", ".ipynb") for p in PAGES)
    # nothing half-written or left over beside the published folder
    assert sorted(p.name for p in f.parent.iterdir()) == ["core"]


def test_results_csv_is_the_report_results(core_run, test_store):
    got = pd.read_csv(core_run.folder / "results.csv", dtype=str, keep_default_na=False)
    expected = open_report(str(test_store), "2024-02", "core", AS_OF).results
    pd.testing.assert_frame_equal(got, expected)


def test_pages_are_under_300_kb(core_run):
    for page in PAGES:
        assert (core_run.folder / page).stat().st_size <= 300_000, page


def test_executed_notebooks_carry_no_run_noise(core_run):
    nb = nbformat.read(core_run.folder / "notebooks" / "place-economy.ipynb", as_version=4)
    assert "papermill" not in nb.metadata
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and injected[0].id == "injected-parameters"
    assert 'section = "Place & Economy"' in injected[0].source
    for c in nb.cells:
        assert "execution" not in c.metadata and "papermill" not in c.metadata


def test_summary_points_at_the_index(core_run):
    assert core_run.index.is_file()
    assert core_run.pages == len(PAGES) and core_run.kpis > 30


def _broken_notebooks(project):
    """A council's home whose own Place & Economy notebook fails in an analyst's extra cell."""
    nbdir = project / "notebooks" / "core"
    nbdir.mkdir(parents=True)
    (project / "council.yaml").write_text("", encoding="utf-8")  # the council's home
    nb = nbformat.read(PACKAGE_NOTEBOOKS / "section.ipynb", as_version=4)
    cell = nbformat.v4.new_code_cell(
        'if section == "Place & Economy":\n    raise ValueError("boom in the chart cell")')
    cell.id = "deliberately-broken"
    nb.cells.append(cell)
    nbformat.write(nb, nbdir / "place-economy.ipynb")
    return nbdir


def test_a_failed_run_leaves_the_published_folder_intact(tmp_path, test_store, monkeypatch):
    out = tmp_path / "out"
    first = runner.run(params(test_store, out), show_progress=False)[0]
    before = output_hashes(first.folder)
    manifest_before = (first.folder / "manifest.json").read_bytes()
    project = tmp_path / "project"
    _broken_notebooks(project)
    monkeypatch.chdir(project)
    with pytest.raises(RunError) as e:
        runner.run(params(test_store, out), show_progress=False)
    msg = str(e.value)
    assert "project:notebooks/core/place-economy.ipynb for Place & Economy" in msg
    assert "cell 'deliberately-broken' (code cell 7 of the executed notebook): ValueError: boom in the chart cell" in msg
    assert output_hashes(first.folder) == before
    assert (first.folder / "manifest.json").read_bytes() == manifest_before
    failed = out / "2024-02" / "core.failed"
    nb = json.loads((failed / "notebooks" / "place-economy.ipynb").read_text())
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert errors and errors[0]["evalue"] == "boom in the chart cell"
    # no staging folders left behind
    assert sorted(p.name for p in (out / "2024-02").iterdir()) == ["core", "core.failed"]


@pytest.mark.slow
@pytest.mark.parametrize("fork", ["1", "0"], ids=["forked kernels", "kernels from scratch"])
def test_a_kernel_killed_mid_run_fails_the_run_within_seconds(tmp_path, test_store,
                                                              monkeypatch, fork):
    """A notebook whose kernel dies (out of memory, kill -9) hung `kpi run` for ever: nbclient
    waited on the dead kernel's IOPub with no timeout, in the loop its own check runs in."""
    import time

    nbdir = tmp_path / "project" / "notebooks" / "core"
    nbdir.mkdir(parents=True)
    (tmp_path / "project" / "council.yaml").write_text("", encoding="utf-8")  # its home
    nb = nbformat.read(PACKAGE_NOTEBOOKS / "section.ipynb", as_version=4)
    cell = nbformat.v4.new_code_cell(
        'import os\nif section == "Place & Economy":\n    os.kill(os.getpid(), 9)')
    cell.id = "kills-its-kernel"
    nb.cells.append(cell)
    nbformat.write(nb, nbdir / "place-economy.ipynb")
    monkeypatch.chdir(tmp_path / "project")
    monkeypatch.setenv("KPI_FORK_KERNELS", fork)
    out = tmp_path / "out"
    start = time.monotonic()
    with pytest.raises(RunError) as e:
        runner.run(params(test_store, out), show_progress=False)
    assert time.monotonic() - start < 120  # a full run is ~10 s; before, it never ended
    assert ("project:notebooks/core/place-economy.ipynb for Place & Economy: the notebook's "
            "kernel died while a cell was running (killed by signal SIGKILL") in str(e.value)
    assert sorted(p.name for p in (out / "2024-02").iterdir()) == ["core.failed"]


def test_a_period_with_no_data_is_an_error(tmp_path, test_store):
    p = validate({"period": "2026-04", "report": "core", "store": str(test_store),
                  "output_dir": str(tmp_path)})
    with pytest.raises(RunError, match="no catalogue is loaded for 2026-27, the financial year of "
                       r"period 2026-04 \(catalogues loaded: 2023-24, 2024-25, 2025-26; store "):
        runner.run(p, show_progress=False)
    assert not any(tmp_path.iterdir())


def test_a_missing_store_is_an_error(tmp_path):
    p = validate({"period": "2024-02", "report": "core", "store": str(tmp_path / "none.sqlite"),
                  "output_dir": str(tmp_path)})
    with pytest.raises(Exception, match="no data store"):
        runner.run(p, show_progress=False)


def test_a_load_committing_during_a_run_reaches_neither_its_pages_nor_its_csv(
        tmp_path, test_store, monkeypatch):
    """The race of issue 12: a load stamped before the run's as_of commits after the run took
    its snapshot and before the notebooks read. Every output shows the snapshot, and audit
    re-executes it identically although the store now holds the load."""
    import shutil
    import threading

    from kpilib.audit.audit import audit_run
    from kpilib.audit.revisions import published_revisions
    from kpilib.store import Store

    store = shutil.copy(test_store, tmp_path / "kpi.sqlite")
    revision = tmp_path / "returns-2024-02-late.csv"
    revision.write_text("ref,period,breakdown,value\nAFL13,2024-02,,9173\n")
    stamped, go, loader = threading.Event(), threading.Event(), Store.open(store)
    loader.before_commit = lambda kind, stamp: (stamped.set(), go.wait(120))
    load = threading.Thread(target=loader.load_returns, args=(revision,), daemon=True)
    load.start()
    assert stamped.wait(120)
    snapshot = runner.report_snapshot

    def snapshot_then_commit(*args):
        snap = snapshot(*args)
        go.set()  # the load commits now: after the run's snapshot, before any notebook reads
        load.join(120)
        return snap

    monkeypatch.setattr(runner, "report_snapshot", snapshot_then_commit)
    # the kernels read the store themselves (not the report the run shares): their bound
    monkeypatch.setattr(runner.shared, "share", lambda *args: "")
    p = validate({"period": "2024-02", "report": "core", "store": str(store),
                  "output_dir": str(tmp_path / "out")})  # as_of: the run's start
    summary = runner.run(p, show_progress=False)[0]
    monkeypatch.undo()
    assert Store.open(store).returns(periods="2024-02").query("ref == 'AFL13'")["value"].item() \
        == 9173  # the load did commit, with a stamp before the run's as_of
    assert loader.last_loaded_at() < summary.as_of
    results = pd.read_csv(summary.folder / "results.csv", keep_default_na=False)
    assert results.query("ref == 'AFL13' and column == '2024-02'")["value"].item() == "27"
    for page in summary.folder.glob("*.html"):
        assert "9,173" not in page.read_text(), f"{page.name} shows the late load"
    verdict = audit_run(summary.folder, store=str(store))  # the auditor names the store
    assert verdict.identical, verdict.lines()
    revised = published_revisions(summary.folder)  # the late load is a revision of the run
    assert revised.query("ref == 'AFL13' and period == '2024-02'")[
        ["published_value", "current_value"]].values.tolist() == [[27, 9173]]


@pytest.mark.parametrize("edit", [
    pytest.param(lambda nb: nb.cells[0].source.replace("loads_through = None", "x = None"),
                 id="not a parameter"),
    pytest.param(lambda nb: nb.cells[2].source.replace(", loads_through,", ", None,"),
                 id="a parameter not passed on"),
])
def test_a_notebook_that_ignores_the_run_bound_is_refused(tmp_path, test_store, monkeypatch,
                                                          edit):
    nbdir = tmp_path / "project" / "notebooks" / "core"
    nbdir.mkdir(parents=True)
    (tmp_path / "project" / "council.yaml").write_text("", encoding="utf-8")  # its home
    nb = nbformat.read(PACKAGE_NOTEBOOKS / "section.ipynb", as_version=4)
    cell = 0 if "x = None" in edit(nb) else 2
    nb.cells[cell].source = edit(nb)
    nbformat.write(nb, nbdir / "place-economy.ipynb")
    monkeypatch.chdir(tmp_path / "project")
    out = tmp_path / "out"
    with pytest.raises(RunError, match=r"notebook project:notebooks/core/place-economy.ipynb "
                                       r"does not take the run's 'loads_through' parameter"):
        runner.run(params(test_store, out), show_progress=False)
    assert not out.exists()


def _catalogue(*rows: tuple[str, str]) -> pd.DataFrame:
    """2024-25 KPI rows (ref, report)."""
    return pd.DataFrame([{"year": "2024-25", "ref": r, "report": t, "breakdown": ""}
                         for r, t in rows], columns=["year", "ref", "report", "breakdown"])


@pytest.mark.parametrize("report, period, rows, message", [
    pytest.param("all", "2024-25-Q1", [("T1", "toy")],
                 "report: all for 2024-25-Q1: none of core, service, health has KPIs in the "
                 "2024-25 catalogue (its KPIs are for toy; store s.sqlite, as of NOW): name a "
                 "report type in key 'report'", id="all: no type of all has KPIs that year"),
    pytest.param("all", "2025-26-Q1", [("S1", "service")],
                 "no catalogue is loaded for 2025-26, the financial year of period 2025-26-Q1 "
                 "(catalogues loaded: 2024-25; store s.sqlite, as of NOW): load the 2025-26 "
                 "catalogue with `kpi load catalogue`, or check key 'period'",
                 id="all: no catalogue for the year blames the catalogue, then the period"),
    pytest.param("health", "2024-25-Q1", [("S1", "service"), ("C1", "core")],
                 "no health KPIs in the 2024-25 catalogue (its KPIs are for core, service; store "
                 "s.sqlite, as of NOW): check key 'report', or give KPIs report = health in the "
                 "catalogue", id="a named type with no KPIs that year blames the report key"),
])
def test_a_run_with_nothing_to_run_says_what_is_missing(report, period, rows, message):
    p = validate({"period": period, "report": report, "store": "s.sqlite"})
    with pytest.raises(RunError) as e:
        runner.choose_reports(p, _catalogue(*rows), "NOW")
    assert str(e.value) == message
    assert "key 'period': no" not in str(e.value)


def test_all_skips_only_the_types_without_kpis():
    p = validate({"period": "2024-25-Q2", "report": "all", "store": "s.sqlite"})
    runs, skipped = runner.choose_reports(p, _catalogue(("S1", "service"), ("H1", "health")), "x")
    assert runs == ["service", "health"]
    assert [str(s) for s in skipped] == ["skipped core: no core KPIs in the 2024-25 catalogue"]


STALE_RUNNER = """
import asyncio, sys
from jupyter_core.utils import run_sync
from kpilib.settings.params import validate
from kpilib.run.runner import run

async def nothing():
    return None

async def inside_a_running_loop():
    run_sync(nothing)()  # jupyter_core starts a task runner (a thread) for this thread

asyncio.run(inside_a_running_loop())
params = validate({"period": "2024-02", "report": "core", "store": sys.argv[1],
                   "as_of": sys.argv[2], "output_dir": sys.argv[3]})
print(run(params, show_progress=False)[0].pages)
"""


@pytest.mark.slow
def test_a_run_from_a_process_that_used_jupyter_task_runners_finishes(tmp_path, test_store):
    """A process that once ran jupyter_core's run_sync inside an event loop (a notebook, a
    test executing one in-process) forked workers that waited for ever on the task runner's
    thread, which does not survive a fork."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", STALE_RUNNER, str(test_store), AS_OF,
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-1] == str(len(PAGES))
