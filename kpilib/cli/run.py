"""``kpi run``: run a parameter set (notebooks to HTML)."""

from __future__ import annotations

from pathlib import Path

from kpilib.cli.common import err, print_published, say_store


def add(sub, common) -> None:
    p = sub.add_parser("run", parents=[common], help="run a parameter set: notebooks to HTML")
    p.add_argument("params", type=Path, metavar="PARAMS", help="parameter file, e.g. "
                   "params/2024-02.yaml (keys: period, report, store, as_of, output_dir); a "
                   "period that is a financial year (params/2024-25.yaml) runs every month "
                   "and quarter of it, executing only what changed")
    p.add_argument("--as-of", dest="as_of", help="read the data as it stood at this moment "
                   "(overrides the file; default: the run's start)")
    p.add_argument("--output-dir", dest="output_dir", help="overrides the file's output_dir")
    p.add_argument("--edition", choices=("internal", "public"), help="overrides the file's "
                   "edition: public withholds small numbers, in <period>/<report>-public/")
    p.add_argument("--self-contained", action="store_true",
                   help="inline plotly.js in every page (single files to email)")
    p.add_argument("--force", action="store_true",
                   help="publish even when the current publication already has the same inputs "
                        "(data read, program, parameters but as_of, settings, templates)")
    p.add_argument("--supersede-signed", dest="supersede_signed", action="store_true",
                   help="allow the run to supersede a signed-off (approved) publication")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_run)


def cmd_run(args) -> int:
    from kpilib.run.runner import run
    from kpilib.settings.home import given_here, project_of
    from kpilib.settings.params import read_params

    project = project_of(args.params)  # where the set's paths are read from: the command
    params = read_params(args.params, as_of=args.as_of,  # line's, from the working folder
                         output_dir=given_here(args.output_dir, project),
                         edition=args.edition,
                         store=given_here(args.store, project) if args.store_given else None)
    say_store(params.store, "" if args.store_given else f" (from {args.params})")
    if params.is_year:  # every month and quarter of a financial year: one line each
        from kpilib.run import year

        summaries = year.run_year(params, args.self_contained, not args.quiet,
                                  lambda skipped: err(f"kpi run: {skipped}"), args.force,
                                  args.supersede_signed)
        for s in summaries:
            print(year.line(s))
        print(year.totals(summaries, params.period))
        return 0
    summaries = run(params, self_contained=args.self_contained, show_progress=not args.quiet,
                    on_skip=lambda skipped: err(f"kpi run: {skipped}"), force=args.force,
                    supersede_signed=args.supersede_signed)
    for s in summaries:
        counts = ", ".join(f"{k or 'Not rated'} {v}" for k, v in sorted(s.statuses.items()))
        pages = f"{s.pages} page" + ("" if s.pages == 1 else "s")
        print(f"{s.report} {s.period}: {pages}, {s.kpis} KPIs ({counts}) in "
              f"{s.seconds:.1f} s -> {s.index}")
        print_published(s)
    return 0
