"""Every key of ``rules-in-the-wild.md`` runs from configuration alone: each
``docs/keys/<id>.yaml`` is a complete, self-contained ``council.yaml``.  Each is copied into an
empty folder, a small catalogue is loaded there against it, and its statuses and arrows are
checked on worked examples taken from that document (thresholds the document does not give
are the ones the key file states it assumes)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import write_csv
from kpilib.cli import main
from kpilib.rules.keys import Facts, rate
from kpilib.rules.targets import parse_tolerance
from kpilib.rules.travel import compare
from kpilib.settings.council import load_keys

KEYS = Path(__file__).resolve().parents[1] / "docs" / "keys"
# The ids of rules-in-the-wild.md, each with its key file (the rank keys, welsh-quartiles,
# lgbf-rank and pcc-judgement's rank form pcc-judgement-rank, compare with a group's places:
# quartile_Q and rank_N, reporting rules 3.1, 7.13).
IDS = ["havering-2013", "maidstone", "reigate-banstead", "harlow-shapes", "brighton-hove",
       "east-sussex-year-end", "swansea-two-targets", "flintshire", "south-lanarkshire",
       "sfrs", "fire-profile", "pcc-judgement", "nhs-spc", "ni-statutory", "unitary-quarterly",
       "welsh-quartiles", "lgbf-rank", "pcc-judgement-rank"]
Q = {"target": None, "quartile_1": 75, "quartile_2": 70, "quartile_3": 65}  # a group's edges
RANKS = {"target": None, "rank_8": 75, "rank_24": 60}
MSG = {"target": None, "rank_2": 80, "rank_6": 60}  # a Most Similar Group's 2nd and 6th
MSG_LOWER = {"target": None, "polarity": "lower", "rank_2": 10, "rank_6": 20}  # crime rates
HEADER = ["year", "ref", "name", "directorate", "commitment", "report", "frequency", "measure",
          "unit", "polarity", "target", "tolerance", "rag_scheme", "travel_scheme"]


def test_every_key_of_the_document_has_its_file():
    assert sorted(p.stem for p in KEYS.glob("*.yaml")) == sorted(IDS)


@pytest.fixture(scope="module")
def settled(tmp_path_factory):
    """id -> the keys read from that file copied as council.yaml into an empty folder, after
    a catalogue naming each of its status keys (and none: the default) loaded there."""
    out = {}
    for ident in IDS:
        folder = tmp_path_factory.mktemp(ident)
        shutil.copy(KEYS / f"{ident}.yaml", folder / "council.yaml")
        keys = load_keys(folder / "council.yaml")
        own = [k for k in keys.status if k not in ("tolerance", "floor", "graded", "trust")]
        rows = [{"year": "2024-25", "ref": f"K{i}", "name": f"KPI {i}", "directorate": "D",
                 "commitment": "C", "report": "service", "frequency": "quarterly",
                 "measure": "snapshot", "unit": "percent", "polarity": "higher",
                 "target": "90", "rag_scheme": "" if i == 0 else k}
                for i, k in enumerate([keys.default_status, *own])]
        cat = write_csv(folder / "catalogue.csv", HEADER, rows)
        code = main(["load", "catalogue", str(cat), "--store", str(folder / "kpi.sqlite"),
                     "--council", str(folder / "council.yaml")])
        assert code == 0, ident
        out[ident] = keys
    return out


def status(keys, ident, value, target=100.0, polarity="higher", key=None, travel=None,
           spc="", history=10**6, state="", tolerance="", **refs):
    k = keys.status_key(key or "")
    facts = Facts(value, polarity, {"target": target, **refs}, parse_tolerance(tolerance),
                  (lambda _c: travel) if travel else None, spc, history, state)
    return rate(k, facts)


# fmt: off
EXAMPLES = [
    # id, example, expected status
    ("havering-2013", {"value": 91}, "Green"),  # within 10% of the quarter's target
    ("havering-2013", {"value": 89, "travel": "better"}, "Amber"),  # >10% off, improved on last year
    ("havering-2013", {"value": 89, "travel": "same"}, "Amber"),  # ... or held
    ("havering-2013", {"value": 89, "travel": "worse"}, "Red"),  # >10% off and not improved
    ("havering-2013", {"value": 50, "target": None}, "Blue"),  # narrative only
    ("maidstone", {"value": 100}, "Green"),  # target met
    ("maidstone", {"value": 91}, "Amber"),  # missed by up to 10%
    ("maidstone", {"value": 89}, "Red"),  # missed by more than 10%
    ("maidstone", {"value": 20, "target": None}, "Data only"),
    ("maidstone", {"value": None, "state": "not_due"}, "Not due"),  # not yet due: not rated
    ("reigate-banstead", {"value": 88, "target": 90, "tolerance": "5pp"}, "Amber"),
    ("reigate-banstead", {"value": 84, "target": 90, "tolerance": "5pp"}, "Red"),
    ("reigate-banstead", {"value": 90, "target": 90, "tolerance": "5pp"}, "Green"),
    ("reigate-banstead", {"value": 89.9, "target": 90}, "Red"),  # no agreed tolerance
    ("harlow-shapes", {"value": 81, "target": 80}, "Above target"),
    ("harlow-shapes", {"value": 80, "target": 80}, "On target"),
    ("harlow-shapes", {"value": 79, "target": 80}, "Behind target"),
    ("brighton-hove", {"value": 92, "target": 90, "amber_value": 85}, "Green"),
    ("brighton-hove", {"value": 87, "target": 90, "amber_value": 85}, "Amber"),
    ("brighton-hove", {"value": 80, "target": 90, "amber_value": 85}, "Red"),
    ("brighton-hove", {"value": 80, "target": None}, "Grey"),  # monitoring
    # a service's budget of 2.0m: an overspend of 0.05m is under 5% (0.1m) and 0.1m
    ("brighton-hove", {"key": "brighton-hove-budget", "value": 2.05, "target": 2.0,
                       "polarity": "lower"}, "Amber"),
    # a budget of 10m: 0.2m over is under 5% (0.5m) but over 0.1m, the lower: Red
    ("brighton-hove", {"key": "brighton-hove-budget", "value": 10.2, "target": 10.0,
                       "polarity": "lower"}, "Red"),
    ("east-sussex-year-end", {"value": 80, "target": 95, "forecast": 96}, "Green"),  # projected
    ("east-sussex-year-end", {"value": 99, "target": 95, "forecast": 90}, "Red"),
    ("east-sussex-year-end", {"value": 95, "target": 95}, "Green"),  # year end: achieved
    ("east-sussex-year-end", {"value": 94, "target": 95}, "Red"),
    ("east-sussex-year-end", {"value": None, "state": "carried_over"}, "Carried over"),
    ("swansea-two-targets", {"value": 96, "target": 90, "aim_for": 95}, "Blue"),
    ("swansea-two-targets", {"value": 92, "target": 90, "aim_for": 95}, "Green"),
    ("swansea-two-targets", {"value": 86, "target": 90, "aim_for": 95}, "Amber"),
    ("swansea-two-targets", {"value": 85, "target": 90, "aim_for": 95}, "Red"),
    ("flintshire", {"value": 100}, "Met"),
    ("flintshire", {"value": 92}, "Near to target"),
    ("flintshire", {"value": 89}, "Off track"),
    ("flintshire", {"value": 5, "target": None}, "Being monitored"),
    ("south-lanarkshire", {"value": 100}, "Green"),
    ("south-lanarkshire", {"value": 95}, "Amber"),  # minor slippage
    ("south-lanarkshire", {"value": 85}, "Red"),  # major slippage
    ("south-lanarkshire", {"value": None, "state": "not_due"}, "Report later"),
    ("south-lanarkshire", {"value": 7, "target": None}, "Contextual"),
    ("sfrs", {"value": 100, "history": 11}, "Not enough data"),  # a new indicator
    ("sfrs", {"value": 100, "history": 12}, "Green"),
    ("sfrs", {"value": 3, "target": None}, "No target"),  # status only where a target exists
    ("sfrs", {"key": "sfrs-local", "value": 48, "polarity": "lower",
              "rolling_average_12": 50}, "Green"),  # a local area against its 3-year average
    ("sfrs", {"key": "sfrs-local", "value": 54, "polarity": "lower",
              "rolling_average_12": 50}, "Amber"),
    ("sfrs", {"key": "sfrs-local", "value": 56, "polarity": "lower",
              "rolling_average_12": 50}, "Red"),
    ("fire-profile", {"value": 85, "polarity": "lower"}, "Better than profile"),
    ("fire-profile", {"value": 108, "polarity": "lower"}, "Within tolerance"),
    ("fire-profile", {"value": 115, "polarity": "lower"}, "Outside tolerance"),
    ("fire-profile", {"key": "fire-profile-average", "value": 185, "polarity": "lower",
                      "rolling_average_20": 200}, "Green"),  # 7.5% below the 5-year average
    ("fire-profile", {"key": "fire-profile-average", "value": 195, "polarity": "lower",
                      "rolling_average_20": 200}, "Amber"),
    ("fire-profile", {"key": "fire-profile-average", "value": 205, "polarity": "lower",
                      "rolling_average_20": 200}, "Red"),
    ("pcc-judgement", {"value": 12}, "Ungraded"),  # graded only by judgement
    ("nhs-spc", {"value": 5, "spc": "improvement"}, "Improvement"),
    ("nhs-spc", {"value": 5, "spc": "concern"}, "Concern"),
    ("nhs-spc", {"value": 5, "spc": "common_cause"}, "Common cause"),
    ("nhs-spc", {"value": 5, "spc": "neutral", "polarity": "none", "target": None},
     "Special cause"),
    ("nhs-spc", {"value": 5, "spc": "improvement", "history": 14}, "Too few points"),
    ("welsh-quartiles", {"value": 75, **Q}, "Top quartile"),  # ranks 1-5 of 22: at the edge
    ("welsh-quartiles", {"value": 74.9, **Q}, "Upper middle quartile"),
    ("welsh-quartiles", {"value": 66, **Q}, "Lower middle quartile"),
    ("welsh-quartiles", {"value": 64, **Q}, "Bottom quartile"),
    ("welsh-quartiles", {"value": 64, "polarity": "lower", "target": None, "quartile_1": 60,
                         "quartile_2": 65, "quartile_3": 70}, "Upper middle quartile"),
    ("welsh-quartiles", {"value": 80, "target": None}, "No quartile"),  # fewer than 4 bodies
    ("lgbf-rank", {"value": 76, **RANKS}, "Top 8"),
    ("lgbf-rank", {"value": 60, **RANKS}, "Middle"),  # tied with the 24th: 24th or better
    ("lgbf-rank", {"value": 59, **RANKS}, "Bottom 8"),
    ("lgbf-rank", {"value": 59, "target": None}, "Not ranked"),
    ("pcc-judgement-rank", {"value": 85, **MSG}, "Top of group"),  # 1st of 8
    ("pcc-judgement-rank", {"value": 80, **MSG}, "Top of group"),  # tied with the 2nd
    ("pcc-judgement-rank", {"value": 79, **MSG}, "Middle of group"),
    ("pcc-judgement-rank", {"value": 60, **MSG}, "Middle of group"),  # tied with the 6th
    ("pcc-judgement-rank", {"value": 59, **MSG}, "Bottom of group"),  # 7th or 8th of 8
    ("pcc-judgement-rank", {"value": 21, **MSG_LOWER}, "Bottom of group"),  # lower is better
    ("pcc-judgement-rank", {"value": 9, **MSG_LOWER}, "Top of group"),
    ("pcc-judgement-rank", {"value": 15, **MSG_LOWER}, "Middle of group"),
    ("pcc-judgement-rank", {"value": 85, "target": None, "rank_2": 80}, "Not ranked"),  # < 6
    ("pcc-judgement-rank", {"value": 59, "target": None}, "Not ranked"),
    ("ni-statutory", {"value": 52, "target": 50}, "Green"),  # a minimum of 50%: achieved
    ("ni-statutory", {"value": 28, "target": 30, "polarity": "lower"}, "Green"),  # max 30 weeks
    ("ni-statutory", {"value": 45, "target": 50}, "Red"),
    ("ni-statutory", {"value": None}, "Grey"),  # not available
    ("ni-statutory", {"value": None, "state": "not_due"}, "Grey"),
    ("unitary-quarterly", {"value": 37.5, "target": 36, "polarity": "lower"}, "Green"),  # 4.2%
    ("unitary-quarterly", {"value": 39, "target": 36, "polarity": "lower"}, "Amber"),  # 8.3%
    ("unitary-quarterly", {"value": 40, "target": 36, "polarity": "lower"}, "Red"),  # 11.1%
]
# fmt: on


@pytest.mark.parametrize("ident, example, expected", [
    pytest.param(i, e, x, id=f"{i}: {x} <- {e}") for i, e, x in EXAMPLES])
def test_worked_examples(settled, ident, example, expected):
    assert status(settled[ident], ident, **example) == expected


def test_judgement_statuses_are_only_for_overrides(settled):
    judged = {ident: sorted(s.label for k in keys.status.values() for s in k.statuses
                            if s.judgement and k.id not in ("tolerance", "floor", "graded",
                                                            "trust"))
              for ident, keys in settled.items()}
    assert judged["pcc-judgement"] == ["Content", "Of concern", "Requires scrutiny"]
    assert judged["ni-statutory"] == ["Amber"]  # delayed but progressing
    assert judged["south-lanarkshire"] == ["Blue"]  # complete


# fmt: off
ARROWS = [
    # id, current, baseline, polarity, (symbol, words)
    ("havering-2013", 89, 85, "higher", ("↑", "Better than last year")),
    ("maidstone", 30, 35, "lower", ("↑", "Improving")),
    ("reigate-banstead", 88, 90, "higher", ("↓", "Worse")),
    ("harlow-shapes", 80, 80, "higher", ("→", "No change")),
    ("brighton-hove", 5, 6, "lower", ("↑", "Improving")),
    ("east-sussex-year-end", 90, 92, "higher", ("↓", "Worse than last year")),
    ("swansea-two-targets", 92, 92, "higher", ("→", "Maintained")),
    ("flintshire", 70, 60, "higher", ("↑", "Improving")),
    ("south-lanarkshire", 12, 10, "lower", ("↓", "Worse")),
    ("sfrs", 48, 50, "lower", ("↑", "Better than the 3-year average")),
    ("fire-profile", 120, 100, "lower", ("↓", "Worse than this point last year")),
    ("pcc-judgement", 7, 9, "lower", ("↑", "Better than last year")),
    ("pcc-judgement-rank", 7, 9, "lower", ("↑", "Better than last year")),
    ("nhs-spc", 91, 93, "higher", ("↓", "Deteriorated")),
    ("ni-statutory", 55, 50, "higher", ("↑", "Improved on the previous year")),
    ("unitary-quarterly", 35, 36, "lower", ("▲", "Better")),
]
# fmt: on


@pytest.mark.parametrize("ident, now, base, polarity, expected", [
    pytest.param(*a, id=f"{a[0]}: {a[-1][1]}") for a in ARROWS])
def test_arrows(settled, ident, now, base, polarity, expected):
    comp = settled[ident].travel_key("").comparisons[0]
    assert compare(comp, now, base, polarity) == expected
