"""``kpi audit``: check and re-execute published runs."""

from __future__ import annotations

from pathlib import Path

from kpilib.cli.common import say_store


def add(sub, common) -> None:
    p = sub.add_parser("audit", parents=[common],
                       help="re-execute published runs and prove them identical")
    p.add_argument("path", type=Path, metavar="PATH",
                   help="a run folder (outputs/2024-02/core) or a folder of runs (outputs/)")
    p.add_argument("--jobs", type=int, default=2, help="runs re-executed at once (default 2)")
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


def cmd_audit(args) -> int:
    from kpilib.audit.audit import audit_tree
    from kpilib.audit.layers import record_verdict
    from kpilib.run.library import refresh_for, root_of

    if args.council is not None:  # the settings the auditor trusts must be readable ones
        from kpilib.run.council import load_settings

        load_settings(args.council)
    say_store(args.store if args.store_given else "named by each run's manifest, when it is "
              "a file of this project folder")
    results = audit_tree(args.path, args.store if args.store_given else None, args.jobs,
                         recorded_env=args.recorded_env, council=args.council)
    for r in results:
        record_verdict(r, args.who)  # an audit addition; the next audit finds it listed
        print("\n".join(r.lines()))
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
