"""Statistical process control (NHS England's "Making Data Count"): XmR charts (pure).

For one KPI's series (its periods with a value, oldest first) :func:`analyse`
answers the two questions Making Data Count asks of every measure:

* **variation**: is the latest point special cause (improvement, concern or
  neutral) or common cause?
* **assurance**: will the process reliably hit the target (``pass``), reliably
  miss it (``fail``), or is it ``hit_and_miss``?

The rules, in docs/reporting-rules.md ("Statistical process control"):

* The series is split into groups at each rebase period; all that follows is
  computed within a group.  With a baseline of n points the mean and limits
  come from the group's first n points and are extended over the rest.
* Centre line: the mean.  Moving ranges |x(i) - x(i-1)|; those at or above
  3.267 x their mean are screened out once and the mean moving range MR is
  recomputed.  Process limits: mean +/- 2.66 MR; near lines: mean +/- (2/3) 2.66 MR.
  With MR = 0 (a constant series) the limits are undefined and every point is
  common cause.
* Special cause rules, first that applies wins (NHSRplotthedots' precedence,
  ``ptd_special_cause_type`` in R/ptd_calculate_point_type.R: outside limits, then
  7 point trend, then 2 in 3, then 7 points one side of the mean): (a) ``outside``:
  strictly outside a process limit; (b) ``trend``: a run of 7 or more points, each
  strictly above (below) the one before it in the run (a tie breaks the run), all
  flagged; (c) ``two_of_three``: in a window of 3 consecutive points all strictly
  on one side of the mean, at least 2 strictly beyond the near line on that side:
  those beyond it are flagged; (d) ``shift``: a run of 7 or more points strictly on
  one side of the mean (a point on the mean breaks it).
* A flagged point is "high" when above the mean, or for a trend when the trend
  rises (a point that ends one trend and starts another takes the direction of
  the one it starts); with polarity ``higher`` high is improvement and low
  concern, ``lower`` the reverse, ``none`` neutral.
* A series of fewer than ``min_points`` points (default 12) is computed but not
  charted: no limits or icons on the pages (:attr:`Analysis.charted`); a latest
  group of fewer than ``min_points`` points has trial limits (provisional).
* A group of one point (a series rebased at its last point) has no limits; its
  assurance is ``hit_and_miss``, as NHSRplotthedots gives it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SCREEN = 3.267  # moving ranges at or above SCREEN x MR are screened out
SIGMA3 = 2.66  # process limits: mean +/- SIGMA3 x MR
RUN = 7  # points in a trend or a shift
MIN_POINTS = 12  # points a series needs for limits and icons on the pages (configurable)
COMPUTED_FROM = 2  # one moving range: the least a series is analysed (and in spc.csv) with


@dataclass(frozen=True)
class Limits:
    mean: float
    mr: float  # mean moving range after screening (0: limits undefined)

    @property
    def defined(self) -> bool:
        return self.mr > 0

    @property
    def lower(self) -> float | None:
        return self.mean - SIGMA3 * self.mr if self.defined else None

    @property
    def upper(self) -> float | None:
        return self.mean + SIGMA3 * self.mr if self.defined else None

    @property
    def near_lower(self) -> float | None:
        return self.mean - 2 / 3 * SIGMA3 * self.mr if self.defined else None

    @property
    def near_upper(self) -> float | None:
        return self.mean + 2 / 3 * SIGMA3 * self.mr if self.defined else None


@dataclass(frozen=True)
class Point:
    period: str
    value: float
    limits: Limits
    group: int
    rule: str  # "outside", "trend", "two_of_three", "shift" or ""
    point: str  # "common_cause", "improvement", "concern" or "neutral"
    high: bool | None  # for a special cause point: high (True) or low (False)


@dataclass(frozen=True)
class Analysis:
    points: tuple[Point, ...]
    variation: str  # "", "common_cause", "improvement_high", ..., "neutral_low"
    assurance: str  # "", "pass", "fail", "hit_and_miss"
    provisional: bool  # the latest group has fewer than ``min_points`` points (trial limits)
    min_points: int = MIN_POINTS  # the council's minimum for an XmR chart

    @property
    def computed(self) -> bool:
        """Analysed: at least one moving range (the analysis is in ``spc.csv``)."""
        return len(self.points) >= COMPUTED_FROM

    @property
    def charted(self) -> bool:
        """Enough points for an XmR chart, its limits and icons on the pages."""
        return self.computed and len(self.points) >= self.min_points

    @property
    def note(self) -> str:
        """What the pages say of the limits, in words: why there are none (too few points),
        or that they are trial limits; "" otherwise (and for a series with no points)."""
        if not self.points:
            return ""
        if not self.charted:
            return (f"Too few points for control limits: {len(self.points)} of "
                    f"{self.min_points} needed.")
        if self.provisional:
            n = sum(1 for p in self.points if p.group == self.points[-1].group)
            return (f"The control limits are provisional (trial limits): {n} of "
                    f"{self.min_points} points since the series was last rebased.")
        return ""


def moving_ranges(values: Sequence[float]) -> list[float]:
    return [abs(b - a) for a, b in zip(values, values[1:])]


def limits(values: Sequence[float], screen: bool = True) -> Limits:
    """Mean and mean moving range of ``values`` (at least one value)."""
    mean = sum(values) / len(values)
    mrs = moving_ranges(values)
    if not mrs:
        return Limits(mean, 0.0)
    mr = sum(mrs) / len(mrs)
    if screen and mr > 0:
        kept = [m for m in mrs if m < SCREEN * mr]
        mr = sum(kept) / len(kept) if kept else 0.0
    return Limits(mean, mr)


def groups(periods: Sequence[str], rebase: Sequence[str] = ()) -> list[range]:
    """Index ranges of the groups: a new group starts at each rebase period (or at the
    first period after it, when the rebase period itself has no value)."""
    starts = {0}
    marks = sorted(set(rebase))
    for mark in marks:
        for i, p in enumerate(periods):
            if p >= mark:
                if i > 0:
                    starts.add(i)
                break
    edges = sorted(starts) + [len(periods)]
    return [range(a, b) for a, b in zip(edges, edges[1:]) if b > a]


def _runs(flags: Sequence[bool]) -> list[range]:
    """Maximal runs of True in ``flags``."""
    out, start = [], None
    for i, f in enumerate([*flags, False]):
        if f and start is None:
            start = i
        elif not f and start is not None:
            out.append(range(start, i))
            start = None
    return out


def _trend(values: Sequence[float]) -> dict[int, bool]:
    """Points in a trend of RUN or more points -> rising (True) or falling (False).

    A point in two trends (the last of a falling run and the first of a rising one, or the
    reverse) takes the direction of the step after it, as NHSRplotthedots does ("if a
    point is part of a trend either side, use right side", ``ptd_special_cause_type``).
    """
    left: dict[int, bool] = {}  # point -> direction of the trend step into it
    right: dict[int, bool] = {}  # point -> direction of the trend step out of it
    for rising in (True, False):
        steps = [(b > a) if rising else (b < a) for a, b in zip(values, values[1:])]
        for run in _runs(steps):  # run of steps i..j: points i..j+1
            if len(run) + 1 >= RUN:
                right.update(dict.fromkeys(run, rising))
                left.update(dict.fromkeys(range(run.start + 1, run.stop + 1), rising))
    return {**left, **right}


def _shift(values: Sequence[float], mean: float) -> set[int]:
    out: set[int] = set()
    for side in (1, -1):
        for run in _runs([(v - mean) * side > 0 for v in values]):
            if len(run) >= RUN:
                out.update(run)
    return out


def _two_of_three(values: Sequence[float], lim: Limits) -> set[int]:
    out: set[int] = set()
    for i in range(len(values) - 2):
        window = values[i:i + 3]
        for above in (True, False):
            same_side = all((v > lim.mean) if above else (v < lim.mean) for v in window)
            beyond = [i + k for k, v in enumerate(window)
                      if (v > lim.near_upper if above else v < lim.near_lower)]
            if same_side and len(beyond) >= 2:
                out.update(beyond)
    return out


def _kind(high: bool, polarity: str) -> str:
    if polarity == "higher":
        return "improvement" if high else "concern"
    if polarity == "lower":
        return "concern" if high else "improvement"
    return "neutral"


def _group_points(periods, values, rng: range, baseline: int | None, polarity: str,
                  gid: int) -> list[Point]:
    vals = [values[i] for i in rng]
    base = vals[:baseline] if baseline else vals
    lim = limits(base)
    if not lim.defined:
        return [Point(periods[i], values[i], lim, gid, "", "common_cause", None) for i in rng]
    trend = _trend(vals)
    shift = _shift(vals, lim.mean)
    two = _two_of_three(vals, lim)
    out = []
    for k, i in enumerate(rng):
        v = vals[k]
        # one rule named per point, in NHSRplotthedots' order (ptd_special_cause_type,
        # R/ptd_calculate_point_type.R): outside > trend > two_of_three > shift.  (Its
        # 2 in 3 counts only points between the near line and the limit; Making Data
        # Count's tools since 2023 count points beyond the limit too, as this does.)
        if v > lim.upper or v < lim.lower:
            rule, high = "outside", v > lim.mean
        elif k in trend:
            rule, high = "trend", trend[k]
        elif k in two:
            rule, high = "two_of_three", v > lim.mean
        elif k in shift:
            rule, high = "shift", v > lim.mean
        else:
            out.append(Point(periods[i], v, lim, gid, "", "common_cause", None))
            continue
        out.append(Point(periods[i], v, lim, gid, rule, _kind(high, polarity), high))
    return out


def variation(latest: Point, polarity: str) -> str:
    """The variation icon of a series from its latest point."""
    if latest.point == "common_cause":
        return "common_cause"
    side = "high" if latest.high else "low"
    return f"{latest.point}_{side}"


def assurance(lim: Limits, target: float | None, polarity: str, single: bool = False) -> str:
    """``pass``, ``fail`` or ``hit_and_miss`` against the latest group's limits; ``""``
    where it does not apply (no target, no polarity, undefined limits of a constant group).

    ``single``: the latest group is one point (the series was rebased at its last point).
    NHSRplotthedots computes that group's limits as NaN (the mean of no moving range) and
    ``ptd_calculate_assurance_type`` (R/ptd_calculate_assurance_type.R) then finds neither
    ``target > upl`` nor ``target < lpl`` true, so its ``case_when`` falls through to
    ``"inconsistent"``: hit and miss, as given here."""
    if target is None or polarity not in ("higher", "lower"):
        return ""
    if single:
        return "hit_and_miss"
    if not lim.defined:
        return ""
    if target > lim.upper:
        return "fail" if polarity == "higher" else "pass"
    if target < lim.lower:
        return "pass" if polarity == "higher" else "fail"
    return "hit_and_miss"


def analyse(periods: Sequence[str], values: Sequence[float], polarity: str,
            target: float | None = None, rebase: Sequence[str] = (),
            baseline: int | None = None, min_points: int = MIN_POINTS) -> Analysis:
    """The XmR analysis of one series (periods with a value, oldest first).  Computed from
    two points; ``charted`` (limits and icons on the pages) from ``min_points``."""
    if len(values) != len(periods):
        raise ValueError("periods and values differ in length")
    if not values:
        return Analysis((), "", "", True, min_points)
    points: list[Point] = []
    grs = groups(periods, rebase)
    for gid, rng in enumerate(grs):
        points += _group_points(periods, values, rng, baseline, polarity, gid)
    latest = points[-1]
    if len(points) < COMPUTED_FROM:
        return Analysis(tuple(points), "", "", True, min_points)
    return Analysis(tuple(points), variation(latest, polarity),
                    assurance(latest.limits, target, polarity, single=len(grs[-1]) == 1),
                    len(grs[-1]) < min_points, min_points)


# ---------------------------------------------------------------- natural bounds

def natural_bounds(unit: str, values: Sequence[float]) -> tuple[float | None, float | None]:
    """The range a KPI's figures can take, from its unit: a percentage 0 to 100, a count 0
    or more; no bound for other units.  A bound the series itself goes beyond (a count
    that is a net change and falls below 0) is not one, and is dropped."""
    lo, hi = {"percent": (0.0, 100.0), "count": (0.0, None)}.get(unit, (None, None))
    if lo is not None and any(v < lo for v in values):
        lo = None
    if hi is not None and any(v > hi for v in values):
        hi = None
    return lo, hi


def clip(x: float | None, bounds: tuple[float | None, float | None]) -> float | None:
    """``x`` drawn within ``bounds`` (a limit below 0 at 0); None stays None."""
    if x is None or x != x:
        return x
    lo, hi = bounds
    if lo is not None and x < lo:
        return lo
    if hi is not None and x > hi:
        return hi
    return x
