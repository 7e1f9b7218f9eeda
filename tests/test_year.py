"""A year in one command (kpilib/run/year.py): a parameter set whose period is a financial
year runs its months and quarters, each edition the council publishes, executing only what
changed and saying why; `kpi audit --year` audits the year's publications, a line each."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from kpilib.audit.audit import year_folders
from kpilib.cli import main
from kpilib.cli.audit import summary_line
from kpilib.errors import AuditError, ParamsError
from kpilib.run import year
from kpilib.run.runner import RunSummary
from kpilib.settings.council import CouncilError, load_settings
from kpilib.settings.edition import parse_editions
from kpilib.settings.params import validate, year_of

MONTHS = ["2024-04", "2024-05", "2024-06", "2024-07", "2024-08", "2024-09", "2024-10",
          "2024-11", "2024-12", "2025-01", "2025-02", "2025-03"]
QUARTERS = ["2024-25-Q1", "2024-25-Q2", "2024-25-Q3", "2024-25-Q4"]


@pytest.mark.parametrize("text, expected", [
    pytest.param("2024-25", "2024-25", id="a financial year"),
    pytest.param("2009-10", None, id="October 2009 is a month, not 2009-10"),
    pytest.param("2024-05", None, id="a month"),
    pytest.param("2024-25-Q1", None, id="a quarter"),
    pytest.param("2024-26", None, id="not consecutive years"),
])
def test_what_is_a_year(text, expected):
    assert year_of(text) == expected


def test_a_year_parameter_set_is_valid_and_checked():
    p = validate({"period": "2024-25", "report": "all", "store": "kpi.sqlite"})
    assert p.is_year and p.period == "2024-25"
    with pytest.raises(ParamsError, match=r"key 'period': '2024-26' is not a month id: .*; nor "
                                          r"a financial year \(the second part must be the "
                                          r"year after the first: 2024-25\)"):
        validate({"period": "2024-26", "report": "all", "store": "kpi.sqlite"})


def params(tmp_path, monkeypatch, report="all", edition=None, editions=None):
    monkeypatch.chdir(tmp_path)
    if editions is not None:
        Path("council.yaml").write_text(f"editions: {json.dumps(editions)}\n")
    raw = {"period": "2024-25", "report": report, "store": "kpi.sqlite"}
    if edition:
        raw["edition"] = edition
    return validate(raw)


@pytest.mark.parametrize("report, edition, editions, expected", [
    pytest.param("all", None, None, [(p, "internal") for p in MONTHS + QUARTERS],
                 id="every month and quarter, internal by default"),
    pytest.param("all", None, ["internal", "public"],
                 [(p, e) for p in MONTHS + QUARTERS for e in ("internal", "public")],
                 id="the editions council.yaml lists"),
    pytest.param("all", "public", ["internal", "public"],
                 [(p, "public") for p in MONTHS + QUARTERS], id="edition: public only"),
    pytest.param("service", None, None, [(p, "internal") for p in QUARTERS],
                 id="a quarterly report type: its quarters"),
])
def test_what_a_year_runs(tmp_path, monkeypatch, report, edition, editions, expected):
    p = params(tmp_path, monkeypatch, report, edition, editions)
    assert [(x.period, x.edition) for x in year.expand(p)] == expected
    assert {x.report for x in year.expand(p)} == {report}


@pytest.mark.parametrize("value, editions, problem", [
    pytest.param(None, ("internal",), None, id="absent: internal"),
    pytest.param(["internal", "public"], ("internal", "public"), None, id="both"),
    pytest.param("public", ("public",), None, id="one, as text"),
    pytest.param(["internal", "press"], ("internal",), "key 'editions': 'press' is not an "
                 "edition", id="an unknown edition"),
    pytest.param(["public", "public"], ("public",), "key 'editions': 'public' is listed twice",
                 id="twice"),
    pytest.param([], ("internal",), "key 'editions': expected a list of editions", id="empty"),
])
def test_council_editions(value, editions, problem):
    got, problems = parse_editions({} if value is None else {"editions": value})
    assert got == editions
    assert (problems[0].startswith(problem) if problem else problems == []), problems


def test_a_bad_editions_key_is_a_settings_error(tmp_path):
    (tmp_path / "c.yaml").write_text("editions: [internal, press]\n")
    with pytest.raises(CouncilError, match=r"c.yaml: invalid council settings:\n  key "
                                           r"'editions': 'press' is not an edition"):
        load_settings(tmp_path / "c.yaml")


def summary(**kw) -> RunSummary:
    base = dict(period="2024-05", report="core", folder=Path("outputs/2024-05/core"),
                as_of="x", pages=5, kpis=30, seconds=2.25)
    return RunSummary(**{**base, **kw})


@pytest.mark.parametrize("s, expected", [
    pytest.param(summary(unchanged=True), "core 2024-05: unchanged, verified "
                 "(outputs/2024-05/core)", id="unchanged"),
    pytest.param(summary(why="new load returns r.csv (loaded t)"),
                 "core 2024-05: re-executed in 2.2 s: new load returns r.csv (loaded t) -> "
                 "outputs/2024-05/core/index.html", id="re-executed"),
    pytest.param(summary(why="nothing was published there before", edition="public",
                         folder=Path("outputs/2024-05/core-public")),
                 "core 2024-05 public: published in 2.2 s (the first publication) -> "
                 "outputs/2024-05/core-public/index.html", id="first, public"),
])
def test_one_line_per_publication(s, expected):
    assert year.line(s) == expected


@pytest.mark.parametrize("lines, expected", [
    pytest.param(["a: identical", "  signature valid"], "a: identical", id="identical"),
    pytest.param(["a: DIFFERENT", "  tampered: x", "  missing: y"],
                 "a: DIFFERENT (tampered: x; 1 more)", id="different"),
])
def test_audit_summary_line(lines, expected):
    assert summary_line(lines) == expected


def test_the_year_folders_are_its_current_publications(tmp_path):
    for rel in ("2024-05/core", "2024-25-Q1/service", "2024-25-Q1/core-public",
                "2024-05/core.superseded/20250101T000000Z", "2023-05/core", "2025-04/core"):
        (tmp_path / rel).mkdir(parents=True)
        (tmp_path / rel / "manifest.json").write_text("{}")
    assert [f.relative_to(tmp_path).as_posix() for f in year_folders(tmp_path, "2024-25")] == \
        ["2024-05/core", "2024-25-Q1/core-public", "2024-25-Q1/service"]
    with pytest.raises(AuditError, match="no publications of 2022-23"):
        year_folders(tmp_path, "2022-23")


def kpi(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("argv, message", [
    pytest.param(["audit"], "expected a run folder or a folder of runs", id="nothing to audit"),
    pytest.param(["audit", "--year", "2024-26"], "--year '2024-26': not a financial year",
                 id="not a year"),
    pytest.param(["audit", "--year", "2024-25", "--dask-workers", "2", "--council", "c.yaml"],
                 "--council: not passed to the audits on a Dask cluster", id="dask and council"),
])
def test_audit_options_refused(capsys, argv, message):
    code, out, err = kpi(capsys, *argv)
    assert code == 1 and message in err, err


REVISED = "ref,period,breakdown,value,numerator,denominator,status,commentary\n" \
          "SVC01,2024-25-Q4,,,1100,1421,,\n"


@pytest.mark.slow
def test_a_year_executes_what_changed_and_audits(tmp_path, test_store, capsys, monkeypatch):
    """The service reports of 2024-25 (its four quarters): all published; a revised return
    of Q4: only Q4 executes (no earlier quarter reads its rows), naming the load, the others
    unchanged and verified; the year audits identical, a line per publication."""
    shutil.copyfile(test_store, tmp_path / "kpi.sqlite")
    monkeypatch.chdir(tmp_path)
    Path("y.yaml").write_text('period: "2024-25"\nreport: service\nstore: kpi.sqlite\n')
    code, out, err = kpi(capsys, "run", "y.yaml", "--quiet")
    assert code == 0, err
    assert out.count("(the first publication)") == 4, out
    Path("rev.csv").write_text(REVISED)
    assert kpi(capsys, "load", "returns", "rev.csv", "--store", "kpi.sqlite")[0] == 0
    code, out, err = kpi(capsys, "run", "y.yaml", "--quiet")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[:3] == [f"service {q}: unchanged, verified (outputs/{q}/service)"
                         for q in QUARTERS[:3]], out
    assert re.fullmatch(r"service 2024-25-Q4: re-executed in [\d.]+ s: new load returns rev.csv "
                        r"\(loaded .*\), the returns rows it reads -> "
                        r"outputs/2024-25-Q4/service/index.html", lines[3]), out
    assert lines[4] == "2024-25: 4 publications: 1 executed, 3 unchanged, verified"

    code, out, err = kpi(capsys, "audit", "--year", "2024-25")
    assert code == 0, out + err
    assert out.splitlines()[:4] == [f"outputs/{q}/service: identical" for q in QUARTERS], out
    assert out.splitlines()[-1] == "4 runs audited: 4 identical, 0 not", out
