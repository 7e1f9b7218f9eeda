"""`kpi status`: every publication under an output folder, current and superseded (kept at
``<period>/<report>.superseded/<as_of compact>/``), whether the ledger recorded each
manifest, and the figures a publication changed from the one it superseded; and the same
changes in `kpi revisions RUN`.

The publications are real runs of the demo's February 2024 core report against a copy of
the demo store: one as the data stood on 10 March 2024 (kept as superseded, as a re-run
keeps it) and one on 30 April 2024, after the March revisions of AFL17 and STP31.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from kpilib.audit.status import changes_from_previous, library
from kpilib.cli import main
from kpilib.publish import additions
from kpilib.publish.changes import results_changes
from kpilib.publish.library import MARKER
from kpilib.run.runner import run
from kpilib.settings.params import validate

pytestmark = pytest.mark.slow

FIRST = "2024-03-10T00:00:00.000000Z"
SECOND = "2024-04-30T00:00:00.000000Z"


def compact(as_of: str) -> str:
    return as_of.replace("-", "").replace(":", "").replace(".", "")


@pytest.fixture(scope="module")
def published(tmp_path_factory, test_store):
    """(project folder, store) with outputs/2024-02/core published twice, the first kept."""
    root = tmp_path_factory.mktemp("status")
    store = root / "kpi.sqlite"
    shutil.copy(test_store, store)
    out = root / "outputs"
    for as_of in (FIRST, SECOND):
        params = validate({"period": "2024-02", "report": "core", "store": str(store),
                           "as_of": as_of, "output_dir": str(out)})
        run(params, show_progress=False)  # the re-run keeps the publication it replaces
    assert (out / "2024-02" / "core.superseded" / compact(FIRST) / "manifest.json").is_file()
    return root, store


@pytest.fixture
def project(published, tmp_path, monkeypatch):
    """A copy of the published project to change, as the current folder."""
    root, store = published
    shutil.copytree(root / "outputs", tmp_path / "outputs")
    shutil.copy(store, tmp_path / "kpi.sqlite")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def status(capsys, *argv):
    code = main(["status", *argv, "--store", "kpi.sqlite"])
    out, err = capsys.readouterr()
    return code, out, err


CORE = Path("outputs/2024-02/core")
KEPT = Path("outputs/2024-02/core.superseded") / compact(FIRST)


def test_status_lists_the_current_and_superseded_publications(project, capsys):
    code, out, err = status(capsys)
    assert code == 0 and err == "kpi: store kpi.sqlite\n"
    lines = out.splitlines()
    assert lines[0].split() == ["period", "report", "edition", "publication", "as", "of",
                                "recorded", "at", "ledger", "sign-off", "audit", "folder"]
    states = ["not", "signed", "off", "not", "audited"]
    assert lines[2].split()[:5] == ["2024-02", "core", "internal", "current", SECOND]
    assert lines[2].split()[6:] == ["recorded", *states, CORE.as_posix()]
    assert lines[3].split()[:5] == ["2024-02", "core", "internal", "superseded", FIRST]
    assert lines[3].split()[6:] == ["recorded", *states, KEPT.as_posix()]
    manifest = json.loads((CORE / "manifest.json").read_text())
    assert lines[2].split()[5] == manifest["run"]["recorded_at"]
    assert lines[-1] == ("2 publications of 1 report under outputs: 1 current, 1 superseded; "
                         "0 not recorded in the ledger")


def test_status_shows_the_figures_changed_from_the_superseded_publication(project, capsys):
    _, out, _ = status(capsys)
    expected = results_changes(KEPT / "results.csv", CORE / "results.csv")
    changed = {(c["ref"], c["breakdown"], c["column"], c["field"]): (c["before"], c["after"])
               for c in expected}
    # the March revisions of February's figures (kpi revisions --period 2024-02)
    assert changed[("AFL17", "", "2024-02", "value")] == ("246", "252")
    assert changed[("STP31", "P2", "2024-02", "value")] == ("97.740113", "96.610169")
    assert (f"{len(expected)} figures changed in {CORE.as_posix()} from the publication it "
            f"superseded, {KEPT.as_posix()} (as of {FIRST})") in out
    rows = [line.split() for line in out.splitlines()]
    assert ["AFL17", "2024-02", "value", "246", "252"] in rows
    assert ["STP31", "P2", "2024-02", "value", "97.740113", "96.610169"] in rows


def test_status_json_is_clean_machine_output(project, capsys):
    code, out, err = status(capsys, "outputs", "--json")
    assert code == 0 and err == "kpi: store kpi.sqlite\n"  # the store line only on stderr
    doc = json.loads(out)
    assert doc["output_dir"] == "outputs"
    [entry] = doc["publications"]
    assert (entry["period"], entry["report"]) == ("2024-02", "core")
    cur, [old] = entry["current"], entry["superseded"]
    assert (cur["folder"], cur["as_of"], cur["in_ledger"]) == (CORE.as_posix(), SECOND, True)
    assert (old["folder"], old["as_of"], old["in_ledger"]) == (KEPT.as_posix(), FIRST, True)
    assert cur["supersedes"] == KEPT.as_posix() and old["supersedes"] is None
    assert cur["changes"] == results_changes(KEPT / "results.csv", CORE / "results.csv")
    assert cur["recorded_at"] == json.loads((CORE / "manifest.json").read_text())["run"][
        "recorded_at"]


@pytest.mark.parametrize("argv, shown", [
    pytest.param(["--period", "2024-02"], True, id="the period"),
    pytest.param(["--report", "core"], True, id="the report"),
    pytest.param(["--period", "2024-03"], False, id="another period"),
    pytest.param(["--period", "2024-02", "--report", "service"], False, id="another report"),
])
def test_status_filters(project, capsys, argv, shown):
    code, out, _ = status(capsys, *argv, "--json")
    assert code == 0
    assert len(json.loads(out)["publications"]) == (1 if shown else 0)
    code, out, _ = status(capsys, *argv)
    assert code == 0
    assert ("2024-02" in out.splitlines()[2]) if shown else out.startswith("no publications of")


def test_an_edited_manifest_is_not_recorded_in_the_ledger(project, capsys):
    path = KEPT / "manifest.json"
    path.write_text(path.read_text().replace(FIRST, "2024-03-11T00:00:00.000000Z", 1))
    _, out, _ = status(capsys)
    assert "NOT RECORDED" in next(line for line in out.splitlines() if KEPT.as_posix() in line)
    assert out.splitlines()[-1].endswith("1 not recorded in the ledger")


def test_a_damaged_manifest_and_a_missing_store_are_notes(project, capsys):
    (KEPT / "manifest.json").write_text("{not json")
    code, out, _ = status(capsys)
    assert code == 0
    assert f"{KEPT.as_posix()}: {KEPT}/manifest.json: not valid JSON" in out
    path = CORE / "manifest.json"
    m = json.loads(path.read_text())
    m["parameters"]["store"] = "gone.sqlite"
    path.write_text(json.dumps(m))
    assert main(["status", "--json"]) == 0  # each manifest's own store, here gone
    doc = json.loads(capsys.readouterr().out)
    cur = doc["publications"][0]["current"]
    assert cur["in_ledger"] is None
    assert cur["note"].startswith("the ledger of store gone.sqlite cannot be read: no data store")


def test_status_of_a_folder_that_is_not_an_output_folder(project, capsys):
    code, _, err = status(capsys, "nowhere")
    assert code == 1 and "kpi status: nowhere: no such folder" in err
    code, _, err = status(capsys, str(CORE))
    assert code == 1 and "is a run folder: give the output folder it is in" in err
    Path("empty").mkdir()
    code, out, _ = status(capsys, "empty")
    assert code == 0 and out == "no publications under empty\n"


def test_failed_and_staging_folders_are_not_publications(project, capsys):
    shutil.copytree(CORE, CORE.with_name("core.failed"))
    shutil.copytree(CORE, CORE.with_name(".core.staging-1"))
    assert [len(s.publications) for s in library(Path("outputs"), store="kpi.sqlite")] == [2]


def test_kpi_revisions_of_a_run_shows_what_it_changed_from_the_one_it_superseded(project,
                                                                                 capsys):
    assert main(["revisions", str(CORE), "--store", "kpi.sqlite"]) == 0
    out = capsys.readouterr().out
    n = len(results_changes(KEPT / "results.csv", CORE / "results.csv"))
    assert (f"{n} figures changed in {CORE} from the publication it superseded, {KEPT} "
            f"(as of {FIRST})") in out
    assert ["AFL17", "2024-02", "value", "246", "252"] in [line.split() for line in
                                                            out.splitlines()]
    assert main(["revisions", str(KEPT), "--store", "kpi.sqlite"]) == 0
    assert "from the publication it superseded" not in capsys.readouterr().out  # the first one


def test_the_previous_publication_is_the_latest_recorded_before(project):
    """Three publications: the current one supersedes the latest kept, which supersedes the
    earliest (by when each was recorded, whatever their as_of)."""
    older = KEPT.with_name("20240301T000000000000Z")
    shutil.copytree(KEPT, older)
    path = older / "manifest.json"
    m = json.loads(path.read_text())
    m["run"]["recorded_at"] = "2000-01-01T00:00:00.000000Z"
    m["as_of"] = "2024-12-31T00:00:00.000000Z"  # a later as_of, published earlier
    path.write_text(json.dumps(m))
    table = pd.read_csv(older / "results.csv", dtype=str, keep_default_na=False)
    table.loc[0, "value"] = "999"
    table.to_csv(older / "results.csv", index=False, lineterminator="\n")
    prev, _ = changes_from_previous(CORE)
    assert prev.folder == KEPT
    prev, changes = changes_from_previous(KEPT)
    assert prev.folder == older
    assert [c["before"] for c in changes if c["field"] == "value"][:1] == ["999"]
    assert changes_from_previous(older) is None


# --------------------------------------------------------- sign-off, audit state, the library

def test_status_shows_sign_off_and_audit_state(project, capsys):
    assert main(["signoff", str(CORE), "--name", "Jane Smith", "--role", "Director of Housing",
                 "--decision", "approved"]) == 0
    additions.record(KEPT, "audit", who="kpi audit (a)", verdict="identical",
                     at="2024-05-01T00:00:00Z")
    capsys.readouterr()
    _, out, _ = status(capsys)
    current = next(line for line in out.splitlines() if line.endswith(CORE.as_posix()))
    kept = next(line for line in out.splitlines() if line.endswith(KEPT.as_posix()))
    signed = additions.read(CORE)[-1]
    assert f"approved by Jane Smith (Director of Housing) on {signed['at']}" in current
    assert "not audited" in current
    assert "not signed off" in kept and "identical on 2024-05-01T00:00:00.000000Z" in kept
    _, out, _ = status(capsys, "--json")
    [entry] = json.loads(out)["publications"]
    cur, [old] = entry["current"], entry["superseded"]
    assert (cur["edition"], cur["signoff"]["state"], cur["signoff"]["who"],
            cur["signoff"]["role"], cur["audit"]["state"]) == (
        "internal", "approved", "Jane Smith", "Director of Housing", "not audited")
    assert (old["signoff"]["state"], old["audit"]["state"], old["audit"]["at"]) == (
        "not signed off", "identical", "2024-05-01T00:00:00.000000Z")


def test_every_run_keeps_the_library_and_pages_link_back_to_it(project):
    root = Path("outputs")
    assert MARKER in (root / "index.html").read_text()
    for page in (CORE / "index.html", KEPT / "index.html", CORE / "children-s-services.html"):
        assert page.read_text().count('href="../../index.html"') == 1, page
        target = (page.parent / "../../index.html").resolve()
        assert target.is_file() and MARKER in target.read_text(), page
    # a superseded page's link reaches the period's page, which links to the library
    assert (KEPT / "../../index.html").resolve() == (root / "2024-02" / "index.html").resolve()
    assert 'href="../index.html"' in (root / "2024-02" / "index.html").read_text()
    library_html = (root / "index.html").read_text()
    assert 'href="2024-02/core/index.html">Overview</a>' in library_html
    assert 'href="2024-02/core/children-s-services.html">Children' in library_html
    assert f'href="{KEPT.relative_to(root).as_posix()}/index.html"' in library_html


def test_status_html_rebuilds_the_same_library(project, capsys):
    root = Path("outputs")
    kept = {p: p.read_bytes() for p in (root / "index.html", root / "2024-02" / "index.html")}
    for p in kept:
        p.unlink()
    code, _, err = status(capsys, "outputs", "--html")
    assert code == 0 and "wrote the publication library outputs/index.html" in err
    assert {p: p.read_bytes() for p in kept} == kept  # the run wrote these very bytes


def test_status_html_will_not_write_over_a_page_kpilib_did_not_write(project, capsys):
    Path("outputs/index.html").write_text("<p>the team's own page</p>")
    code, _, err = status(capsys, "outputs", "--html")
    assert code == 1 and "was not written by kpilib" in err and "Traceback" not in err
    assert Path("outputs/index.html").read_text() == "<p>the team's own page</p>"
