"""Fleets: many councils' report runs, and their audits, on Dask distributed (``kpi fleet``).

A fleet file names councils (each its store, optional council settings file and output
folder) and the periods and report types to run for each.  :func:`read_fleet` checks it
whole before anything runs (every problem at once, each naming the file, the key and what
was expected); every run is then one parameter set as ``kpi run`` takes it, checked by
:func:`kpilib.settings.params.validate`.

Every run (and every audit) is one task on a Dask cluster: a :class:`LocalCluster` of
worker processes with one thread each by default, or the scheduler at ``--scheduler``.
A task starts the run in a fresh Python process on its worker (:data:`CHILD`, which calls
:func:`kpilib.run.runner.run` exactly as ``kpi run`` does), so a run's notebook workers are
forked from a process with one thread, die with it (:func:`kpilib.run.kernel.
die_with_parent`), and a run that fails or crashes takes no other run with it.  All the
runs of a fleet read the data as of one moment (the file's ``as_of``, else the fleet's
start), so a fleet's outputs are byte-identical to ``kpi run`` of each run on its own with
that ``as_of`` (the manifest's wall-clock fields and its ``params_file`` aside).

Paths in the file (SQLite stores, settings files, output folders) are relative to the folder
``kpi fleet`` is run from, as in a parameter set; a real cluster's workers must see the same
files at the same paths (a shared file system) and have the same kpilib installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kpilib.clock import utc_now
from kpilib.errors import ParamsError
from kpilib.io.yamlfile import read_yaml, unknown_keys
from kpilib.rules.periods import parse_period
from kpilib.run.benchmarking import BenchmarkSpec, parse_spec
from kpilib.settings.params import check_output_dir, normalise_moment, report_choices, validate

KEYS = {
    "councils": "the list of councils, each a mapping (name, store, output_dir, ...)",
    "periods": "the periods every council runs: a list of month or quarter ids, quoted",
    "reports": "optional: the report types every council runs (default: [all])",
    "as_of": "optional: one moment every run reads the data as of (default: the fleet's "
             "start)",
    "benchmark": "optional: true, or a mapping (output_dir, kpis, title): after the runs, "
                 "publish a benchmarking report of every council per KPI",
}
COUNCIL_KEYS = {
    "name": "the council's name in this fleet (unique): up to 64 letters, digits, - and _",
    "store": "its data store: SQLite file path or SQLAlchemy URL",
    "output_dir": "optional: its output folder (default outputs/<name>)",
    "council": "optional: its council settings file (default council.yaml, if present)",
    "periods": "optional: its periods, instead of the fleet's",
    "reports": "optional: its report types, instead of the fleet's",
}
MAX_BYTES = 1024 * 1024  # a fleet file of hundreds of councils


@dataclass(frozen=True)
class FleetRun:
    """One run of a fleet: the parameter set ``kpi run`` would be given."""

    council: str
    params: dict  # period, report, store, as_of, output_dir, council
    source: str  # recorded as the manifest's params_file: <fleet file>#<council>

    @property
    def label(self) -> str:
        return f"{self.council} {self.params['period']} {self.params['report']}"


@dataclass(frozen=True)
class Fleet:
    source: str
    as_of: str
    runs: tuple[FleetRun, ...]
    output_dirs: dict[str, str]  # council name -> its output folder
    benchmark: BenchmarkSpec | None = None  # the benchmarking report (key 'benchmark')


def _names(value, key: str, check: Callable[[str], str | None], problems: list[str]):
    """A list of strings (one string is a list of one), each checked by ``check``."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        problems.append(f"{key}: expected a non-empty list, got {value!r}")
        return []
    out = []
    for i, v in enumerate(value):
        if not isinstance(v, str) or not v.strip():
            hint = " (quote it)" if not isinstance(v, str) and v is not None else ""
            problems.append(f"{key}[{i}]: expected a text id{hint}, got {v!r}")
            continue
        why = check(v)
        if why:
            problems.append(f"{key}[{i}]: {why}")
        else:
            out.append(v)
    return out


def _period_problem(value: str) -> str | None:
    try:
        parse_period(value)
    except Exception as e:  # PeriodError: the message says what a period id looks like
        return str(e)
    return None


def _report_problem(value: str) -> str | None:
    choices = report_choices()
    return None if value in choices else (f"{value!r} is not a report type; expected one of "
                                          f"{', '.join(choices)}")


def _council(i: int, raw, defaults: dict, problems: list[str]) -> dict | None:
    where = f"councils[{i}]"
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected a mapping (name: ..., store: ...), got {raw!r}")
        return None
    name = raw.get("name")
    if isinstance(name, str) and name.strip():
        where = f"councils[{i}] ({name})"
    problems += [f"{where}: {p}" for p in unknown_keys(raw, list(COUNCIL_KEYS))]
    ok = True
    for key in ("name", "store"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            problems.append(f"{where}: key '{key}': expected {COUNCIL_KEYS[key]}, got "
                            f"{raw.get(key)!r}" if key in raw else
                            f"{where}: missing key '{key}': {COUNCIL_KEYS[key]}")
            ok = False
    if ok and (len(name) > 64 or not all(c.isalnum() or c in "-_" for c in name)):
        problems.append(f"{where}: key 'name': {COUNCIL_KEYS['name']}, got {name!r}")
        ok = False
    for key in ("output_dir", "council"):
        if key in raw and (not isinstance(raw[key], str) or not raw[key].strip()):
            problems.append(f"{where}: key '{key}': expected a path, got {raw[key]!r}")
            ok = False
    if isinstance(raw.get("council"), str) and not Path(raw["council"]).is_file():
        problems.append(f"{where}: key 'council': no council settings file {raw['council']!r}")
        ok = False
    periods = (_names(raw["periods"], f"{where}: key 'periods'", _period_problem, problems)
               if "periods" in raw else defaults["periods"])
    reports = (_names(raw["reports"], f"{where}: key 'reports'", _report_problem, problems)
               if "reports" in raw else defaults["reports"])
    if not periods and "periods" not in raw and defaults["periods_given"] is False:
        problems.append(f"{where}: no periods: give the fleet's key 'periods' or the "
                        "council's")
        ok = False
    if not ok:
        return None
    return {"name": name, "store": raw["store"], "council": raw.get("council"),
            "output_dir": raw.get("output_dir") or f"outputs/{name}", "periods": periods,
            "reports": reports}


def read_fleet(path: str | Path, as_of: str | None = None) -> Fleet:
    """Read and check a fleet file: every problem at once, or a :class:`Fleet` of runs.
    ``as_of`` overrides the file's (``kpi fleet --as-of``)."""
    path = Path(path)
    raw = read_yaml(path, "fleet", max_bytes=MAX_BYTES)
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: expected a mapping with key 'councils' (a list of "
                          f"councils), got {type(raw).__name__}")
    problems = unknown_keys(raw, list(KEYS))
    periods = (_names(raw["periods"], "key 'periods'", _period_problem, problems)
               if "periods" in raw else [])
    reports = (_names(raw["reports"], "key 'reports'", _report_problem, problems)
               if "reports" in raw else ["all"])
    moment = as_of if as_of is not None else raw.get("as_of")
    if moment not in (None, ""):
        try:
            moment = normalise_moment(moment, "key 'as_of'")
            if moment > utc_now():
                problems.append(f"key 'as_of': {moment} is in the future; expected a moment "
                                "that has passed")
        except ParamsError as e:
            problems.append(str(e))
    else:
        moment = utc_now()
    bench = parse_spec(raw.get("benchmark"), problems)
    defaults = {"periods": periods, "reports": reports, "periods_given": "periods" in raw}
    councils = raw.get("councils")
    entries = []
    if not isinstance(councils, list) or not councils:
        problems.append(f"key 'councils': expected {KEYS['councils']}, got {councils!r}"
                        if "councils" in raw else f"missing key 'councils': {KEYS['councils']}")
    else:
        entries = [_council(i, c, defaults, problems) for i, c in enumerate(councils)]
    seen: set[str] = set()
    folders: dict[str, str] = {}
    for e in filter(None, entries):
        if e["name"] in seen:
            problems.append(f"key 'councils': the name {e['name']!r} is given twice; each "
                            "council needs a name of its own")
        seen.add(e["name"])
        try:
            check_output_dir(e["output_dir"])
        except ParamsError as err:
            problems.append(f"councils ({e['name']}): {err}")
        out = os.path.abspath(e["output_dir"])
        if out in folders:
            problems.append(f"councils ({e['name']}): key 'output_dir': {e['output_dir']!r} is "
                            f"also {folders[out]}'s; each council needs its own output folder")
        folders.setdefault(out, e["name"])
    if bench is not None and bench.output_dir.strip():
        try:
            check_output_dir(bench.output_dir)
        except ParamsError as err:
            problems.append(f"key 'benchmark': {err}")
        if os.path.abspath(bench.output_dir) in folders:
            problems.append(f"key 'benchmark': key 'output_dir': {bench.output_dir!r} is also "
                            f"{folders[os.path.abspath(bench.output_dir)]}'s output folder; "
                            "the benchmarking report needs its own")
    runs = []
    if not problems:
        for e in entries:
            for period in e["periods"]:
                for report in e["reports"]:
                    params = {"period": period, "report": report, "store": e["store"],
                              "as_of": moment, "output_dir": e["output_dir"],
                              "council": e["council"]}
                    run = FleetRun(e["name"], params, f"{path}#{e['name']}")
                    try:
                        validate(params, run.source)
                    except ParamsError as err:
                        problems += [f"councils ({e['name']}), period {period}, report "
                                     f"{report}: {line.strip()}"
                                     for line in str(err).splitlines()[1:]]
                    runs.append(run)
    if problems:
        listing = "\n".join(f"  {p}" for p in problems)
        raise ParamsError(f"{path}: invalid fleet file:\n{listing}")
    return Fleet(str(path), moment, tuple(runs),
                 {e["name"]: e["output_dir"] for e in entries}, bench)


# --------------------------------------------------------------------------- tasks


# What a run's process executes: ``kpi run`` of one parameter set, in a fresh interpreter.
CHILD = ("import sys; from kpilib.run.fleet import child_run; "
         "sys.exit(child_run(sys.stdin.read()))")  # the run's JSON on standard input


def child_run(payload: str) -> int:
    """Run one fleet run (in its own process): :func:`kpilib.run.runner.run` as ``kpi run``
    calls it; each report published is one JSON line on standard output, a failure one
    message on standard error (exit 1)."""
    import sqlalchemy as sa

    from kpilib.errors import KpiError
    from kpilib.run.kernel import die_with_parent
    from kpilib.run.runner import run
    from kpilib.store.urls import store_error

    die_with_parent(os.getppid())
    job = json.loads(payload)
    try:
        params = validate(job["params"], job["source"])
        summaries = run(params, show_progress=False,
                        on_skip=lambda s: print(f"kpi run: {s}", file=sys.stderr))
    except KpiError as e:
        message = str(e)
    except sa.exc.DBAPIError as e:
        message = str(store_error(job["params"]["store"], e))
    except OSError as e:
        message = f"{e.strerror or e}{f': {e.filename}' if e.filename else ''}"
    else:
        for s in summaries:
            print(json.dumps({"report": s.report, "period": s.period, "pages": s.pages,
                              "kpis": s.kpis, "folder": str(s.folder),
                              "unchanged": s.unchanged}))
        return 0
    print(message, file=sys.stderr)
    return 1


@dataclass(frozen=True)
class Task:
    kind: str  # "run" | "audit"
    label: str  # council period report, or council and run folder
    cwd: str
    payload: str = ""  # run: the JSON CHILD is given
    folder: str = ""  # audit: the run folder
    anchors: tuple[str, ...] = ()  # audit: --store/--council from the council's entry


@dataclass
class Outcome:
    task: Task
    ok: bool
    seconds: float
    lines: list[str] = field(default_factory=list)  # what it published, or audit's verdict
    error: str = ""
    worker: str = ""


def execute_task(task: Task) -> Outcome:
    """Run one task on a worker: the run (:data:`CHILD`) or ``kpi audit FOLDER``, each in a
    process of its own on this worker's interpreter."""
    import socket

    if task.kind == "run":
        argv = [sys.executable, "-c", CHILD]
    else:
        argv = [sys.executable, "-m", "kpilib.cli", "audit", task.folder, "--jobs", "1",
                *task.anchors]
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=task.cwd, capture_output=True, text=True,
                          input=task.payload if task.kind == "run" else "")
    seconds = time.perf_counter() - start
    out = done.stdout.splitlines()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    if task.kind == "run":
        lines = [_published(json.loads(line)) for line in out if line.startswith("{")]
    else:
        lines = [line for line in out if line.strip()]
    error = ""
    if done.returncode != 0:
        err = [line for line in done.stderr.splitlines() if line.strip()]
        if task.kind == "audit":
            err = [line for line in err if not line.startswith("kpi: store ")]
        error = "\n".join(err[-20:]) or f"exit code {done.returncode}"
    return Outcome(task, done.returncode == 0, seconds, lines, error, worker)


def _published(s: dict) -> str:
    what = "unchanged" if s["unchanged"] else "published"
    pages = f"{s['pages']} page" + ("" if s["pages"] == 1 else "s")
    return f"{s['report']} {s['period']}: {pages}, {s['kpis']} KPIs {what} in {s['folder']}"


def run_tasks(fleet: Fleet, cwd: str | None = None) -> list[Task]:
    cwd = cwd or os.getcwd()
    return [Task("run", r.label, cwd,
                 json.dumps({"params": r.params, "source": r.source}, sort_keys=True))
            for r in fleet.runs]


def audit_tasks(folders: dict[str, list[Path]], cwd: str | None = None,
                fleet: Fleet | None = None) -> list[Task]:
    """One audit per run folder: ``folders`` maps each council to its run folders.  Each
    audit reads the store (and settings file) its council's entry in ``fleet`` names: the
    auditor's fleet file is an anchor, as ``--store``/``--council`` are (never a run
    folder's own word: :mod:`kpilib.audit.anchors`)."""
    cwd = cwd or os.getcwd()
    return [Task("audit", f"{name} {f}", cwd, folder=str(f), anchors=_anchors(fleet, name))
            for name, fs in folders.items() for f in fs]


def _anchors(fleet: Fleet | None, council: str) -> tuple[str, ...]:
    """The ``kpi audit`` options a council's fleet entry gives: its store and settings."""
    for run in fleet.runs if fleet else ():
        if run.council == council:
            store, settings = run.params.get("store"), run.params.get("council")
            return ((("--store", str(store)) if store else ())
                    + (("--council", str(settings)) if settings else ()))
    return ()


CONNECT_TIMEOUT = "30s"  # how long a --scheduler is tried before it is called unreachable


def client(workers: int, scheduler: str | None):
    """A Dask client: on the scheduler at ``scheduler``, else on a new LocalCluster of
    ``workers`` processes with one thread each (closed with the client)."""
    import logging

    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout=CONNECT_TIMEOUT)
        except ValueError as e:  # no port, an unknown scheme, a port that is no number
            raise ParamsError(f"--scheduler {scheduler}: not a Dask scheduler address ({e}); "
                              "expected e.g. tcp://host:8786") from None
        except (OSError, TimeoutError) as e:
            raise ParamsError(f"--scheduler {scheduler}: cannot reach the Dask scheduler "
                              f"({e}); expected the address of a running scheduler, e.g. "
                              "tcp://host:8786") from None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=logging.ERROR)
    c = Client(cluster)
    c._kpi_cluster = cluster  # closed with the client by :func:`execute`
    return c


def execute(tasks: list[Task], dask_client, on_done: Callable[[Outcome], None] | None = None
            ) -> list[Outcome]:
    """Every task on the cluster; the outcomes in the order of ``tasks`` (a task that could
    not run at all, e.g. a worker that died, is a failed outcome naming why)."""
    from dask.distributed import as_completed

    futures = {dask_client.submit(execute_task, t, pure=False,
                                  key=f"kpi-{t.kind}-{i}-{os.getpid()}-{time.time_ns()}"): i
               for i, t in enumerate(tasks)}
    outcomes: list[Outcome | None] = [None] * len(tasks)
    for fut in as_completed(list(futures)):
        i = futures[fut]
        try:
            res = fut.result()
        except Exception as e:  # the task itself failed (a worker lost, a pickling error)
            res = Outcome(tasks[i], False, 0.0, [], f"the task failed on the cluster: {e!r}")
        outcomes[i] = res
        if on_done is not None:
            on_done(res)
    return [o for o in outcomes if o is not None]


def close(dask_client) -> None:
    cluster = getattr(dask_client, "_kpi_cluster", None)
    dask_client.close()
    if cluster is not None:
        cluster.close()
