"""A council outside the seeds, end to end from an empty folder: the unitary council of
``rules-in-the-wild.md`` (``unitary-quarterly``), with its own key, targets that change
quarter by quarter, and a status set by judgement; through the documented commands only.

Its key is "Green on, above or within 5% of target, Amber 5-10% worse, Red more than 10%
worse"; no built-in scheme says that.  The settings are ``docs/keys/unitary-quarterly.yaml``
copied as ``council.yaml``; every KPI leaves ``rag_scheme`` and ``travel_scheme`` empty.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import kpilib.notebook as kn
from conftest import write_csv
from kpilib.cli import main

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ["year", "ref", "name", "directorate", "commitment", "report", "frequency",
             "measure", "unit", "polarity", "target", "rag_scheme", "travel_scheme"]
RETURNS = ["ref", "period", "value", "status", "commentary"]
HOUSING, PEOPLE = "Housing and Communities", "Children and Families"
KPIS = [  # ref, name, directorate, measure, unit, polarity, catalogue target
    ("HC01", "Percentage of households in temporary accommodation over 6 weeks", HOUSING,
     "snapshot", "percent", "lower", "36"),
    ("HC02", "Council tax collected (year to date)", HOUSING, "cumulative", "percent",
     "higher", "97"),
    ("CF01", "Re-referrals to children's social care within 12 months", PEOPLE, "snapshot",
     "percent", "lower", "22"),
]
VALUES = {  # the four quarters of 2024-25, and last year's Q4
    "HC01": {"2023-24-Q4": 38.0, "2024-25-Q1": 37.5, "2024-25-Q2": 38.6, "2024-25-Q3": 37.0,
             "2024-25-Q4": 34.0},
    "HC02": {"2023-24-Q4": 96.8, "2024-25-Q1": 29.0, "2024-25-Q2": 56.3, "2024-25-Q3": 83.1,
             "2024-25-Q4": 96.1},
    "CF01": {"2023-24-Q4": 21.0, "2024-25-Q1": 21.5, "2024-25-Q2": 23.0, "2024-25-Q3": 24.9,
             "2024-25-Q4": 26.0},
}


def kpi(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def catalogue(year: str) -> list[dict]:
    return [{"year": year, "ref": r, "name": n, "directorate": d, "commitment": d,
             "report": "service", "frequency": "quarterly", "measure": m, "unit": u,
             "polarity": p, "target": t} for r, n, d, m, u, p, t in KPIS]


def returns(year_prefix: str) -> list[dict]:
    return [{"ref": ref, "period": period, "value": value,
             "status": "provisional" if (ref, period) == ("HC01", "2024-25-Q4") else ""}
            for ref, periods in VALUES.items() for period, value in periods.items()
            if period.startswith(year_prefix)]


def test_unitary_council_first_year_with_its_own_key_targets_and_an_override(
        tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    shutil.copy(ROOT / "docs" / "keys" / "unitary-quarterly.yaml", "council.yaml")
    for year in ("2023-24", "2024-25"):
        f = write_csv(Path(f"catalogue-{year}.csv"), CATALOGUE, catalogue(year))
        code, _, err = kpi(capsys, "load", "catalogue", str(f))
        assert code == 0, err
    f = write_csv(Path("returns.csv"), RETURNS, [*returns("2023-24"), *returns("2024-25")])
    assert kpi(capsys, "load", "returns", str(f))[0] == 0

    # targets that move quarter by quarter (lower is better): 36, 35, 35, 34
    targets = write_csv(Path("targets-2024-25.csv"), ["ref", "period", "target"], [
        {"ref": "HC01", "period": f"2024-25-Q{q}", "target": t}
        for q, t in zip((1, 2, 3, 4), ("36", "35", "35", "34%"), strict=True)])
    code, out, err = kpi(capsys, "load", "targets", str(targets))
    assert code == 0, err
    assert out.startswith("loaded targets-2024-25.csv: 4 rows")

    # a status no key has is refused, naming file, row, column and the key's statuses
    bad = write_csv(Path("overrides-bad.csv"), ["ref", "period", "status", "reason", "by"], [
        {"ref": "CF01", "period": "2024-25-Q4", "status": "Blue", "reason": "x", "by": "y"},
        {"ref": "CF01", "period": "2024-25-Q3", "status": "Amber", "reason": "", "by": "y"}])
    code, _, err = kpi(capsys, "load", "overrides", str(bad))
    assert code == 1
    assert ("overrides-bad.csv, row 2, column 'status': 'Blue': not a status of CF01's key "
            "'unitary-quarterly'; expected one of Green, Amber, Red") in err
    assert "overrides-bad.csv, row 3, column 'reason'" in err and "Traceback" not in err
    # officers' judgement: CF01 is Red by the key in Q4, judged Amber
    judged = write_csv(Path("overrides.csv"), ["ref", "period", "status", "reason", "by"], [
        {"ref": "CF01", "period": "2024-25-Q4", "status": "Amber",
         "reason": "Re-referrals from one family group of five; the underlying rate is 22%",
         "by": "Director of Children's Services"}])
    code, _, err = kpi(capsys, "load", "overrides", str(judged))
    assert code == 0, err

    Path("params").mkdir()
    Path("params/2024-25-Q4.yaml").write_text(
        'period: "2024-25-Q4"\nreport: service\nstore: data/kpi.sqlite\n', encoding="utf-8")
    code, out, err = kpi(capsys, "run", "params/2024-25-Q4.yaml", "--quiet")
    assert code == 0, err
    folder = Path("outputs/2024-25-Q4/service")
    results = pd.read_csv(folder / "results.csv", dtype=str, keep_default_na=False)
    assert list(results.columns)[-3:] == ["travel_label", "override_reason", "parts"]
    at = results.set_index(["ref", "column"])
    # HC01 against each quarter's own target: 37.5 vs 36 (4.2% worse) Green, 38.6 vs 35
    # (10.3% worse) Red, 37.0 vs 35 (5.7% worse) Amber, 34 vs 34 Green
    assert [at.loc[("HC01", f"2024-25-Q{q}"), "rag"] for q in (1, 2, 3, 4)] == \
        ["Green", "Red", "Amber", "Green"]
    assert at.loc[("HC01", "2024-25-Q4"), "travel"] == "▲"
    assert at.loc[("HC01", "2024-25-Q4"), "travel_label"] == "Better"
    # CF01: 26 vs 22 is 18% worse, Red by the key; the officers' Amber with its reason
    assert at.loc[("CF01", "2024-25-Q4"), "rag"] == "Amber"
    assert at.loc[("CF01", "2024-25-Q4"), "override_reason"].startswith("Re-referrals")
    assert at.loc[("CF01", "2024-25-Q3"), "rag"] == "Red"  # 24.9 vs 22: 13% worse
    assert at.loc[("CF01", "2024-25-Q4"), "travel_label"] == "Worse"
    page = (folder / "children-and-families.html").read_text(encoding="utf-8")
    assert "Status set by judgement: <b>Amber</b>, by Director of Children&#x27;s Services" \
        in page or "Status set by judgement: <b>Amber</b>, by Director of Children's Services" \
        in page
    housing = (folder / "housing-and-communities.html").read_text(encoding="utf-8")
    assert "34.0% (provisional)" in housing  # a provisional figure is marked as such
    # the key's words, never the built-in ones: its arrows in the key, and its Green
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "<b>▲</b> better; <b>▼</b> worse." in index
    assert ("Of the 3 indicators reported this period, 2 are on, above or within 5% of "
            "target and 1 is Amber.") in index  # Amber by judgement: no claim of its band
    assert "on target or better" not in index

    # a year-to-date measure's Q1 is compared with last year's Q4 (29.0 vs 96.8: worse)
    q1 = kn.open_report("data/kpi.sqlite", "2024-25-Q1", "service", council="council.yaml")
    hc02 = q1.kpis.set_index("ref").loc["HC02"]
    assert (hc02["travel"], hc02["travel_text"]) == ("▼", "Worse")
    assert [c.id for c in q1.columns] == ["YTD", "2024-25-Q1", "2023-24-Q1"] or \
        [c.id for c in q1.columns] == ["YTD", "2024-25-Q1"]
    assert "Directorate</dt>" in kn.section_page_body(q1, HOUSING)

    # its report shape: the first quarter's table shows the previous quarter too, and a
    # directorate's page does not repeat the directorate on every KPI
    shaped = Path("council-shaped.yaml")  # the published runs keep theirs (audit below)
    shaped.write_text(Path("council.yaml").read_text(encoding="utf-8")
                      + "report_shape:\n  service:\n    previous_period: true\n"
                      "    directorate: false\n", encoding="utf-8")
    q1 = kn.open_report("data/kpi.sqlite", "2024-25-Q1", "service", council=str(shaped))
    prev = next(c for c in q1.columns if c.id == "2023-24-Q4")
    assert prev.label == "Q4 2023-24 (previous quarter)"
    cells = q1.cells.set_index(["ref", "column"])
    assert (cells.loc[("HC01", "2023-24-Q4"), "value"],
            cells.loc[("HC01", "2023-24-Q4"), "display"]) == (38.0, "38.0%")
    assert "Directorate</dt>" not in kn.section_page_body(q1, HOUSING)
    assert "Q4 2023-24 (previous quarter)" in kn.section_page_body(q1, HOUSING)

    # the target a report showed stays: as of before the targets load, the catalogue's 36
    first = kn.open_report("data/kpi.sqlite", "2024-25-Q2", "service", council="council.yaml",
                           as_of=_loaded_at("data/kpi.sqlite", "returns"))
    q2 = first.cells.set_index(["ref", "column"]).loc[("HC01", "2024-25-Q2")]
    assert (q2["target"], q2["rag"]) == (36.0, "Amber")  # 38.6 vs 36: 7.2% worse

    # audit re-executes the run, targets and overrides included, identically
    code, out, err = kpi(capsys, "audit", str(folder))
    assert code == 0, out + err
    assert "identical" in out


def _loaded_at(store: str, kind: str) -> str:
    from kpilib.store import open_store

    src = open_store(store).sources(None)
    return src[src["kind"] == kind]["loaded_at"].iloc[-1]


def test_a_key_compares_with_other_bodies_figures(tmp_path, monkeypatch, capsys):
    """A reference value may be a comparator's figure (kpi load comparators): Green better
    than the England average, Amber within 5% of it, Red otherwise."""
    monkeypatch.chdir(tmp_path)
    Path("council.yaml").write_text("""\
name: A unitary council
status_keys:
  against-england:
    comparators: {england: England average}
    statuses:
      - {label: Better than England, symbol: "▲", colour: "#1b7a3a"}
      - {label: Close to England, symbol: "■", colour: "#ffbf47"}
      - {label: Worse than England, symbol: "▼", colour: "#b00020", action: true}
    bands:
      - {status: Better than England, reference: england, beyond: 0}
      - {status: Close to England, reference: england, within: {percent: 5}}
      - {status: Worse than England}
default_keys: {status: against-england}
""", encoding="utf-8")
    f = write_csv(Path("catalogue.csv"), CATALOGUE, catalogue("2024-25"))
    assert kpi(capsys, "load", "catalogue", str(f))[0] == 0
    f = write_csv(Path("returns.csv"), RETURNS, returns("2024-25"))
    assert kpi(capsys, "load", "returns", str(f))[0] == 0
    f = write_csv(Path("comparators.csv"), ["ref", "group", "period", "value"], [
        {"ref": "HC01", "group": "England average", "period": "2024-25", "value": "35.5"},
        {"ref": "CF01", "group": "England average", "period": "2024-25", "value": "25"},
        {"ref": "HC02", "group": "Regional average", "period": "2024-25", "value": "96"}])
    assert kpi(capsys, "load", "comparators", str(f))[0] == 0
    rep = kn.open_report("data/kpi.sqlite", "2024-25-Q4", "service", council="council.yaml")
    rag = rep.kpis.set_index("ref")["rag"]
    assert rag["HC01"] == "Better than England"  # 34.0 against 35.5, lower is better
    assert rag["CF01"] == "Close to England"  # 26 against 25: 4% worse
    assert rag["HC02"] == "Tracking"  # no England figure: the key cannot rate it

