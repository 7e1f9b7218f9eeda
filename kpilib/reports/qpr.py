"""What the Kent-style quarterly performance report (``qpr``) adds to the report model.

Pure.  :func:`extend` is the ``qpr`` report type's ``extend`` step (run at the end of
:func:`~kpilib.reports.model.build_report`): it adds to ``Report.kpis``

* ``activity``: the KPI has no target (an activity indicator: shown against its expected
  range, rules.ranges, in a table of its own);
* ``marker``: ``NEW`` where neither its ref nor its ``previous_ref`` is in the previous
  year's set (rules.markers);
* ``baseline``, ``baseline_text``, ``baseline_source``: the previous year's Q4 actual,
  from the previous year's returns when that year's set is in the store and the KPI
  continues exactly one of its KPIs, alone (``returns``), else the catalogue's ``baseline``
  (``catalogue``);

and sets ``Report.extra`` to a :class:`QprExtra`: the previous year's KPIs that are gone
(listed as Removed at the end of their directorate), or why there are no markers.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd

from kpilib.rules import periods as P
from kpilib.rules.formats import format_target, format_value
from kpilib.rules.markers import FIRST_YEAR_NOTE, NEW, continuations, markers
from kpilib.rules.measures import Obs, aggregate, to_number

ADDED = ("activity", "marker", "baseline_source", "floor_text", "range_text")
SOURCES = {"returns": "the {previous} Q4 return", "catalogue": "the catalogue's baseline"}


@dataclass(frozen=True)
class QprExtra:
    """``previous``: the previous financial year (``2023-24``); ``compared``: whether its
    KPI set was loaded (else no markers, and ``note`` says why); ``removed``: its KPIs that
    are gone, as {ref, name, directorate}, in its catalogue order."""

    previous: str
    compared: bool
    removed: tuple[dict, ...] = ()
    note: str = ""

    def removed_in(self, directorate: str) -> list[dict]:
        return [r for r in self.removed if r["directorate"] == directorate]


def _q4_actual(defn: dict, returns: pd.DataFrame, fy: str) -> float | None:
    """A previous-year KPI's Q4 figure (its months or its quarter, combined by its measure)."""
    q4 = P.quarter(f"{fy}-Q4")
    ids = q4.months if defn["frequency"] == "monthly" else (q4.id,)
    rows = returns[(returns["ref"] == defn["ref"]) & (returns["breakdown"] == "")
                   & returns["period"].isin(ids)]
    obs = {r.period: Obs.of(r.value, r.numerator, r.denominator, r.status)
           for r in rows.itertuples(index=False)}
    return aggregate([obs.get(p) for p in ids], defn["measure"], defn["unit"]).value


def _baseline(defn: dict, continues: str | None, before: dict[str, dict], returns,
              previous: str):
    """(value, source) of one KPI's baseline column: the Q4 actual of the previous-year KPI
    it continues alone (rules.markers.continuations: kept or renumbered; a merged KPI or a
    part of a split one has no one actual of its own), else the catalogue's baseline."""
    if continues is not None:
        value = _q4_actual(before[continues], returns, previous)
        if value is not None:
            return value, "returns"
    value = to_number(defn["baseline"])
    return (value, "catalogue") if value is not None else (None, "")


def _range_texts(defn: dict, unit: str, decimals: int, scale: float = 1) -> dict:
    """The floor (``90%``) and an activity indicator's expected range (``400 to 520``)."""
    floor = to_number(defn["floor"])
    low, high = to_number(defn["expected_low"]), to_number(defn["expected_high"])
    return {"floor_text": "" if floor is None else format_target(floor, unit, decimals, scale),
            "range_text": "" if low is None or high is None else
            f"{format_target(low, unit, decimals, scale)} to "
            f"{format_target(high, unit, decimals, scale)}"}


def extend(report, catalogue: pd.DataFrame, returns: pd.DataFrame):
    """The ``qpr`` report with its baseline column, markers and removed KPIs (pure)."""
    fy = report.period.fy
    previous = P.fy_id(P.parse_fy(fy) - 1)
    kpis_cat = catalogue[catalogue["breakdown"] == ""]
    this = {d["ref"]: d for d in kpis_cat[kpis_cat["year"] == fy].to_dict("records")}
    before = {d["ref"]: d for d in kpis_cat[kpis_cat["year"] == previous].to_dict("records")}
    mine = [(ref, d["previous_ref"]) for ref, d in this.items() if d["report"] == report.report]
    m = markers(mine, list(before) if before else None)
    continued = continuations([(ref, d["previous_ref"]) for ref, d in this.items()], before)
    kpis = report.kpis.copy()
    rows = kpis.to_dict("records")
    for k in rows:
        defn = this[k["ref"]]
        k["activity"] = defn["target"] == ""
        k["marker"] = NEW if k["ref"] in m.new and k["breakdown"] == "" else ""
        value, source = ((None, "") if k["breakdown"] else
                         _baseline(defn, continued.get(k["ref"]), before, returns, previous))
        k["baseline"] = value
        k["baseline_text"] = "" if value is None else format_value(value, k["unit"],
                                                                  k["decimals"], k["scale"])
        k["baseline_source"] = (SOURCES[source].format(previous=previous) if source else "")
        k.update(_range_texts(defn, k["unit"], k["decimals"], k["scale"]))
    if rows:
        kpis = pd.DataFrame(rows, columns=[*kpis.columns, *ADDED])
    else:
        kpis = kpis.assign(**{c: "" for c in ADDED})
    removed = tuple({"ref": r, "name": before[r]["name"],
                     "directorate": before[r]["directorate"]} for r in m.removed
                    if before[r]["report"] == report.report)
    extra = QprExtra(previous, m.compared, removed,
                     "" if m.compared else FIRST_YEAR_NOTE.format(previous=previous))
    return dataclasses.replace(report, kpis=kpis, extra=extra)
