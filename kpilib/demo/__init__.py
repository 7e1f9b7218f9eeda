"""The demo council: deterministic KPI sets and returns built from the seeds' real refs."""

from kpilib.demo.generator import DemoFile, build_demo_store, write_demo_files

__all__ = ["DemoFile", "build_demo_store", "write_demo_files"]
