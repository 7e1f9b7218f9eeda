"""kpilib.rules.peers: ranks, quartiles, medians and the peer reference values (pure)."""

from __future__ import annotations

import pytest

from kpilib.rules.peers import (
    MIN_QUARTILE,
    PeriodError,
    ordinal,
    period_end,
    quartile,
    rank,
    references,
    standing,
)


def group(*values: float) -> dict[str, float]:
    """Bodies B01, B02... with these values; the council is B01."""
    return {f"B{i + 1:02d}": v for i, v in enumerate(values)}


SIXTEEN = group(*range(60, 76))  # B01 = 60 ... B16 = 75


# fmt: off
RANKS = [
    # id, values, polarity, (rank of B01, tied)
    ("higher-is-better-lowest-is-last", SIXTEEN, "higher", (16, 1)),
    ("lower-is-better-lowest-is-first", SIXTEEN, "lower", (1, 1)),
    ("tie-shares-the-better-rank", group(70, 80, 70, 60), "higher", (2, 2)),
    ("after-a-tie-a-rank-is-skipped", group(60, 80, 70, 70), "higher", (4, 1)),
    ("all-equal-all-first", group(5, 5, 5), "lower", (1, 3)),
    ("alone", group(5), "higher", (1, 1)),
]
# fmt: on


@pytest.mark.parametrize("values,polarity,expected", [r[1:] for r in RANKS],
                         ids=[r[0] for r in RANKS])
def test_rank(values, polarity, expected):
    assert rank(values, "B01", polarity) == expected


# fmt: off
QUARTILES = [
    # id, rank, n, quartile
    ("16-rank-4-top", 4, 16, 1), ("16-rank-5-second", 5, 16, 2), ("16-rank-12-third", 12, 16, 3),
    ("16-rank-13-bottom", 13, 16, 4), ("16-last-bottom", 16, 16, 4),
    ("welsh-22-rank-5-top", 5, 22, 1), ("welsh-22-rank-6-second", 6, 22, 2),
    ("4-bodies-each-its-own", 2, 4, 2), ("3-bodies-none", 1, 3, None), ("1-body-none", 1, 1, None),
]
# fmt: on


@pytest.mark.parametrize("position,n,expected", [r[1:] for r in QUARTILES],
                         ids=[r[0] for r in QUARTILES])
def test_quartile(position, n, expected):
    assert quartile(position, n) == expected


def test_standing_of_sixteen():
    s = standing(SIXTEEN, "B13", "higher")
    assert (s.n, s.rank, s.quartile, s.median, s.mean) == (16, 4, 1, 67.5, 67.5)
    assert (s.rank_text, s.quartile_text) == ("4th of 16", "top quartile")


def test_a_tie_is_joint():
    assert standing(group(70, 80, 70, 60), "B01", "higher").rank_text == "joint 2nd of 4"


def test_fewer_than_four_bodies_have_no_quartile_and_say_why():
    s = standing(group(1, 2, 3), "B01", "higher")
    assert s.rank_text == "3rd of 3" and s.quartile is None
    assert s.quartile_text == (f"no quartiles: the group has 3 bodies with a figure; "
                               f"quartiles need at least {MIN_QUARTILE}")


@pytest.mark.parametrize("body,polarity,reason", [
    ("B99", "higher", "no figure of the council's own"),
    ("B01", "none", "not ranked: the KPI has no polarity"),
], ids=["council-without-a-figure", "no-polarity"])
def test_no_rank_says_why_but_keeps_the_group(body, polarity, reason):
    s = standing(SIXTEEN, body, polarity)
    assert s.rank is None and s.quartile is None and s.median == 67.5
    assert s.rank_text.startswith(reason)


def test_no_figures_no_standing():
    assert standing({}, "B01", "higher") is None


@pytest.mark.parametrize("n,expected", [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"),
                                        (11, "11th"), (12, "12th"), (13, "13th"), (21, "21st"),
                                        (22, "22nd"), (101, "101st"), (111, "111th")])
def test_ordinal(n, expected):
    assert ordinal(n) == expected


# fmt: off
REFERENCES = [
    # id, values, polarity, name, expected
    ("quartile_1-of-16-higher-is-rank-4", SIXTEEN, "higher", "quartile_1", 72),
    ("quartile_1-of-16-lower-is-rank-4", SIXTEEN, "lower", "quartile_1", 63),
    ("quartile_2-is-the-median-rank", SIXTEEN, "higher", "quartile_2", 68),
    ("quartile_3-of-22-is-rank-16", group(*range(22)), "higher", "quartile_3", 6),
    ("quartile-of-3-bodies-absent", group(1, 2, 3), "higher", "quartile_1", None),
    ("rank_8-of-16", SIXTEEN, "higher", "rank_8", 68),
    ("rank_20-of-16-absent", SIXTEEN, "higher", "rank_20", None),
    ("rank-without-polarity-absent", SIXTEEN, "none", "rank_1", None),
    ("median-without-polarity", SIXTEEN, "none", "peer_median", 67.5),
    ("mean", group(1, 2, 6), "higher", "peer_mean", 3),
]
# fmt: on


@pytest.mark.parametrize("values,polarity,name,expected", [r[1:] for r in REFERENCES],
                         ids=[r[0] for r in REFERENCES])
def test_references(values, polarity, name, expected):
    assert references(values, polarity, (name,)) == {name: expected}


@pytest.mark.parametrize("q", [1, 2, 3])
@pytest.mark.parametrize("n", [4, 5, 7, 16, 22, 32])
@pytest.mark.parametrize("polarity", ["higher", "lower"])
def test_quartile_reference_agrees_with_quartile(q, n, polarity):
    """At or better than quartile_Q exactly when in quartile Q or better (ties included)."""
    values = group(*[(i * 7) % 5 for i in range(n)])  # many ties
    edge = references(values, polarity, (f"quartile_{q}",))[f"quartile_{q}"]
    for body, v in values.items():
        at_least = v >= edge if polarity == "higher" else v <= edge
        assert at_least == (quartile(rank(values, body, polarity)[0], n) <= q), (body, v)


@pytest.mark.parametrize("text,end", [("2024-02", "2024-02"), ("2024-25-Q3", "2024-12"),
                                      ("2023-24", "2024-03")],
                         ids=["month", "quarter", "financial-year"])
def test_period_end(text, end):
    assert period_end(text) == end


@pytest.mark.parametrize("text", ["2024", "2023-25", "Q3", ""])
def test_period_end_refuses(text):
    with pytest.raises(PeriodError, match="financial year"):
        period_end(text)
