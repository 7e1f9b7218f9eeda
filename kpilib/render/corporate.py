"""The corporate report's pages (report type ``corporate``): pure strings from a
:class:`~kpilib.reports.corporate.Corporate`.

Pages: the overview (summary sentence, pages, data sources), one page per key commitment,
the summary (counts by RAG status and direction of travel per section and overall, and the
programmes by status), managing change (every programme) and the performance spotlight
(every Red KPI).  Markup lives in ``kpilib/templates/fragments/corporate_*.html.j2``;
commentary, descriptions and updates are sanitised with nh3 as everywhere else.
"""

from __future__ import annotations

from kpilib.render import html, templates
from kpilib.reports.corporate import Corporate

# programme status -> (css class, symbol): Green, Amber and Red are the RAG badges
PROGRAMME_STYLE = {"Complete": ("prog-complete", "✔"), "Not started": ("prog-not-started", "–")}
VERDICT_TEXT = {"better": "Better than this comparator", "worse": "Worse than this comparator",
                "same": "The same as this comparator", "": "Not compared (no polarity)",
                "withheld": "Not compared (the council's figure is withheld)"}
PAGES = (("Summary", "summary.html"), ("Managing change", "managing-change.html"),
         ("Performance spotlight", "spotlight.html"))


def pages(view: Corporate) -> list[tuple[str, str]]:
    """The report's own pages the council publishes (its report shape), in order."""
    return [(title, href) for title, href in PAGES if href[:-5] in view.pages]


def nav(view: Corporate) -> list[tuple[str, str]]:
    """Every page of the report: overview, sections, then summary, managing change and
    spotlight (those the council publishes)."""
    return [("Overview", "index.html"),
            *((s, html.page_file(s)) for s in view.report.sections()), *pages(view)]


def _top(view: Corporate, heading: str) -> str:
    return html.page_header(view.report, heading, nav(view)) + html.legend(view.report)


def _safe(text: str):
    return templates.safe(html.sanitise(text))


def _kpi(view: Corporate, k: dict, spotlight: bool = False) -> str:
    chart = html.chart(view.report, k["ref"], k["name"], k["unit"])
    return templates.render(
        "corporate_kpi", kpi=k, spotlight=spotlight, year_columns=list(view.year_columns),
        narrative=_safe(k["narrative"]), action=_safe(k["action"]),
        verdicts=VERDICT_TEXT, chart=templates.safe(chart))


def overview_page(view: Corporate) -> str:
    """The overview (index): the summary sentence, the pages and the data sources."""
    r = view.report
    sections = [{"name": s, "href": html.page_file(s), "sentence": view.section_sentence(s)}
                for s in r.sections()]
    return _top(view, r.title) + templates.render(
        "corporate_overview", sentence=view.sentence(), sections=sections, pages=pages(view),
        spotlight=len(view.spotlight()), programmes=len(view.programmes),
        sources=list(r.sources))


def section_page(view: Corporate, section: str) -> str:
    """One key commitment's page: each KPI with its quarters, comparators and narrative."""
    articles = [templates.safe(_kpi(view, k)) for k in view.section_kpis(section)]
    return _top(view, section) + templates.render(
        "corporate_section", section=section, sentence=view.section_sentence(section),
        articles=articles)


def summary_page(view: Corporate) -> str:
    """Counts by RAG status and by direction of travel, per section and overall; the summary
    sentence; the programmes by status."""
    return _top(view, "Performance summary") + templates.render(
        "corporate_summary", sentence=view.sentence(), status=view.status_counts(),
        travel=view.travel_counts(),
        programmes=view.programme_counts() if "managing-change" in view.pages else None,
        links={s: html.page_file(s) for s in view.report.sections()},
        programme_style=PROGRAMME_STYLE, travel_words=_travel_words(view))


def _travel_words(view: Corporate) -> dict[str, str]:
    """Each travel symbol the report shows, with every set of words its key gives it there
    (a count heading never says less of a symbol than the rows it counts)."""
    k = view.report.kpis
    out: dict[str, list[str]] = {}
    for sym, words in zip(k.get("travel", ()), k.get("travel_text", ())):
        if sym and words and words not in out.setdefault(sym, []):
            out[sym].append(words)
    return {sym: " or ".join(w[:1].lower() + w[1:] if i else w for i, w in enumerate(ws))
            for sym, ws in out.items()}


def change_page(view: Corporate) -> str:
    """Managing change: each programme's status (word and symbol), due date, lead,
    description and this period's update."""
    programmes = [{**p, "description": _safe(p["description"]), "update": _safe(p["update"])}
                  for p in view.programmes]
    return _top(view, "Managing change") + templates.render(
        "corporate_change", programmes=programmes, period=view.report.period.label,
        programme_style=PROGRAMME_STYLE)


def spotlight_page(view: Corporate) -> str:
    """Appendix: a performance spotlight for every Red KPI (figures, chart, commentary and
    what is being done to improve)."""
    articles = [templates.safe(_kpi(view, k, spotlight=True)) for k in view.spotlight()]
    return _top(view, "Appendix: performance spotlight reports") + templates.render(
        "corporate_spotlight", articles=articles)
