"""NEW and Removed markers of a year's KPI set against the previous year's (Kent's QPR marks
"(NEW)" and "(Removed)" indicators).  Pure.

A KPI is NEW when neither its ref nor any ref its ``previous_ref`` names is in the previous
year's set.  A previous year's KPI is Removed when it is neither kept (the same ref this
year) nor named by any of this year's ``previous_ref`` (renumbered, merged or split).
Without a previous year's set (a council's first year in kpilib) there are no markers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

NEW, REMOVED = "NEW", "Removed"
FIRST_YEAR_NOTE = ("No NEW or Removed markers: the {previous} KPI set is not loaded, so this "
                   "year's KPIs cannot be compared with last year's.")


def previous_refs(text: str) -> tuple[str, ...]:
    """The refs a ``previous_ref`` cell names (``;``-separated; empty: none)."""
    return tuple(r.strip() for r in str(text or "").split(";") if r.strip())


@dataclass(frozen=True)
class Markers:
    """``new``: this year's refs marked NEW; ``removed``: the previous year's refs that are
    gone, in the previous year's order; ``compared``: False when there was no previous
    year's set (then both are empty)."""

    new: frozenset[str]
    removed: tuple[str, ...]
    compared: bool


def markers(current: Sequence[tuple[str, str]], previous: Iterable[str] | None) -> Markers:
    """NEW and Removed KPIs.

    Parameters
    ----------
    current : this year's KPIs, (ref, previous_ref text) each, in catalogue order.
    previous : the previous year's refs in catalogue order, or None when that year's set is
        not loaded (no markers).
    """
    if previous is None:
        return Markers(frozenset(), (), False)
    before = list(dict.fromkeys(previous))
    known = set(before)
    new, carried = set(), set()
    for ref, prev in current:
        links = {ref, *previous_refs(prev)} & known
        if not links:
            new.add(ref)
        carried |= links
    return Markers(frozenset(new), tuple(r for r in before if r not in carried), True)


def links(current: Sequence[tuple[str, str]], previous: Iterable[str]) -> dict[str, list[str]]:
    """Each of this year's KPIs' earlier refs, among ``previous``: those its ``previous_ref``
    names, else its own ref unless another KPI's ``previous_ref`` claims it (the number was
    given to a different KPI); none for a new KPI."""
    known = set(previous)
    claimed = {r for _, prev in current for r in previous_refs(prev)}
    out = {}
    for ref, prev in current:
        named = previous_refs(prev)
        own = () if named or ref in claimed else (ref,)
        out[ref] = [r for r in dict.fromkeys(named or own) if r in known]
    return out


def continuations(current: Sequence[tuple[str, str]], previous: Iterable[str]) -> dict[str, str]:
    """The previous year's KPI each of this year's KPIs continues alone: ``{ref: earlier
    ref}`` for a KPI kept (same ref) or renumbered (``previous_ref`` naming one ref), when
    no other KPI of the year continues that one too (:func:`links`).  A merged KPI (several
    earlier refs), the parts of a split one (an earlier ref shared) and a new KPI continue
    none: their earlier figures, if any, are not theirs.
    """
    linked = links(current, previous)
    heirs: dict[str, int] = {}
    for refs in linked.values():
        for r in refs:
            heirs[r] = heirs.get(r, 0) + 1
    return {ref: refs[0] for ref, refs in linked.items()
            if len(refs) == 1 and heirs[refs[0]] == 1}
