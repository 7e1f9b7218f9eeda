"""The publication library: ``index.html`` at the output root, for reviewers who browse.

Every publication under an output folder, by financial year, period and report type, with
its edition, sign-off state, audit state, data as-of moment and links to its pages and to
the exports its additions record lists (the PDF pack, the workbook); superseded
publications under the one that replaced them.  Each period folder gets the same page for
its period (``<period>/index.html``): a superseded publication's pages, one level deeper
(``<period>/<report>.superseded/<as_of>/``), link to ``../../index.html`` as every page
does, which from there is the period's page, itself linking to the library (written for
the periods that have superseded publications, and kept up to date once written).

Every council publishing under the folder is listed, under its own name, colour and logo
(a council's own output folder below it, ``outputs/kent/``, included); the KPI-set change
reports (``kpi changes``) under their own heading; pages by their titles.  Built from the
run folders alone (manifests, additions records, the pages' titles and logo; no store, no
clock), so rebuilding gives the same bytes.  :func:`write` rebuilds it under an exclusive
lock on the output folder and replaces the files atomically; every ``kpi run`` and ``kpi
status --html`` call it.  A file that kpilib did not write (no :data:`MARKER`) is never replaced.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import quote

from kpilib import registry
from kpilib.clock import data_moment, human_moment
from kpilib.errors import KpiError, RunError
from kpilib.io import outpaths
from kpilib.publish import additions
from kpilib.publish.manifest import MANIFEST
from kpilib.publish.publish import SUPERSEDED, lock, named, write_atomic
from kpilib.publish.signoff import audit_state, exports, signoff_state
from kpilib.render.branding import DEFAULT_COLOUR, HEX, MIN_CONTRAST, contrast_with_white
from kpilib.render.style import slug
from kpilib.render.templates import render, safe
from kpilib.rules.periods import parse_period

LIBRARY = "index.html"
MARKER = '<meta name="generator" content="kpilib publication library">'
EDITION = "internal"  # a manifest without ``parameters.edition``
CHANGES = "changes"  # the KPI-set change report's report name (kpilib.run.kpi_set.REPORT)
DEPTH = 4  # folders searched below the root for councils' own output folders
HEAD = 4096  # a page's <title> is within its first bytes
LOGO_HEAD = 1 << 20  # the council's logo (a data: URI) is in its banner, near the top
LOGO = re.compile(r'<img class="logo" src="(data:image/[^"]{1,900000})" alt="([^"]*)">')


@dataclass
class Entry:
    """One publication as the library shows it."""

    folder: str  # relative to the output root, POSIX
    period: str
    report: str
    edition: str = EDITION
    as_of: str = ""  # the run's as_of (manifest): the order of publications
    data_as_of: str = ""  # the data's moment (the latest load it read), shown in words
    signoff: str = ""
    signoff_state: str = ""
    audit: str = ""
    pages: list[tuple[str, str]] = field(default_factory=list)  # (title, href from the root)
    links: list[tuple[str, str]] = field(default_factory=list)  # exports: (text, href)
    note: str = ""  # why the manifest or the record cannot be read
    council: dict = field(default_factory=dict)  # the manifest's council record
    superseded: list[Entry] = field(default_factory=list)


def _said(state) -> str:
    """A sign-off or audit state's line with its moment in words."""
    at = (state.entry or {}).get("at")
    return state.text.replace(str(at), human_moment(at)) if at else state.text


def _title(path: Path) -> str:
    """A page's own title (``<title>``), without the report's name after " · "."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            head = f.read(HEAD)
    except OSError:
        return ""
    m = re.search(r"<title>([^<]*)</title>", head)
    return " ".join(unescape(m.group(1)).split(" · ")[0].split()) if m else ""


def _entry(root: Path, folder: Path, period: str, report: str) -> Entry:
    e = Entry(folder.relative_to(root).as_posix(), period, report)
    try:
        m = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        p = m["parameters"]
        e.as_of, e.report = str(m["as_of"]), str(p.get("report", report))
        e.data_as_of = data_moment(e.as_of, (m.get("data") or {}).get("sources") or ())
        e.edition = str(p.get("edition") or EDITION)
        e.council = m.get("council") if isinstance(m.get("council"), dict) else {}
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
    e.signoff, e.signoff_state = _said(state), state.state
    e.audit = _said(audit_state(folder, entries))
    base = quote(e.folder)
    names = ["index.html", *sorted(p for p in pages if p != "index.html")]
    e.pages = [("Overview" if f == "index.html" else (_title(folder / f) or pages[f]),
                f"{base}/{quote(f)}") for f in names if (folder / f).is_file()]
    e.links = [(f"{str(x.get('format') or Path(x['file']).suffix[1:]).upper()} "
                f"({x['file']})", f"{base}/{quote(x['file'])}") for x in exports(entries)]
    return e


def _dirs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _slots(root: Path) -> list[tuple[str, str]]:
    """(period folder relative to ``root``, report) of every publication under ``root``: a
    run folder ``[<council>/...]<period>/<report>`` or a superseded one
    ``<period>/<report>.superseded/<as_of>``, councils' own folders included."""
    found = set()
    for here, dirs, files in os.walk(root):
        rel = Path(here).relative_to(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not d.endswith(".failed"))
        if MANIFEST in files and len(rel.parts) >= 2:
            dirs[:] = []  # a run folder holds pages, not publications
            if rel.parent.name.endswith(SUPERSEDED):
                if len(rel.parts) >= 3:
                    found.add((rel.parent.parent.as_posix(),
                               rel.parent.name.removesuffix(SUPERSEDED)))
            else:
                found.add((rel.parent.as_posix(), rel.name))
        elif len(rel.parts) >= DEPTH:
            dirs[:] = []
    return sorted(found)


def entries(root: Path) -> dict[str, list[Entry]]:
    """Period folder (relative to ``root``: ``2024-02``, ``kent/2024-25-Q2``) -> its
    publications (current ones, each with those it superseded, newest first), read from
    ``root``'s run folders, every council's folder under ``root`` included."""
    root = Path(root)
    out: dict[str, list[Entry]] = {}
    for key, report in _slots(root):
        period = root / key
        current = period / report
        cur = (_entry(root, current, period.name, report) if (current / MANIFEST).is_file()
               else Entry("", period.name, report, note="no current publication"))
        kept = current.with_name(report + SUPERSEDED)
        old = [_entry(root, d, period.name, report) for d in _dirs(kept)
               if (d / MANIFEST).is_file()] if kept.is_dir() else []
        if not cur.folder and not old:
            continue
        cur.superseded = sorted(old, key=lambda e: (e.as_of, e.folder), reverse=True)
        if not cur.folder and old:
            cur.council = old[0].council
        out.setdefault(key, []).append(cur)
    return out


def _group(key: str, pubs: list[Entry]) -> tuple[str, str]:
    """(heading id, heading) of a period folder's group in its council: the financial year,
    the KPI-set changes, or other folders."""
    name = key.rsplit("/", 1)[-1]
    if pubs and all(e.report == CHANGES for e in pubs):
        return "changes", "Changes to the KPI set"
    try:
        p = parse_period(name)
        return p.fy, f"Financial year {p.fy}"
    except KpiError:
        return "other", "Other folders"


def _label(key: str, pubs: list[Entry]) -> str:
    name = key.rsplit("/", 1)[-1]
    if pubs and all(e.report == CHANGES for e in pubs):
        return name.replace("_", " to ")
    try:
        return parse_period(name).label
    except KpiError:
        return name


def _titles() -> dict[str, str]:
    return {**{t.name: t.title for t in registry.types()}, CHANGES: "KPI set changes"}


def _look(pubs: list[Entry], root: Path, prefix: str) -> dict:
    """A council's branding as its pages show it: name and primary colour from its latest
    publication's manifest, the logo from that publication's own overview page."""
    latest = max((e for e in pubs if e.folder), key=lambda e: (e.as_of, e.folder),
                 default=None)
    record = latest.council if latest is not None else {}
    colour = str(record.get("primary_colour") or "")
    if not HEX.match(colour) or contrast_with_white(colour) < MIN_CONTRAST:
        colour = DEFAULT_COLOUR
    logo, alt = "", ""
    if latest is not None:
        try:
            with open(root / latest.folder / "index.html", encoding="utf-8",
                      errors="replace") as f:
                head = f.read(LOGO_HEAD)
            m = LOGO.search(head)
            if m:
                logo, alt = unescape(m.group(1)), unescape(m.group(2))
        except OSError:
            pass
    name = str(record.get("name") or "") or (prefix.rsplit("/", 1)[-1] if prefix else "")
    return {"name": name or "Publications in this folder", "colour": colour, "logo": logo,
            "logo_alt": alt, "id": slug(prefix or "root")}


def page(root: Path, period: str | None = None,
         found: dict[str, list[Entry]] | None = None) -> str:
    """The library (``period`` None) or one period folder's page (``period``: the folder
    relative to ``root``), as HTML (``found``: what :func:`entries` gives for ``root``):
    every council's publications under ``root``, grouped by council, then financial year
    (the KPI-set changes and other folders apart), then period."""
    found = entries(root) if found is None else found
    if period is not None:
        found = {period: found.get(period, [])}
    councils: dict[str, dict[str, list]] = {}
    for key in sorted(found, reverse=True):
        prefix = key.rsplit("/", 1)[0] if "/" in key else ""
        gid, heading = _group(key, found[key])
        groups = councils.setdefault(prefix, {})
        groups.setdefault((gid, heading), []).append(
            {"id": key, "label": _label(key, found[key]), "entries": found[key]})
    order = {"changes": "0", "other": ""}  # years newest first, then changes, then other
    shown = []
    for prefix in sorted(councils):
        pubs = [e for key, es in found.items()
                if (key.rsplit("/", 1)[0] if "/" in key else "") == prefix for e in es]
        pubs += [s for e in pubs for s in e.superseded]
        groups = sorted(councils[prefix].items(), key=lambda g: order.get(g[0][0], g[0][0]),
                        reverse=True)
        shown.append({"look": _look(pubs, Path(root), prefix),
                      "groups": [{"id": g[0], "heading": g[1], "periods": ps}
                                 for g, ps in groups]})
    depth = period.count("/") + 1 if period is not None else 0
    prefix = "../" * depth
    count = sum(1 + len(e.superseded) for es in found.values() for e in es if e.folder)
    label = _label(period, found[period]) if period else None
    return render("library", councils=shown, prefix=prefix, period=label, titles=_titles(),
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
            path = root / period / LIBRARY  # period: the folder, a council's own included
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


def _refresh(root: Path) -> str:
    if not (root / LIBRARY).is_file() or not _ours(root / LIBRARY):
        return ""
    try:
        write(root)
    except (KpiError, OSError) as e:
        return f"the publication library {root / LIBRARY} was not updated: {e}"
    return f"updated the publication library {root / LIBRARY}"


def refresh_above(output_dir: str | Path) -> list[str]:
    """Rebuild the libraries kpilib wrote in the folders above an output folder (up to
    :data:`DEPTH` levels: a root over many councils' output folders lists them all), so
    that a council's run or sign-off shows there too; what was done for each."""
    here = Path(output_dir).resolve()
    return [said for up in list(here.parents)[:DEPTH] if (said := _refresh(up))]


def refresh_for(folder: str | Path) -> str:
    """After a sign-off or an audit: rebuild the library of the output folder ``folder`` is
    published in, when it has one, and those above it; what was done (``""`` when there is
    no library)."""
    root = root_of(folder)
    if root is None:
        return ""
    return "; ".join(x for x in (_refresh(root), *refresh_above(root)) if x)
