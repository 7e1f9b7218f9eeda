"""A fleet's benchmarking report as HTML pages (reporting rules 7.13.1): an index of the KPIs
compared and one page per KPI, the fleet's councils ranked with their SPC signals
(``fragments/benchmarking_page.html.j2``).  Self-contained (styles inline, no script, no
network); every SPC signal and assurance is shown in words with its symbol, never by colour
alone.

A percentage or rate KPI's page also shows the fleet's funnel plot (:func:`funnel_block`:
the councils' counts, :func:`kpilib.reports.benchmarking.funnel_points`, drawn as a KPI
page's funnel is, :mod:`kpilib.render.funnel`).
"""

from __future__ import annotations

from kpilib.render import funnel, templates
from kpilib.render.style import ASSURANCE_STYLE, VARIATION_STYLE, esc, slug
from kpilib.reports.benchmarking import KpiTable, funnel_points
from kpilib.reports.peers import funnel_view
from kpilib.rules.formats import format_value
from kpilib.rules.periods import parse_period

CSS = ("body{font-family:Arial,Helvetica,sans-serif;color:#0b0c0c;background:#fff;margin:0 auto;"
       "max-width:70rem;padding:1rem;line-height:1.4}a{color:#1d4f91}a:focus{outline:3px solid "
       "#ffbf47;background:#ffbf47;color:#0b0c0c}.skip{position:absolute;left:-999px}.skip:focus"
       "{left:1rem}table{border-collapse:collapse;margin:1rem 0;width:100%}caption{text-align:"
       "left;font-weight:bold;padding:.25rem 0}th,td{border-bottom:1px solid #b1b4b6;padding:"
       ".3rem .5rem;text-align:left;vertical-align:top}thead th{border-bottom:2px solid #0b0c0c}"
       "dl.meta{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-"
       "weight:bold}footer{margin-top:2rem;border-top:1px solid #b1b4b6;font-size:.9rem}")
FOOTER = ("Each council's figure is its published report's; ranks and quartiles by the KPI's "
          "polarity (competition ranks: equal figures share a rank). Audited with kpi audit.")


def kpi_file(ref: str) -> str:
    return f"kpi-{slug(ref)}.html"


def funnel_block(points: list[tuple[str, float, float]], table: KpiTable) -> str:
    """The funnel plot of a percentage or rate KPI's councils (markup: the same figure as a
    KPI page's, :mod:`kpilib.render.funnel`): each council's figure against its denominator,
    the fleet's pooled figure, its 95% and 99.8% limits (:mod:`kpilib.rules.funnel`) and
    the outliers named; "" for other KPIs, or fewer than 2 councils with counts."""
    k = table.kpi
    if len(points) < 2:
        return ""
    figures = [(r.entry.council, r.entry.council, r.entry.value) for r in table.rows
               if r.entry.value is not None]
    view, why = funnel_view(k.unit, figures, points, {})
    if view is None:
        return f'<p class="note">N{esc(why[1:])}</p>' if why else ""
    return funnel.funnel_block(view, k.unit, None, "the fleet", parse_period(table.period).label)


def _signal(variation: str) -> tuple[str, str]:
    style = VARIATION_STYLE.get(variation)
    return ((f"{style[1]} {style[2]}", style[3]) if style else
            ("no SPC signal (too few points or no chart)" if not variation else variation, ""))


def _assurance(assurance: str) -> str:
    style = ASSURANCE_STYLE.get(assurance)
    return f"{style[1]} {style[2]}" if style else ("no target to assure" if not assurance
                                                   else assurance)


def kpi_page(table: KpiTable, fleet: str, report: str) -> str:
    k, period = table.kpi, parse_period(table.period).label
    rows = []
    for r in table.rows:
        signal, title = _signal(r.entry.variation)
        rows.append({"rank": r.rank, "council": r.entry.council,
                     "value": format_value(r.entry.value, k.unit) or "no figure",
                     "quartile": r.quartile, "signal": signal, "signal_title": title,
                     "assurance": _assurance(r.entry.assurance)})
    best = {"higher": "highest first", "lower": "lowest first"}.get(k.polarity,
                                                                    "not ranked: no polarity")
    meta = [("Councils with a figure", str(table.n)),
            ("Median", format_value(table.median, k.unit)),
            ("Average", format_value(table.mean, k.unit))]
    funnel = funnel_block(funnel_points(table), table)
    return templates.render("benchmarking_page", page={
        "title": f"{k.ref} {k.name}: benchmarking, {period}", "css": CSS, "fleet": fleet,
        "heading": f"{k.ref}: {k.name}",
        "intro": f"Every council of the fleet for {period} ({report} reports), best first "
                 f"({best}), with its SPC signal for the period.",
        "back": "index.html", "kpis": [], "meta": meta, "footer": FOOTER,
        "table": {"caption": f"{k.ref} by council, {period}", "rows": rows},
        "funnel": templates.safe(funnel) if funnel else ""})


def index_page(tables: list[KpiTable], fleet: str, period: str, report: str) -> str:
    label = parse_period(period).label
    kpis = [{"ref": t.kpi.ref, "name": t.kpi.name, "file": kpi_file(t.kpi.ref), "n": t.n,
             "median": format_value(t.median, t.kpi.unit)} for t in tables]
    return templates.render("benchmarking_page", page={
        "title": f"Benchmarking, {label} ({report})", "css": CSS, "fleet": fleet,
        "heading": f"Benchmarking: {label}",
        "intro": f"{len(tables)} KPIs of the fleet's {report} reports for {label}, each "
                 "council ranked on its own page.", "back": "", "kpis": kpis, "meta": [],
        "table": None, "funnel": "", "footer": FOOTER})


def pages(tables: list[KpiTable], fleet: str, period: str, report: str) -> dict[str, str]:
    """file name -> HTML: ``index.html`` and one ``kpi-<ref>.html`` per KPI."""
    out = {"index.html": index_page(tables, fleet, period, report)}
    for t in tables:
        out[kpi_file(t.kpi.ref)] = kpi_page(t, fleet, report)
    return out
