import pytest

from kpilib.ingest.keys import builtin_keys
from kpilib.rules.keyspec import parse_keys
from kpilib.rules.travel import NO_POLARITY, clashes, compare


def travel(cur, prev, polarity, scheme, target=None):
    """The built-in arrows are shipped travel keys (kpilib/keys/builtin.yaml)."""
    comp = builtin_keys().travel_key(scheme).comparisons[0]
    return compare(comp, cur, prev, polarity, {"target": target})[0]


def describe(cur, prev, polarity, scheme, target=None):
    comp = builtin_keys().travel_key(scheme).comparisons[0]
    return compare(comp, cur, prev, polarity, {"target": target})[1]


@pytest.mark.parametrize(
    "prev, cur, polarity, target, expected",
    [
        # the council's own February 2024 report
        pytest.param(3, 7, "lower", 10, "↑", id="council: lower is better 3 -> 7, target 10, worse but on target"),
        pytest.param(78.13, 46.43, "higher", 85, "↓R", id="council: higher is better 78.13 -> 46.43, target 85"),
        pytest.param(16.3, 10.0, "higher", "review", "↓R", id="council: higher is better 16.3 -> 10.0, target under review"),
        # improved
        pytest.param(80, 85, "higher", 90, "↑G", id="higher is better, improved"),
        pytest.param(10, 8, "lower", 5, "↓G", id="lower is better, improved"),
        # the same
        pytest.param(80, 80, "higher", 90, "→", id="higher is better, equal values"),
        pytest.param(8, 8, "lower", 5, "→", id="lower is better, equal values"),
        # worse within the 5% range
        pytest.param(100, 95, "higher", 120, "↓", id="higher is better, worse by exactly 5%"),
        pytest.param(100, 94.99, "higher", 120, "↓R", id="higher is better, worse by just over 5%"),
        pytest.param(20, 21, "lower", 10, "↑", id="lower is better, worse by exactly 5%"),
        pytest.param(20, 21.01, "lower", 10, "↑R", id="lower is better, worse by just over 5%"),
        # worse but on target
        pytest.param(100, 85, "higher", 85, "↓", id="higher is better, worse by 15% but exactly on target"),
        pytest.param(100, 84.9, "higher", 85, "↓R", id="higher is better, worse by 15% and just off target"),
        pytest.param(5, 10, "lower", 10, "↑", id="lower is better, doubled but exactly on target"),
        pytest.param(100, 50, "higher", None, "↓R", id="tracking KPI (no target) worse by more than 5%"),
        # zero previous value
        pytest.param(0, 0, "lower", 0, "→", id="zero previous, still zero"),
        pytest.param(0, 1, "lower", None, "↑R", id="zero previous, any rise is more than 5%"),
        pytest.param(0, 1, "lower", 5, "↑", id="zero previous, worse but on target"),
        pytest.param(0, 3, "higher", 10, "↑G", id="zero previous, improved"),
        # missing values
        pytest.param(None, 7, "lower", 10, "n/a", id="missing previous value"),
        pytest.param(7, None, "lower", 10, "n/a", id="missing current value"),
        # no polarity
        pytest.param(5, 6, "none", None, "⇑", id="no polarity, rose"),
        pytest.param(6, 5, "none", None, "⇓", id="no polarity, fell"),
        pytest.param(5, 5, "none", None, "⇔", id="no polarity, the same"),
    ],
)
def test_nnc(prev, cur, polarity, target, expected):
    assert travel(cur, prev, polarity, "nnc", target) == expected


@pytest.mark.parametrize(
    "prev, cur, polarity, expected",
    [
        pytest.param(12.3, 12.2, "lower", "↑G", id="council: Children's Trust lower is better 12.3 -> 12.2"),
        pytest.param(12.2, 12.3, "lower", "↓A", id="lower is better, declined"),
        pytest.param(80, 81, "higher", "↑G", id="higher is better, improved"),
        pytest.param(81, 80, "higher", "↓A", id="higher is better, declined"),
        pytest.param(80, 80, "higher", "→", id="the same"),
        pytest.param(None, 80, "higher", "n/a", id="no previous value"),
        pytest.param(5, 6, "none", "⇑", id="no polarity, rose"),
        pytest.param(6, 5, "none", "⇓", id="no polarity, fell"),
        pytest.param(5, 5, "none", "⇔", id="no polarity, the same"),
    ],
)
def test_trust(prev, cur, polarity, expected):
    assert travel(cur, prev, polarity, "trust") == expected


@pytest.mark.parametrize(
    "prev, cur, polarity, expected",
    [
        pytest.param(100, 102.1, "higher", "↑", id="improved by more than 2%"),
        pytest.param(100, 102, "higher", "↔", id="improved by exactly 2%"),
        pytest.param(100, 98, "higher", "↔", id="declined by exactly 2%"),
        pytest.param(100, 97.9, "higher", "↓", id="declined by more than 2%"),
        pytest.param(100, 97.9, "lower", "↑", id="lower is better, fell more than 2% is improved"),
        pytest.param(100, 102.1, "lower", "↓", id="lower is better, rose more than 2% is declined"),
        pytest.param(0, 0, "higher", "↔", id="zero previous, the same"),
        pytest.param(0, 1, "higher", "↑", id="zero previous, improved"),
        pytest.param(None, 5, "higher", "n/a", id="not recorded previously"),
        pytest.param(5, 6, "none", "⇑", id="no polarity, rose"),
    ],
)
def test_graded(prev, cur, polarity, expected):
    assert travel(cur, prev, polarity, "graded") == expected


def test_every_symbol_has_words():
    assert describe(94, 100, "higher", "nnc", 99) == "Worse by more than 5% and not on target"
    assert describe(12.3, 12.2, "lower", "trust") == "Declined"
    assert describe(5, 5, "none", "nnc") == "No change (no polarity)"
    assert describe(5, None, "higher", "nnc") == "No previous value to compare"


def test_unknown_scheme_is_an_error():
    with pytest.raises(ValueError, match="unknown travel key"):
        travel(1, 2, "higher", "rainbow")


@pytest.mark.parametrize(
    "prev, cur, polarity, target, words",
    [
        pytest.param(100, 96, "higher", 90, "Worse, but on target", id="worse, on target"),
        pytest.param(100, 96, "higher", 120, "Worse by no more than 5% of last period",
                     id="worse within 5%, off target: says nothing of the target"),
        pytest.param(100, 96, "higher", None, "Worse by no more than 5% of last period",
                     id="worse within 5%, no target"),
        pytest.param(100, 80, "higher", 85, "Worse by more than 5% and not on target",
                     id="worse by more than 5%, off target"),
        pytest.param(100, 80, "higher", None, "Worse by more than 5% of last period",
                     id="no target: never 'not on target'"),
        pytest.param(100, 80, "higher", "review", "Worse by more than 5% of last period",
                     id="target under review: never 'not on target'"),
        pytest.param(100, 80, "higher", 80, "Worse, but on target", id="worse, exactly on target"),
    ],
)
def test_nnc_words_claim_only_what_holds(prev, cur, polarity, target, words):
    assert describe(cur, prev, polarity, "nnc", target) == words


@pytest.mark.parametrize("scheme", ["nnc", "trust", "graded"])
@pytest.mark.parametrize("target", [None, "review", 50.0, 100.0, 150.0], ids=lambda t: f"target {t}")
def test_words_never_contradict_the_target(scheme, target):
    """Over a grid of values: words saying "on target" only when the value meets a target,
    "not on target" only when a target exists and is missed."""
    for polarity in ("higher", "lower"):
        for prev in (50.0, 100.0, 140.0):
            for cur in (45.0, 50.0, 96.0, 100.0, 104.0, 150.0, 160.0):
                words = describe(cur, prev, polarity, scheme, target).lower()
                numeric = isinstance(target, float)
                met = numeric and ((cur >= target) if polarity == "higher" else (cur <= target))
                if "not on target" in words:
                    assert numeric and not met, (prev, cur, polarity, words)
                elif "on target" in words:
                    assert met, (prev, cur, polarity, words)


def _keys(travel_keys, default=None):
    raw = {"travel_keys": travel_keys}
    if default:
        raw["default_keys"] = {"travel": default}
    return parse_keys(raw, builtin_keys())[1]


_BETTER_UP = {"comparisons": [{"outcomes": [
    {"when": "better", "symbol": "↑", "words": "Improved"},
    {"when": "same", "symbol": "→", "words": "Same as last period"},
    {"when": "worse", "symbol": "↓", "words": "Declined"}]}]}


@pytest.mark.parametrize(
    "travel_keys, default, found",
    [
        pytest.param({"mine": _BETTER_UP}, None, "↑ means worse in travel key 'nnc'",
                     id="own key's ↑ improved vs default nnc's ↑ worse"),
        pytest.param({"mine": _BETTER_UP}, "mine", "",
                     id="own key as the default: one meaning"),
        pytest.param({"mine": _BETTER_UP, "theirs": {"comparisons": [{"outcomes": [
            {"when": "better", "symbol": "↓", "words": "Improved (fell)"},
            {"when": "same", "symbol": "→", "words": "Same"},
            {"when": "worse", "symbol": "↑", "words": "Worse (rose)"}]}]}}, "mine",
            "↓ means better in travel key 'theirs'", id="two own keys, arrows swapped"),
        pytest.param({"mine": {"comparisons": [{"outcomes": [
            {"when": "better", "symbol": "⇑", "words": "Up"},
            {"when": "same", "symbol": "→", "words": "Same"},
            {"when": "worse", "symbol": "⇓", "words": "Down"}]}]}}, "mine",
            "⇑ means better in travel key 'mine'", id="a key may not give a no-polarity arrow"),
        pytest.param({"mine": {"comparisons": [{"outcomes": [
            {"when": "better", "symbol": "→", "words": "Better"},
            {"when": "same", "symbol": "→", "words": "Same"},
            {"when": "worse", "symbol": "↓", "words": "Worse"}]}]}}, "mine",
            "→ means the same in travel key 'mine'", id="one key, one symbol for better and same"),
    ],
)
def test_one_meaning_per_symbol_per_council(travel_keys, default, found):
    problems = [p for p in _keys(travel_keys, default) if "one meaning" in p]
    if found:
        assert problems and found in problems[0] and problems[0].startswith("travel_keys: ")
    else:
        assert problems == []


def test_builtin_keys_each_keep_one_meaning_per_symbol_and_the_no_polarity_arrows():
    for key in builtin_keys().travel.values():
        assert clashes([key]) == [], key.id
    # the built-in arrows are chosen among: nnc with graded would clash (↑ worse vs improved)
    assert clashes([builtin_keys().travel["nnc"], builtin_keys().travel["graded"]])
    assert not clashes([builtin_keys().travel["nnc"], builtin_keys().travel["trust"]])
    assert set(NO_POLARITY) == {"⇑", "⇓", "⇔"}
