"""What a notebook opened by hand reads: JupyterLab's "Run all" with the default parameters.

A run passes every parameter; a notebook opened in JupyterLab has ``None`` for the store and
the council, and its kernel's working folder is the notebook's own (``kpilib/notebooks/``,
``notebooks/core/``), not the project folder ``kpi run`` starts from.  So, with no store
given, a notebook reads, in this order:

1. ``$KPILIB_STORE_<REPORT>`` (e.g. ``$KPILIB_STORE_CORPORATE``), else ``$KPILIB_STORE``;
2. the store of the project's latest parameter set for its report type: the project is the
   nearest folder, from the working folder upwards, with a ``params/`` folder; its
   parameter sets (``params/**/*.yaml``) for the type (``report: <type>``, or ``all`` when
   the type is part of ``all`` for that kind of period), the latest period first (the
   type named before ``all``, a month before the quarter it ends), else those of the council
   homes in folders below it (:func:`council_homes`: ``councils/county/``); the set's
   council and relative paths are found as ``kpi run`` finds them (one rule,
   :mod:`kpilib.settings.home`): its ``council:``, else the nearest ``council.yaml`` from the
   set's folder upwards, its paths read from the set's project folder;
3. ``data/kpi.sqlite`` in the working folder or the nearest folder above it.

A relative store or settings path given by hand is read from the working folder when it is
there, else from the project folder (a path written as in a parameter set works as is).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from kpilib import registry
from kpilib.rules.periods import PeriodError, parse_period
from kpilib.settings.home import SETTINGS, locate

STORE_ENV = "KPILIB_STORE"
DEFAULT_STORE = Path("data") / "kpi.sqlite"
PARAMS = "params"


@dataclass(frozen=True)
class Defaults:
    """The store and settings a notebook opened by hand reads, and where they came from."""

    store: str
    council: str | None = None
    source: str = ""  # the parameter set they came from ("" for the others)


def project_folder(start: Path | None = None) -> Path | None:
    """The nearest folder, from ``start`` (default: the working folder) upwards, that has a
    ``params/`` folder: where ``kpi run`` is run from."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / PARAMS).is_dir():
            return folder
    return None


def council_homes(project: Path) -> list[Path]:
    """The homes of the councils in folders below ``project`` (``councils/kent/``: a
    ``council.yaml`` and a ``params/`` folder there), whose parameter sets a notebook
    opened by hand reads when the project's own have none for its report type."""
    found = {p.parent for pattern in (f"*/{SETTINGS}", f"*/*/{SETTINGS}")
             for p in project.glob(pattern) if (p.parent / PARAMS).is_dir()}
    return sorted(found)


def _wanted(report: str, raw: dict) -> tuple[str, bool, bool] | None:
    """How late a parameter set is for ``report`` (its last month; then one naming ``report``
    itself before an ``all``; then a month before a quarter ending with it); None when it
    does not run ``report`` (or cannot be read as a parameter set)."""
    try:
        period = parse_period(str(raw.get("period")))
    except (PeriodError, ValueError):
        return None
    named = raw.get("report")
    month = period.kind == "month"
    if named == report:
        return period.months[-1], True, month
    if named == "all" and report in registry.all_of(period.kind):
        return period.months[-1], False, month
    return None


def latest_params(project: Path, report: str) -> tuple[Path, dict] | None:
    """The project's latest parameter set for ``report`` (see the module), with its keys."""
    best = None
    for path in sorted((project / PARAMS).rglob("*.yaml")):
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue  # not a parameter set a run could read either: not a candidate
        if not isinstance(raw, dict) or not isinstance(raw.get("store"), str):
            continue
        if (rank := _wanted(report, raw)) is not None and (best is None or rank > best[0]):
            best = (rank, path, raw)
    return None if best is None else (best[1], best[2])


def from_project(path: str | None) -> str | None:
    """A path given by hand: as given when absolute, a URL, or there from the working folder;
    else read from the project folder when it is there."""
    if path is None or "://" in path or Path(path).is_absolute() or Path(path).exists():
        return path
    project = project_folder()
    if project is not None and (project / path).exists():
        return str(project / path)
    return path


def defaults(report: str | None) -> Defaults:
    """The store (and settings, when a parameter set names the store) of a notebook opened
    with ``store = None`` (see the module for the order)."""
    if report and os.environ.get(f"{STORE_ENV}_{report.upper()}"):
        return Defaults(os.environ[f"{STORE_ENV}_{report.upper()}"])
    if os.environ.get(STORE_ENV):
        return Defaults(os.environ[STORE_ENV])
    project = project_folder()
    found = None
    for where in ((project, *council_homes(project)) if report and project else ()):
        if (found := latest_params(where, report)) is not None:
            break
    if found is not None:
        path, raw = found
        council = raw.get("council")
        # the set's council and paths, as kpi run finds them (kpilib.settings.home)
        where = locate(path, council if isinstance(council, str) and council else None)
        store = raw["store"]
        if "://" not in store and not Path(store).is_absolute():
            store = str(where.project / store)
        return Defaults(store, str(where.settings) if where.settings else None,
                        str(path.relative_to(project)))
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / DEFAULT_STORE).is_file():
            return Defaults(str(folder / DEFAULT_STORE))
    return Defaults(str(DEFAULT_STORE))
