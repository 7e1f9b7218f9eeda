"""Small-number suppression rules (kpilib.rules.suppression): primary and secondary."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpilib.rules.suppression import (
    Suppression,
    determined,
    primary,
    printed_forms,
    protect,
    recoverable,
    secondary,
    states,
    tilings,
)


@pytest.mark.parametrize(("value", "threshold", "small"), [
    (0, 5, False), (1, 5, True), (4, 5, True), (4.9, 5, True), (5, 5, False),
    (0.5, 5, True), (None, 5, False), (float("nan"), 5, False), (12, 5, False),
    (9, 10, True), (10, 10, False), (-3, 5, True),
], ids=lambda x: repr(x))
def test_a_small_count_is_above_zero_and_below_the_threshold(value, threshold, small):
    assert Suppression(threshold).small(value) is small


def test_the_mark_names_the_threshold():
    assert Suppression().mark == "<5" and Suppression(10).mark == "<10"


@pytest.mark.parametrize(("parts", "withheld"), [
    ({"a": 3, "b": 20, "c": 30}, {"a", "b"}),  # the next smallest part goes too
    ({"a": 3, "b": 2, "c": 30}, {"a", "b"}),  # two small ones protect each other
    ({"a": 3, "b": 0, "c": 0}, {"a", "total"}),  # zeros are shown: the total goes
    ({"a": 3, "b": 30, "c": 20}, {"a", "c"}),
    ({"a": 30, "b": 20, "c": 40}, set()),
    ({"a": 3, "b": 20, "c": 20}, {"a", "b"}),  # among equals, the first
], ids=["next-smallest", "two-small", "only-zeros-left", "order", "none-small", "tie"])
def test_secondary_suppression_of_breakdowns(parts, withheld):
    values = {"total": sum(parts.values()), **parts}
    small = primary(values, parts, Suppression())
    assert secondary(values, [("total", list(parts))], small) == withheld


def test_a_member_without_a_value_does_not_count():
    values = {"total": 33, "a": 3, "b": None, "c": 30}
    assert secondary(values, [("total", ["a", "b", "c"])], {"a"}) == {"a", "c"}


# a is small; secondary withholds b (for a + b) and c (for a + c); b + c is published too
TRIANGLE_VALUES = {"a": 2, "b": 10, "c": 11, "ab": 12, "ac": 13, "bc": 21}
TRIANGLE = [("ab", ["a", "b"]), ("ac", ["a", "c"]), ("bc", ["b", "c"])]


@pytest.mark.parametrize(("values", "groups", "withheld", "found"), [
    (TRIANGLE_VALUES, TRIANGLE, {"a", "b", "c"}, ["a", "b", "c"]),  # 3 equations, 3 unknowns
    (TRIANGLE_VALUES, TRIANGLE, {"a", "b", "c", "ab"}, []),  # one more unknown: a line
    # a 2 x 2 table with its row and column sums: the four cells are never determined
    ({"n1": 3, "n2": 8, "s1": 9, "s2": 2, "n": 11, "s": 11, "t1": 12, "t2": 10},
     [("n", ["n1", "n2"]), ("s", ["s1", "s2"]), ("t1", ["n1", "s1"]), ("t2", ["n2", "s2"])],
     {"n1", "n2", "s1", "s2"}, []),
    # a chain: q = m1 + m2 and m2 = y - q - m3 ... y = q + m3: m3 is determined
    ({"y": 20, "q": 9, "m1": 4, "m2": 5, "m3": 11}, [("q", ["m1", "m2"]), ("y", ["q", "m3"]),
                                                   ("y", ["m1", "m2", "m3"])],
     {"m1", "m2", "m3"}, ["m3"]),
    ({"t": 5, "a": 2, "b": 3}, [("t", ["a", "b"])], {"a"}, ["a"]),  # one group, one unknown
    ({"t": 5, "a": 2, "b": None}, [("t", ["a", "b"])], {"a", "b"}, ["a"]),  # b not shown
], ids=["triangle", "triangle-protected", "rectangle", "chain", "single", "no-value"])
def test_which_withheld_figures_the_groups_determine_together(values, groups, withheld, found):
    assert determined(values, groups, withheld) == found


def test_per_group_secondary_suppression_can_leave_a_combination_that_protect_closes():
    small = primary(TRIANGLE_VALUES, ["a", "b", "c"], Suppression())
    assert small == {"a"}
    per_group = secondary(TRIANGLE_VALUES, TRIANGLE, small)
    assert per_group == {"a", "b", "c"} and recoverable(TRIANGLE_VALUES, TRIANGLE, per_group) == []
    assert determined(TRIANGLE_VALUES, TRIANGLE, per_group) == ["a", "b", "c"]  # yet a leak
    closed = protect(TRIANGLE_VALUES, TRIANGLE, small)
    assert closed == {"a", "b", "c", "ab"}  # a's first group had no part left: its total
    assert determined(TRIANGLE_VALUES, TRIANGLE, closed) == []


def test_a_figure_whose_own_sums_have_nothing_left_to_withhold_is_protected_further_away():
    # found by the property below: (2, 2)'s row and column hold only zeros and withheld
    # figures, yet the sums together gave it; a figure of another sum is withheld
    grid = {(0, 0): 0, (0, 1): 0, (0, 2): 0, (1, 0): 0, (1, 1): 2, (1, 2): 0, (2, 0): 0,
            (2, 1): 1, (2, 2): 1, (3, 0): 1, (3, 1): 0, (3, 2): 1}
    values, groups = dict(grid), []
    for r in range(4):
        values[("row", r)] = sum(grid[(r, c)] for c in range(3))
        groups.append((("row", r), [(r, c) for c in range(3)]))
    for c in range(3):
        values[("col", c)] = sum(grid[(r, c)] for r in range(4))
        groups.append((("col", c), [(r, c) for r in range(4)]))
    values["all"] = 6
    groups += [("all", [("col", c) for c in range(3)]), ("all", [("row", r) for r in range(4)])]
    small = primary(values, list(grid), Suppression(2))
    assert determined(values, groups, secondary(values, groups, small)) == [(2, 2)]
    assert determined(values, groups, protect(values, groups, small)) == []


@st.composite
def tables(draw):
    """A table of counts (breakdowns x periods) with its row and column totals: each total
    and the cells it adds up is a group, as a KPI's total and breakdowns, and a column
    and its periods, are in a report."""
    threshold = draw(st.integers(2, 12))
    n_rows, n_cols = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    cell = st.one_of(st.just(0), st.integers(1, threshold - 1), st.integers(threshold, 60))
    grid = {(r, c): draw(cell) for r in range(n_rows) for c in range(n_cols)}
    values = dict(grid)
    groups = []
    for r in range(n_rows):
        values[("row", r)] = sum(grid[(r, c)] for c in range(n_cols))
        groups.append((("row", r), [(r, c) for c in range(n_cols)]))
    for c in range(n_cols):
        values[("col", c)] = sum(grid[(r, c)] for r in range(n_rows))
        groups.append((("col", c), [(r, c) for r in range(n_rows)]))
    return Suppression(threshold), values, groups


@settings(max_examples=300, deadline=None)
@given(tables())
def test_no_withheld_figure_is_the_total_minus_the_others(table):
    rules, values, groups = table
    small = primary(values, values, rules)
    withheld = secondary(values, groups, small)
    assert small <= withheld
    assert all(values[k] != 0 for k in withheld)  # zero is always shown
    assert recoverable(values, groups, withheld) == []
    for total, parts in groups:  # spelt out: a withheld part is never total - the others
        for p in parts:
            others = [q for q in parts if q != p]
            if p in withheld:
                assert total in withheld or any(q in withheld for q in others)
    assert secondary(values, groups, withheld) == withheld  # nothing more to do
    assert secondary(values, groups, small) == withheld  # deterministic


@settings(max_examples=300, deadline=None)
@given(tables())
def test_no_withheld_figure_follows_from_the_sums_taken_together(table):
    rules, values, groups = table
    cols = [g for g in groups if g[0][0] == "col"]  # and a grand total over the columns
    values["all"] = sum(values[t] for t, _ in cols)
    groups = [*groups, ("all", [t for t, _ in cols]),
              ("all", [t for t, _ in groups if t[0] == "row"])]
    small = primary(values, [k for k in values if isinstance(k[0], int)], rules)
    withheld = protect(values, groups, small)
    assert small <= withheld and recoverable(values, groups, withheld) == []
    assert determined(values, groups, withheld) == []
    assert protect(values, groups, small) == withheld  # deterministic


@pytest.mark.parametrize(("whole", "spans", "ways"), [
    (("Apr", "May", "Jun"), {"Apr": ["Apr"], "May": ["May"], "Jun": ["Jun"]},
     [["Apr", "May", "Jun"]]),
    (("Q1a", "Q1b", "Q2a"), {"Q1": ["Q1a", "Q1b"], "Q1a": ["Q1a"], "Q1b": ["Q1b"],
                             "Q2a": ["Q2a"]}, [["Q1", "Q2a"], ["Q1a", "Q1b", "Q2a"]]),
    (("Apr", "May", "Jun"), {"Apr": ["Apr"], "Jun": ["Jun"]}, []),  # May published nowhere
    (("Apr", "May"), {"all": ["Apr", "May"], "Apr": ["Apr"]}, []),  # not the whole itself
    (("Apr", "May"), {"Apr": ["Apr"], "Mar": ["Mar"], "May": ["May"]}, [["Apr", "May"]]),
], ids=["months", "quarter-or-its-months", "gap", "whole-is-not-a-part", "outside-ignored"])
def test_every_way_a_column_adds_up(whole, spans, ways):
    assert tilings(whole, spans) == ways


@pytest.mark.parametrize(("text", "figure", "said"), [
    ("Performance of 100.0% in Mar 2025 meets the target", 100, True),
    ("<p>100%</p>", 100, True),
    ("2 out of 2 applications", 2, True),
    ("(2)", 2, True),
    ("Mar 2025", 2, False),
    ("12 cases", 2, False),
    ("2.5 days", 2, False),
    ("1,234 visits", 1234, True),
    ("1234.5", 1234, False),
    ("83.3% on time", 83.3333, True),
    ("", 2, False),
], ids=["percent-one-decimal", "percent-whole-in-html", "out-of", "bracketed", "in-a-year",
        "in-a-larger-number", "with-decimals", "separators", "other-decimals", "rounded",
        "empty"])
def test_commentary_states_a_figure_in_any_printed_form(text, figure, said):
    assert states(text, printed_forms(figure, 1)) is said


@pytest.mark.parametrize("text", ["&#49;00%", "&#x31;00.0", "1&#48;0", "100&nbsp;%"],
                         ids=["decimal-ref", "hex-ref", "ref-inside", "nbsp"])
def test_a_figure_written_with_character_references_is_found(text):
    assert states(text, printed_forms(100))
