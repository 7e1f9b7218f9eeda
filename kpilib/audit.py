"""Audit: every published report carries a receipt (``manifest.json``) and can be
re-executed and proved identical, however the data has been revised since.

* :func:`write_manifest` is called by every run, last, in the staging folder.
* :func:`audit_run` re-executes a run from its manifest (same parameters, same
  ``as_of``) in a temporary folder and compares every output's SHA-256; it
  also checks the published files against the manifest (tampering).
* :func:`audit_tree` audits every run folder under a directory, in parallel.
* :func:`published_revisions` lists the values of a published report that
  have been revised in the store since.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import io
import json
import platform
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pandas as pd

from . import __version__
from .errors import AuditError, KpiError
from .params import RunParams

MANIFEST = "manifest.json"
FORMAT = 1
CATALOGUE_KEY = ["year", "ref", "breakdown"]
RETURN_COLUMNS = ["ref", "period", "breakdown", "value", "numerator", "denominator", "status",
                  "commentary"]


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


def _canon(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float):
        return repr(v)
    return str(v)


def git_info(root: Path | None = None) -> dict:
    """The code's git commit and whether the tree had uncommitted changes."""
    root = root or Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        status = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--",
                                 "kpilib", "notebooks", "pyproject.toml"],
                                capture_output=True, text=True, timeout=10, check=True).stdout
        return {"commit": commit, "dirty": bool(status.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def environment() -> dict:
    """Python version and the exact version of every installed package."""
    pkgs = {}
    for d in metadata.distributions():
        name = d.metadata.get("Name")
        if name:
            pkgs[name.lower().replace("_", "-")] = d.version
    return {"python": sys.version.split()[0], "implementation": platform.python_implementation(),
            "platform": platform.platform(), "packages": dict(sorted(pkgs.items()))}


def output_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file of a run folder except the manifest, by relative path."""
    return {p.relative_to(folder).as_posix(): sha256_file(p)
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != MANIFEST}


def write_manifest(folder: Path, params: RunParams, report_set: str, as_of: str, report,
                   jobs, self_contained: bool, started_at: str | None = None,
                   seconds: float | None = None) -> dict:
    """Write ``manifest.json``, the run's receipt, into ``folder``."""
    from .runner import notebook_path
    from .store import utc_now

    catalogue, returns = report.meta["inputs"]
    notebooks = sorted({j.notebook for j in jobs})
    manifest = {
        "manifest_format": FORMAT,
        "parameters": {"period": params.period, "report": report_set, "store": params.store,
                       "as_of": as_of, "output_dir": params.output_dir,
                       "self_contained": self_contained, "params_file": params.source},
        "as_of": as_of,
        "run": {"recorded_at": started_at or utc_now(), "seconds": seconds},
        "data": {
            "catalogue_sha256": frame_digest(catalogue, list(catalogue.columns), CATALOGUE_KEY),
            "catalogue_rows": int(len(catalogue)),
            "returns_sha256": frame_digest(returns, RETURN_COLUMNS, ["ref", "period", "breakdown"]),
            "returns_rows": int(len(returns)),
            "sources": [{k: s[k] for k in ("kind", "source_file", "sha256", "loaded_at")}
                        for s in report.meta.get("sources", [])],
        },
        "code": {"kpilib_version": __version__, **git_info()},
        "environment": environment(),
        "notebooks": {n: sha256_file(notebook_path(n)) for n in notebooks},
        "pages": [{"file": f"{j.stem}.html", "notebook": j.notebook, "section": j.section}
                  for j in jobs],
        "outputs": output_hashes(folder),
    }
    text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    (folder / MANIFEST).write_text(text, encoding="utf-8")
    return manifest


def read_manifest(folder: Path) -> dict:
    path = Path(folder) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AuditError(f"{folder}: no {MANIFEST}; is this a kpi run folder?") from None
    except json.JSONDecodeError as e:
        raise AuditError(f"{path}: not valid JSON ({e}); the manifest has been damaged") from None


@dataclass
class AuditResult:
    folder: Path
    identical: bool = False
    tampered: list[str] = field(default_factory=list)  # published files not as the manifest says
    differing: list[str] = field(default_factory=list)  # re-executed files that differ
    missing: list[str] = field(default_factory=list)
    value_changes: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str = ""

    def lines(self) -> list[str]:
        head = "identical" if self.identical else "DIFFERENT" if not self.error else "FAILED"
        out = [f"{self.folder}: {head}"]
        out += [f"  tampered: {f} does not match its hash in the manifest" for f in self.tampered]
        out += [f"  missing: {f}" for f in self.missing]
        out += [f"  differs on re-execution: {f}" for f in self.differing]
        out += [f"  results.csv {c['ref']} {c['breakdown'] or 'total'} {c['column']} "
                f"{c['field']}: published {c['published']!r}, now {c['now']!r}"
                for c in self.value_changes]
        out += [f"  warning: {w}" for w in self.warnings]
        if self.error:
            out.append(f"  error: {self.error}")
        return out


def _environment_warnings(manifest: dict) -> list[str]:
    warnings = []
    then = manifest.get("environment", {}).get("packages", {})
    now = environment()["packages"]
    changed = [f"{n} {then[n]} -> {now.get(n, 'not installed')}" for n in sorted(then)
               if now.get(n) != then[n]]
    if changed:
        warnings.append("installed packages differ from the manifest's: " + ", ".join(changed))
    py = manifest.get("environment", {}).get("python")
    if py and py != environment()["python"]:
        warnings.append(f"Python {py} -> {environment()['python']}")
    code = manifest.get("code", {})
    g = git_info()
    if code.get("commit") and g.get("commit") and code["commit"] != g["commit"]:
        warnings.append(f"code commit differs: run at {code['commit'][:12]}, now "
                        f"{g['commit'][:12]}")
    if g.get("dirty"):
        warnings.append("the code has uncommitted changes")
    return warnings


def _results_changes(published: Path, now: Path) -> list[dict]:
    key = ["ref", "breakdown", "column"]
    a = pd.read_csv(published, dtype=str, keep_default_na=False)
    b = pd.read_csv(now, dtype=str, keep_default_na=False)
    m = a.merge(b, on=key, how="outer", suffixes=("_pub", "_now"), indicator=True)
    changes = []
    for r in m.to_dict("records"):
        for f in ("value", "numerator", "denominator", "rag", "travel"):
            pub, cur = r.get(f"{f}_pub", ""), r.get(f"{f}_now", "")
            pub = "" if pub != pub else pub
            cur = "" if cur != cur else cur
            if pub != cur:
                changes.append({"ref": r["ref"], "breakdown": r["breakdown"],
                                "column": r["column"], "field": f, "published": pub, "now": cur})
    return changes


def check_published(folder: Path, manifest: dict) -> tuple[list[str], list[str]]:
    """Files of the published folder whose hash differs from the manifest, and missing ones."""
    recorded = manifest.get("outputs", {})
    actual = output_hashes(folder)
    tampered = sorted(f for f in recorded if f in actual and actual[f] != recorded[f])
    tampered += sorted(f"{f} (not in the manifest)" for f in actual if f not in recorded)
    missing = sorted(f for f in recorded if f not in actual)
    return tampered, missing


def audit_run(folder: Path, pool=None, store: str | None = None) -> AuditResult:
    """Re-execute a published run from its manifest and compare every output."""
    from .runner import prepare_workers, run_report, worker_pool

    folder = Path(folder)
    res = AuditResult(folder)
    try:
        manifest = read_manifest(folder)
    except AuditError as e:
        res.error = str(e)
        return res
    res.tampered, res.missing = check_published(folder, manifest)
    res.warnings = _environment_warnings(manifest)
    p = manifest["parameters"]
    with tempfile.TemporaryDirectory(prefix="kpi-audit-") as tmp:
        params = RunParams(p["period"], p["report"], store or p["store"], manifest["as_of"], tmp,
                           p.get("params_file", "<manifest>"))
        own_pool = pool is None
        if own_pool:
            prepare_workers()
            pool = worker_pool()
        try:
            summary = run_report(params, p["report"], manifest["as_of"], pool, None,
                                 bool(p.get("self_contained")))
        except KpiError as e:  # the re-execution itself failed: that is the verdict
            res.error = f"re-execution failed: {e}"
            return res
        finally:
            if own_pool:
                pool.shutdown()
        again = output_hashes(summary.folder)
        recorded = manifest.get("outputs", {})
        res.differing = sorted(f for f in recorded if again.get(f) != recorded[f])
        res.differing += sorted(f"{f} (new)" for f in again if f not in recorded)
        if "results.csv" in res.differing and (folder / "results.csv").exists():
            res.value_changes = _results_changes(folder / "results.csv",
                                                 summary.folder / "results.csv")
    if store and store != p["store"]:
        res.warnings.append(f"re-executed against store {store} instead of {p['store']}")
    res.identical = not (res.tampered or res.missing or res.differing or res.error)
    return res


def run_folders(root: Path) -> list[Path]:
    """Every run folder (one holding a manifest) at or under ``root``."""
    root = Path(root)
    if (root / MANIFEST).exists():
        return [root]
    return sorted(p.parent for p in root.rglob(MANIFEST)
                  if not any(part.startswith(".") or part.endswith(".failed")
                             for part in p.relative_to(root).parts[:-1]))


def audit_tree(root: Path, store: str | None = None, jobs: int = 2) -> list[AuditResult]:
    """Audit every run under ``root``: runs re-execute concurrently on one worker pool."""
    from .runner import prepare_workers, worker_pool

    folders = run_folders(root)
    if not folders:
        raise AuditError(f"{root}: no run folders (no {MANIFEST}) found")
    prepare_workers()
    with worker_pool() as pool, cf.ThreadPoolExecutor(max_workers=max(1, jobs)) as threads:
        return list(threads.map(lambda f: audit_run(f, pool, store), folders))


def shown_periods(period: str) -> set[str]:
    """Every month and quarter whose figures a report on ``period`` shows: its columns and
    its trend charts (the previous financial year and this one, up to the period)."""
    from .periods import fy_id, fy_months, fy_quarters, parse_fy, parse_period, quarter_of_month

    per = parse_period(period)
    last_month = per.months[-1]
    last_quarter = quarter_of_month(last_month)
    shown = set(fy_months(fy_id(parse_fy(per.fy) - 1)) + fy_quarters(fy_id(parse_fy(per.fy) - 1)))
    shown.update(m for m in fy_months(per.fy) if m <= last_month)
    shown.update(q for q in fy_quarters(per.fy) if q <= last_quarter)
    return shown


def published_revisions(folder: Path, store: str | None = None) -> pd.DataFrame:
    """Values shown in a published report that the store has revised since it was run."""
    from .notebook import _open_store
    manifest = read_manifest(Path(folder))
    p = manifest["parameters"]
    s = _open_store(store or p["store"])
    periods = shown_periods(p["period"])
    results = pd.read_csv(Path(folder) / "results.csv", dtype=str, keep_default_na=False) \
        if (Path(folder) / "results.csv").exists() else None
    refs = set(results["ref"]) if results is not None else None
    then = s.returns(as_of=manifest["as_of"])
    now = s.returns()
    key = ["ref", "period", "breakdown"]
    m = then.merge(now, on=key, how="right", suffixes=("_pub", ""))
    m = m[m["period"].isin(periods)]
    if refs is not None:
        m = m[m["ref"].isin(refs)]
    later = (m["loaded_at"] > manifest["as_of"]) & (
        m["loaded_at_pub"].isna() | (m["loaded_at"] != m["loaded_at_pub"]))
    differs = pd.Series(False, index=m.index)
    for c in ("value", "numerator", "denominator", "status"):
        a, b = m[f"{c}_pub"], m[c]
        differs |= ~((a == b) | (a.isna() & b.isna()))
    out = m[later & differs].copy()  # a later load of the same figures is not a revision
    cols = ["ref", "period", "breakdown", "value_pub", "value", "status_pub", "status",
            "loaded_at", "source_file"]
    out = out.loc[:, cols].rename(columns={
        "value_pub": "published_value", "value": "current_value", "status_pub": "published_status",
        "status": "current_status", "loaded_at": "revised_at"})
    return out.sort_values(key, kind="stable").reset_index(drop=True)
