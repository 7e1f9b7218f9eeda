"""What a notebook opened by hand reads (kpilib.settings.interactive), and every shipped notebook
run as JupyterLab's "Run all" runs it: in its own folder, with no edits and no environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from kpilib.run.locate import PACKAGE_NOTEBOOKS
from kpilib.settings import interactive

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder with parameter sets for two councils; the kernel's folder is a
    notebook folder two levels down; no store in the environment."""
    for var in ("KPILIB_STORE", "KPILIB_STORE_CORPORATE", "KPILIB_STORE_CORE"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "params" / "county").mkdir(parents=True)
    (tmp_path / "council.yaml").write_text("name: Home Council\n")
    files = {
        "2024-02.yaml": 'period: "2024-02"\nreport: core\nstore: data/kpi.sqlite\n',
        "2025-03.yaml": 'period: "2025-03"\nreport: all\nstore: data/kpi.sqlite\n',
        "2024-25-Q4.yaml": 'period: "2024-25-Q4"\nreport: all\nstore: data/quarters.sqlite\n',
        "broken.yaml": "period: [unclosed\n",
        "county/2013-14-Q1.yaml": ('period: "2013-14-Q1"\nreport: corporate\n'
                                   "store: data/county-old.sqlite\n"),
        "county/2013-14-Q2.yaml": ('period: "2013-14-Q2"\nreport: corporate\n'
                                   "store: data/county.sqlite\ncouncil: councils/county.yaml\n"),
    }
    for name, text in files.items():
        (tmp_path / "params" / name).write_text(text)
    (tmp_path / "kpilib" / "notebooks").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "kpilib" / "notebooks")
    return tmp_path


@pytest.mark.parametrize("report, store, council, source", [
    ("core", "data/kpi.sqlite", "council.yaml", "params/2025-03.yaml"),
    ("service", "data/quarters.sqlite", "council.yaml", "params/2024-25-Q4.yaml"),
    ("corporate", "data/county.sqlite", "councils/county.yaml", "params/county/2013-14-Q2.yaml"),
], ids=["latest of a month and an all", "only an all includes it", "a council of its own"])
def test_the_latest_parameter_set_names_the_store_and_the_council(project, report, store,
                                                                   council, source):
    found = interactive.defaults(report)
    assert found == interactive.Defaults(str(project / store), str(project / council), source)


def test_a_set_without_a_council_takes_the_nearest_settings_up_to_the_project(project):
    (project / "params" / "county" / "council.yaml").write_text("name: County\n")
    (project / "params" / "county" / "2013-14-Q2.yaml").write_text(
        'period: "2013-14-Q2"\nreport: corporate\nstore: data/county.sqlite\n')
    assert interactive.defaults("corporate").council == str(
        project / "params" / "county" / "council.yaml")


@pytest.mark.parametrize("env, report, expected", [
    ({"KPILIB_STORE": "/s/any.sqlite"}, "core", "/s/any.sqlite"),
    ({"KPILIB_STORE": "/s/any.sqlite", "KPILIB_STORE_CORPORATE": "/s/c.sqlite"}, "corporate",
     "/s/c.sqlite"),
    ({"KPILIB_STORE_CORPORATE": "/s/c.sqlite"}, "core", "PROJECT/data/kpi.sqlite"),
], ids=["the store variable", "the report type's own variable first",
        "another type's variable is not this one's"])
def test_the_environment_comes_first(project, monkeypatch, env, report, expected):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert interactive.defaults(report).store == expected.replace("PROJECT", str(project))


def test_with_no_parameter_set_the_store_is_data_kpi_sqlite_above(project):
    shutil.rmtree(project / "params")
    (project / "data").mkdir()
    (project / "data" / "kpi.sqlite").write_bytes(b"")
    assert interactive.defaults("qpr") == interactive.Defaults(str(project / "data/kpi.sqlite"))


@pytest.mark.parametrize("given, expected", [
    ("data/county.sqlite", "PROJECT/data/county.sqlite"),
    ("data/absent.sqlite", "data/absent.sqlite"),
    ("sqlite:///data/county.sqlite", "sqlite:///data/county.sqlite"),
    ("/elsewhere/x.sqlite", "/elsewhere/x.sqlite"),
    (None, None),
], ids=["written as in a parameter set", "nowhere: left for the clear error",
        "a URL as given", "absolute as given", "none"])
def test_a_relative_path_given_by_hand_is_read_from_the_project(project, given, expected):
    (project / "data").mkdir()
    (project / "data" / "county.sqlite").write_bytes(b"")
    expected = expected.replace("PROJECT", str(project)) if expected else None
    assert interactive.from_project(given) == expected


def _demo_project(root: Path, test_store: Path, county_store: Path) -> Path:
    """The repository's demo as an analyst has it after `make report`: parameter sets,
    settings, branding, project notebooks and the demo stores."""
    for folder in ("params", "councils", "branding", "notebooks"):
        shutil.copytree(ROOT / folder, root / folder)
    shutil.copy(ROOT / "council.yaml", root / "council.yaml")
    (root / "data").mkdir()
    shutil.copy(test_store, root / "data" / "kpi.sqlite")
    (root / "councils" / "county" / "data").mkdir()  # the county's home (councils/county/)
    shutil.copy(county_store, root / "councils" / "county" / "data" / "kpi.sqlite")
    shutil.copytree(PACKAGE_NOTEBOOKS, root / "kpilib" / "notebooks")
    return root


SHIPPED = sorted([f"kpilib/notebooks/{p.name}" for p in PACKAGE_NOTEBOOKS.glob("*.ipynb")]
                 + [p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks").rglob("*.ipynb")])


@pytest.fixture(scope="module")
def demo_project(tmp_path_factory, test_store, county_store):
    return _demo_project(tmp_path_factory.mktemp("demo-project"), test_store, county_store)


@pytest.mark.slow
@pytest.mark.parametrize("notebook", SHIPPED)
def test_every_shipped_notebook_runs_as_opened_in_jupyterlab(demo_project, notebook):
    """"Open any notebook and Run all": the kernel starts in the notebook's folder, with the
    notebook's default parameters and no KPILIB_STORE; the corporate notebooks failed (no
    corporate data in data/kpi.sqlite, and the county's relative store path was refused).

    Executed by nbconvert in a process of its own, as JupyterLab's kernel is: nbclient run in
    the test process would leave jupyter_core's event-loop thread behind, and a later run's
    forked workers would wait on it for ever."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("KPILIB_STORE", "KPILIB_STORE_CORPORATE")}
    path = demo_project / notebook
    out = path.with_name(f"{path.stem}.executed.ipynb")
    done = subprocess.run([sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute",
                           "--ExecutePreprocessor.timeout=300", "--output", out.name,
                           str(path)], cwd=path.parent, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    nb = nbformat.read(out, as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    html = "".join(o.get("data", {}).get("text/html", "") for c in nb.cells
                   for o in c.get("outputs", []))
    assert "<table" in html or "<h2" in html  # a page, not an empty output
