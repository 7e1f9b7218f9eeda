"""``kpi export RUN --xlsx`` (kpilib/publish/workbook.py, kpilib/publish/exports.py): one workbook of
values (never formulas), recorded as an addition; bad run folders are clear errors."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil

import openpyxl
import pytest

from kpilib.cli import main
from kpilib.errors import RunError
from kpilib.io.xlsxfile import FORMULA_STARTS, put
from kpilib.publish import additions, exports, workbook

HOSTILE = ["=HYPERLINK(\"http://x.invalid\",\"click\")", "+1+1", "-2+3", "@SUM(A1)",
           "\t=1+1", "\r=1+1"]
READ_BACK = [t.replace("\r", "\n") for t in HOSTILE]  # XML reads a CR back as a LF


@pytest.fixture
def run_copy(core_run, tmp_path):
    folder = tmp_path / "2024-02" / "core"
    shutil.copytree(core_run.folder, folder)
    return folder


def _book(path):
    return openpyxl.load_workbook(path)


def test_export_writes_the_workbook_and_records_it(run_copy, capsys):
    assert main(["export", str(run_copy), "--xlsx", "--who", "A Tester"]) == 0
    out = run_copy / "core-2024-02.xlsx"
    assert out.is_file() and "core-2024-02.xlsx" in capsys.readouterr().out
    [entry] = additions.read(run_copy)
    assert (entry["kind"], entry["format"], entry["file"], entry["who"]) == (
        "export", "xlsx", "core-2024-02.xlsx", "A Tester")
    assert entry["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert additions.problems(run_copy) == []
    manifest = json.loads((run_copy / "manifest.json").read_text())
    assert "core-2024-02.xlsx" not in manifest["outputs"], "the manifest never changes"


def test_sheets_hold_the_published_figures_with_rag_colours_and_frozen_headers(run_copy):
    exports.export(run_copy, ["xlsx"], "t")
    wb = _book(run_copy / "core-2024-02.xlsx")
    manifest = json.loads((run_copy / "manifest.json").read_text())
    sections = [p["section"] for p in manifest["pages"] if p["section"]]
    assert wb.sheetnames == ["Summary", *[workbook.sheet_title(s, set()) for s in sections],
                             "results.csv"]
    with open(run_copy / "results.csv", encoding="utf-8") as f:
        published = list(csv.reader(f))
    rs = wb["results.csv"]
    assert rs.freeze_panes == "A2"
    got = [["" if v is None else v for v in row] for row in rs.iter_rows(values_only=True)]
    assert got[0] == published[0] and len(got) == len(published)
    for g, p in zip(got[1:], published[1:]):
        assert [float(x) if i in (3, 4, 5) and x != "" else x for i, x in enumerate(g)] == [
            float(v) if i in (3, 4, 5) and v else v for i, v in enumerate(p)]
    summary = wb["Summary"]
    assert summary.freeze_panes == "A7"
    heads = [c.value for c in summary[6]]
    rag_col = heads.index("RAG") + 1
    colours = {}
    for row in summary.iter_rows(min_row=7):
        rag = row[rag_col - 1]
        colours.setdefault(rag.value, rag.fill.fgColor.rgb)
        assert isinstance(row[heads.index("RAG") - 1].value, float | int | type(None))
    assert colours["Green"].endswith("C6EFCE") and colours["Red"].endswith("FFC7CE")
    section = wb[wb.sheetnames[1]]
    assert section.freeze_panes == "D3"
    assert section.column_dimensions["C"].width == workbook.WIDTHS["name"]
    formats = {c.number_format for row in section.iter_rows(min_row=3, min_col=6, max_col=6)
               for c in row if isinstance(c.value, float)}
    assert formats and all(f.startswith("#,##0") for f in formats)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            assert all(c.data_type != "f" for c in row), f"a formula in {ws.title}"


def test_the_same_run_folder_gives_the_same_bytes_and_reexport_records_again(run_copy):
    first = exports.export(run_copy, ["xlsx"], "t")[0]
    second = exports.export(run_copy, ["xlsx"], "t")[0]
    assert first["sha256"] == second["sha256"]
    assert len(additions.read(run_copy)) == 2 and additions.problems(run_copy) == []
    wb = _book(run_copy / "core-2024-02.xlsx")
    assert wb.properties.created.isoformat().startswith("2025-06-30T00:00")
    assert wb.properties.modified == wb.properties.created


@pytest.mark.parametrize("text", HOSTILE, ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_text_that_looks_like_a_formula_is_written_as_text(tmp_path, text):
    assert text.startswith(FORMULA_STARTS)
    wb = openpyxl.Workbook()
    put(wb.active, 1, 1, text)
    wb.save(tmp_path / "w.xlsx")
    cell = _book(tmp_path / "w.xlsx").active["A1"]
    # XML keeps a carriage return as a line feed (Excel does the same): still text
    assert (cell.data_type, cell.value) == ("s", text.replace("\r", "\n"))


def test_hostile_catalogue_text_never_becomes_a_formula(run_copy, monkeypatch):
    real = workbook._report

    def hostile(run):
        report = real(run)
        kpis = report.kpis.copy()
        kpis["name"] = [HOSTILE[i % len(HOSTILE)] for i in range(len(kpis))]
        kpis["unit"] = "=1+1"
        object.__setattr__(report, "kpis", kpis)
        return report

    monkeypatch.setattr(workbook, "_report", hostile)
    exports.export(run_copy, ["xlsx"], "t")
    wb = _book(run_copy / "core-2024-02.xlsx")
    seen = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f"
                if c.value in READ_BACK:
                    assert c.data_type == "s"
                    seen.add(c.value)
    assert seen == set(READ_BACK)


@pytest.mark.parametrize("case", ["missing", "no-manifest", "no-format"])
def test_a_bad_run_folder_is_a_clear_error_and_nothing_is_written(tmp_path, capsys, case):
    folder = tmp_path / "2024-02" / "core"
    if case != "missing":
        folder.mkdir(parents=True)
        (folder / "index.html").write_text("<p>not a run</p>")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    argv = ["export", str(folder)] + ([] if case == "no-format" else ["--xlsx", "--pdf"])
    assert main(argv) == 1
    message = capsys.readouterr().err
    assert {"missing": "no such run folder", "no-manifest": "no manifest.json",
            "no-format": "nothing to export"}[case] in message
    assert "Traceback" not in message
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_a_failed_build_writes_nothing(run_copy, monkeypatch):
    def broken(run):
        raise RunError("printer on fire")

    monkeypatch.setitem(exports.EXPORTS, "pdf", exports.Export("pdf", "", broken))
    before = sorted(p.name for p in run_copy.iterdir())
    with pytest.raises(RunError, match="printer on fire"):
        exports.export(run_copy, ["xlsx", "pdf"], "t")
    assert sorted(p.name for p in run_copy.iterdir()) == before


def test_sheet_titles_are_valid_and_unique():
    used: set[str] = set()
    titles = [workbook.sheet_title(n, used) for n in
              ["A/B: C?", "A/B: C?", "x" * 40, "x" * 40, "Summary"]]
    assert len({t.lower() for t in titles}) == 5
    assert all(len(t) <= 31 and not set(t) & set("[]:*?/\\") for t in titles)
