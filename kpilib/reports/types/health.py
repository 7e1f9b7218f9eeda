"""Organisational health KPIs: quarterly, in three themes (Financial, Customer,
Workforce), one page per theme in that order."""

from kpilib.registry import ReportType, register

HEALTH = register(ReportType(
    name="health",
    title="Organisational health KPIs",
    description="quarterly report of the organisational health KPIs, one page per theme",
    periods=("quarter",),
    in_all=("quarter",),
    section_key="theme",
    section_label="theme",
    section_order=("Financial", "Customer", "Workforce"),
    required=("theme",),
    order=30,
))
