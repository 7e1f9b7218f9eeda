import re

import pytest

from kpilib.errors import ParamsError
from kpilib.settings.params import normalise_moment, read_params, validate

GOOD = {"period": "2024-02", "report": "core", "store": "data/kpi.sqlite"}


def test_a_good_parameter_set():
    p = validate(dict(GOOD, as_of="2024-03-10", output_dir="elsewhere"))
    assert (p.period, p.report, p.store, p.output_dir) == ("2024-02", "core", "data/kpi.sqlite",
                                                           "elsewhere")
    assert p.as_of == "2024-03-10T00:00:00.000000Z"
    assert validate(GOOD).output_dir == "outputs" and validate(GOOD).as_of is None


@pytest.mark.parametrize(
    "change, message",
    [
        pytest.param({"perod": "2024-02"}, "unknown key 'perod' (did you mean 'period'?)",
                     id="misspelt key is named, with a suggestion"),
        pytest.param({"colour": "blue"}, "unknown key 'colour'", id="unknown key"),
        pytest.param({"period": "2024-13"}, "key 'period'", id="bad month id"),
        pytest.param({"period": "Feb 2024"}, "key 'period'", id="period in words"),
        pytest.param({"report": "cor"}, "did you mean 'core'?", id="report set that does not exist"),
        pytest.param({"report": "monthly"},
                     "expected one of core, service, health, corporate, qpr, all",
                     id="report set lists the choices"),
        pytest.param({"store": None}, "missing key 'store'", id="store is required"),
        pytest.param({"as_of": "yesterday"}, "key 'as_of'", id="as_of not a moment"),
    ],
)
def test_bad_parameters_name_the_key(change, message):
    raw = dict(GOOD)
    raw.update(change)
    if "perod" in change:
        del raw["period"]
    with pytest.raises(ParamsError) as e:
        validate(raw, "params/x.yaml")
    assert message in str(e.value)
    assert "params/x.yaml" in str(e.value)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ParamsError) as e:
        validate({"perod": "2024-02", "report": "cor", "stor": "x"})
    text = str(e.value)
    for part in ("unknown key 'perod'", "unknown key 'stor'", "missing key 'period'",
                 "missing key 'store'", "'cor' is not a report type"):
        assert part in text


def test_unquoted_yaml_date_is_caught(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("period: 2024-02-01\nreport: core\nstore: s.sqlite\n")
    with pytest.raises(ParamsError, match="quote it"):
        read_params(f)


def test_read_params_file_and_overrides(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text('period: "2024-25-Q3"\nreport: all\nstore: s.sqlite\n')
    p = read_params(f, output_dir="o")
    assert p.output_dir == "o"
    assert p.reports() == ["core", "service", "health"]
    assert validate(GOOD | {"report": "all"}).reports() == ["core"]


def test_missing_or_broken_file(tmp_path):
    with pytest.raises(ParamsError, match="no parameter file"):
        read_params(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("period: [unclosed\n")
    with pytest.raises(ParamsError, match="not valid YAML"):
        read_params(bad)


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param("2024-03-10", "2024-03-10T00:00:00.000000Z", id="a date is midnight UTC"),
        pytest.param("2024-03-10T12:30:00Z", "2024-03-10T12:30:00.000000Z", id="Z suffix"),
        pytest.param("2024-03-10T13:30:00+01:00", "2024-03-10T12:30:00.000000Z",
                     id="offset converted to UTC"),
    ],
)
def test_moments_are_normalised(text, expected):
    assert normalise_moment(text) == expected


def test_committed_parameter_sets_are_valid():
    from pathlib import Path

    files = sorted(Path(__file__).parent.parent.glob("params/*.yaml"))
    assert len(files) >= 12
    for f in files:
        p = read_params(f)
        assert f.stem == p.period


BILLION_LAUGHS = """a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
period: *g
"""


@pytest.mark.parametrize("content, message", [
    pytest.param(BILLION_LAUGHS.encode(), "aliases (*name) are not allowed", id="alias bomb"),
    pytest.param(b"- period: 2024-02\n", "expected a mapping of keys to values", id="a list"),
    pytest.param(b"2024-02\n", "expected a mapping of keys to values", id="a scalar"),
    pytest.param("period: \"2024-02\"\nreport: core\n".encode("utf-16"), "not UTF-8 text",
                 id="UTF-16"),
    pytest.param(b"period: '" + b"9" * 70_000 + b"'\n", "larger than 64 KB", id="too large"),
    pytest.param(b"period: [unclosed\n", "not valid YAML", id="bad YAML"),
], )
def test_hostile_parameter_files_are_clear_errors(tmp_path, content, message):
    p = tmp_path / "p.yaml"
    p.write_bytes(content)
    with pytest.raises(ParamsError, match=re.escape(message)):
        read_params(p)


def test_a_folder_is_not_a_parameter_file(tmp_path):
    with pytest.raises(ParamsError, match="is a folder; expected a parameter file"):
        read_params(tmp_path)


def test_an_empty_file_reports_the_missing_keys(tmp_path):
    (tmp_path / "p.yaml").write_text("")
    with pytest.raises(ParamsError, match="missing key 'period'"):
        read_params(tmp_path / "p.yaml")


def test_a_report_type_given_a_period_it_does_not_accept():
    with pytest.raises(ParamsError, match=r"key 'period': the health report is for a quarter, "
                                          r"not a month \(2024-02\)"):
        validate({"period": "2024-02", "report": "health", "store": "s.sqlite"})


def test_an_as_of_in_the_future_is_refused():
    with pytest.raises(ParamsError, match=r"key 'as_of': 2999-01-01T00:00:00.000000Z is in the "
                                          r"future"):
        validate(dict(GOOD, as_of="2999-01-01"))


def _catalogue(*rows: tuple[str, str, str]):
    """A catalogue frame of (year, ref, report) KPI rows, plus an override row."""
    import pandas as pd

    df = pd.DataFrame(rows, columns=["year", "ref", "report"]).assign(breakdown="")
    override = pd.DataFrame([{"year": "2024-25", "ref": "X9", "report": "", "breakdown": "P1"}])
    return pd.concat([df, override], ignore_index=True)


SERVICE_ONLY = _catalogue(("2024-25", "S1", "service"), ("2023-24", "H1", "health"))
CORE_SERVICE = _catalogue(("2024-25", "C1", "core"), ("2024-25", "S1", "service"))


@pytest.mark.parametrize("report, period, catalogue, runs, skipped", [
    pytest.param("all", "2024-25-Q1", SERVICE_ONLY, ["service"],
                 ["skipped core: no core KPIs in the 2024-25 catalogue",
                  "skipped health: no health KPIs in the 2024-25 catalogue"],
                 id="all for a quarter: the types without KPIs that year are skipped"),
    pytest.param("all", "2024-25-Q1", CORE_SERVICE, ["core", "service"],
                 ["skipped health: no health KPIs in the 2024-25 catalogue"],
                 id="all, no health KPIs: health is skipped"),
    pytest.param("all", "2024-06", CORE_SERVICE, ["core"], [], id="all for a month: core"),
    pytest.param("all", "2025-26-Q1", CORE_SERVICE, [],
                 ["skipped core: no catalogue is loaded for 2025-26 (catalogues loaded: "
                  "2024-25)", "skipped service: no catalogue is loaded for 2025-26 (catalogues "
                  "loaded: 2024-25)", "skipped health: no catalogue is loaded for 2025-26 "
                  "(catalogues loaded: 2024-25)"], id="all, no catalogue for the year: none"),
    pytest.param("health", "2024-25-Q1", SERVICE_ONLY, ["health"], [],
                 id="a named type is never skipped"),
])
def test_plan_runs_the_types_with_kpis_that_year(report, period, catalogue, runs, skipped):
    p = validate(GOOD | {"report": report, "period": period})
    got_runs, got_skipped = p.plan(catalogue)
    assert got_runs == runs
    assert [str(s) for s in got_skipped] == skipped
