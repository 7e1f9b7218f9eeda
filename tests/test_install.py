"""kpilib as a user gets it: the wheel, installed in a fresh virtualenv, runs a report in an
empty folder anywhere (notebooks, templates and CSS ship as package data).

The test builds the wheel offline (``--no-build-isolation``: the build backend that
``pyproject.toml`` names must be installed, as the ``test`` extra does), installs it with no
dependencies into a new virtualenv, and lets that virtualenv see this environment's
already-installed dependencies through a ``.pth`` file (plain directory lines: the editable
kpilib of a development install is not activated there, and the test asserts the wheel's
kpilib is the one imported).  ``JUPYTER_PATH`` likewise points at this environment's Jupyter
data (nbconvert's base templates, as a real install puts them in the new prefix), after a
``python3`` kernelspec of *another* interpreter (this one, whose kpilib is not the wheel's):
the runner must ignore it and start its kernels on the venv's interpreter.

The virtualenv and the project sit in a git repository of their own, as a council's project
with its ``.venv`` would: the manifest must not take that repository's commit for kpilib's.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import time
import tomllib
from importlib import metadata
from pathlib import Path

import pandas as pd
import pytest

from kpilib.notebook import open_report
from kpilib.publish.manifest import git_info
from kpilib.render.html import page_file

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2025-06-30T00:00:00Z"
AS_OF_STORED = "2025-06-30T00:00:00.000000Z"
SOURCE = ["pyproject.toml", "README.md", "kpilib"]  # what the wheel is built from
# what a user's environment must not pass on to the installed kpi: the repository on the
# path, the test session's store, report-type plug-ins
SCRUB = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "KPILIB_STORE",
         "KPILIB_REPORT_TYPES", "JUPYTER_PATH", "COVERAGE_PROCESS_START")
TIMEOUT = 300


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def _build_requirements_missing() -> list[str]:
    """``build-system.requires`` not satisfied here (an offline build needs them installed)."""
    from packaging.requirements import Requirement

    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    missing = []
    for text in requires:
        req = Requirement(text)
        try:
            have = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            missing.append(f"{text} (not installed)")
            continue
        if not req.specifier.contains(have, prereleases=True):
            missing.append(f"{text} (installed: {have})")
    return missing


def _run(argv, cwd: Path, env: dict | None = None, check: bool = True):
    res = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True,
                         text=True, timeout=TIMEOUT)
    if check and res.returncode != 0:
        pytest.fail(f"{' '.join(map(str, argv))} exited {res.returncode} in {cwd}\n"
                    f"--- stdout\n{res.stdout}\n--- stderr\n{res.stderr}")
    return res


def _git(cwd: Path, *args: str):
    return _run(["git", "-c", "user.name=kpilib test", "-c", "user.email=test@example.invalid",
                 "-c", "init.defaultBranch=main", *args], cwd)


def build_wheel(tmp: Path) -> Path:
    """The wheel built from a copy of the source (no ``build/`` or ``*.egg-info`` left in the
    checkout, nothing stale from an earlier build in the wheel)."""
    src = tmp / "src"
    for name in SOURCE:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))
        else:
            src.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    dist = tmp / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
          "--no-index", "--disable-pip-version-check", "-q", "-w", dist, src], tmp)
    wheels = list(dist.glob("kpilib-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def this_environments_site_packages() -> list[str]:
    """Where this interpreter's installed packages are (never the repository itself)."""
    dirs = [*site.getsitepackages(), sysconfig.get_paths()["purelib"],
            sysconfig.get_paths()["platlib"]]
    out = []
    for d in dirs:
        p = Path(d).resolve()
        if p.is_dir() and p != ROOT and str(p) not in out:
            out.append(str(p))
    return out


def make_venv(venv: Path, wheel: Path, env: dict) -> Path:
    """A fresh virtualenv with the wheel installed (no dependencies, no index), seeing this
    environment's packages after its own.  Returns its site-packages."""
    _run([sys.executable, "-m", "venv", "--without-pip", venv], venv.parent)
    py = venv / "bin" / "python"
    purelib = Path(_run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                        venv.parent, env).stdout.strip())
    # pip of this environment installs into the venv (--python): no pip bootstrap.  Before the
    # .pth exists, so that this environment's (editable) kpilib is not "already installed".
    _run([sys.executable, "-m", "pip", "--python", py, "install", "--no-deps", "--no-index",
          "--disable-pip-version-check", "-q", wheel], venv.parent, env)
    (purelib / "zz_test_environment.pth").write_text(
        "".join(f"{d}\n" for d in this_environments_site_packages()), encoding="utf-8")
    return purelib


def foreign_kernelspec(jupyter: Path) -> Path:
    """A Jupyter data folder with a working ``python3`` kernelspec of *this* interpreter (not
    the venv's): what a stale ``ipykernel install`` leaves behind."""
    spec = jupyter / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps(
        {"argv": argv, "display_name": "Python 3 (another environment)", "language": "python"}))
    return jupyter


# Inside the venv: the wheel's kpilib, and a notebook kernel on the venv's own interpreter
# even though a python3 kernelspec of another interpreter is on JUPYTER_PATH.
PROBE = """
import json, sys, tempfile
from pathlib import Path
import kpilib
from jupyter_client.kernelspec import KernelSpecManager
from kpilib.run.jobs import kernel_manager
installed = KernelSpecManager().get_kernel_spec("python3").argv[0]
with tempfile.TemporaryDirectory() as tmp:
    km = kernel_manager(Path(tmp))
    km.start_kernel()
    try:
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        out = []
        kc.execute_interactive("import sys, kpilib; print(sys.executable); print(kpilib.__file__)",
                               output_hook=lambda m: out.append(m["content"].get("text", "")),
                               timeout=60)
        kc.stop_channels()
    finally:
        km.shutdown_kernel(now=True)
kernel_executable, kernel_kpilib = "".join(out).split()
print(json.dumps({"python": sys.executable, "kpilib": kpilib.__file__,
                  "installed_kernelspec": installed, "kernel_python": kernel_executable,
                  "kernel_kpilib": kernel_kpilib}))
"""


@pytest.mark.slow
def test_wheel_installs_and_runs_a_report_in_an_empty_folder(tmp_path):
    missing = _build_requirements_missing()
    if missing:
        reason = (f"the wheel is built offline (--no-build-isolation) and needs pyproject's "
                  f"build requirements here: {', '.join(missing)}; "
                  f"pip install -e '.[test]' installs them")
        if in_ci():
            pytest.fail(f"{reason} (CI=true: the install test must run on CI)")
        pytest.skip(reason)
    if shutil.which("git") is None:
        pytest.fail("git is needed (kpilib's own checkout and this test use it)")
    start = time.perf_counter()

    # A council's project: a git repository holding its virtualenv and its (empty) folder.
    root = tmp_path / "council"
    root.mkdir()
    _git(root, "init", "-q")
    _git(root, "commit", "-q", "--allow-empty", "-m", "the council's project")
    wheel = build_wheel(tmp_path / "build")
    env = {k: v for k, v in os.environ.items() if k not in SCRUB}
    env["JUPYTER_PATH"] = os.pathsep.join([str(foreign_kernelspec(tmp_path / "jupyter")),
                                           str(Path(sys.prefix) / "share" / "jupyter")])
    venv = root / ".venv"
    purelib = make_venv(venv, wheel, env)
    kpi = venv / "bin" / "kpi"
    assert kpi.is_file(), "the wheel installs no kpi command"

    probe = json.loads(_run([venv / "bin" / "python", "-c", PROBE], root, env).stdout)
    assert Path(probe["kpilib"]).is_relative_to(purelib), (
        f"the venv imports kpilib from {probe['kpilib']}, not the installed wheel")
    assert Path(probe["kernel_kpilib"]).is_relative_to(purelib), probe
    assert probe["kernel_python"] == probe["python"] == str(venv / "bin" / "python"), probe
    assert probe["installed_kernelspec"] == sys.executable, probe  # what the run ignored

    project = root / "project"
    project.mkdir()
    _run([kpi, "demo"], project, env)
    assert (project / "data" / "kpi.sqlite").is_file()
    (project / "params.yaml").write_text(
        f'period: "2024-02"\nreport: core\nstore: data/kpi.sqlite\nas_of: "{AS_OF}"\n',
        encoding="utf-8")
    run = _run([kpi, "run", "params.yaml"], project, env)
    assert "core 2024-02" in run.stdout, run.stdout

    folder = project / "outputs" / "2024-02" / "core"
    report = open_report(str(project / "data" / "kpi.sqlite"), "2024-02", "core", AS_OF_STORED)
    pages = {"index.html", *(page_file(s) for s in report.sections())}
    assert len(pages) == 1 + len(report.sections()) >= 3
    assert {p.name for p in folder.glob("*.html")} == pages
    got = pd.read_csv(folder / "results.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(got, report.results)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["notebooks"]) == {"kpilib:overview.ipynb", "kpilib:section.ipynb"}
    assert manifest["code"]["commit"] is None and manifest["code"]["dirty"] is None, (
        "the manifest took the project's git commit for kpilib's")
    assert manifest["code"]["kpilib_version"] == metadata.version("kpilib")
    assert (folder / "assets" / "plotly.min.js").is_file()

    audit = _run([kpi, "audit", "outputs/2024-02/core"], project, env, check=False)
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "identical" in audit.stdout and "DIFFERENT" not in audit.stdout, audit.stdout
    assert "warning" not in audit.stdout, audit.stdout
    print(f"install test: {time.perf_counter() - start:.1f} s")


def test_git_info_is_unknown_outside_a_kpilib_checkout(tmp_path):
    """An installed kpilib inside some other repository (a project's .venv) has no commit."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    site_packages = tmp_path / ".venv" / "lib" / "site-packages"
    (site_packages / "kpilib").mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'a-council'\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "commit", "-q", "--allow-empty", "-m", "project")
    assert git_info(site_packages) == {"commit": None, "dirty": None}
    assert git_info(tmp_path / "nowhere") == {"commit": None, "dirty": None}
    # the checkout itself (where there is one) still records its commit
    if (ROOT / ".git").exists():
        assert git_info(ROOT)["commit"]
