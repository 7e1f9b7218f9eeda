"""Quarterly performance report (QPR), as Kent County Council publishes it (seed
``kent-qpr-kpis-2024-25.txt``): one page per directorate with its KPIs against target and
floor (the ``floor`` RAG scheme) beside the previous year's Q4 actual and the quarters of
the year, then its activity indicators against their expected range, KPIs new this year
marked NEW and last year's KPIs that are gone listed as Removed."""

from kpilib.registry import ReportType, register
from kpilib.reports.qpr import extend

QPR = register(ReportType(
    name="qpr",
    title="Quarterly Performance Report",
    description="Kent-style quarterly performance report: KPIs against target and floor, "
                "activity indicators against their expected range, NEW and Removed markers, "
                "one page per directorate",
    periods=("quarter",),
    section_key="directorate",
    section_label="directorate",
    extend=extend,
    previous_set=True,
    order=40,
))
