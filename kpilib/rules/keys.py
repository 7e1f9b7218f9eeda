"""Status keys as data (reporting rules section 3): what a key is, and how it rates a value.

A *status key* is a council's RAG key written as configuration (``status_keys:`` in
``council.yaml``; kpilib's own schemes are shipped in the same language, see
``kpilib/keys/builtin.yaml``).  It has

* **statuses**: label, colour, symbol, chart marker, whether an action is required,
  whether it is set by judgement only (an override), the words a summary uses for it,
  and whether it means "on target or better";
* **reserved states**, checked first: no value, target under review, no target, too
  little history (``min_history`` periods), each naming the status it gives;
* **bands**, ordered, first match wins: each names a status and the conditions a value
  must meet, each comparing the value with a named *reference value* (target, floor,
  baseline, a second target, a rolling average...) by the KPI's polarity, and
  optionally a direction of travel or an SPC signal.  A band with no condition matches
  everything (the "otherwise" of a key).

Everything here is pure: the key is a value, and :func:`rate` is a function of the key and
the facts of one cell.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from kpilib.rules.peers import PEER_REFERENCE

_DP = 9  # compare after rounding to 9 places: 97.5 - 4.875 is exactly 5% worse


def _r(x: float) -> float:
    return round(x, _DP)


def margin(value: float, reference: float, polarity: str) -> float:
    """How much better than ``reference`` ``value`` is (negative: worse)."""
    return value - reference if polarity == "higher" else reference - value


RESERVED = ("no_value", "not_due", "carried_over", "incomplete", "review", "no_target",
            "too_little_history")
# the returns statuses (reporting rules 7.2) whose cells the reserved state of that name rates
RETURN_STATES = ("not_due", "carried_over")
OUTCOMES = ("better", "same", "worse")
SPC_KINDS = ("improvement", "concern", "neutral", "common_cause")
TAKES = ("smaller", "larger")


@dataclass(frozen=True)
class Status:
    """One status of a key, as the pages show it."""

    label: str
    symbol: str
    colour: str  # #rrggbb, the badge's background
    text_colour: str = "#ffffff"  # the badge's text (checked for 4.5:1 contrast)
    marker: str = "circle"  # the chart marker of a point with this status
    action: bool = False  # an exception: listed with its commentary on the overview
    judgement: bool = False  # set only by an override (kpi load overrides)
    meets: bool = False  # means "on target or better" (summaries may say so)
    words: str = ""  # the summary's phrase: "are on target or better"; empty: "are <label>"


@dataclass(frozen=True)
class Margin:
    """How far a value may be from a reference: a percentage of the reference, an absolute
    amount, the smaller or larger of both, or the KPI's own ``tolerance`` column."""

    percent: float | None = None
    absolute: float | None = None
    take: str = ""  # "smaller" | "larger" when both are given
    tolerance: bool = False

    def allowance(self, reference: float) -> float:
        """The margin in the value's own unit."""
        parts = []
        if self.percent is not None:
            parts.append(self.percent / 100.0 * abs(reference))
        if self.absolute is not None:
            parts.append(self.absolute)
        if not parts:
            return 0.0
        return max(parts) if self.take == "larger" else min(parts)


ZERO = Margin(absolute=0.0)


@dataclass(frozen=True)
class TravelCondition:
    """A band's condition on the direction of travel against a baseline."""

    baseline: str = "previous_period"
    outcomes: tuple[str, ...] = ()
    periods: int = 0  # a rolling average's number of periods


@dataclass(frozen=True)
class Band:
    """``status`` applies when every condition given holds (none given: always)."""

    status: str
    reference: str = "target"
    figure: str = ""  # the figure compared: "" the cell's value, or a reference (a forecast)
    within: Margin | None = None  # no more than this worse than the reference
    beyond: Margin | None = None  # more than this better than the reference
    short_of: Margin | None = None  # worse than the reference by more than this
    travel: TravelCondition | None = None
    spc: tuple[str, ...] = ()  # the SPC point of the column's last period is one of these

    @functools.cached_property
    def compares(self) -> bool:
        """Whether the band compares a figure with its reference."""
        return self.within is not None or self.beyond is not None or self.short_of is not None

    @property
    def conditional(self) -> bool:
        return any(x is not None for x in (self.within, self.beyond, self.short_of,
                                           self.travel)) or bool(self.spc)


@dataclass(frozen=True)
class StatusKey:
    """A council's key: its statuses, reserved states and bands."""

    id: str
    name: str
    statuses: tuple[Status, ...]
    bands: tuple[Band, ...]
    reserved: Mapping[str, str] = field(default_factory=dict)
    default_tolerance: Margin = field(default_factory=lambda: Margin(percent=5.0))
    min_history: int = 0
    references: tuple[str, ...] = ()  # reference values loaded with targets (forecast...)
    comparators: Mapping[str, str] = field(default_factory=dict)  # name -> comparator group

    def status(self, label: str) -> Status | None:
        return next((s for s in self.statuses if s.label == label), None)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(s.label for s in self.statuses)

    @functools.cached_property
    def uses_spc(self) -> bool:
        return any(b.spc for b in self.bands)

    @functools.cached_property
    def uses_travel(self) -> bool:
        return any(b.travel is not None for b in self.bands)

    def uses(self) -> set[str]:
        """The reference values the bands compare with (or compare)."""
        return ({b.reference for b in self.bands if b.within or b.beyond or b.short_of}
                | {b.figure for b in self.bands if b.figure})

    @functools.cached_property
    def rolling(self) -> tuple[tuple[str, int], ...]:
        """The rolling averages the bands use: (name, number of periods)."""
        return tuple(sorted((n, int(n.rsplit("_", 1)[1])) for n in self.uses()
                            if n.startswith("rolling_average_")))

    @functools.cached_property
    def peer_references(self) -> tuple[str, ...]:
        """The peer reference values the bands use (``quartile_1``, ``rank_8``...)."""
        return tuple(sorted(n for n in self.uses() if PEER_REFERENCE.match(n)))

    @functools.cached_property
    def rated_against(self) -> str | None:
        """The reference of the first band that compares (usually the target), if any."""
        return next((b.reference for b in self.bands if b.within or b.beyond or b.short_of),
                    None)


@dataclass(frozen=True)
class Facts:
    """What a key rates one cell with.

    value : the cell's figure (None: no value).
    polarity : ``higher``, ``lower`` or ``none``.
    references : name -> number (or ``"review"`` for the target, None when absent).
    tolerance : the KPI's parsed ``tolerance`` cell (:class:`kpilib.rules.targets.Tolerance`).
    travel : callable(TravelCondition) -> outcome (``better``/``same``/``worse``) or None.
    spc : the SPC point kind of the column's last period, or "".
    history : how many periods of the series have a value, up to the column's last.
    """

    value: float | None
    polarity: str
    references: Mapping[str, float | str | None]
    tolerance: object = None
    travel: object = None
    spc: str = ""
    history: int = 0
    state: str = ""  # a return's status that is a reserved state: not_due, carried_over;
    #                  ``incomplete``: a figure lacking a period its measure needs


def _within(m: Margin, value: float, ref: float, polarity: str, facts: Facts,
            key: StatusKey) -> bool:
    gap = _r(margin(value, ref, polarity))  # > 0 better, < 0 worse
    if gap >= 0:
        return True
    if m is ZERO:
        return False
    if m.tolerance:
        return _within_tolerance(value, ref, polarity, facts.tolerance, key)
    if m.percent is not None and m.absolute is None:  # relative to the reference
        if ref == 0:
            return False
        return _r(gap / abs(ref)) >= -m.percent / 100.0
    return -gap <= _r(m.allowance(ref))


def _within_tolerance(value: float, ref: float, polarity: str, tol, key: StatusKey) -> bool:
    """The KPI's own ``tolerance`` cell: ``5%`` of the reference, ``5pp``, a band ``85-90``
    (the value inside it), ``none``, or empty (the key's ``default_tolerance``)."""
    shortfall = _r(-margin(value, ref, polarity))
    kind = getattr(tol, "kind", "default") if tol is not None else "default"
    if kind == "none":
        return shortfall <= 0
    if kind == "band":
        return _r(tol.low) <= _r(value) <= _r(tol.high)
    if kind == "pp":
        return shortfall <= _r(tol.value)
    if kind == "percent":
        return shortfall <= _r(tol.value / 100.0 * abs(ref))
    return shortfall <= _r(key.default_tolerance.allowance(ref))


def _beyond(m: Margin, value: float, ref: float, polarity: str) -> bool:
    gap = margin(value, ref, polarity)
    if m.percent is not None and m.absolute is None:
        if ref == 0:
            return _r(gap) > 0
        return _r(gap / abs(ref)) > m.percent / 100.0
    return _r(gap) > _r(m.allowance(ref))


def _matches(band: Band, facts: Facts, key: StatusKey) -> bool:
    value, polarity = facts.value, facts.polarity
    if band.figure:  # e.g. the projected year-end outturn against the target
        value = facts.references.get(band.figure)
        if value is None or isinstance(value, str):
            return False
    if band.compares:
        ref = facts.references.get(band.reference)
        if ref is None or isinstance(ref, str) or polarity not in ("higher", "lower"):
            return False  # a reference the KPI does not have: the band does not apply
        if band.within and not _within(band.within, value, ref, polarity, facts, key):
            return False
        if band.beyond and not _beyond(band.beyond, value, ref, polarity):
            return False
        if band.short_of and _within(band.short_of, value, ref, polarity, facts, key):
            return False
    if band.travel is not None:
        outcome = facts.travel(band.travel) if facts.travel is not None else None
        if outcome not in band.travel.outcomes:
            return False
    if band.spc and facts.spc not in band.spc:
        return False
    return True


def rate(key: StatusKey, facts: Facts) -> str:
    """The label of the status ``key`` gives the cell ``facts`` describe ("" when a state
    the key does not rate applies)."""
    value = facts.value
    if facts.state in RETURN_STATES:
        return key.reserved.get(facts.state, "")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return key.reserved.get("no_value", "")
    target = facts.references.get("target")
    if target == "review":
        return key.reserved.get("review", "")
    if key.min_history and facts.history < key.min_history:
        return key.reserved.get("too_little_history", "")
    if not _rated(key, facts):
        return key.reserved.get("no_target", "")
    if facts.state == "incomplete":  # a figure lacking a period: never rated as if complete
        return key.reserved.get("incomplete", "")
    for band in key.bands:
        if _matches(band, facts, key):
            return band.status
    return ""


def _rated(key: StatusKey, facts: Facts) -> bool:
    """Whether the KPI has what the key rates against: a polarity and the reference of its
    first band that compares (usually the target); a key whose bands compare with nothing
    (SPC signals, judgement) rates every KPI, polarity none included."""
    first = key.rated_against
    if first is None:
        return True
    ref = facts.references.get(first)
    return facts.polarity in ("higher", "lower") and ref is not None \
        and not isinstance(ref, str)
