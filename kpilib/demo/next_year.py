"""The demo council's 2025-26 KPI set, derived from its 2024-25 set as North
Northamptonshire's annual review changed its own (seed
``nnc-pmf-2025-26-scrutiny-report.txt``, Appendix D and section 4.7): Oflog and other
measures removed, KPIs added, renumbered, split, merged, re-targeted and moved between
departments.  Only the catalogue: the demo has no 2025-26 returns, so no report of the
demo changes.  ``kpi changes --from 2024-25 --to 2025-26`` shows the differences.
"""

from __future__ import annotations

FY = "2025-26"
LOADED_AT = "2025-03-20T10:00:00.000000Z"  # approved by the Executive, loaded before April

REMOVED = ("AFL08", "BBF50", "OH12")  # an Oflog metric, a Family Hubs count, FTE headcount
RENUMBERED = {"BBF18b": "BBF18"}
EDITS = {  # ref -> columns that change
    "AFL13": {"target": "276 (23 per month)"},
    "STP15": {"target": "90"},
    "OH02": {"target": "97"},
    "SVC05": {"department": "Customer Services"},
    "STP31": {"statutory": "Highways maintenance code of practice (2025 review)"},
}
SPLIT = {"AFL15": [("AFL15a", "Number of homeless approaches from families with children"),
                   ("AFL15b", "Number of homeless approaches from single people")]}
MERGED = {"BBF47": (("BBF47", "BBF48"), "Number of unique visits and families accessing "
                                        "Family Hubs services through digital platforms")}
NEW = [  # (the ref they follow, the columns they change from that KPI's)
    ("BBF36", {"ref": "BBF51", "name": "Number of children who are electively home educated",
               "target": ""}),
    ("STP30", {"ref": "STP46", "name": "Percentage of fly-tipping incidents cleared within "
               "5 working days", "target": "90", "unit": "percent", "measure": "ratio",
               "polarity": "higher", "commitment": "Greener, sustainable environment"}),
    ("SVC15", {"ref": "SVC16", "name": "Percentage of new EHC plans naming a mainstream "
               "school", "target": "", "unit": "percent", "measure": "ratio",
               "polarity": "higher", "department": "Education",
               "directorate": "Children's Services", "commitment": "Better, brighter futures"}),
]


def next_year_rows(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The 2025-26 catalogue rows from the 2024-25 ones (deterministic, in order)."""
    out: list[dict[str, str]] = []
    merged_away = {r for refs, _ in MERGED.values() for r in refs[1:]}
    for row in rows:
        ref = row["ref"]
        if ref in REMOVED or ref in merged_away:
            continue
        new = {**row, "year": FY, "previous_ref": ""}
        if not row.get("breakdown"):
            new.update(EDITS.get(ref, {}))
        if ref in RENUMBERED:
            new.update(ref=RENUMBERED[ref], previous_ref=ref)
        if ref in MERGED:
            refs, name = MERGED[ref]
            new.update(name=name, previous_ref=";".join(refs))
        if ref in SPLIT:
            out += [{**new, "ref": r, "name": name, "previous_ref": ref} for r, name in SPLIT[ref]]
        else:
            out.append(new)
        for after, extra in NEW:
            if ref == after and not row.get("breakdown"):
                out.append({**new, "previous_ref": "", "statutory": "", "benchmark": "",
                            "breakdowns": "", **extra})
    return out
