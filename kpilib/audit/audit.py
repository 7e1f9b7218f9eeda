"""``kpi audit``: every published report can be re-executed and proved identical,
however the data has been revised since.

* :func:`audit_run` checks the published files against the run's manifest
  (tampering), the manifest against the store's ledger and its signature against
  the council's public keys, re-executes the run (same parameters, same ``as_of``)
  in a temporary folder and compares every output's SHA-256.  When outputs
  differ and the program (kpilib's version or commit, the packages, Python) is
  not the one the manifest records, the verdict says so and points to
  ``--recorded-env``.
* :func:`audit_recorded` makes the same checks but re-executes with the program
  that published the run (:mod:`kpilib.audit.recorded`).
* :func:`audit_tree` audits every run folder under a directory, in parallel.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from kpilib import __version__
from kpilib.audit import layers, recorded
from kpilib.audit.anchors import Anchors, anchor
from kpilib.audit.benchmarking import audit_benchmarking
from kpilib.errors import AuditError, KpiError
from kpilib.publish import additions
from kpilib.publish.changes import results_changes
from kpilib.publish.manifest import (
    MANIFEST,
    SIGNATURE,
    data_digests,
    environment,
    git_info,
    output_hashes,
    read_manifest,
    regular,
    sha256_file,
    strays,
)
from kpilib.publish.placement import place_of, placement_problems
from kpilib.publish.publish import read_manifest_json
from kpilib.publish.signing import verify_run
from kpilib.rules.names import visible
from kpilib.rules.periods import fy_months, fy_quarters
from kpilib.run.benchmarking import is_benchmarking
from kpilib.run.kpi_set import REPORT as CHANGES
from kpilib.run.kpi_set import run_changes
from kpilib.run.runner import prepare_workers, run_report, worker_pool
from kpilib.settings.council import load_signing
from kpilib.settings.params import RunParams
from kpilib.store import additions_of, open_store, publications_of
from kpilib.store.kinds import extra_kinds


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
    signature: str = ""  # "signature valid (key ...)"
    signature_failed: str = ""  # an invalid, unverifiable or missing required signature
    program_change: str = ""  # the program re-executing is not the one that published
    program: str = ""  # with --recorded-env: which program re-executed the run
    recorded_lines: list[str] = field(default_factory=list)  # that program's own findings
    recorded_ok: bool = True
    notes: list[str] = field(default_factory=list)  # e.g. where the recorded environment is
    additions: list[str] = field(default_factory=list)  # what no longer holds of additions.jsonl
    signoffs: list[str] = field(default_factory=list)  # who signed, when, what changed since
    untrusted: list[str] = field(default_factory=list)  # what the manifest names, not trusted
    manifest_sha256: str = ""  # of the manifest checked: the verdict is bound to it
    replaced: str = ""  # the folder's manifest changed during the audit
    misplaced: list[str] = field(default_factory=list)  # swapped or rolled back (the ledger)
    anchors: Anchors = field(default_factory=Anchors)  # the store and settings trusted

    @property
    def failed_checks(self) -> bool:
        """Anything besides the re-executed outputs that fails the audit."""
        return bool(self.tampered or self.missing or self.data_changes or self.signature_failed
                    or self.additions or self.untrusted or self.replaced or self.misplaced
                    or self.error)

    def verdict(self) -> str:
        if self.error:
            return "FAILED"
        if self.identical:
            return f"identical ({self.program})" if self.program else "identical"
        if self.program_change and self.differing and not self.failed_checks:
            return f"differs; {self.program_change}: re-run with --recorded-env"
        return f"DIFFERENT ({self.program})" if self.program else "DIFFERENT"

    def lines(self) -> list[str]:
        out = [f"{self.folder}: {self.verdict()}"]
        out += [f"  untrusted: {u}" for u in self.untrusted]
        if self.replaced:
            out.append(f"  replaced: {self.replaced}")
        out += [f"  {m}" for m in self.misplaced]
        if self.signature:
            out.append(f"  {self.signature}")
        if self.signature_failed:
            out.append(f"  signature: {self.signature_failed}")
        out += [f"  tampered: {f} does not match its hash in the manifest" for f in self.tampered]
        out += [f"  missing: {f}" for f in self.missing]
        out += [f"  tampered: {a}" for a in self.additions]
        out += [f"  {s}" for s in self.signoffs]
        out += [f"  data: {d}" for d in self.data_changes]
        out += [f"  differs on re-execution: {f}" for f in self.differing]
        out += [f"  results.csv {c['ref']} {c['breakdown'] or 'total'} {c['column']} "
                f"{c['field']}: published {c['before']!r}, now {c['after']!r}"
                for c in self.value_changes]
        out += [ln for ln in self.recorded_lines if ln not in out]
        out += [f"  note: {n}" for n in self.notes]
        out += [f"  warning: {w}" for w in self.warnings]
        if self.error:
            out.append(f"  error: {self.error}")
        return [visible(line) for line in out]  # record text: never a line or escape of its own


def _part(manifest: dict, key: str) -> dict:
    value = manifest.get(key)
    return value if isinstance(value, dict) else {}


def _package_changes(manifest: dict, skip: tuple[str, ...] = ()) -> list[str]:
    then = _part(_part(manifest, "environment"), "packages")
    now = environment()["packages"]
    return [f"{n} {then[n]} -> {now.get(n, 'not installed')}" for n in sorted(then)
            if now.get(n) != then[n] and n not in skip]


def _environment_warnings(manifest: dict) -> list[str]:
    warnings = []
    changed = _package_changes(manifest)
    if changed:
        warnings.append("installed packages differ from the manifest's: " + ", ".join(changed))
    py = _part(manifest, "environment").get("python")
    if py and py != environment()["python"]:
        warnings.append(f"Python {py} -> {environment()['python']}")
    code = _part(manifest, "code")
    g = git_info()
    if code.get("commit") and g.get("commit") and code["commit"] != g["commit"]:
        warnings.append(f"code commit differs: run at {code['commit'][:12]}, now "
                        f"{g['commit'][:12]}")
    if g.get("dirty"):
        warnings.append("the code has uncommitted changes")
    return warnings


def program_change(manifest: dict) -> str:
    """How the program re-executing differs from the one that published the run ("" when
    it is the same): ``published with kpilib X at commit C, re-executed with ...``."""
    code = _part(manifest, "code")
    now = {"kpilib_version": __version__, **git_info()}
    code_differs = (code.get("kpilib_version") != now["kpilib_version"]
                    or code.get("commit") != now["commit"]
                    or bool(code.get("dirty")) or bool(now["dirty"]))
    packages = _package_changes(manifest, skip=(recorded.SELF,))
    py = _part(manifest, "environment").get("python")
    py_differs = bool(py) and py != environment()["python"]
    if not (code_differs or packages or py_differs):
        return ""
    text = f"published with {recorded.describe(code)}, re-executed with {recorded.describe(now)}"
    extras = []
    if packages:
        more = f" and {len(packages) - 3} more" if len(packages) > 3 else ""
        extras.append("packages " + ", ".join(packages[:3]) + more)
    if py_differs:
        extras.append(f"Python {py} -> {environment()['python']}")
    return text + (f" ({'; '.join(extras)})" if extras else "")


def check_published(folder: Path, manifest: dict,
                    listed: set[str] | frozenset[str] = frozenset()) -> tuple[list[str], list[str]]:
    """Files of the published folder whose hash differs from the manifest, and missing ones;
    a file neither the manifest nor the additions record (``listed``) lists is tampering."""
    recorded = manifest.get("outputs", {})
    actual = output_hashes(folder)
    tampered = sorted(f for f in recorded if f in actual and actual[f] != recorded[f])
    tampered += sorted(f"{f} (not in the manifest nor in {additions.ADDITIONS})"
                       for f in actual if f not in recorded and f not in listed)
    missing = sorted(f for f in recorded if f not in actual)
    return tampered, missing


def _ledger_check(res: AuditResult, folder: Path, manifest: dict, store: str) -> None:
    """The manifest must be one the store's ledger recorded when the run was published, at
    this folder's place, and (a current folder) not since replaced there."""
    digest = sha256_file(folder / MANIFEST)
    try:
        s = open_store(store)
        ledger = publications_of(s)
    except KpiError as e:
        res.warnings.append(f"the ledger of publications could not be read: {e}")
        return
    res.misplaced = placement_problems(folder, manifest, digest, ledger)
    res.additions += additions.anchor_problems(folder, additions_of(s, digest))
    if (ledger["manifest_sha256"] == digest).any():
        return
    if manifest.get("manifest_format", 1) < 2:
        res.warnings.append("published before kpilib kept a ledger of publications: the "
                            "manifest itself cannot be verified")
        return
    res.tampered.append(f"{MANIFEST} (its SHA-256 {digest[:12]}... is not in the ledger of "
                        f"publications of store {store}: the manifest was edited after "
                        "publication, or the run was not published from this store)")


def _signature_check(res: AuditResult, folder: Path, council: str | None) -> None:
    """The manifest's signature against the council's public keys (``council.yaml``)."""
    try:
        settings = load_signing(council)
    except KpiError as e:
        if (folder / SIGNATURE).exists():
            res.warnings.append(f"the signature cannot be verified: {e}")
        return
    verdict = verify_run(folder, settings)
    if verdict is None:
        return
    res.warnings += verdict.warnings
    if verdict.ok:
        res.signature = verdict.line
    else:
        res.signature_failed = verdict.line


def _data_changes(manifest: dict, again: dict, store: str) -> list[str]:
    """The data hashes of the re-execution against the manifest's: rows edited in place.
    A manifest without ``data.reads`` fingerprinted every row of the store as of the run
    (before runs read only their report's rows): those are read again to compare."""
    out = []
    if again.get("data", {}).get("reads") and not manifest.get("data", {}).get("reads"):
        bound = _bound(manifest["parameters"].get("loads_through"))
        snap = open_store(store).snapshot(manifest["as_of"], bound)
        again = {**again, "data": {**again["data"],
                                   **data_digests(snap.catalogue, snap.returns)}}
    for kind in ("catalogue", "returns", *extra_kinds()):
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


def _published_checks(folder: Path, store: str | None, council: str | None = None
                      ) -> tuple[AuditResult, dict | None]:
    """What is checked before any re-execution: the manifest can be read, what it names is
    the auditor's (:mod:`kpilib.audit.anchors`), the published files match it, it is in the
    store's ledger, and its signature (where signed) against the council's keys."""
    res = AuditResult(folder)
    try:
        res.manifest_sha256 = sha256_file(folder / MANIFEST) if regular(folder / MANIFEST) \
            else ""
        manifest = read_manifest(folder)
    except AuditError as e:
        res.error = str(e)
        return res, None
    anchors = res.anchors = anchor(manifest, store, council)
    res.untrusted = list(anchors.untrusted)
    if anchors.error:
        res.error = anchors.error
        return res, None
    files, entries = layers.listed(folder)
    res.tampered, res.missing = check_published(folder, manifest, files)
    res.tampered += strays(folder, {*manifest.get("outputs", {}), MANIFEST, SIGNATURE, *files})
    res.additions = additions.problems(folder)
    res.signoffs = layers.signoff_lines(folder, entries or [], res.tampered + res.missing)
    _ledger_check(res, folder, manifest, anchors.store)
    _signature_check(res, folder, anchors.council)
    return res, manifest


def audit_run(folder: Path, pool=None, store: str | None = None,
              council: str | None = None) -> AuditResult:
    """Check a published run against its manifest and the store's ledger, re-execute it from
    the manifest, and compare the data read and every output."""
    folder = Path(folder)
    raw = read_manifest_json(folder)
    if is_benchmarking(raw):  # a fleet's benchmarking report: re-composed from its inputs
        return audit_benchmarking(folder, raw, AuditResult(folder))
    res, manifest = _published_checks(folder, store, council)
    anchors = res.anchors
    if manifest is None:
        return res
    res.warnings = _environment_warnings(manifest)
    p = manifest["parameters"]
    store = anchors.store
    with tempfile.TemporaryDirectory(prefix="kpi-audit-") as tmp:
        params = RunParams(p["period"], p["report"], store, manifest["as_of"], tmp,
                           p.get("params_file", "<manifest>"), anchors.run_council,
                           p.get("edition") or "internal", pdf=p.get("pdf") is True)
        own_pool = pool is None
        if own_pool:
            prepare_workers()
            pool = worker_pool()
        try:
            rerun = run_changes if p["report"] == CHANGES else run_report
            summary = rerun(params, p["report"], manifest["as_of"], pool, None,
                                 bool(p.get("self_contained")), record=False,
                                 loads_through=_bound(p.get("loads_through")))
        except KpiError as e:  # the re-execution itself failed: that is the verdict
            res.error = f"re-execution failed: {e}"
            return res
        finally:
            if own_pool:
                pool.shutdown()
        again = output_hashes(summary.folder)
        rerun_manifest = read_manifest(summary.folder)
        res.data_changes = _data_changes(manifest, rerun_manifest, store)
        recorded = manifest.get("outputs", {})
        res.differing = sorted(f for f in recorded if again.get(f) != recorded[f])
        res.differing += sorted(f"{f} (new)" for f in again if f not in recorded)
        res.differing += template_changes(manifest.get("templates") or {},
                                          rerun_manifest.get("templates") or {})
        published = folder / "results.csv"
        if regular(published) and sha256_file(published) != again.get("results.csv"):
            res.value_changes = results_changes(published, summary.folder / "results.csv")
    if res.differing:
        res.program_change = program_change(manifest)
    _still_the_manifest(res)
    res.identical = not (res.failed_checks or res.differing)
    return res


def template_changes(recorded: dict, now: dict) -> list[str]:
    """The council's template overrides (``templates/`` in its home, hashed in the manifest)
    that differ from the run's, each named: changed, removed or added since the run."""
    out = [f"{name} (template override {'changed' if name in now else 'removed'} since the "
           "run)" for name in sorted(recorded) if now.get(name) != recorded[name]]
    return out + [f"{name} (template override added since the run)"
                  for name in sorted(now) if name not in recorded]


def _still_the_manifest(res: AuditResult) -> None:
    """The verdict is about the manifest checked: when the folder holds another one by the
    end (published again meanwhile), say so; nothing is recorded on the new one."""
    path = res.folder / MANIFEST
    now = sha256_file(path) if regular(path) else "(none)"
    if res.manifest_sha256 and now != res.manifest_sha256:
        res.replaced = (f"{MANIFEST} changed during the audit (sha256 "
                        f"{res.manifest_sha256[:12]}… checked, {now[:12]}… now): the folder "
                        "holds another publication, which was not audited; nothing was "
                        "recorded on it")


RECORDED_FAILURES = ("  tampered:", "  missing:", "  data:", "  differs on re-execution:",
                     "  results.csv", "  error:")
OWN_CHECKS = ("  signature", "  untrusted:")  # made by this program, with its own anchors


def _added_file_line(line: str, files: set[str]) -> bool:
    """``  tampered: <file> (not in the manifest...)`` for a file the additions list."""
    return any(line.startswith(f"  tampered: {f} (not in the manifest") for f in files)


def audit_recorded(folder: Path, store: str | None = None,
                   council: str | None = None) -> AuditResult:
    """As :func:`audit_run`, re-executing with the program that published the run: the
    manifest's kpilib commit and package versions (:mod:`kpilib.audit.recorded`), against
    the auditor's store (never the one the manifest names, unless it is that one)."""
    folder = Path(folder)
    res, manifest = _published_checks(folder, store, council)
    anchors = res.anchors
    if manifest is None:
        return res
    code = _part(manifest, "code")
    try:
        plan = recorded.recorded_plan(manifest)
        env = recorded.ensure_environment(plan, recorded.repository(plan.commit))
        exit_code, out, err = recorded.inner_audit(env, folder, anchors.store)
    except AuditError as e:
        res.error = f"--recorded-env: {e}"
        return res
    res.program = (f"re-executed with {recorded.describe({**code, 'dirty': False})} in the "
                   "recorded environment")
    if code.get("dirty"):
        res.warnings.append("the run was published from a tree with uncommitted changes: "
                            "re-executed at its commit, without them")
    res.warnings += list(env.notes)
    res.notes.append(f"recorded environment {env.root}: " + (
        "this interpreter, whose packages are the recorded versions, with kpilib from the "
        "worktree" if env.reused else "a virtualenv with the recorded package versions"))
    if env.reused and plan.extra:
        res.warnings.append(f"this interpreter was reused (every recorded package at its "
                            f"version); it also has {len(plan.extra)} package(s) the run did "
                            f"not: {', '.join(plan.extra[:5])}")
    lines = out.splitlines()
    head = next((ln for ln in lines if ln.startswith(f"{folder}: ")), None)
    if exit_code not in (0, 1) or head is None:
        tail = " ".join((err or out).strip().splitlines()[-3:])
        res.error = f"the recorded program's audit failed (exit {exit_code}): {tail}"
        return res
    files, _ = layers.listed(folder)
    # an older program takes the files the additions record lists for tampering
    res.recorded_lines = [ln for ln in lines if ln.startswith("  ")
                          and not _added_file_line(ln, files) and not ln.startswith(OWN_CHECKS)]
    res.recorded_ok = (exit_code == 0 and head.endswith(": identical")) or (
        not any(ln.startswith(RECORDED_FAILURES) for ln in res.recorded_lines)
        and any(_added_file_line(ln, files) for ln in lines))
    _still_the_manifest(res)
    res.identical = res.recorded_ok and not res.failed_checks
    return res


TREE_DEPTH = 5  # <council>/<period>/<report>.superseded/<as_of>/manifest.json: the deepest
TREE_FOLDERS = 20_000  # folders an audit of a tree looks in, at most


def run_folders(root: Path) -> list[Path]:
    """Every run folder (one holding a manifest) at or under ``root``, an output tree: found
    within :data:`TREE_DEPTH` levels, never through a link, in hidden or ``.failed`` folders
    or inside a run folder, looking in at most :data:`TREE_FOLDERS` folders (the root of the
    file system, or a tree larger than that, is refused: it is not an output tree)."""
    root = Path(root)
    if (root / MANIFEST).is_file() and not (root / MANIFEST).is_symlink():
        return [root]
    if root.resolve() == Path(root.resolve().anchor or "/"):
        raise AuditError(f"{root}: is the root of the file system; give a run folder "
                         "(outputs/2024-02/core) or an output folder of runs (outputs)")
    found, seen, level = [], 0, [root]
    for _ in range(TREE_DEPTH):
        below = []
        for folder in level:
            seen += 1
            if seen > TREE_FOLDERS:
                raise AuditError(f"{root}: more than {TREE_FOLDERS:,} folders looked in "
                                 "without reaching the end: not an output folder of runs; give "
                                 "a run folder or an output folder (e.g. outputs)")
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError:
                continue
            for e in entries:
                if not e.is_dir(follow_symlinks=False) or e.name.startswith(".") \
                        or e.name.endswith(".failed"):
                    continue
                path = Path(e.path)
                if (path / MANIFEST).is_file() and not (path / MANIFEST).is_symlink():
                    found.append(path)
                else:
                    below.append(path)
        level = below
    return sorted(found)


def year_folders(root: Path, fy: str) -> list[Path]:
    """The current publications of financial year ``fy`` under the output folder ``root``:
    each month's and quarter's run folders (``<period>/<report>/``; superseded ones are
    audited by naming their period's folder)."""
    periods = {*fy_months(fy), *fy_quarters(fy)}
    found = [f for f in run_folders(root) if place_of(f)[2] and place_of(f)[0] in periods]
    if not found:
        raise AuditError(f"{root}: no publications of {fy} (no run folder of its months or "
                         "quarters holding a manifest)")
    return found


def audit_tree(root: Path, store: str | None = None, jobs: int = 2,
               recorded_env: bool = False, council: str | None = None,
               year: str | None = None) -> list[AuditResult]:
    """Audit every run under ``root`` (``year``: the current publications of that financial
    year, :func:`year_folders`): runs re-execute concurrently on one worker pool (each in its
    recorded environment, one after another, with ``recorded_env``)."""
    folders = year_folders(root, year) if year else run_folders(root)
    if not folders:
        raise AuditError(f"{root}: no run folders (no {MANIFEST}) found")
    if recorded_env:
        return [audit_recorded(f, store, council) for f in folders]
    prepare_workers()
    with worker_pool() as pool, cf.ThreadPoolExecutor(max_workers=max(1, jobs)) as threads:
        return list(threads.map(lambda f: audit_run(f, pool, store, council), folders))
