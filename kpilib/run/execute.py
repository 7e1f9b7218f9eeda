"""Executing a run's notebooks and publishing what they make (split out of
:mod:`kpilib.run.runner`, which re-exports every name here).

* :func:`prepare_workers` imports the heavy modules (papermill, nbconvert, the kernel
  client) once in the parent, so that forked workers inherit them;
* :func:`worker_pool` is the run's notebook workers (one process per core, at most 2) and
  the zygote their kernels are forked from (:mod:`kpilib.run.zygote`);
* :func:`execute_and_publish` executes a run's jobs into a staging folder, writes its
  outputs, manifest and signature and publishes it (:mod:`kpilib.publish.publish`).

Nothing here is imported before a run has decided that it executes: an unchanged re-run
(:mod:`kpilib.publish.fingerprint`) neither imports papermill or nbconvert nor starts a zygote.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from kpilib.errors import RunError
from kpilib.publish import manifest, publish, recover
from kpilib.run import zygote
from kpilib.run.jobs import Job, execute_job, kernel_spec
from kpilib.run.kernel import die_with_parent

MAX_WORKERS = max(1, min(2, os.cpu_count() or 1))


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

    from kpilib.render import page as render_page

    kernel_spec()
    render_page.exporter()
