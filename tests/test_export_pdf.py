"""``kpi export RUN --pdf`` (kpilib/publish/pdfpack.py): the committee pack printed by headless
Chromium from the run's own pages: cover with the sign-off state, contents with the right
page numbers, every KPI ref, A4, footer, charts as vectors, the same bytes twice."""

from __future__ import annotations

import io
import json
import re
import shutil

import pytest
from browser import require_chromium

from kpilib.errors import RunError
from kpilib.publish import additions, exports

pytestmark = [pytest.mark.browser, pytest.mark.slow]

A4 = (595.28, 841.89)  # points (Chromium rounds to whole CSS pixels: within 2 points)


@pytest.fixture(scope="module")
def packed(core_run, tmp_path_factory):
    """A copy of the session's core run, exported once as a PDF."""
    require_chromium()
    folder = tmp_path_factory.mktemp("pdf") / "2024-02" / "core"
    shutil.copytree(core_run.folder, folder)
    [entry] = exports.export(folder, ["pdf"], "A Tester")
    return folder, entry


def _reader(path):
    from pypdf import PdfReader

    return PdfReader(str(path))


def _texts(path) -> list[str]:
    return [p.extract_text() or "" for p in _reader(path).pages]


def test_pack_is_written_named_and_recorded(packed):
    folder, entry = packed
    assert (entry["file"], entry["format"], entry["kind"]) == ("core-2024-02.pdf", "pdf",
                                                               "export")
    assert additions.problems(folder) == []
    assert (folder / "core-2024-02.pdf").read_bytes().startswith(b"%PDF-")


def test_every_page_is_a4_with_the_title_and_page_number_in_the_footer(packed):
    folder, _ = packed
    reader = _reader(folder / "core-2024-02.pdf")
    n = len(reader.pages)
    assert n >= 8
    for i, page in enumerate(reader.pages, 1):
        box = page.mediabox
        assert abs(float(box.width) - A4[0]) < 2 and abs(float(box.height) - A4[1]) < 2
        text = page.extract_text()
        assert f"Page {i} of {n}" in text and "Core KPIs: Feb 2024" in text


def test_cover_contents_and_every_kpi_ref(packed, core_run):
    folder, _ = packed
    texts = _texts(folder / "core-2024-02.pdf")
    cover = texts[0]
    for words in ("North Northamptonshire Council", "Core KPIs: Feb 2024", "Feb 2024",
                  "Data as of 30 April 2025, 10:00 UTC", "Draft: not signed off"):
        assert words in cover
    refs = {line.split(",")[0] for line in
            (folder / "results.csv").read_text().splitlines()[1:]}
    body = "\n".join(texts)
    assert refs and not {r for r in refs if r not in body}


def test_contents_page_numbers_are_where_each_part_starts(packed):
    folder, _ = packed
    texts = _texts(folder / "core-2024-02.pdf")
    contents = texts[1]
    assert contents.startswith("Contents")
    pages = json.loads((folder / "manifest.json").read_text())["pages"]
    titles = [p["section"] or "Summary" for p in pages]
    numbers = []
    for title in titles:
        m = re.search(re.escape(title) + r"\s*(\d+)", contents)
        assert m, f"{title} not in the contents"
        numbers.append(int(m.group(1)))
    assert numbers == sorted(numbers) and numbers[0] == 3
    for title, number in zip(titles[1:], numbers[1:]):
        head = texts[number - 1].split("Page ")[0]
        assert title in head, f"{title} does not start page {number}"
        assert title not in texts[number - 2].split("\n")[0:3]


def test_charts_are_vectors_and_no_javascript_is_left(packed):
    folder, _ = packed
    data = (folder / "core-2024-02.pdf").read_bytes()
    assert b"/JavaScript" not in data and b"/JS " not in data
    reader = _reader(folder / "core-2024-02.pdf")
    images = sum(len(p.images) for p in reader.pages)
    assert images <= 1, "charts are printed as vector paths, not pictures (the logo aside)"
    texts = _texts(folder / "core-2024-02.pdf")  # Feb 2024: 11 months of history at most,
    assert any("Trend chart of" in t for t in texts)  # too few for limits (12): run charts
    assert any("Too few points for control limits" in t for t in texts)
    assert not any("Process limits" in t for t in texts)


def test_same_run_folder_gives_the_same_bytes_dated_from_as_of(packed):
    folder, entry = packed
    reader = _reader(folder / "core-2024-02.pdf")
    assert reader.metadata["/CreationDate"] == "D:20250630000000Z"
    assert reader.metadata["/ModDate"] == "D:20250630000000Z"
    [again] = exports.export(folder, ["pdf"], "A Tester")
    assert again["sha256"] == entry["sha256"]


def test_an_approved_signoff_gives_a_signed_cover(packed, tmp_path):
    from pypdf import PdfReader

    from kpilib.publish.signoff import sign_off

    folder, _ = packed
    copy = tmp_path / "core"
    shutil.copytree(folder, copy)
    sign_off(copy, "Jo Bloggs", "Director", "rejected")  # what kpi signoff records
    assert "Draft: not signed off (rejected by Jo Bloggs, Director" in exports.signoff_state(copy)
    sign_off(copy, "Jo Bloggs", "Chief Executive", "approved")
    assert exports.signoff_state(copy).startswith("Signed off by Jo Bloggs, Chief Executive")
    run = exports.open_run(copy)
    cover = PdfReader(io.BytesIO(exports.EXPORTS["pdf"].build(run))).pages[0].extract_text()
    assert "Signed off by Jo Bloggs, Chief Executive" in cover and "Draft" not in cover


def test_pdf_true_prints_the_pack_during_the_run_and_audit_reexecutes_it(test_store, tmp_path):
    require_chromium()
    from kpilib.audit.audit import audit_run
    from kpilib.run.runner import run
    from kpilib.settings.params import validate

    params = validate({"period": "2024-25-Q3", "report": "health", "store": str(test_store),
                       "as_of": "2025-06-30T00:00:00Z", "output_dir": str(tmp_path),
                       "pdf": True})
    [summary] = run(params, show_progress=False)
    manifest = json.loads((summary.folder / "manifest.json").read_text())
    assert manifest["parameters"]["pdf"] is True
    assert "health-2024-25-Q3.pdf" in manifest["outputs"]
    assert "Draft: not signed off" in _texts(summary.folder / "health-2024-25-Q3.pdf")[0]
    result = audit_run(summary.folder)
    assert result.identical, (result.differing, result.error)
    with pytest.raises(RunError, match="part of the published run"):
        exports.export(summary.folder, ["pdf"], "t")
    assert not (summary.folder / "additions.jsonl").exists()


@pytest.mark.parametrize("value", ["yes", 1, "true"], ids=["word", "number", "quoted"])
def test_pdf_key_must_be_true_or_false(value):
    from kpilib.errors import ParamsError
    from kpilib.settings.params import validate

    with pytest.raises(ParamsError, match="key 'pdf': expected true or false"):
        validate({"period": "2024-02", "report": "core", "store": "x.sqlite", "pdf": value})
