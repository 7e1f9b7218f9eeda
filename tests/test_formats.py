"""kpilib.rules.formats: display precision, display text, arrears wording.

The figures are Kent County Council's 2024/25 QPR list where it has them
(``seeds/kent-qpr-kpis-2024-25.txt``): pupils permanently excluded 0.04% against a
target of 0.02% (floor 0.04%), GHG emissions 11,477 tonnes against 10,570.
"""

from __future__ import annotations

import math

import pytest

from kpilib.rules.formats import (
    ZERO_TEXT,
    arrears_text,
    default_decimals,
    display_decimals,
    format_cell,
    format_number,
    format_target,
    format_value,
    incomplete_note,
    parts_text,
    scale_of,
)

# fmt: off
VALUES = [
    # (value, unit, decimals, shown)
    pytest.param(93.4, "percent", None, "93.4%", id="percent default one place"),
    pytest.param(0.04, "percent", None, "0.04%", id="0.04% is not 0.0% (Kent exclusions)"),
    pytest.param(0.0004, "percent", None, "0.0004%", id="a tiny percent shows its first digit"),
    pytest.param(-0.04, "percent", None, "-0.04%", id="a small negative is not -0.0%"),
    pytest.param(0.0, "percent", None, "0.0%", id="zero is zero"),
    pytest.param(1e-7, "percent", None, "0.0%", id="zero to 6 decimals is zero"),
    pytest.param(11477, "count", None, "11,477", id="a count of 11,477 with separators"),
    pytest.param(11477.0, "number", None, "11,477", id="a whole number has no places"),
    pytest.param(2928.6, "number", None, "2,929", id="from 1,000 no places"),
    pytest.param(345.678, "rate", None, "345.7", id="rate under 1,000 one place"),
    pytest.param(2.35, "days", None, "2.35", id="days under 10 up to two places"),
    pytest.param(12.0, "days", None, "12", id="whole days no places"),
    pytest.param(2_340_000, "currency", None, "£2,340,000", id="currency pounds"),
    pytest.param(3.5, "currency", None, "£3.50", id="currency under 1,000 with pence"),
    pytest.param(-12.25, "currency", None, "-£12.25", id="negative currency"),
    pytest.param(93.4567891, "percent", 0, "93%", id="decimals 0"),
    pytest.param(93.4567891, "percent", 6, "93.456789%", id="decimals 6"),
    pytest.param(11477, "count", 2, "11,477.00", id="decimals 2 on a count"),
    pytest.param(0.04, "percent", 0, "0.04%", id="decimals 0 never shows a non-zero as zero"),
    pytest.param(None, "percent", 1, "", id="no value"),
    pytest.param(math.nan, "count", None, "", id="NaN is no value"),
]
# fmt: on


@pytest.mark.parametrize(("value", "unit", "decimals", "shown"), VALUES)
def test_format_value(value, unit, decimals, shown):
    assert format_value(value, unit, decimals) == shown


# fmt: off
PRECISION = [
    # (unit, decimals, figures, pairs, places)
    pytest.param("percent", None, [0.04, 0.02], [(0.04, 0.02)], 2,
                 id="0.04% against a target of 0.02% are told apart"),
    pytest.param("percent", None, [0.04], [(0.04, 0.04)], 2,
                 id="0.04% on a floor of 0.04% reads as equal and is"),
    pytest.param("percent", None, [], [(84.98, 85)], 2,
                 id="84.98% against 85% is not 85.0%"),
    pytest.param("percent", None, [], [(79.96, 80)], 2, id="79.96% against a floor of 80%"),
    pytest.param("percent", None, [], [(85.0000000001, 85)], 1,
                 id="equal to 6 decimals is equal"),
    pytest.param("percent", None, [], [(93.4, 85)], 1, id="no clash keeps the default"),
    pytest.param("percent", 0, [], [(97.6, 97.5)], 1,
                 id="decimals 0 raised where value and target would read the same"),
    pytest.param("percent", 0, [91.6, 90], [(91.6, 90)], 0, id="decimals 0 kept"),
    pytest.param("percent", 6, [93.4], [], 6, id="decimals 6 kept"),
    pytest.param("percent", 3, [0.00001], [], 5, id="decimals raised for a tiny figure"),
    pytest.param("count", None, [11477, 10570, 11627], [(11477, 10570)], 0,
                 id="GHG tonnes 11,477 against 10,570"),
    pytest.param("number", None, [], [(10570.4, 10570)], 1,
                 id="10,570.4 against 10,570 is told apart"),
    pytest.param("percent", None, ["review", None, math.nan], [(93.4, "review")], 1,
                 id="words and blanks are not figures"),
    pytest.param("percent", None, [], [(1.000004, 1.000001)], 6,
                 id="up to 6 places where the 6th tells them apart"),
    pytest.param("percent", None, [], [(1.0000004, 1.0000001)], 1,
                 id="never past 6 places"),
]
# fmt: on


@pytest.mark.parametrize(("unit", "decimals", "figures", "pairs", "places"), PRECISION)
def test_display_decimals(unit, decimals, figures, pairs, places):
    n = display_decimals(unit, decimals, figures, pairs)
    assert n == places
    for v, t in pairs:  # what the rule promises, read off the texts
        if isinstance(t, str) or format_number(v) == format_number(t):
            continue
        assert format_value(v, unit, n) != format_value(t, unit, n), (v, t, n)


def test_value_and_target_are_distinguishable_on_the_page():
    n = display_decimals("percent", None, [0.04, 0.02, 0.04], [(0.04, 0.02), (0.04, 0.04)])
    assert (format_value(0.04, "percent", n), format_target(0.02, "percent", n),
            format_target(0.04, "percent", n)) == ("0.04%", "0.02%", "0.04%")


# fmt: off
DEFAULTS = [
    pytest.param("percent", [93.456, 0.5], 1, id="percent always one place"),
    pytest.param("count", [11477, 320], 0, id="whole counts"),
    pytest.param("count", [12.5, 13], 1, id="a mean count under 1,000"),
    pytest.param("days", [2.35, 3.1], 2, id="days under 10: as many as needed up to 2"),
    pytest.param("days", [3.4, 3.6], 1, id="days given to one place"),
    pytest.param("days", [23.333333], 1, id="under 1,000 at most one place"),
    pytest.param("rate", [1234.56], 0, id="from 1,000 none"),
    pytest.param("currency", [3.5, 12], 2, id="pence under 1,000"),
    pytest.param("currency", [2_340_000.5], 0, id="large amounts in pounds"),
    pytest.param("currency", [120, 450], 0, id="whole pounds"),
    pytest.param("number", [], 0, id="no figures"),
]
# fmt: on


@pytest.mark.parametrize(("unit", "figures", "places"), DEFAULTS)
def test_default_decimals(unit, figures, places):
    assert default_decimals(unit, figures) == places


# fmt: off
TARGETS = [
    pytest.param(90, "percent", 1, "90%", id="trailing zeros dropped"),
    pytest.param(97.5, "percent", 2, "97.5%", id="97.5 at two places"),
    pytest.param(0.02, "percent", 1, "0.02%", id="a tiny target is not 0%"),
    pytest.param(10570, "count", 0, "10,570", id="a count target with separators"),
    pytest.param(None, "percent", 1, "Tracking", id="no target"),
    pytest.param("review", "percent", 1, "Under review", id="under review"),
]
# fmt: on


@pytest.mark.parametrize(("target", "unit", "decimals", "shown"), TARGETS)
def test_format_target(target, unit, decimals, shown):
    assert format_target(target, unit, decimals) == shown


# fmt: off
CELLS = [
    pytest.param(dict(status="arrears", frequency="monthly"),
                 "N/A - reported one month in arrears", id="arrears monthly"),
    pytest.param(dict(status="arrears", frequency="quarterly"),
                 "N/A - reported one quarter in arrears", id="arrears quarterly"),
    pytest.param(dict(status="arrears", frequency="annual"),
                 "N/A - reported one year in arrears", id="arrears annual"),
    pytest.param(dict(status="zero", numerator=0, denominator=0), ZERO_TEXT, id="0 out of 0"),
    pytest.param(dict(status="ok", value=None), "Data missing", id="no value"),
    pytest.param(dict(value=93.4, numerator=12938, denominator=13852),
                 "93.4% (12938 out of 13852)", id="a ratio with its counts"),
    pytest.param(dict(value=93.1, mean_of=3), "93.1% (mean of 3 months)",
                 id="a ratio mean of value-only months is flagged"),
    pytest.param(dict(value=57.25, mean_of=2, frequency="quarterly", decimals=2),
                 "57.25% (mean of 2 quarters)", id="a ratio mean of quarters"),
    pytest.param(dict(value=91.0, mean_of=1), "91.0%", id="a value-only month as given"),
    pytest.param(dict(value=0.04, decimals=1), "0.04%", id="a cell never reads zero"),
]
# fmt: on


@pytest.mark.parametrize(("args", "shown"), CELLS)
def test_format_cell(args, shown):
    a = {"value": None, "numerator": None, "denominator": None, "status": "ok",
         "unit": "percent", "show_ratio": True, **args}
    assert format_cell(**a) == shown


@pytest.mark.parametrize(("frequency", "text"), [
    pytest.param("monthly", "N/A - reported one month in arrears", id="monthly"),
    pytest.param("quarterly", "N/A - reported one quarter in arrears", id="quarterly"),
])
def test_arrears_wording_follows_the_frequency(frequency, text):
    assert arrears_text(frequency) == text


@pytest.mark.parametrize(("x", "text"), [
    pytest.param(0.04, "0.04", id="small"),
    pytest.param(501.6007254, "501.600725", id="six places"),
    pytest.param(11477.0, "11477", id="no separators in results.csv"),
    pytest.param(-0.0000001, "0", id="negative zero"),
])
def test_results_keep_exact_figures(x, text):
    assert format_number(x) == text


# --------------------------------------------------------------------------- unit scale
# (spec section 2, "Figures in thousands or millions"; catalogue ``scale``, 7.1)

SCALED = [  # value as returned, unit, scale, decimals, shown
    pytest.param(1234, "currency", "thousands", None, "£1,234,000", id="£000: 1,234 in full"),
    pytest.param(2.6, "currency", "millions", None, "£2,600,000", id="£m: 2.6 in full"),
    pytest.param(1234.5, "currency", "thousands", None, "£1,234,500",
                 id="£000 with a decimal: exact in full"),
    pytest.param(-300, "currency", "thousands", None, "-£300,000",
                 id="£000 overspend negative: sign before the pound"),
    pytest.param(0.35, "currency", "thousands", None, "£350", id="£000 under a pound-thousand"),
    pytest.param(12.5, "count", "thousands", None, "12,500", id="000s count in full"),
    pytest.param(1234, "currency", "", None, "£1,234", id="no scale: as returned"),
    pytest.param(1234, "currency", "thousands", 2, "£1,234,000.00",
                 id="decimals count places of the figure as shown"),
]


@pytest.mark.parametrize(("value", "unit", "scale", "decimals", "shown"), SCALED)
def test_a_scaled_value_is_shown_in_full(value, unit, scale, decimals, shown):
    assert format_value(value, unit, decimals, scale_of(scale)) == shown


@pytest.mark.parametrize(("target", "scale", "shown"), [
    pytest.param(2500, "thousands", "£2,500,000", id="a £000 target in full"),
    pytest.param(1.45, "millions", "£1,450,000", id="a £m target in full"),
    pytest.param("review", "thousands", "Under review", id="a word is not scaled"),
])
def test_a_scaled_target_is_shown_in_full(target, scale, shown):
    assert format_target(target, "currency", None, scale_of(scale)) == shown


def test_a_scaled_kpis_precision_is_that_of_the_figures_shown():
    # 1.2345 and 2.5 (£000) are £1,234.50 and £2,500: from £1,000 no pence by default
    assert display_decimals("currency", None, [1.2345, 2.5], scale=1000) == 0
    # a value and target that differ in full never read the same: 2,500.4 vs 2,500 (£000)
    n = display_decimals("currency", 0, [], [(2500.0004, 2500)], scale=1000)
    assert format_value(2500.0004, "currency", n, 1000) != format_target(2500, "currency", n,
                                                                          1000)


@pytest.mark.parametrize(("scale", "multiplier"), [
    pytest.param("thousands", 1000, id="thousands"), pytest.param("millions", 10 ** 6,
                                                                  id="millions"),
    pytest.param("", 1, id="empty"), pytest.param(None, 1, id="absent (older catalogue)"),
    pytest.param(float("nan"), 1, id="NaN from a frame"),
])
def test_scale_of(scale, multiplier):
    assert scale_of(scale) == multiplier


# --------------------------------------------------------------------------- incomplete figures

@pytest.mark.parametrize(("measure", "parts", "due", "frequency", "missing", "note"), [
    pytest.param("sum", 3, 4, "quarterly", ("Q2 2024-25",), "3 of 4 quarters",
                 id="a sum of 3 quarters of 4"),
    pytest.param("sum", 10, 11, "monthly", ("Jan 2025",), "10 of 11 months",
                 id="a sum of 10 months of 11"),
    pytest.param("ratio", 1, 2, "monthly", ("May 2024",), "1 of 2 months",
                 id="a ratio of 1 month of 2"),
    pytest.param("snapshot", 2, 3, "monthly", ("Sep 2024",), "Sep 2024 missing; an earlier figure",
                 id="a snapshot whose last month is missing"),
    pytest.param("cumulative", 2, 3, "monthly", ("Sep 2024",),
                 "Sep 2024 missing; an earlier figure", id="a cumulative whose last month is missing"),
])
def test_incomplete_note(measure, parts, due, frequency, missing, note):
    assert incomplete_note(measure, parts, due, frequency, missing) == note


@pytest.mark.parametrize(("args", "shown"), [
    pytest.param((1234, None, None, "ok", "currency", False, None, "quarterly", 0,
                  "3 of 4 quarters", 1000), "£1,234,000 (3 of 4 quarters)",
                 id="an incomplete £000 sum: in full, labelled"),
    pytest.param((93.3, 560, 600, "ok", "percent", True, 1, "monthly", 0, "2 of 3 months"),
                 "93.3% (560 out of 600; 2 of 3 months)", id="an incomplete ratio: labelled"),
    pytest.param((93.1, None, None, "ok", "percent", True, 1, "monthly", 2, "2 of 3 months"),
                 "93.1% (mean of 2 of 3 months)", id="an incomplete mean of values alone"),
    pytest.param((None, None, None, "missing", "count", False, None, "monthly", 0, ""),
                 "Data missing", id="no figure at all: Data missing, no label"),
])
def test_format_cell_labels_an_incomplete_figure(args, shown):
    assert format_cell(*args) == shown


def test_parts_text_singular():
    assert parts_text(0, 1, "quarterly") == "0 of 1 quarter"
