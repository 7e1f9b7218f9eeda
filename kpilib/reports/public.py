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
  direction of travel is ``n/a``, *Comparison withheld*, when a figure it can compare
  (its headline's financial year or the one before) is withheld;
* its trend-chart point is a gap, and a series (a KPI or a breakdown) with any withheld
  point has no SPC (its XmR chart's mean and limits, and moving ranges, would give it away):
  it is drawn as a trend chart and has no rows in ``spc.csv``;
* a small ``count`` baseline reads ``<5``; commentary from a return marked ``internal`` is
  not shown, and commentary printing a withheld figure of any KPI of the report (its
  own, a breakdown's, another KPI's it may quote) is replaced by a note;
* secondary suppression's groups are the relations between *published* figures
  (:func:`published_groups`): every way a column adds up from the columns and chart
  points inside it, and a total from its breakdowns.

Exports and other outputs call :func:`public_edition` on the report they write, as the
runner and the notebooks do.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from kpilib.reports import spc_table
from kpilib.reports.model import Report
from kpilib.reports.peers import withhold_own
from kpilib.rules import periods as P
from kpilib.rules.formats import plain
from kpilib.rules.suppression import (
    COMMENTARY_WITHHELD,
    TRAVEL_WITHHELD,
    WITHHELD,
    Suppression,
    primary,
    printed_forms,
    protect,
    states,
    tilings,
)
from kpilib.rules.travel import NO_TRAVEL

FIELDS = ("value", "numerator", "denominator")
ADDITIVE = ("sum", "ratio", "mean")  # a column's counts are its periods' added up
LATEST = ("snapshot", "cumulative")  # a column's figure is its latest period's
ANY = -1  # a status key that reads the KPI's whole series (an SPC signal)
KEEP = ("Tracking", "Target under review")  # statuses that say nothing of the figure
NOTICE = ("Small numbers are withheld from this public edition to protect the privacy of "
          "the people they describe: a count from 1 to {below} is shown as {mark} (zero is "
          "shown), a percentage or rate based on such a count is withheld, and so is a further "
          "figure wherever a withheld one could otherwise be worked out from a total and the "
          "other figures it is made of. A withheld figure has no RAG status, direction of "
          "travel or SPC chart, and a figure has no RAG status where its status would compare "
          "it with a withheld one.")


SECONDARY = (" Some figures that are not small numbers are withheld too, to protect others: "
             "without them a withheld small number could be worked out by subtraction from a "
             "total or a year to date.")


def notice(settings: Suppression, others: bool = False) -> str:
    """What every page of a public edition says about withheld figures, and why; with
    ``others``, that figures were withheld to protect others (secondary suppression)."""
    return NOTICE.format(below=settings.threshold - 1, mark=settings.mark) + (
        SECONDARY if others else "")


def _number(x) -> float | None:
    return None if x is None or x != x else float(x)


def _figures(report: Report, returns: pd.DataFrame) -> tuple[dict, set]:
    """(every figure the report can show or give away, by key; the keys the edition
    publishes: its cells and its chart points)."""
    values: dict = {}
    for c in report.cells.to_dict("records"):
        for f in FIELDS:
            values[(c["ref"], c["breakdown"], c["column"], f)] = _number(c[f])
    for s in report.series.to_dict("records"):  # a chart point: the period's value
        values.setdefault((s["ref"], s["breakdown"], s["period"], "value"), _number(s["value"]))
    shown = {k for k, v in values.items() if v is not None}
    refs = set(report.kpis["ref"]) if len(report.kpis) else set()
    rows = returns[returns["ref"].isin(refs) & (returns["status"] == "")]
    for r in rows.to_dict("records"):
        for f in FIELDS:
            values.setdefault((r["ref"], r["breakdown"] or "", r["period"], f), _number(r[f]))
    return values, shown


def _spans(report: Report, k: dict, field: str, shown: set) -> dict:
    """The published figures of one KPI row and field, by span (a column's id or a chart
    point's period) -> the periods it is made of, in order."""
    monthly = k["frequency"] == "monthly"
    spans = {}
    for col in report.columns:
        ids = col.months if monthly else col.quarters
        if ids and (k["ref"], k["breakdown"], col.id, field) in shown:
            spans[col.id] = tuple(ids)
    for key in shown:  # chart points (a month or quarter column is the same figure)
        if key[:2] == (k["ref"], k["breakdown"]) and key[3] == field and key[2] not in spans:
            spans[key[2]] = (key[2],)
    return spans


def _fields(k: dict) -> list[str]:
    """The fields of a KPI row that add up: its counts, and a count KPI's value."""
    return ["numerator", "denominator"] + (["value"] if k["unit"] == "count" else [])


def _groups(report: Report, values: dict, shown: set) -> list:
    """(total, parts) of every additive relation between the figures the edition
    publishes: a KPI's total and its breakdowns in each column and chart point, and every
    way a column spanning several periods adds up from the columns and points inside it
    (a year to date from its quarters and months, a quarter from its months)."""
    kpis = report.kpis.to_dict("records")
    parts_of: dict[str, list] = {}
    for b in kpis:
        if b["breakdown"]:
            parts_of.setdefault(b["ref"], []).append(b["breakdown"])
    groups = []
    for k in kpis:
        ref, bd = k["ref"], k["breakdown"]
        fields = _fields(k)
        if k["measure"] == "ratio":  # a ratio's column is its periods' mean where only
            fields.append("value")   # values were given (section 2)
        for f in fields:
            spans = _spans(report, k, f, shown)
            if not bd:  # the total and its breakdowns, in each span
                for span in spans if f in _fields(k) else ():
                    parts = [(ref, b, span, f) for b in parts_of.get(ref, [])]
                    if parts:
                        groups.append(((ref, "", span, f), parts))
            if k["measure"] in LATEST:  # equal figures: each span and its latest period's
                _latest_groups(groups, (ref, bd), f, spans, values)
            elif k["measure"] in ADDITIVE:
                for span, ids in spans.items():
                    if len(ids) < 2 or (k["measure"] == "ratio" and f == "value" and
                                        values.get((ref, bd, span, "numerator")) is not None):
                        continue
                    for tiling in tilings(ids, {s: p for s, p in spans.items() if s != span}):
                        groups.append(((ref, bd, span, f), [(ref, bd, s, f) for s in tiling]))
    return groups


def _latest_groups(groups: list, row: tuple, f: str, spans: dict, values: dict) -> None:
    """A snapshot's or cumulative KPI's spans with the same latest period (with a value)
    are one figure: each pair a group."""
    by_latest: dict = {}
    for span, ids in spans.items():
        have = [p for p in ids if values.get((*row, p, f)) is not None] or list(ids[-1:])
        by_latest.setdefault(have[-1], []).append(span)
    for same in by_latest.values():
        groups += [((*row, same[0], f), [(*row, s, f)]) for s in same[1:]]


def published_groups(report: Report, returns: pd.DataFrame) -> tuple[dict, list]:
    """(every figure by key, every additive relation between published figures): what an
    adversary can subtract.  For checks and tests."""
    values, shown = _figures(report, returns)
    return values, _groups(report, values, shown)


def withheld_figures(report: Report, returns: pd.DataFrame,
                     settings: Suppression) -> tuple[dict, set, set]:
    """(every figure by key, the small counts, every withheld key)."""
    values, shown = _figures(report, returns)
    units = {(k["ref"], k["breakdown"]): k["unit"] for k in report.kpis.to_dict("records")}
    counts = [k for k in values if k[3] != "value" or units.get(k[:2]) == "count"]
    small = primary(values, counts, settings)
    groups = _groups(report, values, shown)
    withheld = set(small)
    while True:  # until secondary (and combined) and derived suppression withhold no more
        grown = protect(values, groups, withheld)
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
    compares = _status_compares(report, withheld, settings)
    marks = {f: [] for f in FIELDS}
    displays, rags = [], []
    for c in cells.to_dict("records"):
        key = (c["ref"], c["breakdown"], c["column"])
        for f in FIELDS:
            marks[f].append(mark((*key, f)) if (*key, f) in withheld else "")
        hidden = (*key, "value") in withheld
        rags.append("" if (hidden or compares(key[:2], c["column"])) and c["rag"] not in KEEP
                    else c["rag"])
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
    series.loc[[(g or compares((ref, b), p)) and r not in KEEP for g, r, ref, b, p in
                zip(gone, series["rag"], series["ref"], series["breakdown"], series["period"],
                    strict=True)], "rag"] = ""
    spc = report.spc_points
    no_spc = {(p["ref"], p["breakdown"]) for p in spc.to_dict("records")
              if (p["ref"], p["breakdown"], p["period"], "value") in withheld}
    spc = spc[[(r, b) not in no_spc for r, b in zip(spc["ref"], spc["breakdown"])]]
    kpis = _kpi_rows(report, withheld, values, settings, no_spc, compares)
    travel = {(k["ref"], k["breakdown"]): (k["travel"], k["travel_text"])
              for k in kpis.to_dict("records")}
    now = [travel.get((r, b), (t, w)) if t else (t, w) for r, b, t, w in
           zip(cells["ref"], cells["breakdown"], cells["travel"], cells["travel_label"])]
    cells["travel"], cells["travel_label"] = [t for t, _ in now], [w for _, w in now]
    units = {k["ref"]: k["unit"] for k in kpis.to_dict("records") if k["breakdown"] == ""}
    peers = {ref: v for ref, view in (report.peers or {}).items()
             if (v := _peers_shown(view, withheld, units.get(ref), settings)) is not None}
    return dataclasses.replace(report, cells=cells.reset_index(drop=True), series=series,
                               spc=spc.reset_index(drop=True), kpis=kpis, edition="public",
                               peers=peers,
                               notice=notice(settings, bool(withheld - small)))


def _peers_shown(view, withheld: set, unit: str | None, settings: Suppression):
    """A KPI's peers in a public edition: peer figures are public data, but a figure of
    the council's own that the edition withholds (any of the KPI's total, or its own peer
    figure, numerator or denominator a small count) is never ranked, charted, placed on a
    funnel plot or inside a median, average or funnel target shown."""
    own = next((v for b, _, v in view.figures if b == view.own), None)
    small = own is not None and unit == "count" and 0 < own < settings.threshold
    small = small or any(0 < c < settings.threshold for b, *counts in view.counts
                         if b == view.own for c in counts)  # its funnel point's counts
    if not view.own or not small and not any(k[0] == view.ref and k[1] == "" for k in withheld):
        return view
    return withhold_own(view, "the council's own figure is withheld in this edition")


def _display(c: dict, key: tuple, withheld: set, mark, measure: str | None) -> str:
    """A withheld cell's text: its mark, and a ratio's counts (each shown or withheld)."""
    text = mark((*key, "value"))
    if measure in ("ratio", "cumulative") and c["numerator"] == c["numerator"] \
            and c["denominator"] == c["denominator"]:
        num, den = ((mark((*key, f)) if (*key, f) in withheld else plain(c[f]))
                    for f in ("numerator", "denominator"))
        text += f" ({num} out of {den})"
    return text


def _window(head: str, back: int = 0) -> set[str]:
    """The financial years a direction of travel of ``head`` can read: its own and the one
    before (the previous period, the same period a year before, the previous year's end),
    and those of the ``back`` periods before it (a rolling average of ``back`` periods)."""
    try:
        p = P.parse_period(head)
    except P.PeriodError:
        return set()
    out = {p.fy, P.fy_id(P.parse_fy(p.fy) - 1)}
    for _ in range(back):
        p = P.previous(p)
        out.add(p.fy)
    return out


def _reach(report: Report, scheme: str) -> int:
    """How many periods back the comparisons of a travel key reach (its rolling averages)."""
    try:
        comps = report.keys.travel_key(scheme).comparisons
    except (AttributeError, KeyError, TypeError, ValueError):
        return 0
    return max((c.periods for c in comps if c.baseline == "rolling_average"), default=0)


def _fy(span: str) -> str:
    try:
        return P.parse_period(span).fy
    except P.PeriodError:  # YTD: no comparison reads it
        return ""


def _hidden_years(withheld: set) -> dict:
    """(ref, breakdown) -> the financial years in which a value of it is withheld."""
    hidden: dict = {}
    for key in withheld:
        if key[3] == "value":
            hidden.setdefault(key[:2], set()).add(_fy(key[2]))
    return hidden


def _status_reads(report: Report, scheme: str) -> tuple[int | None, bool]:
    """What the bands of a status key read of the KPI's own figures: how far back (None
    when they read none: a target, a floor, loaded or peer reference values; else the
    number of periods before a column its rolling averages read, 0 for a direction of
    travel against the previous period, the same period a year before or the previous
    year's end, ``ANY`` for an SPC signal, which reads the whole series), and whether they
    compare with its catalogue ``baseline``."""
    try:
        key = report.keys.status_key(scheme)
    except (AttributeError, KeyError, TypeError, ValueError):
        return None, False
    baseline = "baseline" in key.uses()
    conds = [b.travel for b in key.bands if b.travel is not None]
    if not (key.rolling or conds or key.uses_spc):
        return None, baseline
    if key.uses_spc:
        return ANY, baseline
    return max([n for _, n in key.rolling]
               + [c.periods for c in conds if c.baseline == "rolling_average"],
               default=0), baseline


def _status_compares(report: Report, withheld: set, settings: Suppression):
    """Whether the status of a shown figure would compare it with a withheld one (reporting
    rules 7.6): its key reads the KPI's own earlier figures (a direction of travel, a
    rolling average, an SPC signal) and one it can read is withheld, or its key compares
    with the KPI's catalogue baseline and that is a small count.  ``(ref, breakdown),
    column or period -> bool``."""
    hidden = _hidden_years(withheld)
    kpis = {(k["ref"], k["breakdown"]): k for k in report.kpis.to_dict("records")}
    reads = {s: _status_reads(report, s) for s in {k.get("rag_scheme", "")
                                                   for k in kpis.values()}}

    def compares(kpi: tuple, span: str) -> bool:
        k = kpis.get(kpi)
        if k is None:
            return False
        back, uses_baseline = reads[k.get("rag_scheme", "")]
        if uses_baseline and k.get("unit") == "count" and settings.small(k.get("baseline")):
            return True
        if back is None or kpi not in hidden:
            return False
        window = _window(span if _fy(span) else k.get("headline_period", ""), back)
        return back == ANY or not window or bool(hidden[kpi] & window)

    return compares


def _kpi_rows(report: Report, withheld: set, values: dict, settings: Suppression,
              no_spc: set, compares=lambda kpi, span: False) -> pd.DataFrame:
    """Headline RAG and travel, baseline, SPC icons and commentary of the public edition."""
    hidden = _hidden_years(withheld)  # (ref, breakdown) -> the financial years withheld
    shown_forms: dict = {}  # ref -> how its withheld figures would be printed
    decimals = {k["ref"]: k["decimals"] for k in report.kpis.to_dict("records")}
    for key in withheld:
        v = values.get(key)
        if v is not None and v != 0:
            d = decimals.get(key[0])
            shown_forms.setdefault(key[0], set()).update(
                printed_forms(v, int(d) if d == d and d is not None else 2))
    every_form = set().union(*shown_forms.values())
    rows = []
    for k in report.kpis.to_dict("records"):
        key = (k["ref"], k["breakdown"])
        head = k.get("headline_period", "")
        if ((*key, head, "value") in withheld or compares(key, head)) and k["rag"] not in KEEP:
            k["rag"], k["override_reason"], k["override_by"] = "", "", ""
        window = _window(head, _reach(report, k.get("travel_scheme", "")))
        if hidden.get(key, set()) & window or (*key, head, "value") in withheld:
            k["travel"], k["travel_text"] = NO_TRAVEL, TRAVEL_WITHHELD  # it would narrow
            if k["travel2"]:                                            # a withheld figure
                k["travel2"], k["travel2_text"] = NO_TRAVEL, TRAVEL_WITHHELD
        if k.get("unit") == "count" and settings.small(k.get("baseline")):
            k["baseline"], k["baseline_text"] = None, settings.mark
        if k.get("commentary_internal"):
            k["commentary"] = ""
        elif states(k.get("commentary") or "", every_form):  # any KPI's: it may quote one
            k["commentary"] = f"<p><em>{COMMENTARY_WITHHELD}</em></p>"
        if key in no_spc:
            k.update(spc_table.NO_SPC)
        rows.append(k)
    return pd.DataFrame(rows, columns=report.kpis.columns)
