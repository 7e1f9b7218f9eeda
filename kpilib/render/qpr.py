"""The ``qpr`` report's directorate page: its KPIs against target and floor, beside the
previous year's Q4 actual and the year's quarters; its activity indicators against their
expected range; and last year's KPIs that are gone.  Values for
``kpilib/templates/fragments/qpr_tables.html.j2`` (pure: a Report in, HTML out)."""

from __future__ import annotations

from kpilib.render import templates
from kpilib.reports.model import Report


def _quarters(report: Report) -> list:
    """The report's quarters of its own financial year (not YTD, not last year's)."""
    return [c for c in report.columns
            if c.kind == "quarter" and c.id.startswith(report.period.fy)]


def _row(k: dict, cells: dict, quarters) -> dict:
    return {"kpi": k, "cells": [{"display": cells.get((k["ref"], q.id), ""),
                                 "current": q.current} for q in quarters]}


def tables(report: Report, directorate: str) -> str:
    """The QPR tables of one directorate's page (``report`` may be that section alone)."""
    page = report.section(directorate) if len(report.kpis) else report
    quarters = _quarters(page)
    h = page.headline()
    cells = {(c["ref"], c["column"]): c["display"]
             for c in page.cells[page.cells["breakdown"] == ""].to_dict("records")}
    kpis = [_row(k, cells, quarters) for k in h.to_dict("records") if not k["activity"]]
    activity = [_row(k, cells, quarters) for k in h.to_dict("records") if k["activity"]]
    extra = report.extra
    sources = sorted({k["kpi"]["baseline_source"] for k in kpis if k["kpi"]["baseline_source"]})
    return templates.render(
        "qpr_tables", directorate=directorate, period=report.period.label,
        quarters=[{"label": q.label, "current": q.current} for q in quarters],
        previous=extra.previous, kpis=kpis, activity=activity,
        baseline_sources=sources, removed=extra.removed_in(directorate), note=extra.note)
