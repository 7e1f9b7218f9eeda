"""Where notebooks and templates come from: the council's own folders first, then kpilib's.

The council's *home* is the folder holding its settings file (:mod:`kpilib.settings.home`), never
the working folder; a run with no settings file has none and uses kpilib's notebooks only.
A section's notebook is looked up in this order; the first that exists is used:

1. ``notebooks/<report>/<section-slug>.ipynb`` in the home: that one section's own notebook
   (e.g. ``notebooks/core/children-s-services.ipynb``);
2. ``notebooks/<report>/<standard name>``: the council's version of a standard
   notebook for one report type;
3. ``notebooks/<standard name>``: the council's version for every report type;
4. the report type's own notebooks folder, for a type that has one (``ReportType.notebooks``:
   a package's report type ships its notebooks beside its module);
5. the standard notebook shipped in the package (``kpilib/notebooks/``).

The overview follows steps 2-5.  Templates: ``templates/<name>`` in the
home, then the package's (:mod:`kpilib.render.templates`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from kpilib import registry
from kpilib.errors import RunError

PACKAGE_NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PROJECT_NOTEBOOKS = "notebooks"


@dataclass(frozen=True)
class NotebookSource:
    """A notebook a job executes: its file, and how the manifest names it (``kpilib:`` for
    the package's standard notebooks, ``project:`` for the project's own)."""

    path: Path
    label: str


def find_notebook(report: str, standard: str, section_slug: str | None = None,
                  root: str | Path | None = None) -> NotebookSource:
    """The notebook a page of ``report`` runs (see the module's lookup order); ``root``:
    the council's home (None: none, kpilib's notebooks only)."""
    candidates = []
    if section_slug:
        candidates.append(Path(report) / f"{section_slug}.ipynb")
    candidates += [Path(report) / standard, Path(standard)]
    base = Path(root or ".") / PROJECT_NOTEBOOKS
    for rel in candidates if root is not None else ():
        if (base / rel).is_file():
            return NotebookSource(base / rel, f"project:{PROJECT_NOTEBOOKS}/{rel.as_posix()}")
    own = _type_notebooks(report)
    if own is not None and (own / standard).is_file():
        return NotebookSource(own / standard, f"type:{report}/{standard}")
    return NotebookSource(PACKAGE_NOTEBOOKS / standard, f"kpilib:{standard}")


def _type_notebooks(report: str) -> Path | None:
    """The folder of a report type's own standard notebooks (a package's type), if any."""
    try:
        folder = registry.get(report).notebooks
    except registry.RegistryError:  # the change report: no report type
        return None
    return Path(folder) if folder else None


def notebook_from_label(label: str, root: str | Path | None = None) -> Path:
    """The file a manifest's notebook label names, in the council's home ``root`` (None:
    the working folder) or this package."""
    origin, _, rel = label.partition(":")
    if origin == "kpilib":
        return PACKAGE_NOTEBOOKS / rel
    if origin == "type":
        report, _, name = rel.partition("/")
        return (_type_notebooks(report) or PACKAGE_NOTEBOOKS) / name
    return Path(root or ".") / rel


BOUND = "loads_through"
EDITION = "edition"


def check_reads_the_run_snapshot(source: NotebookSource) -> None:
    """A notebook must declare the ``loads_through`` parameter and pass it on (to
    ``kn.open_report``): without it, a load committed during the run would reach its page
    but not the run's ``results.csv``."""
    if not _takes(source, BOUND):
        raise RunError(
            f"notebook {source.label} does not take the run's '{BOUND}' parameter: add "
            f"`{BOUND} = None` to its parameters cell and pass it on, as in "
            f"`kn.open_report(store, period, report_set, as_of, council, {BOUND})`, so that "
            "it reads the same data as the rest of the run")


def check_takes_edition(source: NotebookSource) -> None:
    """A public edition's notebook must declare the ``edition`` parameter and pass it on:
    a notebook that ignores it would publish every figure."""
    if not _takes(source, EDITION):
        raise RunError(
            f"notebook {source.label} does not take the run's '{EDITION}' parameter, so it "
            f"cannot make a public edition (it would show the small numbers withheld): add "
            f"`{EDITION} = None` to its parameters cell and pass it on, as in "
            f"`kn.open_report(store, period, report_set, as_of, council, {BOUND}, {EDITION})`")


def _takes(source: NotebookSource, name: str) -> bool:
    """Whether a notebook declares parameter ``name`` and uses it in another cell."""
    try:
        cells = json.loads(Path(source.path).read_text(encoding="utf-8"))["cells"]
        code = [(c.get("metadata", {}).get("tags", []), "".join(c.get("source", "")))
                for c in cells if c.get("cell_type") == "code"]
        declared = name in registry.declared_parameters(
            [c for c in cells if c.get("cell_type") == "code"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise RunError(f"notebook {source.label}: cannot be read as a notebook ({e})") from None
    used = any("parameters" not in tags and re.search(rf"\b{name}\b", text)
               for tags, text in code)
    return declared and used
