"""What the report notebooks call: open a report from the store, and build page HTML.

The notebooks stay thin (parameters, these calls, display); everything they
share lives here and in :mod:`kpilib.render`.  Every parameter a notebook gets
is checked here with the same rules as ``kpi run``, so a notebook executed by
papermill, nbval or "Run all" in JupyterLab fails loudly on a bad parameter
instead of rendering an empty page.

A notebook's default parameters are ``None``: the store (and the council settings) are
those :mod:`kpilib.settings.interactive` finds (``$KPILIB_STORE``, else the project's latest
parameter set for the report type, else ``data/kpi.sqlite`` looked for from the current
folder upwards, so a notebook opened in JupyterLab finds it), and the period is the latest
one loaded for the report type.
"""

from __future__ import annotations

import dataclasses
import difflib

from kpilib import registry
from kpilib.clock import data_moment
from kpilib.errors import ParamsError
from kpilib.render import charts, corporate
from kpilib.render import html as render
from kpilib.render import qpr as render_qpr
from kpilib.render.style import use_keys
from kpilib.reports.corporate import Corporate, build_corporate
from kpilib.reports.model import Report, build_report, latest_period, reads_for
from kpilib.reports.public import public_edition
from kpilib.reports.qpr import QprExtra
from kpilib.rules.periods import parse_period
from kpilib.run import shared
from kpilib.settings import interactive
from kpilib.settings.council import load_council, load_settings
from kpilib.settings.edition import edition_problem
from kpilib.settings.params import normalise_moment
from kpilib.store import open_store, reads_for_keys
from kpilib.store.reads import report_snapshot

STORE_ENV = interactive.STORE_ENV
DEFAULT_STORE = interactive.DEFAULT_STORE


def default_store(report: str | None = None) -> str:
    """The store a notebook opened with ``store = None`` reads (the order is
    :mod:`kpilib.settings.interactive`'s): ``$KPILIB_STORE_<REPORT>``, ``$KPILIB_STORE``, the
    project's latest parameter set for the report type, else ``data/kpi.sqlite`` in the
    working folder or the nearest folder above it."""
    return interactive.defaults(report).store


def open_report(store: str | None = None, period: str | None = None, report: str = "core",
                as_of: str | None = None, council: str | None = None,
                loads_through: int | None = None, edition: str | None = None) -> Report:
    """Read the catalogue and returns as they stood at ``as_of`` and build the report.

    ``as_of`` None means "as of the latest load" (an interactive session); a
    report run always passes the moment it started.  ``period`` None means the
    latest period with data for the report type.  ``loads_through``: a run's bound
    on loads (the highest load id committed when the run took its snapshot), so that
    every notebook of a run reads exactly the data the run read; None: every load.
    ``edition``: ``public`` withholds small numbers (:mod:`kpilib.reports.public`) with the
    council settings' suppression; None or ``internal``: every figure.
    """
    return _open(store, period, report, as_of, council, loads_through, edition)[0]


def open_corporate(store: str | None = None, period: str | None = None,
                   report: str = "corporate", as_of: str | None = None,
                   council: str | None = None, loads_through: int | None = None,
                   edition: str | None = None) -> Corporate:
    """As :func:`open_report`, for the corporate report: the report with its programmes,
    comparators and previous years (:mod:`kpilib.reports.corporate`); ``edition``
    ``public`` withholds small numbers from all of it."""
    rep, snap, settings = _open(store, period, report, as_of, council, loads_through, edition,
                                share=False)
    cat = snap.catalogue
    year = cat[(cat["year"] == rep.period.fy) & (cat["breakdown"] == "")]
    suppression = settings.suppression if rep.edition == "public" else None
    return build_corporate(rep, snap.returns, snap.extras, dict(zip(year["ref"], year["target"])),
                           suppression, settings.shape(report).pages)


def corporate_page(view: Corporate, page: str, section: str | None = None) -> str:
    """A page of the corporate report: ``overview``, ``section`` (``section``: a key
    commitment, None: the first), ``summary``, ``change`` or ``spotlight``."""
    pages = {"overview": corporate.overview_page, "summary": corporate.summary_page,
             "change": corporate.change_page, "spotlight": corporate.spotlight_page}
    if page == "section":
        return corporate.section_page(view, check_section(view.report, section))
    if page not in pages:
        raise ParamsError(f"page {page!r}: expected one of section, {', '.join(pages)}")
    check_section(view.report, None)  # a report with no KPIs is an error, not an empty page
    return pages[page](view)


def _open(store, period, report, as_of, council, loads_through, edition=None, share=True):
    rtype = registry.get(report, "report type (parameter 'report_set')")
    edition = edition or "internal"
    if (problem := edition_problem(edition, "parameter 'edition'")) is not None:
        raise ParamsError(problem)
    moment = normalise_moment(as_of, "parameter 'as_of'") if as_of else None
    bound = _checked_bound(loads_through)
    if store is None:  # opened by hand: the project's store for this report type
        found = interactive.defaults(rtype.name)
        store, council = found.store, council if council is not None else found.council
    store, council = interactive.from_project(store), interactive.from_project(council)
    rep = snap = None
    if period is not None:  # a run's kernel: the report the run built, where it shared it
        period = _checked_period(period, rtype)
        if share:
            rep = shared.shared(shared.key(store, period, rtype.name, moment, bound, edition))
    settings = load_settings(council)
    use_keys(settings.keys)  # the council's statuses, as the pages and charts draw them
    look = settings.council
    if rep is not None:  # as the run built it: its edition's figures only
        return dataclasses.replace(rep, name=look.title(rtype.name, rtype.title),
                                   branding=look), None, settings
    shape = settings.shape(rtype.name)  # the council's report shape
    rep, snap = _build(store, period, rtype, moment, bound, settings.keys, shape.previous_period,
                       settings.spc_min_points, settings.peers)
    rep = dataclasses.replace(rep, name=look.title(rtype.name, rtype.title), branding=look,
                              directorate_shown=shape.directorate)
    if edition == "public":
        rep = public_edition(rep, snap.returns, settings.suppression)
    return rep, snap, settings


def _build(store: str, period: str | None, rtype: registry.ReportType, as_of: str | None,
           bound: int | None, keys=None, previous_period: bool = False,
           spc_min_points: int | None = None, peers=None):
    """Read the store and build the report (only what it shows when the period is given);
    the report and the snapshot it was built from."""
    s = open_store(store)
    if period is not None:
        snap = report_snapshot(s, reads_for(period, rtype.name), as_of, bound,
                               reads_for_keys(rtype.reads, keys, peers))
    else:
        snap = s.snapshot(as_of, bound, reads_for_keys(rtype.reads, keys, peers))
        period = latest_period(snap.catalogue, snap.returns, rtype.name)
        if period is None:
            raise ParamsError(f"parameter 'period': the store {s} has no data for the "
                              f"{rtype.name} report; load returns or pass a period")
    return build_report(snap.catalogue, snap.returns, period, rtype.name, snap.as_of,
                        snap.sources, keys, snap.extras, previous_period, spc_min_points,
                        peers), snap


def _checked_bound(loads_through) -> int | None:
    if loads_through is None:
        return None
    if isinstance(loads_through, bool) or not isinstance(loads_through, int) \
            or loads_through < 0:
        raise ParamsError(f"parameter 'loads_through': expected a load id (a whole number, "
                          f"0 or more) or None, got {loads_through!r}")
    return loads_through


def _checked_period(period: str, rtype: registry.ReportType) -> str:
    try:
        per = parse_period(str(period))
    except Exception as e:
        raise ParamsError(f"parameter 'period': {e}") from None
    if not rtype.accepts(per.kind):
        raise ParamsError(f"parameter 'period': the {rtype.name} report is for a "
                          f"{' or a '.join(rtype.periods)}, not a {per.kind} ({per.id})")
    return per.id


def check_section(report: Report, section: str | None) -> str:
    """The section a page is for: ``None`` is the first; an unknown one is an error naming
    the parameter and the valid choices."""
    sections = report.sections()
    if not sections:
        raise ParamsError(f"the {report.report} report for {report.period.id} has no KPIs "
                          f"(as of {report.as_of})")
    if section is None:
        return sections[0]
    if section not in sections:
        close = difflib.get_close_matches(str(section), sections, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ParamsError(
            f"parameter 'section': {section!r} is not a {report.type.section_label} of the "
            f"{report.report} report for {report.period.id}{hint}; expected one of "
            + ", ".join(repr(s) for s in sections))
    return section


def pages(report: Report) -> list[tuple[str, str]]:
    """(section name, file name) of every page of a report, overview first (a single-page
    report: none, its one page needs no navigation)."""
    if report.type.single_page:
        return []
    return [("Overview", "index.html")] + [(s, render.page_file(s)) for s in report.sections()]


def section_page_top(report: Report, section: str | None = None) -> str:
    """Header, navigation, key and contents of a section's page (a directorate, a theme)."""
    page = report.section(check_section(report, section))
    return (render.page_header(page, check_section(report, section), pages(report))
            + render.legend(report) + render.contents(page))  # the whole run's key


def section_page_body(report: Report, section: str | None = None) -> str:
    """The KPIs of one section, grouped by key commitment; a quarterly performance report
    (``qpr``) puts its KPI and activity-indicator tables and removed KPIs first."""
    name = check_section(report, section)
    tables = render_qpr.tables(report, name) if isinstance(report.extra, QprExtra) else ""
    return tables + render.section_body(report.section(name))


def overview_page(report: Report) -> str:
    """The overview (index) page: summary counts, exceptions, sources, links; for a
    single-page report type its one page: that, then the contents and every KPI."""
    check_section(report, None)  # a report with no KPIs is an error, not an empty page
    page = (render.page_header(report, report.title, pages(report)) + render.legend(report)
            + render.overview(report, pages(report)[1:], list(report.sources)))
    if report.type.single_page:
        page += render.contents(report) + render.section_body(report)
    return page


def benchmark_chart(report: Report, ref: str, label: str, value: float) -> str:
    """A KPI's trend against a fixed comparator (e.g. the England average): for the extra
    analyses of a section's own notebook."""
    return charts.against_benchmark(report, ref, label, value)


def open_changes(store: str | None = None, year_from: str | None = None,
                 year_to: str | None = None, as_of: str | None = None,
                 council: str | None = None, loads_through: int | None = None):
    """The comparison of two years' KPI sets (``kpi changes``), with its page's title and
    moment: ``year_to`` None is the latest year loaded, ``year_from`` None the year before."""
    from kpilib.run.kpi_set import DEFAULT_TITLE, REPORT, read_changes

    store = interactive.from_project(store) or default_store()
    changes, snap = read_changes(store, year_from, year_to, as_of, _checked_bound(loads_through))
    title = load_council(interactive.from_project(council)).title(REPORT, DEFAULT_TITLE)
    return changes, title, data_moment(snap.as_of, snap.sources)  # the catalogues' moment


def changes_page(opened) -> str:
    """The change report's page: counts sentence, summary table, new, changed and removed
    KPIs (``opened``: what :func:`open_changes` returned)."""
    from kpilib.render.changes import page

    changes, title, as_of = opened
    return page(changes, title, as_of)
