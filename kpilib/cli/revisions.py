"""``kpi revisions``: values revised after their first load, or since a run."""

from __future__ import annotations

from pathlib import Path

from kpilib.cli.common import format_table, print_changes, say_store
from kpilib.store import open_store


def add(sub, common) -> None:
    p = sub.add_parser("revisions", parents=[common], help="values revised after their first load")
    p.add_argument("run", nargs="?", type=Path, metavar="RUN_FOLDER",
                   help="a published run folder (outputs/2024-02/core): list the values it "
                        "shows that have been revised since it was run")
    p.add_argument("--period", help="a month (2024-02) or quarter (2023-24-Q3); default: all")
    p.add_argument("--as-of", dest="as_of", help="ISO-8601 time; default: now")
    p.set_defaults(func=cmd_revisions)


def cmd_revisions(args) -> int:
    if args.run is not None:
        return _run_revisions(args)
    say_store(args.store, "" if args.store_given else " (the default; --store for another)")
    revs = open_store(args.store).revisions(period=args.period, as_of=args.as_of)
    scope = f"for period {args.period}" if args.period else "for any period"
    header = ["ref", "period", "breakdown", "first value", "first loaded", "first source",
              "value", "revised at", "source"]
    return _print_revisions(revs, header, ("revision", "revisions"), scope)


def _run_revisions(args) -> int:
    from kpilib.audit.revisions import published_revisions
    from kpilib.audit.status import changes_from_previous
    from kpilib.publish.manifest import read_manifest

    manifest = read_manifest(args.run)
    say_store(args.store if args.store_given else manifest["parameters"]["store"],
               "" if args.store_given else " (the run's, from its manifest)")
    revs = published_revisions(args.run, args.store if args.store_given else None)
    as_of = manifest["as_of"]
    header = ["ref", "period", "breakdown", "published", "current", "published status",
              "current status", "revised at", "source"]
    code = _print_revisions(revs, header, ("value revised", "values revised"),
                            f"in {args.run} since it was run (as of {as_of})")
    previous = changes_from_previous(args.run)
    if previous is not None:
        print()
        print_changes(args.run, *previous)
    return code


def _print_revisions(revs, header: list[str], nouns: tuple[str, str], scope: str) -> int:
    if revs.empty:
        print(f"no {nouns[1]} {scope}")
        return 0
    print(format_table(header, revs.values.tolist()))
    print(f"{len(revs)} {nouns[len(revs) != 1]} {scope}")
    return 0
