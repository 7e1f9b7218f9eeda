"""Service KPIs: the quarterly oversight of service delivery against the corporate plan,
one page per directorate, grouped by key commitment."""

from kpilib.registry import ReportType, register

SERVICE = register(ReportType(
    name="service",
    title="Service KPIs",
    description="quarterly report of the service KPIs, one page per directorate",
    periods=("quarter",),
    in_all=("quarter",),
    section_key="directorate",
    section_label="directorate",
    order=20,
))
