"""Audit years later (kpilib/audit/recorded.py): a changed program is told from changed data,
and `kpi audit --recorded-env` re-executes with the program that published the run.

The end-to-end test works in a temporary clone of this repository (its history, plus the
working tree's uncommitted changes committed there): it publishes a run with the clone's
code, commits a change to the page rendering, and audits with the new code (the program
changed) and with --recorded-env (identical).  Nothing is installed: the clone runs on this
interpreter through PYTHONPATH, and the recorded environment reuses this interpreter's
packages, which are the recorded versions.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kpilib import __version__
from kpilib.audit import recorded
from kpilib.audit.recorded import EnvPlan, install_commands, plan_environment
from kpilib.errors import AuditError

ROOT = Path(__file__).resolve().parents[1]
C = "c" * 40


# --------------------------------------------------------------------------- planning


@pytest.mark.parametrize("recorded_pkgs, installed, py_then, reuse, install, extra", [
    ({"pandas": "2.2.3", "plotly": "6.0.0"}, {"pandas": "2.2.3", "plotly": "6.0.0"}, "3.11.7",
     True, {}, ()),
    ({"pandas": "2.2.3", "plotly": "6.0.0"}, {"pandas": "2.3.1", "plotly": "6.0.0"}, "3.11.7",
     False, {"pandas": "2.2.3"}, ()),
    ({"pandas": "2.2.3", "nh3": "0.2.17"}, {"pandas": "2.2.3"}, "3.11.7",
     False, {"nh3": "0.2.17"}, ()),
    ({"pandas": "2.2.3", "kpilib": "0.0.9"}, {"pandas": "2.2.3", "kpilib": "0.1.0"}, "3.11.7",
     True, {}, ()),
    ({"pandas": "2.2.3"}, {"pandas": "2.2.3", "hypothesis": "6.1"}, "3.11.7",
     True, {}, ("hypothesis",)),
    ({"pandas": "2.2.3"}, {"pandas": "2.2.3"}, "3.12.1",
     False, {}, ()),
], ids=["all versions agree: reuse this interpreter", "one version differs: install it",
        "one package missing: install it", "kpilib is never planned (it comes from git)",
        "extra packages here: reuse, named", "another Python: a new virtualenv"])
def test_which_packages_the_recorded_environment_needs(recorded_pkgs, installed, py_then,
                                                       reuse, install, extra):
    plan = plan_environment(C, recorded_pkgs, installed, py_then, "3.11.7")
    assert plan.reuse is reuse
    assert plan.install == install
    assert plan.extra == extra
    assert recorded.SELF not in plan.packages


def test_the_cache_key_is_what_the_environment_holds():
    a = plan_environment(C, {"pandas": "2.2.3"}, {"pandas": "2.2.3"}, "3.11.7", "3.11.7")
    assert a.key == plan_environment(C, {"pandas": "2.2.3"}, {"pandas": "2.2.3"}, "3.11.7",
                                     "3.11.7").key
    assert a.key != plan_environment("d" * 40, {"pandas": "2.2.3"}, {"pandas": "2.2.3"},
                                     "3.11.7", "3.11.7").key
    assert a.key != plan_environment(C, {"pandas": "2.2.2"}, {"pandas": "2.2.3"}, "3.11.7",
                                     "3.11.7").key


def test_a_new_environment_pins_every_recorded_version_and_kpilib_comes_from_the_worktree(
        tmp_path):
    plan = plan_environment(C, {"pandas": "2.2.3", "plotly": "6.0.0", "kpilib": "0.1.0"},
                            {"pandas": "2.3.1"}, "3.11.7", "3.11.7")
    venv, pins, editable = install_commands(plan, tmp_path, uv="uv")
    assert venv[:2] == ["uv", "venv"] and "3.11.7" in venv
    assert "--no-deps" in pins and {"pandas==2.2.3", "plotly==6.0.0"} <= set(pins)
    assert not any(a.lower().startswith("kpilib") for cmd in (venv, pins, editable) for a in cmd)
    assert editable[-2:] == ["--editable", str(tmp_path / "src")] and "--no-deps" in editable


def test_a_run_without_a_commit_cannot_be_rebuilt_and_says_what_is_needed():
    manifest = {"code": {"kpilib_version": "0.1.0", "commit": None, "dirty": None},
                "environment": {"python": "3.11.7", "packages": {}}}
    with pytest.raises(AuditError) as e:
        recorded.recorded_plan(manifest)
    assert "records no git commit" in str(e.value) and "kpilib 0.1.0 (installed" in str(e.value)
    assert "never by name from a package index" in str(e.value)


def test_kpilib_outside_a_git_checkout_says_what_is_needed(tmp_path, monkeypatch):
    monkeypatch.delenv(recorded.REPOSITORY_VAR, raising=False)
    monkeypatch.setattr(recorded, "SOURCE_ROOT", tmp_path)
    with pytest.raises(AuditError, match=f"run the audit from a clone of the kpilib repository "
                                         f"that contains commit {C}"):
        recorded.repository(C)


def _git_checkout() -> bool:
    return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"],
                          capture_output=True).returncode == 0


@pytest.mark.skipif(not _git_checkout(), reason="the tests run from a copy without git history")
def test_a_commit_not_in_the_history_says_so(monkeypatch):
    monkeypatch.setenv(recorded.REPOSITORY_VAR, str(ROOT))
    with pytest.raises(AuditError, match=f"commit {C} is not in the history of the kpilib "
                                         "repository"):
        recorded.repository(C)


def test_the_program_is_described_by_version_and_commit():
    assert recorded.describe({"kpilib_version": "0.1.0", "commit": C, "dirty": False}) == \
        "kpilib 0.1.0 at commit cccccccccccc"
    assert recorded.describe({"kpilib_version": "0.1.0", "commit": C, "dirty": True}).endswith(
        "with uncommitted changes")
    assert recorded.describe({"kpilib_version": "0.1.0", "commit": None}) == \
        "kpilib 0.1.0 (installed, no git commit)"


@pytest.mark.parametrize("code, env, message", [
    ({"commit": C}, {"python": "/tmp/evil/python", "packages": {}}, "environment.python"),
    ({"commit": C}, {"python": "3.11.7", "packages": {"--index-url": "1"}}, "package name"),
    ({"commit": C}, {"python": "3.11.7", "packages": {"evil @ https://x/e.whl": "1"}},
     "package name"),
    ({"commit": C}, {"python": "3.11.7", "packages": {"pandas": "2.2.3; os_name == 'x'"}},
     "is not a version"),
    ({"commit": C}, {"python": "3.11.7", "packages": {"pandas": "2.2.3 --index-url=http://x"}},
     "is not a version"),
    ({"commit": C}, {"python": "3.11.7", "packages": ["pandas==2.2.3"]}, "not a mapping"),
    ({"commit": "HEAD"}, {"python": "3.11.7", "packages": {}}, "not a git commit id"),
    ({"commit": "--upload-pack=touch /tmp/x"}, {"python": "3.11.7", "packages": {}},
     "not a git commit id"),
], ids=["an interpreter path", "an option for a name", "a URL for a name", "a marker",
        "an option in a version", "packages not a mapping", "a ref, not a commit",
        "an option for a commit"])
def test_a_manifest_never_chooses_a_program_an_index_or_a_command_line(code, env, message):
    with pytest.raises(AuditError, match="nothing of it is run or installed") as e:
        recorded.recorded_plan({"code": {"kpilib_version": "0.1.0", **code},
                                "environment": env})
    assert message in str(e.value)


def test_recorded_names_and_versions_of_real_environments_are_accepted():
    from kpilib.publish.manifest import environment

    now = environment()
    assert recorded.program_problems(C, now["python"], now["packages"]) == []
    assert recorded.program_problems("a" * 64, "3.13.0rc1", {
        "zope.interface": "6.0", "torch": "2.1.0+cpu", "x_y": "1!2.0.post1.dev3"}) == []


def test_the_plan_is_built_from_the_manifest():
    plan = recorded.recorded_plan({"code": {"kpilib_version": __version__, "commit": C},
                                   "environment": {"python": "3.0.1",
                                                   "packages": {"pandas": "0.0.1"}}})
    assert isinstance(plan, EnvPlan) and plan.commit == C
    assert plan.install == {"pandas": "0.0.1"} and not plan.reuse


def test_the_environment_is_built_once_and_rebuilt_when_damaged(tmp_path, monkeypatch):
    """A repository of its own (a kpilib-shaped tree), an environment that reuses this
    interpreter: built at the commit, found again by its key, rebuilt when its worktree has
    gone."""
    repo = tmp_path / "repo"
    (repo / "kpilib").mkdir(parents=True)
    (repo / "kpilib" / "__init__.py").write_text('__version__ = "0.0.1"\n')
    (repo / "pyproject.toml").write_text('[project]\nname = "kpilib"\n')
    git(repo, "init", "--quiet")
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", "old kpilib")
    commit = git(repo, "rev-parse", "HEAD")
    monkeypatch.setenv(recorded.CACHE_VAR, str(tmp_path / "envs"))
    monkeypatch.setenv(recorded.REPOSITORY_VAR, str(repo))
    plan = plan_environment(commit, {}, {}, "3.11.7", "3.11.7")
    assert plan.reuse
    env = recorded.ensure_environment(plan, recorded.repository(commit))
    assert env.root == tmp_path / "envs" / plan.key and env.python == sys.executable
    assert git(env.src, "rev-parse", "HEAD") == commit
    ready = (env.root / recorded.READY).stat().st_mtime_ns
    assert recorded.ensure_environment(plan, repo) == env
    assert (env.root / recorded.READY).stat().st_mtime_ns == ready  # not built again
    shutil.rmtree(env.src)
    again = recorded.ensure_environment(plan, repo)
    assert git(again.src, "rev-parse", "HEAD") == commit
    assert len(git(repo, "worktree", "list").splitlines()) == 2  # the stale one pruned


# --------------------------------------------------------------------------- years later


GIT_ID = {"GIT_AUTHOR_NAME": "kpilib tests", "GIT_AUTHOR_EMAIL": "tests@example.invalid",
          "GIT_COMMITTER_NAME": "kpilib tests", "GIT_COMMITTER_EMAIL": "tests@example.invalid"}


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          env={**os.environ, **GIT_ID}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def clone_with_working_tree(dest: Path) -> Path:
    """A clone of this repository, its history included, with the working tree's uncommitted
    changes (edits, new files, deletions) committed on top."""
    git(ROOT, "rev-parse", "HEAD")
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(dest)], check=True, timeout=120)
    files = git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    for rel in filter(None, files):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest / rel)
        elif (dest / rel).is_file():  # deleted in the working tree
            (dest / rel).unlink()
    git(dest, "add", "-A")
    git(dest, "commit", "--quiet", "--allow-empty", "-m", "the working tree under test")
    return dest


def kpi(repo: Path, project: Path, cache: Path, *argv: str) -> tuple[int, str]:
    """The clone's `kpi`, on this interpreter, from the project folder."""
    env = {k: v for k, v in os.environ.items()
           if k not in (recorded.REPOSITORY_VAR, "KPILIB_REPORT_TYPES")}
    env.update(PYTHONPATH=str(repo), **{recorded.CACHE_VAR: str(cache)})
    code = "import sys; from kpilib.cli import main; sys.exit(main())"
    proc = subprocess.run([sys.executable, "-P", "-c", code, *argv], cwd=project, env=env,
                          capture_output=True, text=True, timeout=600)
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.slow
@pytest.mark.skipif(not _git_checkout(), reason="the tests run from a copy without git history")
def test_an_audit_after_the_code_has_moved_on(tmp_path, test_store):
    repo = clone_with_working_tree(tmp_path / "kpilib")
    project, cache = tmp_path / "project", tmp_path / "envs"
    project.mkdir()
    shutil.copyfile(test_store, project / "kpi.sqlite")
    (project / "p.yaml").write_text('period: "2024-02"\nreport: core\nstore: kpi.sqlite\n'
                                    'as_of: "2025-06-30T00:00:00Z"\n')
    code, out = kpi(repo, project, cache, "run", "p.yaml", "--quiet")
    assert code == 0, out
    published = git(repo, "rev-parse", "HEAD")

    # years later: the page layout has changed
    fragment = repo / "kpilib" / "templates" / "fragments" / "kpi_article.html.j2"
    fragment.write_text(fragment.read_text() + '<p class="note">A new line on every KPI</p>\n')
    git(repo, "commit", "--quiet", "-am", "A new line on every KPI")
    now = git(repo, "rev-parse", "HEAD")

    code, out = kpi(repo, project, cache, "audit", "outputs/2024-02/core")
    assert code == 1, out
    assert (f"outputs/2024-02/core: differs; published with kpilib {__version__} at commit "
            f"{published[:12]}, re-executed with kpilib {__version__} at commit {now[:12]}: "
            "re-run with --recorded-env") in out
    assert "differs on re-execution: place-economy.html" in out
    assert "data:" not in out and "tampered" not in out

    code, out = kpi(repo, project, cache, "audit", "outputs/2024-02/core", "--recorded-env")
    assert code == 0, out
    assert (f"outputs/2024-02/core: identical (re-executed with kpilib {__version__} at commit "
            f"{published[:12]} in the recorded environment)") in out
    (env_dir,) = [p for p in cache.iterdir() if p.is_dir()]
    assert git(env_dir / "src", "rev-parse", "HEAD") == published

    # the environment is cached: a second audit reuses it
    code, out = kpi(repo, project, cache, "audit", "outputs/2024-02/core", "--recorded-env")
    assert code == 0, out
    assert [p for p in cache.iterdir() if p.is_dir()] == [env_dir]
