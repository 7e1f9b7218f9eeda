"""Annotations of a report's KPIs (reporting rules 7.15; pure): the notes ``kpi load
annotations`` stored, by KPI, each on a period of the KPI's own frequency, and the periods
from which a note marked ``rebase: yes`` recalculates the KPI's SPC limits.

A note's period is a month or a quarter; on a quarterly KPI a month's note is on the
quarter that holds it, on a monthly KPI a quarter's note on the quarter's first month.
"""

from __future__ import annotations

from dataclasses import dataclass

from kpilib.rules import periods as P


@dataclass(frozen=True)
class Note:
    period: str  # a month or quarter id of the KPI's own frequency
    text: str
    rebase: bool = False


def on_frequency(period: str, frequency: str) -> str:
    """``period`` as a period of a KPI of ``frequency`` (monthly: a month id; else a
    quarter id)."""
    per = P.parse_period(period)
    if frequency == "monthly":
        return per.months[0]
    return per.id if per.kind == "quarter" else P.quarter_of_month(per.id)


def index(frame) -> dict[str, tuple[tuple[str, str, bool], ...]]:
    """ref -> (period, text, rebase) of each stored note, in period order."""
    out: dict[str, list] = {}
    if frame is None or not len(frame):
        return {}
    for ref, period, text, rebase in zip(frame["ref"], frame["period"], frame["text"],
                                         frame["rebase"], strict=True):
        out.setdefault(ref, []).append((period, text, rebase == "yes"))
    return {ref: tuple(sorted(notes)) for ref, notes in out.items()}


def notes_for(stored: dict, ref: str, frequency: str) -> tuple[Note, ...]:
    """The KPI's notes, each on a period of its frequency (in period order)."""
    return tuple(sorted(Note(on_frequency(p, frequency), t, r)
                        for p, t, r in stored.get(ref, ())))


def rebase_periods(notes: tuple[Note, ...]) -> tuple[str, ...]:
    """The periods the notes marked ``rebase`` start a new SPC group at."""
    return tuple(n.period for n in notes if n.rebase)
