"""``kpi audit``: every published report can be re-executed and proved identical,
however the data has been revised since.

* :func:`audit_run` checks the published files against the run's manifest
  (tampering), re-executes the run (same parameters, same ``as_of``) in a
  temporary folder and compares every output's SHA-256.
* :func:`audit_tree` audits every run folder under a directory, in parallel.
"""

from __future__ import annotations

import concurrent.futures as cf
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from kpilib.errors import AuditError, KpiError
from kpilib.run.changes import results_changes
from kpilib.run.manifest import (
    MANIFEST,
    environment,
    git_info,
    output_hashes,
    read_manifest,
    sha256_file,
)
from kpilib.run.params import RunParams
from kpilib.run.runner import prepare_workers, run_report, worker_pool
from kpilib.store import open_store, publications_of


@dataclass
class AuditResult:
    folder: Path
    identical: bool = False
    tampered: list[str] = field(default_factory=list)  # published files not as the manifest says
    differing: list[str] = field(default_factory=list)  # re-executed files that differ
    missing: list[str] = field(default_factory=list)
    value_changes: list[dict] = field(default_factory=list)
    data_changes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str = ""

    def lines(self) -> list[str]:
        head = "identical" if self.identical else "DIFFERENT" if not self.error else "FAILED"
        out = [f"{self.folder}: {head}"]
        out += [f"  tampered: {f} does not match its hash in the manifest" for f in self.tampered]
        out += [f"  missing: {f}" for f in self.missing]
        out += [f"  data: {d}" for d in self.data_changes]
        out += [f"  differs on re-execution: {f}" for f in self.differing]
        out += [f"  results.csv {c['ref']} {c['breakdown'] or 'total'} {c['column']} "
                f"{c['field']}: published {c['before']!r}, now {c['after']!r}"
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


def check_published(folder: Path, manifest: dict) -> tuple[list[str], list[str]]:
    """Files of the published folder whose hash differs from the manifest, and missing ones."""
    recorded = manifest.get("outputs", {})
    actual = output_hashes(folder)
    tampered = sorted(f for f in recorded if f in actual and actual[f] != recorded[f])
    tampered += sorted(f"{f} (not in the manifest)" for f in actual if f not in recorded)
    missing = sorted(f for f in recorded if f not in actual)
    return tampered, missing


def _ledger_check(res: AuditResult, folder: Path, manifest: dict, store: str) -> None:
    """The manifest must be one the store's ledger recorded when the run was published."""
    digest = sha256_file(folder / MANIFEST)
    try:
        s = open_store(store)
    except KpiError as e:
        res.warnings.append(f"the ledger of publications could not be read: {e}")
        return
    if not publications_of(s, digest).empty:
        return
    if manifest.get("manifest_format", 1) < 2:
        res.warnings.append("published before kpilib kept a ledger of publications: the "
                            "manifest itself cannot be verified")
        return
    res.tampered.append(f"{MANIFEST} (its SHA-256 {digest[:12]}... is not in the ledger of "
                        f"publications of store {store}: the manifest was edited after "
                        "publication, or the run was not published from this store)")


def _data_changes(manifest: dict, again: dict) -> list[str]:
    """The data hashes of the re-execution against the manifest's: rows edited in place."""
    out = []
    for kind in ("catalogue", "returns"):
        then = manifest.get("data", {}).get(f"{kind}_sha256")
        now = again.get("data", {}).get(f"{kind}_sha256")
        if then and now and then != now:
            out.append(f"the {kind} rows read as of {manifest['as_of']} are not those the run "
                       f"used (SHA-256 {then[:12]}... recorded, {now[:12]}... now): the store "
                       "was changed in place")
    return out


def _bound(value) -> int | None:
    """The run's recorded bound on loads (None before kpilib recorded one)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def audit_run(folder: Path, pool=None, store: str | None = None) -> AuditResult:
    """Check a published run against its manifest and the store's ledger, re-execute it from
    the manifest, and compare the data read and every output."""
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
    _ledger_check(res, folder, manifest, store or p["store"])
    with tempfile.TemporaryDirectory(prefix="kpi-audit-") as tmp:
        params = RunParams(p["period"], p["report"], store or p["store"], manifest["as_of"], tmp,
                           p.get("params_file", "<manifest>"), p.get("council"))
        own_pool = pool is None
        if own_pool:
            prepare_workers()
            pool = worker_pool()
        try:
            summary = run_report(params, p["report"], manifest["as_of"], pool, None,
                                 bool(p.get("self_contained")), record=False,
                                 loads_through=_bound(p.get("loads_through")))
        except KpiError as e:  # the re-execution itself failed: that is the verdict
            res.error = f"re-execution failed: {e}"
            return res
        finally:
            if own_pool:
                pool.shutdown()
        again = output_hashes(summary.folder)
        res.data_changes = _data_changes(manifest, read_manifest(summary.folder))
        recorded = manifest.get("outputs", {})
        res.differing = sorted(f for f in recorded if again.get(f) != recorded[f])
        res.differing += sorted(f"{f} (new)" for f in again if f not in recorded)
        published = folder / "results.csv"
        if published.exists() and sha256_file(published) != again.get("results.csv"):
            res.value_changes = results_changes(published, summary.folder / "results.csv")
    if store and store != p["store"]:
        res.warnings.append(f"re-executed against store {store} instead of {p['store']}")
    res.identical = not (res.tampered or res.missing or res.differing or res.error
                         or res.data_changes)
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
    folders = run_folders(root)
    if not folders:
        raise AuditError(f"{root}: no run folders (no {MANIFEST}) found")
    prepare_workers()
    with worker_pool() as pool, cf.ThreadPoolExecutor(max_workers=max(1, jobs)) as threads:
        return list(threads.map(lambda f: audit_run(f, pool, store), folders))
