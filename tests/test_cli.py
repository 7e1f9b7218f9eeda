"""`kpi run` and `kpi results` through the command line: user mistakes are messages, not tracebacks."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from postgres import BACKENDS
from postgres import store_url as backend_url

from conftest import CATALOGUE_2024, RETURNS_2024_04, RETURNS_2024_Q1, read_csv_rows, write_csv
from kpilib import registry
from kpilib.cli import main
from kpilib.reports.model import build_report
from kpilib.store import Store

GOLDEN = Path(__file__).parent / "golden"
FINAL = "2025-06-30T00:00:00Z"


def test_results_command_prints_the_results_table(test_store, capsys):
    code = main(["results", "--period", "2024-02", "--report", "core", "--as-of", FINAL,
                 "--store", str(test_store)])
    out, err = capsys.readouterr()
    assert code == 0
    expected = (GOLDEN / "results-2024-02-core-final.csv").read_text()
    assert out == expected  # machine output stays clean ...
    assert err == f"kpi: store {test_store}\n"  # ... and the store in use is on stderr


def test_the_default_store_is_named_as_the_default(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["revisions"]) == 1  # no store here: an error, not a new empty store
    err = capsys.readouterr().err
    assert "kpi: store data/kpi.sqlite (the default; --store for another)" in err
    assert "no data store at 'data/kpi.sqlite'" in err
    assert not (tmp_path / "data").exists()


def test_results_command_writes_a_file(test_store, tmp_path, capsys):
    target = tmp_path / "r" / "results.csv"
    assert main(["--store", str(test_store), "results", "--period", "2024-25-Q4", "--report",
                 "health", "--as-of", FINAL, "--output", str(target)]) == 0
    assert "wrote" in capsys.readouterr().out
    expected = pd.read_csv(GOLDEN / "results-2024-25-Q4-health-final.csv", dtype=str,
                           keep_default_na=False)
    pd.testing.assert_frame_equal(pd.read_csv(target, dtype=str, keep_default_na=False), expected)


def test_bad_parameter_file_is_a_message_naming_the_key(tmp_path, capsys):
    p = tmp_path / "p.yaml"
    p.write_text('perod: "2024-02"\nreport: cor\nstore: x.sqlite\n')
    assert main(["run", str(p)]) == 1
    err = capsys.readouterr().err
    assert "unknown key 'perod' (did you mean 'period'?)" in err
    assert "'cor' is not a report type (did you mean 'core'?)" in err
    assert "Traceback" not in err
    assert not (tmp_path / "outputs").exists()


def test_a_period_with_no_data_exits_1(test_store, tmp_path, capsys):
    p = tmp_path / "p.yaml"
    p.write_text(f'period: "2024-25-Q4"\nreport: core\nstore: {test_store}\n'
                 f'as_of: "2024-01-01T00:00:00Z"\noutput_dir: {tmp_path / "o"}\n')
    assert main(["run", str(p), "--quiet"]) == 1
    assert ("no catalogue is loaded for 2024-25, the financial year of period 2024-25-Q4 "
            "(catalogues loaded: 2023-24; store") in capsys.readouterr().err


def test_kpi_is_installed_as_a_console_script():
    kpi = Path(sys.executable).parent / "kpi"
    proc = subprocess.run([str(kpi), "run", "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    for flag in ("--as-of", "--output-dir", "--self-contained", "--quiet"):
        assert flag in proc.stdout


@pytest.mark.slow
def test_all_for_a_quarter_skips_the_report_types_without_kpis(tmp_path, monkeypatch, capsys):
    """A store whose 2024-25 catalogue has no health KPIs: `report: all` for a quarter runs core
    and service, says on stderr that it skipped health and why, and exits 0."""
    monkeypatch.chdir(tmp_path)
    header, rows = read_csv_rows(CATALOGUE_2024)
    write_csv(tmp_path / "catalogue-2024-25.csv", header,
              [r for r in rows if r["report"] != "health"])
    header, rows = read_csv_rows(RETURNS_2024_Q1)
    write_csv(tmp_path / "returns-2024-25-Q1.csv", header, [r for r in rows if r["ref"] != "HR01"])
    assert main(["load", "catalogue", "catalogue-2024-25.csv"]) == 0
    assert main(["load", "returns", "returns-2024-25-Q1.csv", str(RETURNS_2024_04)]) == 0
    capsys.readouterr()
    (tmp_path / "q1.yaml").write_text('period: "2024-25-Q1"\nreport: all\nstore: data/kpi.sqlite\n')
    assert main(["run", "q1.yaml", "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert "kpi run: skipped health: no health KPIs in the 2024-25 catalogue\n" in err
    assert "skipped core" not in err and "skipped service" not in err
    lines = out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["core 2024-25-Q1", "service 2024-25-Q1"]
    assert all(line.endswith("/index.html") for line in lines)
    assert sorted(p.name for p in (tmp_path / "outputs" / "2024-25-Q1").iterdir()) == [
        "core", "service"]


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
def test_load_run_and_audit_on_each_store(backend, tmp_path, monkeypatch, capsys):
    """kpi load, run and audit behave alike on SQLite and PostgreSQL: the run publishes the
    results.csv a SQLite store of the same files gives, and audit proves it identical."""
    monkeypatch.chdir(tmp_path)
    url = backend
    assert main(["--store", url, "load", "catalogue", str(CATALOGUE_2024)]) == 0
    assert main(["--store", url, "load", "returns", str(RETURNS_2024_04)]) == 0
    (tmp_path / "p.yaml").write_text(f'period: "2024-04"\nreport: core\nstore: "{url}"\n'
                                     f'output_dir: {tmp_path / "out"}\n')
    assert main(["run", "p.yaml", "--quiet"]) == 0
    folder = tmp_path / "out" / "2024-04" / "core"
    as_of = json.loads((folder / "manifest.json").read_text())["as_of"]
    with Store.open(tmp_path / "reference.sqlite") as ref:
        ref.load_catalogue(CATALOGUE_2024)
        ref.load_returns(RETURNS_2024_04)
        snap = ref.snapshot()
    report = build_report(snap.catalogue, snap.returns, "2024-04", "core", as_of, snap.sources)
    assert (folder / "results.csv").read_text() == registry.get("core").outputs["results.csv"](
        report)
    capsys.readouterr()
    # the auditor names the store: a database URL is never opened on a manifest's word
    assert main(["audit", str(folder)]) == (1 if backend.startswith("postgresql") else 0)
    capsys.readouterr()
    assert main(["--store", url, "audit", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "identical" in out and "not identical" not in out, out
    with Store.open(url) as s:
        assert s.counts()["publications"] == 1 and s.counts()["loads"] == 2


@pytest.fixture
def backend(request, tmp_path):
    """The store URL of a test parametrised over SQLite and PostgreSQL."""
    return backend_url(request, tmp_path)
