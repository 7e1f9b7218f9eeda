import pytest

from kpilib.ingest.catalogue import parse_target, parse_tolerance
from kpilib.ingest.keys import builtin_keys
from kpilib.rules.rag import column_target, rag_status


def rag(value, target, polarity="higher", scheme="tolerance", tolerance="", floor=None):
    """The built-in schemes are shipped keys (kpilib/keys/builtin.yaml): rated as data."""
    key = builtin_keys().status_key(scheme)
    return rag_status(value, target, polarity, key, parse_tolerance(tolerance), floor)


@pytest.mark.parametrize(
    "value, target, polarity, expected",
    [
        pytest.param(None, 90, "higher", "Data missing", id="no value is Data missing"),
        pytest.param(None, "review", "higher", "Data missing", id="no value beats target under review"),
        pytest.param(50, "review", "higher", "Target under review", id="target under review"),
        pytest.param(50, None, "higher", "Tracking", id="no target is Tracking"),
        pytest.param(50, None, "none", "Tracking", id="no polarity, no target is Tracking"),
    ],
)
def test_statuses_common_to_all_schemes(value, target, polarity, expected):
    for scheme in ("tolerance", "floor", "graded", "trust"):
        assert rag(value, target, polarity, scheme, floor=80) == expected, scheme


@pytest.mark.parametrize(
    "value, target, polarity, tolerance, expected",
    [
        # default: 5% of target
        pytest.param(90, 90, "higher", "", "Green", id="higher is better, exactly on target"),
        pytest.param(95, 90, "higher", "", "Green", id="higher is better, better than target"),
        pytest.param(85.5, 90, "higher", "", "Amber", id="higher is better, exactly 5% worse (default)"),
        pytest.param(85.49, 90, "higher", "", "Red", id="higher is better, just over 5% worse"),
        pytest.param(10, 10, "lower", "", "Green", id="lower is better, exactly on target"),
        pytest.param(9, 10, "lower", "", "Green", id="lower is better, better than target"),
        pytest.param(10.5, 10, "lower", "", "Amber", id="lower is better, exactly 5% worse"),
        pytest.param(10.51, 10, "lower", "", "Red", id="lower is better, just over 5% worse"),
        pytest.param(0, 0, "lower", "", "Green", id="target 0, value 0"),
        pytest.param(1, 0, "lower", "", "Red", id="target 0: 5% of 0 allows nothing"),
        # explicit percent
        pytest.param(90, 100, "higher", "10%", "Amber", id="10% tolerance, exactly 10% worse"),
        pytest.param(89.9, 100, "higher", "10%", "Red", id="10% tolerance, beyond"),
        # percentage points
        pytest.param(92.5, 97.5, "higher", "5pp", "Amber", id="5pp, exactly 5 points worse"),
        pytest.param(92.4, 97.5, "higher", "5pp", "Red", id="5pp, more than 5 points worse"),
        pytest.param(14, 10, "lower", "5pp", "Amber", id="5pp, lower is better, 4 points worse"),
        # explicit amber band
        pytest.param(88, 88, "higher", "85-88", "Green", id="band, on target"),
        pytest.param(86, 88, "higher", "85-88", "Amber", id="band, inside the band"),
        pytest.param(85, 88, "higher", "85-88", "Amber", id="band, on the band's lower edge"),
        pytest.param(84.9, 88, "higher", "85-88", "Red", id="band, below the band"),
        pytest.param(12, 10, "lower", "10-12", "Amber", id="band, lower is better, on the upper edge"),
        pytest.param(12.1, 10, "lower", "10-12", "Red", id="band, lower is better, above the band"),
        # none
        pytest.param(90, 90, "higher", "none", "Green", id="tolerance none, on target"),
        pytest.param(89.99, 90, "higher", "none", "Red", id="tolerance none, anything worse is Red"),
    ],
)
def test_tolerance_scheme(value, target, polarity, tolerance, expected):
    assert rag(value, target, polarity, "tolerance", tolerance) == expected


@pytest.mark.parametrize(
    "value, target, floor, polarity, expected",
    [
        pytest.param(90, 90, 80, "higher", "Green", id="meets target"),
        pytest.param(85, 90, 80, "higher", "Amber", id="between floor and target"),
        pytest.param(80, 90, 80, "higher", "Amber", id="exactly on the floor"),
        pytest.param(79.9, 90, 80, "higher", "Red", id="below the floor"),
        pytest.param(25, 25, 30, "lower", "Green", id="lower is better, meets target"),
        pytest.param(28, 25, 30, "lower", "Amber", id="lower is better, floor above target"),
        pytest.param(30, 25, 30, "lower", "Amber", id="lower is better, exactly on the floor"),
        pytest.param(30.1, 25, 30, "lower", "Red", id="lower is better, worse than the floor"),
        pytest.param(89, 90, None, "higher", "Red", id="no floor given: anything worse is Red"),
    ],
)
def test_floor_scheme(value, target, floor, polarity, expected):
    assert rag(value, target, polarity, "floor", floor=floor) == expected


@pytest.mark.parametrize(
    "value, target, polarity, expected",
    [
        pytest.param(111, 100, "higher", "Green+", id="more than 10% better"),
        pytest.param(110, 100, "higher", "Green", id="exactly 10% better"),
        pytest.param(100, 100, "higher", "Green", id="on target"),
        pytest.param(95, 100, "higher", "Green", id="exactly 5% worse"),
        pytest.param(94.9, 100, "higher", "Amber", id="just over 5% worse"),
        pytest.param(90, 100, "higher", "Amber", id="exactly 10% worse"),
        pytest.param(89.9, 100, "higher", "Red", id="more than 10% worse"),
        # the 2013 county report's own figures
        pytest.param(2886, 3377, "lower", "Green+", id="county: fire incidents 2,886 vs 3,377"),
        pytest.param(88.05, 75, "higher", "Green+", id="county: home fire checks 88.05% vs 75%"),
        pytest.param(10.3, 10, "lower", "Green", id="county: illegal sales 10.3% vs <10%"),
        pytest.param(64, 28, "lower", "Red", id="county: safeguarding days 64 vs 28"),
        pytest.param(0, 0, "lower", "Green", id="target 0, value 0"),
        pytest.param(1, 0, "lower", "Red", id="target 0, any worse is Red"),
    ],
)
def test_graded_scheme(value, target, polarity, expected):
    assert rag(value, target, polarity, "graded") == expected


@pytest.mark.parametrize(
    "value, target, polarity, tolerance, expected",
    [
        pytest.param(85, 85, "higher", "", "Green", id="at target"),
        pytest.param(81, 85, "higher", "", "Amber", id="below target within tolerance"),
        pytest.param(80, 85, "higher", "", "Red", id="below target outside tolerance"),
        pytest.param(10.4, 10, "lower", "", "Amber", id="lower is better, within tolerance"),
        pytest.param(11, 10, "lower", "", "Red", id="lower is better, outside tolerance"),
        pytest.param(50, None, "higher", "", "Tracking", id="Grey where there is no RAG"),
    ],
)
def test_trust_scheme(value, target, polarity, tolerance, expected):
    assert rag(value, target, polarity, "trust", tolerance) == expected


@pytest.mark.parametrize(
    "target, measure, months, last_month, quarters, last_q, expected",
    [
        pytest.param("264 (22 per month)", "sum", 1, 11, 0, 4, 22, id="per month: a month's target"),
        pytest.param("264 (22 per month)", "sum", 3, 9, 1, 3, 66, id="per month: a quarter's target"),
        pytest.param("264 (22 per month)", "sum", 11, 11, 3, 4, 242, id="per month: YTD to February"),
        pytest.param("252 (21 per month)", "cumulative", 1, 5, 0, 2, 105,
                     id="per month, cumulative: month 5 is 5 x 21"),
        pytest.param("98 (10;20;30;40;50;60;70;80;88;93;96;98)", "cumulative", 1, 2, 0, 1, 20,
                     id="twelve-value profile: May"),
        pytest.param("98 (10;20;30;40;50;60;70;80;88;93;96;98)", "cumulative", 3, 9, 1, 3, 88,
                     id="twelve-value profile: Q3 ends in December"),
        pytest.param("400 (100 per quarter)", "sum", 3, 3, 1, 1, 100, id="per quarter: one quarter"),
        pytest.param("400 (100 per quarter)", "sum", 9, 9, 3, 3, 300, id="per quarter: YTD to Q3"),
        pytest.param("95", "ratio", 11, 11, 3, 4, 95, id="plain number applies to every column"),
        pytest.param("review", "ratio", 1, 1, 0, 1, "review", id="review stays review"),
        pytest.param("", "sum", 1, 1, 0, 1, None, id="empty is tracking"),
    ],
)
def test_column_target_applies_monthly_profiles(target, measure, months, last_month, quarters,
                                                last_q, expected):
    got = column_target(parse_target(target), measure, months, last_month, quarters, last_q)
    assert got == (pytest.approx(expected) if isinstance(expected, (int, float)) else expected)


def test_profiled_target_is_compared_with_the_month_not_the_annual_figure():
    t = column_target(parse_target("264 (22 per month)"), "sum", 1, 3, 0, 1)
    assert rag(21, t, "higher") == "Amber"  # 21 vs 22 a month, not vs 264 a year
    assert rag(23, t, "higher") == "Green"


def test_unknown_scheme_is_an_error():
    with pytest.raises(ValueError, match="unknown status key 'rainbow'"):
        rag(1, 2, "higher", "rainbow")
