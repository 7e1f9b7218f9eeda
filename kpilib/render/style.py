"""The look shared by every render module: RAG colours and symbols, chart markers, and the
small text helpers (escaping, anchors, period and moment labels).

Pure and dependency-free within :mod:`kpilib.render`: the templates, the charts and the
page fragments all import from here, never the other way round.
"""

from __future__ import annotations

import html

from kpilib.clock import human_moment  # noqa: F401  (re-exported for the templates)
from kpilib.rules.formats import is_blank
from kpilib.rules.names import slug  # the one slug: catalogue validation keeps them unique
from kpilib.rules.periods import parse_period

# status -> (css class, symbol, colour, text colour, inline style): the built-in statuses'
# look (css classes in kpilib/static); a council key's own statuses are added by use_keys.
BUILT_IN_STYLE = {
    "Green+": ("rag-greenplus", "★", "#0b5d2a", "#ffffff", ""),
    "Green": ("rag-green", "✔", "#1b7a3a", "#ffffff", ""),
    "Amber": ("rag-amber", "▲", "#ffbf47", "#000000", ""),
    "Red": ("rag-red", "✖", "#b00020", "#ffffff", ""),
    "Data missing": ("rag-missing", "?", "#3d3d3d", "#ffffff", ""),
    "Target under review": ("rag-review", "◐", "#6b6b6b", "#ffffff", ""),
    "Tracking": ("rag-tracking", "○", "#00706c", "#ffffff", ""),
    # activity indicators against their expected range (rules.ranges): neither good nor bad
    "Above range": ("rag-above", "+", "#1d4f91", "#ffffff", ""),
    "Within range": ("rag-within", "=", "#4a3b8c", "#ffffff", ""),
    "Below range": ("rag-below", "−", "#7a4a00", "#ffffff", ""),
    # reserved states every key has: a return not yet due, or carried over to a later report
    "Not due": ("rag-notdue", "…", "#595959", "#ffffff", ""),
    "Carried over": ("rag-carried", "↷", "#1d4f91", "#ffffff", ""),
    # reserved state: a combined figure lacking a period its measure needs (not rated)
    "Incomplete": ("rag-incomplete", "◔", "#6d4c41", "#ffffff", ""),
}
BUILT_IN_MARKERS = {"Green+": "star", "Green": "circle", "Amber": "triangle-up", "Red": "x",
                    "Data missing": "circle-open", "Target under review": "diamond",
                    "Tracking": "square", "Above range": "triangle-up-open",
                    "Within range": "square-open", "Below range": "triangle-down-open",
                    "Not due": "hexagon", "Carried over": "diamond-open",
                    "Incomplete": "star-open", "": "circle"}
# The styles in use: the built-in ones, then the statuses of the keys of the report being
# rendered (use_keys).  The templates and charts read these two mappings.
RAG_STYLE = dict(BUILT_IN_STYLE)
CHART_MARKERS = dict(BUILT_IN_MARKERS)


def use_keys(keys) -> None:
    """Show the statuses of ``keys`` (a :class:`~kpilib.rules.keyspec.KeySet`): a status
    whose label, symbol and colour are a built-in one's keeps its css class; any other
    is drawn with its own colours, symbol and chart marker (a council's Blue, a star)."""
    styles, markers = dict(BUILT_IN_STYLE), dict(BUILT_IN_MARKERS)
    for key in keys.status.values():
        for st in key.statuses:
            known = BUILT_IN_STYLE.get(st.label)
            if known and (known[1], known[2]) == (st.symbol, st.colour):
                continue
            styles[st.label] = (f"rag-key rag-{slug(st.label)}", st.symbol, st.colour,
                                st.text_colour,
                                f"background:{st.colour};color:{st.text_colour}")
            markers[st.label] = st.marker
    RAG_STYLE.clear()
    RAG_STYLE.update(styles)
    CHART_MARKERS.clear()
    CHART_MARKERS.update(markers)


# SPC (Making Data Count): icon -> (css class, symbol, short words, what it means).  Every
# icon shows its words and a symbol as well as its colour.
VARIATION_STYLE = {
    "improvement_high": ("spc-improvement", "▲", "Improvement (high)",
                         "special cause variation of an improving nature: a high point"),
    "improvement_low": ("spc-improvement", "▼", "Improvement (low)",
                        "special cause variation of an improving nature: a low point"),
    "concern_high": ("spc-concern", "▲", "Concern (high)",
                     "special cause variation of a concerning nature: a high point"),
    "concern_low": ("spc-concern", "▼", "Concern (low)",
                    "special cause variation of a concerning nature: a low point"),
    "neutral_high": ("spc-neutral", "▲", "Special cause (high)",
                     "special cause variation, neither better nor worse (no polarity)"),
    "neutral_low": ("spc-neutral", "▼", "Special cause (low)",
                    "special cause variation, neither better nor worse (no polarity)"),
    "common_cause": ("spc-common", "≈", "Common cause",
                     "no significant change: the variation expected of this process"),
}
ASSURANCE_STYLE = {
    "pass": ("spc-pass", "P", "Passes target",
             "the process limits are on the right side of the target: it will be met"),
    "hit_and_miss": ("spc-hitmiss", "~", "Hit and miss",
                     "the target lies between the process limits: met some periods only"),
    "fail": ("spc-fail", "F", "Fails target",
             "the process limits are on the wrong side of the target: it will not be met "
             "without a change to the process"),
}
# point kind -> (colour, marker, legend name) on an XmR chart
POINT_STYLE = {
    "common_cause": ("#6b6b6b", "circle", "Common cause"),
    "improvement": ("#005eb8", "circle", "Special cause improvement"),
    "concern": ("#b35900", "diamond", "Special cause concern"),
    "neutral": ("#6a2c91", "square", "Special cause (neutral)"),
}


def esc(x) -> str:
    """Text for HTML (stdlib escaping, quotes included); blank (None, NaN) is empty."""
    return html.escape("" if is_blank(x) else str(x), quote=True)


def page_file(section: str) -> str:
    return f"{slug(section)}.html"


def period_label(pid: str) -> str:
    """``2024-02`` -> ``Feb 2024`` (the label a period has in tables and charts)."""
    return parse_period(pid).label
