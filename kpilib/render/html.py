"""HTML fragments of a report: pure functions from a
:class:`~kpilib.reports.model.Report` to strings.

This module prepares plain values (dicts, lists, text) and hands them to the Jinja2
templates in ``kpilib/templates/fragments/`` (a project may override any of them, see
:mod:`kpilib.render.templates`); the templates own the markup.

Accessibility (WCAG 2.2 AA): every RAG status carries its word and a symbol
as well as its colour (colours chosen for at least 4.5:1 text contrast); travel
arrows carry words; tables have captions and header cells with ``scope``;
charts have a text alternative.  Commentary is sanitised with nh3.
"""

from __future__ import annotations

from dataclasses import dataclass

import nh3
import pandas as pd

from kpilib.ingest.keys import builtin_keys
from kpilib.render import templates
from kpilib.render.charts import chart_summary, trend_chart, xmr_chart
from kpilib.render.peers import PEERS_WITHHELD, peers_block
from kpilib.render.style import (
    ASSURANCE_STYLE,
    CHART_MARKERS,
    RAG_STYLE,
    VARIATION_STYLE,
    esc,
    human_moment,
    page_file,
    period_label,
    slug,
    use_keys,
)
from kpilib.reports import sentence
from kpilib.reports.model import Report
from kpilib.rules.formats import arrears_lag, format_target, format_value, is_blank
from kpilib.rules.periods import fy_id, parse_fy
from kpilib.rules.spc import MIN_POINTS
from kpilib.rules.suppression import TRAVEL_WITHHELD
from kpilib.rules.travel import NO_POLARITY, NO_TRAVEL, NO_TRAVEL_WORDS

__all__ = ["CHART_MARKERS", "RAG_STYLE", "KpiRows", "baseline_label", "chart", "chart_summary",
           "contents",
           "esc", "human_moment", "kpi_article", "legend", "overview", "page_file",
           "page_header", "rag_badge", "rows_by_ref", "sanitise", "section_body", "slug",
           "summary_sentence", "travel_badge"]

_ALLOWED_TAGS = {"p", "b", "strong", "i", "em", "u", "br", "ul", "ol", "li", "a"}
_SAFE_URL = {"http", "https", "mailto"}


def sanitise(fragment: str) -> str:
    """Commentary may hold simple HTML: keep ``<p>``, ``<b>`` and friends, drop the rest.

    Scripts, event handlers, styles and ``javascript:`` links never survive.
    """
    if is_blank(fragment) or not str(fragment).strip():
        return ""
    return nh3.clean(str(fragment), tags=_ALLOWED_TAGS, attributes={"a": {"href"}},
                     url_schemes=_SAFE_URL, link_rel="noopener noreferrer nofollow")


def _commentary(text) -> str:
    """Sanitised commentary, marked safe for the templates (``""`` when there is none)."""
    return templates.safe(sanitise(text))


def rag_badge(status: str) -> str:
    return str(templates.macro("badges", "rag_badge")(status))


def travel_badge(symbol: str, words: str) -> str:
    return str(templates.macro("badges", "travel_badge")(symbol, words))


def _travel_key(keys) -> list[tuple[str, str]]:
    """Every (symbol, words) a page can show, in the keys' order (each travel key's
    comparisons, no polarity, no previous value)."""
    pairs = [p for key in keys.travel.values() for comp in key.comparisons for p in comp.pairs()]
    pairs += [*NO_POLARITY.items(), (NO_TRAVEL, NO_TRAVEL_WORDS), (NO_TRAVEL, TRAVEL_WITHHELD)]
    pairs += [(NO_TRAVEL, comp.none_words) for key in keys.travel.values()
              for comp in key.comparisons]
    return list(dict.fromkeys(pairs))


def legend(report: Report | None = None) -> str:
    """The key to the RAG statuses and travel symbols ``report`` uses, in words and symbols
    (None: every one).  Pass the whole report, not a section, so that every page of a run
    shows the same key."""
    keys = report.keys if report is not None and report.keys is not None else builtin_keys()
    use_keys(keys)
    pairs = _travel_key(keys)
    labels = ["compares the current period with the previous one"]
    if report is None:
        statuses, not_rated = list(RAG_STYLE), True
    else:
        drawn = report.series[report.series["value"].notna()] if len(report.series) else None
        used = {*report.kpis.get("rag", ()), *report.cells.get("rag", ()),
                *(() if drawn is None else drawn["rag"])}  # chart markers: points drawn
        statuses = [s for s in RAG_STYLE if s in used]
        not_rated = "" in set(report.headline().get("rag", ()))
        shown = set(zip(report.kpis.get("travel", ()), report.kpis.get("travel_text", ())))
        shown |= set(zip(report.kpis.get("travel2", ()), report.kpis.get("travel2_text", ())))
        pairs = [p for p in pairs if p in shown]
        labels = list(dict.fromkeys(x for x in (*report.kpis.get("travel_label", ()),
                                                *report.kpis.get("travel2_label", ())) if x))
    travel: dict[str, list[str]] = {}  # words -> symbols: "↑G/↓G improved"
    for sym, words in pairs:
        travel.setdefault(words, []).append(sym)
    spc = _spc_key(report)
    return templates.render(
        "legend", statuses=statuses, not_rated=not_rated, spc=spc, travel_labels=labels,
        travel=[{"symbols": syms, "words": words[:1].lower() + words[1:]}
                for words, syms in travel.items()])


def _spc_key(report: Report | None) -> dict:
    """The SPC icons the report shows: {variation: [icon], assurance: [icon], min_points:
    the points a series needs for them}."""
    used_v = set(report.kpis.get("variation", ())) if report is not None else set(VARIATION_STYLE)
    used_a = set(report.kpis.get("assurance", ())) if report is not None else set(ASSURANCE_STYLE)
    return {"variation": [v for v in VARIATION_STYLE if v in used_v],
            "assurance": [a for a in ASSURANCE_STYLE if a in used_a],
            "min_points": getattr(report, "spc_min_points", MIN_POINTS)}


def mdc_matrix(report: Report, links: dict[str, str]) -> dict:
    """The Making Data Count summary: KPIs (totals) by variation (rows) and assurance
    (columns), each cell listing its KPIs with a link to each."""
    h = report.headline()
    by = report.section_key
    cols = [*ASSURANCE_STYLE, ""]
    rows = []
    for v in VARIATION_STYLE:
        cells = []
        for a in cols:
            hits = h[(h.get("variation", "") == v) & (h.get("assurance", "") == a)] \
                if len(h) else h
            cells.append([{"ref": r.ref, "name": r.name,
                           "href": f"{links.get(getattr(r, by), '')}#kpi-{slug(r.ref)}"}
                          for r in hits.itertuples()])
        if any(cells):
            rows.append({"variation": v, "cells": cells})
    charted = int(h.get("spc_charted", pd.Series(dtype=bool)).sum()) if len(h) else 0
    return {"columns": cols, "rows": rows, "charted": charted, "total": len(h)}


def page_header(report: Report, heading: str, nav: list[tuple[str, str]] | None = None) -> str:
    """The top of every page: titles, the data's as-of moment, and navigation."""
    as_of = report.data_as_of
    return templates.render(
        "page_header", title=report.name or report.type.title, period=report.period.label,
        heading=heading, as_of=as_of, as_of_text=human_moment(as_of) if as_of else "",
        nav=list(nav or []), notice=getattr(report, "notice", ""))


def _groups(report: Report, *fields: str) -> list[tuple[str, list[dict]]]:
    """(key commitment, its KPIs' ``fields`` of the headline) in page order."""
    h = report.headline()
    out: dict[str, list[dict]] = {}
    for group, *values in zip(h["commitment"], *(h[f] for f in fields)):
        out.setdefault(group, []).append(dict(zip(fields, values)))
    return list(out.items())


def contents(report: Report) -> str:
    """Table of contents of a page: its key commitments and KPIs."""
    groups = [{"name": group, "kpis": kpis}
              for group, kpis in _groups(report, "ref", "name", "rag")]
    return templates.render("contents", groups=groups)


@dataclass(frozen=True)
class KpiRows:
    """One KPI's rows of a report as plain dicts (rendering reads these, not DataFrames)."""

    kpis: list[dict]  # the total first, then its breakdowns
    cells: list[dict]
    series: list[dict]


def _group(df) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for rec in df.to_dict("records"):
        out.setdefault(rec["ref"], []).append(rec)
    return out


def rows_by_ref(report: Report) -> dict[str, KpiRows]:
    """Every KPI's rows, grouped in one pass over each frame."""
    kpis, cells, series = _group(report.kpis), _group(report.cells), _group(report.series)
    return {ref: KpiRows(k, cells.get(ref, []), series.get(ref, [])) for ref, k in kpis.items()}


def _rows(report: Report, ref: str, rows: KpiRows | None) -> KpiRows:
    if rows is not None:
        return rows
    pick = lambda df: df[df["ref"] == ref].to_dict("records")  # noqa: E731
    return KpiRows(pick(report.kpis), pick(report.cells), pick(report.series))


def baseline_label(report: Report) -> str:
    """The heading of the baseline column: ``Baseline (2023-24)``, the year before the
    report's."""
    return f"Baseline ({fy_id(parse_fy(report.period.fy) - 1)})"


def _values_table(report: Report, ref: str, name: str, rows: KpiRows) -> dict:
    """What ``values_table.html.j2`` shows: a row per KPI row, a cell per report column,
    and the baseline column where the KPI has a baseline."""
    body = []
    for k in rows.kpis:
        kc = {c["column"]: c for c in rows.cells if c["breakdown"] == k["breakdown"]}
        body.append({"kpi": k, "baseline": k.get("baseline_text", ""),
                     "cells": [{"current": c.current, "status": kc[c.id]["status"],
                                "display": kc[c.id]["display"]} for c in report.columns]})
    has_baseline = any(row["baseline"] for row in body)
    activity = bool(rows.kpis and rows.kpis[0].get("activity"))  # qpr: against its range
    return {"ref": ref, "name": name, "rows": body, "status": "Status" if activity else "RAG",
            "baseline": baseline_label(report) if has_baseline else "",
            "columns": [{"label": c.label, "current": c.current} for c in report.columns]}


def chart(report: Report, ref: str, name: str, unit: str, rows: KpiRows | None = None) -> str:
    """A plotly trend chart (two financial years, target line, RAG-coloured markers), its
    figures shown with the KPI's display precision."""
    rows = _rows(report, ref, rows)
    total = next((k for k in rows.kpis if k["breakdown"] == ""), {})
    notes = (report.annotations or {}).get(ref, ())  # kpi load annotations
    if total.get("spc_charted"):  # an XmR chart where the KPI has the council's minimum
        pts = report.spc_points
        points = pts[(pts["ref"] == ref) & (pts["breakdown"] == "")].to_dict("records")
        targets = [r["target"] for r in rows.series
                   if r["breakdown"] == "" and not is_blank(r["target"])]
        return xmr_chart(ref, unit, points, targets[-1] if targets else None,
                         total.get("decimals"), total, total.get("scale", 1), notes)
    return trend_chart(ref, unit, rows.series, total.get("decimals"), total.get("scale", 1),
                       notes)


def kpi_article(report: Report, ref: str, rows: KpiRows | None = None) -> str:
    """Everything shown for one KPI: values, targets, RAG, travel, commentary, chart."""
    rows = _rows(report, ref, rows)
    k = next(r for r in rows.kpis if r["breakdown"] == "")
    if not report.directorate_shown:  # the council's report shape: no directorate per KPI
        k = {**k, "directorate": ""}
    return templates.render(
        "kpi_article", kpi=k, table=_values_table(report, ref, k["name"], rows),
        arrears=period_label(k["headline_period"]) if k["arrears"] else "",
        arrears_lag=arrears_lag(k["frequency"]),
        commentary=_commentary(k["commentary"]),
        chart=templates.safe(chart(report, ref, k["name"], k["unit"], rows)),
        peers=templates.safe(_peers(report, ref, k)))


def _peers(report: Report, ref: str, k: dict) -> str:
    """The KPI among its peers ("" where it has none)."""
    view = (report.peers or {}).get(ref)
    if view is None:
        return ""
    n = k.get("decimals")
    return peers_block(view, k["unit"], None if is_blank(n) else int(n),
                       PEERS_WITHHELD if view.withheld else "")


def section_body(report: Report) -> str:
    """A directorate (or theme) page's body: KPIs grouped by key commitment."""
    rows = rows_by_ref(report)
    groups = [{"name": group,
               "articles": [templates.safe(kpi_article(report, k["ref"], rows[k["ref"]]))
                            for k in kpis]}
              for group, kpis in _groups(report, "ref")]
    return templates.render("section_body", groups=groups)


def _counts_table(report: Report, by: str, subject: str, links: dict[str, str]) -> dict:
    """What ``counts_table.html.j2`` shows: KPIs by RAG status and ``by``."""
    t = report.rag_counts(by)
    cols = list(t.columns)
    rows = [{"name": name, "href": links.get(name), "counts": [int(row[c]) for c in cols]}
            for name, row in t.iterrows()]
    return {"by": by, "subject": subject, "columns": cols, "rows": rows,
            "totals": [int(t[c].sum()) for c in cols]}


def _headline_text(report: Report, k) -> str:
    """``Feb 2024: 79.0% against a target of 85.0%`` for a KPI's headline period."""
    cells = report.series[(report.series["ref"] == k.ref) & (report.series["breakdown"] == "")
                          & (report.series["period"] == k.headline_period)]
    if cells.empty or is_blank(cells.iloc[0]["value"]):
        return f"{period_label(k.headline_period)}: no value"
    c = cells.iloc[0]
    n, scale = getattr(k, "decimals", None), getattr(k, "scale", 1)
    target = ("" if is_blank(c["target"])
              else f" against a target of {format_target(c['target'], k.unit, n, scale)}")
    return (f"{period_label(k.headline_period)}: "
            f"{format_value(c['value'], k.unit, n, scale)}{target}")


def summary_sentence(report: Report) -> str:
    """The overview's summary line, in the report's keys' own words
    (:func:`kpilib.reports.sentence.summary_sentence`)."""
    return sentence.summary_sentence(report)


def _action_words(report: Report) -> str:
    """The statuses that make a KPI an exception, as the report's keys name them ("Red";
    "Red or Off track" where two keys of the report differ)."""
    keys, h = report.keys, report.headline()
    if keys is None or "rag_scheme" not in h:
        return "Red"
    labels = [s.label for ident in dict.fromkeys(h["rag_scheme"]) if ident in keys.status
              for s in keys.status[ident].statuses if s.action]
    labels = list(dict.fromkeys(labels))
    return " or ".join(labels) if labels else "Red"


def overview(report: Report, pages: list[tuple[str, str]], sources: list[dict]) -> str:
    """The overview page body: counts by status, exceptions, sources, links."""
    by = report.section_key
    links = {name: href for name, href in pages}
    counts = [_counts_table(report, by, by, links)]
    if by != "commitment":
        counts.append(_counts_table(report, "commitment", "key commitment", {}))
    exceptions = [{"ref": r.ref, "name": r.name, "rag": r.rag, "travel": r.travel,
                   "travel_text": r.travel_text, "section": getattr(r, by),
                   "commitment": r.commitment, "page": links.get(getattr(r, by), ""),
                   "headline": _headline_text(report, r),
                   "commentary": _commentary(r.commentary)}
                  for r in report.exceptions().itertuples()]
    return templates.render("overview", summary=summary_sentence(report), counts=counts,
                            action_words=_action_words(report),
                            mdc=mdc_matrix(report, links),
                            pages=list(pages), exceptions=exceptions, sources=list(sources))
