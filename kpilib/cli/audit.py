"""``kpi audit``: check and re-execute published runs."""

from __future__ import annotations

from pathlib import Path

from kpilib.cli.common import say_store


def add(sub, common) -> None:
    p = sub.add_parser("audit", parents=[common],
                       help="re-execute published runs and prove them identical")
    p.add_argument("path", type=Path, metavar="PATH", nargs="?", default=None,
                   help="a run folder (outputs/2024-02/core) or a folder of runs (outputs/); "
                        "with --year, the output folder (default outputs)")
    p.add_argument("--year", default=None, metavar="FY",
                   help="audit the current publication of every month and quarter of this "
                        "financial year (e.g. 2024-25) under PATH, one summary line each")
    p.add_argument("--jobs", type=int, default=2, help="runs re-executed at once (default 2)")
    p.add_argument("--dask-workers", dest="dask_workers", type=int, default=None, metavar="N",
                   help="audit on a local Dask cluster of N worker processes (each audit in a "
                        "process of its own) instead of this process's workers")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="audit on the Dask cluster of this scheduler (tcp://host:8786); its "
                        "workers must see the same files at the same paths")
    p.add_argument("--recorded-env", dest="recorded_env", action="store_true",
                   help="re-execute with the program that published the run: kpilib at the "
                        "manifest's git commit (from this repository's history) with the "
                        "manifest's package versions, in a cached environment")
    p.add_argument("--council", default=None, metavar="FILE",
                   help="the council's settings whose public keys and require_signature the "
                        "audit trusts (default: the settings file the manifest names when it "
                        "is in this project folder, else ./council.yaml)")
    p.add_argument("--who", default=None, metavar="NAME",
                   help="who audits, recorded with the verdict in each run's additions.jsonl "
                        "(default: $USER)")
    p.set_defaults(func=cmd_audit)


def _checked(args) -> Path:
    """The folder to audit; every option that does not fit with another refused by name."""
    from kpilib.errors import ParamsError
    from kpilib.settings.params import year_of

    if args.year is not None and year_of(args.year) is None:
        raise ParamsError(f"--year {args.year!r}: not a financial year; expected e.g. 2024-25")
    if args.path is None and args.year is None:
        raise ParamsError("expected a run folder or a folder of runs (kpi audit outputs/), or "
                          "--year FY")
    on_dask = args.dask_workers is not None or args.scheduler is not None
    if on_dask:
        if args.dask_workers is not None and args.dask_workers < 1:
            raise ParamsError(f"--dask-workers {args.dask_workers}: expected at least 1")
        given = [f for f, v in (("--store", args.store_given), ("--council", args.council),
                                ("--recorded-env", args.recorded_env), ("--who", args.who))
                 if v]
        if given:
            raise ParamsError(f"{', '.join(given)}: not passed to the audits on a Dask cluster "
                              "(each audits with the store and settings its manifest names); "
                              "leave them out, or audit on this machine's processes")
    return args.path if args.path is not None else Path("outputs")


def cmd_audit(args) -> int:
    from kpilib.audit.audit import audit_tree, run_folders, year_folders
    from kpilib.audit.layers import record_verdict
    from kpilib.publish.library import refresh_for, root_of

    root = _checked(args)
    if args.dask_workers is not None or args.scheduler is not None:
        folders = year_folders(root, args.year) if args.year else run_folders(root)
        return _on_dask(args, folders)
    if args.council is not None:  # the settings the auditor trusts must be readable ones
        from kpilib.settings.council import load_settings

        load_settings(args.council)
    say_store(args.store if args.store_given else "named by each run's manifest, when it is "
              "a file of this project folder")
    results = audit_tree(root, args.store if args.store_given else None, args.jobs,
                         recorded_env=args.recorded_env, council=args.council, year=args.year)
    for r in results:
        record_verdict(r, args.who)  # an audit addition; the next audit finds it listed
        print(summary_line(r.lines()) if args.year else "\n".join(r.lines()))
    roots = {root_of(r.folder): r.folder for r in results}  # libraries show the verdicts
    for folder in roots.values():
        note = refresh_for(folder)
        if note:
            print(note)
    same = sum(r.identical for r in results)
    if len(results) > 1 or not results[0].identical:
        print(f"{len(results)} run{'s' if len(results) != 1 else ''} audited: {same} identical, "
              f"{len(results) - same} not")
    return 0 if same == len(results) else 1


def summary_line(lines: list[str]) -> str:
    """One line for one audited publication: its verdict, and what failed first (with how
    many more findings), e.g. ``outputs/2024-05/core: DIFFERENT (tampered: index.html ...;
    2 more)``."""
    head, rest = lines[0], [ln.strip() for ln in lines[1:]]
    if head.endswith(": identical") or not rest:
        return head
    more = f"; {len(rest) - 1} more" if len(rest) > 1 else ""
    return f"{head} ({rest[0]}{more})"


def _on_dask(args, folders: list[Path]) -> int:
    """``kpi audit`` of each folder, one task each, on a Dask cluster (:mod:`kpilib.run.fleet`):
    one line per publication, as with ``--year``."""
    from kpilib.cli.common import err
    from kpilib.errors import AuditError
    from kpilib.run import fleet as fl

    if not folders:
        raise AuditError(f"{args.path}: no run folders found")
    where = args.scheduler or f"a local Dask cluster of {args.dask_workers} worker processes"
    err(f"kpi audit: {len(folders)} audits on {where}")
    client = fl.client(args.dask_workers or 1, args.scheduler)
    try:
        outcomes = fl.execute(fl.audit_tasks({"": folders}), client)
    finally:
        fl.close(client)
    same = 0
    for o in outcomes:
        verdicts = [ln for ln in o.lines if not ln.startswith("  ")][:1]
        if verdicts:
            print(summary_line([verdicts[0], *(ln for ln in o.lines if ln.startswith("  "))]))
        else:
            print(f"{o.task.folder}: FAILED ({o.error.splitlines()[-1] if o.error else '?'})")
        same += o.ok
    print(f"{len(outcomes)} run{'s' if len(outcomes) != 1 else ''} audited: {same} identical, "
          f"{len(outcomes) - same} not")
    return 0 if same == len(outcomes) else 1
