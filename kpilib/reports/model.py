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
from kpilib.ingest.contracts import RESULTS_COLUMNS, kpi_rows
from kpilib.ingest.keys import builtin_keys
from kpilib.reports import history, spc_table
from kpilib.reports.scope import LOOKBACK as _LOOKBACK
from kpilib.reports.scope import Reads, reads_for  # noqa: F401 (kpilib.reports.model.reads_for)
from kpilib.rules import periods as P
from kpilib.rules.formats import (
    display_decimals,
    format_cell,
    format_number,
    format_target,
    format_value,
)
from kpilib.rules.keys import Facts, TravelCondition, rate
from kpilib.rules.keyspec import KeySet
from kpilib.rules.measures import ARREARS, Cell, Obs, aggregate, to_number
from kpilib.rules.names import spreadsheet_safe
from kpilib.rules.rag import MISSING, STATUSES, column_target
from kpilib.rules.ranges import RANGE_STATUSES, range_status
from kpilib.rules.targets import parse_target, parse_tolerance
from kpilib.rules.travel import NO_TRAVEL, NO_TRAVEL_WORDS, Comparison, compare, outcome

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

    @property
    def spc_points(self) -> pd.DataFrame:
        return self.spc if self.spc is not None else spc_table.points_frame({})

    @property
    def spc_csv(self) -> pd.DataFrame:
        """The ``spc.csv`` table: numbers as fixed text, icons on each series' latest point."""
        icons = {(k["ref"], k["breakdown"]): k for k in
                 self.kpis.reindex(columns=["ref", "breakdown", "variation", "assurance"])
                 .to_dict("records")}
        return _spreadsheet_safe(spc_table.spc_csv_frame(self.spc_points, icons),
                                 ("ref", "breakdown", "period", "point", "rule", "variation",
                                  "assurance"))

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

    def exceptions(self) -> pd.DataFrame:
        """Every KPI whose headline status is Red, with its commentary."""
        return self.headline().query("rag == 'Red'").reset_index(drop=True)


def _periods_of(column: P.Column, frequency: str) -> tuple[str, ...]:
    return column.months if frequency == "monthly" else column.quarters


def _span(period: P.Period) -> P.Column:
    """A one-period pseudo-column (for travel and trend points)."""
    quarters = (period.id,) if period.kind == "quarter" else ()
    return P.Column(period.id, period.kind, period.label, period.months, quarters)


def _target_for(defn: dict, column: P.Column):
    if not column.months:
        return None
    last = column.months[-1]
    mnum = P.month_number_in_fy(last)
    qnum = int(column.quarters[-1][-1]) if column.quarters else (mnum - 1) // 3 + 1
    return column_target(
        defn["_target"], defn["measure"], len(column.months), mnum, len(column.quarters), qnum
    )


class _Engine:
    """Holds the indexed inputs for one build; all methods are pure lookups."""

    def __init__(self, catalogue: pd.DataFrame, returns: pd.DataFrame, fy: str, keys: KeySet):
        self.keys = keys
        self.defs: dict[tuple[str, str, str], dict] = {}
        self.order: dict[str, list[tuple[str, str]]] = {}
        for d in kpi_rows(catalogue, all_breakdowns=True).to_dict("records"):
            d["_target"] = parse_target(d["target"])
            d["_tolerance"] = parse_tolerance(d["tolerance"])
            d["_floor"] = to_number(d["floor"])
            d["_range"] = (to_number(d["expected_low"]), to_number(d["expected_high"]))
            self.defs[(d["year"], d["ref"], d["breakdown"])] = d
            self.order.setdefault(d["year"], []).append((d["ref"], d["breakdown"]))
        self.obs: dict[tuple[str, str], dict[str, Obs]] = {}
        self.comments: dict[tuple[str, str, str], str] = {}
        self.internal: set[tuple[str, str, str]] = set()  # commentary for internal editions
        for r in returns.itertuples(index=False):
            key = (r.ref, r.breakdown or "")
            self.obs.setdefault(key, {})[r.period] = Obs.of(
                r.value, r.numerator, r.denominator, r.status
            )
            if r.commentary:
                self.comments[(r.ref, r.breakdown or "", r.period)] = r.commentary
                if getattr(r, "internal", "") == "yes":
                    self.internal.add((r.ref, r.breakdown or "", r.period))
        self.defs, self.obs = history.follow(self.defs, self.obs, fy)  # across renumbering

    def defn(self, fy: str, ref: str, breakdown: str, fallback: dict) -> dict:
        return self.defs.get((fy, ref, breakdown), fallback)

    def cell(self, d: dict, column: P.Column) -> Cell:
        periods = _periods_of(column, d["frequency"])
        if not periods:
            return Cell(None, status="na")
        series = self.obs.get((d["ref"], d["breakdown"]), {})
        return aggregate([series.get(p) for p in periods], d["measure"], d["unit"])

    def rag(self, d: dict, column: P.Column, cell: Cell):
        """(RAG status, effective target) of a cell, using the column's own year's KPI rules
        and the KPI's status key."""
        if not column.months:
            return "", None
        dd = self.defn(P.month(column.months[-1]).fy, d["ref"], d["breakdown"], d)
        target = _target_for(dd, column)
        if cell.status in (ARREARS, "zero", "na"):
            return "", target
        key = self.keys.status_key(dd["rag_scheme"])
        last = P.parse_period(_periods_of(column, dd["frequency"])[-1])
        facts = Facts(cell.value, dd["polarity"], self.references(dd, target, last),
                      dd["_tolerance"], lambda cond: self.travel_outcome(dd, last, cond),
                      self.spc_kind(dd, last) if key.uses_spc else "",
                      self.history(dd, last) if key.min_history else 0)
        status = rate(key, facts)
        if status == key.reserved.get("no_target") and None not in dd["_range"]:
            status = range_status(cell.value, *dd["_range"])  # an activity indicator
        return status, target

    def references(self, d: dict, target, last: P.Period) -> dict:
        """The reference values a key compares a cell with: the column's target, the KPI's
        floor and baseline, and rolling averages of the periods before ``last``."""
        refs = {"target": target, "floor": d["_floor"], "baseline": to_number(d["baseline"])}
        for name in self.keys.status_key(d["rag_scheme"]).uses():
            if name.startswith("rolling_average_"):
                refs[name] = self.rolling_average(d, last, int(name.rsplit("_", 1)[1]))
        return refs

    def value_at(self, d: dict, period: P.Period) -> float | None:
        return self.cell(d, _span(period)).value

    def rolling_average(self, d: dict, last: P.Period, n: int) -> float | None:
        """The mean of the ``n`` periods (of the KPI's frequency) before ``last``; None unless
        all ``n`` have a value."""
        values, p = [], last
        for _ in range(n):
            p = P.previous(p)
            v = self.value_at(d, p)
            if v is None:
                return None
            values.append(v)
        return sum(values) / n

    def baseline_period(self, d: dict, current: P.Period, baseline: str) -> P.Period:
        if baseline == "same_period_last_year":
            return P.shift(current, -12 if current.kind == "month" else -4)
        if baseline == "previous_year_end":
            prev_fy = P.fy_id(P.parse_fy(current.fy) - 1)
            return P.parse_period((P.fy_months if current.kind == "month"
                                   else P.fy_quarters)(prev_fy)[-1])
        return self.compared_with(d, current)

    def baseline_value(self, d: dict, current: P.Period, baseline: str, n: int = 0):
        if baseline == "rolling_average":
            return self.rolling_average(d, current, n)
        return self.value_at(d, self.baseline_period(d, current, baseline))

    def travel_outcome(self, d: dict, current: P.Period, cond: TravelCondition) -> str | None:
        """``better``, ``same`` or ``worse`` against a band's baseline (None: no value)."""
        now = self.value_at(d, current)
        base = self.baseline_value(d, current, cond.baseline, cond.periods)
        if now is None or base is None or d["polarity"] not in ("higher", "lower"):
            return None
        return outcome(now, base, d["polarity"])

    def history(self, d: dict, last: P.Period) -> int:
        """How many periods of the KPI's series have a value, up to ``last``."""
        series = self.obs.get((d["ref"], d["breakdown"]), {})
        kind = last.kind
        return sum(1 for p, o in series.items() if p <= last.id and o.value is not None
                   and P.parse_period(p).kind == kind)

    def spc_kind(self, d: dict, last: P.Period) -> str:
        """The SPC point kind of ``last`` in the KPI's series (improvement, concern, neutral,
        common_cause; "" when the series has no analysis there)."""
        spec = spc_table.SeriesSpec(d["ref"], d["breakdown"], d["frequency"], d["polarity"],
                                    last.id)
        values = {p: o.value for p, o in self.obs.get((d["ref"], d["breakdown"]), {}).items()}
        got = spc_table.analyse_all([spec], {(d["ref"], d["breakdown"]): values})
        points = got.get((d["ref"], d["breakdown"]))
        if points is None:
            return ""
        return next((pt.kind for pt in points.points if pt.period == last.id), "")

    def step_period(self, d: dict, report_period: P.Period) -> P.Period:
        """The KPI's own current period: the report period, as a quarter for quarterly KPIs."""
        if d["frequency"] != "monthly" and report_period.kind == "month":
            return P.quarter(P.quarter_of_month(report_period.id))
        return report_period

    def compared_with(self, d: dict, current: P.Period) -> P.Period:
        """The period a KPI's current one is compared with for its direction of travel: the
        previous month or quarter; for an annual KPI, the previous financial year (its latest
        period with a value in that year, else the same period a year before)."""
        if d["frequency"] != "annual":
            return P.previous(current)
        year_ago = P.shift(current, -12 if current.kind == "month" else -4)
        ids = P.fy_months(year_ago.fy) if current.kind == "month" else P.fy_quarters(year_ago.fy)
        for pid in reversed(ids):
            if self.cell(d, _span(P.parse_period(pid))).value is not None:
                return P.parse_period(pid)
        return year_ago

    def travel(self, d: dict, current: P.Period, cur_cell: Cell):
        """(travel of each comparison of the KPI's travel key: [(symbol, words)], rag of the
        headline period, headline period id)."""
        comps = self.keys.travel_key(d["travel_scheme"]).comparisons
        pairs: list[tuple[P.Period, Cell]] = []
        p = current
        if cur_cell.status == ARREARS:
            for _ in range(_LOOKBACK):
                p = P.previous(p)
                c = self.cell(d, _span(p))
                if c.value is not None:
                    pairs.append((p, c))
                    if len(pairs) == 2:
                        break
        else:
            pairs.append((current, cur_cell))
        none = [(NO_TRAVEL, c.none_words) for c in comps]
        if not pairs:
            return none, MISSING, current.id
        (p1, c1) = pairs[0]
        rag, target = self.rag(d, _span(p1), c1)
        out = []
        for i, comp in enumerate(comps):
            if i == 0 and len(pairs) == 2:  # in arrears: the latest two periods with figures
                p0, base = pairs[1][0], pairs[1][1].value
            elif cur_cell.status == ARREARS and len(pairs) < 2 and comp.baseline == \
                    "previous_period":
                p0, base = p1, None
            else:
                p0 = self.baseline_period(d, p1, comp.baseline)
                base = self.baseline_value(d, p1, comp.baseline, comp.periods)
            out.append(self._compare(d, comp, p1, c1.value, p0, base, target))
        return out, rag, p1.id

    def _compare(self, d: dict, comp: Comparison, p1: P.Period, now, p0: P.Period, base,
                 target) -> tuple[str, str]:
        if d["measure"] == "cumulative" and p0.fy != p1.fy and \
                comp.ytd_restart != "previous_year_end":
            return NO_TRAVEL, comp.none_words  # a year-to-date figure restarts each April
        return compare(comp, now, base, d["polarity"],
                       {"target": target, "floor": d["_floor"]})


def _tolerance_text(d: dict, decimals: int | None = None, key_name: str = "") -> str:
    scheme = d["rag_scheme"]
    if d["_target"].kind != "number":
        return "–"
    if scheme == "floor":
        floor = d["_floor"]
        return f"Floor {format_target(floor, d['unit'], decimals)}" if floor is not None else ""
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


def _column_cells(eng: _Engine, d: dict, columns) -> list[dict]:
    """One KPI's (or breakdown's) cell of every report column."""
    out = []
    for col in columns:
        c = eng.cell(d, col)
        rag, target = eng.rag(d, col, c)
        out.append({
            "ref": d["ref"], "breakdown": d["breakdown"], "column": col.id, "value": c.value,
            "numerator": c.numerator, "denominator": c.denominator, "rag": rag, "travel": "",
            "status": c.status, "target": target, "_cell": c, "display": "",
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
                            figures, pairs)


def _texts(d: dict, cells: list[dict], n: int) -> None:
    """Fill the display text of a KPI row's cells, with the KPI's precision ``n``."""
    show_ratio = d["measure"] in ("ratio", "cumulative")
    for c in cells:
        c["display"] = format_cell(c["value"], c["numerator"], c["denominator"], c["status"],
                                   d["unit"], show_ratio, n, d["frequency"], c["_cell"].mean_of)


def _trend(eng: _Engine, d: dict, last: str, fys: list[str]) -> list[dict]:
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
             headline_period: str, comment: str, internal: bool, n: int,
             keys: KeySet) -> dict:
    """What a KPI (or breakdown) row shows besides its cells (``n``: its precision)."""
    t = d["_target"]
    annual = f" (annual {format_target(t.value, d['unit'], n)})" if t.has_profile else ""
    baseline = to_number(d["baseline"]) if d["breakdown"] == "" else None
    comps = keys.travel_key(d["travel_scheme"]).comparisons
    (symbol, words), second = travel[0], (travel[1] if len(travel) > 1 else ("", ""))
    return {
        "ref": d["ref"], "breakdown": d["breakdown"], "is_breakdown": d["breakdown"] != "",
        **{k: d[k] for k in ("name", "directorate", "department", "commitment", "theme",
                             "frequency", "measure", "unit", "polarity", "rag_scheme",
                             "travel_scheme", "benchmark", "statutory")},
        "target_text": format_target(current["target"], d["unit"], n) + annual,
        "tolerance_text": _tolerance_text(d, n, keys.status_key(d["rag_scheme"]).name),
        "decimals": n, "baseline": baseline,
        "baseline_text": "" if baseline is None else format_value(baseline, d["unit"], n),
        "rag": rag, "travel": symbol, "travel_text": words,
        "travel_none": comps[0].none_words if comps else NO_TRAVEL_WORDS,
        "travel_label": comps[0].label if comps else "",
        "travel2": second[0], "travel2_text": second[1],
        "travel2_label": comps[1].label if len(comps) > 1 else "",
        "headline_period": headline_period, "commentary": comment,
        "commentary_internal": internal,
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
) -> Report:
    """Compute a report (pure).

    Parameters
    ----------
    catalogue : validated catalogue rows of every year (KPI rows and override rows).
    returns : the latest return row per (ref, period, breakdown) as of the run.
    period : a month id (monthly report) or a quarter id (quarterly report).
    report : a registered report type (:mod:`kpilib.registry`).
    as_of : the moment the data was read at, shown on the report.
    sources : the files the rows came from, shown on the overview.
    keys : the council's status and travel keys (None: kpilib's built-in keys).
    """
    rtype = registry.get(report)
    per = P.parse_period(period)
    if not rtype.accepts(per.kind):
        raise registry.RegistryError(
            f"the {report} report is for a {' or a '.join(rtype.periods)}, not a {per.kind} "
            f"({per.id})")
    columns = P.report_columns(per.id)
    cur = [c.id for c in columns].index(P.current_column(columns).id)
    keys = keys or builtin_keys()
    eng = _Engine(catalogue, returns, per.fy, keys)
    kpi_rows, cells, series, pending, specs = [], [], [], {}, []
    trend_fys = [P.fy_id(P.parse_fy(per.fy) - 1), per.fy]
    for ref, b in eng.order.get(per.fy, []):
        d = eng.defs[(per.fy, ref, b)]
        if d["report"] != report:
            continue
        row = _column_cells(eng, d, columns)
        step = eng.step_period(d, per)
        cur_cell = row[cur]["_cell"] if d["frequency"] == "monthly" else eng.cell(d, _span(step))
        travels, rag, headline_period = eng.travel(d, step, cur_cell)
        symbol = travels[0][0] if travels else NO_TRAVEL
        if d["measure"] != "cumulative":  # a year-to-date figure restarts each April: no SPC
            specs.append(_spc_spec(eng, d, step, cur_cell))
        row[cur]["travel"] = symbol
        said = (ref, b, step.id) if (ref, b, step.id) in eng.comments else (
            ref, b, headline_period)
        comment = eng.comments.get(said, "")
        points = _trend(eng, d, step.id, trend_fys)
        pending.setdefault(ref, []).append(
            (d, row, points, (dict(row[cur], status=cur_cell.status), travels, rag,
                              headline_period, comment, said in eng.internal)))
        cells += row
        series += points
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
        p: o.value for p, o in eng.obs.get((s.ref, s.breakdown), {}).items()} for s in specs})
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
        as_of, rtype.title, tuple(sources), spc=spc_table.points_frame(analyses), keys=keys,
    )
    return rtype.extend(built, catalogue, returns) if rtype.extend else built


def _spc_spec(eng: _Engine, d: dict, step: P.Period, cur_cell: Cell) -> spc_table.SeriesSpec:
    """What the SPC analysis of a KPI (or breakdown) needs: its own frequency and polarity,
    its current period, the numeric target of that period, rebase periods and baseline."""
    _, target = eng.rag(d, _span(step), cur_cell)
    # a monthly KPI in a quarterly report: its months up to the quarter's last
    last = step.months[-1] if d["frequency"] == "monthly" and step.kind == "quarter" else step.id
    return spc_table.SeriesSpec(
        d["ref"], d["breakdown"], d["frequency"], d["polarity"], last,
        float(target) if isinstance(target, int | float) else None,
        spc_table.parse_rebase(d.get("spc_rebase", "")),
        spc_table.parse_baseline(d.get("spc_baseline", "")))


def latest_period(catalogue: pd.DataFrame, returns: pd.DataFrame, report: str) -> str | None:
    """The latest period a report type can be run for: the newest month (or quarter, for a
    quarterly type) with a value, or arrears, for one of its KPIs.  ``None``: no data."""
    rtype = registry.get(report)
    refs = set(catalogue.loc[catalogue["report"] == report, "ref"])
    rows = returns[returns["ref"].isin(refs) & (returns["value"].notna()
                                                | (returns["status"] == ARREARS))]
    for kind in rtype.periods:
        ids = [p for p in set(rows["period"]) if P.parse_period(p).kind == kind]
        if ids:
            return max(ids)
    return None
