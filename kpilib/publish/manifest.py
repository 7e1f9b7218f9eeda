"""The run's receipt, ``manifest.json``: written by every run, read by audit.

It records what a re-execution needs (parameters, ``as_of``), what the figures
were computed from (the SHA-256 of the exact catalogue and return rows and
their source files), with which program (kpilib version, git commit, every
installed package) and what was produced (the SHA-256 of every output).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import platform
import stat
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pandas as pd

from kpilib import __version__, registry
from kpilib.clock import utc_now
from kpilib.errors import AuditError
from kpilib.ingest.contracts import CATALOGUE_ADDED, RETURN_COLUMNS, RETURNS_ADDED
from kpilib.io.outpaths import kind as file_kind
from kpilib.plugins import import_path_key
from kpilib.render.templates import PROJECT_TEMPLATES
from kpilib.store.kinds import LOAD_KINDS

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.sig"  # written after the manifest: not among its outputs
FORMAT = 2  # 2: runs are recorded in the store's ledger of publications
CATALOGUE_KEY = ["year", "ref", "breakdown"]
RETURN_KEY = ["ref", "period", "breakdown"]


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def frame_digest(df: pd.DataFrame, columns: list[str], key: list[str]) -> str:
    """SHA-256 of rows in a canonical order and form, independent of load order."""
    cols = [c for c in columns if c in df.columns]
    canon = df.loc[:, cols].copy()
    for c in cols:
        canon[c] = [_canon(v) for v in canon[c]]
    canon = canon.sort_values([k for k in key if k in cols] + cols, kind="stable")
    buf = io.StringIO()
    canon.to_csv(buf, index=False, lineterminator="\n")
    return sha256_bytes(buf.getvalue().encode("utf-8"))


def catalogue_columns(catalogue: pd.DataFrame) -> list[str]:
    """The catalogue columns a run's fingerprint covers: all, except a column added to the
    contract later while it is empty in every row (a catalogue that does not use it has the
    fingerprint it had before the column existed)."""
    return [c for c in catalogue.columns
            if c not in CATALOGUE_ADDED or (catalogue[c].astype(str) != "").any()]


def returns_columns(returns: pd.DataFrame) -> list[str]:
    """The returns columns a run's fingerprint covers: as :func:`catalogue_columns`, a column
    added later (``internal``) only where some row uses it."""
    return [c for c in RETURN_COLUMNS if c not in RETURNS_ADDED
            or (c in returns.columns and (returns[c].astype(str) != "").any())]


def data_digests(catalogue: pd.DataFrame, returns: pd.DataFrame) -> dict:
    """The manifest's fingerprint of the rows a run read: ``catalogue_sha256``,
    ``catalogue_rows``, ``returns_sha256``, ``returns_rows``.  With ``data.reads`` =
    ``report``, the rows the report reads (:mod:`kpilib.store.reads`); without it (runs
    made before), every row of the store as of the run."""
    return {"catalogue_sha256": frame_digest(catalogue, catalogue_columns(catalogue),
                                             CATALOGUE_KEY),
            "catalogue_rows": int(len(catalogue)),
            "returns_sha256": frame_digest(returns, returns_columns(returns), RETURN_KEY),
            "returns_rows": int(len(returns))}


def _canon(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float):  # -0.0 is 0.0: SQLite does not keep the sign of a zero
        return repr(v + 0.0)
    return str(v)


SOURCE_ROOT = Path(__file__).resolve().parents[2]  # the checkout, when run from one


def git_info(root: Path | None = None) -> dict:
    """The code's git commit and whether the tree had uncommitted changes.

    Only a kpilib source checkout has one: when kpilib is installed (site-packages),
    ``root`` is not the top of a git work tree with kpilib's ``pyproject.toml``, even where
    the virtualenv sits inside some other repository (a council's project), so the commit
    and dirty flag are ``None`` and the manifest's ``kpilib_version`` and installed packages
    identify the code.
    """
    root = Path(root or SOURCE_ROOT).resolve()
    unknown = {"commit": None, "dirty": None}
    if not (root / "pyproject.toml").is_file() or not (root / "kpilib").is_dir():
        return unknown
    try:
        top = _git(root, "rev-parse", "--show-toplevel").strip()
        if not top or Path(top).resolve() != root:
            return unknown
        commit = _git(root, "rev-parse", "HEAD").strip()
        status = _git(root, "status", "--porcelain", "--", "kpilib", "notebooks",
                      "pyproject.toml")
        return {"commit": commit, "dirty": bool(status.strip())}
    except (OSError, subprocess.SubprocessError):
        return unknown


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                          timeout=10, check=True).stdout


def environment() -> dict:
    """Python version and the exact version of every installed package (a fresh copy: read
    once per process and set of package folders, :func:`_packages`)."""
    return {"python": sys.version.split()[0], "implementation": platform.python_implementation(),
            "platform": platform.platform(), "packages": dict(_packages(import_path_key()))}


@functools.lru_cache(maxsize=4)
def _packages(_where: tuple) -> tuple:
    """(name, version) of every installed package, sorted by name; ``_where``: the import
    path and each folder's modification time (installing or removing a package changes
    it).  Names and versions are read from each package's metadata headers, as
    ``importlib.metadata`` reads them, without parsing the rest of the file."""
    pkgs = {}
    for d in metadata.distributions():
        name, version = _name_version(d)
        if name:
            pkgs[name.lower().replace("_", "-")] = version
    return tuple(sorted(pkgs.items()))


def _name_version(d) -> tuple[str | None, str | None]:
    text = d.read_text("METADATA") or d.read_text("PKG-INFO") or ""
    found: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():  # the headers end at the first blank line
            break
        key, sep, value = line.partition(":")
        if sep and key in ("Name", "Version") and key not in found:
            found[key] = value.strip()
        if len(found) == 2:
            return found["Name"], found["Version"]
    return d.metadata.get("Name"), d.version  # an unusual file: the full parser


def regular(path: Path) -> bool:
    """``path`` is a regular file itself (not a link, FIFO or device): told by ``lstat``,
    without opening it."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def output_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every regular file of a run folder, whatever its name, except the run's own
    ``manifest.json`` and its signature ``manifest.json.sig`` at the top (verified by audit
    against the council's public keys); a ``manifest.json`` in a subfolder is hashed like any
    file.  Links, FIFOs and devices are never opened (:func:`strays` reports them)."""
    folder = Path(folder)
    own = {folder / MANIFEST, folder / SIGNATURE}
    return {p.relative_to(folder).as_posix(): sha256_file(p)
            for p in sorted(folder.rglob("*")) if regular(p) and p not in own}


def strays(folder: Path, listed: set[str] | frozenset[str]) -> list[str]:
    """What a run folder holds besides regular files and the folders of the files ``listed``
    (relative paths: its outputs, its record and the files the record lists): links, FIFOs,
    devices, sockets and folders nothing listed is in, each with what it is.  Uses ``lstat``
    only: nothing is opened or followed."""
    folder = Path(folder)
    needed = {p for f in listed for p in Path(f).parents if p != Path(".")}
    out = []

    def walk(path: Path) -> None:
        try:
            entries = sorted(os.scandir(path), key=lambda e: e.name)
        except OSError:
            return
        for e in entries:
            rel = Path(e.path).relative_to(folder)
            mode = e.stat(follow_symlinks=False).st_mode
            if stat.S_ISDIR(mode):
                if rel not in needed:
                    out.append(f"{rel.as_posix()}/ (a folder the manifest lists nothing in)")
                walk(Path(e.path))
            elif not stat.S_ISREG(mode):
                out.append(f"{rel.as_posix()} ({file_kind(mode)}: a run folder holds regular "
                           "files only)")

    walk(folder)
    return out


def write_manifest(folder: Path, params, report_set: str, as_of: str, inputs, jobs,
                   self_contained: bool, council: dict | None = None,
                   started_at: str | None = None, seconds: float | None = None,
                   suppression=None) -> dict:
    """Write ``manifest.json``, the run's receipt, into ``folder``: :func:`build_manifest`
    and the SHA-256 of every output in ``folder``."""
    manifest = {**build_manifest(params, report_set, as_of, inputs, jobs, self_contained,
                                 council, started_at, seconds, suppression),
                "outputs": output_hashes(folder)}
    text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    (folder / MANIFEST).write_text(text, encoding="utf-8")
    return manifest


def build_manifest(params, report_set: str, as_of: str, inputs, jobs, self_contained: bool,
                   council: dict | None = None, started_at: str | None = None,
                   seconds: float | None = None, suppression=None) -> dict:
    """A run's manifest without its ``outputs``: what it is made from, known before any
    notebook runs (:mod:`kpilib.publish.fingerprint` compares it with a publication's).

    ``inputs`` is the store snapshot the report was built from (its catalogue, returns and
    source files); ``jobs`` the executed notebooks; ``council`` what the council settings
    held (:meth:`kpilib.render.branding.Council.record`); ``suppression`` the rules a public
    edition applied (:class:`kpilib.rules.suppression.Suppression`; None: internal).
    """
    catalogue, returns = inputs.catalogue, inputs.returns
    notebooks = {j.notebook.label: j.notebook.path for j in jobs}
    manifest = {
        "manifest_format": FORMAT,
        "parameters": {"period": params.period, "report": report_set, "store": params.store,
                       "as_of": as_of, "output_dir": params.output_dir,
                       "self_contained": self_contained, "params_file": params.source,
                       "council": params.council,
                       "loads_through": getattr(inputs, "loads_through", None),
                       "edition": getattr(params, "edition", "internal"),
                       **({"pdf": True} if getattr(params, "pdf", False) else {})},
        "edition": {"name": getattr(params, "edition", "internal"),
                    **({"suppression": suppression.record()} if suppression else {})},
        "as_of": as_of,
        "run": {"recorded_at": started_at or utc_now(), "seconds": seconds},
        "data": {
            **data_digests(catalogue, returns),
            **({"reads": inputs.reads} if getattr(inputs, "reads", None) else {}),
            **view_data(report_set),
            "sources": [{k: s[k] for k in ("kind", "source_file", "sha256", "loaded_at")}
                        for s in inputs.sources],
            **extras_data(getattr(inputs, "extras", {})),
        },
        "council": council or {},
        "code": {"kpilib_version": __version__, **git_info()},
        "environment": environment(),
        "notebooks": {label: sha256_file(path) for label, path in sorted(notebooks.items())},
        "templates": project_templates(next((getattr(j, "home", "") for j in jobs), "")),
        "pages": [{"file": f"{j.stem}.html", "notebook": j.notebook.label, "section": j.section}
                  for j in jobs],
    }
    return manifest


def view_data(report_set: str) -> dict:
    """A view's filter (``data.view``: which KPIs it shows), so that a changed filter is a
    changed input; nothing for a report type that is not a view."""
    view = registry.get(report_set).view if report_set in registry.names() else {}
    return {"view": {col: list(values) for col, values in view.items()}} if view else {}


def extras_data(extras: dict) -> dict:
    """The fingerprint and row count of each other load kind a report read (programmes,
    comparators: a report type's ``reads``); nothing for a report that reads none."""
    out = {}
    for kind, frame in sorted(extras.items()):
        spec = LOAD_KINDS[kind]
        if not len(frame) and not spec.recorded_when_empty:
            continue
        out[f"{kind}_sha256"] = frame_digest(frame, list(spec.columns), list(spec.key))
        out[f"{kind}_rows"] = int(len(frame))
    return out


def project_templates(root: str | Path | None) -> dict[str, str]:
    """SHA-256 of every template the council overrides (``templates/`` in its home ``root``,
    :mod:`kpilib.settings.home`; None or "": no home, none); the package's own are covered by
    ``code``."""
    base = Path(root or ".") / PROJECT_TEMPLATES
    if not root or not base.is_dir():
        return {}
    return {f"project:{PROJECT_TEMPLATES}/{p.relative_to(base).as_posix()}": sha256_file(p)
            for p in sorted(base.rglob("*")) if p.is_file()}


def read_manifest(folder: Path) -> dict:
    """The manifest of a run folder, checked for the fields audit relies on."""
    path = Path(folder) / MANIFEST
    if os.path.lexists(path) and not regular(path):
        raise AuditError(f"{path}: is {file_kind(os.lstat(path).st_mode)}, not a regular file; "
                         "the run folder was tampered with")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AuditError(f"{folder}: no {MANIFEST}; is this a kpi run folder?") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise AuditError(f"{path}: not valid JSON ({e}); the manifest has been damaged") from None
    except OSError as e:
        raise AuditError(f"{path}: cannot be read ({e.strerror or e})") from None
    return checked_manifest(manifest, path)


def checked_manifest(manifest, path: Path) -> dict:
    """``manifest`` (parsed from ``path``) when it holds the fields audit relies on."""
    problems = _shape_problems(manifest)
    if problems:
        raise AuditError(f"{path}: the manifest has been damaged: " + "; ".join(problems))
    return manifest


_TEXT_PARAMETERS = ("as_of", "output_dir", "params_file", "council", "edition")


def _shape_problems(m) -> list[str]:
    if not isinstance(m, dict):
        return [f"expected a JSON object, got {type(m).__name__}"]
    out = []
    p = m.get("parameters")
    if not isinstance(p, dict):
        out.append("no 'parameters' object")
    else:
        out += [f"parameters.{k} missing or not text" for k in ("period", "report", "store")
                if not isinstance(p.get(k), str)]
        # what audit, export and revisions read besides: text or null, a whole number, true
        # or false (a council file named by a number stopped a whole tree's audit)
        out += [f"parameters.{k} is not text" for k in _TEXT_PARAMETERS
                if p.get(k) is not None and not isinstance(p.get(k), str)]
        bound = p.get("loads_through")
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int)):
            out.append("parameters.loads_through is not a whole number")
        out += [f"parameters.{k} is not true or false" for k in ("self_contained", "pdf")
                if p.get(k) is not None and not isinstance(p.get(k), bool)]
        out += [f"parameters.{k} holds a NUL character" for k in ("store", *_TEXT_PARAMETERS)
                if isinstance(p.get(k), str) and "\x00" in p[k]]
    if not isinstance(m.get("as_of"), str):
        out.append("no 'as_of' moment")
    if not isinstance(m.get("council") or {}, dict):
        out.append("'council' is not an object")
    outputs = m.get("outputs")
    if not isinstance(outputs, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in outputs.items()):
        out.append("no 'outputs' object of file -> SHA-256")
    if not isinstance(m.get("data", {}), dict):
        out.append("'data' is not an object")
    return out
