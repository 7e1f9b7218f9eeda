"""The report model: every figure a report shows, and its ``results.csv``.

:func:`build_report` is pure: it takes the validated catalogue and returns
frames (as read from the store at the run's ``as_of``) and computes, for each
KPI of the report set and each of its breakdowns, the value, RAG status and
display text of every column, the direction of travel of the current period,
and the monthly (or quarterly) series behind the trend chart.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pandas as pd

from kpilib import registry
from kpilib.clock import data_moment
from kpilib.ingest.contracts import RESULTS_COLUMNS
from kpilib.ingest.keys import builtin_keys
from kpilib.reports import annotations, spc_table
from kpilib.reports.engine import Engine, _periods_of, _span
from kpilib.reports.scope import (  # noqa: F401 (kpilib.reports.model.reads_for)
    Reads,
    reads_for,
    sources_read,
)
from kpilib.rules import periods as P
from kpilib.rules.formats import (
    display_decimals,
    format_cell,
    format_number,
    format_target,
    format_value,
    incomplete_note,
    scale_of,
)
from kpilib.rules.keyspec import KeySet
from kpilib.rules.measures import ARREARS, Cell, to_number
from kpilib.rules.names import spreadsheet_safe
from kpilib.rules.rag import STATUSES
from kpilib.rules.ranges import RANGE_STATUSES
from kpilib.rules.spc import MIN_POINTS
from kpilib.rules.travel import NO_TRAVEL, NO_TRAVEL_WORDS

NOT_RATED = "Not rated"  # how summaries count a KPI whose current value has no RAG


def _spreadsheet_safe(df: pd.DataFrame, columns) -> pd.DataFrame:
    """No text cell of a CSV table starts a formula (safe by the contracts too)."""
    for c in columns:
        df[c] = [spreadsheet_safe(x) if isinstance(x, str) else x for x in df[c]]
    return df


@dataclass(frozen=True)
class Report:
    """Everything one report shows.  Frames are in catalogue order."""

    period: P.Period
    report: str
    columns: tuple[P.Column, ...]
    kpis: pd.DataFrame
    cells: pd.DataFrame
    series: pd.DataFrame
    as_of: str | None = None
    name: str = ""  # the report's title ("Core KPIs"); the type's own unless retitled
    sources: tuple[dict, ...] = ()  # the files the figures were read from (kind, file, hash)
    branding: Any = None  # presentation settings attached by the caller; unused here
    spc: pd.DataFrame | None = None  # SPC points of every charted series (spc_table)
    edition: str = "internal"  # "public": small numbers withheld (kpilib.reports.public)
    notice: str = ""  # what a public edition's pages say about withheld figures
    extra: Any = None  # what a report type's own ``extend`` step adds (e.g. qpr markers)
    keys: Any = None  # the status and travel keys the report was rated with (a KeySet)
    directorate_shown: bool = True  # each KPI says its directorate (the report shape)
    spc_min_points: int = MIN_POINTS  # points a series needs for an XmR chart (council's)
    peers: Any = None  # ref -> PeerView: the KPI among its group (kpilib.reports.peers)
    annotations: Any = None  # ref -> its notes on its charts (kpilib.reports.annotations)

    @property
    def data_as_of(self) -> str:
        """The data's moment, as the pages say it: the latest load the report read (none
        after ``as_of``), else ``as_of``; never the run's clock."""
        return data_moment(self.as_of, self.sources)

    @property
    def spc_points(self) -> pd.DataFrame:
        return self.spc if self.spc is not None else spc_table.points_frame({})

    @property
    def spc_csv(self) -> pd.DataFrame:
        """The ``spc.csv`` table: numbers as fixed text, icons on each series' latest point."""
        icons = {(k["ref"], k["breakdown"]): k for k in
                 self.kpis.reindex(columns=["ref", "breakdown", "spc_variation",
                                            "spc_assurance"]).to_dict("records")}
        return _spreadsheet_safe(spc_table.spc_csv_frame(self.spc_points, icons),
                                 ("ref", "breakdown", "period", "point", "rule", "variation",
                                  "assurance", "provisional"))

    @property
    def type(self) -> registry.ReportType:
        return registry.get(self.report)

    @property
    def title(self) -> str:
        return f"{self.name or self.type.title}: {self.period.label}"

    @property
    def section_key(self) -> str:
        """The catalogue column whose values are this report's pages."""
        return self.type.section_key

    @property
    def results(self) -> pd.DataFrame:
        """The ``results.csv`` table, exactly the spec's columns, numbers as fixed text."""
        df = self.cells.loc[:, list(RESULTS_COLUMNS)].copy()
        for c in ("value", "numerator", "denominator"):
            df[c] = [format_number(x) for x in df[c]]
            if f"{c}_mark" in self.cells:  # a public edition's withheld figure: <5, withheld
                df[c] = [m or x for m, x in zip(self.cells[f"{c}_mark"], df[c], strict=True)]
        df = _spreadsheet_safe(df, ("ref", "breakdown", "column", "rag", "travel"))
        return df.reset_index(drop=True)

    def sections(self) -> list[str]:
        """The values of the type's section column (directorates, themes...): the type's
        fixed order first, then catalogue order."""
        present = list(dict.fromkeys(self.kpis[self.section_key])) if len(self.kpis) else []
        fixed = [s for s in self.type.section_order if s in present]
        return fixed + [s for s in present if s not in fixed]

    def section(self, name: str) -> Report:
        """The report restricted to one section (a directorate, a theme...)."""
        kpis = self.kpis[self.kpis[self.section_key] == name]
        refs = set(kpis["ref"])
        return dataclasses.replace(
            self, kpis=kpis.reset_index(drop=True),
            cells=self.cells[self.cells["ref"].isin(refs)].reset_index(drop=True),
            series=self.series[self.series["ref"].isin(refs)].reset_index(drop=True),
            spc=self.spc_points[self.spc_points["ref"].isin(refs)].reset_index(drop=True))

    def headline(self) -> pd.DataFrame:
        """One row per KPI (totals only): the statuses the summary counts."""
        return self.kpis[self.kpis["breakdown"] == ""].reset_index(drop=True)

    def rag_counts(self, by: str) -> pd.DataFrame:
        """Counts of KPIs by headline RAG status per ``by`` (directorate, commitment, theme)."""
        h = self.headline()
        order = list(dict.fromkeys(h[by]))
        rag = h["rag"].replace("", NOT_RATED)  # e.g. a ratio of 0 out of 0: no value, no RAG
        t = pd.crosstab(h[by], rag).reindex(index=order, fill_value=0)
        known = (*STATUSES, *RANGE_STATUSES, NOT_RATED)
        cols = [s for s in known if s in t.columns] + [s for s in t.columns if s not in known]
        t = t.reindex(columns=cols, fill_value=0)
        t["Total"] = t.sum(axis=1)
        return t

    def needs_action(self, rag_scheme: str, status: str) -> bool:
        """Whether ``status`` is one its key marks ``action: true`` (the built-in keys: Red)."""
        if self.keys is None or rag_scheme not in self.keys.status:
            return status == "Red"
        st = self.keys.status[rag_scheme].status(status)
        return st is not None and st.action

    def exceptions(self) -> pd.DataFrame:
        """Every KPI whose headline status needs action (its key says so: the built-in
        keys' Red), with its commentary."""
        h = self.headline()
        if h.empty:
            return h
        keep = [self.needs_action(k, r) for k, r in zip(h.get("rag_scheme", [""] * len(h)),
                                                        h["rag"], strict=True)]
        return h[keep].reset_index(drop=True)


def _tolerance_text(d: dict, decimals: int | None = None, key_name: str = "") -> str:
    scheme = d["rag_scheme"]
    if d["_target"].kind != "number":
        return "–"
    if scheme == "floor":
        floor = d["_floor"]
        return (f"Floor {format_target(floor, d['unit'], decimals, scale_of(d.get('scale')))}"
                if floor is not None else "")
    if scheme == "graded":
        return "Graded: Green+ >10% better, Amber 5-10% worse, Red >10% worse"
    tol = (d["tolerance"] or "").strip()
    if scheme and scheme not in ("tolerance", "trust"):  # a council's own key: its name
        return tol or key_name
    return tol if tol else "5% (default)"


def _drop_empty_last_year(per: P.Period, columns: list[P.Column], cells: list[dict]):
    """A quarterly report shows last year's quarter only where data exists."""
    if per.kind != "quarter":
        return columns
    last = columns[-1].id
    if any(c["column"] == last and c["value"] is not None for c in cells):
        return columns
    return columns[:-1]


def _column_cells(eng: Engine, d: dict, columns) -> list[dict]:
    """One KPI's (or breakdown's) cell of every report column."""
    out = []
    for col in columns:
        c = eng.cell(d, col)
        rag, target = eng.rag(d, col, c)
        judged = eng.override(d, col) if rag else None
        periods = _periods_of(col, d["frequency"]) if col.months else ()
        out.append({
            "ref": d["ref"], "breakdown": d["breakdown"], "column": col.id, "value": c.value,
            "numerator": c.numerator, "denominator": c.denominator, "rag": rag, "travel": "",
            "travel_label": "", "override_reason": judged["reason"] if judged else "",
            "parts": f"{c.parts} of {c.due}" if c.incomplete else "",
            "status": c.status, "target": target, "_cell": c, "display": "",
            "_provisional": c.value is not None and eng.is_provisional(d, col),
            "_missing": tuple(P.parse_period(periods[i]).label for i in c.gaps),
        })
    return out


def _numeric(x) -> float | None:
    return None if x is None or isinstance(x, str) else x


def _decimals(rows: list[tuple[dict, list[dict], list[dict]]]) -> int:
    """The display precision of one KPI (its total and breakdowns: (definition, cells,
    trend points) each): every figure its table, key text and chart show."""
    total = rows[0][0]
    figures: list = [to_number(total["baseline"])]
    pairs: list[tuple] = []
    for d, cells, points in rows:
        t, floor = d["_target"], d["_floor"]
        figures += [floor, t.value if t.has_profile else None]
        for p in [*cells, *points]:
            target = _numeric(p["target"])
            figures += [p["value"], target]
            pairs += [(p["value"], target), (p["value"], floor)]
    declared = to_number(total["decimals"])
    return display_decimals(total["unit"], None if declared is None else int(declared),
                            figures, pairs, scale_of(total.get("scale")))


def _texts(d: dict, cells: list[dict], n: int) -> None:
    """Fill the display text of a KPI row's cells, with the KPI's precision ``n``."""
    show_ratio = d["measure"] in ("ratio", "cumulative")
    for c in cells:
        cell = c["_cell"]
        note = incomplete_note(d["measure"], cell.parts, cell.due, d["frequency"],
                               c["_missing"]) if cell.incomplete else ""
        c["display"] = format_cell(c["value"], c["numerator"], c["denominator"], c["status"],
                                   d["unit"], show_ratio, n, d["frequency"], cell.mean_of,
                                   note, scale_of(d.get("scale")))
        if c.get("_provisional"):  # a figure to be confirmed (returns status provisional)
            c["display"] += " (provisional)"


def _trend(eng: Engine, d: dict, last: str, fys: list[str]) -> list[dict]:
    """The points of a KPI's trend chart: each month (or quarter) of ``fys`` up to ``last``
    (a quarter, for a monthly KPI in a quarterly report: up to its last month)."""
    if d["frequency"] == "monthly" and P.parse_period(last).kind == "quarter":
        last = P.parse_period(last).months[-1]
    ids = [p for fy in fys for p in (P.fy_months(fy) if d["frequency"] == "monthly"
                                     else P.fy_quarters(fy))]
    points = []
    for pid in ids[: ids.index(last) + 1] if last in ids else []:
        span = _span(P.parse_period(pid))
        c = eng.cell(d, span)
        rag, target = eng.rag(d, span, c)
        points.append({"ref": d["ref"], "breakdown": d["breakdown"], "period": pid,
                       "value": c.value, "target": None if isinstance(target, str) else target,
                       "rag": rag or "", "status": c.status})
    return points


def _kpi_row(d: dict, current: dict, travel: list[tuple[str, str]], rag: str,
             headline_period: str, comment: str, internal: bool, judged: dict, n: int,
             keys: KeySet) -> dict:
    """What a KPI (or breakdown) row shows besides its cells (``n``: its precision)."""
    t, scale = d["_target"], scale_of(d.get("scale"))
    annual = f" (annual {format_target(t.value, d['unit'], n, scale)})" if t.has_profile else ""
    baseline = to_number(d["baseline"]) if d["breakdown"] == "" else None
    comps = keys.travel_key(d["travel_scheme"]).comparisons
    (symbol, words), second = travel[0], (travel[1] if len(travel) > 1 else ("", ""))
    return {
        "ref": d["ref"], "breakdown": d["breakdown"], "is_breakdown": d["breakdown"] != "",
        **{k: d[k] for k in ("name", "directorate", "department", "commitment", "theme",
                             "frequency", "measure", "unit", "polarity", "rag_scheme",
                             "travel_scheme", "benchmark", "statutory")},
        "target_text": format_target(current["target"], d["unit"], n, scale) + annual,
        "tolerance_text": _tolerance_text(d, n, keys.status_key(d["rag_scheme"]).name),
        "decimals": n, "baseline": baseline, "scale": scale,
        "baseline_text": "" if baseline is None else format_value(baseline, d["unit"], n, scale),
        "rag": rag, "travel": symbol, "travel_text": words,
        "travel_none": comps[0].none_words if comps else NO_TRAVEL_WORDS,
        "travel_label": comps[0].label if comps else "",
        "travel2": second[0], "travel2_text": second[1],
        "travel2_label": comps[1].label if len(comps) > 1 else "",
        "headline_period": headline_period, "commentary": comment,
        "commentary_internal": internal, "override_reason": judged.get("reason", ""),
        "override_by": judged.get("by", ""),
        "arrears": current["status"] == ARREARS,
    }


def build_report(
    catalogue: pd.DataFrame,
    returns: pd.DataFrame,
    period: str,
    report: str,
    as_of: str | None = None,
    sources: tuple[dict, ...] = (),
    keys: KeySet | None = None,
    extras: dict | None = None,
    previous_period: bool = False,
    spc_min_points: int | None = None,
    peers=None,
) -> Report:
    """Compute a report (pure).

    Parameters
    ----------
    catalogue : validated catalogue rows of every year (KPI rows and override rows).
    returns : the latest return row per (ref, period, breakdown) as of the run.
    period : a month id (monthly report) or a quarter id (quarterly report).
    report : a registered report type (:mod:`kpilib.registry`).
    as_of : the moment the data was read at, shown on the report.
    sources : the loads in effect; those the rows it reads came from are shown on the
        overview (:func:`kpilib.reports.scope.sources_read`).
    keys : the council's status and travel keys (None: kpilib's built-in keys).
    extras : the other load kinds read (``targets``: targets per period, ``overrides``:
        statuses set by judgement; absent: none loaded).
    previous_period : a first quarter's report also shows the quarter before (the
        council's report shape).
    spc_min_points : the points a series needs for an XmR chart and icons on the pages
        (the council's ``spc: min_points``; None: section 8's default, 12).
    peers : the council's peer settings (:class:`kpilib.settings.benchmark.PeerSettings`; with
        ``extras`` bodies, groups and benchmarks, each KPI with a ``metric`` is placed among
        its group, section 7.13).
    """
    rtype = registry.get(report)
    per = P.parse_period(period)
    if not rtype.accepts(per.kind):
        raise registry.RegistryError(
            f"the {report} report is for a {' or a '.join(rtype.periods)}, not a {per.kind} "
            f"({per.id})")
    columns = P.report_columns(per.id, previous_period)
    cur = [c.id for c in columns].index(P.current_column(columns).id)
    keys = keys or builtin_keys()
    eng = Engine(catalogue, returns, per.fy, keys, extras, peers)
    views, notes = {}, {}
    kpi_rows, cells, series, pending, specs = [], [], [], {}, []
    trend_fys = [P.fy_id(P.parse_fy(per.fy) - 1), per.fy]
    for ref, b in eng.order.get(per.fy, []):
        d = eng.defs[(per.fy, ref, b)]
        if not rtype.includes(d):  # a KPI of the type (or its view's filter)
            continue
        row = _column_cells(eng, d, columns)
        step = eng.step_period(d, per)
        cur_cell = row[cur]["_cell"] if d["frequency"] == "monthly" else eng.cell(d, _span(step))
        travels, rag, headline_period = eng.travel(d, step, cur_cell)
        symbol = travels[0][0] if travels else NO_TRAVEL
        if d["measure"] != "cumulative":  # a year-to-date figure restarts each April: no SPC
            specs.append(_spc_spec(eng, d, step, cur_cell))
        row[cur]["travel"] = symbol
        row[cur]["travel_label"] = travels[0][1] if travels else ""
        said = (ref, b, step.id) if (ref, b, step.id) in eng.comments else (
            ref, b, headline_period)
        comment = eng.comments.get(said, "")
        points = _trend(eng, d, step.id, trend_fys)
        pending.setdefault(ref, []).append(
            (d, row, points, (dict(row[cur], status=cur_cell.status), travels, rag,
                              headline_period, comment, said in eng.internal,
                              eng.override(d, _span(P.parse_period(headline_period))) or {})))
        cells += row
        series += points
        if not b and (view := eng.peers.view(d, per.months[-1])) is not None:
            views[ref] = view
        if not b and ref in eng.notes:
            notes[ref] = annotations.notes_for(eng.notes, ref, d["frequency"])
    columns = _drop_empty_last_year(per, columns, cells)
    kept = {c.id for c in columns}
    for rows in pending.values():  # one precision per KPI, from the figures it shows
        n = _decimals([(d, [c for c in row if c["column"] in kept], points)
                       for d, row, points, _ in rows])
        for d, row, _, args in rows:
            _texts(d, row, n)
            kpi_rows.append(_kpi_row(d, *args, n, keys))
    cells = [c for c in cells if c["column"] in kept]
    analyses = spc_table.analyse_all(specs, {(s.ref, s.breakdown): {
        p: o.value for p, o in eng.obs.get((s.ref, s.breakdown), {}).items()} for s in specs},
        spc_min_points or MIN_POINTS)
    icons = spc_table.summary(analyses)
    for k in kpi_rows:
        k.update(icons.get((k["ref"], k["breakdown"]), spc_table.NO_SPC))
    kpis = pd.DataFrame(kpi_rows, columns=None if kpi_rows else ["ref", "breakdown", "directorate",
                                                                 "commitment", "theme", "rag"])
    cell_cols = [*RESULTS_COLUMNS, "status", "target", "display"]  # "_cell" is dropped
    series_cols = ["ref", "breakdown", "period", "value", "target", "rag", "status"]
    built = Report(
        per, report, tuple(columns), kpis,
        pd.DataFrame(cells, columns=cell_cols).astype({"value": float, "numerator": float,
                                                       "denominator": float}),
        pd.DataFrame(series, columns=series_cols).astype({"value": float, "target": float}),
        as_of, rtype.title, sources_read(sources, catalogue, returns, reads_for(period, report)),
        spc=spc_table.points_frame(analyses), keys=keys,
        spc_min_points=spc_min_points or MIN_POINTS, peers=views, annotations=notes,
    )
    return rtype.extend(built, catalogue, returns) if rtype.extend else built


def _spc_spec(eng: Engine, d: dict, step: P.Period, cur_cell: Cell) -> spc_table.SeriesSpec:
    """What the SPC analysis of a KPI (or breakdown) needs: its own frequency and polarity,
    its current period, the numeric target of that period, rebase periods (the catalogue's
    ``spc_rebase`` and its notes marked ``rebase``) and baseline."""
    _, target = eng.rag(d, _span(step), cur_cell)
    # a monthly KPI in a quarterly report: its months up to the quarter's last
    last = step.months[-1] if d["frequency"] == "monthly" and step.kind == "quarter" else step.id
    return spc_table.SeriesSpec(
        d["ref"], d["breakdown"], d["frequency"], d["polarity"], last,
        float(target) if isinstance(target, int | float) else None,
        (*spc_table.parse_rebase(d.get("spc_rebase", "")), *annotations.rebase_periods(
            annotations.notes_for(eng.notes, d["ref"], d["frequency"]))),
        spc_table.parse_baseline(d.get("spc_baseline", "")))


def latest_period(catalogue: pd.DataFrame, returns: pd.DataFrame, report: str) -> str | None:
    """The latest period a report type can be run for: the newest month (or quarter, for a
    quarterly type) with a value, or arrears, for one of its KPIs.  ``None``: no data."""
    rtype = registry.get(report)
    refs = set(catalogue.loc[rtype.members(catalogue), "ref"])
    rows = returns[returns["ref"].isin(refs) & (returns["value"].notna()
                                                | (returns["status"] == ARREARS))]
    for kind in rtype.periods:
        ids = [p for p in set(rows["period"]) if P.parse_period(p).kind == kind]
        if ids:
            return max(ids)
    return None
