"""A KPI among its peers on its page (reporting rules 7.13): the group's median and
average, the council's rank and quartile, and a small chart of the group's figures, best
first, the council's bar dark, outlined and marked ``▶`` (not by colour alone), with a text
alternative that says the same, and the group's funnel plot where its figures have
numerators and denominators (:mod:`kpilib.render.funnel`) (values for
``fragments/peers.html.j2``)."""

from __future__ import annotations

from kpilib.render import templates
from kpilib.render.funnel import funnel_block
from kpilib.reports.peers import PeerView
from kpilib.rules.formats import format_value

PEERS_WITHHELD = ("This edition withholds the council's own figure for this period, so it "
                  "shows its peers' figures only: no rank or quartile, and the median and "
                  "average are of the peers alone.")
BAR_WIDTH = 200  # the longest bar, of the chart's 400 units


def summary(view: PeerView, unit: str, decimals: int | None, council: str = "") -> str:
    """The chart's text alternative: every body's figure, best first, and the council's
    place."""
    polarity = {"higher": "highest first", "lower": "lowest first"}.get(view.polarity,
                                                                       "highest first")
    figures = "; ".join(f"{name}{' (this council)' if code == view.own else ''} "
                        f"{format_value(v, unit, decimals)}" for code, name, v in view.figures)
    place = (f" This council is {view.standing.rank_text}, {view.standing.quartile_text}."
             if view.own and view.standing.rank is not None else "")
    return (f"Figures of {view.group} for {view.period}, {polarity} (best first): {figures}."
            + place)


def peers_block(view: PeerView | None, unit: str, decimals: int | None,
                withheld: str = "") -> str:
    """The KPI's peers section ("" where it has none)."""
    if view is None:
        return ""
    top = max((abs(v) for _, _, v in view.figures), default=0) or 1
    bars = [{"name": name, "value": format_value(v, unit, decimals),
             "width": round(BAR_WIDTH * abs(v) / top, 1), "own": code == view.own}
            for code, name, v in view.figures]
    st = view.standing
    return templates.render("peers", peers={
        "group": view.group, "period": view.period, "n": st.n,
        "median": format_value(st.median, unit, decimals),
        "mean": format_value(st.mean, unit, decimals),
        "rank": st.rank_text, "quartile": st.quartile_text, "bars": bars,
        "summary": summary(view, unit, decimals), "withheld": withheld,
        "funnel": templates.safe(funnel_block(view.funnel, unit, decimals, view.group,
                                              view.period)),
        "funnel_reason": view.funnel_reason})
