"""``kpi signoff``: record who approved (or rejected) a published run, and when."""

from __future__ import annotations

from pathlib import Path

from kpilib.cli.common import say
from kpilib.publish.signoff import DECISIONS


def add(sub, common) -> None:
    p = sub.add_parser("signoff", parents=[common],
                       help="record a sign-off of a published run in its additions.jsonl")
    p.add_argument("run", type=Path, metavar="RUN",
                   help="the run folder signed off (outputs/2024-02/core)")
    p.add_argument("--name", required=True, help="who signs off")
    p.add_argument("--role", required=True, help="their role (e.g. Director of Housing)")
    p.add_argument("--decision", required=True, metavar="|".join(DECISIONS),
                   help="approved or rejected")
    p.add_argument("--note", default="", help="a note kept with the sign-off")
    p.set_defaults(func=cmd_signoff)


def cmd_signoff(args) -> int:
    from kpilib.publish.additions import anchor, anchor_store
    from kpilib.publish.library import refresh_for
    from kpilib.publish.signoff import sign_off

    entry = sign_off(args.run, args.name, args.role, args.decision, args.note)
    note = anchor(anchor_store(args.run, args.store if args.store_given else None), entry)
    say(f"{args.run}: {entry['decision']} by {entry['who']} ({entry['role']}) on "
        f"{entry['at']}, for manifest.json sha256 {entry['manifest_sha256']}")
    if note:
        say(f"note: {note}")
    note = refresh_for(args.run)
    if note:
        print(note)
    return 0
