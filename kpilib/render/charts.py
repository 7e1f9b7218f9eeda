"""Extra charts for a section's own notebook (the standard trend chart is in
:mod:`kpilib.render.html`): pure functions from a report to an HTML fragment."""

from __future__ import annotations

import plotly.io as pio

from kpilib.render.html import _clean, _period_label, _trimmed, esc, slug
from kpilib.reports.model import Report
from kpilib.rules.formats import format_value, is_blank


def against_benchmark(report: Report, ref: str, label: str, value: float) -> str:
    """A KPI's trend (total) beside a fixed comparator such as the England average,
    with a text alternative."""
    series = report.series[(report.series["ref"] == ref) & (report.series["breakdown"] == "")]
    if series.empty:
        raise KeyError(f"{ref!r} is not a KPI of this report")
    kpi = report.kpis[(report.kpis["ref"] == ref) & (report.kpis["breakdown"] == "")].iloc[0]
    points = _trimmed(series.to_dict("records"))
    x = [_period_label(r["period"]) for r in points]
    y = _clean([r["value"] for r in points])
    data = [
        {"type": "scatter", "mode": "lines+markers", "name": ref, "x": x, "y": y,
         "line": {"color": "#1d3557", "width": 2.5}},
        {"type": "scatter", "mode": "lines", "name": label, "x": x, "y": [value] * len(x),
         "line": {"color": "#505a5f", "dash": "dot", "width": 2}},
    ]
    layout = {
        "height": 300, "margin": {"l": 50, "r": 10, "t": 10, "b": 60},
        "paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff", "showlegend": True,
        "legend": {"orientation": "h", "y": -0.3},
        "font": {"family": "Arial, sans-serif", "size": 12, "color": "#0b0c0c"},
        "xaxis": {"type": "category", "gridcolor": "#e5e5e5", "tickangle": -45},
        "yaxis": {"gridcolor": "#e5e5e5",
                  "ticksuffix": "%" if kpi["unit"] == "percent" else ""},
    }
    body = pio.to_html({"data": data, "layout": layout}, include_plotlyjs=False,
                       full_html=False, div_id=f"chart-{slug(ref)}-benchmark", validate=False,
                       config={"displayModeBar": False, "responsive": True})
    have = [r for r in points if not is_blank(r["value"])]
    if have:
        latest = have[-1]
        above = sum(1 for r in have if r["value"] > value)
        text = (f"Trend chart of {ref} against the {label} "
                f"({format_value(value, kpi['unit'])}): latest "
                f"{format_value(latest['value'], kpi['unit'])} "
                f"({_period_label(latest['period'])}); above it in {above} of {len(have)} "
                "periods shown.")
    else:
        text = (f"Trend chart of {ref} against the {label}: no values recorded in the "
                "period shown.")
    return (f'<figure class="chart"><div role="img" aria-label="{esc(text)}">{body}</div>'
            f"<figcaption>{esc(text)}</figcaption></figure>")
