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

import json
import os
import re
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kpilib import registry
from kpilib.clock import data_moment
from kpilib.errors import AuditError, RunError
from kpilib.io import outpaths
from kpilib.plugins import PluginError, Registry
from kpilib.publish import additions, publish, signoff
from kpilib.publish.manifest import MANIFEST, SIGNATURE, checked_manifest, sha256_bytes, strays
from kpilib.rules.periods import parse_period


@dataclass(frozen=True)
class RunFolder:
    """One publication, read whole: its manifest and every output it lists (checked against
    the manifest's SHA-256s) and its additions record, all read from the one folder
    :func:`open_run` resolved, whatever is published at its path meanwhile."""

    path: Path
    manifest: dict
    store: str | None = None  # the store to read the catalogue from (default: the run's)
    files: dict[str, bytes] = field(default_factory=dict)  # output -> its bytes
    manifest_sha256: str = ""
    entries: tuple[dict, ...] = ()  # its additions when it was read

    @property
    def report(self) -> str:
        return self.manifest["parameters"]["report"]

    @property
    def period(self) -> str:
        return self.manifest["parameters"]["period"]

    @property
    def as_of(self) -> str:
        return self.manifest["as_of"]

    def read_text(self, name: str) -> str:
        """An output of the publication, as read (never from the folder again)."""
        if name not in self.files:
            raise RunError(f"{self.path}: {name} is not among the outputs of its manifest")
        return self.files[name].decode("utf-8")

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


FORMAT = re.compile(r"^[a-z][a-z0-9]{0,15}$")


def _check(export: Export) -> None:
    if not FORMAT.match(str(export.name)):
        raise PluginError(f"export format {export.name!r}: expected a short lower-case word "
                          "(it is the command's flag, --NAME, and the file's extension)")
    if not callable(export.build):
        raise PluginError(f"export format {export.name!r}: build must be a function of the "
                          "run folder returning the file's bytes")


# The export formats: kpilib's own (below), a package's through the ``kpilib.exports``
# entry point, a project's named in $KPILIB_EXPORTS (kpilib.plugins)
EXPORTS = Registry("export format", "kpilib.exports", "KPILIB_EXPORTS", check=_check,
                   kind=Export)


def register(export: Export, replace: bool = False) -> Export:
    """Add an export format (``kpi export --NAME``); a taken name is an error naming both."""
    return EXPORTS.register(export, replace)


def file_name(report: str, period: str, fmt: str) -> str:
    return f"{report}-{period}.{fmt}"


def open_run(folder: str | Path, store: str | None = None) -> RunFolder:
    """A published run folder, read whole (a clear error when it is none): the folder is
    resolved once (a descriptor held open) and its manifest, every output and its additions
    record are read from it, each output checked against the manifest, so a publication
    made at the same path meanwhile is never mixed in."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RunError(f"{folder}: no such run folder")
    if not (folder / MANIFEST).is_file():
        raise RunError(f"{folder}: no {MANIFEST}; is this a kpi run folder?")
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as e:
        raise RunError(f"{folder}: cannot be read ({e.strerror or e})") from None
    try:
        raw = _read_at(fd, folder, MANIFEST)
        try:
            manifest = checked_manifest(json.loads(raw), folder / MANIFEST)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise RunError(f"{folder / MANIFEST}: not valid JSON ({e}); the manifest has "
                           "been damaged") from None
        entries = _entries_at(fd, folder)
        listed = {e["file"] for e in entries if e["file"] is not None} | {additions.ADDITIONS}
        stray = strays(folder, {*manifest["outputs"], MANIFEST, SIGNATURE, *listed})
        if stray:
            raise RunError(f"{folder}: holds what its manifest does not list, so nothing is "
                           "exported from it (run kpi audit): " + "; ".join(stray[:5])
                           + (f" and {len(stray) - 5} more" if len(stray) > 5 else ""))
        files = {}
        for name, digest in sorted(manifest["outputs"].items()):
            data = _read_at(fd, folder, name)
            if sha256_bytes(data) != digest:
                raise RunError(f"{folder}: {name} does not match its {MANIFEST} (changed "
                               "since publication); nothing is exported from it (run kpi "
                               "audit)")
            files[name] = data
    except AuditError as e:
        raise RunError(str(e)) from None
    finally:
        os.close(fd)
    return RunFolder(folder, manifest, store, files, sha256_bytes(raw), tuple(entries))


def _read_at(fd: int, folder: Path, name: str) -> bytes:
    """A regular file of the folder open as ``fd`` (never through a link)."""
    try:
        f = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fd)
    except OSError as e:
        raise RunError(f"{folder}: cannot read {name} ({e.strerror or e}); nothing is "
                       "exported from it (run kpi audit)") from None
    with os.fdopen(f, "rb") as h:
        if not stat.S_ISREG(os.fstat(h.fileno()).st_mode):
            raise RunError(f"{folder}: {name} is not a regular file; nothing is exported "
                           "from it (run kpi audit)")
        return h.read()


def _entries_at(fd: int, folder: Path) -> list[dict]:
    try:
        os.stat(additions.ADDITIONS, dir_fd=fd, follow_symlinks=False)
    except FileNotFoundError:
        return []
    return additions.parse(_read_at(fd, folder, additions.ADDITIONS),
                           folder / additions.ADDITIONS)


def signoff_state(folder: str | Path, manifest_sha256: str | None = None,
                  entries: list[dict] | None = None) -> str:
    """The sign-off state of a run now, as a cover shows it: the latest ``signoff`` addition
    made for the current manifest (``manifest_sha256``: the one the export read) decides;
    none approved: a draft."""
    last = signoff.current_signoff(folder, entries, manifest_sha256)
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
    with publish.period_lock(run.path.parent):  # no publication moves the folder meanwhile
        try:
            now = additions.manifest_sha256(run.path)
        except RunError:
            now = ""
        if now != run.manifest_sha256:
            raise RunError(f"{run.path} was published again while the export was being made "
                           "(its manifest.json is another one now): nothing was written; "
                           "export again (or name the superseded folder it was read from)")
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
        entry = additions.record(run.path, "export", who=who, file=name, format=fmt,
                                 for_manifest=run.manifest_sha256)
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
    from kpilib.publish.pdfpack import Pack, Part, build_pdf

    council = (run.manifest.get("council") or {}).get("name") or ""
    parts = tuple(Part(p["section"] or "Summary", p["file"]) for p in run.manifest["pages"])
    title = f"{run.title()}: {run.period_label()}"
    state = signoff_state(run.path, run.manifest_sha256, list(run.entries))
    with tempfile.TemporaryDirectory(prefix="kpi-export-") as tmp:
        for part in parts:  # the pages as read, never the folder again
            (Path(tmp) / part.file).write_bytes(run.files.get(part.file, b""))
        return build_pdf(Path(tmp), Pack(council, title, run.period_label(), run.as_of,
                                         state, parts, run.data_as_of))


def _xlsx(run: RunFolder) -> bytes:
    from kpilib.publish.workbook import build_workbook

    return build_workbook(run)


register(Export("pdf", "the committee pack: one A4 PDF (cover, contents, summary, sections)",
                _pdf))
register(Export("xlsx", "one Excel workbook: summary, one sheet per section, results.csv",
                _xlsx))
