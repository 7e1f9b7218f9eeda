"""HTML fragments of a report: pure functions from a :class:`~kpilib.report.Report` to strings.

Accessibility (WCAG 2.2 AA): every RAG status carries its word and a symbol
as well as its colour (colours chosen for at least 4.5:1 text contrast); travel
arrows carry words; tables have captions and header cells with ``scope``;
charts have a text alternative.  Commentary is sanitised with nh3.
"""

from __future__ import annotations

from dataclasses import dataclass

import nh3

from kpilib.render.charts import chart_summary, trend_chart
from kpilib.render.style import (
    CHART_MARKERS,
    RAG_STYLE,
    esc,
    human_moment,
    page_file,
    period_label,
    slug,
)
from kpilib.reports.model import Report
from kpilib.rules.formats import format_value, is_blank

__all__ = ["CHART_MARKERS", "RAG_STYLE", "KpiRows", "chart", "chart_summary", "contents",
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


def rag_badge(status: str) -> str:
    if not status:
        return '<span class="rag rag-none">–</span>'
    cls, symbol, _, _ = RAG_STYLE[status]
    return (f'<span class="rag {cls}"><span class="sym" aria-hidden="true">{symbol}</span> '
            f"{esc(status)}</span>")


def travel_badge(symbol: str, words: str) -> str:
    kind = "r" if symbol.endswith("R") else "g" if symbol.endswith("G") else \
        "a" if symbol.endswith("A") else "n"
    return (f'<span class="dot dot-{kind}" title="{esc(words)}"><span aria-hidden="true">'
            f'{esc(symbol)}</span><span class="words"> {esc(words)}</span></span>')


def legend() -> str:
    """The key to RAG statuses and travel symbols, in words and symbols."""
    rag = "".join(f"<li>{rag_badge(s)}</li>" for s in RAG_STYLE)
    return (
        '<section class="key" aria-labelledby="key-h"><h2 id="key-h">Key</h2>'
        f'<ul class="rag-key">{rag}</ul>'
        "<p>Direction of travel compares the current period with the previous one. "
        "<b>↑G</b>/<b>↓G</b> improved; <b>→</b> same; <b>↓</b>/<b>↑</b> worse but on target "
        "or within 5%; <b>↓R</b>/<b>↑R</b> worse by more than 5% and not on target; "
        "<b>↓A</b> declined (Children's Trust); <b>↔</b> within 2% (graded); "
        "<b>⇔</b> no change for a KPI with no polarity; <b>n/a</b> no previous value.</p>"
        "<p>A KPI whose current figure cannot be rated (a ratio of 0 out of 0) is counted as "
        "<b>Not rated</b> in the summary.</p>"
        "</section>"
    )


def page_header(report: Report, heading: str, nav: list[tuple[str, str]] | None = None) -> str:
    """The top of every page: titles, the data's as-of moment, and navigation."""
    links = "".join(f'<li><a href="{esc(href)}">{esc(name)}</a></li>' for name, href in nav or [])
    as_of = (f'Data as of <time datetime="{esc(report.as_of)}">{esc(human_moment(report.as_of))}'
             f"</time>" if report.as_of else "Data as of the latest load")
    return (
        f'<header class="page"><p class="kicker">{esc(report.name or report.type.title)} · '
        f'{esc(report.period.label)}</p><h1>{esc(heading)}</h1>'
        f'<p class="asof">{as_of}</p>'
        + (f'<nav aria-label="Report pages"><ul class="nav">{links}</ul></nav>' if links else "")
        + "</header>"
    )


def contents(report: Report) -> str:
    """Table of contents of a page: its key commitments and KPIs."""
    out = ['<nav class="toc" aria-labelledby="toc-h"><h2 id="toc-h">Contents</h2><ol>']
    h = report.headline()
    for group in dict.fromkeys(h["commitment"]):
        items = "".join(
            f'<li><a href="#kpi-{slug(r.ref)}">{esc(r.ref)} {esc(r.name)}</a> '
            f"{rag_badge(r.rag)}</li>" for r in h[h["commitment"] == group].itertuples()
        )
        out.append(f'<li><a href="#c-{slug(group)}">{esc(group)}</a><ol>{items}</ol></li>')
    out.append("</ol></nav>")
    return "".join(out)


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


def _values_table(columns, ref: str, name: str, rows: KpiRows) -> str:
    head = "".join(f'<th scope="col">{esc(c.label)}</th>' for c in columns)
    body = []
    for k in rows.kpis:
        kc = {c["column"]: c for c in rows.cells if c["breakdown"] == k["breakdown"]}
        tds = "".join(
            f'<td class="num{" cur" if c.current else ""} st-{esc(kc[c.id]["status"])}">'
            f'{esc(kc[c.id]["display"])}</td>' for c in columns
        )
        label = esc(k["breakdown"]) if k["breakdown"] else "Total"
        body.append(
            f'<tr class="{"bd" if k["breakdown"] else "total"}"><th scope="row">{label}</th>{tds}'
            f"<td>{esc(k['target_text'])}</td><td>{esc(k['tolerance_text'])}</td>"
            f"<td>{esc(k['polarity'].capitalize())}</td>"
            f"<td>{travel_badge(k['travel'], k['travel_text'])}</td><td>{rag_badge(k['rag'])}</td>"
            "</tr>"
        )
    return (
        f'<table class="kpi"><caption class="vh">{esc(ref)} {esc(name)}: values by period'
        f'</caption><thead><tr><th scope="col">Breakdown</th>{head}<th scope="col">Target</th>'
        '<th scope="col">Tolerance</th><th scope="col">Polarity</th>'
        '<th scope="col">Travel</th><th scope="col">RAG</th></tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def chart(report: Report, ref: str, name: str, unit: str, rows: KpiRows | None = None) -> str:
    """A plotly trend chart (two financial years, target line, RAG-coloured markers)."""
    return trend_chart(ref, unit, _rows(report, ref, rows).series)


def kpi_article(report: Report, ref: str, rows: KpiRows | None = None) -> str:
    """Everything shown for one KPI: values, targets, RAG, travel, commentary, chart."""
    rows = _rows(report, ref, rows)
    k = next(r for r in rows.kpis if r["breakdown"] == "")
    meta = [("Directorate", k["directorate"]), ("Department", k["department"]),
            ("Benchmark", k["benchmark"]), ("Statutory reporting", k["statutory"]),
            ("Measure", f"{k['measure']}, {k['unit']}")]
    dl = "".join(f"<dt>{esc(a)}</dt><dd>{esc(b)}</dd>" for a, b in meta if b)
    note = ""
    if k["arrears"]:
        note = ('<p class="note">Reported one month in arrears: RAG and travel use the latest '
                f"period with data ({esc(period_label(k['headline_period']))}).</p>")
    comment = sanitise(k["commentary"]) or "<p>None provided.</p>"
    return (
        f'<article class="kpi" id="kpi-{slug(ref)}"><h3><span class="ref">{esc(ref)}</span> '
        f"{esc(k['name'])} {rag_badge(k['rag'])}</h3>"
        f"{_values_table(report.columns, ref, k['name'], rows)}{note}"
        f'<dl class="meta">{dl}</dl><div class="commentary"><h4>Commentary</h4>{comment}</div>'
        f"{chart(report, ref, k['name'], k['unit'], rows)}</article>"
    )


def section_body(report: Report) -> str:
    """A directorate (or theme) page's body: KPIs grouped by key commitment."""
    rows = rows_by_ref(report)
    out = []
    h = report.headline()
    for group in dict.fromkeys(h["commitment"]):
        out.append(f'<section class="commitment" id="c-{slug(group)}"><h2>{esc(group)}</h2>')
        out += [kpi_article(report, ref, rows[ref]) for ref in h[h["commitment"] == group]["ref"]]
        out.append("</section>")
    return "".join(out)


def _counts_table(report: Report, by: str, caption: str, links: dict[str, str]) -> str:
    t = report.rag_counts(by)
    cols = list(t.columns)
    head = "".join(f'<th scope="col">{rag_badge(c) if c in RAG_STYLE else esc(c)}</th>'
                   for c in cols)
    body = []
    for name, row in t.iterrows():
        label = f'<a href="{esc(links[name])}">{esc(name)}</a>' if name in links else esc(name)
        body.append(f'<tr><th scope="row">{label}</th>'
                    + "".join(f'<td class="num">{int(row[c])}</td>' for c in cols) + "</tr>")
    total = "".join(f'<td class="num">{int(t[c].sum())}</td>' for c in cols)
    return (f'<table class="counts"><caption>{esc(caption)}</caption><thead><tr>'
            f'<th scope="col">{esc(by.capitalize())}</th>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody><tfoot><tr><th scope=\"row\">All KPIs</th>{total}"
            "</tr></tfoot></table>")


def _headline_text(report: Report, k) -> str:
    """``Feb 2024: 79.0% against a target of 85.0%`` for a KPI's headline period."""
    cells = report.series[(report.series["ref"] == k.ref) & (report.series["breakdown"] == "")
                          & (report.series["period"] == k.headline_period)]
    if cells.empty or is_blank(cells.iloc[0]["value"]):
        return f"{period_label(k.headline_period)}: no value"
    c = cells.iloc[0]
    target = ("" if is_blank(c["target"])
              else f" against a target of {format_value(c['target'], k.unit)}")
    return f"{period_label(k.headline_period)}: {format_value(c['value'], k.unit)}{target}"


def summary_sentence(report: Report) -> str:
    """The county report's summary line, from the headline statuses."""
    h = report.headline()
    n = len(h)
    good = int(h["rag"].isin(["Green", "Green+"]).sum())
    trend = int((h["rag"] == "Tracking").sum())
    red = int((h["rag"] == "Red").sum())
    return (f"Of the {n} indicators reported this period, {good} are on target or better, "
            f"{red} are Red, and {trend} are tracking indicators with no target.")


def overview(report: Report, pages: list[tuple[str, str]], sources: list[dict]) -> str:
    """The overview page body: counts by status, exceptions, sources, links."""
    by = report.section_key
    links = {name: href for name, href in pages}
    exc = report.exceptions()
    items = []
    for r in exc.itertuples():
        href = f"{links.get(getattr(r, by), '')}#kpi-{slug(r.ref)}"
        comment = sanitise(r.commentary) or "<p>No commentary provided.</p>"
        items.append(f'<article class="exception"><h3><a href="{esc(href)}">{esc(r.ref)} '
                     f"{esc(r.name)}</a> {rag_badge(r.rag)} {travel_badge(r.travel, r.travel_text)}"
                     f'</h3><p class="meta">{esc(getattr(r, by))} · {esc(r.commitment)}</p>'
                     f"<p>{esc(_headline_text(report, r))}</p>{comment}</article>")
    exceptions = "".join(items) or "<p>No KPI is Red this period.</p>"
    src = "".join(f"<tr><td>{esc(s['source_file'])}</td><td>{esc(s['kind'])}</td>"
                  f"<td>{esc(s['loaded_at'])}</td><td><code>{esc(s['sha256'][:12])}</code></td>"
                  "</tr>" for s in sources)
    page_list = "".join(f'<li><a href="{esc(href)}">{esc(name)}</a></li>' for name, href in pages)
    return (
        f'<section aria-labelledby="sum-h"><h2 id="sum-h">Summary</h2>'
        f"<p>{esc(summary_sentence(report))}</p>"
        f"{_counts_table(report, by, f'KPIs by RAG status and {by}', links)}"
        + (_counts_table(report, "commitment", "KPIs by RAG status and key commitment", {})
           if by != "commitment" else "")
        + f'</section><section aria-labelledby="pages-h"><h2 id="pages-h">Pages</h2>'
        f'<ul class="pages">{page_list}</ul></section>'
        f'<section aria-labelledby="exc-h"><h2 id="exc-h">Exceptions: Red KPIs</h2>'
        f"{exceptions}</section>"
        f'<section aria-labelledby="src-h"><h2 id="src-h">Data sources</h2>'
        f'<table class="sources"><caption class="vh">Files the figures were read from</caption>'
        f'<thead><tr><th scope="col">File</th><th scope="col">Kind</th>'
        f'<th scope="col">Loaded at</th><th scope="col">SHA-256</th></tr></thead>'
        f"<tbody>{src}</tbody></table></section>"
    )
