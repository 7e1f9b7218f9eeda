"""Core KPIs: North Northamptonshire's monthly report to all members, one page per
directorate (seed ``nnc-pmf-2025-26-scrutiny-report.txt``: "Core KPIs - monthly,
organised by corporate key commitment and by directorate")."""

from kpilib.registry import ReportType, register

CORE = register(ReportType(
    name="core",
    title="Core KPIs",
    description="monthly (and quarterly) report of the core KPIs, one page per directorate",
    periods=("month", "quarter"),
    in_all=("month", "quarter"),
    section_key="directorate",
    section_label="directorate",
    frequencies=("monthly",),
    order=10,
))
