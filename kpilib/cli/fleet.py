"""``kpi fleet``: every run of many councils (or their audits) on Dask distributed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from kpilib.cli.common import LINE_CHARS, err, format_table
from kpilib.errors import shown


def add(sub, common) -> None:
    p = sub.add_parser("fleet", help="run (or audit) many councils' reports on Dask")
    p.add_argument("fleet", type=Path, metavar="FLEET",
                   help="fleet file, e.g. fleet.yaml (keys: councils, periods, reports, as_of, "
                        "benchmark)")
    p.add_argument("--audit", action="store_true",
                   help="audit every run folder under each council's output folder instead "
                        "of running (kpi audit of the whole output tree)")
    p.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), metavar="N",
                   help="worker processes of the local Dask cluster (default: cores, at "
                        "most 2)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="use a running Dask scheduler (e.g. tcp://host:8786) instead of a "
                        "local cluster")
    p.add_argument("--as-of", dest="as_of", help="every run reads the data as it stood at "
                   "this moment (overrides the file; default: the fleet's start)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_fleet)


def _folders(fleet) -> dict[str, list[Path]]:
    from kpilib.audit.audit import run_folders

    return {name: run_folders(Path(out)) if Path(out).is_dir() else []
            for name, out in fleet.output_dirs.items()}


def cmd_fleet(args) -> int:
    from kpilib.errors import ParamsError
    from kpilib.run import fleet as fl

    if args.store_given:  # never silently ignored: each council names its own store
        raise ParamsError(f"kpi fleet: --store {args.store} is not used: each council's store "
                          f"is the 'store' key of its entry in {args.fleet}; leave --store out")
    if args.workers < 1:
        raise ParamsError(f"--workers {args.workers}: expected at least 1 worker process")
    fleet = fl.read_fleet(args.fleet, as_of=args.as_of)
    if args.audit:
        folders = _folders(fleet)
        if fleet.benchmark is not None:  # the benchmarking report is audited like any run
            from kpilib.audit.audit import run_folders

            out = Path(fleet.benchmark.output_dir)
            folders["benchmarking"] = run_folders(out) if out.is_dir() else []
        tasks = fl.audit_tasks(folders, fleet=fleet)
        if not tasks:
            raise ParamsError(f"{args.fleet}: no run folders to audit under "
                              f"{', '.join(sorted(fleet.output_dirs.values()))}: run the fleet "
                              "first")
    else:
        tasks = fl.run_tasks(fleet)
    where = args.scheduler or f"a local Dask cluster of {args.workers} worker processes"
    err(f"kpi fleet: {len(tasks)} {'audits' if args.audit else 'runs'} on {where}"
        + ("" if args.audit else f", as of {fleet.as_of}"))
    client = fl.client(args.workers, args.scheduler)
    try:
        outcomes = _execute(fl, tasks, client, not args.quiet)
    finally:
        fl.close(client)
    code = _summary(outcomes, args.audit)
    if fleet.benchmark is None or args.audit:
        return code
    if code:
        err("kpi fleet: the benchmarking report was not built: it compares every council's "
            "run of the fleet, and some failed")
        return code
    from kpilib.run.benchmarking import build

    for line in build(fleet):
        print(line)
    return 0


def _execute(fl, tasks, client, show: bool):
    if not show:
        return fl.execute(tasks, client)
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True)) as progress:
        bar = progress.add_task("fleet", total=len(tasks))
        failed = 0

        def done(o) -> None:
            nonlocal failed
            failed += not o.ok
            progress.update(bar, advance=1, description=f"fleet ({failed} failed)"
                            if failed else "fleet")
            if not o.ok:
                progress.console.print(shown(f"failed: {o.task.label}", LINE_CHARS),
                                       markup=False,
                                       highlight=False)

        return fl.execute(tasks, client, done)


def _summary(outcomes, audit: bool) -> int:
    rows = []
    for o in outcomes:
        if o.ok:
            verdict = "identical" if audit else "; ".join(o.lines) or "done"
        else:
            verdict = ("not identical" if audit and o.lines else "FAILED")
        rows.append([o.task.label, verdict, round(o.seconds, 1), o.worker])
    print(format_table([("audit" if audit else "run"), "result", "seconds", "worker"], rows))
    failed = [o for o in outcomes if not o.ok]
    what = "audit" if audit else "run"
    print(f"{len(outcomes)} {what}s: {len(outcomes) - len(failed)} "
          f"{'identical' if audit else 'succeeded'}, {len(failed)} "
          f"{'not' if audit else 'failed'}")
    if failed:
        lines = []
        for o in failed:
            detail = "\n".join(o.lines) if audit and o.lines else o.error
            lines.append(f"  {o.task.label}:")
            lines += [f"    {ln}" for ln in detail.splitlines()]
        err("\n".join(shown(line, LINE_CHARS) for line in
                       [f"kpi fleet: {len(failed)} of {len(outcomes)} {what}s "
                        f"{'not identical' if audit else 'failed'}:", *lines]))
        sys.stdout.flush()
        return 1
    return 0
