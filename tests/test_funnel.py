"""Funnel plots (kpilib.rules.funnel): Spiegelhalter's (2005) exact binomial and Poisson
control limits with his interpolation, the pooled target, outliers and bad points.

The expected limits were computed independently with scipy.stats (``binom``/``poisson``:
``r = ppf(q)``, ``α = (cdf(r) − q) / (cdf(r) − cdf(r − 1))``, limit ``max(0, r − α) / n``)
and are written here to 8 decimals; kpilib does not depend on scipy."""

from __future__ import annotations

import math
import random

import pytest

from kpilib.rules.funnel import FunnelError, curve_denominators, funnel, limits

# fmt: off
EXACT = [
    # id, kind, target, denominator, (lower 95%, upper 95%, lower 99.8%, upper 99.8%)
    ("10% of 100 people", "proportion", 0.1, 100,
     (0.0403806, 0.15771861, 0.01417887, 0.19835672)),
    ("half of 1,000", "proportion", 0.5, 1000, (0.4685021, 0.5304979, 0.4506522, 0.5483478)),
    ("2% of 250: lower 99.8% at 0", "proportion", 0.02, 250,
     (0.00227611, 0.03722299, 0.0, 0.05064423)),
    ("80% of 30: skewed", "proportion", 0.8, 30, (0.63205927, 0.91899483, 0.53481398,
                                                  0.97307355)),
    ("5 per 100 of 2,000 (100 expected)", "rate", 0.05, 2000,
     (0.04018317, 0.05979045, 0.03503264, 0.06590238)),
    ("5 per 100 of 40 (2 expected): lower limits at 0", "rate", 0.05, 40,
     (0.0, 0.11915591, 0.0, 0.17781398)),
    ("12.3 per 1,000 of 150,000", "rate", 0.0123, 150000,
     (0.01173857, 0.01286107, 0.0114213, 0.01319105)),
]
# fmt: on


@pytest.mark.parametrize("kind, target, n, expected",
                         [pytest.param(*c[1:], id=c[0]) for c in EXACT])
def test_exact_limits_match_an_independent_computation(kind, target, n, expected):
    lim = limits(kind, target, n)
    got = (lim.lower95, lim.upper95, lim.lower998, lim.upper998)
    assert got == pytest.approx(expected, abs=5e-9)


@pytest.mark.parametrize("kind, target, n", [
    pytest.param("proportion", 0.1, 100, id="proportion-10%-of-100"),
    pytest.param("proportion", 0.3, 5000, id="proportion-30%-of-5000"),
    pytest.param("rate", 0.02, 50000, id="rate-1000-expected"),
])
def test_limits_are_near_the_normal_approximation_by_hand(kind, target, n):
    """Hand-computed: target ± 1.96 and ± 3.09 standard errors (sqrt(θ(1−θ)/n) for a
    proportion, sqrt(θ/n) for a rate); the exact limits lie within a tenth of a standard
    error plus a count's width of them."""
    se = math.sqrt(target * (1 - target) / n if kind == "proportion" else target / n)
    lim = limits(kind, target, n)
    slack = 0.1 * se + 1 / n
    assert lim.lower95 == pytest.approx(target - 1.959964 * se, abs=slack)
    assert lim.upper95 == pytest.approx(target + 1.959964 * se, abs=slack)
    assert lim.lower998 == pytest.approx(target - 3.090232 * se, abs=slack)
    assert lim.upper998 == pytest.approx(target + 3.090232 * se, abs=slack)


def test_the_target_is_the_pooled_figure_not_the_mean_of_figures():
    f = funnel([("A", 10, 100), ("B", 300, 1000)], "proportion")
    assert f.target == pytest.approx(310 / 1100)  # the mean of 10% and 30% would be 20%
    assert [p.body for p in f.points] == ["A", "B"]


# fmt: off
PLACES = [
    # id, numerator of body X of 1,000 (the others: 100 of 1,000 each), expected outside
    ("within", 100, ""),
    ("above the 95% only: an alert", 125, "above_95"),
    ("above 99.8%: an outlier", 140, "above_998"),
    ("below the 95% only", 78, "below_95"),
    ("below 99.8%: an outlier", 60, "below_998"),
]
# fmt: on


@pytest.mark.parametrize("num, expected", [pytest.param(n, e, id=i) for i, n, e in PLACES])
def test_each_body_is_placed_against_its_own_limits(num, expected):
    points = [(f"B{i:02d}", 100, 1000) for i in range(15)] + [("X", num, 1000)]
    f = funnel(points, "proportion", target=0.1)
    x = next(p for p in f.points if p.body == "X")
    assert x.outside == expected
    assert f.outliers == ((("X", expected[:5]),) if expected.endswith("998") else ())


def test_a_figure_exactly_on_a_limit_is_within():
    lim = limits("proportion", 0.1, 100)
    f = funnel([("A", lim.upper95 * 100, 100)], "proportion", target=0.1)
    assert f.points[0].outside == ""


def test_the_funnel_narrows_as_the_denominator_grows():
    f = funnel([("A", 5, 50), ("B", 2000, 20000)], "rate")
    widths = [c.upper998 - c.lower998 for c in f.curve]
    assert widths == sorted(widths, reverse=True)
    assert f.curve[0].denominator == 25 and f.curve[-1].denominator == 20000
    assert all(c.lower998 <= c.lower95 <= f.target <= c.upper95 <= c.upper998
               for c in f.curve)


def test_the_curve_at_given_denominators():
    f = funnel([("A", 5, 50)], "proportion", at=[400, 100])
    assert [c.denominator for c in f.curve] == [100, 400]


def test_curve_denominators_are_even_on_a_log_scale():
    assert curve_denominators(10, 1000, 3) == pytest.approx([10, 100, 1000])
    assert curve_denominators(5, 5) == [5]


def test_the_order_of_the_points_changes_nothing():
    rng = random.Random(22)
    points = [(f"E0600{i:04d}", rng.randint(50, 400), rng.randint(500, 3000))
              for i in range(16)]
    shuffled = points[:]
    rng.shuffle(shuffled)
    assert funnel(points, "proportion") == funnel(shuffled, "proportion")


def test_large_denominators_are_quick_and_exact_enough():
    lim = limits("proportion", 0.5, 5_000_000)  # sd 1,118 counts
    se = math.sqrt(0.25 / 5_000_000)
    assert lim.upper998 == pytest.approx(0.5 + 3.090232 * se, abs=se * 0.01)


@pytest.mark.parametrize("points, kind, message", [
    pytest.param([], "proportion", "no bodies", id="no-points"),
    pytest.param([("A", 1, 0)], "proportion", "A: denominator 0", id="zero-denominator"),
    pytest.param([("A", -1, 10)], "rate", "A: numerator -1", id="negative-numerator"),
    pytest.param([("A", 11, 10)], "proportion", "above its denominator",
                 id="proportion-above-one"),
    pytest.param([("A", 1, 10)], "ratio", "expected one of proportion, rate", id="bad-kind"),
])
def test_points_that_cannot_be_placed_are_named(points, kind, message):
    with pytest.raises(FunnelError, match=message):
        funnel(points, kind)


def test_a_rate_may_be_above_one_per_unit():
    f = funnel([("A", 30, 10), ("B", 20, 10)], "rate")
    assert f.target == 2.5 and f.points[0].outside == ""


@pytest.mark.parametrize("target, expected", [
    pytest.param(0.0, 0.0, id="none-ever"), pytest.param(1.0, 1.0, id="all-always")])
def test_a_proportion_of_nothing_or_everything_has_no_width(target, expected):
    lim = limits("proportion", target, 100)
    assert (lim.lower998, lim.upper998) == (expected, expected)
