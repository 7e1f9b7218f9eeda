"""Activity indicators' range statuses (kpilib/rules/ranges.py; spec section 7): inclusive
ends, no range, no value."""

import math

import pytest

from kpilib.rules.ranges import ABOVE, BELOW, RANGE_STATUSES, WITHIN, range_status


@pytest.mark.parametrize("value, low, high, expected", [
    pytest.param(500, 400, 600, WITHIN, id="inside the range"),
    pytest.param(400, 400, 600, WITHIN, id="exactly on the low end is within"),
    pytest.param(600, 400, 600, WITHIN, id="exactly on the high end is within"),
    pytest.param(399.999, 400, 600, BELOW, id="just below the low end"),
    pytest.param(600.001, 400, 600, ABOVE, id="just above the high end"),
    pytest.param(0, 400, 600, BELOW, id="zero is a value, below"),
    pytest.param(5, 5, 5, WITHIN, id="a one-point range: on it"),
    pytest.param(5.0001, 5, 5, ABOVE, id="a one-point range: above it"),
    pytest.param(0.1 + 0.2, 0.1, 0.3, WITHIN, id="0.1+0.2 is on the end 0.3 (float noise)"),
    pytest.param(-3, -5, -1, WITHIN, id="negative range"),
    pytest.param(500, None, None, "Tracking", id="no range stays Tracking"),
    pytest.param(None, 400, 600, "Data missing", id="no value is Data missing"),
    pytest.param(math.nan, 400, 600, "Data missing", id="NaN is no value"),
    pytest.param(None, None, None, "Data missing", id="no value, no range: Data missing"),
])
def test_range_status(value, low, high, expected):
    assert range_status(value, low, high) == expected


def test_range_statuses_are_the_spec_words():
    assert RANGE_STATUSES == ("Above range", "Within range", "Below range")
