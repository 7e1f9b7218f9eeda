"""``kpi run``: a parameter set -> published report folders.

For each report set the run:

1. validates the parameters and reads the store as of the run's ``as_of``
   (default: the moment the run started) to know the pages and check there is
   data for the period;
2. before anything executes, compares the publication it would make with the current one
   (:mod:`kpilib.publish.fingerprint`): the same inputs, every file of the current publication
   verified against its manifest and the manifest against the store's ledger: nothing is
   executed nor published (``unchanged, verified``); otherwise it executes and says why
   (:mod:`kpilib.run.reasons`).  Only then are papermill and nbconvert imported and the
   kernels' zygote started (:mod:`kpilib.run.execute`), once for every report that executes;
3. executes the overview notebook and one notebook per directorate (or health
   theme) with papermill, in parallel worker processes, each notebook in a
   fresh kernel on the run's own interpreter (:func:`kernel_spec`; IPC
   transport with a unique socket path, immediate shutdown; a kernel that
   fails to start is retried once); reports that execute run side by side;
4. renders each executed notebook to HTML in the worker (in-process nbconvert
   with kpilib's template), writes ``results.csv``, the executed notebooks,
   ``assets/plotly.min.js`` and ``manifest.json`` into a staging folder;
5. publishes the staging folder at ``<output_dir>/<period>/<report>/`` and records it
   in the store's ledger, keeping the publication it replaces in
   ``<report>.superseded/`` (:mod:`kpilib.publish.publish`: a crash at any point is
   recovered by the next run or ``kpi doctor``).  A failure leaves the published
   folder untouched and keeps the failed notebooks in ``<report>.failed/``; a full
   disk or unwritable folder is one clear error and leaves nothing behind.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kpilib import registry
from kpilib.clock import utc_now
from kpilib.errors import KpiError
from kpilib.publish import fingerprint, library, manifest, pdfpack, signing
from kpilib.publish.placement import placement_problems
from kpilib.publish.publish import read_manifest_json
from kpilib.render import page as render_page
from kpilib.reports.model import Report, build_report, reads_for, sources_read
from kpilib.reports.public import public_edition
from kpilib.rules.periods import parse_period
from kpilib.run import reasons, shared, zygote
from kpilib.run.execute import (  # noqa: F401 (kpilib.run.runner.worker_pool and the rest)
    MAX_WORKERS,
    Workers,
    execute_and_publish,
    prepare_workers,
    worker_pool,
)
from kpilib.run.jobs import Job, JobResult, execute_job, kernel_spec  # noqa: F401 (kpilib.run.runner.Job)
from kpilib.run.planning import NoData, check_has_data, choose_reports, plan  # noqa: F401
from kpilib.settings import home
from kpilib.settings.council import load_settings
from kpilib.settings.edition import folder_name
from kpilib.settings.params import RunParams, Skipped, check_output_dir, normalise_moment
from kpilib.store import (
    Snapshot,
    open_store,
    publications_of,
    reads_for_keys,
    record_publication,
)
from kpilib.store.reads import report_snapshot, year_catalogue


@dataclass
class RunSummary:
    period: str
    report: str
    folder: Path
    as_of: str
    pages: int
    kpis: int
    statuses: dict = field(default_factory=dict)
    seconds: float = 0.0
    superseded: Path | None = None  # where the publication it replaced was kept
    unchanged: bool = False  # identical to the publication already there, which was kept
    note: str = ""  # why nothing was published (kpilib.publish.fingerprint.decide)
    why: str = ""  # why it executed (kpilib.run.reasons.why; "" for audit's re-execution)
    edition: str = "internal"

    @property
    def index(self) -> Path:
        return self.folder / "index.html"


@dataclass
class Prepared:
    """One publication of a run, read and planned, and compared with the current one: what
    :func:`execute_report` needs, or (``note``) why nothing is to be executed."""

    params: RunParams
    report_set: str
    as_of: str
    final: Path
    report: Report
    jobs: list[Job]
    snap: Snapshot
    settings: object  # kpilib.settings.council.Settings
    signer: object
    suppression: object
    start: float
    prepared: float = 0.0  # seconds reading and planning took
    note: str = ""  # nothing to publish: why (unchanged, verified)
    why: str = ""  # why it executes

    def seconds(self, began: float | None = None) -> float:
        """The run's time: reading and planning, and executing since ``began`` (not the
        time it waited for other reports of the run)."""
        return self.prepared + (time.perf_counter() - began if began is not None else 0.0)

    def summary(self, superseded: Path | None = None, unchanged: bool = False,
                began: float | None = None) -> RunSummary:
        h = self.report.headline()
        return RunSummary(self.params.period, self.report_set, self.final, self.as_of,
                          len(self.jobs), len(h), h["rag"].value_counts().to_dict(),
                          self.seconds(began), superseded, unchanged, self.note,
                          self.why, self.params.edition)


def ledger_check(store, final: Path) -> Callable[[str], bool | str]:
    """For :func:`kpilib.publish.fingerprint.current`: is a manifest the store's ledger's
    publication at ``final`` (not another place's, not one since replaced there)?"""
    def check(sha: str) -> bool | str:
        rows = publications_of(store)
        if not (rows["manifest_sha256"] == sha).any():
            return False
        problems = placement_problems(final, read_manifest_json(final) or {}, sha, rows)
        return f"the store's ledger says: {problems[0]}" if problems else True
    return check


def prepare_report(params: RunParams, report_set: str, as_of: str, record: bool = True,
                   loads_through: int | None = None, force: bool = False,
                   supersede_signed: bool = False, self_contained: bool = False) -> Prepared:
    """Read and plan one report set's publication and (``record``) compare it with the
    current one: ``note`` set when it is unchanged and verified (nothing to execute); a
    :class:`~kpilib.publish.fingerprint.SignedPublication` raised when it would supersede a
    signed one.  Nothing heavy is imported and no kernel starts here."""
    start = time.perf_counter()
    rtype = registry.get(report_set)
    settings = load_settings(params.council)  # read once: look, keys and suppression
    council = settings.council
    signer = signing.signer(settings.signing) if record else None  # key read now
    store = open_store(params.store)
    snap: Snapshot = report_snapshot(store, reads_for(params.period, report_set), as_of,
                                     loads_through, reads_for_keys(rtype.reads, settings.keys,
                                                                    settings.peers))
    snap = dataclasses.replace(snap, sources=sources_read(  # the loads its rows came from
        snap.sources, snap.catalogue, snap.returns, reads_for(params.period, report_set)))
    shape = settings.shape(report_set)  # the council's report shape
    built = build_report(snap.catalogue, snap.returns, params.period, report_set, as_of,
                         snap.sources, settings.keys, snap.extras, shape.previous_period,
                         settings.spc_min_points, settings.peers)
    report = dataclasses.replace(built, name=council.title(rtype.name, rtype.title),
                                 branding=council, directorate_shown=shape.directorate)
    check_has_data(report, params.store)
    suppression = None
    if params.edition == "public":  # small numbers withheld before anything is written
        suppression = settings.suppression
        report = public_edition(report, snap.returns, suppression)
    jobs = plan(report, params, report_set, as_of, render_page.branding_resources(council),
                snap.loads_through, shape)
    final = Path(params.output_dir) / params.period / folder_name(report_set, params.edition)
    prep = Prepared(params, report_set, as_of, final, report, jobs, snap, settings, signer,
                    suppression, start)
    if record:  # the same inputs as the current publication, verified: nothing to publish
        prospective = manifest.build_manifest(params, report_set, as_of, snap, jobs,
                                              self_contained, council.record(),
                                              suppression=suppression)
        cur = fingerprint.current(final, prospective, ledger_check(store, final))
        prep.note = fingerprint.decide(cur, force, supersede_signed)
        prep.why = reasons.why(cur, prospective, force)
        if prep.note:
            prep.as_of = cur.manifest["as_of"]
    prep.prepared = time.perf_counter() - start
    return prep


def execute_report(prep: Prepared, pool, progress=None, self_contained: bool = False,
                   record: bool = True, supersede_signed: bool = False) -> RunSummary:
    """Execute and publish a prepared publication (``record=False``: audit's re-execution,
    which publishes nothing).  The report is built once and shared with the kernels through
    a temporary folder (:mod:`kpilib.run.shared`), removed when the run ends."""
    began = time.perf_counter()
    params, report_set, as_of, report = prep.params, prep.report_set, prep.as_of, prep.report
    rtype = registry.get(report_set)
    council, snap, final = prep.settings.council, prep.snap, prep.final
    with tempfile.TemporaryDirectory(prefix="kpi-run-") as tmp:
        path = shared.share(report, shared.key(params.store, parse_period(params.period).id,
                                               report_set, normalise_moment(as_of),
                                               snap.loads_through, params.edition), Path(tmp))
        jobs = [dataclasses.replace(j, shared=path) for j in prep.jobs]
        outputs = {name: write(report) for name, write in rtype.outputs.items()}

        def write_manifest(folder: Path) -> None:
            manifest.write_manifest(folder, params, report_set, as_of, snap, jobs,
                                    self_contained, council.record(),
                                    seconds=round(prep.seconds(began), 3),
                                    suppression=prep.suppression)

        store = open_store(params.store)
        ledger = (lambda sha: record_publication(store, str(final), report_set, params.period,
                                                 as_of, sha)) if record else None

        def print_pack(folder: Path) -> None:  # pdf: true
            pdfpack.write_run_pack(folder, council.name, report, as_of,
                                   [(j.section, f"{j.stem}.html") for j in jobs])

        done = execute_and_publish(final, jobs, pool, f"{report_set} {params.period}",
                                   f"the {report_set} report for {params.period}", outputs,
                                   write_manifest, prep.signer, ledger, params.store, progress,
                                   self_contained, print_pack if params.pdf else None,
                                   fingerprint.guard(supersede_signed) if record else None)
    return prep.summary(done.superseded, done.unchanged, began)


def run_report(params: RunParams, report_set: str, as_of: str, pool, progress=None,
               self_contained: bool = False, record: bool = True,
               loads_through: int | None = None, force: bool = False,
               supersede_signed: bool = False) -> RunSummary:
    """Produce and publish one report set's folder, and record the publication in the
    store's ledger (``record=False``: a re-execution by audit, which publishes nothing and
    never reuses: it always executes).

    ``loads_through``: read only loads up to this id (audit passes the run's recorded
    bound); None: the loads committed now.  The notebooks read with the same bound.
    Before any notebook runs, a publication (``record``) is compared with the current one
    (:func:`prepare_report`): the same inputs, verified, publish nothing unless ``force``; a
    signed publication is superseded only with ``supersede_signed``."""
    prep = prepare_report(params, report_set, as_of, record, loads_through, force,
                          supersede_signed, self_contained)
    if prep.note:
        return prep.summary(unchanged=True)
    return execute_report(prep, pool, progress, self_contained, record, supersede_signed)


def _say_skipped(skipped: Skipped) -> None:
    print(skipped, file=sys.stderr)


def run(params: RunParams, self_contained: bool = False, show_progress: bool = True,
        started_at: str | None = None,
        on_skip: Callable[[Skipped], None] | None = _say_skipped, force: bool = False,
        supersede_signed: bool = False) -> list[RunSummary]:
    """Run every report set of a parameter set (:func:`run_sets` of one)."""
    return run_sets([params], self_contained, show_progress, started_at, on_skip, force,
                    supersede_signed)


def _published(p: RunParams, reports: list[str]) -> bool:
    """Whether every publication a run may make already has a manifest (when one has none,
    the run surely executes: its zygote is started at once, to warm up meanwhile)."""
    return all((Path(p.output_dir) / p.period / folder_name(r, p.edition) / manifest.MANIFEST)
               .is_file() for r in reports)


def run_sets(param_sets: list[RunParams], *args, **kwargs) -> list[RunSummary]:
    """:func:`run_parameter_sets` in the sets' project folder, with their council found
    by the one rule of :mod:`kpilib.settings.home`, from any working folder."""
    found, first = home.settle(param_sets[0])
    param_sets = [first, *(home.settle(p)[1] for p in param_sets[1:])]
    if found.project == Path.cwd().resolve():
        return run_parameter_sets(param_sets, *args, **kwargs)
    with home.working_in(found.project):  # its folders, as the project names them
        return in_project(found.project, run_parameter_sets(param_sets, *args, **kwargs))


def in_project(project: Path, done: list[RunSummary]) -> list[RunSummary]:
    """Summaries of a run that worked in ``project``, their folders named from there."""
    return [dataclasses.replace(s, folder=project / s.folder, superseded=s.superseded
                                and project / s.superseded) for s in done]


def run_parameter_sets(param_sets: list[RunParams], self_contained: bool = False,
                       show_progress: bool = True, started_at: str | None = None,
                       on_skip: Callable[[Skipped], None] | None = _say_skipped,
                       force: bool = False, supersede_signed: bool = False,
                       skip_no_data: bool = False) -> list[RunSummary]:
    """Run every report set of some parameter sets (one store; e.g. a year's periods and
    editions, :mod:`kpilib.run.year`).  ``as_of`` defaults to the run's start; every report
    set reads the loads committed at the start (one bound for the whole run).  Every
    publication is prepared and compared first (:func:`prepare_report`); those that execute
    then run side by side on one pool of workers.  ``force``, ``supersede_signed``:
    :func:`run_report`; a report set refused for superseding a signed publication does not
    stop the others: the refusals are raised at the end.

    ``report: all`` runs the report types with KPIs in the period's financial year and
    passes each one it skips to ``on_skip`` (default: a line on standard error); it fails
    only when none has any (:func:`choose_reports`).  ``skip_no_data``: a report whose
    period has no data is passed to ``on_skip`` too, instead of failing the run.
    """
    moment = started_at or utc_now()
    for p in param_sets:
        check_output_dir(p.output_dir)
    first = param_sets[0]
    kernels = None  # started as soon as a publication surely executes, to warm up meanwhile
    summaries: dict[int, RunSummary] = {}
    pending: list[tuple[int, Prepared]] = []
    refused: list[str] = []
    try:
        store = open_store(first.store)
        store.check_writable("a run records each publication in the store's ledger; "
                             "nothing was run")
        loads_through = store.last_load_id()
        catalogues: dict = {}
        for p in param_sets:
            as_of = p.as_of or moment
            fy = parse_period(p.period).fy
            if (fy, as_of) not in catalogues:
                catalogue = year_catalogue(store, fy, as_of, loads_through)
                if catalogue.empty:  # the error names the years loaded: read them all
                    catalogue = store.catalogue(as_of, loads_through)
                catalogues[fy, as_of] = catalogue
            reports, skipped = choose_reports(p, catalogues[fy, as_of], as_of)
            for s in skipped:
                if on_skip is not None:
                    on_skip(s)
            if kernels is None and not _published(p, reports):
                kernels = zygote.start()
            for r in reports:
                n = len(summaries) + len(pending) + len(refused)
                try:
                    prep = prepare_report(p, r, as_of, True, loads_through, force,
                                          supersede_signed, self_contained)
                except fingerprint.SignedPublication as e:
                    refused.append(str(e))
                    continue
                except NoData:
                    if not skip_no_data:
                        raise
                    if on_skip is not None:
                        on_skip(Skipped(f"{folder_name(r, p.edition)} {p.period}",
                                        f"no data for the period (as of {as_of})"))
                    continue
                if prep.note:
                    summaries[n] = prep.summary(unchanged=True)
                else:
                    pending.append((n, prep))
        if pending:
            prepare_workers()
    except BaseException:
        if kernels:
            kernels.stop()
        raise
    if pending:
        refused += _execute_all(pending, summaries, kernels, show_progress, self_contained,
                                supersede_signed)
    elif kernels:
        kernels.stop()
    done = [summaries[k] for k in sorted(summaries)]
    for out in dict.fromkeys(p.output_dir for p in param_sets):
        if pending or refused:  # nothing published: the library already lists every one
            _keep_library(out)
    if refused:
        published = [f"published: {s.folder}" for s in done if not s.unchanged]
        raise fingerprint.SignedPublication("\n".join(refused + published))
    return done


def _execute_all(pending: list[tuple[int, Prepared]], summaries: dict[int, RunSummary],
                 kernels, show_progress: bool, self_contained: bool,
                 supersede_signed: bool) -> list[str]:
    """Execute the prepared publications side by side (as many at once as workers) on one
    worker pool; their summaries go into ``summaries``; the refusals are returned."""
    refused: list[str] = []
    with worker_pool(kernels) as pool:
        progress = None
        if show_progress:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                MofNCompleteColumn(), TimeElapsedColumn(),
                                console=Console(stderr=True))
        try:
            if progress:
                progress.start()
            if len(pending) == 1:  # one report: on this thread, as it always ran
                n, prep = pending[0]
                try:
                    summaries[n] = execute_report(prep, pool, progress, self_contained, True,
                                                  supersede_signed)
                except fingerprint.SignedPublication as e:
                    refused.append(str(e))
                return refused
            with cf.ThreadPoolExecutor(max_workers=MAX_WORKERS) as threads:
                futures = {threads.submit(execute_report, prep, pool, progress,
                                          self_contained, True, supersede_signed): n
                           for n, prep in pending}
                try:
                    for fut in cf.as_completed(futures):
                        try:
                            summaries[futures[fut]] = fut.result()
                        except fingerprint.SignedPublication as e:
                            refused.append(str(e))
                except BaseException:  # Ctrl-C: the notebooks not started never start, so
                    for fut in futures:  # each report still executing fails and is discarded
                        fut.cancel()
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise
        finally:
            if progress:
                progress.stop()
    return refused


def _keep_library(output_dir: str) -> None:
    """Rebuild the publication library at the output root (a warning when it cannot be)."""
    try:
        for note in library.write(output_dir):
            print(f"kpi run: {note}", file=sys.stderr)
    except (KpiError, OSError) as e:
        print(f"kpi run: the publication library was not updated: {e}", file=sys.stderr)
    for said in library.refresh_above(output_dir):  # a library over many councils' folders
        if said.startswith("the publication library"):
            print(f"kpi run: {said}", file=sys.stderr)
