"""The demo councils: deterministic KPI sets and returns built from the seeds' real refs."""

from kpilib.demo.county import build_county_store
from kpilib.demo.generator import DemoFile, build_demo_store, write_demo_files
from kpilib.demo.kent import build_kent_store, write_kent_files

# demo council (kpi demo --council) -> what builds its store
BUILDERS = {"nnc": build_demo_store, "kent": build_kent_store, "county": build_county_store}

__all__ = ["BUILDERS", "DemoFile", "build_county_store", "build_demo_store", "build_kent_store",
           "write_demo_files", "write_kent_files"]
