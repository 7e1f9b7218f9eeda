"""The publication library: ``index.html`` at the output root, for reviewers who browse.

Every publication under an output folder, by financial year, period and report type, with
its edition, sign-off state, audit state, data as-of moment and links to its pages and to
the exports its additions record lists (the PDF pack, the workbook); superseded
publications under the one that replaced them.  Each period folder gets the same page for
its period (``<period>/index.html``): a superseded publication's pages, one level deeper
(``<period>/<report>.superseded/<as_of>/``), link to ``../../index.html`` as every page
does, which from there is the period's page, itself linking to the library (written for
the periods that have superseded publications, and kept up to date once written).

Built from the run folders' manifests and additions records alone (no store, no clock), so
rebuilding gives the same bytes.  :func:`write` rebuilds it under an exclusive lock on the
output folder and replaces the files atomically; every ``kpi run`` and ``kpi status --html``
call it.  A file that kpilib did not write (no :data:`MARKER`) is never replaced.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from kpilib import registry
from kpilib.errors import KpiError, RunError
from kpilib.render.templates import render, safe
from kpilib.rules.periods import parse_period
from kpilib.run import additions, outpaths
from kpilib.run.manifest import MANIFEST
from kpilib.run.publish import SUPERSEDED, lock, named, write_atomic
from kpilib.run.signoff import audit_state, exports, signoff_state

LIBRARY = "index.html"
MARKER = '<meta name="generator" content="kpilib publication library">'
EDITION = "internal"  # a manifest without ``parameters.edition``


@dataclass
class Entry:
    """One publication as the library shows it."""

    folder: str  # relative to the output root, POSIX
    period: str
    report: str
    edition: str = EDITION
    as_of: str = ""
    signoff: str = ""
    signoff_state: str = ""
    audit: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)  # (text, href from the root)
    note: str = ""  # why the manifest or the record cannot be read
    superseded: list[Entry] = field(default_factory=list)


def _entry(root: Path, folder: Path, period: str, report: str) -> Entry:
    e = Entry(folder.relative_to(root).as_posix(), period, report)
    try:
        m = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        p = m["parameters"]
        e.as_of, e.report = str(m["as_of"]), str(p.get("report", report))
        e.edition = str(p.get("edition") or EDITION)
        pages = {str(x["file"]): str(x.get("section") or x["file"].removesuffix(".html"))
                 for x in m.get("pages", []) if isinstance(x, dict)}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        e.note = f"{MANIFEST} cannot be read ({type(err).__name__})"
        return e
    try:
        entries = additions.read(folder)
    except KpiError:
        entries, e.note = [], f"{additions.ADDITIONS} cannot be read"
    state = signoff_state(folder, entries)
    e.signoff, e.signoff_state = state.text, state.state
    e.audit = audit_state(folder, entries).text
    base = quote(e.folder)
    names = ["index.html", *sorted(p for p in pages if p != "index.html")]
    e.links = [("Overview" if f == "index.html" else pages[f], f"{base}/{quote(f)}")
               for f in names if (folder / f).is_file()]
    e.links += [(f"{str(x.get('format') or Path(x['file']).suffix[1:]).upper()} "
                 f"({x['file']})", f"{base}/{quote(x['file'])}") for x in exports(entries)]
    return e


def _dirs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def entries(root: Path) -> dict[str, list[Entry]]:
    """Period -> its publications (current ones, each with those it superseded, newest
    first), read from ``root``'s run folders."""
    root = Path(root)
    out: dict[str, list[Entry]] = {}
    for period in _dirs(root):
        names = sorted({d.name.removesuffix(SUPERSEDED) for d in _dirs(period)
                        if not d.name.endswith(".failed")})
        for report in names:
            current = period / report
            cur = (_entry(root, current, period.name, report) if (current / MANIFEST).is_file()
                   else Entry("", period.name, report, note="no current publication"))
            kept = current.with_name(report + SUPERSEDED)
            old = [_entry(root, d, period.name, report) for d in _dirs(kept)
                   if (d / MANIFEST).is_file()] if kept.is_dir() else []
            if not cur.folder and not old:
                continue
            cur.superseded = sorted(old, key=lambda e: (e.as_of, e.folder), reverse=True)
            out.setdefault(period.name, []).append(cur)
    return out


def _fy(period: str) -> tuple[str, str]:
    try:
        p = parse_period(period)
        return p.fy, p.label
    except KpiError:
        return "other", period


def _titles() -> dict[str, str]:
    return {t.name: t.title for t in registry.types()}


def page(root: Path, period: str | None = None,
         found: dict[str, list[Entry]] | None = None) -> str:
    """The library (``period`` None) or one period's page, as HTML (``found``: what
    :func:`entries` gives for ``root``)."""
    found = entries(root) if found is None else found
    if period is not None:
        found = {period: found.get(period, [])}
    years: dict[str, list] = {}
    for p in sorted(found, reverse=True):
        fy, label = _fy(p)
        years.setdefault(fy, []).append({"id": p, "label": label, "entries": found[p]})
    prefix = "../" if period is not None else ""
    count = sum(1 + len(e.superseded) for es in found.values() for e in es if e.folder)
    return render("library", years=sorted(years.items(), reverse=True), prefix=prefix,
                  period=_fy(period)[1] if period else None, titles=_titles(),
                  marker=safe(MARKER), count=count) + "\n"


def _ours(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return MARKER in f.read(4096)
    except FileNotFoundError:
        return True


def _replace(path: Path, text: str) -> None:
    try:
        write_atomic(path, text.encode("utf-8"))
    except OSError as e:
        raise named(e, path) from None


def write(root: str | Path) -> list[str]:
    """(Re)build the library at ``root/index.html`` and each period's page; the notes of
    files left alone (one kpilib did not write).  A root that is a run folder, or a library
    file that is not kpilib's, is an error."""
    root = Path(root)
    if not root.is_dir():
        raise RunError(f"{root}: no such folder (give the output folder, e.g. outputs)")
    if (root / MANIFEST).is_file():
        raise RunError(f"{root} is a run folder, not the output folder runs are published in")
    outpaths.output_dir(root, "output folder")
    target = outpaths.output_file(root / LIBRARY, "publication library")
    if not _ours(target):
        raise RunError(f"{target} exists and was not written by kpilib: the publication "
                       "library is not written over it (move it away)")
    notes = []
    fd = os.open(root, os.O_RDONLY)
    try:
        lock(fd)  # one library build at a time; the last sees every publication
        found = entries(root)
        if not found and not target.exists():
            raise RunError(f"{root}: no publications found (no <period>/<report>/{MANIFEST}); "
                           "the publication library is written only in an output folder of "
                           "kpi runs (e.g. outputs)")
        for period, pubs in found.items():
            path = root / period / LIBRARY
            if not any(e.superseded for e in pubs) and not path.exists():
                continue  # no superseded page links to it
            try:
                outpaths.output_file(path, "period page")
            except outpaths.OutputPathError as e:
                notes.append(f"{e}: left as it is")
                continue
            if not _ours(path):
                notes.append(f"{path} was not written by kpilib: left as it is")
                continue
            _replace(path, page(root, period, found))
        _replace(target, page(root, None, found))
    finally:
        os.close(fd)
    return notes


def root_of(folder: str | Path) -> Path | None:
    """The output folder a run folder is published in (``<root>/<period>/<report>`` or
    ``<root>/<period>/<report>.superseded/<as_of>``); None when there is none."""
    folder = Path(folder).resolve()
    up = 3 if folder.parent.name.endswith(SUPERSEDED) else 2
    return folder.parents[up - 1] if len(folder.parents) >= up else None


def refresh_for(folder: str | Path) -> str:
    """After a sign-off or an audit: rebuild the library of the output folder ``folder`` is
    published in, when it has one; what was done (``""`` when there is no library)."""
    root = root_of(folder)
    if root is None or not (root / LIBRARY).is_file() or not _ours(root / LIBRARY):
        return ""
    try:
        write(root)
    except (KpiError, OSError) as e:
        return f"the publication library {root / LIBRARY} was not updated: {e}"
    return f"updated the publication library {root / LIBRARY}"
