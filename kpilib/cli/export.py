"""``kpi export RUN --pdf --xlsx``: files made from a published run folder, recorded as
additions (the manifest never changes).  One flag per registered export format."""

from __future__ import annotations

import getpass
from pathlib import Path

from kpilib.publish.exports import EXPORTS, export


def add(sub, common) -> None:
    p = sub.add_parser("export", parents=[common],
                       help="a published run as a PDF committee pack and/or an Excel workbook")
    p.add_argument("run", type=Path, metavar="RUN_FOLDER",
                   help="a published run folder (outputs/2025-02/core)")
    for name, fmt in sorted(EXPORTS.items()):
        p.add_argument(f"--{name}", dest="formats", action="append_const", const=name,
                       help=f"{fmt.help}, written as <report>-<period>.{name}")
    p.add_argument("--who", help="who makes the export, for the run's additions.jsonl "
                                 "(default: the login name)")
    p.set_defaults(func=cmd_export, formats=None)


def _who(given: str | None) -> str:
    if given:
        return given
    try:
        return getpass.getuser()
    except Exception:  # no login name (a container): say what made it
        return "kpi export"


def cmd_export(args) -> int:
    entries = export(args.run, args.formats or [], _who(args.who),
                     args.store if args.store_given else None)
    from kpilib.publish.additions import anchor, anchor_store

    store = anchor_store(args.run, args.store if args.store_given else None)
    for e in entries:
        print(f"{args.run / e['file']}  ({e['format']}, sha256 {e['sha256'][:12]}…, "
              "recorded in additions.jsonl)")
        note = anchor(store, e)
        if note:
            print(f"note: {note}")
    return 0
