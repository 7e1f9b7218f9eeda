"""The report-type registry: every kind of report kpilib can produce.

A report type is declared once, in one module, as a :class:`ReportType`
(its name, title, the periods it accepts, how its pages are sectioned, its
notebooks and what it writes) and registered with :func:`register`.  Params,
the CLI's choices, catalogue validation, the runner, the renderer and audit
all ask this registry; none of them names a report type.

Where registrations come from (:func:`discover`, run once on first use):

1. every module of :mod:`kpilib.reports.types` (the built-in types);
2. the ``kpilib.report_types`` entry-point group of installed packages;
3. the modules named in the environment variable ``KPILIB_REPORT_TYPES``
   (comma-separated), e.g. a council's own report type kept in its project.

The registry holds plain declarations and imports no other stage: modules
below it (catalogue validation) and above it (runner, render, audit) use it
without import cycles.  Discovery imports type modules by name at run time,
as papermill finds its engines.
"""

from __future__ import annotations

import difflib
import importlib
import os
import pkgutil
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from kpilib.errors import KpiError

ENTRY_POINT_GROUP = "kpilib.report_types"
ENV_VAR = "KPILIB_REPORT_TYPES"
BUILTIN_PACKAGE = "kpilib.reports.types"
NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
PERIOD_KINDS = ("month", "quarter")


class RegistryError(KpiError):
    """An unknown report type, or a report type declared inconsistently."""


def results_csv(report) -> str:
    """``results.csv``: the machine-readable truth of every report."""
    return report.results.to_csv(index=False, lineterminator="\n")


def spc_csv(report) -> str:
    """``spc.csv``: the XmR analysis of every KPI series the report charts."""
    return report.spc_csv.to_csv(index=False, lineterminator="\n")


@dataclass(frozen=True)
class ReportType:
    """Everything kpilib needs to know about one kind of report.

    Attributes
    ----------
    name : the value of the catalogue's ``report`` column and of ``report:`` in params.
    title : the report's title (a council may retitle it in ``council.yaml``).
    periods : the period kinds it accepts: ``month``, ``quarter`` or both.
    in_all : the period kinds for which ``report: all`` includes it.
    section_key : the catalogue column that splits it into pages (``directorate``,
        ``theme``, ``commitment``...); one page per value.
    section_label : what a section is called on the page and in messages.
    section_order : a fixed order of sections (others follow in catalogue order);
        empty: catalogue order.
    frequencies : the KPI frequencies its catalogue rows may have (empty: any).
    required : catalogue columns its KPIs must fill (beyond the contract's own).
    overview_notebook, section_notebook : the standard notebooks (file names,
        looked up as the README says) for the overview and for each section.
    outputs : what a run writes besides the pages: file name -> function of the
        report returning the file's text.
    description : one line for ``kpi --help`` and the README.
    previous_set : whether its pages compare the year's KPI set with the previous year's
        (NEW and Removed markers): the run then reads the previous year's whole set of its
        KPIs, not only the refs this year's KPIs have or name in ``previous_ref``.
    extend : optional, pure: ``extend(report, catalogue, returns) -> report``, run at the end
        of ``build_report`` to add what only this type shows (``Report.extra``, more
        ``Report.kpis`` columns); the catalogue and returns are every row the report read.
    order : where it comes among the report types (``report: all`` runs them in this
        order; equal orders keep the order of discovery).
    reads : the store's other load kinds its pages read besides the catalogue and returns
        (``programmes``, ``comparators``): in the run's snapshot, sources and manifest.
    extra_pages : pages besides the overview and the sections: (file stem, title, standard
        notebook) each, e.g. ``("summary", "Summary", "corporate_summary.ipynb")``.
    """

    name: str
    title: str
    periods: tuple[str, ...]
    section_key: str = "directorate"
    section_label: str = "directorate"
    section_order: tuple[str, ...] = ()
    in_all: tuple[str, ...] = ()
    frequencies: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    overview_notebook: str = "overview.ipynb"
    section_notebook: str = "section.ipynb"
    outputs: Mapping[str, Callable[[Any], str]] = field(
        default_factory=lambda: {"results.csv": results_csv, "spc.csv": spc_csv})
    description: str = ""
    order: int = 100
    reads: tuple[str, ...] = ()
    extra_pages: tuple[tuple[str, str, str], ...] = ()
    extend: Callable[..., Any] | None = None
    previous_set: bool = False

    def __post_init__(self) -> None:
        if not NAME.match(self.name) or self.name == "all":
            raise RegistryError(f"report type name {self.name!r}: expected a lower-case word "
                                "(letters, digits, _), not 'all'")
        bad = [k for k in (*self.periods, *self.in_all) if k not in PERIOD_KINDS]
        if bad or not self.periods:
            raise RegistryError(f"report type {self.name!r}: periods must be among "
                                f"{', '.join(PERIOD_KINDS)}, got {bad or 'none'}")
        if not set(self.in_all) <= set(self.periods):
            raise RegistryError(f"report type {self.name!r}: in_all {self.in_all} includes a "
                                f"period kind it does not accept ({self.periods})")

    def accepts(self, period_kind: str) -> bool:
        return period_kind in self.periods


_TYPES: dict[str, ReportType] = {}
_LOCK = threading.RLock()
_DISCOVERED = False


def register(report_type: ReportType, replace: bool = False) -> ReportType:
    """Add a report type.  Registering a different type under a taken name is an error
    (``replace=True`` allows it, e.g. a council's own variant of a built-in type)."""
    with _LOCK:
        old = _TYPES.get(report_type.name)
        if old is not None and old != report_type and not replace:
            raise RegistryError(f"report type {report_type.name!r} is already registered")
        _TYPES[report_type.name] = report_type
    return report_type


def unregister(name: str) -> None:
    with _LOCK:
        _TYPES.pop(name, None)


def discover() -> None:
    """Import every registration (built-in modules, entry points, ``$KPILIB_REPORT_TYPES``)."""
    global _DISCOVERED
    with _LOCK:
        if _DISCOVERED:
            return
        _DISCOVERED = True
        package = importlib.import_module(BUILTIN_PACKAGE)
        for mod in sorted(m.name for m in pkgutil.iter_modules(package.__path__)):
            importlib.import_module(f"{BUILTIN_PACKAGE}.{mod}")
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            _load_plugin(ep.value, f"entry point {ep.name!r}", ep.load)
        for name in [m.strip() for m in os.environ.get(ENV_VAR, "").split(",") if m.strip()]:
            _load_plugin(name, f"${ENV_VAR}", lambda n=name: importlib.import_module(n))


def _load_plugin(name: str, where: str, load) -> None:
    try:
        obj = load()
    except ImportError as e:
        raise RegistryError(f"report type module {name!r} (from {where}) cannot be "
                            f"imported: {e}") from None
    if isinstance(obj, ReportType):
        register(obj)


def names() -> tuple[str, ...]:
    """Every registered report type's name, by ``order`` then order of discovery."""
    discover()
    ranked = sorted(enumerate(_TYPES.values()), key=lambda it: (it[1].order, it[0]))
    return tuple(rt.name for _, rt in ranked)


def get(name: str, what: str = "report type") -> ReportType:
    """The report type called ``name``; a clear error listing the choices otherwise."""
    discover()
    try:
        return _TYPES[name]
    except (KeyError, TypeError):
        known = names()
        close = difflib.get_close_matches(str(name), known, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise RegistryError(f"{name!r} is not a {what}{hint}; expected one of "
                            f"{', '.join(known)}") from None


def all_of(period_kind: str) -> tuple[str, ...]:
    """The report types ``report: all`` produces for a month or a quarter."""
    return tuple(n for n in names() if period_kind in _TYPES[n].in_all)


def types() -> tuple[ReportType, ...]:
    return tuple(_TYPES[n] for n in names())
