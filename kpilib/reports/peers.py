"""The council among its peers, for a report (pure; reporting rules 7.13 and 3.1).

:class:`Peers` indexes the benchmarks, groups and bodies a run read and the council's peer
settings (``body``, ``benchmark_group(s)``).  For a KPI with a catalogue ``metric`` it gives
the figures of the KPI's group for the latest period of the metric ending on or before a
moment (a report's period), the council's place among them (:mod:`kpilib.rules.peers`),
and the peer reference values status keys compare with.

The council's own figure is its row in the benchmarks (the same dataset, definition and
period as its peers'); without one it is not ranked, and the page says why.

Where the group's figures carry their numerators and denominators and the KPI is a
percentage (a proportion) or a rate, the view also has the group's funnel
(:mod:`kpilib.rules.funnel`): each body's figure against control limits by denominator.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, replace

import pandas as pd

from kpilib.rules import funnel as F
from kpilib.rules import peers as R

FUNNEL_KINDS = {"percent": "proportion", "rate": "rate"}  # a KPI's unit -> its funnel's kind


@dataclass(frozen=True)
class FunnelView:
    """A group's funnel on a KPI's page: the figures' scale (100 for a percentage; a
    rate's per-N, e.g. 1,000), the funnel, the bodies' names, and those of the group with
    a figure but no numerator and denominator (not on the plot)."""

    scale: float
    funnel: F.FunnelResult
    names: dict
    own: str  # the council's code ("" where its point is not shown)
    left_out: tuple[str, ...] = ()


@dataclass(frozen=True)
class PeerView:
    """What a KPI's page shows about its peers."""

    ref: str
    metric: str
    group: str
    period: str
    figures: tuple[tuple[str, str, float], ...]  # (code, name, value), best first
    own: str  # the council's code ("" where its figure is not shown)
    standing: R.Standing
    polarity: str
    withheld: bool = False  # a public edition withholds the council's own figure
    counts: tuple[tuple[str, float, float], ...] = ()  # (code, numerator, denominator)
    funnel: FunnelView | None = None
    funnel_reason: str = ""  # why a group with counts has no funnel


class Peers:
    """The peer figures of one build, indexed (all lookups pure)."""

    def __init__(self, extras: dict, settings=None):
        self.settings = settings
        bench = extras.get("benchmarks")
        groups = extras.get("groups")
        bodies = extras.get("bodies")
        self.members: dict[str, set[str]] = defaultdict(set)
        for g, b in ([] if groups is None else zip(groups["group"], groups["body"],
                                                   strict=True)):
            self.members[g].add(b)
        self.names = ({} if bodies is None else
                      dict(zip(bodies["body"], bodies["name"], strict=True)))
        # metric -> period -> (end month, {body: value})
        self.figures: dict[str, dict[str, tuple[str, dict[str, float]]]] = {}
        # (metric, period) -> {body: (numerator, denominator)}, where both are given
        self.counts: dict[tuple[str, str], dict[str, tuple[float, float]]] = defaultdict(dict)
        if bench is not None and len(bench):
            nums = bench["numerator"] if "numerator" in bench else [None] * len(bench)
            dens = bench["denominator"] if "denominator" in bench else [None] * len(bench)
            for body, metric, period, value, num, den in zip(
                    bench["body"], bench["metric"], bench["period"], bench["value"], nums,
                    dens, strict=True):
                per = self.figures.setdefault(metric, {})
                if period not in per:
                    per[period] = (R.period_end(period), {})
                per[period][1][body] = float(value)
                if _given(num) and _given(den):
                    self.counts[metric, period][body] = (float(num), float(den))

    @property
    def active(self) -> bool:
        return self.settings is not None and self.settings.active and bool(self.figures)

    def group_figures(self, ref: str, metric: str, end_month: str
                      ) -> tuple[str, str, dict[str, float]] | None:
        """(group, period, {body: value}) of the KPI's group for the latest period of
        ``metric`` ending by ``end_month``; None where there is none."""
        if not self.active or not metric:
            return None
        group = self.settings.group_of(ref)
        members = self.members.get(group, set())
        periods = [(end, p, vals) for p, (end, vals) in self.figures.get(metric, {}).items()
                   if end <= end_month and members & vals.keys()]
        if not periods:
            return None
        _, period, vals = max(periods)
        return group, period, {b: v for b, v in vals.items() if b in members}

    def references(self, d: dict, end_month: str, names: tuple[str, ...]) -> dict:
        """The peer reference values ``names`` for a KPI's cell (None where absent; a
        breakdown has none: peers publish totals)."""
        got = None if d.get("breakdown") else self.group_figures(d["ref"], d.get("metric", ""),
                                                                 end_month)
        if got is None:
            return dict.fromkeys(names)
        return R.references(got[2], d["polarity"], names)

    def view(self, d: dict, end_month: str) -> PeerView | None:
        """What the KPI's page shows about its peers (None: no peer figures)."""
        got = self.group_figures(d["ref"], d.get("metric", ""), end_month)
        if got is None:
            return None
        group, period, vals = got
        own = self.settings.body
        st = R.standing(vals, own, d["polarity"],
                        "no figure of the council's own in the peer figures for " + period)
        best = R.ordered(vals, d["polarity"])
        counts = self.counts.get((d["metric"], period), {})
        view = PeerView(d["ref"], d["metric"], group, period,
                        tuple((b, self.names.get(b, b), v) for b, v in best),
                        own if own in vals else "", st, d["polarity"],
                        counts=tuple((b, *counts[b]) for b in sorted(vals) if b in counts))
        return with_funnel(view, d.get("unit", ""), self.names)


def _given(v) -> bool:
    return v is not None and v != "" and not (isinstance(v, float) and math.isnan(v))


def funnel_scale(unit: str, figures, counts) -> float:
    """What a numerator over its denominator is multiplied by to give the published figure:
    100 for a percentage; for a rate the power of ten most bodies' figures show (a rate
    per 1,000 people: 1,000)."""
    if unit == "percent":
        return 100.0
    value = {b: v for b, _, v in figures}
    seen: dict[float, int] = {}
    for b, num, den in counts:
        if num > 0 and value.get(b, 0) > 0:
            power = 10.0 ** round(math.log10(value[b] * den / num))
            seen[power] = seen.get(power, 0) + 1
    return max(sorted(seen), key=lambda p: seen[p]) if seen else 1.0


def funnel_view(unit: str, figures, counts, names: dict, own: str = ""
                ) -> tuple[FunnelView | None, str]:
    """A group's funnel from its bodies' ``counts`` ((code, numerator, denominator)) and
    published ``figures`` ((code, name, value)): the view, or None and why not (fewer than
    2 bodies with counts, or counts that cannot be placed); (None, "") for a KPI that is
    neither a percentage nor a rate."""
    kind = FUNNEL_KINDS.get(unit)
    if kind is None:
        return None, ""
    if len(counts) < 2:
        return None, "no funnel plot: fewer than 2 bodies with a numerator and denominator"
    try:
        result = F.funnel(counts, kind)
    except F.FunnelError as e:
        return None, f"no funnel plot: {e}"
    have = {c[0] for c in counts}
    return FunnelView(funnel_scale(unit, figures, counts), result,
                      {b: names.get(b, b) for b in have}, own if own in have else "",
                      tuple(name for b, name, _ in figures if b not in have)), ""


def with_funnel(view: PeerView, unit: str, names: dict) -> PeerView:
    """``view`` with its group's funnel where two or more of its bodies have a numerator
    and denominator and the KPI is a percentage or a rate (else with the reason, or
    none)."""
    if FUNNEL_KINDS.get(unit) is None or not view.counts:
        return view
    shown = {b for b, _, _ in view.figures}
    funnel, why = funnel_view(unit, view.figures, [c for c in view.counts if c[0] in shown],
                              names, view.own)
    return replace(view, funnel=funnel, funnel_reason=why)


def withhold_own(view: PeerView, why: str) -> PeerView:
    """A public edition's view where the council's own figure is withheld: its peers'
    figures only, with median and mean of theirs (so that neither places the withheld
    figure), and no rank or quartile."""
    others = {b: v for b, _, v in view.figures if b != view.own}
    st = R.standing(others, None, view.polarity, why)
    if st is None:
        return None
    kept = replace(view, figures=tuple(f for f in view.figures if f[0] != view.own), own="",
                   standing=st, withheld=True,
                   counts=tuple(c for c in view.counts if c[0] != view.own))
    if view.funnel is None:  # the peers' funnel: its target is of their figures alone
        return kept
    unit = next(u for u, k in FUNNEL_KINDS.items() if k == view.funnel.funnel.kind)
    return with_funnel(kept, unit, view.funnel.names)


def views_frame(views: dict) -> pd.DataFrame:
    """One row per KPI with peers (for tests and exports): ref, group, period, n, median,
    mean, rank, quartile."""
    rows = [{"ref": v.ref, "group": v.group, "period": v.period, "n": v.standing.n,
             "median": v.standing.median, "mean": v.standing.mean,
             "rank": v.standing.rank_text, "quartile": v.standing.quartile_text}
            for v in views.values()]
    return pd.DataFrame(rows, columns=["ref", "group", "period", "n", "median", "mean", "rank",
                                       "quartile"])


def funnel_frame(views: dict) -> pd.DataFrame:
    """One row per body on a KPI's funnel plot (for tests and exports): ref, body,
    numerator, denominator, figure (in the KPI's unit), target, the body's 95% and 99.8%
    limits (in the KPI's unit) and where it lies (``above_998``... or empty)."""
    cols = ["ref", "body", "numerator", "denominator", "figure", "target", "lower95",
            "upper95", "lower998", "upper998", "outside"]
    rows = []
    for v in views.values():
        if v.funnel is None:
            continue
        k, f = v.funnel.scale, v.funnel.funnel
        rows += [{"ref": v.ref, "body": p.body, "numerator": p.numerator,
                  "denominator": p.denominator, "figure": k * p.figure, "target": k * f.target,
                  "lower95": k * p.limits.lower95, "upper95": k * p.limits.upper95,
                  "lower998": k * p.limits.lower998, "upper998": k * p.limits.upper998,
                  "outside": p.outside} for p in f.points]
    return pd.DataFrame(rows, columns=cols)
