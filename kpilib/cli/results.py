"""``kpi results``: write results.csv for a report and period straight from the store."""

from __future__ import annotations

import sys
from pathlib import Path

from kpilib import registry
from kpilib.cli.common import say_store
from kpilib.errors import StoreError


def add(sub, common) -> None:
    p = sub.add_parser("results", parents=[common],
                       help="the results table of a report, straight from the store")
    p.add_argument("--period", required=True, help="a month (2024-02) or quarter (2024-25-Q3)")
    p.add_argument("--report", required=True, choices=registry.names(),
                   help="a report type: " + "; ".join(f"{t.name}: {t.description}"
                                                      for t in registry.types()))
    p.add_argument("--as-of", dest="as_of", help="ISO-8601 time; default: now")
    p.add_argument("--output", type=Path, help="write results.csv here instead of stdout")
    p.set_defaults(func=cmd_results)


def cmd_results(args) -> int:
    from kpilib.io.outpaths import output_file
    from kpilib.notebook import open_report
    from kpilib.settings.params import normalise_moment

    as_of = normalise_moment(args.as_of) if args.as_of else None
    if args.output is not None and args.output.is_dir() and not args.output.is_symlink():
        raise StoreError(f"--output {args.output} is a folder; expected a file name, e.g. "
                         f"{args.output / 'results.csv'}")
    if args.output is not None:
        output_file(args.output, "results file (--output)")
    say_store(args.store, "" if args.store_given else " (the default; --store for another)")
    table = open_report(args.store, args.period, args.report, as_of).results
    text = table.to_csv(index=False, lineterminator="\n")
    if args.output:
        from kpilib.publish.publish import write_atomic

        args.output.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(args.output, text.encode("utf-8"))
        print(f"wrote {len(table)} rows to {args.output}")
    else:
        sys.stdout.write(text)
    return 0
