"""``kpi status``: published runs at a glance."""

from __future__ import annotations

from pathlib import Path

from kpilib import registry
from kpilib.cli.common import err, format_table, print_changes, say, say_store
from kpilib.rules.periods import parse_period
from kpilib.run import kpi_set
from kpilib.store import open_store


def add(sub, common) -> None:
    p = sub.add_parser("status", parents=[common],
                       help="every publication under an output folder, current and superseded")
    p.add_argument("output_dir", nargs="?", default=Path("outputs"), type=Path,
                   metavar="OUTPUT_DIR", help="the folder runs are published in (default "
                                              "outputs)")
    p.add_argument("--period", help="only this period (2024-02, 2024-25-Q1; 2024-25_2025-26 "
                                    "for a KPI-set change report)")
    p.add_argument("--report", help="only this report type (core, service, ...; changes for "
                                    "KPI-set change reports)")
    p.add_argument("--json", action="store_true",
                   help="print JSON (one object per period and report) instead of tables")
    p.add_argument("--html", action="store_true",
                   help="(re)build the publication library, OUTPUT_DIR/index.html")
    p.set_defaults(func=cmd_status)


def cmd_status(args) -> int:
    import json

    from kpilib.audit.status import library

    say_store(args.store if args.store_given else "named by each publication's manifest")
    if args.store_given:  # a store named on the command line must be one
        open_store(args.store).close()
    if args.period and not kpi_set.SPAN.match(args.period):  # a change report's years
        parse_period(args.period)
    if args.report and args.report != kpi_set.REPORT:
        registry.get(args.report, "report type (--report)")
    series = library(args.output_dir, args.period, args.report,
                     args.store if args.store_given else None)
    if args.html:
        from kpilib.publish import library as publication_library

        for note in publication_library.write(args.output_dir):
            err(f"kpi status: {note}")
        err(f"kpi status: wrote the publication library "
            f"{args.output_dir / publication_library.LIBRARY}")
    if args.json:
        print(json.dumps({"output_dir": args.output_dir.as_posix(),
                          "publications": [s.as_dict() for s in series]}, indent=2))
        return 0
    scope = " ".join(filter(None, [args.period, args.report]))
    if not series:
        print(f"no publications{' of ' + scope if scope else ''} under {args.output_dir}")
        return 0
    pubs = [p for s in series for p in [*([s.current] if s.current else []),
                                        *reversed(s.superseded)]]
    rows = [[p.period, p.report, p.edition, "current" if p.current else "superseded",
             p.as_of or "", p.recorded_at or "", p.ledger, p.signoff.text, p.audit.text,
             p.folder.as_posix()] for p in pubs]
    print(format_table(["period", "report", "edition", "publication", "as of", "recorded at",
                        "ledger", "sign-off", "audit", "folder"], rows))
    for p in pubs:
        if p.note:
            say(f"{p.folder.as_posix()}: {p.note}")
        for problem in p.place:
            say(f"{p.folder.as_posix()}: {problem}")
    for p in pubs:
        if p.supersedes is not None:
            print()
            before = next(q for s in series for q in s.publications if q.folder == p.supersedes)
            print_changes(p.folder.as_posix(), before, p.changes)
    current = sum(p.current for p in pubs)
    unrecorded = sum(p.in_ledger is False for p in pubs)
    print(f"\n{len(pubs)} publication{'s' if len(pubs) != 1 else ''} of {len(series)} "
          f"report{'s' if len(series) != 1 else ''} under {args.output_dir}: {current} current, "
          f"{len(pubs) - current} superseded; {unrecorded} not recorded in the ledger")
    return 0
