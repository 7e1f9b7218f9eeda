import math

import pytest

from kpilib.rules.measures import Obs, aggregate, single_value


def o(value=None, num=None, den=None, status=""):
    return Obs.of(value, num, den, status)


@pytest.mark.parametrize(
    "measure, obs, expected",
    [
        pytest.param("sum", [o(1), o(2), o(3)], 6, id="sum of the months"),
        pytest.param("sum", [o(1), o(status="missing"), o(3)], 4, id="sum skips a missing month"),
        pytest.param("sum", [o(1), None, o(3)], 4, id="sum skips a month never returned"),
        pytest.param("snapshot", [o(245), o(250), o(248)], 248, id="snapshot is the last month"),
        pytest.param("snapshot", [o(245), o(250), o(status="missing")], 250,
                     id="snapshot is the last month with data"),
        pytest.param("cumulative", [o(10.5), o(19.9), o(29.1)], 29.1,
                     id="cumulative is the last month"),
        pytest.param("cumulative", [o(10.5), o(19.9), o(status="arrears")], 19.9,
                     id="cumulative with the last month in arrears uses the latest data"),
        pytest.param("mean", [o(10), o(20), o(status="unavailable")], 15,
                     id="mean of the months with data"),
        pytest.param("ratio", [o(None, 4000, 4300), o(None, 4500, 4800), o(None, 4438, 4752)],
                     12938 / 13852 * 100, id="ratio is sum of numerators over sum of denominators"),
        pytest.param("ratio", [o(99.0, 1, 2), o(0.0, 3, 4)], 4 / 6 * 100,
                     id="ratio ignores monthly values, uses numerators and denominators"),
        pytest.param("ratio", [o(None, 0, 0), o(None, 3, 4)], 75.0,
                     id="a 0 out of 0 month adds nothing to a ratio"),
    ],
)
def test_aggregate_values(measure, obs, expected):
    cell = aggregate(obs, measure, "percent")
    assert cell.status == "ok"
    assert cell.value == pytest.approx(expected)


def test_ratio_ytd_keeps_numerator_and_denominator():
    cell = aggregate([o(None, 6000, 6500), o(None, 6938, 7352)], "ratio", "percent")
    assert (cell.numerator, cell.denominator) == (12938, 13852)
    assert round(cell.value, 2) == 93.40


@pytest.mark.parametrize(
    "measure, obs, status",
    [
        pytest.param("ratio", [o(None, 0, 0)], "zero", id="ratio 0 out of 0 has no value"),
        pytest.param("ratio", [o(None, 0, 0), o(None, 0, 0)], "zero",
                     id="ratio of several 0 out of 0 months has no value"),
        pytest.param("sum", [o(status="missing")], "missing", id="missing month"),
        pytest.param("sum", [None], "missing", id="no return at all"),
        pytest.param("snapshot", [o(status="unavailable")], "missing", id="unavailable month"),
        pytest.param("sum", [o(status="arrears")], "arrears", id="month in arrears"),
        pytest.param("ratio", [o(status="arrears")], "arrears", id="ratio month in arrears"),
    ],
)
def test_aggregate_without_a_value(measure, obs, status):
    cell = aggregate(obs, measure, "percent")
    assert cell.value is None
    assert cell.status == status


def test_zero_denominator_is_never_zero_or_hundred_percent():
    cell = aggregate([o(None, 0, 0)], "ratio", "percent")
    assert cell.value is None and cell.numerator == 0 and cell.denominator == 0


@pytest.mark.parametrize(
    "unit, num, den, expected",
    [
        pytest.param("percent", 12938, 13852, 93.4016, id="percent x100"),
        pytest.param("rate", 36, 75000, 48.0, id="rate per 100,000 population"),
        pytest.param("days", 1120, 20, 56.0, id="days x1 (numerator above denominator is fine)"),
        pytest.param("count", 7, 2, 3.5, id="count x1"),
        pytest.param("percent", 0, 0, None, id="0 out of 0 derives nothing"),
    ],
)
def test_value_derived_from_numerator_and_denominator_is_scaled_by_unit(unit, num, den, expected):
    v = single_value(Obs.of(None, num, den), unit)
    assert (v is None) if expected is None else (v == pytest.approx(expected, abs=1e-4))


def test_nan_inputs_are_treated_as_empty():
    assert Obs.of(math.nan, math.nan, math.nan) == Obs()


def test_unknown_measure_is_an_error():
    with pytest.raises(ValueError, match="unknown measure"):
        aggregate([o(1)], "median", "count")


# --------------------------------------------------------------------------- completeness
# (spec section 2, "A figure with a period missing")

@pytest.mark.parametrize(
    "measure, obs, frequency, parts, due, gaps, incomplete",
    [
        pytest.param("sum", [o(1), o(2), o(3), o(4)], "quarterly", 4, 4, (), False,
                     id="sum of four quarters is complete"),
        pytest.param("sum", [o(1), o(status="missing"), o(3)], "quarterly", 2, 3, (1,), True,
                     id="sum lacking Q2 (missing) is incomplete"),
        pytest.param("sum", [o(1), None, o(3)], "monthly", 2, 3, (1,), True,
                     id="sum lacking a month never returned is incomplete"),
        pytest.param("sum", [o(1), o(2), o(status="arrears")], "monthly", 2, 3, (2,), True,
                     id="sum whose last month is in arrears is incomplete"),
        pytest.param("sum", [o(1), o(2), o(status="carried_over")], "monthly", 2, 3, (2,), True,
                     id="sum whose last month is carried over is incomplete"),
        pytest.param("sum", [o(1), o(2), o(status="not_due")], "monthly", 2, 2, (), False,
                     id="a period not yet due is not a missing part"),
        pytest.param("ratio", [o(None, 3, 4), o(status="unavailable")], "monthly", 1, 2, (1,),
                     True, id="ratio lacking a month is incomplete"),
        pytest.param("ratio", [o(None, 0, 0), o(None, 3, 4)], "monthly", 2, 2, (), False,
                     id="a 0 out of 0 month is a part with figures"),
        pytest.param("mean", [o(10), o(status="missing"), o(20)], "monthly", 2, 3, (1,), True,
                     id="mean lacking a month is incomplete"),
        pytest.param("snapshot", [o(245), o(status="missing"), o(248)], "monthly", 2, 3, (1,),
                     False, id="snapshot lacking a middle month is complete (latest there)"),
        pytest.param("snapshot", [o(245), o(250), o(status="missing")], "monthly", 2, 3, (2,),
                     True, id="snapshot lacking its last month is incomplete"),
        pytest.param("cumulative", [o(10), o(20), o(status="arrears")], "monthly", 2, 3, (2,),
                     True, id="cumulative whose last month is in arrears is incomplete"),
        pytest.param("snapshot", [o(1), o(status="missing"), o(status="not_due")], "monthly",
                     1, 2, (1,), True, id="snapshot: the last due period decides, not_due skipped"),
        pytest.param("sum", [None, None, None, o(40)], "annual", 1, 1, (), False,
                     id="annual KPI: quarters with no return are not due"),
        pytest.param("sum", [None, o(status="missing"), None, o(40)], "annual", 1, 2, (1,),
                     True, id="annual KPI: a quarter marked missing is a missing part"),
        pytest.param("sum", [o(status="missing")], "monthly", 0, 1, (0,), False,
                     id="no figure at all: Data missing, not incomplete"),
    ],
)
def test_completeness(measure, obs, frequency, parts, due, gaps, incomplete):
    cell = aggregate(obs, measure, "percent", frequency)
    assert (cell.parts, cell.due, cell.gaps, cell.incomplete) == (parts, due, gaps, incomplete)
