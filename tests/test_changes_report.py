"""``kpi changes`` end to end on the demo store: the 2024-25 and 2025-26 KPI sets compared,
published as a run folder, audited identical, tampering detected."""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from kpilib.cli import main

FOLDER = ("2024-25_2025-26", "changes")


@pytest.fixture(scope="module")
def published(tmp_path_factory, test_store):
    """The demo's change report, published once from a copy of the demo store."""
    tmp = tmp_path_factory.mktemp("changes")
    store = tmp / "kpi.sqlite"
    shutil.copyfile(test_store, store)
    out = tmp / "outputs"
    code = main(["changes", "--from", "2024-25", "--to", "2025-26", "--store", str(store),
                 "--output-dir", str(out), "--as-of", "2025-06-30T00:00:00Z"])
    assert code == 0
    return store, out, out.joinpath(*FOLDER)


def test_changes_csv_of_the_demo(published):
    _, _, folder = published
    with open(folder / "changes.csv", encoding="utf-8", newline="") as fh:
        rows = {(r["ref"], r["previous_ref"]): r for r in csv.DictReader(fh)}
    expect = {
        ("AFL15a", "AFL15"): ("changed", "ref;name"),  # split: the first changed
        ("AFL15b", "AFL15"): ("new", ""),  # ... the rest new
        ("BBF18", "BBF18b"): ("changed", "ref"),  # renumbered
        ("BBF47", "BBF47;BBF48"): ("changed", "name"),  # merged
        ("AFL13", "AFL13"): ("changed", "target"),  # re-targeted
        ("SVC05", "SVC05"): ("changed", "department"),
        ("BBF51", ""): ("new", ""),
        ("", "AFL08"): ("removed", ""),  # an Oflog metric
        ("AFL26", "AFL26"): ("unchanged", ""),
    }
    assert {key: (rows[key]["change"], rows[key]["fields"]) for key in expect} == expect
    assert ("", "BBF48") not in rows  # merged into BBF47, not removed


def test_page_lists_the_changes_with_the_summary(published):
    _, _, folder = published
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert "4 KPIs are new, 8 changed, 3 removed (1 of the new comes from splitting a KPI)" \
        in page
    assert "KPIs by key commitment and report set, 2024-25 and 2025-26" in page
    for text in ("Changes to the KPI set, 2024-25 to 2025-26", "New KPIs (4)",
                 "Changed KPIs (8)", "Removed KPIs (3)", "split from AFL15",
                 "<b>target</b>: 264 (22 per month) &rarr; 276 (23 per month)",
                 "<b>department</b>: Legal &amp; Democratic Services &rarr; Customer Services"):
        assert text in page


def test_manifest_records_the_run(published):
    store, _, folder = published
    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert m["parameters"]["report"] == "changes"
    assert m["parameters"]["period"] == "2024-25_2025-26"
    assert set(m["outputs"]) >= {"changes.csv", "index.html", "notebooks/index.ipynb"}
    assert {s["source_file"] for s in m["data"]["sources"]} >= {"catalogue-2024-25.csv",
                                                                "catalogue-2025-26.csv"}
    assert all(s["kind"] == "catalogue" for s in m["data"]["sources"])
    assert m["notebooks"] == {"kpilib:changes.ipynb": m["notebooks"]["kpilib:changes.ipynb"]}


def test_audit_is_identical_then_tamper_is_detected(published, tmp_path, capsys):
    store, out, folder = published
    copy = tmp_path / "outputs"
    shutil.copytree(out, copy)
    run = copy.joinpath(*FOLDER)
    assert main(["audit", str(run), "--store", str(store)]) == 0
    assert f"{run}: identical" in capsys.readouterr().out
    path = run / "changes.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",removed,", ",unchanged,", 1),
                    encoding="utf-8")
    assert main(["audit", str(run), "--store", str(store)]) == 1
    text = capsys.readouterr().out
    assert "DIFFERENT" in text
    assert "tampered: changes.csv does not match its hash in the manifest" in text


@pytest.mark.parametrize("args, message", [
    pytest.param(["--from", "2024-25", "--to", "2026-27"], "expected the financial year "
                 "after --from 2024-25 (2025-26)", id="years not consecutive"),
    pytest.param(["--from", "2022-23", "--to", "2023-24"], "--from 2022-23: no KPI set for "
                 "2022-23 in the store", id="a year not loaded"),
    pytest.param(["--from", "2024-25", "--to", "2025-26", "--as-of", "tomorrow"], "--as-of",
                 id="bad as-of"),
])
def test_a_failed_command_changes_nothing(tmp_path, test_store, capsys, args, message):
    store = tmp_path / "kpi.sqlite"
    shutil.copyfile(test_store, store)
    before = store.read_bytes()
    out = tmp_path / "outputs"
    assert main(["changes", *args, "--store", str(store), "--output-dir", str(out)]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists() or not any(out.rglob("manifest.json"))
    assert store.read_bytes() == before


@pytest.mark.parametrize("argv", [["--period", "2024-25_2025-26"], ["--report", "changes"],
                                  ["--period", "2024-25_2025-26", "--report", "changes"]],
                         ids=["its-years", "its-report-name", "both"])
def test_kpi_status_finds_the_change_report(published, capsys, argv):
    store, out, _ = published
    assert main(["status", str(out), *argv, "--store", str(store), "--json"]) == 0
    pubs = json.loads(capsys.readouterr().out)["publications"]
    assert [(p["period"], p["report"]) for p in pubs] == [FOLDER]


def test_an_unchanged_change_report_is_reused_and_a_tampered_one_is_not(
        test_store, tmp_path, capsys):
    """Proven reuse covers the change report: the same catalogues (any as_of) execute
    nothing and say 'unchanged, verified'; a file of it tampered with executes it again and
    says why; audit still re-executes it (identical)."""
    store, out = tmp_path / "kpi.sqlite", tmp_path / "outputs"
    shutil.copyfile(test_store, store)
    run = out.joinpath(*FOLDER)
    argv = ["changes", "--from", "2024-25", "--to", "2025-26", "--store", str(store),
            "--output-dir", str(out)]
    assert main(argv) == 0
    capsys.readouterr()
    before = (run / "manifest.json").read_bytes()
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert f"unchanged, verified: {run} already publishes these inputs" in text, text
    assert (run / "manifest.json").read_bytes() == before
    (run / "changes.csv").write_text("tampered\n", encoding="utf-8")
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "re-executed: the current publication cannot be reused: its files no longer " \
           "match its manifest (altered: changes.csv)" in text, text
    assert main(["audit", str(run), "--store", str(store)]) == 0
    assert f"{run}: identical" in capsys.readouterr().out
