"""The summary sentence of a report, in its keys' own words (pure): "Of the 35 indicators
reported this period, 11 are on target or better, 8 are Amber, 5 are Red and 11 are
tracking indicators with no target."  A status is said in the words its key gives it
("are on, above or within 5% of target"), only where every key that gave it says the same
and none of the KPIs was set by judgement; else by its label."""

from __future__ import annotations

from kpilib.reports.model import NOT_RATED, Report

# status -> what the summary sentence says of one KPI, and of several
SUMMARY_PHRASES = {
    "Green+": ("is Green+", "are Green+"),
    "Green": ("is on target or better", "are on target or better"),
    "Amber": ("is Amber", "are Amber"),
    "Red": ("is Red", "are Red"),
    "Data missing": ("has data missing", "have data missing"),
    "Target under review": ("has its target under review", "have their target under review"),
    "Tracking": ("is a tracking indicator with no target",
                 "are tracking indicators with no target"),
    "Above range": ("is above its expected range", "are above their expected range"),
    "Within range": ("is within its expected range", "are within their expected range"),
    "Below range": ("is below its expected range", "are below their expected range"),
    "Incomplete": ("has a period missing, so is not rated",
                   "have a period missing, so are not rated"),
    NOT_RATED: ("is not rated", "are not rated"),
}


def phrase(report: Report, status: str) -> tuple[str, str]:
    """How the summary says ``status`` (one, many): the words its keys give it ("are on
    target or better" only where every key that gave it says so), else its label; the
    statuses every key shares (data missing, tracking...) in their own words."""
    h = report.headline()
    keys = report.keys
    judged = "override_reason" in h and (h.loc[h["rag"] == status, "override_reason"] != "").any()
    if keys is not None and "rag_scheme" in h and status not in STANDARD_LABELS:
        said = {""} if judged else set()  # a status set by judgement: its label, no claim
        for ident in set(h.loc[h["rag"] == status, "rag_scheme"]):
            st = keys.status[ident].status(status) if ident in keys.status else None
            said.add(st.words if st is not None else "")
        if said:
            words = said.pop() if len(said) == 1 else ""
            return (f"is {words}", f"are {words}") if words else (f"is {status}",
                                                                   f"are {status}")
    return SUMMARY_PHRASES.get(status, (f"is {status}", f"are {status}"))


STANDARD_LABELS = {"Data missing", "Target under review", "Tracking", "Above range",
                   "Within range", "Below range", "Incomplete", NOT_RATED}


def summary_sentence(report: Report) -> str:
    """The county report's summary line: every status of the summary counts that has a
    KPI, in the counts table's order ("Of the 35 indicators reported this period, 11 are
    on target or better, 8 are Amber, 5 are Red and 11 are tracking indicators with no
    target.")."""
    if report.headline().empty:
        return "No indicators are reported this period."
    t = report.rag_counts(report.section_key)
    total = int(t["Total"].sum())
    parts = []
    for status in (c for c in t.columns if c != "Total"):
        n = int(t[status].sum())
        if n:
            one, many = phrase(report, status)
            parts.append(f"{n} {one if n == 1 else many}")
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    noun = "indicator" if total == 1 else "indicators"
    return f"Of the {total} {noun} reported this period, {listed}."
