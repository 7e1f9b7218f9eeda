"""The council among its peers, for a report (pure; reporting rules 7.13 and 3.1).

:class:`Peers` indexes the benchmarks, groups and bodies a run read and the council's peer
settings (``body``, ``benchmark_group(s)``).  For a KPI with a catalogue ``metric`` it gives
the figures of the KPI's group for the latest period of the metric ending on or before a
moment (a report's period), the council's place among them (:mod:`kpilib.rules.peers`),
and the peer reference values status keys compare with.

The council's own figure is its row in the benchmarks (the same dataset, definition and
period as its peers'); without one it is not ranked, and the page says why.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from kpilib.rules import peers as R


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
        if bench is not None and len(bench):
            for body, metric, period, value in zip(bench["body"], bench["metric"],
                                                   bench["period"], bench["value"], strict=True):
                per = self.figures.setdefault(metric, {})
                if period not in per:
                    per[period] = (R.period_end(period), {})
                per[period][1][body] = float(value)

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
        return PeerView(d["ref"], d["metric"], group, period,
                        tuple((b, self.names.get(b, b), v) for b, v in best),
                        own if own in vals else "", st, d["polarity"])


def withhold_own(view: PeerView, why: str) -> PeerView:
    """A public edition's view where the council's own figure is withheld: its peers'
    figures only, with median and mean of theirs (so that neither places the withheld
    figure), and no rank or quartile."""
    others = {b: v for b, _, v in view.figures if b != view.own}
    st = R.standing(others, None, view.polarity, why)
    if st is None:
        return None
    return PeerView(view.ref, view.metric, view.group, view.period,
                    tuple(f for f in view.figures if f[0] != view.own), "", st, view.polarity,
                    True)


def views_frame(views: dict) -> pd.DataFrame:
    """One row per KPI with peers (for tests and exports): ref, group, period, n, median,
    mean, rank, quartile."""
    rows = [{"ref": v.ref, "group": v.group, "period": v.period, "n": v.standing.n,
             "median": v.standing.median, "mean": v.standing.mean,
             "rank": v.standing.rank_text, "quartile": v.standing.quartile_text}
            for v in views.values()]
    return pd.DataFrame(rows, columns=["ref", "group", "period", "n", "median", "mean", "rank",
                                       "quartile"])
