"""kpilib.reports.spc_table: the series of each KPI and breakdown, and spc.csv."""

from __future__ import annotations

import pytest

from kpilib.reports.spc_table import (
    SPC_COLUMNS,
    TOO_FEW,
    TRIAL,
    SeriesSpec,
    analyse_all,
    parse_baseline,
    parse_rebase,
    series,
    spc_frame,
    summary,
)

WORKED = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]
MONTHS = [f"{2023 + (m >= 9)}-{(m + 3) % 12 + 1:02d}" for m in range(18)]  # 2023-04 .. 2024-09


def test_months_fixture():
    assert MONTHS[0] == "2023-04" and MONTHS[8] == "2023-12" and MONTHS[9] == "2024-01"


@pytest.mark.parametrize("values, last, frequency, expected", [
    pytest.param({"2024-01": 5.0, "2024-02": None, "2024-03": 7.0}, "2024-03", "monthly",
                 ["2024-01", "2024-03"], id="periods without a value are left out"),
    pytest.param({"2024-01": 5.0, "2024-02": 6.0, "2024-03": 7.0}, "2024-02", "monthly",
                 ["2024-01", "2024-02"], id="nothing after the report's period"),
    pytest.param({"2023-24-Q3": 5.0, "2024-01": 9.0, "2023-24-Q4": 6.0}, "2023-24-Q4",
                 "quarterly", ["2023-24-Q3", "2023-24-Q4"], id="the KPI's own frequency only"),
    pytest.param({"2024-01": float("nan")}, "2024-03", "monthly", [], id="NaN is no value"),
])
def test_series(values, last, frequency, expected):
    spec = SeriesSpec("X1", "", frequency, "higher", last)
    assert series(spec, values)[0] == expected


def test_spc_csv_of_the_worked_example():
    spec = SeriesSpec("X1", "", "monthly", "higher", MONTHS[-1], target=3.0)
    analyses = analyse_all([spec], {("X1", ""): dict(zip(MONTHS, WORKED))})
    df = spc_frame(analyses)
    assert tuple(df.columns) == SPC_COLUMNS and len(df) == 18
    assert SPC_COLUMNS[-1] == "provisional" and set(df["provisional"]) == {""}
    fifth = df.iloc[4]
    assert (fifth["point"], fifth["rule"]) == ("improvement", "outside")
    assert (fifth["mean"], fifth["lower_limit"], fifth["upper_limit"]) == (
        "1.944444", "-0.715556", "4.604444")
    assert df["variation"].tolist()[:-1] == [""] * 17
    assert (df.iloc[-1]["variation"], df.iloc[-1]["assurance"]) == ("common_cause",
                                                                    "hit_and_miss")


def test_a_series_of_one_point_is_not_in_spc_csv():
    spec = SeriesSpec("X1", "", "monthly", "higher", "2024-01")
    assert spc_frame(analyse_all([spec], {("X1", ""): {"2024-01": 5.0}})).empty


def test_breakdowns_have_their_own_series():
    specs = [SeriesSpec("X1", b, "monthly", "none", MONTHS[-1]) for b in ("", "P1")]
    vals = {("X1", ""): dict(zip(MONTHS, WORKED)), ("X1", "P1"): dict(zip(MONTHS, [5.0] * 18))}
    df = spc_frame(analyse_all(specs, vals))
    p1 = df[df["breakdown"] == "P1"]
    assert len(p1) == 18 and set(p1["lower_limit"]) == {""}  # constant: limits undefined


@pytest.mark.parametrize("text, expected", [
    pytest.param("", (), id="empty"),
    pytest.param("2024-04; 2025-04", ("2024-04", "2025-04"), id="two periods"),
])
def test_parse_rebase(text, expected):
    assert parse_rebase(text) == expected


def test_parse_baseline():
    assert parse_baseline("") is None and parse_baseline("12") == 12


@pytest.mark.parametrize(("period", "last_month"), [
    pytest.param("2023-24-Q1", "2023-06", id="Q1: nothing after June"),
    pytest.param("2024-25-Q4", "2025-03", id="Q4: January to March included"),
])
def test_a_monthly_kpis_series_in_a_quarterly_report_ends_with_the_quarter(test_store, period,
                                                                           last_month):
    from kpilib.notebook import open_report

    points = open_report(str(test_store), period, "core", "2025-06-30T00:00:00Z").spc_points
    months = points[points["period"].str.len() == 7]["period"]
    assert months.max() == last_month


@pytest.mark.parametrize("n, rebase, provisional, icons", [
    pytest.param(2, (), [TOO_FEW] * 2, ("common_cause", "hit_and_miss"),
                 id="2 points: in spc.csv with its icons, marked too_few_points"),
    pytest.param(11, (), [TOO_FEW] * 11, ("common_cause", "hit_and_miss"),
                 id="11 points: one short of the minimum"),
    pytest.param(12, (), [""] * 12, ("common_cause", "hit_and_miss"),
                 id="12 points: not provisional"),
    pytest.param(18, (MONTHS[14],), [""] * 14 + [TRIAL] * 4, ("common_cause", "hit_and_miss"),
                 id="4 points since a rebase: those rows have trial limits"),
])
def test_spc_csv_keeps_the_computed_analysis_marked_provisional(n, rebase, provisional, icons):
    spec = SeriesSpec("X1", "", "monthly", "higher", MONTHS[n - 1], target=1.5, rebase=rebase)
    analyses = analyse_all([spec], {("X1", ""): dict(zip(MONTHS[:n], [1.0, 2.0] * 9))})
    df = spc_frame(analyses)
    assert df["provisional"].tolist() == provisional
    assert (df.iloc[-1]["variation"], df.iloc[-1]["assurance"]) == icons
    shown = summary(analyses)[("X1", "")]
    charted = provisional[0] != TOO_FEW
    assert shown["spc_charted"] is charted
    assert (shown["variation"], shown["assurance"]) == (icons if charted else ("", ""))
    assert (shown["spc_variation"], shown["spc_assurance"]) == icons


def test_the_council_minimum_reaches_the_analysis():
    spec = SeriesSpec("X1", "", "monthly", "higher", MONTHS[4])
    values = {("X1", ""): dict(zip(MONTHS, WORKED))}
    assert not analyse_all([spec], values)[("X1", "")].charted
    assert analyse_all([spec], values, min_points=5)[("X1", "")].charted
    note = summary(analyse_all([spec], values, min_points=6))[("X1", "")]["spc_note"]
    assert note == "Too few points for control limits: 5 of 6 needed."
