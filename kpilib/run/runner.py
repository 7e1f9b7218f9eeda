"""``kpi run``: a parameter set -> published report folders.

For each report set the run:

1. validates the parameters and reads the store as of the run's ``as_of``
   (default: the moment the run started) to know the pages and check there is
   data for the period;
2. executes the overview notebook and one notebook per directorate (or health
   theme) with papermill, in parallel worker processes, each notebook in a
   fresh kernel on the run's own interpreter (:func:`kernel_spec`; IPC
   transport with a unique socket path, immediate shutdown; a kernel that
   fails to start is retried once);
3. renders each executed notebook to HTML in the worker (in-process nbconvert
   with kpilib's template), writes ``results.csv``, the executed notebooks,
   ``assets/plotly.min.js`` and ``manifest.json`` into a staging folder;
4. publishes the staging folder at ``<output_dir>/<period>/<report>/`` and records it
   in the store's ledger, keeping the publication it replaces in
   ``<report>.superseded/`` (:mod:`kpilib.run.publish`: a crash at any point is
   recovered by the next run or ``kpi doctor``).  A failure leaves the published
   folder untouched and keeps the failed notebooks in ``<report>.failed/``; a full
   disk or unwritable folder is one clear error and leaves nothing behind.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import multiprocessing
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kpilib import registry
from kpilib.clock import utc_now
from kpilib.errors import KpiError, RunError
from kpilib.render import page as render_page
from kpilib.render.html import page_file, slug
from kpilib.reports.model import Report, build_report, reads_for
from kpilib.reports.public import public_edition
from kpilib.rules.periods import parse_period
from kpilib.run import (
    fingerprint,
    library,
    manifest,
    pdfpack,
    publish,
    recover,
    shared,
    signing,
    zygote,
)
from kpilib.run.cellids import check_cell_ids
from kpilib.run.council import load_settings
from kpilib.run.edition import folder_name
from kpilib.run.jobs import Job, JobResult, execute_job, kernel_spec  # noqa: F401 (kpilib.run.runner.Job)
from kpilib.run.kernel import die_with_parent
from kpilib.run.locate import (
    check_reads_the_run_snapshot,
    check_takes_edition,
    find_notebook,
)
from kpilib.run.params import (
    RunParams,
    Skipped,
    check_output_dir,
    missing_kpis,
    normalise_moment,
    report_types_in,
)
from kpilib.run.shape import DEFAULT as DEFAULT_SHAPE
from kpilib.run.shape import Shape
from kpilib.store import (
    Snapshot,
    open_store,
    publications_of,
    reads_for_keys,
    record_publication,
)
from kpilib.store.reads import report_snapshot, year_catalogue

MAX_WORKERS = max(1, min(2, os.cpu_count() or 1))



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
    note: str = ""  # why nothing was published (kpilib.run.fingerprint.decide)

    @property
    def index(self) -> Path:
        return self.folder / "index.html"



def plan(report: Report, params: RunParams, report_set: str, as_of: str,
         branding: dict | None = None, loads_through: int | None = None,
         shape: Shape = DEFAULT_SHAPE) -> list[Job]:
    """The notebooks of one report: the overview, then one per section (directorate,
    theme...), each the section's own notebook where the project has one.

    The store is passed exactly as the parameter set gives it and the kernels
    run in the current directory, so that a relative store path gives the same
    executed notebooks in any clone.  Every notebook gets the run's ``loads_through``
    bound, so that each reads the very data of the run's snapshot.
    """
    rtype = registry.get(report_set)
    base = {"store": params.store, "period": params.period, "report_set": report_set,
            "as_of": as_of, "council": params.council, "loads_through": loads_through}
    public = getattr(params, "edition", "internal") == "public"
    if public:  # only then: an internal run's executed notebooks are as they always were
        base["edition"] = "public"
    title = report.title
    cwd = os.getcwd()
    branding = branding or {}
    jobs = [Job(find_notebook(report_set, rtype.overview_notebook), "index", None, title,
                dict(base), cwd, branding)]
    for section in report.sections():
        jobs.append(Job(find_notebook(report_set, rtype.section_notebook, slug(section)),
                        page_file(section)[:-5], section, f"{section} · {title}",
                        {**base, "section": section}, cwd, branding))
    for stem, page_title, notebook in rtype.extra_pages:  # e.g. a summary, an appendix
        if not shape.keeps(stem):  # a page the council's report shape leaves out
            continue
        jobs.append(Job(find_notebook(report_set, notebook), stem, None,
                        f"{page_title} · {title}", dict(base), cwd, branding))
    for source in {j.notebook.path: j.notebook for j in jobs}.values():
        check_reads_the_run_snapshot(source)
        check_cell_ids(source.path, source.label)
        if public:
            check_takes_edition(source)
    return jobs


def choose_reports(params: RunParams, catalogue, as_of: str) -> tuple[list[str], list[Skipped]]:
    """The report types a run produces and those ``report: all`` skips (:meth:`RunParams.plan`);
    an error naming what is missing (the year's catalogue, or KPIs of the type) when none
    has KPIs in the period's financial year."""
    run_these, skipped = params.plan(catalogue)
    fy = parse_period(params.period).fy
    if params.report != "all" and missing_kpis(catalogue, fy, params.report) is not None:
        run_these = []
    if run_these:
        return run_these, skipped
    where = f"store {params.store}, as of {as_of}"
    have = report_types_in(catalogue, fy)
    wanted = params.reports()
    if not have:
        loaded = ", ".join(sorted(set(catalogue["year"]))) or "none"
        raise RunError(f"no catalogue is loaded for {fy}, the financial year of period "
                       f"{params.period} (catalogues loaded: {loaded}; {where}): load the {fy} "
                       "catalogue with `kpi load catalogue`, or check key 'period'")
    its = f"its KPIs are for {', '.join(have)}"
    if params.report != "all":
        raise RunError(f"no {params.report} KPIs in the {fy} catalogue ({its}; {where}): "
                       f"check key 'report', or give KPIs report = {params.report} in the "
                       "catalogue")
    raise RunError(f"report: all for {params.period}: none of {', '.join(wanted)} has KPIs in "
                   f"the {fy} catalogue ({its}; {where}): name a report type in key 'report'")


def check_has_data(report: Report, store: str) -> None:
    if report.kpis.empty:
        raise RunError(f"no {report.report} KPIs in the {report.period.fy} catalogue "
                       f"(store {store}, as of {report.as_of})")
    current = [c.id for c in report.columns if c.current][0]
    cur = report.cells[report.cells["column"] == current]
    if not (cur["value"].notna() | cur["status"].isin(["arrears", "zero"])).any():
        raise RunError(
            f"key 'period': no data for {report.period.id} in the {report.report} report "
            f"(store {store}, as of {report.as_of}): load the period's returns first"
        )


class Workers(cf.ProcessPoolExecutor):
    """The run's worker processes and the zygote their kernels are forked from: shutting
    the pool down stops the zygote too."""

    kernels: zygote.Zygote | None = None

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        try:
            super().shutdown(wait=wait, cancel_futures=cancel_futures)
        finally:
            if self.kernels:
                self.kernels.stop()
                self.kernels = None


def _worker_start(parent: int) -> None:
    """A worker's initializer: it dies with the run, and Ctrl-C in the terminal (which
    reaches the whole process group) is the run's to handle, not each worker's (no
    traceback from every worker; the run cancels its jobs and discards its staging)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent)


def worker_pool(kernels: zygote.Zygote | None = None) -> Workers:
    """The notebook workers: one process per core (at most 2), reused for every notebook;
    forked after :func:`prepare_workers` so the heavy imports are inherited.  Their kernels
    are forked from ``kernels``, the run's zygote (one is started when None: start it
    earlier, so that it warms up while the run reads the store).  Workers, zygote and
    kernels die with this process, even when it is killed (:mod:`kpilib.run.kernel`):
    call this from the thread that outlives them (the main thread)."""
    kernels = kernels or zygote.start()
    ctx = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    try:
        pool = Workers(max_workers=MAX_WORKERS, mp_context=ctx,
                       initializer=_worker_start, initargs=(os.getpid(),))
    except BaseException:
        if kernels:
            kernels.stop()
        raise
    pool.kernels = kernels
    # With fork, the first submit forks every worker: do it now, while this process has one
    # thread (before a progress bar or audit threads start), as forking threads can deadlock.
    pool.submit(os.getpid).result()
    return pool


def run_report(params: RunParams, report_set: str, as_of: str, pool, progress=None,
               self_contained: bool = False, record: bool = True,
               loads_through: int | None = None, force: bool = False,
               supersede_signed: bool = False) -> RunSummary:
    """Produce and publish one report set's folder, and record the publication in the
    store's ledger (``record=False``: a re-execution by audit, which publishes nothing).

    ``loads_through``: read only loads up to this id (audit passes the run's recorded
    bound); None: the loads committed now.  The notebooks read with the same bound.
    Before any notebook runs, a publication (``record``) is compared with the current one
    (:mod:`kpilib.run.fingerprint`): the same inputs publish nothing unless ``force``; a
    signed publication is superseded only with ``supersede_signed``.
    The report is built once and shared with the kernels through a temporary folder
    (:mod:`kpilib.run.shared`), removed when the run ends."""
    with tempfile.TemporaryDirectory(prefix="kpi-run-") as tmp:
        return _run_report(params, report_set, as_of, pool, progress, self_contained, record,
                           loads_through, Path(tmp), force, supersede_signed)


def _run_report(params: RunParams, report_set: str, as_of: str, pool, progress,
                self_contained: bool, record: bool, loads_through: int | None,
                tmp: Path, force: bool = False, supersede_signed: bool = False) -> RunSummary:
    start = time.perf_counter()
    rtype = registry.get(report_set)
    settings = load_settings(params.council)  # read once: look, keys and suppression
    council = settings.council
    signer = signing.signer(settings.signing) if record else None  # key read now
    store = open_store(params.store)
    snap: Snapshot = report_snapshot(store, reads_for(params.period, report_set), as_of,
                                     loads_through, reads_for_keys(rtype.reads, settings.keys,
                                                                    settings.peers))
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
    h = report.headline()
    if record:  # the same inputs as the current publication: nothing to publish
        prospective = manifest.build_manifest(params, report_set, as_of, snap, jobs,
                                              self_contained, council.record(),
                                              suppression=suppression)
        cur = fingerprint.current(final, prospective,
                                  lambda sha: not publications_of(store, sha).empty)
        note = fingerprint.decide(cur, force, supersede_signed)
        if note:
            return RunSummary(params.period, report_set, final, cur.manifest["as_of"],
                              len(jobs), len(h), h["rag"].value_counts().to_dict(),
                              time.perf_counter() - start, None, True, note)
    path = shared.share(report, shared.key(params.store, parse_period(params.period).id,
                                           report_set, normalise_moment(as_of),
                                           snap.loads_through, params.edition), tmp)
    jobs = [dataclasses.replace(j, shared=path) for j in jobs]
    outputs = {name: write(report) for name, write in rtype.outputs.items()}

    def write_manifest(folder: Path) -> None:
        manifest.write_manifest(folder, params, report_set, as_of, snap, jobs, self_contained,
                                council.record(), seconds=round(time.perf_counter() - start, 3),
                                suppression=suppression)

    ledger = (lambda sha: record_publication(store, str(final), report_set, params.period,
                                             as_of, sha)) if record else None
    def print_pack(folder: Path) -> None:  # pdf: true
        pdfpack.write_run_pack(folder, council.name, report, as_of,
                               [(j.section, f"{j.stem}.html") for j in jobs])

    done = execute_and_publish(final, jobs, pool, f"{report_set} {params.period}",
                               f"the {report_set} report for {params.period}", outputs,
                               write_manifest, signer, ledger, params.store, progress,
                               self_contained, print_pack if params.pdf else None,
                               fingerprint.guard(supersede_signed) if record else None)
    return RunSummary(params.period, report_set, final, as_of, len(jobs), len(h),
                      h["rag"].value_counts().to_dict(), time.perf_counter() - start,
                      done.superseded, done.unchanged)


def execute_and_publish(final: Path, jobs: list[Job], pool, task: str, what: str,
                        outputs: dict[str, str], write_manifest: Callable[[Path], None],
                        signer, ledger: Callable[[str], dict] | None, store: str,
                        progress=None, self_contained: bool = False,
                        before_manifest: Callable[[Path], None] | None = None,
                        guard: Callable[[Path], None] | None = None) -> publish.Published:
    """Execute a run's notebooks into a staging folder beside ``final``, add ``outputs``
    (file name -> text), the assets and the manifest (``write_manifest(staging)``), sign it
    (``signer``, or None) and publish it at ``final``, recording it with ``ledger(manifest
    sha256)`` (None: a re-execution by audit, which publishes nothing); ``guard``: may refuse
    to supersede the current publication, under the publication's lock.  Shared by every
    kind of run (report sets, the KPI-set change report); a failure leaves ``final`` as it
    was."""
    futures: list[cf.Future] = []
    try:
        _say_recovered(recover.recover(final.parent))
        staging = publish.begin(final)
    except OSError as e:  # an output folder that cannot be written
        raise publish.write_failure(e, final) from None
    try:
        bar = progress.add_task(task, total=len(jobs)) if progress else None
        futures = [pool.submit(execute_job, j, str(staging.path), self_contained) for j in jobs]
        failures = []
        for fut in cf.as_completed(futures):
            res = fut.result()
            if not res.ok:
                failures.append(res)
            if progress:
                progress.advance(bar)
        unwritable = [f.write_error for f in failures if f.write_error]
        if unwritable:
            raise OSError(*unwritable[0])
        if failures:
            failed = publish.keep_failed(staging, final)
            lines = [f"  {f.job.notebook.label} for {f.job.section or 'the overview'}: {f.error}"
                     for f in sorted(failures, key=lambda f: f.job.stem)]
            raise RunError(
                f"{what} failed:\n" + "\n".join(lines)
                + f"\nThe published folder {final} is unchanged; the failed notebooks, with "
                f"their errors, are in {failed}/notebooks/"
            )
        for name, text in outputs.items():
            publish.write_text(staging.path / name, text)
        if not self_contained:
            publish.copy_assets(staging.path)
        if before_manifest:  # e.g. the committee pack, part of the manifest like every output
            before_manifest(staging.path)
        try:
            write_manifest(staging.path)
        except OSError as e:
            raise publish.named(e, staging.path / manifest.MANIFEST) from e
        if signer:  # manifest.json.sig: the council's key over the manifest's bytes
            signer.sign(staging.path)
        return publish.publish(staging, final, publish.Ledger(store, ledger) if ledger else None,
                               guard)
    except OSError as e:  # a full disk, a read-only file system: nothing is left behind
        publish.discard(staging)
        raise publish.write_failure(e, final, staging.path) from None
    except BaseException:  # a failure, or Ctrl-C: jobs still running stop writing first
        for fut in futures:
            fut.cancel()
        cf.wait(futures)
        publish.discard(staging)
        raise


def _say_recovered(res) -> None:
    """Tell the user what recovery did beside the folder a run publishes in."""
    for line in [f"repaired: {t}" for t in res.done] + [f"could not repair: {t}"
                                                        for t in res.problems]:
        print(f"kpi run: {line}", file=sys.stderr)


def prepare_workers() -> None:
    """Import the heavy modules once in the parent, so forked workers inherit them."""
    import nbformat  # noqa: F401
    import papermill  # noqa: F401
    from jupyter_client import KernelManager  # noqa: F401

    kernel_spec()
    render_page.exporter()


def _say_skipped(skipped: Skipped) -> None:
    print(skipped, file=sys.stderr)


def run(params: RunParams, self_contained: bool = False, show_progress: bool = True,
        started_at: str | None = None,
        on_skip: Callable[[Skipped], None] | None = _say_skipped, force: bool = False,
        supersede_signed: bool = False) -> list[RunSummary]:
    """Run every report set of a parameter set.  ``as_of`` defaults to the run's start; every
    report set reads the loads committed at the start (one bound for the whole run).
    ``force``, ``supersede_signed``: :func:`run_report`; a report set refused for superseding
    a signed publication does not stop the others: the refusals are raised at the end.

    ``report: all`` runs the report types with KPIs in the period's financial year and
    passes each one it skips to ``on_skip`` (default: a line on standard error); it fails
    only when none has any (:func:`choose_reports`).
    """
    as_of = params.as_of or started_at or utc_now()
    check_output_dir(params.output_dir)
    kernels = zygote.start()  # it warms up while the store is read
    try:
        store = open_store(params.store)
        store.check_writable("a run records each publication in the store's ledger; "
                             "nothing was run")
        loads_through = store.last_load_id()
        catalogue = year_catalogue(store, parse_period(params.period).fy, as_of,
                                   loads_through)
        if catalogue.empty:  # the error names the years loaded: read them all
            catalogue = store.catalogue(as_of, loads_through)
        reports, skipped = choose_reports(params, catalogue, as_of)
        for s in skipped:
            if on_skip is not None:
                on_skip(s)
        prepare_workers()
    except BaseException:
        if kernels:
            kernels.stop()
        raise
    summaries: list[RunSummary] = []
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
            for r in reports:
                try:
                    summaries.append(run_report(params, r, as_of, pool, progress,
                                                self_contained, loads_through=loads_through,
                                                force=force, supersede_signed=supersede_signed))
                except fingerprint.SignedPublication as e:
                    refused.append(str(e))
        finally:
            if progress:
                progress.stop()
    _keep_library(params.output_dir)
    if refused:
        done = [f"published: {s.folder}" for s in summaries if not s.unchanged]
        raise fingerprint.SignedPublication("\n".join(refused + done))
    return summaries


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
