"""Audit tried as a forger would: every way of making a forged run pass must fail.

Each test publishes the demo's February 2024 core report, forges it, and expects
``kpi audit`` to say what was forged, exit 1, and never print a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from kpilib.cli import main
from kpilib.publish.manifest import output_hashes, sha256_file
from kpilib.store import Store, publications_of

pytestmark = pytest.mark.slow
RUN = ("outputs", "2024-02", "core")


@pytest.fixture
def published(tmp_path, test_store, monkeypatch, capsys):
    shutil.copyfile(test_store, tmp_path / "kpi.sqlite")
    (tmp_path / "p.yaml").write_text('period: "2024-02"\nreport: core\nstore: kpi.sqlite\n'
                                     'as_of: "2025-06-30T00:00:00Z"\n')
    monkeypatch.chdir(tmp_path)
    assert main(["run", "p.yaml", "--quiet"]) == 0
    capsys.readouterr()
    return tmp_path.joinpath(*RUN)


def audit(capsys, folder):
    code = main(["audit", str(folder)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out


def rewrite_manifest(folder, change):
    m = json.loads((folder / "manifest.json").read_text())
    change(m)
    (folder / "manifest.json").write_text(json.dumps(m, indent=2, sort_keys=True) + "\n")


def test_every_publication_is_in_the_ledger(published):
    # the store is a copy of the session's, whose ledger other tests' runs may have added to
    rows = publications_of(Store.open("kpi.sqlite"))
    rows = rows[rows["manifest_sha256"] == sha256_file(published / "manifest.json")]
    assert len(rows) == 1
    row = rows.iloc[0]
    assert (row["report"], row["period"], row["as_of"]) == ("core", "2024-02",
                                                            "2025-06-30T00:00:00.000000Z")
    assert row["folder"].endswith("outputs/2024-02/core") and row["user"] and row["host"]


def test_a_file_called_manifest_json_in_a_subfolder_is_hashed_like_any_other(published,
                                                                               capsys):
    (published / "notebooks" / "manifest.json").write_text("{}")
    code, out = audit(capsys, published)
    assert code == 1
    assert ("tampered: notebooks/manifest.json (not in the manifest nor in additions.jsonl)"
            in out)


def test_a_recorded_hash_changed_to_match_a_forged_page_is_tampering(published, capsys):
    page = published / "place-economy.html"
    page.write_text(page.read_text().replace("Place", "Plaice", 1))
    rewrite_manifest(published, lambda m: m["outputs"].update(
        {"place-economy.html": sha256_file(page)}))
    code, out = audit(capsys, published)
    assert code == 1
    assert "tampered: manifest.json (its SHA-256" in out and "not in the ledger" in out
    assert "differs on re-execution: place-economy.html" in out


def test_a_store_row_edited_in_place_is_caught_by_the_data_hash(published, capsys):
    """The forger edits a published value in the store, regenerates the outputs elsewhere
    and rewrites the manifest's output hashes to match: audit compares the rows it reads
    with the rows the run recorded, and the manifest with the ledger."""
    with sqlite3.connect("kpi.sqlite") as db:
        n = db.execute("UPDATE return_rows SET value = value + 1 WHERE ref = 'AFL12' AND "
                       "period = '2024-02' AND breakdown = ''").rowcount
    assert n >= 1
    assert main(["run", "p.yaml", "--quiet", "--output-dir", "forged"]) == 0
    forged = published.parents[2] / "forged" / "2024-02" / "core"
    for f in ("results.csv", "place-economy.html", "index.html",
              "adults-health-partnerships-housing.html"):
        shutil.copyfile(forged / f, published / f)
    for nb in (forged / "notebooks").iterdir():
        shutil.copyfile(nb, published / "notebooks" / nb.name)
    rewrite_manifest(published, lambda m: m.update(outputs=output_hashes(published)))
    capsys.readouterr()
    code, out = audit(capsys, published)
    assert code == 1
    assert "data: the returns rows read as of 2025-06-30T00:00:00.000000Z are not those the " \
           "run used" in out
    assert "tampered: manifest.json" in out


@pytest.mark.parametrize("content", ["{}", "[]", '"x"', "null", '{"parameters": []}',
                                     '{"parameters": {"period": 1}}', "not json", ""])
def test_a_damaged_manifest_is_a_clear_verdict(published, capsys, content):
    (published / "manifest.json").write_text(content)
    code, out = audit(capsys, published)
    assert code == 1
    assert "FAILED" in out and "manifest" in out


def test_an_edited_results_csv_lists_the_changed_figures(published, capsys):
    text = (published / "results.csv").read_text()
    (published / "results.csv").write_text(text.replace("AFL12,,2024-02,", "AFL12,,2024-02,9", 1))
    code, out = audit(capsys, published)
    assert code == 1
    assert "tampered: results.csv" in out
    assert "results.csv AFL12 total 2024-02 value: published '9" in out


def test_a_manifest_naming_an_interpreter_never_runs_it(published, capsys, tmp_path):
    """--recorded-env on a forged manifest whose environment names a program: refused before
    anything is built or run (the program would write its marker)."""
    marker = tmp_path / "ran"
    evil = tmp_path / "evil.sh"
    evil.write_text(f"#!/bin/sh\ntouch {marker}\n")
    evil.chmod(0o755)
    rewrite_manifest(published, lambda m: m["environment"].update(
        {"python": str(evil), "packages": {**m["environment"]["packages"],
                                           "--index-url=http://evil.example/simple": "1"}}))
    code = main(["audit", str(published), "--recorded-env"])
    out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in out + err
    assert "nothing of it is run or installed" in out and "environment.python" in out
    assert not marker.exists()


def test_a_forged_run_naming_its_own_store_and_council_is_never_trusted(
        published, capsys, tmp_path_factory):
    """The forger edits a copy of the store outside the project, publishes from it with a
    council.yaml of their own (their own signing key) and puts the run in the project's
    place.  Its manifest names the forged store and settings: audit never opens them."""
    forger = tmp_path_factory.mktemp("forger")
    shutil.copyfile("kpi.sqlite", forger / "evil.sqlite")
    with sqlite3.connect(forger / "evil.sqlite") as db:
        db.execute("UPDATE return_rows SET value = value + 1 WHERE ref = 'AFL12' AND "
                   "period = '2024-02' AND breakdown = ''")
    (forger / "council.yaml").write_text("signing_key: keys/council.pem\n")
    (forger / "p.yaml").write_text(
        f'period: "2024-02"\nreport: core\nstore: {forger / "evil.sqlite"}\n'
        f'council: {forger / "council.yaml"}\nas_of: "2025-06-30T00:00:00Z"\n')
    here = Path.cwd()
    os.chdir(forger)
    try:
        assert main(["keygen"]) == 0 and main(["run", "p.yaml", "--quiet"]) == 0
    finally:
        os.chdir(here)
    shutil.rmtree(published)
    shutil.copytree(forger.joinpath(*RUN), published)
    Path("council.yaml").write_text("require_signature: true\n")  # the auditor's settings
    capsys.readouterr()

    code, out = audit(capsys, published)
    assert code == 1 and f"{published}: FAILED" in out
    assert "not opened on the manifest's word; name the store" in out
    assert "signature valid" not in out

    code = main(["audit", str(published), "--store", "kpi.sqlite"])
    out = capsys.readouterr().out
    assert code == 1 and f"{published}: DIFFERENT" in out
    assert "untrusted: the manifest names store" in out
    assert "untrusted: the manifest names council settings" in out and "outside this project" \
        in out
    assert "not in the ledger of publications of store kpi.sqlite" in out
    assert "signature valid" not in out and "  signature: " in out


def test_a_verdict_is_bound_to_the_manifest_it_checked(published, capsys, monkeypatch):
    """The period is published again while the audit runs: the audit says so, and records
    nothing on the new publication, which it never checked."""
    from kpilib.audit import audit as audit_module

    rerun = audit_module.run_report

    def republished_meanwhile(*args, **kwargs):
        out = rerun(*args, **kwargs)
        rewrite_manifest(published, lambda m: m["run"].update({"seconds": 0.5}))
        return out

    monkeypatch.setattr(audit_module, "run_report", republished_meanwhile)
    code, out = audit(capsys, published)
    assert code == 1 and f"{published}: DIFFERENT" in out
    assert "replaced: manifest.json changed during the audit" in out
    assert "nothing was recorded on it" in out
    assert not (published / "additions.jsonl").exists()


def _move(src, dest):
    shutil.rmtree(dest)
    shutil.move(str(src), str(dest))


def test_a_publication_rolled_back_by_moving_folders_is_reported(published, capsys):
    """The current publication deleted and the one it superseded moved back: each file
    still matches its manifest, but the ledger knows which publication is current."""
    Path("p2.yaml").write_text('period: "2024-02"\nreport: core\nstore: kpi.sqlite\n'
                               'as_of: "2025-07-31T00:00:00Z"\n')
    # the same loads at a later moment: unchanged, so published again only when forced
    assert main(["run", "p2.yaml", "--quiet", "--force"]) == 0
    kept = next(published.with_name("core.superseded").iterdir())
    _move(kept, published)
    capsys.readouterr()
    code, out = audit(capsys, published)
    assert code == 1 and f"{published}: DIFFERENT" in out
    assert "rolled back: the ledger's current publication of 2024-02 core is " in out
    assert "(as of 2025-07-31T00:00:00.000000Z" in out
    assert main(["status", "outputs"]) == 0
    assert "rolled back: the ledger's current publication of 2024-02 core" in \
        capsys.readouterr().out
    assert main(["doctor", "outputs"]) == 1
    assert "rolled back: the ledger's current publication of 2024-02 core" in \
        capsys.readouterr().err


def test_two_periods_folders_swapped_are_reported(published, capsys):
    Path("p3.yaml").write_text('period: "2024-03"\nreport: core\nstore: kpi.sqlite\n'
                               'as_of: "2025-06-30T00:00:00Z"\n')
    assert main(["run", "p3.yaml", "--quiet"]) == 0
    march = published.parent.with_name("2024-03") / "core"
    published.rename(published.with_name("swap"))
    march.rename(published)
    published.with_name("swap").rename(march)
    capsys.readouterr()
    code, out = audit(capsys, published)
    assert code == 1
    assert ("swapped: this folder's place is 2024-02 core, but it holds the publication of "
            "2024-03 core") in out
    assert main(["status", "outputs"]) == 0
    assert "swapped: this folder's place is 2024-03 core" in capsys.readouterr().out
    assert main(["doctor", "outputs"]) == 1
    assert "swapped: this folder's place is 2024-02 core" in capsys.readouterr().err


def test_the_last_line_of_additions_removed_is_told_by_the_stores_ledger(published, capsys):
    assert main(["signoff", str(published), "--name", "Ann", "--role", "Director",
                 "--decision", "approved"]) == 0
    capsys.readouterr()
    (published / "additions.jsonl").write_bytes(b"")  # the sign-off, the only line, removed
    code, out = audit(capsys, published)
    assert code == 1
    assert "tampered: additions.jsonl: the signoff of " in out and "is not in the record" in out
    assert main(["status", "outputs"]) == 0
    assert "additions.jsonl: the signoff of " in capsys.readouterr().out
