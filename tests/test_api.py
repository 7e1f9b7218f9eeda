"""kpilib.api: load, run, results, report and audit as Python calls, as the commands do."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import kpilib.api as kpi
from kpilib.errors import KpiError, ParamsError, ValidationError
from kpilib.store import Store

DATA = Path(__file__).parent / "data"
AS_OF = "2025-06-30T00:00:00.000000Z"


def test_load_stores_each_file_and_says_so(tmp_path):
    store = tmp_path / "kpi.sqlite"
    loaded = kpi.load("catalogue", DATA / "catalogue-2024-25.csv", store=store)
    again = kpi.load("catalogue", DATA / "catalogue-2024-25.csv", store=store)
    assert [(r.kind, r.source_file, r.already_loaded) for r in loaded + again] == [
        ("catalogue", "catalogue-2024-25.csv", False), ("catalogue", "catalogue-2024-25.csv",
                                                         True)]
    returns = kpi.load("returns", DATA / "returns-2024-04.csv", store=store)
    assert returns[0].n_rows > 0


def test_a_bad_file_raises_every_problem_and_stores_nothing(tmp_path):
    store = tmp_path / "kpi.sqlite"
    kpi.load("catalogue", DATA / "catalogue-2024-25.csv", store=store)
    with Store.open(store) as st:
        before = st.last_load_id()
    with pytest.raises(ValidationError) as e:
        kpi.load("returns", DATA / "returns-broken.csv", store=store)
    assert "returns-broken.csv" in str(e.value) and len(e.value.problems) > 1
    with Store.open(store) as st:
        assert st.last_load_id() == before  # nothing of the file was stored


def test_an_unknown_kind_is_a_clear_error(tmp_path):
    with pytest.raises(KpiError, match="retruns"):
        kpi.load("retruns", DATA / "returns-2024-04.csv", store=tmp_path / "kpi.sqlite")


@pytest.mark.slow
def test_run_results_report_and_audit(tmp_path, test_store):
    published = kpi.run({"period": "2024-02", "report": "core", "store": str(test_store),
                         "as_of": AS_OF}, output_dir=str(tmp_path / "out"))
    assert len(published) == 1
    folder = published[0].folder
    table = kpi.results("2024-02", "core", store=test_store, as_of=AS_OF)
    on_disk = pd.read_csv(folder / "results.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(table, on_disk)
    rep = kpi.report("2024-02", "core", store=str(test_store), as_of=AS_OF)
    assert set(rep.kpis["ref"]) == set(table["ref"])
    verdicts = kpi.audit(folder, store=str(test_store))
    assert [v.identical for v in verdicts] == [True]
    assert "audit" in (folder / "additions.jsonl").read_text()  # recorded, as kpi audit does
    # the same inputs again: nothing published (as kpi run says "unchanged")
    again = kpi.run({"period": "2024-02", "report": "core", "store": str(test_store),
                     "as_of": AS_OF}, output_dir=str(tmp_path / "out"))
    assert [s.folder for s in again] in ([], [folder])


def test_bad_parameters_raise_as_the_command_reports_them(tmp_path):
    with pytest.raises(ParamsError, match="key 'period'"):
        kpi.run({"period": "2024-13", "report": "core", "store": str(tmp_path / "x.sqlite")})
