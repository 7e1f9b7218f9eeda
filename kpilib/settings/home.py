"""Where a run's council lives: one rule, used by every command (reporting rules 7.5).

A run's council is, in this order:

1. ``council:`` in its parameter set (a path read from the parameter set's project folder);
2. else the nearest ``council.yaml`` in the parameter file's folder or a folder above it;
3. else none: kpilib's defaults.

The council's *home* is the folder holding its settings file.  Its per-directorate
notebooks (``notebooks/<type>/...``), template overrides (``templates/...``, including
``templates/kpi/council.css``) and the relative paths in its settings (``logo``) resolve
from there, never from the working folder.  A run with no settings file has no home: it uses
kpilib's notebooks and templates only.

A parameter set's *project* is the folder holding the nearest ``params/`` folder the
parameter file is in (the folder ``kpi run`` was always run from), else the parameter
file's own folder.  Its relative paths (``store``, ``output_dir``, ``council``)
are read from there, and its kernels run there, so a run gives the same pages from any
working folder.  Loads and audit, which have no parameter set, take ``--council``, else the
nearest ``council.yaml`` from the working folder (:func:`find_settings`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

SETTINGS = "council.yaml"
PARAMS = "params"


def find_settings(start: str | Path | None = None) -> Path | None:
    """The nearest ``council.yaml`` in ``start`` (default: the working folder) or a folder
    above it; None when there is none."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / SETTINGS).is_file():
            return folder / SETTINGS
    return None


def project_of(params_file: str | Path) -> Path:
    """The project of a parameter file: the folder holding the nearest ``params/`` folder
    the file is in (``councils/kent/params/2024-25-Q2.yaml``: ``councils/kent``), else the
    file's own folder (absolute)."""
    here = Path(params_file).resolve().parent
    for folder in (here, *here.parents):
        if folder.name == PARAMS and folder.parent != folder:
            return folder.parent
    return here


@dataclass(frozen=True)
class Located:
    """A run's project folder and its council's settings file (None: kpilib's defaults)."""

    project: Path
    settings: Path | None

    @property
    def home(self) -> Path | None:
        """The council's home: the folder holding its settings file."""
        return self.settings.parent if self.settings else None

    @property
    def council(self) -> str | None:
        """The ``council`` a run passes on, read from its project folder as the kernels read
        it: None when it is the project's own ``council.yaml`` (or there is none)."""
        if self.settings is None or self.settings == self.project / SETTINGS:
            return None
        return Path(os.path.relpath(self.settings, self.project)).as_posix()


def locate(params_file: str | Path | None, council: str | None) -> Located:
    """The project and council of a parameter set (``params_file`` None: one given in
    memory, whose project is the working folder) with ``council:`` ``council``."""
    known = params_file is not None and Path(params_file).is_file()
    project = project_of(params_file) if known else Path.cwd().resolve()
    if council:
        given = Path(council)
        return Located(project, (given if given.is_absolute() else project / given).resolve()
                       if "://" not in council else given)
    start = Path(params_file).resolve().parent if known else project
    return Located(project, find_settings(start))


def settle(params):
    """A run's :class:`Located` and its parameter set as the run reads it from its project
    folder: ``council`` the file found (:attr:`Located.council`) when the set names none,
    and the parameter file named from the project (the manifest's ``params_file``), so
    that a run records the same from any working folder."""
    source = params.source if Path(params.source).is_file() else None
    found = locate(source, params.council)
    if source is not None:
        source = Path(os.path.relpath(Path(source).resolve(), found.project)).as_posix()
    return found, dataclasses.replace(params, council=params.council or found.council,
                                      source=source or params.source)


def located_here(council: str | None) -> str | None:
    """The ``council`` of a command with no parameter set (``kpi changes``): ``--council``
    as given, else the nearest ``council.yaml`` from the working folder (None when it is
    ``./council.yaml``, as a run names it, or there is none)."""
    if council:
        return council
    return locate(None, None).council


def given_here(path: str | None, project: Path) -> str | None:
    """A path given on the command line (``--output-dir``, ``--store``): from the working
    folder, so absolute when the run works in another folder (its project)."""
    if not path or "://" in path or "\0" in path or Path(path).is_absolute() \
            or Path.cwd().resolve() == project:
        return path  # (a NUL is refused with the parameter set's other problems)
    return str(Path(path).resolve())


def home_of(council: str | None) -> Path | None:
    """The home of the settings a run reads with ``council`` (as
    :func:`kpilib.settings.council.load_settings` reads them: the file named, else
    ``./council.yaml`` when there is one): the folder holding them, or None."""
    if council:
        return Path(council).resolve().parent
    own = Path(SETTINGS)
    return Path.cwd().resolve() if own.is_file() else None


@contextlib.contextmanager
def working_in(folder: Path):
    """Run in ``folder`` (a run's project), back where it was afterwards."""
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)
