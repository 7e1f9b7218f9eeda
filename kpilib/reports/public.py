"""The public edition of a report: small numbers withheld (pure).

:func:`public_edition` takes a report built by :func:`kpilib.reports.model.build_report`
and the returns it was built from, and gives the same report with every withheld figure
removed before anything is rendered: its cells (the tables and ``results.csv``), its trend
series (charts), its SPC points (XmR charts and ``spc.csv``), its KPI rows (headline RAG,
travel, baseline, commentary).  The rules are :mod:`kpilib.rules.suppression`'s; here they
are applied to the report's figures, keyed ``(ref, breakdown, span, field)`` where ``span``
is a report column (``YTD``, a quarter, a month) or a single period and ``field`` is
``value``, ``numerator`` or ``denominator``.

Decided for a withheld figure (reporting-rules.md, "Public editions"):

* its cell reads ``<5`` (a small count) or ``withheld`` (a percentage or rate of a
  withheld count, or a figure withheld so that another cannot be worked out), and so does
  ``results.csv``; a ratio's cell keeps its counts' texts: ``withheld (<5 out of 120)``;
* it has no RAG status (a status against a target narrows the figure down; ``Tracking`` and
  ``Target under review``, which do not depend on it, stay) and the KPI's
  direction of travel is ``n/a`` when its headline period or the one before is withheld;
* its trend-chart point is a gap, and a series (a KPI or a breakdown) with any withheld
  point has no SPC (its XmR chart's mean and limits, and moving ranges, would give it away):
  it is drawn as a trend chart and has no rows in ``spc.csv``;
* a small ``count`` baseline reads ``<5``; commentary from a return marked ``internal`` is
  not shown.

Exports and other outputs call :func:`public_edition` on the report they write, as the
runner and the notebooks do.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from kpilib.reports import spc_table
from kpilib.reports.model import Report
from kpilib.rules.formats import plain
from kpilib.rules.suppression import WITHHELD, Suppression, primary, secondary
from kpilib.rules.travel import NO_TRAVEL

FIELDS = ("value", "numerator", "denominator")
ADDITIVE = ("sum", "ratio", "mean")  # a column's counts are its periods' added up
LATEST = ("snapshot", "cumulative")  # a column's figure is its latest period's
KEEP = ("Tracking", "Target under review")  # statuses that say nothing of the figure
NOTICE = ("Small numbers are withheld from this public edition to protect the privacy of "
          "the people they describe: a count from 1 to {below} is shown as {mark} (zero is "
          "shown), a percentage or rate based on such a count is withheld, and so is a further "
          "figure wherever a withheld one could otherwise be worked out from a total and the "
          "other figures it is made of. A withheld figure has no RAG status, direction of "
          "travel or SPC chart.")


def notice(settings: Suppression) -> str:
    """What every page of a public edition says about withheld figures, and why."""
    return NOTICE.format(below=settings.threshold - 1, mark=settings.mark)


def _number(x) -> float | None:
    return None if x is None or x != x else float(x)


def _figures(report: Report, returns: pd.DataFrame) -> dict:
    """Every figure the report can show or give away, by key."""
    values: dict = {}
    for c in report.cells.to_dict("records"):
        for f in FIELDS:
            values[(c["ref"], c["breakdown"], c["column"], f)] = _number(c[f])
    refs = set(report.kpis["ref"]) if len(report.kpis) else set()
    rows = returns[returns["ref"].isin(refs) & (returns["status"] == "")]
    for r in rows.to_dict("records"):
        for f in FIELDS:
            values.setdefault((r["ref"], r["breakdown"] or "", r["period"], f), _number(r[f]))
    return values


def _groups(report: Report, values: dict) -> list:
    """(total, parts) of every additive relation between the report's figures."""
    kpis = report.kpis.to_dict("records")
    totals = [k for k in kpis if k["breakdown"] == ""]
    spans: dict[str, set] = {}
    for ref, _, span, _ in values:
        spans.setdefault(ref, set()).add(span)
    parts_of: dict[str, list] = {}
    for b in kpis:
        if b["breakdown"]:
            parts_of.setdefault(b["ref"], []).append(b["breakdown"])
    groups = []
    for k in totals:  # a KPI's total and its breakdowns, in each period and column
        ref, parts = k["ref"], parts_of.get(k["ref"], [])
        fields = ["numerator", "denominator"] + (["value"] if k["unit"] == "count" else [])
        for span in sorted(spans.get(ref, ())) if parts else ():
            for f in fields:
                groups.append(((ref, "", span, f), [(ref, b, span, f) for b in parts]))
    for k in kpis:  # a column and the periods it is made of
        fields = ["numerator", "denominator"] + (
            ["value"] if k["unit"] == "count" or k["measure"] == "ratio" else [])
        for col in report.columns:  # (a ratio's value: a column may be its periods' mean)
            ids = col.months if k["frequency"] == "monthly" else col.quarters
            if not ids or tuple(ids) == (col.id,):
                continue
            for f in fields:
                parts = [(k["ref"], k["breakdown"], p, f) for p in ids]
                have = [p for p in parts if values.get(p) is not None]
                if k["measure"] in LATEST:
                    have = have[-1:]
                elif k["measure"] not in ADDITIVE:
                    continue
                if have:
                    groups.append(((k["ref"], k["breakdown"], col.id, f), have))
    return groups


def withheld_figures(report: Report, returns: pd.DataFrame,
                     settings: Suppression) -> tuple[dict, set, set]:
    """(every figure by key, the small counts, every withheld key)."""
    values = _figures(report, returns)
    units = {(k["ref"], k["breakdown"]): k["unit"] for k in report.kpis.to_dict("records")}
    counts = [k for k in values if k[3] != "value" or units.get(k[:2]) == "count"]
    small = primary(values, counts, settings)
    groups = _groups(report, values)
    withheld = set(small)
    while True:  # until secondary and derived suppression have nothing more to withhold
        grown = secondary(values, groups, withheld)
        for k in list(grown):
            if k[3] != "value":  # a percentage or rate of a withheld count
                grown.add((*k[:3], "value"))
            elif units.get(k[:2]) != "count":  # a withheld percentage: its counts give it away
                grown.add((*k[:3], "numerator"))
        grown = {k for k in grown if values.get(k) is not None}
        if grown == withheld:
            return values, small, withheld
        withheld = grown


def public_edition(report: Report, returns: pd.DataFrame, settings: Suppression) -> Report:
    """The report with every withheld figure removed (module docstring): what a public
    edition renders and writes."""
    values, small, withheld = withheld_figures(report, returns, settings)

    def mark(key) -> str:
        return settings.mark if key in small else WITHHELD

    cells = report.cells.copy()
    measures = {(k["ref"], k["breakdown"]): k["measure"] for k in report.kpis.to_dict("records")}
    marks = {f: [] for f in FIELDS}
    displays, rags = [], []
    for c in cells.to_dict("records"):
        key = (c["ref"], c["breakdown"], c["column"])
        for f in FIELDS:
            marks[f].append(mark((*key, f)) if (*key, f) in withheld else "")
        hidden = (*key, "value") in withheld
        rags.append("" if hidden and c["rag"] not in KEEP else c["rag"])
        displays.append(_display(c, key, withheld, mark, measures.get(key[:2]))
                        if hidden else c["display"])
    for f in FIELDS:
        cells[f"{f}_mark"] = marks[f]
        cells.loc[cells[f"{f}_mark"] != "", f] = float("nan")
    cells["rag"], cells["display"] = rags, displays
    cells.loc[cells["rag"] == "", "override_reason"] = ""  # no status, no judgement of it
    series = report.series.copy()
    gone = [(s["ref"], s["breakdown"], s["period"], "value") in withheld
            for s in series.to_dict("records")]
    series.loc[gone, "value"] = float("nan")
    series.loc[[g and r not in KEEP for g, r in zip(gone, series["rag"], strict=True)],
               "rag"] = ""
    spc = report.spc_points
    no_spc = {(p["ref"], p["breakdown"]) for p in spc.to_dict("records")
              if (p["ref"], p["breakdown"], p["period"], "value") in withheld}
    spc = spc[[(r, b) not in no_spc for r, b in zip(spc["ref"], spc["breakdown"])]]
    kpis = _kpi_rows(report, withheld, settings, no_spc)
    travel = {(k["ref"], k["breakdown"]): (k["travel"], k["travel_text"])
              for k in kpis.to_dict("records")}
    now = [travel.get((r, b), (t, w)) if t else (t, w) for r, b, t, w in
           zip(cells["ref"], cells["breakdown"], cells["travel"], cells["travel_label"])]
    cells["travel"], cells["travel_label"] = [t for t, _ in now], [w for _, w in now]
    return dataclasses.replace(report, cells=cells.reset_index(drop=True), series=series,
                               spc=spc.reset_index(drop=True), kpis=kpis, edition="public",
                               notice=notice(settings))


def _display(c: dict, key: tuple, withheld: set, mark, measure: str | None) -> str:
    """A withheld cell's text: its mark, and a ratio's counts (each shown or withheld)."""
    text = mark((*key, "value"))
    if measure in ("ratio", "cumulative") and c["numerator"] == c["numerator"] \
            and c["denominator"] == c["denominator"]:
        num, den = ((mark((*key, f)) if (*key, f) in withheld else plain(c[f]))
                    for f in ("numerator", "denominator"))
        text += f" ({num} out of {den})"
    return text


def _kpi_rows(report: Report, withheld: set, settings: Suppression, no_spc: set) -> pd.DataFrame:
    """Headline RAG and travel, baseline, SPC icons and commentary of the public edition."""
    points = {}
    for s in report.series.to_dict("records"):
        if s["value"] == s["value"]:
            points.setdefault((s["ref"], s["breakdown"]), []).append(s["period"])
    rows = []
    for k in report.kpis.to_dict("records"):
        key = (k["ref"], k["breakdown"])
        head = k.get("headline_period", "")
        earlier = [p for p in points.get(key, []) if p < head][-1:]
        if (*key, head, "value") in withheld and k["rag"] not in KEEP:
            k["rag"], k["override_reason"], k["override_by"] = "", "", ""
        if k["travel2"] and ((*key, head, "value") in withheld or any(
                (*key, p, "value") in withheld for p in points.get(key, []) if p < head)):
            k["travel2"], k["travel2_text"] = NO_TRAVEL, k["travel_none"]  # any baseline
        if any((*key, p, "value") in withheld for p in [head, *earlier]):
            k["travel"] = NO_TRAVEL
            k["travel_text"] = k["travel_none"]
        if k.get("unit") == "count" and settings.small(k.get("baseline")):
            k["baseline"], k["baseline_text"] = None, settings.mark
        if k.get("commentary_internal"):
            k["commentary"] = ""
        if key in no_spc:
            k.update(spc_table.NO_SPC)
        rows.append(k)
    return pd.DataFrame(rows, columns=report.kpis.columns)
