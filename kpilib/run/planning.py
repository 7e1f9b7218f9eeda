"""What a run executes, decided before anything executes (split out of
:mod:`kpilib.run.runner`, which re-exports these names): the report types a parameter set
runs (:func:`choose_reports`), the check that the period has data (:func:`check_has_data`)
and a report's notebooks, one job per page (:func:`plan`)."""

from __future__ import annotations

import os

from kpilib import registry
from kpilib.errors import RunError
from kpilib.render.style import page_file, slug
from kpilib.reports.model import Report
from kpilib.rules.periods import parse_period
from kpilib.run.cellids import check_cell_ids
from kpilib.run.jobs import Job
from kpilib.run.locate import (
    check_reads_the_run_snapshot,
    check_takes_edition,
    find_notebook,
)
from kpilib.settings.home import home_of
from kpilib.settings.params import RunParams, Skipped, missing_kpis, report_types_in
from kpilib.settings.shape import DEFAULT as DEFAULT_SHAPE
from kpilib.settings.shape import Shape


def plan(report: Report, params: RunParams, report_set: str, as_of: str,
         branding: dict | None = None, loads_through: int | None = None,
         shape: Shape = DEFAULT_SHAPE) -> list[Job]:
    """The notebooks of one report: the overview, then one per section (directorate,
    theme...), each the section's own notebook where the project has one.

    The store is passed exactly as the parameter set gives it and the kernels
    run in the current directory, so that a relative store path gives the same
    executed notebooks in any clone.  Every notebook gets the run's ``loads_through``
    bound, so that each reads the very data of the run's snapshot.
    """
    rtype = registry.get(report_set)
    base = {"store": params.store, "period": params.period, "report_set": report_set,
            "as_of": as_of, "council": params.council, "loads_through": loads_through}
    public = getattr(params, "edition", "internal") == "public"
    if public:  # only then: an internal run's executed notebooks are as they always were
        base["edition"] = "public"
    title = report.title
    cwd = os.getcwd()  # the run's project folder (kpilib.settings.home)
    branding = branding or {}
    home = home_of(params.council)  # the council's notebooks, never the working folder's
    there = str(home or "")
    jobs = [Job(find_notebook(report_set, rtype.overview_notebook, root=home), "index", None,
                title, dict(base), cwd, branding, home=there)]
    for section in () if rtype.single_page else report.sections():  # one page: the overview
        jobs.append(Job(find_notebook(report_set, rtype.section_notebook, slug(section), home),
                        page_file(section)[:-5], section, f"{section} · {title}",
                        {**base, "section": section}, cwd, branding, home=there))
    for stem, page_title, notebook in rtype.extra_pages:  # e.g. a summary, an appendix
        if not shape.keeps(stem):  # a page the council's report shape leaves out
            continue
        jobs.append(Job(find_notebook(report_set, notebook, root=home), stem, None,
                        f"{page_title} · {title}", dict(base), cwd, branding, home=there))
    for source in {j.notebook.path: j.notebook for j in jobs}.values():
        check_reads_the_run_snapshot(source)
        check_cell_ids(source.path, source.label)
        if public:
            check_takes_edition(source)
    return jobs


def choose_reports(params: RunParams, catalogue, as_of: str) -> tuple[list[str], list[Skipped]]:
    """The report types a run produces and those ``report: all`` skips (:meth:`RunParams.plan`);
    an error naming what is missing (the year's catalogue, or KPIs of the type) when none
    has KPIs in the period's financial year."""
    run_these, skipped = params.plan(catalogue)
    fy = parse_period(params.period).fy
    if params.report != "all" and missing_kpis(catalogue, fy, params.report) is not None:
        run_these = []
    if run_these:
        return run_these, skipped
    where = f"store {params.store}, as of {as_of}"
    have = report_types_in(catalogue, fy)
    wanted = params.reports()
    if not have:
        loaded = ", ".join(sorted(set(catalogue["year"]))) or "none"
        raise RunError(f"no catalogue is loaded for {fy}, the financial year of period "
                       f"{params.period} (catalogues loaded: {loaded}; {where}): load the {fy} "
                       "catalogue with `kpi load catalogue`, or check key 'period'")
    its = f"its KPIs are for {', '.join(have)}"
    view = registry.get(params.report).view if params.report != "all" else {}
    if view:  # a view: no row names it, its filter chose none
        said = "; ".join(f"{col} in {', '.join(map(repr, v))}" for col, v in view.items())
        raise RunError(f"no KPIs of the {fy} catalogue are in the {params.report} view (its "
                       f"filter: {said}; {its}; {where}): check the view's filter or key "
                       "'period'")
    if params.report != "all":
        raise RunError(f"no {params.report} KPIs in the {fy} catalogue ({its}; {where}): "
                       f"check key 'report', or give KPIs report = {params.report} in the "
                       "catalogue")
    raise RunError(f"report: all for {params.period}: none of {', '.join(wanted)} has KPIs in "
                   f"the {fy} catalogue ({its}; {where}): name a report type in key 'report'")


class NoData(RunError):
    """The period has no data for a report (a year's run skips it: :mod:`kpilib.run.year`)."""


def check_has_data(report: Report, store: str) -> None:
    if report.kpis.empty:
        raise RunError(f"no {report.report} KPIs in the {report.period.fy} catalogue "
                       f"(store {store}, as of {report.as_of})")
    current = [c.id for c in report.columns if c.current][0]
    cur = report.cells[report.cells["column"] == current]
    if not (cur["value"].notna() | cur["status"].isin(["arrears", "zero"])).any():
        raise NoData(
            f"key 'period': no data for {report.period.id} in the {report.report} report "
            f"(store {store}, as of {report.as_of}): load the period's returns first"
        )
