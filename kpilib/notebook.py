"""What the report notebooks call: open a report from the store, and build page HTML.

The notebooks stay thin (parameters, these calls, display); everything they
share lives here and in :mod:`kpilib.render`.
"""

from __future__ import annotations

from pathlib import Path

from . import render
from .errors import StoreError
from .report import REPORT_TITLES, Report, build_report


def _open_store(store: str):
    from .store import Store

    if "://" not in str(store) and not Path(store).exists():
        raise StoreError(
            f"no data store at {store!r}: build one with `kpi demo` or `kpi load`, "
            "or pass --store"
        )
    return Store.open(store)


def open_report(store: str, period: str, report: str, as_of: str | None = None) -> Report:
    """Read the catalogue and returns as they stood at ``as_of`` and build the report.

    ``as_of`` None means "as of the latest load" (an interactive session); a
    report run always passes the moment it started.
    """
    s = _open_store(store)
    as_of = as_of or s.last_loaded_at()
    catalogue, returns = s.catalogue(as_of=as_of), s.returns(as_of=as_of)
    rep = build_report(catalogue, returns, period, report, as_of)
    rep.meta["sources"] = s.sources(as_of=as_of).to_dict("records")
    rep.meta["inputs"] = (catalogue, returns)
    return rep


def pages(report: Report) -> list[tuple[str, str]]:
    """(section name, file name) of every page of a report, overview first."""
    return [("Overview", "index.html")] + [(s, render.page_file(s)) for s in report.sections()]


def section_page_top(report: Report, section: str) -> str:
    """Header, navigation, key and contents of a directorate (or theme) page."""
    page = report.section(section)
    return (render.page_header(page, section, pages(report)) + render.legend()
            + render.contents(page))


def section_page_body(report: Report, section: str) -> str:
    """The KPIs of one directorate (or theme), grouped by key commitment."""
    return render.section_body(report.section(section))


def overview_page(report: Report) -> str:
    """The overview (index) page: summary counts, exceptions, sources, links."""
    heading = f"{REPORT_TITLES[report.report]}: {report.period.label}"
    return (render.page_header(report, heading, pages(report)) + render.legend()
            + render.overview(report, pages(report)[1:], report.meta.get("sources", [])))
