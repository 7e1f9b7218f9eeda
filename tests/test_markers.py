"""NEW and Removed markers (kpilib/rules/markers.py): kept, renumbered, merged, split, new,
removed, and a council's first year (no previous set: no markers)."""

import pytest

from kpilib.rules.markers import FIRST_YEAR_NOTE, continuations, markers, previous_refs

PREVIOUS = ["A1", "A2", "A3", "A4"]


@pytest.mark.parametrize("current, previous, new, removed", [
    pytest.param([("A1", ""), ("A2", ""), ("A3", ""), ("A4", "")], PREVIOUS, set(), (),
                 id="every KPI kept"),
    pytest.param([("A1", ""), ("A2", ""), ("A3", ""), ("B4", "A4")], PREVIOUS, set(), (),
                 id="renumbered A4 -> B4: neither NEW nor Removed"),
    pytest.param([("A1", ""), ("A2", ""), ("B3", "A3;A4")], PREVIOUS, set(), (),
                 id="merged A3 and A4 into B3"),
    pytest.param([("A1", ""), ("A2", ""), ("A3", ""), ("B4", "A4"), ("B5", "A4")], PREVIOUS,
                 set(), (), id="split A4 into B4 and B5"),
    pytest.param([("A1", ""), ("A2", ""), ("A3", ""), ("A4", ""), ("N1", "")], PREVIOUS,
                 {"N1"}, (), id="a new KPI"),
    pytest.param([("A1", ""), ("A3", "")], PREVIOUS, set(), ("A2", "A4"),
                 id="removed KPIs, in the previous year's order"),
    pytest.param([("A1", ""), ("B2", "Z9")], PREVIOUS, {"B2"}, ("A2", "A3", "A4"),
                 id="previous_ref naming no previous KPI: NEW"),
    pytest.param([("A1", ""), ("B2", "A2 ; Z9")], PREVIOUS, set(), ("A3", "A4"),
                 id="merged from a known and an unknown ref: not NEW"),
    pytest.param([("A2", "A1")], PREVIOUS, set(), ("A3", "A4"),
                 id="A1 renumbered to A2, which was a ref of its own: both carried"),
    pytest.param([], PREVIOUS, set(), tuple(PREVIOUS), id="empty year: everything removed"),
    pytest.param([("N1", "")], [], {"N1"}, (),
                 id="previous set loaded but empty of this type: everything NEW"),
])
def test_markers(current, previous, new, removed):
    m = markers(current, previous)
    assert (set(m.new), m.removed, m.compared) == (new, removed, True)


def test_first_year_has_no_markers_and_says_why():
    m = markers([("A1", ""), ("B2", "A2")], None)
    assert (m.new, m.removed, m.compared) == (frozenset(), (), False)
    assert FIRST_YEAR_NOTE.format(previous="2023-24") == (
        "No NEW or Removed markers: the 2023-24 KPI set is not loaded, so this year's KPIs "
        "cannot be compared with last year's.")


@pytest.mark.parametrize("text, refs", [
    pytest.param("", (), id="empty"),
    pytest.param("CS07", ("CS07",), id="one"),
    pytest.param("AS-AI6;AS-AI7", ("AS-AI6", "AS-AI7"), id="merged"),
    pytest.param(" A ; B ", ("A", "B"), id="spaces"),
])
def test_previous_refs(text, refs):
    assert previous_refs(text) == refs


@pytest.mark.parametrize("current, previous, expected", [
    pytest.param([("A1", ""), ("A2", "")], PREVIOUS, {"A1": "A1", "A2": "A2"},
                 id="kept: each its own"),
    pytest.param([("A1", ""), ("B4", "A4")], PREVIOUS, {"A1": "A1", "B4": "A4"},
                 id="renumbered A4 -> B4"),
    pytest.param([("B3", "A3;A4")], PREVIOUS, {}, id="merged: none"),
    pytest.param([("B4", "A4"), ("B5", "A4")], PREVIOUS, {}, id="split: no part"),
    pytest.param([("A4", ""), ("B5", "A4")], PREVIOUS, {"B5": "A4"},
                 id="A4's number given to a new KPI: the renumbered one continues A4"),
    pytest.param([("A4", "A4"), ("B5", "A4")], PREVIOUS, {},
                 id="split keeping the number: no part"),
    pytest.param([("A2", "A1")], PREVIOUS, {"A2": "A1"},
                 id="A1 renumbered to A2, which was a ref of its own"),
    pytest.param([("A1", "A2"), ("A2", "A1")], PREVIOUS, {"A1": "A2", "A2": "A1"},
                 id="two refs swapped"),
    pytest.param([("N1", ""), ("B2", "Z9")], PREVIOUS, {}, id="new, and naming no known ref"),
    pytest.param([("B2", "A2;Z9")], PREVIOUS, {"B2": "A2"},
                 id="naming one known ref and an unknown one: that one"),
    pytest.param([("A1", "")], [], {}, id="no previous set"),
])
def test_continuations(current, previous, expected):
    assert continuations(current, previous) == expected
