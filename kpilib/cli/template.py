"""``kpi template returns``: a returns workbook for services to fill in (loads back through
``kpi load returns`` unchanged)."""

from __future__ import annotations

from pathlib import Path

from kpilib.cli.common import say_store


def add(sub, common) -> None:
    p = sub.add_parser("template", parents=[common],
                       help="a returns workbook to fill in, for one period")
    p.add_argument("kind", choices=["returns"], help="what the template is for: returns")
    p.add_argument("--period", required=True,
                   help="a month (2025-05) or quarter (2025-26-Q1): the KPIs due then")
    p.add_argument("--directorate", help="only this directorate's KPIs")
    p.add_argument("--output", type=Path,
                   help="the workbook to write (default: returns-<period>.xlsx here)")
    p.set_defaults(func=cmd_template)


def cmd_template(args) -> int:
    from kpilib.ingest.template import build_template
    from kpilib.io.outpaths import output_file
    from kpilib.publish.publish import write_atomic
    from kpilib.rules.names import slug
    from kpilib.store import open_store

    say_store(args.store)
    store = open_store(args.store)
    snap = store.snapshot()
    moment = store.last_loaded_at() or "2000-01-01T00:00:00.000000Z"
    data = build_template(snap.catalogue, snap.returns, args.period, moment, args.directorate)
    default = f"returns-{args.period}" + (f"-{slug(args.directorate)}" if args.directorate
                                          else "") + ".xlsx"
    out = args.output or Path(default)
    output_file(out, "returns template (--output)")
    write_atomic(out, data)
    print(f"{out}: returns template for {args.period} (fill the shaded cells; load it with "
          f"kpi load returns {out})")
    return 0
