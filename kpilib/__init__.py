"""kpilib: reproducible KPI reporting for UK local councils."""

__version__ = "0.1.0"
