"""A group's funnel plot on a KPI's page (reporting rules 7.13): every body's figure
against its denominator, the group's pooled target and its 95% and 99.8% control limits
(:mod:`kpilib.rules.funnel`), drawn as a small inline SVG like the peer chart.  The
council's point is a dark diamond labelled ``▶`` and its name, and each outlier is
labelled with its name, so neither is told by colour alone; a table lists every body, its
figure, its denominator and where it lies (values for ``fragments/funnel.html.j2``)."""

from __future__ import annotations

from kpilib.render import templates
from kpilib.reports.peers import FunnelView
from kpilib.rules.formats import format_value

WIDTH, HEIGHT = 400, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 392, 8, 196  # the plot area, in the SVG's units
WHERE = {"above_998": "above the 99.8% limit (an outlier)",
         "below_998": "below the 99.8% limit (an outlier)",
         "above_95": "above the 95% limit", "below_95": "below the 95% limit",
         "": "within the limits"}


def _count(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


def funnel_rows(fv: FunnelView, unit: str, decimals: int | None) -> list[dict]:
    """Every body on the plot, in body-code order: name, figure, numerator, denominator,
    where it lies, and whether it is the council."""
    k = fv.scale
    return [{"name": fv.names.get(p.body, p.body), "own": p.body == fv.own,
             "figure": format_value(k * p.figure, unit, decimals),
             "numerator": _count(p.numerator), "denominator": _count(p.denominator),
             "where": WHERE[p.outside]} for p in fv.funnel.points]


def summary(fv: FunnelView, unit: str, decimals: int | None, group: str, period: str) -> str:
    """The plot's text alternative in a sentence: target, outliers and the council."""
    f, k = fv.funnel, fv.scale
    names = fv.names
    out = [f"{names.get(b, b)} ({w})" for b, w in f.outliers]
    own = next((p for p in f.points if p.body == fv.own), None)
    text = (f"Funnel plot of {group} for {period}: each body's figure against its "
            f"denominator, with the group's pooled figure "
            f"{format_value(k * f.target, unit, decimals)} and its 95% and 99.8% control "
            f"limits. Outside the 99.8% limits: {'; '.join(out) if out else 'none'}.")
    if own is not None:
        text += f" This council: {WHERE[own.outside]}."
    if fv.left_out:
        text += (" Not on the plot (no numerator and denominator published): "
                 f"{', '.join(fv.left_out)}.")
    return text


def _geometry(fv: FunnelView):
    """(x of a denominator, y of a figure, the y range) for the plot area: x linear from 0
    to the largest denominator, y spanning every point and the limits at the smallest
    point's denominator."""
    f = fv.funnel
    xmax = max(p.denominator for p in f.points) * 1.05
    first = min(f.points, key=lambda p: p.denominator).limits
    ys = [p.figure for p in f.points] + [first.lower998, first.upper998, f.target]
    lo, hi = min(ys), max(ys)
    pad = (hi - lo) * 0.05 or abs(hi) * 0.05 or 1.0
    lo, hi = lo - pad, hi + pad

    def x(d):
        return round(LEFT + (RIGHT - LEFT) * d / xmax, 1)

    def y(v):
        v = min(max(v, lo), hi)  # a limit beyond the plot is drawn at its edge
        return round(BOTTOM - (BOTTOM - TOP) * (v - lo) / (hi - lo), 1)
    return x, y, lo, hi


def funnel_block(fv: FunnelView | None, unit: str, decimals: int | None, group: str,
                 period: str) -> str:
    """The funnel plot's figure ("" where there is none)."""
    if fv is None:
        return ""
    f, k = fv.funnel, fv.scale
    x, y, lo, hi = _geometry(fv)
    lines = {}
    for name, attr in (("upper998", "upper998"), ("lower998", "lower998"),
                       ("upper95", "upper95"), ("lower95", "lower95")):
        lines[name] = " ".join(f"{x(c.denominator)},{y(getattr(c, attr))}" for c in f.curve)
    points = []
    for p in f.points:
        own = p.body == fv.own
        label = ""
        if own:
            label = "▶ " + fv.names.get(p.body, p.body)
        elif p.outlier:
            label = fv.names.get(p.body, p.body)
        px = x(p.denominator)
        points.append({"x": px, "y": y(p.figure), "own": own, "label": label,
                       "outlier": bool(p.outlier), "end": px > (LEFT + RIGHT) / 2})
    points.sort(key=lambda q: q["own"])  # the council's drawn last, on top
    return templates.render("funnel", funnel={
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "right": RIGHT, "top": TOP,
        "bottom": BOTTOM, "target_y": y(f.target), "lines": lines, "points": points,
        "y_high": format_value(k * hi, unit, decimals), "y_low": format_value(k * lo, unit,
                                                                              decimals),
        "x_high": _count(max(p.denominator for p in f.points) * 1.05),
        "target": format_value(k * f.target, unit, decimals),
        "summary": summary(fv, unit, decimals, group, period),
        "rows": funnel_rows(fv, unit, decimals)})
