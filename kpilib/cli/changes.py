"""``kpi changes``: the KPI-set change report of two financial years."""

from __future__ import annotations

from kpilib.cli.common import print_published, say_store


def add(sub, common) -> None:
    p = sub.add_parser("changes", parents=[common],
                       help="the KPI-set change report: new, changed and removed KPIs of a "
                            "year against the year before (changes.csv and a page)")
    p.add_argument("--from", dest="year_from", required=True, metavar="YEAR",
                   help="the earlier financial year, e.g. 2024-25")
    p.add_argument("--to", dest="year_to", required=True, metavar="YEAR",
                   help="the later financial year, e.g. 2025-26 (the year after --from)")
    p.add_argument("--output-dir", dest="output_dir", default="outputs",
                   help="where run folders go (default outputs): the report is published "
                        "at OUTPUT_DIR/<from>_<to>/changes/")
    p.add_argument("--as-of", dest="as_of",
                   help="read the catalogues as they stood at this moment (default: now)")
    p.add_argument("--council", metavar="FILE",
                   help="council settings file (default: the nearest council.yaml from the "
                        "working folder upwards, if any); its home's notebooks and templates "
                        "are used")
    p.add_argument("--self-contained", action="store_true",
                   help="inline the page's scripts (a single file to email)")
    p.add_argument("--force", action="store_true",
                   help="publish even when the current publication already has the same inputs")
    p.add_argument("--supersede-signed", dest="supersede_signed", action="store_true",
                   help="allow the run to supersede a signed-off (approved) publication")
    p.set_defaults(func=cmd_changes)


def cmd_changes(args) -> int:
    from kpilib.run.kpi_set import changes_params, run_changes
    from kpilib.settings.home import located_here
    from kpilib.store import open_store

    say_store(args.store)
    params = changes_params(args.store, args.year_from, args.year_to, args.output_dir,
                            args.as_of, located_here(args.council))
    open_store(params.store).check_writable(
        "the change report is recorded in the store's ledger of publications; nothing was run")
    s = run_changes(params, as_of=params.as_of, self_contained=args.self_contained,
                    force=args.force, supersede_signed=args.supersede_signed)
    n = s.statuses
    print(f"changes {s.period}: {n['new']} new, {n['changed']} changed, {n['removed']} "
          f"removed, {n['unchanged']} unchanged in {s.seconds:.1f} s -> {s.index}")
    print_published(s)
    return 0
