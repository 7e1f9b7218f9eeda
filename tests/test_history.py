"""A KPI's previous year across renumbering (kpilib/reports/history.py): a report's KPIs see
the previous year's figures and rules of the KPI each continues (kept or renumbered), none
where it continues none (new, merged, a part of a split one), one year back, while that
year's set is loaded; and end to end, a renumbered KPI's direction of travel, last year's
column and trend come from its old ref."""

from __future__ import annotations

import copy

import pytest

import kpilib.notebook as kn
from conftest import write_csv
from kpilib.reports.history import follow
from kpilib.store import Store

NOW, LAST, BEFORE = "2024-25", "2023-24", "2022-23"
Q = {NOW: "2024-25-Q1", LAST: "2023-24-Q4", BEFORE: "2022-23-Q4"}


def catalogue(**years: list[tuple]) -> dict:
    """{(year, ref, breakdown): definition} from ``year=[(ref, previous_ref), ...]``
    (a breakdown as ``(ref, previous_ref, breakdown)``)."""
    defs = {}
    for key, rows in years.items():
        fy = {"now": NOW, "last": LAST, "before": BEFORE}[key]
        for ref, prev, *b in rows:
            defs[(fy, ref, b[0] if b else "")] = {"ref": ref, "previous_ref": prev,
                                                  "target": f"{fy} {ref}"}
    return defs


def figures(**series: dict) -> dict:
    """{(ref, breakdown): {period: value}} from ``REF={year key: value}``."""
    out = {}
    for name, by_year in series.items():
        ref, _, b = name.partition("__")
        out[(ref, b)] = {Q[{"now": NOW, "last": LAST, "before": BEFORE}[k]]: v
                         for k, v in by_year.items()}
    return out


def seen(defs, obs, ref, b=""):
    """What a 2024-25 report sees of ``ref``: its figures by period, and the earlier years'
    definitions it is rated by (their targets)."""
    d, o = follow(defs, obs, NOW)
    return (o.get((ref, b), {}), {LAST: d[(LAST, ref, b)]["target"]} if (LAST, ref, b) in d
            else {})


@pytest.mark.parametrize("defs, obs, ref, expected", [
    pytest.param(catalogue(now=[("K1", "")], last=[("K1", "")]),
                 figures(K1={"now": 1, "last": 2}), "K1",
                 ({Q[NOW]: 1, Q[LAST]: 2}, {LAST: "2023-24 K1"}), id="kept: its own"),
    pytest.param(catalogue(now=[("K2", "K1")], last=[("K1", "")]),
                 figures(K1={"last": 2}, K2={"now": 1}), "K2",
                 ({Q[NOW]: 1, Q[LAST]: 2}, {LAST: "2023-24 K1"}),
                 id="renumbered: the old ref's figures and rules"),
    pytest.param(catalogue(now=[("K1", ""), ("K9", "K1")], last=[("K1", "")]),
                 figures(K1={"now": 1, "last": 2}), "K1", ({Q[NOW]: 1}, {}),
                 id="a number given to a new KPI: none of the old KPI's"),
    pytest.param(catalogue(now=[("K1", ""), ("K9", "K1")], last=[("K1", "")]),
                 figures(K1={"now": 1, "last": 2}, K9={"now": 5}), "K9",
                 ({Q[NOW]: 5, Q[LAST]: 2}, {LAST: "2023-24 K1"}),
                 id="... and the renumbered KPI has them"),
    pytest.param(catalogue(now=[("S1", "S1"), ("S2", "S1")], last=[("S1", "")]),
                 figures(S1={"now": 1, "last": 2}), "S1", ({Q[NOW]: 1}, {}),
                 id="split, keeping the number: the whole's figures are no part's"),
    pytest.param(catalogue(now=[("M1", "A;B")], last=[("A", ""), ("B", "")]),
                 figures(A={"last": 2}, B={"last": 3}, M1={"now": 1}), "M1", ({Q[NOW]: 1}, {}),
                 id="merged: none"),
    pytest.param(catalogue(now=[("K1", "")]), figures(K1={"now": 1, "last": 2}), "K1",
                 ({Q[NOW]: 1, Q[LAST]: 2}, {}),
                 id="previous set not loaded: the same ref's figures, as they are"),
    pytest.param(catalogue(now=[("K3", "K2")], last=[("K2", "K1")], before=[("K1", "")]),
                 figures(K1={"before": 3}, K2={"last": 2}, K3={"now": 1}), "K3",
                 ({Q[NOW]: 1, Q[LAST]: 2}, {LAST: "2023-24 K2"}),
                 id="renumbered twice: one year back"),
    pytest.param(catalogue(now=[("K3", "")], last=[("K3", "K1")], before=[("K1", "")]),
                 figures(K1={"before": 3}, K3={"now": 1, "last": 2}), "K3",
                 ({Q[NOW]: 1, Q[LAST]: 2}, {LAST: "2023-24 K3"}),
                 id="kept this year, renumbered the year before: as it is"),
    pytest.param(catalogue(now=[("A", "B"), ("B", "A")], last=[("A", ""), ("B", "")]),
                 figures(A={"now": 1, "last": 2}, B={"now": 5, "last": 6}), "A",
                 ({Q[NOW]: 1, Q[LAST]: 6}, {LAST: "2023-24 B"}), id="two refs swapped"),
    pytest.param(catalogue(now=[("K2", "K1"), ("K2", "K1", "P1")],
                           last=[("K1", ""), ("K1", "", "P1")]),
                 figures(K1__P1={"last": 2}, K2__P1={"now": 1}), ("K2", "P1"),
                 ({Q[NOW]: 1, Q[LAST]: 2}, {LAST: "2023-24 K1"}),
                 id="a breakdown follows its KPI"),
])
def test_follow(defs, obs, ref, expected):
    ref, b = ref if isinstance(ref, tuple) else (ref, "")
    before = copy.deepcopy((defs, obs))
    assert seen(defs, obs, ref, b) == expected
    assert (defs, obs) == before  # the inputs are left as they were


def test_a_report_of_the_earlier_year_sees_that_years_own_kpis():
    defs = catalogue(now=[("K2", "K1")], last=[("K1", "")])
    obs = figures(K1={"last": 2}, K2={"now": 1})
    d, o = follow(defs, obs, LAST)  # the 2023-24 report: K1 as it was
    assert (o, d) == (obs, defs)


# --------------------------------------------------------------------------- end to end

def test_a_renumbered_kpis_travel_last_year_and_trend_follow_its_old_ref(tmp_path):
    from test_qpr import HEADER, RETURNS, kpi_row  # the qpr tests' catalogue rows

    store = Store.open(tmp_path / "kpi.sqlite")
    store.load_catalogue(write_csv(tmp_path / "c1.csv", HEADER, [kpi_row("2023-24", "OLD")]))
    store.load_catalogue(write_csv(tmp_path / "c2.csv", HEADER,
                                   [kpi_row("2024-25", "K1", previous_ref="OLD")]))
    store.load_returns(write_csv(tmp_path / "r.csv", RETURNS, [
        {"ref": "OLD", "period": "2023-24-Q1", "value": "70"},
        {"ref": "OLD", "period": "2023-24-Q4", "value": "85"},
        {"ref": "K1", "period": "2024-25-Q1", "value": "91"}]))
    store.engine.dispose()
    report = kn.open_report(str(tmp_path / "kpi.sqlite"), "2024-25-Q1", "qpr")
    k = report.kpis.set_index("ref").loc["K1"]
    assert k["travel"] == "↑G"  # 91 against OLD's Q4 85, higher is better
    results = report.results.set_index(["ref", "column"])
    assert results.loc[("K1", "2023-24-Q1"), "value"] == "70"  # last year's Q1: OLD's
    trend = report.series[(report.series["ref"] == "K1") & report.series["value"].notna()]
    assert list(zip(trend["period"], trend["value"])) == [
        ("2023-24-Q1", 70.0), ("2023-24-Q4", 85.0), ("2024-25-Q1", 91.0)]
