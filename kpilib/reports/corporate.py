"""The county corporate report's figures (report type ``corporate``): pure.

Modelled on Northamptonshire County Council's corporate performance report for 2013-14
quarter 2 (seed ``ncc-corporate-performance-2013-14-q2.txt``).  From a built
:class:`~kpilib.reports.model.Report` and the run's snapshot (every year's returns; the
programmes and comparators in effect) it makes, per KPI, the quarters of the year each
against its own target, previous years' values of annual KPIs, the latest comparator of
each group with better / worse, the narrative and the "what are we doing to improve" action
text; and for the report, the counts by RAG status and direction of travel, the summary
sentence, the performance spotlight (every Red KPI) and the managing-change programmes.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from kpilib.ingest.contracts import PROGRAMME_STATUSES
from kpilib.reports.model import NOT_RATED, Report
from kpilib.reports.sentence import summary_sentence as keyed_sentence
from kpilib.rules import periods as P
from kpilib.rules.formats import format_target, format_value, is_blank
from kpilib.rules.rag import STATUSES, column_target
from kpilib.rules.suppression import WITHHELD, Suppression
from kpilib.rules.targets import parse_target
from kpilib.rules.travel import NO_TRAVEL

PREVIOUS_YEARS = 3  # earlier financial years shown for an annual KPI
TREND = "Tracking"  # the status of a KPI with no target: the county calls it a trend indicator
RAG_ORDER = (*STATUSES, NOT_RATED)
TRAVEL_ORDER = ("↑", "↔", "↓", "⇑", "⇔", "⇓", NO_TRAVEL)
# The action text: the commentary from a paragraph that starts with one of these (in bold or
# not) to its end; the commentary before it is the KPI's narrative.
ACTION_MARKERS = ("What are we doing to improve", "Action:")
_ACTION = re.compile(
    r"<p>\s*(?:<(?:b|strong)>\s*)?(?:" + "|".join(re.escape(m) for m in ACTION_MARKERS)
    + ")", re.IGNORECASE)


def split_action(commentary: str) -> tuple[str, str]:
    """(narrative, action text) of a commentary: the action text starts at the first
    paragraph beginning "What are we doing to improve" or "Action:" (``""`` when none)."""
    text = "" if is_blank(commentary) else str(commentary)
    m = _ACTION.search(text)
    if m is None:
        return text.strip(), ""
    return text[:m.start()].strip(), text[m.start():].strip()


def compare(value: float | None, other: float | None, polarity: str) -> str:
    """The council's figure against a comparator's: ``better``, ``worse`` or ``same`` as the
    KPI's polarity says; ``""`` without both figures or without a polarity."""
    if value is None or other is None or pd.isna(value) or pd.isna(other) \
            or polarity not in ("higher", "lower"):
        return ""
    a, b = round(float(value), 9), round(float(other), 9)
    if a == b:
        return "same"
    return "better" if (a > b) == (polarity == "higher") else "worse"


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def summary_sentence(counts: Mapping[str, int]) -> str:
    """The council's summary line from the counts of KPIs by headline status: "Of the 58
    indicators reported this period, 25 are on or above target (including 4 Green+), 8 are
    Amber, 12 are Red and 13 are trend indicators with no target."."""
    total = sum(int(n) for n in counts.values())
    if total == 0:
        return "No indicators are reported this period."
    n = {s: int(counts.get(s, 0)) for s in RAG_ORDER}
    good = n["Green+"] + n["Green"]
    parts = ["none are on or above target" if good == 0
             else _plural(good, "is on or above target", "are on or above target")
             + (f" (including {n['Green+']} Green+)" if n["Green+"] and n["Green"] else
                " (all Green+)" if n["Green+"] and good > 1 else
                " (Green+)" if n["Green+"] else "")]
    phrases = {"Amber": ("is Amber", "are Amber"), "Red": ("is Red", "are Red"),
               "Data missing": ("has data missing", "have data missing"),
               "Target under review": ("has its target under review",
                                       "have their target under review"),
               NOT_RATED: ("is not rated", "are not rated"),
               TREND: ("is a trend indicator with no target",
                       "are trend indicators with no target")}
    for status in ("Amber", "Red", "Data missing", "Target under review", NOT_RATED, TREND):
        if n[status]:
            parts.append(_plural(n[status], *phrases[status]))
    for status, count in counts.items():  # a council key's own statuses, by their labels
        if status not in RAG_ORDER and int(count):
            parts.append(_plural(int(count), f"is {status}", f"are {status}"))
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"Of the {_plural(total, 'indicator', 'indicators')} reported this period, {listed}."


def count_table(rows: list[dict], by: str, field: str, order: tuple[str, ...]) -> dict:
    """Counts of ``rows`` by ``field`` (columns, in ``order``, only those that occur) and by
    ``by`` (rows, in first-seen order), with totals: ``{columns, rows: [{name, counts}],
    totals}``."""
    groups = list(dict.fromkeys(r[by] for r in rows))
    seen = {r[field] for r in rows}
    columns = [c for c in order if c in seen] + sorted(seen - set(order))
    body = [{"name": g, "counts": [sum(1 for r in rows if r[by] == g and r[field] == c)
                                   for c in columns]} for g in groups]
    body = [{**b, "total": sum(b["counts"])} for b in body]
    totals = [sum(b["counts"][i] for b in body) for i in range(len(columns))]
    return {"columns": columns, "rows": body, "totals": totals, "total": sum(totals)}


@dataclass(frozen=True)
class Corporate:
    """The corporate report: the report model plus the county's own views of it."""

    report: Report
    kpis: tuple[dict, ...]  # one per KPI (totals), in report order
    programmes: tuple[dict, ...]  # this period's row of each programme, in file order
    year_columns: tuple[str, ...]  # labels of the FY's four quarters
    pages: tuple[str, ...] = ("summary", "managing-change", "spotlight")  # those published

    def section_kpis(self, section: str) -> list[dict]:
        return [k for k in self.kpis if k["section"] == section]

    def spotlight(self) -> list[dict]:
        """Every KPI whose headline status needs action (its key's action statuses: the
        graded key's Red), the appendix's spotlight pages."""
        return [k for k in self.kpis
                if self.report.needs_action(k.get("rag_scheme", ""), k["rag"])]

    def status_counts(self) -> dict:
        return count_table(list(self.kpis), "section", "status", RAG_ORDER)

    def travel_counts(self) -> dict:
        return count_table(list(self.kpis), "section", "travel", TRAVEL_ORDER)

    def sentence(self) -> str:
        """The summary line: the county's own words where its KPIs use the county's graded
        key, else the words of the keys they use (:mod:`kpilib.reports.sentence`)."""
        if not self._county_key(self.kpis):
            return keyed_sentence(self.report)
        return summary_sentence(pd.Series([k["status"] for k in self.kpis],
                                          dtype=object).value_counts().to_dict())

    def section_sentence(self, section: str) -> str:
        kpis = self.section_kpis(section)
        if not self._county_key(kpis):
            return keyed_sentence(self.report.section(section))
        return summary_sentence(pd.Series([k["status"] for k in kpis],
                                          dtype=object).value_counts().to_dict())

    @staticmethod
    def _county_key(kpis) -> bool:
        """Whether every KPI uses the county's graded key, whose Green+ and Green its
        report counts together as "on or above target"."""
        return all(k.get("rag_scheme", "graded") == "graded" for k in kpis)

    def programme_counts(self) -> dict:
        rows = [{"all": "All programmes", "status": p["status"]} for p in self.programmes]
        return count_table(rows, "all", "status", PROGRAMME_STATUSES)


def _quarter_column(qid: str) -> P.Column:
    q = P.parse_period(qid)
    return P.Column(q.id, "quarter", q.label, q.months, (q.id,))


def _quarters(report: Report, k: dict, cells: dict, target) -> list[dict]:
    """Each quarter of the report's year: value, RAG (to the current quarter) and target."""
    out, n = [], k["decimals"]
    for qid in P.fy_quarters(report.period.fy):
        col = _quarter_column(qid)
        t = column_target(target, k["measure"], 3, P.month_number_in_fy(col.months[-1]), 1,
                          int(qid[-1]))
        cell = cells.get(qid) if qid <= report.period.id else None
        out.append({"id": qid, "label": col.label, "current": qid == report.period.id,
                    "display": "" if cell is None else cell["display"],
                    "rag": "" if cell is None else cell["rag"],
                    "target": "" if t is None else "Under review" if t == "review"
                    else format_target(t, k["unit"], n, k.get("scale", 1))})
    return out


def _previous_years(returns: pd.DataFrame, k: dict, fy: str, period: str,
                    public: _Public | None = None) -> list[dict]:
    """An annual KPI's value in each earlier financial year and this one (the year's latest
    quarter with a value, up to the report's period).  In a public edition a value the
    report withholds (its trend point is a gap) or, in a year before the trend's, a small
    count (or a percentage or rate of one) reads as withheld (:class:`_Public`)."""
    start = P.parse_fy(fy)
    mine = returns[(returns["ref"] == k["ref"]) & (returns["breakdown"] == "")
                   & returns["value"].notna()]
    out = []
    for y in range(start - PREVIOUS_YEARS, start + 1):
        year = P.fy_id(y)
        rows = mine[mine["period"].isin(P.fy_quarters(year)) & (mine["period"] <= period)]
        row = rows.sort_values("period").iloc[-1].to_dict() if len(rows) else None
        hidden = public.withheld(k, row) if public and row else ""
        display = ("–" if row is None else hidden
                   or format_value(float(row["value"]), k["unit"], k["decimals"],
                                   k.get("scale", 1)))
        out.append({"year": year, "current": year == fy, "display": display})
    return out


@dataclass(frozen=True)
class _Public:
    """What a public edition withholds of figures the corporate view reads from the returns
    (reporting-rules.md, "Public editions"): a period of the report's trend series is
    withheld where the public report's point is a gap; an earlier one (shown alone, without
    its breakdowns or months) where it is a small count, or a percentage or rate of one."""

    settings: Suppression
    shown: Mapping[tuple[str, str], float]  # (ref, period) -> the public series' value (NaN)

    def withheld(self, k: dict, row: dict) -> str:
        """``""`` (shown), or the text of a withheld figure: ``<5`` or ``withheld``."""
        small = k["unit"] == "count" and self.settings.small(row["value"])
        key = (k["ref"], row["period"])
        if key in self.shown:
            gone = pd.isna(self.shown[key])
        else:
            gone = small or any(self.settings.small(row.get(f)) for f in
                                ("numerator", "denominator"))
        return "" if not gone else self.settings.mark if small else WITHHELD


def _has_value(returns: pd.DataFrame, k: dict) -> bool:
    """Whether the KPI has a value in its headline period (else nothing is withheld)."""
    rows = returns[(returns["ref"] == k["ref"]) & (returns["breakdown"] == "")
                   & (returns["period"] == k["headline_period"])]
    return bool(rows["value"].notna().any())


def _comparators(frame: pd.DataFrame | None, k: dict, figure: float | None,
                 withheld: bool = False) -> list[dict]:
    """The latest comparator of each group for the KPI (latest load, then latest row of
    the file), each with the council's figure better or worse than it (``withheld``: the
    figure is withheld from a public edition, and so is how it compares)."""
    if frame is None or frame.empty:
        return []
    mine = frame[frame["ref"] == k["ref"]].sort_values(["loaded_at", "load_id", "row_number"],
                                                       kind="stable")
    latest = mine.drop_duplicates("group", keep="last").sort_values("group", kind="stable")
    return [{"group": r["group"], "period": r["period"], "source": r["source"],
             "display": format_value(float(r["value"]), k["unit"], k["decimals"],
                                     k.get("scale", 1)),
             "verdict": "withheld" if withheld else compare(figure, float(r["value"]),
                                                            k["polarity"])}
            for r in latest.to_dict("records")]


def programmes_for(frame: pd.DataFrame | None, period: P.Period) -> list[dict]:
    """Each programme's row for the report's period: the row for the quarter itself, else
    for its latest month with one; programmes in the order they were first loaded."""
    if frame is None or frame.empty:
        return []
    ids = [period.id, *reversed(period.months)] if period.kind == "quarter" else [period.id]
    rank = {pid: i for i, pid in enumerate(ids)}
    rows = frame[frame["period"].isin(ids)].copy()
    rows["_rank"] = rows["period"].map(rank)
    rows = rows.sort_values(["_rank"], kind="stable").drop_duplicates("programme")
    rows = rows.sort_values(["load_id", "row_number"], kind="stable")
    return [{c: r[c] for c in ("programme", "period", "status", "due", "lead", "description",
                               "update")} for r in rows.to_dict("records")]


def build_corporate(report: Report, returns: pd.DataFrame,
                    extras: Mapping[str, pd.DataFrame] | None = None,
                    targets: Mapping[str, str] | None = None,
                    suppression: Suppression | None = None,
                    pages: tuple[str, ...] | None = None) -> Corporate:
    """The corporate view of ``report`` (pure).  ``returns``: every return row of the
    snapshot (previous years' values); ``extras``: the snapshot's ``programmes`` and
    ``comparators``; ``targets``: each KPI's catalogue target text (``ref -> target``).
    A public edition (``report`` from :func:`kpilib.reports.public.public_edition`) needs
    the ``suppression`` it was made with: the figures read here from the returns are
    withheld by the same rules.  ``pages``: the report's own pages the council publishes
    (its report shape; None: all)."""
    extras = extras or {}
    targets = targets or {}
    public = None
    if report.edition == "public":
        if suppression is None:
            raise ValueError("a public edition's corporate view needs its suppression settings")
        public = _Public(suppression, {(r["ref"], r["period"]): r["value"] for r in
                                       report.series[report.series["breakdown"] == ""]
                                       .to_dict("records")})
    by_ref: dict[str, dict] = {}
    for c in report.cells[report.cells["breakdown"] == ""].to_dict("records"):
        by_ref.setdefault(c["ref"], {})[c["column"]] = c
    series = report.series[report.series["breakdown"] == ""]
    figures = {(r["ref"], r["period"]): r["value"] for r in series.to_dict("records")}
    kpis = []
    for k in report.headline().to_dict("records"):
        figure = figures.get((k["ref"], k["headline_period"]))
        figure = None if figure is None or pd.isna(figure) else float(figure)
        narrative, action = split_action(k["commentary"])
        kpis.append({
            **k, "section": k[report.section_key], "status": k["rag"] or NOT_RATED,
            "figure": figure, "narrative": narrative, "action": action,
            "quarters": _quarters(report, k, by_ref.get(k["ref"], {}),
                                  parse_target(targets.get(k["ref"], ""))),
            "previous": (_previous_years(returns, k, report.period.fy, report.period.id, public)
                         if k["frequency"] == "annual" else []),
            "comparators": _comparators(extras.get("comparators"), k, figure,
                                        public is not None and figure is None
                                        and (k["ref"], k["headline_period"]) in public.shown
                                        and _has_value(returns, k)),
        })
    labels = tuple(_quarter_column(q).label for q in P.fy_quarters(report.period.fy))
    view = Corporate(report, tuple(kpis),
                     tuple(programmes_for(extras.get("programmes"), report.period)), labels)
    return view if pages is None else dataclasses.replace(view, pages=tuple(pages))
