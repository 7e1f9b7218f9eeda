"""Status keys as data (kpilib/rules/keys.py, keyspec.py): the language's conditions, and a
bad key refused whole, every problem named."""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from kpilib.errors import KpiError
from kpilib.ingest.keys import builtin_keys
from kpilib.rules.keys import Facts, rate
from kpilib.rules.keyspec import parse_keys
from kpilib.rules.targets import parse_tolerance
from kpilib.settings.council import load_settings

GREEN = {"label": "Green", "symbol": "✔", "colour": "#1b7a3a"}
AMBER = {"label": "Amber", "symbol": "▲", "colour": "#ffbf47"}
RED = {"label": "Red", "symbol": "✖", "colour": "#b00020"}
BLUE = {"label": "Blue", "symbol": "★", "colour": "#1d4f91"}


def key(bands, statuses=(GREEN, AMBER, RED), **more):
    raw = {"status_keys": {"k": {"statuses": [dict(s) for s in statuses], "bands": bands,
                                 **more}}}
    keys, problems = parse_keys(raw, builtin_keys())
    return keys.status.get("k"), problems


def rated(bands, value, target=100.0, polarity="higher", statuses=(GREEN, AMBER, RED),
          travel=None, spc="", history=10**6, tolerance="", **refs):
    declared = sorted({b.get("reference", "target") for b in bands} - {"target"})
    k, problems = key(bands, statuses, **({"references": declared} if declared else {}))
    assert not problems, problems
    facts = Facts(value, polarity, {"target": target, **refs}, parse_tolerance(tolerance),
                  (lambda _c: travel) if travel else None, spc, history)
    return rate(k, facts)


BRIGHTON = [  # each KPI's own Green value and Amber value: two reference values
    {"status": "Green", "within": 0},
    {"status": "Amber", "reference": "amber_value", "within": 0},
    {"status": "Red"}]
BUDGET = [  # Brighton & Hove: Red at an overspend of 5% or 0.1m, whichever is lower
    {"status": "Green", "within": 0},
    {"status": "Amber", "within": {"percent": 5, "absolute": 0.1, "take": "smaller"}},
    {"status": "Red"}]
HAVERING = [  # within 10% of target; else Amber if improved or held on last year, else Red
    {"status": "Green", "within": {"percent": 10}},
    {"status": "Amber", "travel": {"baseline": "same_period_last_year",
                                   "outcome": ["better", "same"]}},
    {"status": "Red"}]
SWANSEA = [  # two targets: Blue met the aim-for target, Green the acceptable level
    {"status": "Blue", "reference": "aim_for", "within": 0},
    {"status": "Green", "within": 0},
    {"status": "Amber", "within": {"percent": 5}},
    {"status": "Red"}]
GRADED_ABS = [{"status": "Green", "beyond": {"absolute": 2}}, {"status": "Amber", "within": 0},
              {"status": "Red"}]
SPC = [{"status": "Green", "spc": ["improvement"]}, {"status": "Red", "spc": ["concern"]},
       {"status": "Amber"}]


@pytest.mark.parametrize("bands, value, kwargs, expected", [
    pytest.param(BRIGHTON, 90, {"amber_value": 85}, "Amber", id="own amber value: between"),
    pytest.param(BRIGHTON, 84, {"amber_value": 85}, "Red", id="own amber value: beyond it"),
    pytest.param(BRIGHTON, 84, {}, "Red", id="no amber value: the band does not apply"),
    pytest.param(BUDGET, 10.09, {"target": 10, "polarity": "lower"}, "Amber",
                 id="smaller of 5% and 0.1: 0.09 over is Amber"),
    pytest.param(BUDGET, 10.2, {"target": 10, "polarity": "lower"}, "Red",
                 id="smaller of 5% (0.5) and 0.1: 0.2 over is Red"),
    pytest.param(HAVERING, 89, {"travel": "same"}, "Amber", id="11% off, held: Amber"),
    pytest.param(HAVERING, 89, {"travel": "worse"}, "Red", id="11% off, worse: Red"),
    pytest.param(HAVERING, 91, {"travel": "worse"}, "Green", id="within 10%: Green"),
    pytest.param(HAVERING, 89, {}, "Red", id="no last year to compare: Red"),
    pytest.param(GRADED_ABS, 102.1, {}, "Green", id="beyond by more than 2 absolute"),
    pytest.param(GRADED_ABS, 102, {}, "Amber", id="exactly 2 better is not beyond"),
    pytest.param(SPC, 50, {"spc": "improvement"}, "Green", id="SPC improvement"),
    pytest.param(SPC, 50, {"spc": "common_cause"}, "Amber", id="SPC common cause"),
    pytest.param(SPC, 50, {"target": None}, "Amber", id="SPC bands rate without a target"),
])
def test_band_conditions(bands, value, kwargs, expected):
    statuses = (GREEN, AMBER, RED)
    assert rated(bands, value, statuses=statuses, **kwargs) == expected


@pytest.mark.parametrize("value, aim_for, expected", [
    pytest.param(96, 95, "Blue", id="met the target to aim for"),
    pytest.param(92, 95, "Green", id="met the acceptable level only"),
    pytest.param(86, 95, "Amber", id="within 5% of the acceptable level"),
    pytest.param(80, 95, "Red", id="missed the acceptable level by more than 5%"),
])
def test_two_targets(value, aim_for, expected):
    k, problems = key(SWANSEA, (BLUE, GREEN, AMBER, RED), references=["aim_for"])
    assert not problems, problems
    assert rate(k, Facts(value, "higher", {"target": 90, "aim_for": aim_for})) == expected


def test_too_little_history_is_a_reserved_state():
    statuses = (GREEN, RED, {"label": "New", "symbol": "N", "colour": "#3d3d3d"})
    k, problems = key([{"status": "Green", "within": 0}, {"status": "Red"}], statuses,
                      min_history=4, reserved={"too_little_history": "New"})
    assert not problems, problems
    assert rate(k, Facts(120, "higher", {"target": 100}, history=3)) == "New"
    assert rate(k, Facts(120, "higher", {"target": 100}, history=4)) == "Green"
    assert rate(k, Facts(None, "higher", {"target": 100}, history=0)) == "Data missing"


@pytest.mark.parametrize("bands, statuses, more, expected", [
    pytest.param([{"status": "Green", "within": 0}, {"status": "Amber", "within": {"percent": 5}}],
                 (GREEN, AMBER), {}, "matches no band", id="a gap: nothing below 5% worse"),
    pytest.param([{"status": "Green", "within": {"percent": 10}},
                  {"status": "Amber", "within": {"percent": 5}}, {"status": "Red"}],
                 (GREEN, AMBER, RED), {}, "bands[2] (Amber) never applies",
                 id="an overlap: Amber inside Green"),
    pytest.param([{"status": "Green", "reference": "second_target", "within": 0},
                  {"status": "Red"}], (GREEN, RED), {},
                 "unknown reference value 'second_target'", id="an unknown reference"),
    pytest.param([{"status": "Green", "within": 0}, {"status": "Red"}],
                 (GREEN, RED, AMBER), {}, "no band or reserved state gives 'Amber'",
                 id="a status nothing gives"),
    pytest.param([{"status": "Green", "within": 0}, {"status": "Amber"}],
                 (GREEN, {**AMBER, "judgement": True}), {},
                 "'Amber' is judgement-only, but a band gives it", id="judgement given by a band"),
    pytest.param([{"status": "Green", "within": 0}, {"status": "Red"}],
                 (GREEN, {**RED, "colour": "#ff9999", "text_colour": "#ffffff"}), {},
                 "contrast of", id="a colour failing contrast"),
    pytest.param([{"status": "Green", "within": 0}, {"status": "Rouge"}], (GREEN, RED), {},
                 "'Rouge' is not a status of the key", id="a band's unknown status"),
    pytest.param([{"status": "Green", "withn": 0}, {"status": "Red"}], (GREEN, RED), {},
                 "unknown field 'withn' (did you mean 'within'?)", id="a misspelt field"),
    pytest.param([{"status": "Green", "within": {"percent": 5, "absolute": 1}},
                  {"status": "Red"}], (GREEN, RED), {}, "say which applies: smaller or larger",
                 id="both margins, no take"),
])
def test_bad_keys_are_refused_naming_the_case(bands, statuses, more, expected):
    _, problems = key(bands, statuses, **more)
    assert any(expected in p for p in problems), problems
    assert all(p.startswith("status_keys.k") for p in problems)


def test_a_bad_council_yaml_lists_every_key_problem_at_once(tmp_path):
    settings = {"name": "A council", "status_keys": {
        "one": {"statuses": [GREEN, AMBER], "bands": [{"status": "Green", "within": 0},
                                                      {"status": "Amber", "within": 5}]},
        "two": {"statuses": [GREEN, RED], "bands": [{"status": "Green", "within": 0},
                                                    {"status": "Red"}],
                "colour": "#000000"}},
        "travel_keys": {"arrows": {"comparisons": [{"outcomes": [
            {"when": "better", "symbol": "↑", "words": "Better"}]}]}},
        "default_keys": {"status": "three"}}
    f = tmp_path / "council.yaml"
    f.write_text(json.dumps(settings), encoding="utf-8")  # JSON is YAML
    with pytest.raises(KpiError) as e:
        load_settings(f)
    text = str(e.value)
    assert text.startswith(f"{f}: invalid council settings:")
    for part in ("status_keys.one.bands[2].within: 5 is not a margin",
                 "status_keys.two: unknown field 'colour'",
                 "travel_keys.arrows.comparisons[1].outcomes: a KPI that got same matches no "
                 "outcome", "default_keys.status: 'three' is not a status key"):
        assert part in text, text


def test_every_built_in_key_is_in_the_language():
    from importlib import resources

    text = resources.files("kpilib").joinpath("keys", "builtin.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    keys, problems = parse_keys(copy.deepcopy(raw))
    assert problems == []
    assert list(keys.status) == ["tolerance", "floor", "graded", "trust"]
    assert list(keys.travel) == ["nnc", "trust", "graded"]
    assert (keys.default_status, keys.default_travel) == ("tolerance", "nnc")


def test_comparator_references_are_declared_by_group():
    k, problems = key([{"status": "Green", "reference": "england", "within": 0},
                       {"status": "Red"}], (GREEN, RED),
                      comparators={"england": "England average"})
    assert not problems and k.comparators == {"england": "England average"}
    assert rate(k, Facts(50, "higher", {"target": None, "england": 48})) == "Green"
    assert rate(k, Facts(50, "higher", {"target": None, "england": None})) == "Tracking"
    _, problems = key([{"status": "Green", "within": 0}, {"status": "Red"}], (GREEN, RED),
                      comparators={"target": "England average"}, references=["x"])
    assert any("target is already a reference name" in p for p in problems), problems


def test_a_load_under_a_bad_key_stores_nothing(tmp_path, monkeypatch, capsys):
    """Loads read the council's keys as runs do: a bad key refuses the load, every problem
    listed, and no store is made."""
    from conftest import CATALOGUE_2024
    from kpilib.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "council.yaml").write_text(json.dumps({"status_keys": {"k": {
        "statuses": [GREEN, AMBER],
        "bands": [{"status": "Green", "within": 0}, {"status": "Amber", "within": 5}]}}}),
        encoding="utf-8")
    assert main(["load", "catalogue", str(CATALOGUE_2024)]) == 1
    err = capsys.readouterr().err
    assert "invalid council settings" in err and "status_keys.k.bands[2].within" in err
    assert "Traceback" not in err
    assert not (tmp_path / "data").exists()
