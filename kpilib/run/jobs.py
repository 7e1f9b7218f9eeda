"""A run's unit of work: one notebook executed in a fresh kernel and rendered to HTML.

:func:`execute_job` runs in a worker process of the run's pool (:func:`kpilib.run.runner.
worker_pool`): papermill executes the notebook in a fresh kernel on the run's own
interpreter (:func:`kernel_spec`; IPC transport with a unique socket path, immediate
shutdown; a kernel that fails to start is retried once), and nbconvert renders the
executed notebook in the worker with kpilib's template, into the run's staging folder.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from kpilib.publish import publish
from kpilib.render import page as render_page
from kpilib.render import templates
from kpilib.run import shared
from kpilib.run.cellids import read_with_stable_ids
from kpilib.run.kernel import LAUNCHER, interpreter
from kpilib.run.locate import (
    NotebookSource,
)

KERNEL = "python3"


@dataclass(frozen=True)
class Job:
    notebook: NotebookSource  # the notebook file and its manifest label
    stem: str  # output base name: index, place-economy, ...
    section: str | None
    title: str
    parameters: dict
    cwd: str = "."
    branding: dict = field(default_factory=dict)  # council name, logo, colour, footer
    footer: str | None = None  # the page's footer text (None: a report set's)
    shared: str = ""  # the report the run built, for the kernel (run/shared.py)
    home: str = ""  # the council's home: its templates/ ("": none; kpilib.settings.home)


@dataclass
class JobResult:
    job: Job
    ok: bool
    seconds: float
    error: str = ""
    write_error: tuple | None = None  # (errno, strerror, file): the staging folder is unwritable


def kernel_spec():
    """The kernel every notebook runs in: ipykernel on *this* interpreter.

    Built from ipykernel's own spec with ``argv[0] = sys.executable``, whatever kernelspecs
    are installed: a fresh virtualenv may have none, and an installed ``python3`` spec may
    point at another interpreter (another virtualenv, another kpilib).  The interpreter and
    its flags are :func:`kpilib.run.kernel.interpreter`'s, as the zygote's.
    The kernel starts with :data:`kpilib.run.kernel.LAUNCHER` (ipykernel's launcher, set to
    die with the worker that started it) instead of ``-m ipykernel_launcher``.
    """
    from ipykernel.kernelspec import RESOURCES, get_kernel_dict
    from jupyter_client.kernelspec import KernelSpec

    spec = get_kernel_dict()
    argv = interpreter()
    args = spec["argv"][1:]
    for i, a in enumerate(args):
        if a == "-m" and args[i + 1:i + 2] == ["ipykernel_launcher"]:
            argv += ["-c", LAUNCHER]
        elif not (a == "ipykernel_launcher" and args[i - 1:i] == ["-m"]
                  or a.startswith("-Xfrozen_modules")):  # the interpreter's flag: ours
            argv.append(a)
    return KernelSpec(**{**spec, "argv": argv}, name=KERNEL, resource_dir=RESOURCES)


def kernel_manager(workdir: Path):
    """A kernel manager for one notebook: :func:`kernel_spec`'s kernel, IPC transport with a
    socket path of its own under ``workdir``."""
    from jupyter_client.kernelspec import KernelSpecManager

    from kpilib.run.forked import ForkingKernelManager

    class ThisInterpreter(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            return kernel_spec()

    return ForkingKernelManager(kernel_name=KERNEL, kernel_spec_manager=ThisInterpreter(),
                                transport="ipc", ip=str(workdir / "kernel"))


def _execute_once(src: Path, out: Path, params: dict, workdir: Path, cwd: str):
    import papermill as pm
    from nbclient.exceptions import DeadKernelError

    km = kernel_manager(workdir)
    try:
        return pm.execute_notebook(
            read_with_stable_ids(src), str(out), parameters=params, kernel_name=KERNEL,
            progress_bar=False, request_save_on_cell_execute=False, cwd=cwd, km=km,
            shutdown_kernel="immediate",
        )
    except DeadKernelError:
        process = getattr(km.provisioner, "process", None)
        code = process.poll() if process is not None else None
        raise KernelDied(code) from None
    finally:  # nbclient leaves a kernel manager it did not create running: stop it here
        if km.has_kernel:
            km.shutdown_kernel(now=True)
        km.cleanup_resources()


class KernelDied(Exception):
    """The notebook's kernel ended while a cell ran (killed: out of memory, ``kill -9``)."""

    def __init__(self, code: int | None):
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        how = (f"killed by signal {signal.Signals(-self.code).name}"
               if self.code is not None and self.code < 0 and -self.code in SIGNALS
               else f"exit status {self.code}" if self.code is not None else "it stopped")
        return (f"the notebook's kernel died while a cell was running ({how}: out of memory, "
                "or killed); the notebook did not finish")


SIGNALS = {s.value for s in signal.Signals}


def _failure_text(exc, executed: Path | None = None) -> str:
    """Where and why a notebook failed: ``cell 'kpis' (code cell 6 of the executed
    notebook): KeyError: ...``, or a kernel start-up failure.

    The cell is found by its error output in the executed notebook (papermill inserts
    anchor cells there, so its index does not match the committed notebook's).
    """
    ename, evalue = getattr(exc, "ename", type(exc).__name__), getattr(exc, "evalue", str(exc))
    if getattr(exc, "cell_index", None) is None:
        return f"kernel start-up: {ename}: {evalue}"
    where = f"cell {exc.cell_index + 1}"
    try:
        import nbformat

        code = [c for c in nbformat.read(executed, as_version=4).cells if c.cell_type == "code"]
        for n, cell in enumerate(code, 1):
            if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                where = f"cell '{cell.id}' (code cell {n} of the executed notebook)"
                break
    except Exception:  # the notebook could not be read back: the index still locates it
        pass
    return f"{where}: {ename}: {evalue}"


def _forget_inherited_task_runners() -> None:
    """A worker forked from a process that once ran jupyter_core's ``run_sync`` inside a
    running event loop (a notebook, a test that executed one in-process) inherits that
    process's task runner, whose thread did not survive the fork: nbclient would wait on it
    for ever.  The worker starts with none (jupyter_core makes a fresh one when needed)."""
    try:
        from jupyter_core import utils

        utils._runner_map.clear()
    except (ImportError, AttributeError):  # another jupyter_core: nothing inherited to forget
        pass


def execute_job(job: Job, staging: str, self_contained: bool) -> JobResult:
    """Run one notebook and render its page (runs in a worker process)."""
    from papermill.exceptions import PapermillExecutionError

    os.environ.setdefault("PYTHONHASHSEED", "0")
    _forget_inherited_task_runners()
    os.environ.pop(shared.ENV, None)  # the kernel started next inherits this worker's
    if job.shared:
        os.environ[shared.ENV] = job.shared
    os.environ[templates.HOME_ENV] = job.home  # the kernel's fragments: the council's own
    start = time.perf_counter()
    out = Path(staging) / "notebooks" / f"{job.stem}.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    nb = None
    try:
        for attempt in (1, 2):
            workdir = Path(tempfile.mkdtemp(prefix="kpi-kernel-"))
            try:
                nb = _execute_once(job.notebook.path, out, job.parameters, workdir, job.cwd)
                break
            except PapermillExecutionError as e:
                return JobResult(job, False, time.perf_counter() - start, _failure_text(e, out))
            except KernelDied as e:  # not retried: the notebook would kill it again
                return JobResult(job, False, time.perf_counter() - start, str(e))
            except OSError as e:
                if e.errno in publish.WRITE_ERRORS:
                    raise
                if attempt == 2:
                    return JobResult(job, False, time.perf_counter() - start, _failure_text(e))
            except Exception as e:  # a kernel that failed to start: retry once
                if attempt == 2:
                    return JobResult(job, False, time.perf_counter() - start, _failure_text(e))
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
        render_page.clean_notebook(nb)
        import nbformat

        publish.write_text(out, nbformat.writes(nb) + "\n")
        page = render_page.to_html(nb, job.title, job.footer
                                   or render_page.footer_text(),
                                   self_contained, job.branding, root=job.home)
        publish.write_text(Path(staging) / f"{job.stem}.html", page)
    except OSError as e:  # a full disk, a read-only folder: the run stops with a clear error
        if e.errno not in publish.WRITE_ERRORS:
            raise
        return JobResult(job, False, time.perf_counter() - start, str(e),
                         (e.errno, e.strerror, e.filename or str(out)))
    return JobResult(job, True, time.perf_counter() - start)
