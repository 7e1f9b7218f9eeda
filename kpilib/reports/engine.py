"""The rating engine of the report model: every input of one build indexed, and the pure
lookups that give a cell its figure, status, target and direction of travel.

It rates with the council's keys (:mod:`kpilib.rules.keys`, :mod:`kpilib.rules.travel`):
the reference values a key compares with (the column's target, a loaded target, the floor,
a rolling average), the baselines its travel comparisons use, a status set by judgement,
the SPC point and the history a band or reserved state may ask for.
"""

from __future__ import annotations

import functools
import json

import pandas as pd

from kpilib.errors import CatalogueError
from kpilib.ingest.contracts import PROVISIONAL, kpi_rows
from kpilib.reports import annotations, history, spc_table
from kpilib.reports.peers import Peers
from kpilib.reports.scope import LOOKBACK as _LOOKBACK
from kpilib.rules import periods as P
from kpilib.rules.keys import Facts, TravelCondition, rate
from kpilib.rules.keyspec import KeySet
from kpilib.rules.measures import ARREARS, INCOMPLETE, Cell, Obs, aggregate, to_number
from kpilib.rules.rag import MISSING, column_target
from kpilib.rules.ranges import range_status
from kpilib.rules.targets import parse_target, parse_tolerance
from kpilib.rules.travel import NO_TRAVEL, Comparison, compare, outcome

INCOMPLETE_TRAVEL = "Not compared: a period of this figure is missing"


def _periods_of(column: P.Column, frequency: str) -> tuple[str, ...]:
    return column.months if frequency == "monthly" else column.quarters


@functools.lru_cache(maxsize=4096)
def _period(pid: str) -> P.Period:
    return P.parse_period(pid)


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


def _check_keys(d: dict, keys: KeySet) -> None:
    """A KPI naming a key the council's settings no longer define: a clear error."""
    for col, table, kind in (("rag_scheme", keys.status, "status"),
                             ("travel_scheme", keys.travel, "travel")):
        if d[col] not in table:
            raise CatalogueError(
                f"KPI {d['ref']} ({d['year']}): {col} {d[col]!r} is not a {kind} key of the "
                f"council's settings; expected one of {', '.join(table)} (define it under "
                f"{kind}_keys in council.yaml, or run with the settings it was loaded with)")


class Engine:
    """Holds the indexed inputs for one build; all methods are pure lookups."""

    def __init__(self, catalogue: pd.DataFrame, returns: pd.DataFrame, fy: str, keys: KeySet,
                 extras: dict | None = None, peers=None):
        self.keys = keys
        self.peers = Peers(extras or {}, peers)  # peer figures (council.yaml's body, group)
        self.notes = annotations.index((extras or {}).get("annotations"))  # kpi load annotations
        self._rated: dict[tuple, tuple] = {}  # rag() of each cell, rated once
        extras = extras or {}
        self.targets: dict[tuple[str, str, str], tuple[float, dict]] = {}
        t = extras.get("targets")
        for r in ([] if t is None else t.to_dict("records")):
            self.targets[(r["ref"], r["breakdown"], r["period"])] = (
                float(r["target"]), json.loads(r["refs"] or "{}"))
        c = extras.get("comparators")
        self.comparators: dict[tuple[str, str], float] = {}  # (ref, group) -> latest value
        if c is not None and len(c):
            c = c.sort_values(["loaded_at", "load_id", "row_number"], kind="stable")
            for r in c.to_dict("records"):
                self.comparators[(r["ref"], r["group"])] = float(r["value"])
        o = extras.get("overrides")
        self.overrides: dict[tuple[str, str, str], dict] = {
            (r["ref"], r["breakdown"], r["period"]): r
            for r in ([] if o is None else o.to_dict("records"))}
        self.defs: dict[tuple[str, str, str], dict] = {}
        self.order: dict[str, list[tuple[str, str]]] = {}
        for d in kpi_rows(catalogue, all_breakdowns=True).to_dict("records"):
            d["rag_scheme"] = d["rag_scheme"] or keys.default_status  # empty: the council's
            d["travel_scheme"] = d["travel_scheme"] or keys.default_travel  # default keys
            _check_keys(d, keys)
            d["_target"] = parse_target(d["target"])
            d["_tolerance"] = parse_tolerance(d["tolerance"])
            d["_floor"] = to_number(d["floor"])
            d["_range"] = (to_number(d["expected_low"]), to_number(d["expected_high"]))
            d["_baseline"] = to_number(d["baseline"])
            self.defs[(d["year"], d["ref"], d["breakdown"])] = d
            self.order.setdefault(d["year"], []).append((d["ref"], d["breakdown"]))
        self.obs: dict[tuple[str, str], dict[str, Obs]] = {}
        self.comments: dict[tuple[str, str, str], str] = {}
        self.internal: set[tuple[str, str, str]] = set()  # commentary for internal editions
        self.provisional: set[tuple[str, str, str]] = set()  # figures to be confirmed
        for r in returns.itertuples(index=False):
            key = (r.ref, r.breakdown or "")
            provisional = r.status == PROVISIONAL  # figures as given, marked on the pages
            self.obs.setdefault(key, {})[r.period] = Obs.of(
                r.value, r.numerator, r.denominator, "" if provisional else r.status
            )
            if provisional:
                self.provisional.add((r.ref, r.breakdown or "", r.period))
            if r.commentary:
                self.comments[(r.ref, r.breakdown or "", r.period)] = r.commentary
                if getattr(r, "internal", "") == "yes":
                    self.internal.add((r.ref, r.breakdown or "", r.period))
        self.defs, self.obs = history.follow(self.defs, self.obs, fy)  # across renumbering

    def is_provisional(self, d: dict, column: P.Column) -> bool:
        """Whether a period of the column has a provisional figure (returns status)."""
        return any((d["ref"], d["breakdown"], p) in self.provisional
                   for p in _periods_of(column, d["frequency"]))

    def defn(self, fy: str, ref: str, breakdown: str, fallback: dict) -> dict:
        return self.defs.get((fy, ref, breakdown), fallback)

    def cell(self, d: dict, column: P.Column) -> Cell:
        periods = _periods_of(column, d["frequency"])
        if not periods:
            return Cell(None, status="na")
        series = self.obs.get((d["ref"], d["breakdown"]), {})
        return aggregate([series.get(p) for p in periods], d["measure"], d["unit"],
                         d["frequency"])

    def rag(self, d: dict, column: P.Column, cell: Cell):
        """(RAG status, effective target) of a cell, using the column's own year's KPI rules
        and the KPI's status key.  A cell is rated once: a month column, its trend point and
        its travel's headline are the same cell."""
        memo = (d["ref"], d["breakdown"], column.kind, column.months, column.quarters)
        got = self._rated.get(memo)
        if got is None:
            got = self._rated[memo] = self._rag(d, column, cell)
        return got

    def _rag(self, d: dict, column: P.Column, cell: Cell):
        if not column.months:
            return "", None
        dd = self.defn(P.month(column.months[-1]).fy, d["ref"], d["breakdown"], d)
        target = self.target_for(dd, column)
        if cell.status in (ARREARS, "zero", "na"):
            return "", target
        if (judged := self.override(dd, column)) is not None:
            return judged["status"], target
        key = self.keys.status[dd["rag_scheme"]]  # checked when the engine was made
        last = _period(_periods_of(column, dd["frequency"])[-1])
        facts = Facts(cell.value, dd["polarity"], self.references(dd, key, target, last),
                      dd["_tolerance"],
                      (lambda cond: self.travel_outcome(dd, last, cond)) if key.uses_travel
                      else None,
                      self.spc_kind(dd, last) if key.uses_spc else "",
                      self.history(dd, last) if key.min_history else 0,
                      INCOMPLETE if cell.incomplete else cell.status)
        status = rate(key, facts)
        if status == key.reserved.get("no_target") and None not in dd["_range"]:
            status = range_status(cell.value, *dd["_range"])  # an activity indicator
        return status, target

    def _loaded(self, d: dict, period: str):
        """The loaded target row of a KPI (or breakdown, else its KPI) for one period."""
        got = self.targets.get((d["ref"], d["breakdown"], period))
        if got is None and d["breakdown"]:
            got = self.targets.get((d["ref"], "", period))
        return got

    def target_for(self, d: dict, column: P.Column):
        """The column's target: a loaded target (kpi load targets) where there is one for
        the column's period (a column spanning several: the sum of its periods' for a
        ``sum`` KPI when each has one, else its last period's), else the catalogue's."""
        periods = _periods_of(column, d["frequency"]) if column.months else ()
        if periods and self.targets:
            if len(periods) == 1 or d["measure"] != "sum":
                got = self._loaded(d, periods[-1])
                if got is not None:
                    return got[0]
            else:
                parts = [self._loaded(d, p) for p in periods]
                if all(x is not None for x in parts):
                    return sum(x[0] for x in parts)
        return _target_for(d, column)

    def override(self, d: dict, column: P.Column) -> dict | None:
        """A status set by judgement for a one-period column (kpi load overrides)."""
        if not self.overrides:
            return None
        periods = _periods_of(column, d["frequency"]) if column.months else ()
        if len(periods) != 1 or column.kind not in ("month", "quarter") or \
                column.id != periods[0]:
            return None
        return self.overrides.get((d["ref"], d["breakdown"], periods[0]))

    def references(self, d: dict, key, target, last: P.Period) -> dict:
        """The reference values ``key`` compares a cell with: the column's target, the KPI's
        floor and baseline, the loaded reference values of ``last`` (a forecast, a second
        target) and rolling averages of the periods before ``last``."""
        refs = {"target": target, "floor": d["_floor"], "baseline": d["_baseline"]}
        if key.references:
            loaded = (self._loaded(d, last.id) or (None, {}))[1]
            for name in key.references:
                refs[name] = loaded.get(name)
        for name, n in key.rolling:
            refs[name] = self.rolling_average(d, last, n)
        for name, group in key.comparators.items():  # the KPI's, not a breakdown's
            refs[name] = None if d["breakdown"] else self.comparators.get((d["ref"], group))
        if key.peer_references:  # the KPI's group's figures by the period's end (7.13)
            refs.update(self.peers.references(d, last.months[-1], key.peer_references))
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
        return next((pt.point for pt in points.points if pt.period == last.id), "")

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
        if c1.incomplete:  # a figure lacking a period is not compared with a whole one
            return [(NO_TRAVEL, INCOMPLETE_TRAVEL) for _ in comps], rag, p1.id
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
