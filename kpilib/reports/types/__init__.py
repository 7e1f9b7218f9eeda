"""The built-in report types, one module each; :func:`kpilib.registry.discover` imports
every module here.  A new report type is a new module in this package (or in a package
of its own, registered through the ``kpilib.report_types`` entry point)."""
