"""kpilib as Python calls, for analysts who script rather than type commands.

Each call does what its command does, with the same checks and the same errors (a
:class:`~kpilib.errors.KpiError` with the message the command prints), and returns values
instead of printing::

    import kpilib.api as kpi

    kpi.load("catalogue", "catalogue-2024-25.csv", store="data/kpi.sqlite")
    kpi.load("returns", "returns-2024-04.csv", store="data/kpi.sqlite")
    published = kpi.run("params/2024-04.yaml")          # kpi run
    table = kpi.results("2024-04", "core", store="data/kpi.sqlite")   # kpi results
    verdicts = kpi.audit(published[0].folder)           # kpi audit
    assert all(v.identical for v in verdicts)

``load`` is ``kpi load KIND FILE...``, ``run`` is ``kpi run PARAMS``, ``results`` is
``kpi results`` (a DataFrame: the columns of ``results.csv``), ``report`` opens the report
model the pages are built from, and ``audit`` is ``kpi audit PATH``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from kpilib.settings.interactive import DEFAULT_STORE as _DEFAULT

DEFAULT_STORE = str(_DEFAULT)  # data/kpi.sqlite, as the commands' default

__all__ = ["audit", "load", "report", "results", "run"]


def load(kind: str, *files: str | Path, store: str | Path = DEFAULT_STORE,
         council: str | Path | None = None) -> list:
    """Validate and store ``files`` of ``kind`` (``catalogue``, ``returns``, ``targets``,
    ``overrides``, ``programmes``, ``comparators``, or a registered kind), in order, as
    ``kpi load``: each file whole or not at all.  ``council``: the settings whose keys the
    files are checked against (default: the nearest ``council.yaml`` above the working
    folder).  Returns each file's :class:`~kpilib.store.database.LoadResult`; the first file
    that fails raises :class:`~kpilib.errors.ValidationError` listing every problem (files
    before it stay loaded, nothing of it is stored)."""
    from kpilib.settings.council import load_keys
    from kpilib.settings.home import find_settings
    from kpilib.store import Store

    keys = load_keys(council if council is not None else find_settings())
    st = Store.open(str(store))
    try:
        st.keys = keys
        return [st.load(kind, Path(f)) for f in files]
    finally:
        st.close()


def run(params: str | Path | Mapping, *, as_of: str | None = None,
        output_dir: str | None = None, edition: str | None = None, store: str | None = None,
        force: bool = False, supersede_signed: bool = False,
        self_contained: bool = False) -> list:
    """Run a parameter set (a YAML file, or a mapping of its keys) and publish, as
    ``kpi run``; the keyword arguments override the set's keys.  Returns one
    :class:`~kpilib.run.runner.RunSummary` per report published (``folder``, ``index``,
    ``statuses``...)."""
    from kpilib.run.runner import run as run_params
    from kpilib.settings.params import read_params, validate

    overrides = {"as_of": as_of, "output_dir": output_dir, "edition": edition, "store": store}
    if isinstance(params, Mapping):
        raw = {**params, **{k: v for k, v in overrides.items() if v is not None}}
        checked = validate(raw, "<parameters>")
    else:
        from kpilib.settings.home import given_here, project_of

        project = project_of(params)  # the set's paths are read from its project folder
        checked = read_params(params, **{k: given_here(v, project) if k in ("output_dir",
                                                                            "store") else v
                                         for k, v in overrides.items()})
    return run_params(checked, self_contained=self_contained, show_progress=False,
                      force=force, supersede_signed=supersede_signed)


def report(period: str | None, report: str = "core", *, store: str | None = None,
           as_of: str | None = None, council: str | None = None,
           edition: str | None = None):
    """The report model of ``report`` for ``period`` (None: the latest loaded) as its pages
    show it (:class:`~kpilib.reports.model.Report`: ``kpis``, ``cells``, ``results``...)."""
    return _open(period, report, store, as_of, council, edition)


def _open(period, report_type, store, as_of, council, edition):
    from kpilib.notebook import open_report

    return open_report(None if store is None else str(store), period, report_type, as_of,
                       council, None, edition)


def results(period: str, report: str = "core", *, store: str | Path = DEFAULT_STORE,
            as_of: str | None = None, council: str | None = None,
            edition: str | None = None) -> pd.DataFrame:
    """The ``results.csv`` table of ``report`` for ``period`` straight from the store, as
    ``kpi results`` writes it (every column text, as in the file)."""
    from kpilib.settings.params import normalise_moment

    moment = normalise_moment(as_of) if as_of else None
    return _open(period, report, store, moment, council, edition).results


def audit(path: str | Path, *, store: str | None = None, council: str | None = None,
          jobs: int = 2, who: str | None = None, record: bool = True) -> list:
    """Re-execute the published run(s) at ``path`` (a run folder or a folder of runs) and
    compare, as ``kpi audit``.  Returns one :class:`~kpilib.audit.audit.AuditResult` per
    run (``identical``, ``lines()``); ``record``: add each verdict to the run's
    ``additions.jsonl`` as the command does."""
    from kpilib.audit.audit import audit_tree
    from kpilib.audit.layers import record_verdict

    if council is not None:
        from kpilib.settings.council import load_settings

        load_settings(council)  # the settings the auditor trusts must be readable ones
    verdicts = audit_tree(Path(path), store, jobs, council=council)
    if record:
        for v in verdicts:
            record_verdict(v, who)
    return verdicts
