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


# ---------------------------------------------------------------- precedence (NHSRplotthedots)

# Where several rules flag a point, the one named follows ptd_special_cause_type
# (R/ptd_calculate_point_type.R): outside > trend > two_of_three > shift.
PRECEDENCE = [
    pytest.param([8, 9, 10, 11, 12, 13, 17], {**{i: "trend" for i in range(6)}, 6: "outside"},
                 id="outside over trend: the last of a rising run beyond the upper limit"),
    pytest.param([12, 12.5, 12, 17, 12, 12.5, 12],
                 {**{i: "shift" for i in range(7)}, 3: "outside"},
                 id="outside over shift: one of 7 above the mean beyond the upper limit"),
    pytest.param([15, 17, 12], {0: "two_of_three", 1: "outside"},
                 id="outside over two of three: the point beyond the limit is outside"),
    pytest.param([8, 9, 10, 11, 12, 14.6, 14.8], {i: "trend" for i in range(7)},
                 id="trend over two of three: a rising run ending beyond the near line"),
    pytest.param([11.5, 12, 12.5, 13, 13.5, 14, 14.5], {i: "trend" for i in range(7)},
                 id="trend over shift: 7 rising points all above the mean"),
    pytest.param([12, 14.8, 12, 14.9, 12, 12.5, 12],
                 {**{i: "shift" for i in range(7)}, 1: "two_of_three", 3: "two_of_three"},
                 id="two of three over shift: 7 above the mean, 2 of 3 beyond the near line"),
    pytest.param([8, 9, 10, 11, 12, 14.6, 17],
                 {**{i: "trend" for i in range(6)}, 6: "outside"},
                 id="outside over trend and two of three at once"),
]


@pytest.mark.parametrize("values, expected", PRECEDENCE)
def test_the_rule_named_follows_nhsrplotthedots_precedence(values, expected):
    assert flagged(values) == expected


@pytest.mark.parametrize("values, high, point", [
    pytest.param([14, 13.5, 13, 12.5, 12, 11.5, 11, 11.5, 12, 12.5, 13, 13.5, 14], True,
                 "improvement", id="a valley ending a falling trend and starting a rising one"),
    pytest.param([8, 8.5, 9, 9.5, 10, 10.5, 11, 10.5, 10, 9.5, 9, 8.5, 8], False, "concern",
                 id="a peak ending a rising trend and starting a falling one"),
])
def test_a_point_in_two_trends_takes_the_direction_of_the_one_it_starts(values, high, point):
    a = run(NOISE + values, baseline=12)
    shared = a.points[12 + 6]
    assert (shared.rule, shared.high, shared.point) == ("trend", high, point)


# ---------------------------------------------------------------- rebased at the last point

@pytest.mark.parametrize("target, polarity, assurance", [
    pytest.param(20, "higher", "hit_and_miss",
                 id="a target beyond the old limits: hit and miss, as NHSRplotthedots gives"),
    pytest.param(3, "lower", "hit_and_miss", id="lower polarity: hit and miss too"),
    pytest.param(None, "higher", "", id="no target: no assurance"),
    pytest.param(20, "none", "", id="no polarity: no assurance"),
])
def test_a_series_rebased_at_its_last_point_gets_an_assurance(target, polarity, assurance):
    periods = months(13)
    a = spc.analyse(periods, NOISE + [13], polarity, target, rebase=[periods[-1]])
    assert a.points[-1].group == 1 and not a.points[-1].limits.defined
    assert a.charted and a.provisional
    assert (a.variation, a.assurance) == ("common_cause", assurance)


# ---------------------------------------------------------------- minimum number of points

@pytest.mark.parametrize("n, min_points, charted", [
    pytest.param(2, 12, False, id="2 points: too few"),
    pytest.param(11, 12, False, id="11 points: one short of 12"),
    pytest.param(12, 12, True, id="12 points: charted"),
    pytest.param(5, 5, True, id="a council minimum of 5: 5 points charted"),
    pytest.param(12, 13, False, id="a council minimum of 13: 12 points too few"),
])
def test_the_minimum_number_of_points_for_limits(n, min_points, charted):
    a = run((NOISE * 2)[:n], target=20, min_points=min_points)
    assert a.charted is charted and a.computed
    assert a.assurance == "fail" and a.variation == "common_cause"  # computed all the same
    if charted:
        assert a.note == ""
    else:
        assert a.note == f"Too few points for control limits: {n} of {min_points} needed."


def test_two_quarters_are_computed_but_not_charted():
    a = spc.analyse(["2023-24-Q4", "2024-25-Q1"], [80.0, 90.0], "higher", 85.0)
    assert a.assurance == "hit_and_miss" and not a.charted
    assert a.note == "Too few points for control limits: 2 of 12 needed."


@pytest.mark.parametrize("n, rebase_at, provisional", [
    pytest.param(20, 15, True, id="5 points since the rebase: trial limits"),
    pytest.param(24, 12, False, id="12 points since the rebase: not provisional"),
    pytest.param(12, None, False, id="12 points, no rebase: not provisional"),
])
def test_a_latest_group_shorter_than_the_minimum_has_trial_limits(n, rebase_at, provisional):
    periods = months(n)
    a = spc.analyse(periods, (NOISE * 2)[:n], "higher",
                    rebase=[periods[rebase_at]] if rebase_at else ())
    assert a.charted and a.provisional is provisional
    assert ("trial limits" in a.note) is provisional
    if provisional:
        assert a.note.endswith(": 5 of 12 points since the series was last rebased.")


def test_one_point_is_no_xmr_chart():
    a = run([5.0])
    assert not a.charted and not a.computed and (a.variation, a.assurance) == ("", "")
    assert a.note == "Too few points for control limits: 1 of 12 needed."


def test_no_points_no_note():
    assert spc.analyse([], [], "higher").note == ""


# ---------------------------------------------------------------- natural bounds

@pytest.mark.parametrize("unit, values, bounds", [
    pytest.param("percent", [2.0, 50.0, 99.0], (0.0, 100.0), id="percent: 0 to 100"),
    pytest.param("count", [0.0, 3.0], (0.0, None), id="count: 0 or more"),
    pytest.param("count", [-4.0, 3.0], (None, None), id="a count below 0: a net change"),
    pytest.param("rate", [1.0, 2.0], (None, None), id="rate: no bound"),
    pytest.param("currency", [1.0], (None, None), id="currency: no bound"),
    pytest.param("days", [1.0], (None, None), id="days: no bound"),
])
def test_natural_bounds(unit, values, bounds):
    assert spc.natural_bounds(unit, values) == bounds


@pytest.mark.parametrize("x, bounds, expected", [
    pytest.param(-0.715556, (0.0, None), 0.0, id="below 0: at 0"),
    pytest.param(104.2, (0.0, 100.0), 100.0, id="above 100%: at 100"),
    pytest.param(55.0, (0.0, 100.0), 55.0, id="within: unchanged"),
    pytest.param(-3.0, (None, None), -3.0, id="no bound: unchanged"),
    pytest.param(None, (0.0, 100.0), None, id="undefined stays undefined"),
])
def test_clip(x, bounds, expected):
    assert spc.clip(x, bounds) == expected
