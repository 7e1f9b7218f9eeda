"""The report model on the demo data: spec behaviours, and results.csv against golden files."""

from pathlib import Path

import pandas as pd
import pytest

from kpilib.notebook import open_report
from kpilib.reports.model import RESULTS_COLUMNS

GOLDEN = Path(__file__).parent / "golden"
FINAL = "2025-06-30T00:00:00.000000Z"  # after every demo load
BEFORE_REVISION = "2024-03-10T12:00:00.000000Z"  # Feb 2024 returns loaded, revisions not yet


@pytest.fixture(scope="module")
def feb(test_store):
    return open_report(str(test_store), "2024-02", "core", FINAL)


@pytest.fixture(scope="module")
def feb_then(test_store):
    return open_report(str(test_store), "2024-02", "core", BEFORE_REVISION)


def cell(report, ref, column, breakdown=""):
    c = report.cells
    row = c[(c["ref"] == ref) & (c["column"] == column) & (c["breakdown"] == breakdown)]
    assert len(row) == 1, (ref, column, breakdown)
    return row.iloc[0]


def kpi(report, ref, breakdown=""):
    k = report.kpis
    return k[(k["ref"] == ref) & (k["breakdown"] == breakdown)].iloc[0]


def test_results_have_exactly_the_contract_columns(feb):
    assert list(feb.results.columns) == list(RESULTS_COLUMNS)


def test_columns_of_the_february_report(feb):
    assert [c.id for c in feb.columns] == ["YTD", "2023-24-Q1", "2023-24-Q2", "2023-24-Q3",
                                           "2024-01", "2024-02"]
    per_kpi = feb.results.groupby(["ref", "breakdown"]).size()
    assert (per_kpi == 6).all()


def test_travel_only_on_the_current_period_row(feb):
    r = feb.results
    assert (r.loc[r["column"] != "2024-02", "travel"] == "").all()
    assert (r.loc[r["column"] == "2024-02", "travel"] != "").all()


def test_ratio_ytd_is_sum_of_numerators_over_sum_of_denominators(feb):
    c = cell(feb, "STP44", "YTD")
    months = feb.cells  # every month Apr-Feb is summed: check against the quarter cells
    parts = [cell(feb, "STP44", q) for q in ("2023-24-Q1", "2023-24-Q2", "2023-24-Q3",
                                            "2024-01", "2024-02")]
    assert c["numerator"] == sum(p["numerator"] for p in parts)
    assert c["denominator"] == sum(p["denominator"] for p in parts)
    assert c["value"] == pytest.approx(c["numerator"] / c["denominator"] * 100)
    assert c["display"].endswith(f"({c['numerator']:.0f} out of {c['denominator']:.0f})")
    assert len(months) > 0


def test_breakdown_overrides_give_their_own_targets(feb):
    assert kpi(feb, "STP31", "P1")["target_text"] == "97.5%"
    assert kpi(feb, "STP31", "P2")["target_text"] == "97.5%"
    assert kpi(feb, "STP31", "P3")["target_text"] == "90%"
    assert kpi(feb, "STP31", "P4")["target_text"] == "90%"
    assert kpi(feb, "STP31")["rag"] == "Tracking"  # the total is its own row, tracking only


def test_breakdown_rows_follow_their_kpi(feb):
    rows = feb.kpis[feb.kpis["ref"] == "STP31"]["breakdown"].tolist()
    assert rows == ["", "P1", "P2", "P3", "P4"]


def test_monthly_profile_target(feb):
    # AFL13 2023-24: 252 a year, 21 a month: a month is compared with 21, YTD with 21 x 11
    assert cell(feb, "AFL13", "2024-02")["target"] == 21
    assert cell(feb, "AFL13", "YTD")["target"] == 21 * 11
    assert cell(feb, "AFL13", "2023-24-Q1")["target"] == 63


def test_arrears_month_shows_na_and_travel_uses_the_latest_two_periods(feb_then):
    c = cell(feb_then, "AFL07", "2024-02")
    assert c["status"] == "arrears"
    assert c["display"] == "N/A - reported one month in arrears"
    assert c["rag"] == "" and pd.isna(c["value"])
    k = kpi(feb_then, "AFL07")
    assert k["arrears"] and k["headline_period"] == "2024-01"
    assert c["travel"] not in ("", "n/a")  # January against December


def test_arrears_value_arrives_later(feb):
    assert cell(feb, "AFL07", "2024-02")["status"] == "ok"


def test_a_kpi_without_a_rag_is_still_counted_in_the_summary(test_store):
    aug = open_report(str(test_store), "2024-08", "core", FINAL)
    counts = aug.rag_counts("directorate")
    assert counts["Total"].sum() == len(aug.headline())
    assert counts.loc["Place & Economy", "Not rated"] == 1  # STP15: 0 out of 0


def test_zero_denominator_is_shown_as_na_never_as_a_percentage(test_store):
    aug = open_report(str(test_store), "2024-08", "core", FINAL)
    c = cell(aug, "STP15", "2024-08")
    assert c["display"] == "N/A (0 out of 0)"
    assert pd.isna(c["value"]) and c["rag"] == ""
    row = aug.results[(aug.results["ref"] == "STP15") & (aug.results["column"] == "2024-08")]
    assert row.iloc[0]["value"] == "" and row.iloc[0]["numerator"] == "0"


def test_a_revision_changes_the_current_figure_but_not_an_earlier_read(feb, feb_then):
    assert cell(feb_then, "STP31", "2024-02", "P2")["numerator"] == 346
    assert cell(feb, "STP31", "2024-02", "P2")["numerator"] == 342


def test_quarterly_report_shows_last_year_only_where_data_exists(test_store):
    first = open_report(str(test_store), "2023-24-Q2", "service", FINAL)
    assert [c.id for c in first.columns] == ["YTD", "2023-24-Q1", "2023-24-Q2"]
    later = open_report(str(test_store), "2024-25-Q3", "service", FINAL)
    assert [c.id for c in later.columns][-1] == "2023-24-Q3"


def test_a_monthly_kpi_in_a_quarterly_report_charts_its_months_to_the_quarters_end(test_store):
    report = open_report(str(test_store), "2024-25-Q4", "core", FINAL)
    points = report.series[(report.series["ref"] == "BBF07")
                           & (report.series["breakdown"] == "")]["period"].tolist()
    assert points[0] == "2023-04" and points[-1] == "2025-03" and len(points) == 24


def test_health_report_is_organised_by_theme(test_store):
    rep = open_report(str(test_store), "2024-25-Q4", "health", FINAL)
    assert rep.sections() == ["Financial", "Customer", "Workforce"]


def test_summary_counts_every_kpi_once(feb):
    counts = feb.rag_counts("directorate")
    assert counts["Total"].sum() == len(feb.headline())
    assert set(feb.exceptions()["rag"]) <= {"Red"}


@pytest.mark.parametrize(
    "period, report, as_of",
    [
        pytest.param("2024-02", "core", FINAL, id="core February 2024, final figures"),
        pytest.param("2024-02", "core", BEFORE_REVISION, id="core February 2024, as first published"),
        pytest.param("2024-25-Q3", "service", FINAL, id="service 2024-25 Q3"),
        pytest.param("2024-25-Q4", "health", FINAL, id="health 2024-25 Q4"),
    ],
)
def test_results_match_golden_file(test_store, period, report, as_of, request):
    got = open_report(str(test_store), period, report, as_of).results
    name = f"results-{period}-{report}-{'final' if as_of == FINAL else 'first'}.csv"
    path = GOLDEN / name
    if request.config.getoption("--update-golden"):
        got.to_csv(path, index=False, lineterminator="\n")
    expected = pd.read_csv(path, dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize(
    "period, report, as_of",
    [
        pytest.param("2024-02", "core", FINAL, id="core February 2024"),
        pytest.param("2024-25-Q3", "service", FINAL, id="service 2024-25 Q3"),
        pytest.param("2024-25-Q4", "health", FINAL, id="health 2024-25 Q4"),
    ],
)
def test_travel_words_never_contradict_the_status(test_store, period, report, as_of):
    """A Red or Amber KPI is never "on target" in its travel words; a KPI with no target (or
    one under review) is neither "on target" nor "not on target"."""
    got = open_report(str(test_store), period, report, as_of).results
    rows = got[got["travel_label"] != ""]
    assert len(rows)
    for _, r in rows.iterrows():
        words = r["travel_label"].lower()
        said = f"{r['ref']} {r['breakdown']} {r['rag']}: {r['travel_label']}"
        if r["rag"] in ("Tracking", "Target under review"):
            assert "target" not in words, said
        if r["rag"] in ("Red", "Amber"):
            assert "on target" not in words.replace("not on target", ""), said


# =========================================================================== a second council

@pytest.fixture(scope="module")
def kent(tmp_path_factory):
    from kent_figures import kent_report

    return kent_report(tmp_path_factory.mktemp("kent"))


# fmt: off
KENT_FIGURES = [
    # ref, column ("KPI": the row's texts), what the page shows
    pytest.param("EDU06", "2024-25-Q1", "0.04%", id="0.04% is not 0.0%"),
    pytest.param("EDU06", "KPI", ("0.02%", "Floor 0.04%", "0.04%"),
                 id="0.02% target, 0.04% floor and baseline told apart from 0.05%"),
    pytest.param("ET07", "2024-25-Q2", "11,190", id="tonnes with thousands separators"),
    pytest.param("ET07", "KPI", ("10,570", "Floor 11,627", "11,477"),
                 id="target, floor and baseline typed with separators"),
    pytest.param("CS02", "2024-25-Q1", "92% (9160 out of 10000)", id="decimals 0"),
    pytest.param("CS02", "YTD", "89% (17860 out of 20000)", id="decimals 0 on YTD"),
    pytest.param("GED02", "2024-25-Q1", "97.912345%", id="decimals 6"),
    pytest.param("CS01", "KPI", ("97%", "Floor 90%", "98.0%"), id="baseline 98% typed with %"),
    pytest.param("CS03", "2024-25-Q1", "61.5%", id="a value-only ratio quarter as given"),
    pytest.param("CS03", "YTD", "68.2% (mean of 2 quarters)",
                 id="YTD of a value-only and a counted quarter: their mean, flagged"),
    pytest.param("GL01", "2024-25-Q2", "N/A - reported one quarter in arrears",
                 id="a quarterly KPI in arrears says quarter"),
    pytest.param("CS10", "YTD", "2,432,571", id="a tracking count"),
]
# fmt: on


@pytest.mark.parametrize("ref, column, shown", KENT_FIGURES)
def test_a_second_councils_figures_as_the_page_shows_them(kent, ref, column, shown):
    if column == "KPI":
        k = kpi(kent, ref)
        assert (k["target_text"], k["tolerance_text"], k["baseline_text"]) == shown
    else:
        assert cell(kent, ref, column)["display"] == shown


def test_results_keep_exact_figures_and_no_baseline(kent):
    r = kent.results
    assert list(r.columns) == list(RESULTS_COLUMNS)
    row = r[(r["ref"] == "CS03") & (r["column"] == "YTD")].iloc[0]
    assert (row["value"], row["numerator"], row["denominator"]) == ("68.25", "", "")
    assert r[(r["ref"] == "EDU06") & (r["column"] == "2024-25-Q1")].iloc[0]["value"] == "0.04"
    assert not r.isin(["11477", "11,477"]).any().any(), "the baseline is not a result"


def test_a_quarterly_kpi_in_arrears_is_rated_on_its_latest_quarter(kent):
    k = kpi(kent, "GL01")
    assert k["arrears"] and k["headline_period"] == "2024-25-Q1" and k["rag"] == "Red"


# months of HSG03 (a monthly ratio percent KPI of the fixture catalogue): value alone, or counts
V, C = "value", "counts"
# fmt: off
VALUE_ONLY = [
    pytest.param([(V, 91)], "2024-04", 91.0, "91.0%", id="a value-only month as given"),
    pytest.param([(V, 91), (V, 93), (V, 95)], "2024-25-Q1", 93.0, "93.0% (mean of 3 months)",
                 id="a quarter of value-only months: their mean, flagged"),
    pytest.param([(V, 91), (V, 93), (C, (470, 500))], "2024-25-Q1", (91 + 93 + 94) / 3,
                 "92.7% (mean of 3 months)",
                 id="value-only and counted months: the mean of all, flagged"),
    pytest.param([(C, (90, 100)), (C, (470, 500))], "2024-25-Q1", 560 / 600 * 100,
                 "93.3% (560 out of 600; 2 of 3 months)",
                 id="counted months: sum over sum as ever (June missing: said)"),
    pytest.param([(V, 91), (C, (0, 0))], "2024-25-Q1", 91.0, "91.0% (2 of 3 months)",
                 id="a 0 out of 0 month has no value to average (June missing: said)"),
]
# fmt: on


@pytest.mark.parametrize("months, column, value, shown", VALUE_ONLY)
def test_a_ratio_with_values_alone(tmp_path, catalogue_frame, months, column, value, shown):
    from conftest import RETURNS_HEADER, write_csv
    from kpilib.ingest.returns import read_returns_file
    from kpilib.reports.model import build_report

    rows = [{"ref": "HSG03", "period": f"2024-0{4 + i}",
             **({"value": str(x)} if kind == V else {"numerator": x[0], "denominator": x[1]})}
            for i, (kind, x) in enumerate(months)]
    returns = read_returns_file(write_csv(tmp_path / "r.csv", RETURNS_HEADER, rows),
                                catalogue_frame)
    period = column if column.startswith("2024-0") else "2024-07"  # Q1 shown: Q1, July, YTD
    c = cell(build_report(catalogue_frame, returns, period, "core"), "HSG03", column)
    assert c["value"] == pytest.approx(value) and c["display"] == shown
    counted = all(kind == C for kind, _ in months)
    assert pd.isna(c["numerator"]) != counted, "counts shown only where every month has them"
