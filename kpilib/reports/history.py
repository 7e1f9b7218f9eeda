"""A KPI's previous year, following ``previous_ref``.  Pure.

A report shows the previous year's figures of its KPIs: last year's columns, the trend
chart's first year, the direction of travel from last March (or Q4), the start of the SPC
series.  A KPI renumbered this year (``previous_ref`` naming one earlier ref,
reporting-rules.md section 7) had those figures under its old ref, and a new KPI given a
number that another KPI had last year must not show that other KPI's figures.
:func:`follow` rewrites the figures and definitions a report of one financial year looks
up, so that each of its KPIs' previous year is that of the KPI it continues
(:func:`kpilib.rules.markers.continuations`: kept or renumbered, and continued by no other
KPI); a merged KPI, each part of a split one and a new KPI have no previous year of their
own.  One year back only: a KPI renumbered twice shows its figures from the year before
this one's renumbering (what a report reads, kpilib.store.reads, follows ``previous_ref``
one year back too).  Where the previous year's set is not loaded (a council's first year in
kpilib), nothing is changed: the figures under the same ref are all there is to go on.
"""

from __future__ import annotations

from functools import cache

from kpilib.rules import periods as P
from kpilib.rules.markers import continuations

Defs = dict[tuple[str, str, str], dict]  # (year, ref, breakdown) -> definition
Series = dict[tuple[str, str], dict]  # (ref, breakdown) -> {period id: observation}


@cache
def _fy_of(period: str) -> str:
    return P.parse_period(period).fy


def follow(defs: Defs, obs: Series, fy: str) -> tuple[Defs, Series]:
    """``defs`` and ``obs`` as a report of ``fy`` sees them: for each of ``fy``'s KPIs (and
    their breakdowns), the previous year's periods and definition are those of the KPI it
    continues, under its own ref; none where it continues none.  Unchanged when the previous
    year's set is not loaded.  The inputs are not changed."""
    prev = P.fy_id(P.parse_fy(fy) - 1)
    kpis: dict[str, list[tuple[str, str]]] = {}
    for (year, ref, b), d in defs.items():
        if b == "" and year in (fy, prev):
            kpis.setdefault(year, []).append((ref, d.get("previous_ref") or ""))
    if prev not in kpis or fy not in kpis:
        return defs, obs
    continued = continuations(kpis[fy], [r for r, _ in kpis[prev]])
    breakdowns: dict[str, set[str]] = {}
    for ref, b in [*obs, *((r, b) for _, r, b in defs)]:
        breakdowns.setdefault(ref, set()).add(b)
    out_defs, out_obs = dict(defs), dict(obs)
    for ref, _ in kpis[fy]:
        earlier = continued.get(ref)
        if earlier == ref:  # kept: its own figures
            continue
        for b in breakdowns.get(ref, set()) | breakdowns.get(earlier, set()):
            series = {p: o for p, o in obs.get((ref, b), {}).items() if _fy_of(p) != prev}
            if earlier is not None:
                series.update((p, o) for p, o in obs.get((earlier, b), {}).items()
                              if _fy_of(p) == prev)
            out_obs[(ref, b)] = series
            if earlier is not None and (prev, earlier, b) in defs:
                out_defs[(prev, ref, b)] = {**defs[(prev, earlier, b)], "ref": ref}
            else:
                out_defs.pop((prev, ref, b), None)
    return out_defs, out_obs
