import pytest

from kpilib.errors import PeriodError
from kpilib.rules import periods as P


@pytest.mark.parametrize(
    "month_id, fy, quarter, number",
    [
        pytest.param("2023-04", "2023-24", "2023-24-Q1", 1, id="April starts the financial year"),
        pytest.param("2023-09", "2023-24", "2023-24-Q2", 6, id="September is Q2"),
        pytest.param("2023-12", "2023-24", "2023-24-Q3", 9, id="December is Q3"),
        pytest.param("2024-01", "2023-24", "2023-24-Q4", 10, id="January belongs to the previous FY"),
        pytest.param("2024-03", "2023-24", "2023-24-Q4", 12, id="March ends the financial year"),
        pytest.param("1999-12", "1999-00", "1999-00-Q3", 9, id="century rollover"),
    ],
)
def test_month_belongs_to_fy_and_quarter(month_id, fy, quarter, number):
    p = P.month(month_id)
    assert p.fy == fy
    assert P.quarter_of_month(month_id) == quarter
    assert P.month_number_in_fy(month_id) == number


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("2024-13", id="month 13"),
        pytest.param("2024-00", id="month 00"),
        pytest.param("2024-2", id="one-digit month"),
        pytest.param("Feb 2024", id="words"),
        pytest.param("2023-25-Q1", id="FY second part not the next year"),
        pytest.param("2023-24-Q5", id="quarter 5"),
        pytest.param("2023-24", id="a financial year is not a period"),
        pytest.param("", id="empty"),
    ],
)
def test_bad_period_ids_are_rejected_with_the_expected_form(text):
    with pytest.raises(PeriodError, match="expected"):
        P.parse_period(text)


def test_quarter_months():
    assert P.quarter("2023-24-Q4").months == ("2024-01", "2024-02", "2024-03")
    assert P.quarter("2023-24-Q1").months == ("2023-04", "2023-05", "2023-06")


@pytest.mark.parametrize(
    "period, steps, expected",
    [
        pytest.param("2024-01", -1, "2023-12", id="month back over new year"),
        pytest.param("2024-04", -1, "2024-03", id="month back over FY start"),
        pytest.param("2024-25-Q1", -1, "2023-24-Q4", id="quarter back over FY start"),
        pytest.param("2024-25-Q3", -4, "2023-24-Q3", id="same quarter last year"),
    ],
)
def test_shift(period, steps, expected):
    assert P.shift(period, steps).id == expected


@pytest.mark.parametrize(
    "period, expected",
    [
        pytest.param("2024-02", ["YTD", "2023-24-Q1", "2023-24-Q2", "2023-24-Q3", "2024-01",
                                 "2024-02"], id="February 2024 (the spec's example)"),
        pytest.param("2023-04", ["YTD", "2023-04"], id="April: YTD and the month only"),
        pytest.param("2023-06", ["YTD", "2023-04", "2023-05", "2023-06"], id="June: Q1's months"),
        pytest.param("2023-07", ["YTD", "2023-24-Q1", "2023-07"], id="July: Q1 then July"),
        pytest.param("2024-03", ["YTD", "2023-24-Q1", "2023-24-Q2", "2023-24-Q3", "2024-01",
                                 "2024-02", "2024-03"], id="March: three quarters, three months"),
    ],
)
def test_monthly_columns(period, expected):
    cols = P.report_columns(period)
    assert [c.id for c in cols] == expected
    assert [c.id for c in cols if c.current] == [period]


def test_monthly_ytd_spans_fy_start_to_month():
    ytd = P.report_columns("2024-02")[0]
    assert ytd.months[0] == "2023-04" and ytd.months[-1] == "2024-02" and len(ytd.months) == 11
    assert ytd.quarters == ("2023-24-Q1", "2023-24-Q2", "2023-24-Q3")


@pytest.mark.parametrize(
    "period, expected",
    [
        pytest.param("2024-25-Q1", ["YTD", "2024-25-Q1", "2023-24-Q1"], id="Q1 and last year's Q1"),
        pytest.param("2024-25-Q3", ["YTD", "2024-25-Q1", "2024-25-Q2", "2024-25-Q3",
                                    "2023-24-Q3"], id="Q3: quarters to date and last year's Q3"),
    ],
)
def test_quarterly_columns(period, expected):
    cols = P.report_columns(period)
    assert [c.id for c in cols] == expected
    assert [c.id for c in cols if c.current] == [period]
    assert cols[-1].label.endswith("(last year)")


@pytest.mark.parametrize(
    "period, expected",
    [
        pytest.param("2024-25-Q1", ["YTD", "2024-25-Q1", "2023-24-Q4", "2023-24-Q1"],
                     id="Q1: the previous quarter after its own"),
        pytest.param("2024-25-Q2", ["YTD", "2024-25-Q1", "2024-25-Q2", "2023-24-Q2"],
                     id="Q2: its own quarters show the previous one already"),
    ],
)
def test_quarterly_columns_with_the_previous_period(period, expected):
    cols = P.report_columns(period, previous_period=True)
    assert [c.id for c in cols] == expected
    assert [c.id for c in cols if c.current] == [period]
    if period.endswith("Q1"):
        assert cols[2].label == "Q4 2023-24 (previous quarter)" and not cols[2].current
