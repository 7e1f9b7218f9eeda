"""kpi fleet (kpilib.run.fleet, kpilib.cli.fleet): the fleet file checked whole; a fleet's
runs on a local Dask cluster give the very outputs `kpi run` gives for each on its own; a
failed run is named while the others publish; `--audit` audits every run folder."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from publications import without_wall_clock

from conftest import CATALOGUE_2024, RETURNS_HEADER, read_csv_rows, write_csv
from kpilib.cli import main
from kpilib.errors import ParamsError
from kpilib.run import fleet as fl
from kpilib.run.fleet import read_fleet
from kpilib.store import Store

AS_OF = "2025-06-30T00:00:00Z"
COUNCILS = {"alpha": 9.1, "beta": 8.2, "gamma": 10.4}  # FIN01's April figure (numerator)
PERIODS = ["2024-04", "2024-05"]


def small_store(folder: Path, name: str, april: float) -> str:
    """A council store of one core KPI (FIN01, Finance): two pages per run, fast."""
    header, rows = read_csv_rows(CATALOGUE_2024)
    cat = write_csv(folder / f"{name}-catalogue.csv", header,
                    [r for r in rows if r["ref"] == "FIN01"])
    ret = write_csv(folder / f"{name}-returns.csv", RETURNS_HEADER,
                    [["FIN01", "2024-04", "", "", april, 100],
                     ["FIN01", "2024-05", "", "", april * 2, 100]])
    path = f"stores/{name}.sqlite"
    with Store.open(folder / path) as s:
        s.load_catalogue(cat, loaded_at="2024-04-01T09:00:00Z")
        s.load_returns(ret, loaded_at="2024-06-10T09:00:00Z")
    return path


def write_fleet(folder: Path, text: str) -> Path:
    (folder / "fleet.yaml").write_text(text)
    return folder / "fleet.yaml"


@pytest.fixture(scope="module")
def fleet_project(tmp_path_factory):
    """Three council stores, one with a settings file of its own; each run once with
    `kpi run` (kept in solo/) and then all as one fleet on 2 local workers (outputs/)."""
    root = tmp_path_factory.mktemp("fleet")
    (root / "beta.yaml").write_text("name: Beta Borough Council\nprimary_colour: \"#1d4f91\"\n")
    lines = [f'as_of: "{AS_OF}"', "periods: [" + ", ".join(f'"{p}"' for p in PERIODS) + "]",
             "reports: [core]", "councils:"]
    for name, april in COUNCILS.items():
        lines += [f"  - name: {name}", f"    store: {small_store(root, name, april)}",
                  f"    output_dir: outputs/{name}"]
        if name == "beta":
            lines.append("    council: beta.yaml")
    write_fleet(root, "\n".join(lines) + "\n")
    here = os.getcwd()
    os.chdir(root)
    try:
        for name in COUNCILS:
            for period in PERIODS:
                council = "council: beta.yaml\n" if name == "beta" else ""
                p = Path(f"params-{name}-{period}.yaml")
                p.write_text(f'period: "{period}"\nreport: core\nstore: stores/{name}.sqlite\n'
                             f'output_dir: outputs/{name}\n{council}')
                assert main(["run", str(p), "--as-of", AS_OF, "--quiet"]) == 0
        os.rename("outputs", "solo")
        code = main(["fleet", "fleet.yaml", "--workers", "2", "--quiet"])
    finally:
        os.chdir(here)
    return root, code


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_a_fleet_publishes_what_kpi_run_publishes_for_each_run(fleet_project, capsys):
    root, code = fleet_project
    assert code == 0
    runs = sorted(p.parent.relative_to(root / "outputs")
                  for p in (root / "outputs").rglob("manifest.json"))
    assert [str(r) for r in runs] == [f"{n}/{p}/core" for n in sorted(COUNCILS) for p in PERIODS]
    for run in runs:
        fleet, solo = _files(root / "outputs" / run), _files(root / "solo" / run)
        assert sorted(fleet) == sorted(solo), run
        for name in fleet:
            if name == "manifest.json":
                assert without_wall_clock(fleet[name]) == without_wall_clock(solo[name])
            else:
                assert fleet[name] == solo[name], f"{run}/{name} differs"
        manifest = json.loads(fleet["manifest.json"])
        assert manifest["parameters"]["params_file"] == f"fleet.yaml#{run.parts[0]}"
        assert manifest["as_of"] == "2025-06-30T00:00:00.000000Z"
    # the councils differ: their own figures, their own settings
    results = {n: (root / "outputs" / n / "2024-04" / "core" / "results.csv").read_text()
               for n in COUNCILS}
    assert len(set(results.values())) == 3
    assert "Beta Borough Council" in (root / "outputs/beta/2024-04/core/index.html").read_text()


@pytest.mark.slow
def test_fleet_audit_audits_every_run_folder(fleet_project, capsys, monkeypatch):
    root, code = fleet_project
    assert code == 0
    monkeypatch.chdir(root)
    capsys.readouterr()
    assert main(["fleet", "fleet.yaml", "--audit", "--workers", "2", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "6 audits: 6 identical, 0 not" in out
    assert out.count(" identical ") + out.count(" identical\n") >= 6


@pytest.mark.slow
def test_a_fleet_audit_reads_each_councils_store_from_the_fleet_file(tmp_path, monkeypatch,
                                                                       capsys):
    """Stores outside the folder the fleet runs from (a shared file system's mount): each
    audit is anchored on the store the fleet file names, not refused as a store the run
    folder's manifest names outside the project."""
    elsewhere, project = tmp_path / "mnt", tmp_path / "project"
    elsewhere.mkdir()
    project.mkdir()
    store = elsewhere / small_store(elsewhere, "alpha", 9.1)
    monkeypatch.chdir(project)
    write_fleet(project, f'as_of: "{AS_OF}"\nperiods: ["2024-04"]\nreports: [core]\n'
                         f'councils:\n  - {{name: alpha, store: "{store}"}}\n')
    assert main(["fleet", "fleet.yaml", "--workers", "1", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["fleet", "fleet.yaml", "--audit", "--workers", "1", "--quiet"]) == 0
    assert "1 audits: 1 identical, 0 not" in capsys.readouterr().out


def test_audit_tasks_carry_each_councils_store_and_settings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "beta.yaml").write_text("name: Beta Borough Council\n")
    fleet = fl.read_fleet(write_fleet(tmp_path, (
        f'as_of: "{AS_OF}"\nperiods: ["2024-04"]\nreports: [core]\ncouncils:\n'
        "  - {name: alpha, store: a.sqlite}\n"
        "  - {name: beta, store: b.sqlite, council: beta.yaml}\n")))
    tasks = fl.audit_tasks({"alpha": [Path("outputs/alpha/2024-04/core")],
                            "beta": [Path("outputs/beta/2024-04/core")]}, fleet=fleet)
    assert [t.anchors for t in tasks] == [("--store", "a.sqlite"),
                                          ("--store", "b.sqlite", "--council", "beta.yaml")]


@pytest.mark.slow
def test_a_failed_run_is_named_and_the_others_still_publish(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    store = small_store(tmp_path, "alpha", 9.1)
    write_fleet(tmp_path, f'as_of: "{AS_OF}"\nreports: [core]\ncouncils:\n'
                          f'  - {{name: alpha, store: {store}, periods: ["2024-04"]}}\n'
                          f'  - {{name: late, store: {store}, periods: ["2024-06"]}}\n')
    assert main(["fleet", "fleet.yaml", "--workers", "1", "--quiet"]) == 1
    out, err = capsys.readouterr()
    assert "2 runs: 1 succeeded, 1 failed" in out
    assert "kpi fleet: 1 of 2 runs failed:\n  late 2024-06 core:\n    key 'period': no data " \
           "for 2024-06" in err
    assert (tmp_path / "outputs/alpha/2024-04/core/index.html").exists()
    assert not (tmp_path / "outputs/late").exists()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def scheduler(tmp_path):
    """A running Dask scheduler and one worker process, as on a real cluster (here on
    loopback, sharing this machine's files): the scheduler's address and the worker's pid."""
    import subprocess
    import sys
    import time

    address = f"tcp://127.0.0.1:{_free_port()}"
    logs = [open(tmp_path / f"{name}.log", "w") for name in ("scheduler", "worker")]  # noqa: SIM115
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler",
                               "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                               "--no-dashboard"], stdout=logs[0], stderr=logs[0])]
    procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                                   "--nthreads", "1", "--no-dashboard", "--no-nanny"],
                                  stdout=logs[1], stderr=logs[1]))
    try:
        from dask.distributed import Client

        deadline = time.monotonic() + 60
        while True:  # until the worker has joined
            try:
                with Client(address, timeout="5s") as c:
                    if c.scheduler_info()["workers"]:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
            time.sleep(0.5)
        yield address, procs[1].pid
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        for log in logs:
            log.close()


@pytest.mark.slow
def test_a_fleet_runs_on_a_running_scheduler(tmp_path, monkeypatch, capsys, scheduler):
    monkeypatch.chdir(tmp_path)
    store = small_store(tmp_path, "alpha", 9.1)
    write_fleet(tmp_path, f'as_of: "{AS_OF}"\nperiods: ["2024-04"]\nreports: [core]\n'
                          f'councils:\n  - {{name: alpha, store: {store}}}\n')
    address, worker = scheduler
    assert main(["fleet", "fleet.yaml", "--scheduler", address, "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert f"kpi fleet: 1 runs on {address}, as of 2025-06-30T00:00:00.000000Z" in err
    assert "1 runs: 1 succeeded, 0 failed" in out
    assert f":{worker} " in out.splitlines()[2] + " "  # it ran on the scheduler's worker
    manifest = json.loads((tmp_path / "outputs/alpha/2024-04/core/manifest.json").read_text())
    assert manifest["parameters"]["params_file"] == "fleet.yaml#alpha"
    assert main(["fleet", "fleet.yaml", "--scheduler", address, "--audit", "--quiet"]) == 0
    assert "1 audits: 1 identical, 0 not" in capsys.readouterr().out


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path, monkeypatch, capsys):
    from kpilib.run import fleet

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(fleet, "CONNECT_TIMEOUT", "2s")
    store = small_store(tmp_path, "alpha", 9.1)
    write_fleet(tmp_path, f'periods: ["2024-04"]\ncouncils:\n  - {{name: alpha, store: {store}}}\n')
    address = f"tcp://127.0.0.1:{_free_port()}"
    assert main(["fleet", "fleet.yaml", "--scheduler", address, "--quiet"]) == 1
    assert f"--scheduler {address}: cannot reach the Dask scheduler" in capsys.readouterr().err


# --------------------------------------------------------------------------- the fleet file


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        pytest.param("councils: []\n", ["key 'councils': expected the list of councils"],
                     id="no councils"),
        pytest.param("periods: [\"2024-04\"]\n", ["missing key 'councils'"], id="councils missing"),
        pytest.param("councils:\n  - {name: a, store: a.sqlite}\n",
                     ["councils[0] (a): no periods: give the fleet's key 'periods'"],
                     id="no periods anywhere"),
        pytest.param("periods: [2024-04-01]\ncouncils:\n  - {name: a, store: a.sqlite}\n",
                     ["key 'periods'[0]: expected a text id (quote it), got datetime.date"],
                     id="unquoted period"),
        pytest.param("periods: [\"2024-13\"]\ncouncils:\n  - {name: a, store: a.sqlite}\n",
                     ["key 'periods'[0]: "], id="bad period"),
        pytest.param("periods: [\"2024-04\"]\nreports: [cor]\ncouncils:\n  - {name: a, store: s}\n",
                     ["key 'reports'[0]: 'cor' is not a report type; expected one of"],
                     id="bad report"),
        pytest.param("periods: [\"2024-04\"]\nreports: [health]\ncouncils:\n  - {name: a, store: s}\n",
                     ["councils (a), period 2024-04, report health: key 'period': the health "
                      "report is for a quarter, not a month"], id="report for another period kind"),
        pytest.param("periods: [\"2024-04\"]\ncouncils:\n  - {name: a}\n  - {store: s}\n  - x\n",
                     ["councils[0] (a): missing key 'store'", "councils[1]: missing key 'name'",
                      "councils[2]: expected a mapping"], id="every council problem at once"),
        pytest.param("periods: [\"2024-04\"]\ncouncils:\n  - {name: a, store: s, stor: t}\n",
                     ["councils[0] (a): unknown key 'stor' (did you mean 'store'?)"],
                     id="misspelt council key"),
        pytest.param("period: [\"2024-04\"]\ncouncils:\n  - {name: a, store: s}\n",
                     ["unknown key 'period' (did you mean 'periods'?)"], id="misspelt fleet key"),
        pytest.param("periods: [\"2024-04\"]\ncouncils:\n  - {name: a, store: s}\n  - {name: a, store: t}\n",
                     ["the name 'a' is given twice", "'outputs/a' is also a's"], id="same name twice"),
        pytest.param("periods: [\"2024-04\"]\ncouncils:\n  - {name: a b, store: s}\n",
                     ["councils[0] (a b): key 'name': the council's name in this fleet"],
                     id="name with a space"),
        pytest.param("periods: [\"2024-04\"]\ncouncils:\n  - {name: a, store: s, council: nope.yaml}\n",
                     ["key 'council': no council settings file 'nope.yaml'"], id="missing settings file"),
        pytest.param("as_of: \"2999-01-01\"\nperiods: [\"2024-04\"]\ncouncils:\n  - {name: a, store: s}\n",
                     ["key 'as_of': 2999-01-01T00:00:00.000000Z is in the future"], id="future as_of"),
        pytest.param("- a\n- b\n", ["expected a mapping with key 'councils'"], id="a list"),
    ],
)
def test_a_bad_fleet_file_names_every_problem(tmp_path, monkeypatch, text, problems):
    monkeypatch.chdir(tmp_path)
    path = write_fleet(tmp_path, text)
    with pytest.raises(ParamsError) as e:
        read_fleet(path)
    assert str(e.value).startswith(str(path))
    for p in problems:
        assert p in str(e.value), str(e.value)


def test_a_fleet_is_councils_by_periods_by_reports(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(CATALOGUE_2024, tmp_path / "c.csv")  # any file: a settings path that exists
    path = write_fleet(tmp_path, 'as_of: "2025-01-01"\nperiods: ["2024-04", "2024-25-Q1"]\n'
                                 "councils:\n  - {name: a, store: a.sqlite}\n"
                                 '  - {name: b, store: "postgresql+psycopg://u@/b", '
                                 'output_dir: out/b, periods: ["2024-05"], reports: [core], '
                                 "council: c.csv}\n")
    fleet = read_fleet(path)
    assert [r.label for r in fleet.runs] == ["a 2024-04 all", "a 2024-25-Q1 all", "b 2024-05 core"]
    assert fleet.runs[2].params == {"period": "2024-05", "report": "core",
                                    "store": "postgresql+psycopg://u@/b",
                                    "as_of": "2025-01-01T00:00:00.000000Z",
                                    "output_dir": "out/b", "council": "c.csv"}
    assert fleet.output_dirs == {"a": "outputs/a", "b": "out/b"}
    assert read_fleet(path, as_of="2025-02-01").as_of == "2025-02-01T00:00:00.000000Z"


def test_fleet_workers_must_be_at_least_one(tmp_path, capsys):
    path = write_fleet(tmp_path, "councils: []\n")
    assert main(["fleet", str(path), "--workers", "0"]) == 1
    assert "--workers 0: expected at least 1 worker process" in capsys.readouterr().err


def test_a_store_option_is_refused_not_ignored(tmp_path, capsys):
    path = write_fleet(tmp_path, "councils: []\n")
    assert main(["--store", "other.sqlite", "fleet", str(path)]) == 1
    assert (f"kpi fleet: --store other.sqlite is not used: each council's store is the 'store' "
            f"key of its entry in {path}") in capsys.readouterr().err
    assert main(["fleet", str(path), "--store", "other.sqlite"]) == 2  # not a fleet option
