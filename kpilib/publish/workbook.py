"""``kpi export RUN --xlsx``: the run as one Excel workbook.

Sheets: ``Summary`` (the report, period, data as-of moment, and every KPI's current figure,
RAG and travel), one sheet per section (every KPI and breakdown with the figure of each
report column, the current column's RAG and travel), and ``results.csv`` as it was published.
The figures are the run folder's own (``results.csv``: so a public edition's workbook holds
only what that edition publishes); names, units, sections and display precision come from the
catalogue the run read (its store, as of its ``as_of`` and ``loads_through``).  Values only,
never formulas (:func:`kpilib.io.xlsxfile.put`); RAG and travel are text with cell colours;
header rows frozen; dated from ``as_of`` (:func:`kpilib.io.xlsxfile.to_bytes`).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import PatternFill

from kpilib.clock import human_moment
from kpilib.errors import RunError
from kpilib.io.xlsxfile import BOLD, header, put, to_bytes
from kpilib.rules.formats import is_blank, scaled

RAG_FILLS = {"Green": "C6EFCE", "Amber": "FFEB9C", "Red": "FFC7CE"}
TRAVEL_FILLS = {"G": "C6EFCE", "A": "FFEB9C", "R": "FFC7CE"}
WIDTHS = {"ref": 10, "breakdown": 18, "name": 60, "unit": 10, "RAG": 11, "travel": 8,
          "section": 36, "target": 14}


def _fill(colour: str | None) -> PatternFill | None:
    return PatternFill("solid", fgColor=colour) if colour else None


def _number(text: str) -> float | str | None:
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return text


def _shown(text: str, k) -> float | str | None:
    """A figure of a KPI's sheet as the pages show it: in full units (its unit scale:
    1,234 in £000 is 1234000); results.csv's sheet keeps the figure as returned."""
    x = _number(text)
    scale = k.get("scale", 1)
    return scaled(x, 1 if is_blank(scale) else scale) if isinstance(x, float) else x


def number_format(decimals) -> str:
    d = int(decimals) if isinstance(decimals, int | float) and decimals == decimals else 2
    return "#,##0" + ("." + "0" * d if d > 0 else "")


def sheet_title(name: str, used: set[str]) -> str:
    """An Excel sheet name (at most 31 characters, none of ``[]:*?/\\``), unique."""
    base = re.sub(r"[\[\]:*?/\\]", "-", name).strip("'")[:31] or "Section"
    title, n = base, 2
    while title.lower() in used:
        suffix = f" ({n})"
        title, n = base[:31 - len(suffix)] + suffix, n + 1
    used.add(title.lower())
    return title


def _results(run) -> tuple[list[str], list[list[str]]]:
    try:
        text = run.read_text("results.csv")  # as the export read it
    except OSError as e:
        raise RunError(f"{run.path}: cannot read results.csv ({e.strerror or e})") from None
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def _report(run):
    from kpilib.reports.model import build_report
    from kpilib.store import open_store, reads_for_keys

    p = run.manifest["parameters"]
    store = run.store or p["store"]
    settings = _settings(run)
    snap = open_store(store).snapshot(run.as_of, p.get("loads_through"),
                                      reads_for_keys((), settings.keys, settings.peers))
    return build_report(snap.catalogue, snap.returns, run.period, run.report, run.as_of,
                        snap.sources, settings.keys, snap.extras,
                        settings.shape(run.report).previous_period, settings.spc_min_points,
                        settings.peers)


def _settings(run):
    """The settings the run was made with: its council file (the one the manifest names, from
    the working folder or the run's project folder above the run folder, when it is still
    the version the run read), else kpilib's defaults.  The workbook takes
    every status and arrow from ``results.csv``; the keys and report shape only shape the
    tables."""
    import hashlib

    from kpilib.settings.council import Settings, load_settings

    rec = run.manifest.get("council") or {}
    given = Path(str(rec.get("source") or ""))
    # named from the run's project folder: one of the run folder's parents, or here
    where = [given] if given.is_absolute() else \
        [given, *(f / given for f in Path(run.path).resolve().parents)]
    for src in where if rec.get("source") else ():
        if src.is_file() and hashlib.sha256(src.read_bytes()).hexdigest() == rec.get("sha256"):
            return load_settings(src)
    return Settings()


def _widths(ws, widths: list[int]) -> None:
    from openpyxl.utils import get_column_letter

    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w


def _status_cells(ws, row: int, col: int, rag: str, travel: str) -> None:
    cell = put(ws, row, col, rag)
    if RAG_FILLS.get(rag):
        cell.fill = _fill(RAG_FILLS[rag])
    cell = put(ws, row, col + 1, travel)
    if travel and TRAVEL_FILLS.get(travel[-1]):
        cell.fill = _fill(TRAVEL_FILLS[travel[-1]])


def build_workbook(run) -> bytes:
    report = _report(run)
    head, rows = _results(run)
    at = {name: i for i, name in enumerate(head)}
    figures = {(r[at["ref"]], r[at["breakdown"]], r[at["column"]]): r for r in rows}
    current = next(c for c in report.columns if c.current)
    title = f"{run.title()}: {run.period_label()}"
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    council = (run.manifest.get("council") or {}).get("name") or ""
    moment = human_moment(run.data_as_of)  # words for a person; the manifest keeps ISO
    for i, (k, v) in enumerate([("Council", council), ("Report", title),
                                ("Period", run.period_label()), ("Data as of", moment)], 1):
        put(ws, i, 1, k).font = BOLD
        put(ws, i, 2, v)
    names = ["section", "ref", "name", "unit", "target", current.label, "RAG", "travel"]
    header(ws, 6, names)
    ws.freeze_panes = "A7"
    _widths(ws, [WIDTHS.get(n, 14) for n in names])
    r, used = 7, {"summary", "results.csv"}
    key = report.section_key
    kpis = report.kpis
    for _, k in kpis[~kpis["is_breakdown"]].iterrows():
        fig = figures.get((k["ref"], k["breakdown"], current.id))
        for c, v in enumerate([k[key], k["ref"], k["name"], k["unit"], k["target_text"]], 1):
            put(ws, r, c, v)
        put(ws, r, 6, _shown(fig[at["value"]], k) if fig else None, number_format(k["decimals"]))
        _status_cells(ws, r, 7, fig[at["rag"]] if fig else "", fig[at["travel"]] if fig else "")
        r += 1
    for section in report.sections():
        sub = kpis[kpis[key] == section]
        ws = wb.create_sheet(sheet_title(section, used))
        put(ws, 1, 1, f"{section} · {title}").font = BOLD
        names = ["ref", "breakdown", "name", "unit", "target",
                 *[c.label for c in report.columns], "RAG", "travel"]
        header(ws, 2, names)
        ws.freeze_panes = "D3"
        _widths(ws, [WIDTHS.get(n, 12) for n in names])
        for r, (_, k) in enumerate(sub.iterrows(), 3):
            for c, v in enumerate([k["ref"], k["breakdown"], k["name"], k["unit"],
                                   k["target_text"]], 1):
                put(ws, r, c, v)
            for c, col in enumerate(report.columns, 6):
                fig = figures.get((k["ref"], k["breakdown"], col.id))
                put(ws, r, c, _shown(fig[at["value"]], k) if fig else None,
                    number_format(k["decimals"]))
            fig = figures.get((k["ref"], k["breakdown"], current.id))
            _status_cells(ws, r, 6 + len(report.columns), fig[at["rag"]] if fig else "",
                          fig[at["travel"]] if fig else "")
    ws = wb.create_sheet("results.csv")
    header(ws, 1, head)
    ws.freeze_panes = "A2"
    numeric = {"value", "numerator", "denominator"}
    for r, row in enumerate(rows, 2):
        for c, (name, v) in enumerate(zip(head, row), 1):
            put(ws, r, c, _number(v) if name in numeric else v)
    _widths(ws, [WIDTHS.get(n, 12) for n in head])
    return to_bytes(wb, run.as_of)
