"""Charts: a KPI's standard trend chart, and the extras a section's own notebook may show.

Pure functions from plain rows (or a report) to an HTML fragment: plotly's chart markup in
the ``chart_figure`` template, with a text alternative.  Imports only :mod:`style` and
:mod:`templates` of this package (:mod:`kpilib.render.html` uses this module, not the
other way round).

Nothing missing is drawn as if it were there: a period without a figure is a gap in the
line (``None``, plotly's ``connectgaps`` off), never a line from the figure before it to
the one after, and the text alternative names it.  A KPI returned in thousands or
millions (its catalogue ``scale``) is drawn, hovered and described in full units.
"""

from __future__ import annotations

import plotly.io as pio

from kpilib.render import templates
from kpilib.render.style import (
    ASSURANCE_STYLE,
    CHART_MARKERS,
    POINT_STYLE,
    RAG_STYLE,
    VARIATION_STYLE,
    period_label,
    slug,
)
from kpilib.reports.model import Report
from kpilib.rules.formats import format_target, format_value, is_blank, scaled
from kpilib.rules.periods import parse_period, previous
from kpilib.rules.spc import clip, natural_bounds

LIMIT_KEYS = ("lower_limit", "upper_limit", "near_lower", "near_upper")
NOTE_LABEL = 28  # characters of a note drawn on a chart (the text alternative has it all)


def _on_chart(notes, periods: list[str]) -> list:
    """The notes (:class:`kpilib.reports.annotations.Note`) on a period the chart shows."""
    shown = set(periods)
    return [n for n in notes or () if n.period in shown]


def notes_text(notes) -> str:
    """The text alternative's words for the notes on a chart ("" for none)."""
    if not notes:
        return ""
    return " Notes: " + "; ".join(
        f"{period_label(n.period)}: {n.text}"
        + (" (SPC limits recalculated from here)" if n.rebase else "") for n in notes) + "."


def with_notes(layout: dict, notes) -> dict:
    """``layout`` with each note drawn as a dotted vertical line at its period and a short
    label above the plot (``Rebased:`` before a note that rebases the SPC limits)."""
    if not notes:
        return layout
    shapes, labels = [], []
    for i, n in enumerate(notes):
        x = period_label(n.period)
        text = ("Rebased: " if n.rebase else "") + n.text
        short = text if len(text) <= NOTE_LABEL else text[:NOTE_LABEL - 1] + "…"
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x,
                       "y0": 0, "y1": 1, "line": {"color": "#505a5f", "dash": "dot",
                                                  "width": 1.5}})
        labels.append({"x": x, "xref": "x", "yref": "paper", "y": 1 + 0.09 * (i % 2),
                       "yanchor": "bottom", "xanchor": "left", "showarrow": False,
                       "text": "▼ " + short, "hovertext": text,
                       "font": {"size": 10, "color": "#0b0c0c"}})
    return {**layout, "shapes": shapes, "annotations": labels,
            "margin": {**layout["margin"], "t": 44}}


def trimmed(series: list[dict]) -> list[dict]:
    """Drop the leading periods before a KPI's first value (a new KPI has no history)."""
    have = [r["period"] for r in series if not is_blank(r["value"])]
    return [r for r in series if r["period"] >= min(have)] if have else series


def clean(values, decimals: int | None = None, scale: float = 1) -> list:
    """Chart points: 2 decimals, or the KPI's display precision where it is more (the
    exact figures are in results.csv), in full units (``scale``), ``None`` (a gap) for
    periods without a value."""
    places = max(2, decimals or 0)
    return [None if is_blank(v) else round(float(scaled(v, scale)), places) for v in values]


def hover(values, unit: str, decimals: int | None = None, scale: float = 1) -> list[str]:
    """What a reader hovering over each point reads: the figure as the table shows it."""
    return ["" if is_blank(v) else format_value(v, unit, decimals, scale) for v in values]


def _yaxis(unit: str, **more) -> dict:
    """The y-axis of a KPI's chart: its unit on the ticks (``%``, ``£``), full figures."""
    return {"gridcolor": "#e5e5e5", "ticksuffix": "%" if unit == "percent" else "",
            "tickprefix": "£" if unit == "currency" else "", "separatethousands": True,
            **more}


def gaps_text(rows: list[dict]) -> str:
    """The text alternative's words for the periods of ``rows`` (series rows, in order)
    drawn as gaps: `` No figure for Jul 2024, Aug 2024 (shown as a gap).``"""
    missing = [period_label(r["period"]) for r in rows if is_blank(r["value"])]
    if not missing:
        return ""
    return f" No figure for {', '.join(missing)} (shown as a gap)."


def with_gaps(points: list[dict]) -> list[dict]:
    """Points (``period`` in order, one series) with a row of ``None`` figures for every
    period between two of them that has none: a missing quarter is a gap in the line."""
    out: list[dict] = []
    for p in points:
        if out:
            here, missing = parse_period(p["period"]), []
            before = previous(here)
            while before.id > out[-1]["period"] and len(missing) < 120:
                missing.append({k: None for k in p} | {"period": before.id,
                                                      "point": "common_cause", "rule": ""})
                before = previous(before)
            out += reversed(missing)
        out.append(p)
    return out


def figure(body: str, summary: str) -> str:
    """A chart's markup (plotly's div and script) with its text alternative."""
    return templates.render("chart_figure", chart=templates.safe(body), summary=summary)


def chart_summary(ref: str, total: list[dict], unit: str, decimals: int | None = None,
                  scale: float = 1) -> str:
    """A text alternative for a KPI's trend chart (``total``: its series rows, in order;
    ``decimals``: the KPI's display precision; ``scale``: its unit scale); it names the
    periods without a figure, drawn as gaps."""
    s = trimmed(total)
    have = [r for r in s if not is_blank(r["value"])]
    if not have:
        return f"Trend chart of {ref}: no values recorded in the period shown."
    latest = have[-1]
    hi = max(have, key=lambda r: r["value"])
    lo = min(have, key=lambda r: r["value"])

    def fmt(x) -> str:
        return format_value(x, unit, decimals, scale)

    t = ("" if is_blank(latest["target"])
         else f", target {format_target(latest['target'], unit, decimals, scale)}")
    return (
        f"Trend chart of {ref}, {period_label(s[0]['period'])} to "
        f"{period_label(s[-1]['period'])}: latest {fmt(latest['value'])} "
        f"({period_label(latest['period'])}{t}); highest {fmt(hi['value'])} "
        f"({period_label(hi['period'])}), lowest {fmt(lo['value'])} "
        f"({period_label(lo['period'])})." + gaps_text(s)
    )


def _line(name: str, x: list, values: list, unit: str, decimals: int | None,
          scale: float = 1) -> dict:
    """A trace's points and what hovering over them reads; a period without a figure is a
    gap (never joined across)."""
    return {"type": "scatter", "name": name, "x": x, "y": clean(values, decimals, scale),
            "customdata": hover(values, unit, decimals, scale), "connectgaps": False,
            "hovertemplate": "%{x}: %{customdata}"}  # plotly adds the trace's name


def _layout(height: int, yaxis: dict) -> dict:
    """The layout every KPI chart shares: white, system font, legend below, periods as
    categories; ``yaxis`` is the chart's own."""
    return {
        "height": height, "margin": {"l": 50, "r": 10, "t": 10, "b": 60},
        "paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff", "showlegend": True,
        "legend": {"orientation": "h", "y": -0.35}, "font": {"family": "Arial, sans-serif",
                                                            "size": 12, "color": "#0b0c0c"},
        "xaxis": {"type": "category", "gridcolor": "#e5e5e5", "tickangle": -45},
        "yaxis": yaxis,
    }


def trend_chart(ref: str, unit: str, series: list[dict], decimals: int | None = None,
                scale: float = 1, notes=()) -> str:
    """A KPI's trend chart (two financial years, target line, RAG-coloured markers) from its
    series rows (total and breakdowns: ``breakdown``, ``period``, ``value``, ``target``,
    ``rag``), with its text alternative; figures shown with the KPI's display precision
    ``decimals`` (None: each figure's default); ``notes`` (the KPI's annotations) on the
    periods it shows are drawn and said."""
    s = trimmed(series)
    total = [r for r in s if r["breakdown"] == ""]
    x = [period_label(r["period"]) for r in total]
    data = []
    for b in [b for b in dict.fromkeys(r["breakdown"] for r in s) if b]:
        values = [r["value"] for r in s if r["breakdown"] == b]
        data.append({**_line(b, x, values, unit, decimals, scale), "mode": "lines",
                     "line": {"width": 1.5}, "opacity": 0.8})
    rags = [r["rag"] for r in total]
    values = [r["value"] for r in total]
    data.append({
        "type": "scatter", "mode": "lines+markers", "name": "Total" if len(data) else ref,
        "x": x, "y": clean(values, decimals, scale), "connectgaps": False,
        "line": {"color": "#1d3557", "width": 2.5},
        "marker": {"size": 9, "color": [RAG_STYLE.get(r, ("", "", "#1d3557"))[2] for r in rags],
                   "symbol": [CHART_MARKERS.get(r, "circle") for r in rags],
                   "line": {"color": "#1d3557", "width": 1}},
        "text": rags, "customdata": hover(values, unit, decimals, scale),
        "hovertemplate": "%{x}: %{customdata}<br>%{text}<extra></extra>",
    })
    if any(not is_blank(r["target"]) for r in total):
        targets = [r["target"] for r in total]
        data.append({**_line("Target", x, targets, unit, decimals, scale), "mode": "lines",
                     "customdata": [("" if is_blank(t) else
                                     format_target(t, unit, decimals, scale)) for t in targets],
                     "line": {"color": "#555555", "dash": "dash", "shape": "hv"}})
    notes = _on_chart(notes, [r["period"] for r in total])
    layout = with_notes(_layout(260, _yaxis(unit, rangemode="tozero")), notes)
    body = pio.to_html({"data": data, "layout": layout}, include_plotlyjs=False,
                       full_html=False, div_id=f"chart-{slug(ref)}", validate=False,
                       config={"displayModeBar": False, "responsive": True})
    return figure(body, chart_summary(ref, [r for r in series if r["breakdown"] == ""], unit,
                                      decimals, scale) + notes_text(notes))


def y_range(values: list) -> list[float] | None:
    """A y-axis that fits the figures it must show (data, limits, target), with a margin: a
    percentage hovering at 99% is not drawn on 0-100."""
    have = [float(v) for v in values if not is_blank(v)]
    if not have:
        return None
    lo, hi = min(have), max(have)
    pad = (hi - lo) * 0.08 or abs(hi) * 0.05 or 1.0
    return [round(lo - pad, 6), round(hi + pad, 6)]


def clipped(points: list[dict], unit: str) -> list[dict]:
    """The points with their limits and near lines at the measure's natural bounds;
    ``clipped`` says which point's process limits moved."""
    bounds = natural_bounds(unit, [p["value"] for p in points])
    out = []
    for p in points:
        q = {**p, **{k: clip(None if is_blank(p[k]) else float(p[k]), bounds)
                     for k in LIMIT_KEYS}}
        q["clipped"] = any(not is_blank(p[k]) and q[k] != p[k]
                           for k in ("lower_limit", "upper_limit"))
        out.append(q)
    return out


def xmr_summary(ref: str, points: list[dict], unit: str, decimals: int | None,
                icons: dict, target: float | None = None, scale: float = 1) -> str:
    """The text alternative of an XmR chart: span, latest point, limits, special causes,
    the variation and assurance icons in words, and the periods drawn as gaps."""
    def fmt(x) -> str:
        return format_value(x, unit, decimals, scale)

    gaps = gaps_text(points)
    points = [p for p in points if not is_blank(p["value"])]
    latest = points[-1]
    special = [p for p in points if p["point"] != "common_cause"]
    if is_blank(latest["upper_limit"]):
        alone = sum(1 for p in points if p.get("group") == latest.get("group")) == 1
        limits = ("no limits yet (one point since the series was rebased)" if alone
                  else "limits undefined (no variation)")
    else:
        limits = (f"mean {fmt(latest['mean'])}, process limits {fmt(latest['lower_limit'])} "
                  f"to {fmt(latest['upper_limit'])}")
        if latest.get("clipped"):
            limits += " (drawn at the measure's natural bounds)"
    prov = " (provisional: trial limits)" if icons.get("spc_provisional") else ""
    marked = ", ".join(f"{period_label(p['period'])} ({p['point'].replace('_', ' ')}, "
                       f"{p['rule'].replace('_', ' ')})" for p in special) or "none"
    words = VARIATION_STYLE.get(icons.get("variation"), ("", "", ""))[2]
    sure = ASSURANCE_STYLE.get(icons.get("assurance"), ("", "", ""))[2]
    aim = ("" if target is None
           else f", target {format_target(target, unit, decimals, scale)}")
    return (f"XmR chart of {ref}, {period_label(points[0]['period'])} to "
            f"{period_label(latest['period'])}: latest {fmt(latest['value'])} "
            f"({period_label(latest['period'])}{aim}); {limits}{prov}. Special cause points: "
            f"{marked}. Variation: {words or 'none'}"
            + (f"; assurance: {sure}." if sure else ".") + gaps)


def xmr_chart(ref: str, unit: str, points: list[dict], target: float | None,
              decimals: int | None = None, icons: dict | None = None, scale: float = 1,
              notes=()) -> str:
    """A KPI's XmR chart (Making Data Count): the series, its mean, process limits and near
    lines (recalculated at each rebase), the target, and points coloured by special cause,
    with a legend and a text alternative.  Limits and near lines beyond the measure's
    natural bounds (:func:`kpilib.rules.spc.natural_bounds`: a percentage 0 to 100, a count
    0 or more) are drawn at the bound, as Making Data Count's tools offer; a period without
    a figure between two points is a gap (:func:`with_gaps`); ``notes`` as
    :func:`trend_chart`'s."""
    icons = icons or {}
    points = with_gaps(clipped(points, unit))
    x = [period_label(p["period"]) for p in points]
    values = [p["value"] for p in points]
    data = [{**_line(ref, x, values, unit, decimals, scale), "mode": "lines",
             "line": {"color": "#1d3557", "width": 2}, "showlegend": False}]
    for kind, (colour, marker, name) in POINT_STYLE.items():
        ys = [p["value"] if p["point"] == kind else None for p in points]
        if any(y is not None for y in ys):
            data.append({**_line(name, x, ys, unit, decimals, scale), "mode": "markers",
                         "marker": {"size": 9, "color": colour, "symbol": marker,
                                    "line": {"color": "#0b0c0c", "width": 1}}})
    lines = (("Mean", "mean", {"color": "#0b0c0c", "width": 1.5}),
             ("Process limits", "upper_limit", {"color": "#505a5f", "dash": "dash"}),
             ("Process limits", "lower_limit", {"color": "#505a5f", "dash": "dash"}),
             ("Near lines", "near_upper", {"color": "#8a8a8a", "dash": "dot", "width": 1}),
             ("Near lines", "near_lower", {"color": "#8a8a8a", "dash": "dot", "width": 1}))
    shown = set()
    for name, key, style in lines:
        ys = [p[key] for p in points]
        if all(is_blank(y) for y in ys):
            continue
        data.append({**_line(name, x, ys, unit, decimals, scale), "mode": "lines",
                     "line": style,
                     "legendgroup": name, "showlegend": name not in shown})
        shown.add(name)
    if target is not None:
        data.append({**_line("Target", x, [target] * len(x), unit, decimals, scale),
                     "mode": "lines",
                     "customdata": [format_target(target, unit, decimals, scale)] * len(x),
                     "line": {"color": "#b00020", "dash": "longdash", "width": 1.5}})
    fit = y_range([scaled(v, scale) for v in
                   (*values, *(p[k] for p in points for k in ("lower_limit", "upper_limit")),
                    target)])
    notes = _on_chart(notes, [p["period"] for p in points])
    layout = with_notes(_layout(280, _yaxis(unit, **({"range": fit} if fit else {}))), notes)
    body = pio.to_html({"data": data, "layout": layout}, include_plotlyjs=False,
                       full_html=False, div_id=f"chart-{slug(ref)}", validate=False,
                       config={"displayModeBar": False, "responsive": True})
    return figure(body, xmr_summary(ref, points, unit, decimals, icons, target, scale)
                  + notes_text(notes))


def against_benchmark(report: Report, ref: str, label: str, value: float) -> str:
    """A KPI's trend (total) beside a fixed comparator such as the England average,
    with a text alternative."""
    series = report.series[(report.series["ref"] == ref) & (report.series["breakdown"] == "")]
    if series.empty:
        raise KeyError(f"{ref!r} is not a KPI of this report")
    kpi = report.kpis[(report.kpis["ref"] == ref) & (report.kpis["breakdown"] == "")].iloc[0]
    n = kpi.get("decimals")
    n, unit, scale = None if is_blank(n) else int(n), kpi["unit"], kpi.get("scale", 1)
    scale = 1 if is_blank(scale) else scale
    points = trimmed(series.to_dict("records"))
    x = [period_label(r["period"]) for r in points]
    data = [
        {**_line(ref, x, [r["value"] for r in points], unit, n, scale),
         "mode": "lines+markers", "line": {"color": "#1d3557", "width": 2.5}},
        {**_line(label, x, [value] * len(x), unit, n, scale), "mode": "lines",
         "line": {"color": "#505a5f", "dash": "dot", "width": 2}},
    ]
    layout = {
        "height": 300, "margin": {"l": 50, "r": 10, "t": 10, "b": 60},
        "paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff", "showlegend": True,
        "legend": {"orientation": "h", "y": -0.3},
        "font": {"family": "Arial, sans-serif", "size": 12, "color": "#0b0c0c"},
        "xaxis": {"type": "category", "gridcolor": "#e5e5e5", "tickangle": -45},
        "yaxis": _yaxis(unit),
    }
    body = pio.to_html({"data": data, "layout": layout}, include_plotlyjs=False,
                       full_html=False, div_id=f"chart-{slug(ref)}-benchmark", validate=False,
                       config={"displayModeBar": False, "responsive": True})
    have = [r for r in points if not is_blank(r["value"])]
    if have:
        latest = have[-1]
        above = sum(1 for r in have if r["value"] > value)
        text = (f"Trend chart of {ref} against the {label} "
                f"({format_value(value, unit, n, scale)}): latest "
                f"{format_value(latest['value'], unit, n, scale)} "
                f"({period_label(latest['period'])}); above it in {above} of {len(have)} "
                "periods shown." + gaps_text(points))
    else:
        text = (f"Trend chart of {ref} against the {label}: no values recorded in the "
                "period shown.")
    return figure(body, text)
