"""Exports of a published run folder: a registry of formats (``pdf``, ``xlsx``), each a
builder of one file ``<report>-<period>.<format>`` inside the run folder.

``kpi export RUN --pdf --xlsx`` builds every asked format first (nothing is written if one
fails), then writes each file atomically (a hidden temporary file renamed into place) and
records it as an ``export`` addition (``format``) in the run's ``additions.jsonl``: the
published ``manifest.json`` never changes.  Exporting again replaces the file and records a
new addition; the record keeps the earlier ones (so audit reports an earlier export's file as
changed since it was added: the latest addition of a file is its current state).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kpilib import registry
from kpilib.clock import data_moment
from kpilib.errors import AuditError, RunError
from kpilib.rules.periods import parse_period
from kpilib.run import additions, outpaths, publish, signoff
from kpilib.run.manifest import MANIFEST, SIGNATURE, read_manifest, strays


@dataclass(frozen=True)
class RunFolder:
    """What an export knows of a run folder: its manifest, the files it holds."""

    path: Path
    manifest: dict
    store: str | None = None  # the store to read the catalogue from (default: the run's)

    @property
    def report(self) -> str:
        return self.manifest["parameters"]["report"]

    @property
    def period(self) -> str:
        return self.manifest["parameters"]["period"]

    @property
    def as_of(self) -> str:
        return self.manifest["as_of"]

    @property
    def data_as_of(self) -> str:
        """The data's moment: the latest load the run read (its manifest's sources)."""
        return data_moment(self.as_of, (self.manifest.get("data") or {}).get("sources") or ())

    def title(self) -> str:
        """The report's title as its pages show it (``Core KPIs``)."""
        titles = (self.manifest.get("council") or {}).get("titles") or {}
        try:
            default = registry.get(self.report).title
        except Exception:  # a report type no longer registered: its name
            default = self.report
        return titles.get(self.report) or default

    def period_label(self) -> str:
        return parse_period(self.period).label


@dataclass(frozen=True)
class Export:
    """One export format: ``build(run)`` returns the file's bytes (writing nothing)."""

    name: str
    help: str
    build: Callable[[RunFolder], bytes]


EXPORTS: dict[str, Export] = {}


def register(export: Export) -> Export:
    EXPORTS[export.name] = export
    return export


def file_name(report: str, period: str, fmt: str) -> str:
    return f"{report}-{period}.{fmt}"


def open_run(folder: str | Path, store: str | None = None) -> RunFolder:
    """A published run folder (a clear error when it is none)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RunError(f"{folder}: no such run folder")
    if not (folder / MANIFEST).is_file():
        raise RunError(f"{folder}: no {MANIFEST}; is this a kpi run folder?")
    try:
        manifest = read_manifest(folder)
        listed = additions.listed_files(folder)
    except AuditError as e:
        raise RunError(str(e)) from None
    stray = strays(folder, {*manifest.get("outputs", {}), MANIFEST, SIGNATURE, *listed})
    if stray:
        raise RunError(f"{folder}: holds what its manifest does not list, so nothing is "
                       "exported from it (run kpi audit): " + "; ".join(stray[:5])
                       + (f" and {len(stray) - 5} more" if len(stray) > 5 else ""))
    return RunFolder(folder, manifest, store)


def signoff_state(folder: str | Path) -> str:
    """The sign-off state of a run now, as a cover shows it: the latest ``signoff`` addition
    made for the current manifest decides; none approved: a draft."""
    folder = Path(folder)
    if not (folder / MANIFEST).is_file():
        return "Draft: not signed off"
    current = additions.manifest_sha256(folder)
    entries = [e for e in signoff.read_entries(folder) or [] if e["manifest_sha256"] == current]
    last = signoff.signoff_state(folder, entries).entry
    if last is None:
        return "Draft: not signed off"
    who = ", ".join(str(last[k]) for k in ("who", "role") if last.get(k))  # kpi signoff's
    if last.get("decision") == "approved":
        return f"Signed off by {who} on {last['at'][:10]}"
    return f"Draft: not signed off ({last.get('decision') or 'no decision'} by {who} on " \
           f"{last['at'][:10]})"


def export(folder: str | Path, formats: list[str], who: str,
           store: str | None = None) -> list[dict]:
    """Build the ``formats`` of a run folder, write them and record each; returns the
    additions recorded.  Nothing is written unless every format was built."""
    unknown = [f for f in formats if f not in EXPORTS]
    if unknown:
        raise RunError(f"unknown export format {', '.join(unknown)}; expected "
                       f"{' or '.join(sorted(EXPORTS))}")
    if not formats:
        raise RunError("nothing to export: name a format (" +
                       ", ".join(f"--{f}" for f in sorted(EXPORTS)) + ")")
    run = open_run(folder, store)
    published = [file_name(run.report, run.period, f) for f in formats
                 if file_name(run.report, run.period, f) in run.manifest.get("outputs", {})]
    if published:
        raise RunError(f"{run.path}: {', '.join(published)} is part of the published run (listed "
                       "in its manifest.json, made by pdf: true) and is never replaced; its "
                       "cover shows the state when the run was made")
    built = {fmt: EXPORTS[fmt].build(run) for fmt in dict.fromkeys(formats)}
    out = []
    for fmt, data in built.items():
        name = file_name(run.report, run.period, fmt)
        out.append(_write_recorded(run, name, data, who, fmt))
    return out


def _write_recorded(run: RunFolder, name: str, data: bytes, who: str, fmt: str) -> dict:
    """Write one export and record it, or neither: a file whose addition could not be
    recorded (a full disk) is taken back, the one it replaced put back."""
    target = run.path / name
    outpaths.output_file(target, "export")
    kept = target.with_name(f".{name}.kept") if target.is_file() else None
    if kept:
        os.replace(target, kept)
    try:
        publish.write_atomic(target, data)
        entry = additions.record(run.path, "export", who=who, file=name, format=fmt)
    except BaseException:
        if kept:
            os.replace(kept, target)
        else:
            target.unlink(missing_ok=True)
        raise
    if kept:
        kept.unlink(missing_ok=True)
    return entry


def _pdf(run: RunFolder) -> bytes:
    from kpilib.run.pdfpack import Pack, Part, build_pdf

    council = (run.manifest.get("council") or {}).get("name") or ""
    parts = tuple(Part(p["section"] or "Summary", p["file"]) for p in run.manifest["pages"])
    title = f"{run.title()}: {run.period_label()}"
    return build_pdf(run.path, Pack(council, title, run.period_label(), run.as_of,
                                    signoff_state(run.path), parts, run.data_as_of))


def _xlsx(run: RunFolder) -> bytes:
    from kpilib.run.workbook import build_workbook

    return build_workbook(run)


register(Export("pdf", "the committee pack: one A4 PDF (cover, contents, summary, sections)",
                _pdf))
register(Export("xlsx", "one Excel workbook: summary, one sheet per section, results.csv",
                _xlsx))
