"""``kpi changes``: the KPI-set change report as a published run folder.

It is a run like a report set's (:mod:`kpilib.run.runner`): one notebook
(``changes.ipynb``, overridable as ``notebooks/changes/changes.ipynb``) executed by
papermill and rendered with the council's branding, ``changes.csv``, a manifest hashing
every file and naming the catalogue loads read, the store's ledger, the council's
signature where configured, and the same atomic publishing, at
``<output_dir>/<from>_<to>/changes/`` (e.g. ``outputs/2024-25_2025-26/changes/``: the
``<period>/<report>`` layout of every run, so ``kpi status``, ``kpi doctor`` and
superseded publications work unchanged).  ``kpi audit`` re-executes it through
:func:`run_changes`, which takes the arguments of :func:`kpilib.run.runner.run_report`.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from kpilib.clock import utc_now
from kpilib.errors import ParamsError
from kpilib.ingest.contracts import RETURN_COLUMNS
from kpilib.publish import fingerprint, manifest, signing
from kpilib.render import page as render_page
from kpilib.reports.kpi_changes import KpiSetChanges, check_years, compare
from kpilib.rules.periods import fy_id, parse_fy
from kpilib.run import reasons, runner
from kpilib.run.cellids import check_cell_ids
from kpilib.run.locate import check_reads_the_run_snapshot, find_notebook
from kpilib.settings.council import load_settings
from kpilib.settings.home import home_of
from kpilib.settings.params import RunParams, check_output_dir, normalise_moment
from kpilib.store import Snapshot, open_store, record_publication

REPORT = "changes"  # the manifest's and ledger's report name; never a report type's
NOTEBOOK = "changes.ipynb"
DEFAULT_TITLE = "KPI set changes"
SPAN = re.compile(r"^([0-9]{4}-[0-9]{2})_([0-9]{4}-[0-9]{2})$")


def span(year_from: str, year_to: str) -> str:
    """The run's period id: ``2024-25_2025-26``."""
    return f"{year_from}_{year_to}"


def years_of(period: str) -> tuple[str, str]:
    """``2024-25_2025-26`` -> (``2024-25``, ``2025-26``)."""
    m = SPAN.match(period)
    if not m:
        raise ParamsError(f"{period!r} is not a pair of financial years (2024-25_2025-26)")
    return m.group(1), m.group(2)


def default_years(catalogue, year_from: str | None, year_to: str | None) -> tuple[str, str]:
    """Fill in missing years: the later is the latest year loaded, the earlier the year
    before the later."""
    if year_to is None:
        years = sorted(set(catalogue["year"]))
        if year_from is not None:
            year_to = fy_id(parse_fy(year_from) + 1)
        elif years:
            year_to = years[-1]
        else:
            raise ParamsError("no catalogue is loaded: load two years' catalogues first")
    if year_from is None:
        year_from = fy_id(parse_fy(year_to) - 1)
    check_years(year_from, year_to)
    return year_from, year_to


def snapshot(store: str, year_from: str, year_to: str, as_of: str | None,
             loads_through: int | None) -> Snapshot:
    """What a change report reads: the two years' catalogue rows, the catalogue loads in
    effect, no returns."""
    snap = open_store(store).snapshot(as_of, loads_through)
    cat = snap.catalogue[snap.catalogue["year"].isin([year_from, year_to])]
    returns = snap.returns.iloc[0:0][list(RETURN_COLUMNS)]
    sources = tuple(s for s in snap.sources if s["kind"] == "catalogue")
    return Snapshot(snap.as_of, cat.reset_index(drop=True), returns, sources,
                    snap.loads_through)


def read_changes(store: str, year_from: str | None, year_to: str | None,
                 as_of: str | None = None, loads_through: int | None = None
                 ) -> tuple[KpiSetChanges, Snapshot]:
    """The comparison of two years' KPI sets as the store held them at ``as_of``."""
    as_of = normalise_moment(as_of, "as_of") if as_of else None
    if year_from is None or year_to is None:
        cat = open_store(store).catalogue(as_of, loads_through)
        year_from, year_to = default_years(cat, year_from, year_to)
    snap = snapshot(store, year_from, year_to, as_of, loads_through)
    return compare(snap.catalogue, year_from, year_to), snap


def footer() -> str:
    return ("Produced with kpilib from the catalogues as of the moment given at the top of "
            "the page. "
            "Every KPI's change is also in changes.csv; manifest.json lets anyone re-execute "
            "and verify this report.")


def run_changes(params: RunParams, report_set: str = REPORT, as_of: str | None = None,
                pool=None, progress=None, self_contained: bool = False, record: bool = True,
                loads_through: int | None = None, force: bool = False,
                supersede_signed: bool = False) -> runner.RunSummary:
    """Produce and publish the change report of ``params.period`` (``2024-25_2025-26``);
    the arguments of :func:`kpilib.run.runner.run_report`, so that audit re-executes it
    (``record=False``: never reused).  As a report set's run, it is compared with the
    current publication first (:mod:`kpilib.publish.fingerprint`): the same catalogue rows and
    loads, program, settings, templates and notebook, the publication verified against its
    manifest and the store's ledger: nothing executes (``unchanged, verified``)."""
    start = time.perf_counter()
    as_of = as_of or utc_now()
    year_from, year_to = years_of(params.period)
    settings = load_settings(params.council)  # read once: look and keys
    council = settings.council
    signer = signing.signer(settings.signing) if record else None
    changes, snap = read_changes(params.store, year_from, year_to, as_of, loads_through)
    title = council.title(REPORT, DEFAULT_TITLE)
    home = home_of(params.council)  # the council's notebooks and templates
    nb = find_notebook(REPORT, NOTEBOOK, root=home)
    check_reads_the_run_snapshot(nb)
    check_cell_ids(nb.path, nb.label)
    job = runner.Job(nb, "index", None, f"{title} {year_from} to {year_to}",
                     {"store": params.store, "year_from": year_from, "year_to": year_to,
                      "as_of": as_of, "council": params.council,
                      "loads_through": snap.loads_through},
                     str(Path.cwd()), render_page.branding_resources(council), footer(),
                     home=str(home or ""))
    final = Path(params.output_dir) / params.period / REPORT
    store = open_store(params.store)
    n = changes.counts()
    why = ""
    if record:  # the same inputs as the current publication, verified: nothing to publish
        prospective = manifest.build_manifest(params, REPORT, as_of, snap, [job],
                                              self_contained, council.record())
        cur = fingerprint.current(final, prospective, runner.ledger_check(store, final))
        note = fingerprint.decide(cur, force, supersede_signed)
        why = reasons.why(cur, prospective, force)
        if note:
            return runner.RunSummary(params.period, REPORT, final, cur.manifest["as_of"], 1,
                                     len(changes.changes), n, time.perf_counter() - start,
                                     None, True, note, why)

    def write_manifest(folder: Path) -> None:
        manifest.write_manifest(folder, params, REPORT, as_of, snap, [job], self_contained,
                                council.record(), seconds=round(time.perf_counter() - start, 3))

    ledger = (lambda sha: record_publication(store, str(final), REPORT, params.period, as_of,
                                             sha)) if record else None
    own_pool = pool is None
    if own_pool:
        runner.prepare_workers()
        pool = runner.worker_pool()
    try:
        done = runner.execute_and_publish(
            final, [job], pool, f"changes {params.period}",
            f"the KPI-set change report {year_from} to {year_to}",
            {"changes.csv": changes.csv()}, write_manifest, signer, ledger, params.store,
            progress, self_contained, guard=fingerprint.guard(supersede_signed) if record
            else None)
    finally:
        if own_pool:
            pool.shutdown()
    return runner.RunSummary(params.period, REPORT, final, as_of, 1, len(changes.changes),
                             n, time.perf_counter() - start, done.superseded, done.unchanged,
                             why=why)


def changes_params(store: str, year_from: str, year_to: str, output_dir: str = "outputs",
                   as_of: str | None = None, council: str | None = None) -> RunParams:
    """The run parameters of a change report (checked as ``kpi run`` checks its own)."""
    check_years(year_from, year_to)
    check_output_dir(output_dir)
    if as_of:
        as_of = normalise_moment(as_of, "--as-of")
        if as_of > utc_now():
            raise ParamsError(f"--as-of {as_of} is in the future; expected a moment that has "
                              "passed")
    return RunParams(span(year_from, year_to), REPORT, store, as_of, output_dir,
                     "<kpi changes>", council)
