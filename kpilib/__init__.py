"""kpilib: reproducible KPI reporting for UK local councils."""

from kpilib.startup import defer_iri_syntax

__version__ = "0.1.0"

defer_iri_syntax()  # 0.9 s saved in every process that imports nbformat (kpilib/startup.py)
