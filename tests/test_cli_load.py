"""kpilib.cli: kpi load, kpi revisions, kpi demo (through main() and once as a subprocess)."""

from __future__ import annotations

import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from conftest import CATALOGUE_2023, CATALOGUE_2024, DATA, RETURNS_2024_04, write_csv
from kpilib.cli import main
from kpilib.store import Store

LOADED = re.compile(r"^loaded (\S+): (\d+) rows \(sha256 [0-9a-f]{8}…\)$")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def counts(path):
    with Store.open(path) as s:
        return s.counts()


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "kpi.sqlite")


def test_load_good_files(capsys, db):
    code, out, err = run(
        capsys, "load", "catalogue", str(CATALOGUE_2023), str(CATALOGUE_2024), "--store", db
    )
    assert code == 0 and err == f"kpi: store {db}\n"
    lines = out.splitlines()
    assert [LOADED.match(line).groups() for line in lines] == [
        ("catalogue-2023-24.csv", "2"),
        ("catalogue-2024-25.csv", "13"),
    ]
    code, out, _ = run(capsys, "--store", db, "load", "returns", str(RETURNS_2024_04))
    assert code == 0 and LOADED.match(out.strip()).groups() == ("returns-2024-04.csv", "9")
    assert counts(db) == {"loads": 3, "catalogue_rows": 15, "return_rows": 9,
                          "programme_rows": 0, "comparator_rows": 0, "target_rows": 0,
                          "override_rows": 0, "body_rows": 0, "group_rows": 0,
                          "benchmark_rows": 0, "annotation_rows": 0, "publications": 0,
                          "additions": 0}


def test_duplicate_load_says_so_and_stores_nothing(capsys, db):
    run(capsys, "load", "catalogue", str(CATALOGUE_2024), "--store", db)
    with Store.open(db) as s:
        first = s.last_loaded_at()
    code, out, err = run(capsys, "load", "catalogue", str(CATALOGUE_2024), "--store", db)
    assert code == 0 and err == f"kpi: store {db}\n"
    assert out == f"catalogue-2024-25.csv: already loaded on {first}, nothing stored\n"
    assert counts(db)["loads"] == 1


def test_broken_file_prints_every_problem_and_continues(capsys, db):
    code, out, err = run(capsys, "--store", db, "load", "catalogue",
                         str(DATA / "catalogue-broken.csv"), str(CATALOGUE_2024))  # fmt: skip
    assert code == 1
    assert (
        LOADED.match(out.strip()).group(1) == "catalogue-2024-25.csv"
    )  # the good file still loads
    assert "catalogue-broken.csv: 6 problems; nothing from this file was stored" in err
    for where in (
        "row 1, column 'targt'",
        "row 2, column 'year'",
        "row 3, column 'frequency'",
        "row 3, column 'measure'",
        "row 3, column 'tolerance'",
        "row 5, column 'breakdown'",
    ):
        assert f"catalogue-broken.csv, {where}" in err
    assert "Traceback" not in err and "1 of 2 files failed" in err
    assert counts(db) == {"loads": 1, "catalogue_rows": 13, "return_rows": 0,
                          "programme_rows": 0, "comparator_rows": 0, "target_rows": 0,
                          "override_rows": 0, "body_rows": 0, "group_rows": 0,
                          "benchmark_rows": 0, "annotation_rows": 0, "publications": 0,
                          "additions": 0}


def test_broken_returns_store_nothing(capsys, db):
    run(capsys, "load", "catalogue", str(CATALOGUE_2024), "--store", db)
    code, out, err = run(capsys, "load", "returns", str(DATA / "returns-broken.csv"), "--store", db)
    assert code == 1 and out == ""
    assert err.count("returns-broken.csv, row ") == 6
    assert counts(db)["return_rows"] == 0


def test_revisions_table(capsys, db, tmp_path):
    run(capsys, "load", "catalogue", str(CATALOGUE_2024), "--store", db)
    run(capsys, "load", "returns", str(RETURNS_2024_04), "--store", db)
    code, out, _ = run(capsys, "revisions", "--period", "2024-04", "--store", db)
    assert (code, out) == (0, "no revisions for period 2024-04\n")
    v2 = write_csv(
        tmp_path / "returns-2024-04-v2.csv",
        ["ref", "period", "value"],
        [["HSG01", "2024-04", "480"]],
    )
    run(capsys, "load", "returns", str(v2), "--store", db)
    code, out, _ = run(capsys, "--store", db, "revisions", "--period", "2024-04")
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:3] == ["ref", "period", "breakdown"]
    revision = (
        r"^HSG01 +2024-04 +472 +\S+Z +returns-2024-04\.csv +480 +\S+Z +returns-2024-04-v2\.csv$"
    )
    assert re.match(revision, lines[2]), out
    assert lines[-1] == "1 revision for period 2024-04"


@pytest.mark.parametrize(
    ("argv", "code", "fragment"),
    [
        pytest.param(
            ["revisions", "--period", "Feb 2024"],
            1,
            "kpi revisions: 'Feb 2024' is not a period id",
            id="bad period is a user error",
        ),
        pytest.param(["revisions", "--as-of", "soon"], 1, "not an ISO-8601 time", id="bad as-of"),
        pytest.param(
            ["load", "returns"], 2, "the following arguments are required: FILE", id="no files"
        ),
        pytest.param(
            ["load", "budgets", "x.csv"], 2, "invalid choice: 'budgets'", id="unknown kind"
        ),
        pytest.param(["frobnicate"], 2, "invalid choice", id="unknown command"),
    ],
)
def test_user_errors_exit_without_traceback(capsys, db, argv, code, fragment):
    Store.open(db).close()  # an existing (empty) store: the argument is the mistake
    got, _, err = run(capsys, *argv, "--store", db)
    assert got == code and fragment in err and "Traceback" not in err


def test_unexpected_errors_keep_their_traceback(monkeypatch, db):
    monkeypatch.setattr("kpilib.cli.revisions.open_store", lambda url: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        main(["revisions", "--store", db])


@pytest.fixture
def fake_demo(monkeypatch):
    """kpilib.demo stands in for the real generator: loads the fixture catalogue."""
    calls = []

    def build_demo_store(store, data_dir):
        calls.append(Path(data_dir))
        store.load_catalogue(CATALOGUE_2024)

    monkeypatch.setitem(
        sys.modules, "kpilib.demo", types.SimpleNamespace(BUILDERS={"nnc": build_demo_store})
    )
    return calls


def test_demo_builds_an_empty_store_and_refuses_a_full_one(capsys, db, fake_demo, tmp_path):
    code, out, _ = run(capsys, "demo", "--store", db, "--data-dir", str(tmp_path / "demo"))
    assert (
        code == 0
        and fake_demo == [tmp_path / "demo"]
        and out.startswith(f"demo store built at {db}")
    )
    code, _, err = run(capsys, "demo", "--store", db)
    assert code == 1 and "already has data" in err and "--force" in err and len(fake_demo) == 1
    run(capsys, "load", "catalogue", str(CATALOGUE_2023), "--store", db)
    code, _, _ = run(capsys, "demo", "--store", db, "--force")
    assert code == 0 and counts(db)["loads"] == 1  # the file was replaced, not added to


def test_demo_force_is_for_sqlite_files_only(capsys, fake_demo):
    code, _, err = run(
        capsys, "demo", "--store", "postgresql+psycopg://kpi@localhost/kpi", "--force"
    )
    assert code == 1 and "only replaces SQLite store files" in err and fake_demo == []


def test_installed_kpi_script(tmp_path):
    kpi = Path(sys.executable).parent / "kpi"
    if not kpi.exists():
        pytest.skip(f"no kpi console script next to {sys.executable}")

    def kpi_run(*args):
        return subprocess.run(
            [str(kpi), *args], cwd=tmp_path, capture_output=True, text=True, timeout=120
        )

    good = kpi_run("load", "catalogue", str(CATALOGUE_2024))  # default store data/kpi.sqlite
    assert good.returncode == 0 and LOADED.match(good.stdout.strip())
    assert (tmp_path / "data" / "kpi.sqlite").exists()
    again = kpi_run("load", "catalogue", str(CATALOGUE_2024))
    assert again.returncode == 0 and "already loaded on" in again.stdout
    bad = kpi_run("load", "returns", str(DATA / "returns-broken.csv"))
    assert bad.returncode == 1 and bad.stderr.count("returns-broken.csv, row ") == 6
    assert "Traceback" not in bad.stderr
    assert counts(tmp_path / "data" / "kpi.sqlite") == {
        "loads": 1,
        "catalogue_rows": 13,
        "return_rows": 0,
        "programme_rows": 0,
        "comparator_rows": 0,
        "target_rows": 0,
        "override_rows": 0, "body_rows": 0, "group_rows": 0,
                          "benchmark_rows": 0, "annotation_rows": 0,
        "publications": 0,
        "additions": 0,
    }
