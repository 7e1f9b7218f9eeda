"""``kpi audit RUN --recorded-env``: re-execute a run with the program that published it.

Years after publication kpilib has moved on (a new number format, a new page
layout), so today's program may render the same data differently.  The
manifest records the program: kpilib's version and git commit, the Python
version and every installed package's version.  This module rebuilds it:

1. **the code**: a ``git worktree add --detach`` of the manifest's commit, from
   the history of the kpilib repository this kpilib runs from (or the clone
   named by ``$KPILIB_REPOSITORY``).  kpilib is never installed by name from a
   package index: an unknown commit, or one that history lacks, is an error
   saying what is needed;
2. **the packages** (:func:`plan_environment`): when the recorded Python and
   every recorded package version are what this interpreter has, the
   interpreter is reused as it is and only kpilib comes from the worktree (the
   common case: seconds).  Otherwise a virtualenv with the recorded Python and
   the exact recorded versions is built with ``uv`` (whose cache reuses every
   wheel already downloaded), the worktree installed in it editable;
3. **a cache**: both live in ``$KPILIB_ENV_CACHE/<key>`` (default
   ``~/.cache/kpilib/envs``), the key a hash of what the environment holds
   (commit, Python, package set), built once under a lock;
4. **the re-execution**: that environment's own ``kpi audit RUN`` (with the same
   store, from the same project folder), whose verdict is reported with the
   program that gave it.  The checks that need no re-execution (published files
   against the manifest, the ledger, the signature) are made by today's program.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from kpilib.audit.layers import NO_RECORD_ENV
from kpilib.errors import AuditError
from kpilib.publish.manifest import SOURCE_ROOT, environment

CACHE_VAR = "KPILIB_ENV_CACHE"
REPOSITORY_VAR = "KPILIB_REPOSITORY"
SELF = "kpilib"  # never installed from an index: it comes from the repository's history
READY = "environment.json"  # written last: the environment is complete
GIT_TIMEOUT = 120
# what a manifest may say of its program: never a path, URL, option or command line
COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
PYTHON = re.compile(r"[0-9]{1,2}\.[0-9]{1,3}(\.[0-9]{1,3})?((a|b|rc)[0-9]{1,3})?\+?")
NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,98}[A-Za-z0-9])?")  # PEP 508
VERSION = re.compile(  # PEP 440 (its appendix's pattern, as written, not only canonical)
    r"v?([0-9]+!)?[0-9]+(\.[0-9]+)*([-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?[0-9]*)?"
    r"(-[0-9]+|[-_.]?(post|rev|r)[-_.]?[0-9]*)?([-_.]?dev[-_.]?[0-9]*)?"
    r"(\+[a-z0-9]+([-_.][a-z0-9]+)*)?", re.IGNORECASE)
MAX_PACKAGES = 2000
INSTALL_TIMEOUT = 1800


@dataclass(frozen=True)
class EnvPlan:
    """What the recorded environment needs, compared with this interpreter's."""

    commit: str
    python: str  # the recorded Python version
    packages: dict[str, str]  # every recorded package but kpilib: name -> version
    install: dict[str, str] = field(default_factory=dict)  # differing or missing here
    extra: tuple[str, ...] = ()  # installed here but not recorded
    python_here: str = ""

    @property
    def reuse(self) -> bool:
        """This interpreter already has the recorded Python and package versions."""
        return not self.install and self.python == self.python_here

    @property
    def key(self) -> str:
        what = {"commit": self.commit, "python": self.python, "packages": self.packages,
                "kind": "reuse" if self.reuse else "venv"}
        return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:20]


def plan_environment(commit: str, recorded: dict, installed: dict, python: str,
                     python_here: str) -> EnvPlan:
    """Which recorded packages this interpreter lacks at their recorded version (pure).

    ``recorded`` and ``installed`` map package names to versions (as
    :func:`kpilib.publish.manifest.environment` gives them); kpilib itself is left out of both:
    it comes from the worktree.
    """
    packages = {n: str(v) for n, v in sorted(recorded.items()) if n != SELF}
    install = {n: v for n, v in packages.items() if installed.get(n) != v}
    extra = tuple(sorted(n for n in installed if n not in packages and n != SELF))
    return EnvPlan(commit, python, packages, install, extra, python_here)


@dataclass(frozen=True)
class RecordedEnv:
    """A built environment: the interpreter to run and kpilib's source at the commit."""

    root: Path
    python: str
    src: Path
    reused: bool
    notes: tuple[str, ...] = ()


# --------------------------------------------------------------------------- the repository


def _git(repo: Path, *args: str, timeout: int = GIT_TIMEOUT) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          timeout=timeout)


def _is_kpilib_tree(top: Path) -> bool:
    return (top / "pyproject.toml").is_file() and (top / "kpilib" / "__init__.py").is_file()


def repository(commit: str) -> Path:
    """The kpilib git repository holding ``commit``: the checkout this kpilib runs from, or
    ``$KPILIB_REPOSITORY``."""
    named = os.environ.get(REPOSITORY_VAR)
    start = Path(named) if named else SOURCE_ROOT
    need = (f"run the audit from a clone of the kpilib repository that contains commit "
            f"{commit} (or set {REPOSITORY_VAR} to such a clone)")
    try:
        proc = _git(start, "rev-parse", "--show-toplevel")
    except (OSError, subprocess.SubprocessError) as e:
        raise AuditError(f"--recorded-env needs git ({e}): {need}") from None
    top = Path(proc.stdout.strip()).resolve() if proc.returncode == 0 else None
    if top is None or not _is_kpilib_tree(top) or (not named and top != start.resolve()):
        where = f"{REPOSITORY_VAR}={named}" if named else f"{start}"
        raise AuditError(f"kpilib is not running from a git checkout of kpilib ({where} is "
                         f"not one), so the program that published the run cannot be "
                         f"rebuilt: {need}")
    if _git(top, "cat-file", "-e", f"{commit}^{{commit}}").returncode != 0:
        raise AuditError(f"commit {commit} is not in the history of the kpilib repository "
                         f"at {top}: fetch it (git fetch) or {need}")
    return top


# --------------------------------------------------------------------------- the cache


def cache_dir() -> Path:
    if os.environ.get(CACHE_VAR):
        return Path(os.environ[CACHE_VAR])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "kpilib" / "envs"


@contextlib.contextmanager
def _lock(path: Path):
    """One builder per environment, across processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        try:
            import fcntl
        except ImportError:  # not POSIX: builders must not overlap
            yield
            return
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _discard(root: Path, repo: Path) -> None:
    """Remove a half-built environment (its worktree unregistered from the repository)."""
    if (root / "src").exists():
        _git(repo, "worktree", "remove", "--force", str(root / "src"))
    shutil.rmtree(root, ignore_errors=True)
    _git(repo, "worktree", "prune")


def _run(cmd: list[str], what: str, env: dict | None = None) -> None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=INSTALL_TIMEOUT,
                              env=env)
    except (OSError, subprocess.SubprocessError) as e:
        raise AuditError(f"{what} failed: {e}") from None
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
        raise AuditError(f"{what} failed:\n{tail}")


def _uv() -> str:
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found:
            return found
    raise AuditError("building an environment with other package versions needs uv "
                     "(pip install uv)")


def install_commands(plan: EnvPlan, root: Path, uv: str = "uv",
                     python: str | None = None) -> list[list[str]]:
    """The commands that build a virtualenv for ``plan`` at ``root/venv``: the recorded
    Python, every recorded package pinned exactly (no resolution: the set is the one that
    ran), and the worktree ``root/src`` editable (never kpilib from an index)."""
    venv_python = str(_venv_python(root / "venv"))
    pins = [f"{n}=={v}" for n, v in plan.packages.items()]
    return [[uv, "venv", "--quiet", "--python", python or plan.python, str(root / "venv")],
            [uv, "pip", "install", "--quiet", "--python", venv_python, "--no-deps", *pins],
            [uv, "pip", "install", "--quiet", "--python", venv_python, "--no-deps",
             "--editable", str(root / "src")]]


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _build_venv(plan: EnvPlan, root: Path) -> list[str]:
    uv, notes = _uv(), []
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}  # only interpreters already here
    venv, *installs = install_commands(plan, root, uv)
    try:
        _run(venv, f"creating a virtualenv with Python {plan.python}", env)
    except AuditError:
        minor = ".".join(plan.python.split(".")[:2])
        venv = install_commands(plan, root, uv, minor)[0]
        _run(venv, f"creating a virtualenv with Python {plan.python} (or {minor}): install "
                   f"that Python", env)
        notes.append(f"Python {plan.python} is not installed here: used Python {minor}")
    for cmd in installs:
        _run(cmd, "installing the recorded package versions", env)
    return notes


def ensure_environment(plan: EnvPlan, repo: Path) -> RecordedEnv:
    """The environment of ``plan``, built (once) in the cache."""
    root = cache_dir() / plan.key
    with _lock(root.with_name(f"{root.name}.lock")):
        ready = root / READY
        if ready.is_file():
            try:
                info = json.loads(ready.read_text(encoding="utf-8"))
                python = sys.executable if plan.reuse else info["python"]
                if (root / "src" / "pyproject.toml").is_file() and Path(python).is_file():
                    return RecordedEnv(root, python, root / "src", plan.reuse,
                                       tuple(info.get("notes", ())))
            except (ValueError, KeyError, TypeError):
                pass  # damaged: built again below
        if root.exists():
            _discard(root, repo)
        root.mkdir(parents=True)
        try:
            _git(repo, "worktree", "prune")
            proc = _git(repo, "worktree", "add", "--detach", str(root / "src"), plan.commit)
            if proc.returncode != 0:
                raise AuditError(f"git worktree add of commit {plan.commit} failed: "
                                 f"{proc.stderr.strip()}")
            notes = [] if plan.reuse else _build_venv(plan, root)
        except BaseException:
            _discard(root, repo)
            raise
        python = sys.executable if plan.reuse else str(_venv_python(root / "venv"))
        info = {"commit": plan.commit, "python": python, "reused": plan.reuse,
                "packages": plan.packages, "notes": notes}
        ready.write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return RecordedEnv(root, python, root / "src", plan.reuse, tuple(notes))


# --------------------------------------------------------------------------- re-execution


def _entry_point(src: Path) -> tuple[str, str]:
    """The ``kpi`` command of the recorded code (module, function), from its pyproject."""
    try:
        scripts = tomllib.loads((src / "pyproject.toml").read_text(encoding="utf-8"))
        target = scripts["project"]["scripts"]["kpi"]
        module, _, func = target.partition(":")
        return module.strip(), func.strip() or "main"
    except (OSError, KeyError, ValueError):
        return "kpilib.cli", "main"


def inner_audit(env: RecordedEnv, folder: Path, store: str | None) -> tuple[int, str, str]:
    """Run the recorded program's ``kpi audit`` on ``folder`` from the current folder."""
    module, func = _entry_point(env.src)
    code = f"import sys; from {module} import {func} as m; sys.exit(m())"
    cmd = [env.python, "-P", "-c", code, "audit", str(folder)]
    if store:
        cmd += ["--store", store]
    path = os.pathsep.join(p for p in (str(env.src), os.environ.get("PYTHONPATH")) if p)
    # the recorded kpilib first; no current folder on sys.path (a project folder that is a
    # kpilib checkout would otherwise shadow it, in the kernels too)
    child = {**os.environ, "PYTHONPATH": path, "PYTHONSAFEPATH": "1",
             NO_RECORD_ENV: "1"}  # the outer audit records the verdict, once
    child.pop(CACHE_VAR, None)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=child)
    except OSError as e:
        raise AuditError(f"the recorded program could not be started: {e}") from None
    return proc.returncode, proc.stdout, proc.stderr


def describe(code: dict) -> str:
    """``kpilib 0.1.0 at commit 0123456789ab`` (with uncommitted changes, or installed)."""
    text = f"kpilib {code.get('kpilib_version') or '(version unknown)'}"
    if code.get("commit"):
        text += f" at commit {str(code['commit'])[:12]}"
        if code.get("dirty"):
            text += " with uncommitted changes"
    else:
        text += " (installed, no git commit)"
    return text


def program_problems(commit, python, packages) -> list[str]:
    """What a manifest's program record holds that is not a git commit id, a Python version,
    and PEP 508 package names with PEP 440 versions (pure).  A manifest is untrusted input:
    a path, URL, option or anything else there could choose a program, an index or a
    command line, so it is refused, never passed on."""
    out = []
    if not isinstance(commit, str) or not COMMIT.fullmatch(commit):
        out.append(f"code.commit {str(commit)[:80]!r} is not a git commit id (40 or 64 "
                   "lower-case hex digits)")
    if not isinstance(python, str) or not PYTHON.fullmatch(python):
        out.append(f"environment.python {str(python)[:80]!r} is not a Python version "
                   "(e.g. 3.11.7)")
    if not isinstance(packages, dict) or len(packages) > MAX_PACKAGES:
        return [*out, "environment.packages is not a mapping of package names to versions"]
    for name, version in packages.items():
        if not isinstance(name, str) or not NAME.fullmatch(name):
            out.append(f"environment.packages: {str(name)[:80]!r} is not a package name "
                       "(PEP 508)")
        elif not isinstance(version, str) or not VERSION.fullmatch(version):
            out.append(f"environment.packages: {name} {str(version)[:80]!r} is not a "
                       "version (PEP 440)")
    return out


def recorded_plan(manifest: dict) -> EnvPlan:
    """The plan for a manifest's program; an error saying what is needed when it has no
    commit, or when the program it records is not a commit, a Python version and package
    names and versions (:func:`program_problems`)."""
    code = manifest.get("code") if isinstance(manifest.get("code"), dict) else {}
    env = manifest.get("environment") if isinstance(manifest.get("environment"), dict) else {}
    commit = code.get("commit")
    if commit is None or commit == "":
        raise AuditError(
            f"the run records no git commit: it was published by {describe(code)}, so "
            "--recorded-env cannot rebuild it from the repository's history; audit it in a "
            f"virtualenv holding kpilib {code.get('kpilib_version')} from your own copy "
            "(never by name from a package index) and the manifest's package versions")
    now = environment()
    python = env.get("python") or now["python"]
    recorded = env.get("packages", {})
    problems = program_problems(commit, python, recorded)
    if problems:
        raise AuditError("the manifest's program record is not one kpilib wrote, so nothing "
                         "of it is run or installed: " + "; ".join(problems[:5])
                         + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""))
    return plan_environment(commit, recorded, now["packages"], python, now["python"])
