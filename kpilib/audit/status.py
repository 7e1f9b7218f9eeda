"""``kpi status``: every publication under an output folder, and what each one changed.

A period's report is published at ``<output_dir>/<period>/<report>/``; when a later run
replaces it, the one it replaces is kept, whole, at
``<output_dir>/<period>/<report>.superseded/<as_of compact>/``.  For each period and
report this module lists the current publication and the superseded ones (each with its
manifest's ``as_of`` and ``run.recorded_at``, and whether the store's ledger of
publications recorded its manifest), and, for every publication that superseded another,
the figures of ``results.csv`` that changed (:func:`kpilib.publish.changes.results_changes`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from kpilib.errors import AuditError, KpiError
from kpilib.publish.additions import anchor_problems
from kpilib.publish.changes import results_changes
from kpilib.publish.library import EDITION
from kpilib.publish.manifest import MANIFEST, read_manifest, sha256_file
from kpilib.publish.placement import placement_problems
from kpilib.publish.signoff import NOT_AUDITED, NOT_SIGNED, State, audit_state, signoff_state
from kpilib.run.benchmarking import is_benchmarking
from kpilib.store import additions_of, open_store, publications_of
from kpilib.store.urls import project_store

SUPERSEDED = ".superseded"
NOT_SIGNED_STATE = State(NOT_SIGNED, NOT_SIGNED)
NOT_AUDITED_STATE = State(NOT_AUDITED, NOT_AUDITED)
RESULTS = "results.csv"


@dataclass
class Publication:
    """One published run folder, current or superseded."""

    folder: Path
    period: str
    report: str
    current: bool
    as_of: str | None = None
    recorded_at: str | None = None
    manifest_sha256: str | None = None
    store: str | None = None
    in_ledger: bool | None = None  # None: not known (the store or manifest cannot be read)
    note: str = ""  # why in_ledger is None
    supersedes: Path | None = None  # the publication this one replaced
    changes: list[dict] = field(default_factory=list)  # figures changed from ``supersedes``
    edition: str = EDITION  # the manifest's parameters.edition
    signoff: State = NOT_SIGNED_STATE  # the last sign-off in additions.jsonl
    audit: State = NOT_AUDITED_STATE  # the last verdict kpi audit recorded there
    place: list[str] = field(default_factory=list)  # swapped or rolled back (the ledger)

    @property
    def ledger(self) -> str:
        return {True: "recorded", False: "NOT RECORDED", None: "unknown"}[self.in_ledger]

    def as_dict(self) -> dict:
        return {"folder": self.folder.as_posix(), "as_of": self.as_of,
                "recorded_at": self.recorded_at, "manifest_sha256": self.manifest_sha256,
                "store": self.store, "in_ledger": self.in_ledger, "note": self.note,
                "supersedes": self.supersedes.as_posix() if self.supersedes else None,
                "changes": self.changes, "edition": self.edition,
                "signoff": self.signoff.as_dict(), "audit": self.audit.as_dict(),
                "place": self.place}


@dataclass
class Series:
    """Every publication of one period and report, oldest first (the current one last)."""

    period: str
    report: str
    publications: list[Publication]

    @property
    def current(self) -> Publication | None:
        last = self.publications[-1]
        return last if last.current else None

    @property
    def superseded(self) -> list[Publication]:
        return [p for p in self.publications if not p.current]

    def as_dict(self) -> dict:
        cur = self.current
        return {"period": self.period, "report": self.report,
                "current": cur.as_dict() if cur else None,
                "superseded": [p.as_dict() for p in reversed(self.superseded)]}


def _read(folder: Path, period: str, report: str, current: bool) -> Publication:
    pub = Publication(folder, period, report, current)
    try:
        manifest = read_manifest(folder)
    except AuditError as e:
        pub.note = str(e)
        return _benchmarking(pub) or pub
    pub.as_of = manifest["as_of"]
    run = manifest.get("run")
    pub.recorded_at = run.get("recorded_at") if isinstance(run, dict) else None
    pub.store = manifest["parameters"]["store"]
    pub.manifest_sha256 = sha256_file(folder / MANIFEST)
    pub.edition = str(manifest["parameters"].get("edition") or EDITION)
    pub.signoff, pub.audit = signoff_state(folder), audit_state(folder)
    return pub


def _benchmarking(pub: Publication) -> Publication | None:
    """A fleet's benchmarking report (its manifest has no run parameters: it is made from
    published runs, not a store, so it is in no ledger), said so; None for anything else."""
    try:
        manifest = json.loads((pub.folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not is_benchmarking(manifest):
        return None
    pub.as_of = str(manifest.get("as_of") or "") or None
    run = manifest.get("run")
    pub.recorded_at = run.get("recorded_at") if isinstance(run, dict) else None
    pub.note = ("a fleet's benchmarking report: in no store's ledger; kpi audit re-composes "
                "it from the runs it records")
    pub.signoff, pub.audit = signoff_state(pub.folder), audit_state(pub.folder)
    return pub


def _order(pub: Publication) -> tuple:
    """Publication order: superseded ones by when they were recorded, the current one last."""
    return (pub.current, pub.recorded_at or "", pub.as_of or "", pub.folder.name)


def series_at(folder: Path, period: str, report: str) -> Series:
    """The publications of one report: ``folder`` (``<period>/<report>``, which may no longer
    exist) and those kept in ``<report>.superseded/``, with their predecessors and changes."""
    pubs = []
    if (folder / MANIFEST).is_file():
        pubs.append(_read(folder, period, report, True))
    kept = folder.with_name(folder.name + SUPERSEDED)
    if kept.is_dir():
        pubs += [_read(d, period, report, False) for d in sorted(kept.iterdir())
                 if d.is_dir() and (d / MANIFEST).is_file()]
    pubs.sort(key=_order)
    for before, after in zip(pubs, pubs[1:], strict=False):
        after.supersedes = before.folder
        if (before.folder / RESULTS).is_file() and (after.folder / RESULTS).is_file():
            after.changes = results_changes(before.folder / RESULTS, after.folder / RESULTS)
    return Series(period, report, pubs)


def _series_folders(root: Path) -> list[tuple[str, str, Path]]:
    found = set()
    for period in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for d in period.iterdir():
            if not d.is_dir() or d.name.startswith(".") or d.name.endswith(".failed"):
                continue
            report = d.name.removesuffix(SUPERSEDED)
            found.add((period.name, report, period / report))
    return sorted(found)


def check_ledger(pubs: list[Publication], store: str | None = None) -> None:
    """Look each manifest up in the ledger of publications of ``store`` (default: the store
    its manifest names, when it is a file of the working folder: never one elsewhere on a
    manifest's word), reading each ledger once, and check each folder's place against it
    (:func:`~kpilib.publish.placement.placement_problems`: swapped, rolled back)."""
    ledgers: dict[str, object] = {}
    for pub in pubs:
        if pub.manifest_sha256 is None:
            continue
        name, why = (store, "") if store else project_store(pub.store or "", Path.cwd())
        if name is None:
            pub.note = f"{why}; give the store with --store"
            continue
        if name not in ledgers:
            try:
                opened = open_store(name)
                ledgers[name] = (opened, publications_of(opened))
            except KpiError as e:
                ledgers[name] = e
        if isinstance(ledgers[name], KpiError):
            pub.note = f"the ledger of store {name} cannot be read: {ledgers[name]}"
            continue
        opened, rows = ledgers[name]
        pub.store = name
        pub.in_ledger = bool((rows["manifest_sha256"] == pub.manifest_sha256).any())
        try:
            pub.place = placement_problems(pub.folder, read_manifest(pub.folder),
                                           pub.manifest_sha256, rows)
            pub.place += anchor_problems(pub.folder, additions_of(opened, pub.manifest_sha256))
        except AuditError:
            pub.place = []


def library(output_dir: Path, period: str | None = None, report: str | None = None,
            store: str | None = None) -> list[Series]:
    """Every period and report published under ``output_dir`` (only ``period`` and ``report``
    when given), by period then report, each manifest looked up in the ledger."""
    root = Path(output_dir)
    if not root.is_dir():
        raise AuditError(f"{root}: no such folder (give the output folder, e.g. outputs)")
    if (root / MANIFEST).is_file():
        raise AuditError(f"{root} is a run folder: give the output folder it is in, e.g. "
                         f"{root.parent.parent}")
    out = [series_at(folder, p, r) for p, r, folder in _series_folders(root)
           if (period is None or p == period) and (report is None or r == report)]
    out = [s for s in out if s.publications]
    check_ledger([p for s in out for p in s.publications], store)
    return out


def changes_from_previous(folder: Path) -> tuple[Publication, list[dict]] | None:
    """The publication ``folder`` superseded and the figures that changed since it, or
    ``None`` when it superseded none.

    ``folder`` is a current run folder (``outputs/2024-25-Q1/service``) or a kept one
    (``outputs/2024-25-Q1/service.superseded/20240715T000000000000Z``).
    """
    folder = Path(folder)
    base = folder
    if folder.parent.name.endswith(SUPERSEDED):
        base = folder.parent.with_name(folder.parent.name.removesuffix(SUPERSEDED))
    pubs = series_at(base, base.parent.name, base.name).publications
    for before, after in zip(pubs, pubs[1:], strict=False):
        if after.folder.resolve() == folder.resolve():
            return before, after.changes
    return None
