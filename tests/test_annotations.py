"""Annotations (``kpi load annotations FILE``; kpilib.ingest.annotations, kpilib.store
.annotations, kpilib.reports.annotations): bad files named by row and column with nothing
stored, versioned reads, notes on the trend and XmR charts and in their text alternatives,
an SPC rebase, the report's sources, and an audit that re-executes identical."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from conftest import write_csv
from kpilib.cli import main
from kpilib.errors import ValidationError
from kpilib.notebook import open_report
from kpilib.render.html import kpi_article
from kpilib.reports.annotations import Note, notes_for, on_frequency
from kpilib.store import Store

HEADER = ["ref", "period", "text", "rebase"]
GOOD = ["AFL17", "2023-10", "New triage process", "yes"]


@pytest.fixture
def db(tmp_path, test_store):
    """A copy of the demo store (core: AFL..., STP...; health: OH01...)."""
    shutil.copyfile(test_store, tmp_path / "kpi.sqlite")
    return str(tmp_path / "kpi.sqlite")


def load(tmp_path, db, rows, name="notes.csv", header=HEADER):
    path = write_csv(tmp_path / name, header, rows)
    with Store.open(db) as s:
        return s.load("annotations", path)


def counts(db):
    with Store.open(db) as s:
        return s.counts()


# fmt: off
BAD = [
    # id, rows, (row, column), words of the message
    ("unknown-ref", [["NOPE1", "2024-01", "A note", ""]], (2, "ref"), "unknown ref"),
    ("no-ref", [["", "2024-01", "A note", ""]], (2, "ref"), "required"),
    ("bad-period", [["AFL17", "2024-13", "A note", ""]], (2, "period"), "month id"),
    ("a-year-is-not-a-chart-period", [["AFL17", "2024-25", "A note", ""]], (2, "period"),
     "quarter id"),
    ("empty-text", [["AFL17", "2024-01", "  ", ""]], (2, "text"), "required"),
    ("too-long-text", [["AFL17", "2024-01", "x" * 201, ""]], (2, "text"), "at most 200"),
    ("bad-rebase", [["AFL17", "2024-01", "A note", "maybe"]], (2, "rebase"), "expected yes"),
    ("duplicate-different-text", [GOOD, ["AFL17", "2023-10", "Another process", "yes"]],
     (3, "text"), "duplicate with another note"),
    ("duplicate-different-rebase", [GOOD, ["AFL17", "2023-10", "New triage process", ""]],
     (2, "text"), "different text or rebase"),
]
# fmt: on


@pytest.mark.parametrize("rows, where, words", [pytest.param(*b[1:], id=b[0]) for b in BAD])
def test_bad_annotations_name_file_row_and_column_and_store_nothing(tmp_path, db, rows, where,
                                                                    words):
    before = counts(db)
    with pytest.raises(ValidationError) as e:
        load(tmp_path, db, [*rows, ["AFL03", "2024-01", "Policy change", ""]])
    assert e.value.file == "notes.csv"
    assert any((p.row, p.column) == where and words in p.message for p in e.value.problems), \
        str(e.value)
    assert counts(db) == before


def test_every_problem_of_a_file_at_once(tmp_path, db):
    with pytest.raises(ValidationError) as e:
        load(tmp_path, db, [["NOPE1", "2024-01", "A", ""], ["AFL17", "x", "", "maybe"]])
    assert {(p.row, p.column) for p in e.value.problems} == {
        (2, "ref"), (3, "period"), (3, "text"), (3, "rebase")}


def test_a_missing_required_column_is_named(tmp_path, db):
    with pytest.raises(ValidationError, match="text"):
        load(tmp_path, db, [["AFL17", "2024-01"]], header=["ref", "period"])


def test_identical_rows_are_one_note_and_rebase_is_yes_or_empty(tmp_path, db):
    res = load(tmp_path, db, [GOOD, GOOD, ["AFL03", "2024-01", "Policy change", "No"],
                              ["STP44", "2024-25-Q1", "Restated", "YES"]])
    assert res.n_rows == 3
    with Store.open(db) as s:
        got = s.snapshot(extras=("annotations",)).extras["annotations"]
    assert sorted(zip(got["ref"], got["rebase"], strict=True)) == [
        ("AFL03", ""), ("AFL17", "yes"), ("STP44", "yes")]


def test_a_later_load_rewords_a_note_and_earlier_moments_keep_theirs(tmp_path, db):
    first = load(tmp_path, db, [GOOD], "one.csv")
    load(tmp_path, db, [["AFL17", "2023-10", "Triage process, phase 1", ""]], "two.csv")
    with Store.open(db) as s:
        now = s.snapshot(extras=("annotations",)).extras["annotations"]
        then = s.snapshot(first.loaded_at, extras=("annotations",)).extras["annotations"]
    assert list(now["text"]) == ["Triage process, phase 1"] and list(now["rebase"]) == [""]
    assert list(then["text"]) == ["New triage process"]


@pytest.mark.parametrize("period, frequency, expected", [
    pytest.param("2024-05", "monthly", "2024-05", id="month-on-monthly"),
    pytest.param("2024-05", "quarterly", "2024-25-Q1", id="month-on-quarterly-its-quarter"),
    pytest.param("2024-25-Q3", "monthly", "2024-10", id="quarter-on-monthly-its-first-month"),
    pytest.param("2024-25-Q3", "quarterly", "2024-25-Q3", id="quarter-on-quarterly"),
])
def test_a_note_is_on_a_period_of_the_kpis_frequency(period, frequency, expected):
    assert on_frequency(period, frequency) == expected
    assert notes_for({"K": ((period, "t", True),)}, "K", frequency) == (
        Note(expected, "t", True),)


@pytest.fixture
def noted(tmp_path, db):
    """Notes on two core KPIs (AFL17 rebasing its SPC limits) and one health KPI."""
    load(tmp_path, db, [GOOD, ["AFL03", "2024-01", "Policy change", ""]], "core.csv")
    load(tmp_path, db, [["OH01", "2024-01", "Health note", ""]], "health.csv")
    return db


def test_notes_are_on_the_xmr_chart_and_in_its_text_alternative(noted):
    rep = open_report(noted, "2025-02", "core")
    assert rep.annotations["AFL17"] == (Note("2023-10", "New triage process", True),)
    assert "OH01" not in rep.annotations
    html = kpi_article(rep, "AFL17")
    alt = re.search(r'aria-label="(XmR chart of AFL17[^"]+)"', html).group(1)
    assert alt.endswith("Notes: Oct 2023: New triage process (SPC limits recalculated from "
                        "here).")
    assert '"text":"\\u25bc Rebased: New triage process"' in html  # ▼, as plotly writes it
    assert '"x0":"Oct 2023"' in html.replace(": ", ":")  # a line at the period


def test_a_note_on_the_trend_chart(noted):
    html = kpi_article(open_report(noted, "2024-02", "core"), "AFL03")
    alt = re.search(r'aria-label="(Trend chart of AFL03[^"]+)"', html).group(1)
    assert alt.endswith("Notes: Jan 2024: Policy change.")


def test_a_rebase_note_recalculates_the_spc_limits_from_its_period(noted):
    pts = open_report(noted, "2025-02", "core").spc_points
    afl = pts[(pts["ref"] == "AFL17") & (pts["breakdown"] == "")].set_index("period")
    assert afl.at["2023-10", "group"] > afl.at["2023-09", "group"]
    other = pts[(pts["ref"] == "AFL03") & (pts["breakdown"] == "")]
    assert other["group"].nunique() == 1  # a note without rebase changes no limits


def test_a_note_after_the_report_is_not_read(tmp_path, noted):
    load(tmp_path, noted, [["AFL12", "2025-01", "Later", ""]], "later.csv")
    rep = open_report(noted, "2024-02", "core")
    assert "AFL12" not in rep.annotations
    assert [s["source_file"] for s in rep.sources if s["kind"] == "annotations"] == [
        "core.csv"]


def test_only_reports_whose_kpis_have_notes_list_the_load(noted):
    core = open_report(noted, "2024-02", "core")
    health = open_report(noted, "2023-24-Q4", "health")  # quarterly: its Jan 2024 note
    assert [s["source_file"] for s in core.sources if s["kind"] == "annotations"] == [
        "core.csv"]
    assert [s["source_file"] for s in health.sources if s["kind"] == "annotations"] == [
        "health.csv"]
    service = open_report(noted, "2023-24-Q4", "service")
    assert not [s for s in service.sources if s["kind"] == "annotations"]


def test_a_run_with_notes_records_them_and_audits_identical(tmp_path, noted, monkeypatch,
                                                            capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.yaml").write_text(f'period: "2024-02"\nreport: core\nstore: {noted}\n')
    assert main(["run", "p.yaml"]) == 0, capsys.readouterr().err
    run = tmp_path / "outputs" / "2024-02" / "core"
    data = json.loads((run / "manifest.json").read_text())["data"]
    assert data["annotations_rows"] == 2 and "annotations_sha256" in data
    assert [s["source_file"] for s in data["sources"] if s["kind"] == "annotations"] == [
        "core.csv"]
    assert any("Notes: Jan 2024: Policy change." in p.read_text(encoding="utf-8")
               for p in run.rglob("*.html"))
    capsys.readouterr()
    assert main(["audit", str(run)]) == 0, capsys.readouterr().out
    assert "identical" in capsys.readouterr().out.lower()
