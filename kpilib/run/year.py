"""A year in one command: a parameter set whose ``period`` is a financial year (``2024-25``).

``kpi run params/2024-25.yaml`` runs every publication of the year: each month and each
quarter (April first, then Q1 to Q4), each report type the parameter set's ``report`` gives
for that kind of period (``all``: as :meth:`kpilib.settings.params.RunParams.plan` chooses per
period, from the year's catalogue), and each edition the council publishes (``editions:``
in its settings, default ``[internal]``; a parameter set's ``edition: public`` runs only the
public one).  A report whose period has no data yet is skipped with a line saying so.

Every publication is one run of :func:`kpilib.run.runner.run_sets`: all read the data as of
one moment and one bound on loads; each is compared with its current publication before
anything executes, and only those whose inputs changed (or that cannot be verified)
execute, side by side on one pool of workers.  :func:`line` is what ``kpi run`` prints for
each: ``re-executed`` and why (which load, which setting), ``published`` for a first, or
``unchanged, verified``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from kpilib import registry
from kpilib.rules.periods import fy_months, fy_quarters, parse_period
from kpilib.rules.suppression import DEFAULT_EDITION
from kpilib.run import runner
from kpilib.run.reasons import FIRST
from kpilib.settings import home
from kpilib.settings.council import load_settings
from kpilib.settings.params import RunParams, Skipped


def periods(fy: str) -> list[str]:
    """The periods of a financial year a year's run goes through: its months, its quarters."""
    return [*fy_months(fy), *fy_quarters(fy)]


def editions(params: RunParams) -> tuple[str, ...]:
    """The editions a year's run publishes: the parameter set's own when it names the public
    one, else the council's ``editions:`` (default ``[internal]``)."""
    if params.edition != DEFAULT_EDITION:
        return (params.edition,)
    return load_settings(params.council).editions


def expand(params: RunParams) -> list[RunParams]:
    """One parameter set per period and edition of the year ``params.period`` (a period
    no report type of ``params.report`` is for is left out)."""
    out = []
    chosen = editions(params)
    for period in periods(params.period):
        kind = parse_period(period).kind
        if params.report == "all" and not registry.all_of(kind):
            continue
        if params.report != "all" and not registry.get(params.report).accepts(kind):
            continue
        out += [dataclasses.replace(params, period=period, edition=e) for e in chosen]
    return out


def run_year(params: RunParams, self_contained: bool = False, show_progress: bool = True,
             on_skip: Callable[[Skipped], None] | None = None, force: bool = False,
             supersede_signed: bool = False) -> list[runner.RunSummary]:
    """Run the year of ``params`` (:func:`expand`); a skip said once however many periods
    it applies to."""
    said: set[str] = set()

    def skip(s: Skipped) -> None:
        if on_skip is not None and str(s) not in said:
            said.add(str(s))
            on_skip(s)

    found, params = home.settle(params)  # the year's project and council (kpilib.settings.home)
    with home.working_in(found.project):
        done = runner.run_sets(expand(params), self_contained, show_progress, None, skip,
                               force, supersede_signed, skip_no_data=True)
    return done if found.project == Path.cwd().resolve() else runner.in_project(found.project,
                                                                               done)


def label(s: runner.RunSummary) -> str:
    """``core 2024-05`` or ``core 2024-05 public``."""
    edition = "" if s.edition == DEFAULT_EDITION else f" {s.edition}"
    return f"{s.report} {s.period}{edition}"


def line(s: runner.RunSummary) -> str:
    """One line for one publication of a year's run."""
    if s.unchanged:
        return f"{label(s)}: unchanged, verified ({s.folder})"
    if s.why and s.why != FIRST:
        return f"{label(s)}: re-executed in {s.seconds:.1f} s: {s.why} -> {s.index}"
    return f"{label(s)}: published in {s.seconds:.1f} s (the first publication) -> {s.index}"


def totals(summaries: list[runner.RunSummary], fy: str) -> str:
    """The last line: how many publications, how many executed."""
    same = sum(s.unchanged for s in summaries)
    return (f"{fy}: {len(summaries)} publication{'s' if len(summaries) != 1 else ''}: "
            f"{len(summaries) - same} executed, {same} unchanged, verified")
