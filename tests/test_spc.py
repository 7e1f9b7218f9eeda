"""kpilib.rules.spc: XmR limits, special cause rules, variation and assurance (pure)."""

from __future__ import annotations

import pytest

from kpilib.rules import spc


def months(n, start=(2022, 4)):
    y, m = start
    out = []
    for _ in range(n):
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def run(values, polarity="higher", **kw):
    return spc.analyse(months(len(values)), values, polarity, **kw)


# 12 points of noise: mean 11, MR 2 -> limits 5.68 .. 16.32, near lines 7.453 .. 14.547
NOISE = [10, 12] * 6


def flagged(values, **kw):
    """{index: rule} of the special cause points after the NOISE baseline."""
    a = run(NOISE + values, baseline=12, **kw)
    return {i - 12: p.rule for i, p in enumerate(a.points) if p.rule and i >= 12}


# ---------------------------------------------------------------- published worked example

WORKED = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]


def test_worked_example_with_screening():
    a = run(WORKED)
    lim = a.points[0].limits
    assert lim.mean == pytest.approx(1.944444, abs=1e-6)
    assert lim.lower == pytest.approx(-0.715556, abs=1e-6)
    assert lim.upper == pytest.approx(4.604444, abs=1e-6)
    assert [i for i, p in enumerate(a.points) if p.point != "common_cause"] == [4]
    assert a.points[4].rule == "outside" and a.points[4].point == "improvement"


def test_worked_example_without_screening():
    lim = spc.limits(WORKED, screen=False)
    assert (lim.lower, lim.upper) == (pytest.approx(-3.062614, abs=1e-6),
                                      pytest.approx(6.951503, abs=1e-6))


# ---------------------------------------------------------------- the rules, edge cases

RISING = [7.6, 8, 9, 10, 10.5, 11, 11.5]
RULES = [
    pytest.param(RISING, {i: "trend" for i in range(7)}, id="a rising run of 7 is a trend"),
    pytest.param(RISING[:6], {}, id="a rising run of 6 is not"),
    pytest.param([7.6, 8, 9, 9, 10.5, 11, 11.5], {}, id="a tie inside a rising run breaks it"),
    pytest.param([12, 12.5, 12, 12.5, 12, 12.5, 12], {i: "shift" for i in range(7)},
                 id="7 points above the mean are a shift"),
    pytest.param([12, 12.5, 12, 11, 12, 12.5, 12, 12.5], {},
                 id="a point exactly on the mean inside a run on one side breaks it"),
    pytest.param([14.8, 12, 14.9], {0: "two_of_three", 2: "two_of_three"},
                 id="two of three beyond the near line, same side"),
    pytest.param([14.8, 9, 14.9], {},
                 id="two of three with the third point across the mean is not"),
    pytest.param([17, 15, 12], {0: "outside", 1: "two_of_three"},
                 id="an outside point next to a near-line point"),
    pytest.param([11.5, 12, 12.5, 13, 13.5, 14, 14.5], {i: "trend" for i in range(7)},
                 id="a trend that is also a shift is a trend"),
    pytest.param([4, 11], {0: "outside"}, id="below the lower limit"),
]


@pytest.mark.parametrize("values, expected", RULES)
def test_special_cause_rules(values, expected):
    assert flagged(values) == expected


def test_a_falling_trend_is_low_even_above_the_mean():
    a = run(NOISE + [16, 15.5, 15, 14, 13, 12.5, 12], baseline=12)
    p = a.points[-1]
    assert p.rule == "trend" and p.high is False and p.point == "concern"
    assert a.variation == "concern_low"


def test_a_constant_series_has_no_limits_and_only_common_cause():
    a = run([5.0] * 15, target=6)
    assert not a.points[0].limits.defined and a.points[0].limits.upper is None
    assert {p.point for p in a.points} == {"common_cause"}
    assert (a.variation, a.assurance) == ("common_cause", "")


def test_screening_removes_large_moving_ranges_once():
    # moving ranges 1,1,1,28,29,1,1: mean 62/7; 3.267 x that = 28.9 screens 29 only, once
    lim = spc.limits([1, 2, 1, 2, 30, 1, 2, 1])
    assert lim.mr == pytest.approx(33 / 6)


def test_rebasing_splits_the_series():
    values = [10, 12] * 7 + [20, 22] * 7
    plain = run(values)
    assert sum(p.point != "common_cause" for p in plain.points) > 20  # the step, unrebased
    periods = months(len(values))
    rebased = spc.analyse(periods, values, "higher", rebase=[periods[14]])
    assert {p.group for p in rebased.points} == {0, 1}
    assert rebased.points[0].limits.mean == 11 and rebased.points[-1].limits.mean == 21
    assert {p.point for p in rebased.points} == {"common_cause"}


def test_a_fixed_baseline_takes_limits_from_the_first_points():
    a = run(NOISE + [13, 13.5, 13, 13.5, 13, 13.5, 13], baseline=12)
    assert a.points[-1].limits.mean == 11  # not the mean of all 19 points
    assert a.points[-1].rule == "shift"


# ---------------------------------------------------------------- icons

@pytest.mark.parametrize("tail, polarity, variation", [
    pytest.param([11], "higher", "common_cause", id="common cause"),
    pytest.param([17], "higher", "improvement_high", id="higher: high is improvement"),
    pytest.param([4], "higher", "concern_low", id="higher: low is concern"),
    pytest.param([17], "lower", "concern_high", id="lower: high is concern"),
    pytest.param([4], "lower", "improvement_low", id="lower: low is improvement"),
    pytest.param([17], "none", "neutral_high", id="no polarity: neutral high"),
    pytest.param([4], "none", "neutral_low", id="no polarity: neutral low"),
])
def test_variation_icon_of_the_latest_point(tail, polarity, variation):
    assert run(NOISE + tail, polarity, baseline=12).variation == variation


@pytest.mark.parametrize("target, polarity, assurance", [
    pytest.param(20, "higher", "fail", id="higher: target above the upper limit fails"),
    pytest.param(3, "higher", "pass", id="higher: target below the lower limit passes"),
    pytest.param(20, "lower", "pass", id="lower: target above the upper limit passes"),
    pytest.param(3, "lower", "fail", id="lower: target below the lower limit fails"),
    pytest.param(11, "higher", "hit_and_miss", id="target between the limits"),
    pytest.param(11 + 2.66 * 2, "higher", "hit_and_miss", id="target exactly on a limit"),
    pytest.param(None, "higher", "", id="no target"),
    pytest.param(20, "none", "", id="no polarity"),
])
def test_assurance_icon(target, polarity, assurance):
    assert run(NOISE, polarity, target=target).assurance == assurance


@pytest.mark.parametrize("n, provisional", [
    pytest.param(12, True, id="12 points: provisional"),
    pytest.param(13, False, id="13 points: not provisional"),
])
def test_fewer_than_13_points_are_provisional(n, provisional):
    assert run((NOISE * 2)[:n]).provisional is provisional


def test_one_point_is_no_xmr_chart():
    a = run([5.0])
    assert not a.charted and (a.variation, a.assurance) == ("", "")
