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
import json
import pkgutil
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpilib.plugins import PluginError, Registry

ENTRY_POINT_GROUP = "kpilib.report_types"
ENV_VAR = "KPILIB_REPORT_TYPES"
BUILTIN_PACKAGE = "kpilib.reports.types"
NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
PERIOD_KINDS = ("month", "quarter")


class RegistryError(PluginError):
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
    notebooks : the folder of the type's own standard notebooks (a package's report type
        ships them beside its module); None: kpilib's.  A project's ``notebooks/`` still
        comes first (:mod:`kpilib.run.locate`).
    single_page : its pages are one: the overview page holds the summary and every KPI
        (grouped by key commitment); no page per section (``section_key`` is then what the
        summary counts KPIs by), so no ``section_notebook``, ``section_order`` or
        ``extra_pages``.
    view : a view of the catalogue instead of a slice of it: ``{column: values}``, the KPIs
        whose catalogue row has one of the values in every column named (e.g.
        ``{"directorate": ("Children's Services",), "report": ("core", "service")}``; columns:
        :data:`VIEW_COLUMNS`).  No catalogue row names a view in its ``report`` column; each
        KPI keeps its own row (target, tolerance, keys...) and returns, so its figures are
        those of the report type its row names.  Empty: a slice (the KPIs naming it).
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
    notebooks: str | None = None
    single_page: bool = False
    view: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.view, Mapping):  # a tuple of values per column, as declared
            object.__setattr__(self, "view", {
                k: tuple(v) if isinstance(v, list | tuple | set | frozenset) else v
                for k, v in self.view.items()})
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

    @property
    def is_view(self) -> bool:
        return bool(self.view)

    def includes(self, row: Mapping) -> bool:
        """Whether a KPI's catalogue row (a mapping of its columns) is one of this type's."""
        if not self.view:
            return row.get("report") == self.name
        return all(row.get(col) in values for col, values in self.view.items())

    def members(self, catalogue):
        """A boolean mask of the catalogue rows (a pandas frame) of this type's KPIs: those
        naming it in ``report``, or for a view those its filter selects."""
        if not self.view:
            return catalogue["report"] == self.name
        mask = catalogue["breakdown"] == ""
        for col, values in self.view.items():
            mask = mask & catalogue[col].isin(list(values))
        return mask


# The catalogue columns a report may be split into pages by (a test checks that each is a
# column of the catalogue contract), and the parameters every page notebook takes from a run.
SECTION_COLUMNS = ("directorate", "department", "commitment", "theme")
# The catalogue columns a view may filter by (a test checks each is a catalogue column).
VIEW_COLUMNS = ("ref", "report", "directorate", "department", "commitment", "theme",
                "frequency", "measure", "unit", "polarity", "statutory", "rag_scheme",
                "travel_scheme", "metric")
RUN_PARAMETERS = ("store", "period", "report_set", "as_of", "council", "loads_through")
PAGE_STEM = re.compile(r"^[a-z0-9][a-z0-9-]{0,60}$")
RUN_FILES = ("index.html", "manifest.json", "manifest.sig", "additions.jsonl", "notebooks",
             "assets")
PACKAGE_NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"


def declared_parameters(cells: list) -> set[str]:
    """The names a notebook's ``parameters`` cell assigns (``cells``: its JSON cells)."""
    return {m.group(1) for c in cells if "parameters" in c.get("metadata", {}).get("tags", ())
            for m in re.finditer(r"^([A-Za-z_]\w*)\s*=", "".join(c.get("source", "")), re.M)}


def _declared(path: Path) -> set[str] | None:
    """:func:`declared_parameters` of the notebook at ``path``; None if it cannot be read."""
    try:
        return declared_parameters(json.loads(path.read_text(encoding="utf-8"))["cells"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def check_report_type(rt: ReportType) -> None:
    """What registration checks of a report type, every problem at once: a ``section_key``
    that is not a column pages can be split by; page file names that are not lower-case
    words, or clash with each other, the overview or the run's own files; and each standard
    notebook it names that kpilib (or its ``notebooks`` folder) holds must declare the
    parameters a run passes (a project's own notebook is checked when a run finds it); a
    single page with section pages, and a view's filter (:func:`view_problems`)."""
    problems = [*single_page_problems(rt), *view_problems(rt)]
    if rt.section_key not in SECTION_COLUMNS:
        close = difflib.get_close_matches(str(rt.section_key), SECTION_COLUMNS, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        problems.append(f"section_key {rt.section_key!r} is not a catalogue column pages can "
                        f"be split by{hint}; expected one of {', '.join(SECTION_COLUMNS)}")
    seen = {"index": "the overview"}
    for stem, title, _ in rt.extra_pages:
        if not PAGE_STEM.match(str(stem)):
            problems.append(f"page {stem!r} ({title}): a page's file name must be a lower-case "
                            "word (letters, digits, -)")
        elif stem in seen:
            problems.append(f"page {stem!r} ({title}) would be written as {stem}.html, as "
                            f"{seen[stem]} is")
        seen.setdefault(stem, f"page {title!r}")
    for name in rt.outputs:
        if name in RUN_FILES or name.endswith(".html") and name[:-5] in seen:
            problems.append(f"output {name!r} has the name of a file every run writes (or a "
                            "page); give it another name")
    folder = Path(rt.notebooks) if rt.notebooks else PACKAGE_NOTEBOOKS
    pages = [(rt.overview_notebook, "the overview", ()),
             *(() if rt.single_page else ((rt.section_notebook, "each section", ("section",)),)),
             *((nb, f"page {title!r}", ()) for _, title, nb in rt.extra_pages)]
    for notebook, page, extra in pages:
        path = folder / notebook
        if not path.is_file():
            if rt.notebooks:
                problems.append(f"notebook {notebook!r} for {page}: not in {folder}")
            continue
        declared = _declared(path)
        missing = [p for p in (*RUN_PARAMETERS, *extra) if declared is not None and
                   p not in declared]
        if declared is None:
            problems.append(f"notebook {path} for {page}: cannot be read as a notebook")
        elif missing:
            problems.append(f"notebook {path} for {page}: its parameters cell does not declare "
                            f"{', '.join(missing)} (a run passes them; e.g. `{missing[0]} = "
                            "None`)")
    if problems:
        raise RegistryError(f"report type {rt.name!r}: " + "; ".join(problems))


def single_page_problems(rt: ReportType) -> list[str]:
    """A single-page type that also declares pages besides its one (or what only section
    pages use): contradictions, each named."""
    if not rt.single_page:
        return []
    said = "single_page=True (its overview is its only page)"
    out = [f"{said} contradicts extra_pages {', '.join(repr(s) for s, _, _ in rt.extra_pages)}"
           ] if rt.extra_pages else []
    if rt.section_notebook != "section.ipynb":
        out.append(f"{said} contradicts section_notebook {rt.section_notebook!r}: it has no "
                   "section pages")
    if rt.section_order:
        out.append(f"{said} contradicts section_order {rt.section_order}: it has no section "
                   "pages to order")
    return out


def view_problems(rt: ReportType) -> list[str]:
    """A view's filter: a mapping of :data:`VIEW_COLUMNS` to non-empty lists of text values,
    not naming the view itself as a report; and nothing that checks catalogue rows naming
    the type (no row names a view) or compares the previous year's rows naming it."""
    if not isinstance(rt.view, Mapping):
        return [f"view {rt.view!r}: expected a mapping of catalogue columns to values"]
    out = []
    for col, values in rt.view.items():
        if col not in VIEW_COLUMNS:
            close = difflib.get_close_matches(str(col), VIEW_COLUMNS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            out.append(f"view column {col!r} is not a catalogue column a view can filter "
                       f"by{hint}; expected one of {', '.join(VIEW_COLUMNS)}")
        elif not isinstance(values, tuple) or not values or \
                not all(isinstance(v, str) for v in values):
            out.append(f"view column {col!r}: {values!r}; expected a list of one or more "
                       "values (text)")
        elif col == "report" and rt.name in values:
            out.append(f"view column 'report' names the view {rt.name!r} itself; no catalogue "
                       "row names a view: name the report types whose KPIs it shows")
    if rt.view:
        said = "a view (its KPIs are chosen by its filter, not by their report column)"
        out += [f"{said} cannot have {what}: {why}" for what, why in (
            ("frequencies", "filter on 'frequency' instead"),
            ("required", "its KPIs' rows are checked by their own report types"),
            ("previous_set", "the previous year's set is of the KPIs naming a type"))
            if getattr(rt, what)]
    return out


def catalogue_names() -> tuple[str, ...]:
    """The report types a catalogue row may name in its ``report`` column: every registered
    type but a view."""
    return tuple(n for n in names() if not TYPES[n].is_view)


def _builtin_modules() -> tuple[str, ...]:
    package = importlib.import_module(BUILTIN_PACKAGE)
    return tuple(f"{BUILTIN_PACKAGE}.{m}"
                 for m in sorted(m.name for m in pkgutil.iter_modules(package.__path__)))


TYPES = Registry("report type", ENTRY_POINT_GROUP, ENV_VAR, builtins=_builtin_modules,
                 check=lambda rt: check_report_type(rt), error=RegistryError, kind=ReportType)


def register(report_type: ReportType, replace: bool = False) -> ReportType:
    """Add a report type, checked (:func:`check_report_type`).  Registering a different type
    under a taken name is an error naming both registrations (``replace=True`` allows it,
    e.g. a council's own variant of a built-in type)."""
    return TYPES.register(report_type, replace)


def unregister(name: str) -> None:
    TYPES.unregister(name)


def discover() -> None:
    """Import every registration (built-in modules, entry points, ``$KPILIB_REPORT_TYPES``)."""
    TYPES.discover()


def names() -> tuple[str, ...]:
    """Every registered report type's name, by ``order`` then order of discovery."""
    ranked = sorted(enumerate(TYPES.values()), key=lambda it: (it[1].order, it[0]))
    return tuple(rt.name for _, rt in ranked)


def get(name: str, what: str = "report type") -> ReportType:
    """The report type called ``name``; a clear error listing the choices otherwise."""
    if isinstance(name, str) and name in TYPES:
        return TYPES[name]
    known = names()
    close = difflib.get_close_matches(str(name), known, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise RegistryError(f"{name!r} is not a {what}{hint}; expected one of "
                        f"{', '.join(known)}")


def all_of(period_kind: str) -> tuple[str, ...]:
    """The report types ``report: all`` produces for a month or a quarter."""
    return tuple(n for n in names() if period_kind in TYPES[n].in_all)


def types() -> tuple[ReportType, ...]:
    return tuple(TYPES[n] for n in names())
