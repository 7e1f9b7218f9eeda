"""``kpi doctor``: find and finish or undo interrupted publications."""

from __future__ import annotations

from pathlib import Path

from kpilib.cli.common import err, say, say_store


def add(sub, common) -> None:
    p = sub.add_parser("doctor", parents=[common],
                       help="repair what crashed runs left beside the published folders")
    p.add_argument("output_dir", nargs="?", type=Path, default=Path("outputs"),
                   metavar="OUTPUT_DIR", help="the output folder of your runs (default: "
                   "outputs), or one period folder (outputs/2024-02)")
    p.add_argument("--dry-run", dest="dry_run", action="store_true",
                   help="say what would be repaired, change nothing")
    p.set_defaults(func=cmd_doctor)


def cmd_doctor(args) -> int:
    from kpilib.publish.recover import doctor

    if args.store_given:
        say_store(args.store, " (for the ledger of interrupted publications)")
    results = doctor(args.output_dir, args.store if args.store_given else None, args.dry_run)
    would = "would have " if args.dry_run else ""
    done = [t for r in results for t in r.done]
    problems = [t for r in results for t in r.problems]
    for t in done:
        say(f"{'would: ' if args.dry_run else ''}{t}")
    for t in (t for r in results for t in r.left):
        say(f"left alone: {t}")
    for t in problems:
        err(f"kpi doctor: cannot repair: {t}")
    if not done and not problems:
        print(f"{args.output_dir}: nothing to repair (no interrupted publication or leftover "
              f"of a stopped run in {len(results)} folder{'s' if len(results) != 1 else ''})")
    elif done:
        print(f"{args.output_dir}: {would}repaired {len(done)} "
              f"thing{'s' if len(done) != 1 else ''}"
              + (f"; {len(problems)} left to repair by hand" if problems else ""))
    return 1 if problems else 0
