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
