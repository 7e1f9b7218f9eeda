"""kpilib.publish.additions: the append-only record of what is added to a run folder later."""

from __future__ import annotations

import json
import multiprocessing

import pytest

from kpilib.errors import RunError
from kpilib.publish import additions
from kpilib.publish.additions import ADDITIONS


@pytest.fixture
def run(tmp_path):
    folder = tmp_path / "2024-02" / "core"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text('{"format": 2}\n')
    (folder / "pack.pdf").write_bytes(b"%PDF-1.7 pack")
    return folder


def test_a_record_lists_each_addition_bound_to_the_manifest(run):
    first = additions.record(run, "export", who="kpi export", file="pack.pdf",
                             at="2025-07-01T09:00:00Z", format="pdf")
    second = additions.record(run, "signoff", who="Jane Smith", decision="approved")
    got = additions.read(run)
    assert [e["kind"] for e in got] == ["export", "signoff"]
    assert got[0] == first and got[1] == second
    assert first["sha256"] and second["sha256"] is None and second["file"] is None
    assert first["manifest_sha256"] == additions.manifest_sha256(run)
    assert first["prev"] == "" and second["prev"] != ""
    assert additions.problems(run) == []
    assert additions.listed_files(run) == {"pack.pdf", ADDITIONS}


@pytest.mark.parametrize("attack, says", [
    pytest.param(lambda lines: [lines[0].replace(b"approved", b"rejected"), lines[1]],
                 "does not follow line 1", id="an earlier line edited"),
    pytest.param(lambda lines: lines[1:], "does not follow line 0", id="the first line removed"),
    pytest.param(lambda lines: lines[::-1], "does not follow", id="lines reordered"),
    pytest.param(lambda lines: [lines[0], b"{not json"], "line 2 is not JSON",
                 id="a line that is not JSON"),
    pytest.param(lambda lines: [lines[0], b'{"kind": "signoff"}'], "line 2 lacks",
                 id="a line without the shared fields"),
])
def test_an_edited_record_is_reported(run, attack, says):
    additions.record(run, "signoff", who="Jane Smith", decision="approved")
    additions.record(run, "audit", who="kpi audit", verdict="identical")
    path = run / ADDITIONS
    path.write_bytes(b"\n".join(attack(path.read_bytes().splitlines())) + b"\n")
    found = additions.problems(run)
    assert any(says in p for p in found), found


def test_a_changed_manifest_or_added_file_is_reported(run):
    additions.record(run, "export", who="kpi export", file="pack.pdf", format="pdf")
    (run / "pack.pdf").write_bytes(b"%PDF-1.7 forged")
    (run / "manifest.json").write_text('{"format": 2, "edited": true}\n')
    found = additions.problems(run)
    assert any("made for another manifest.json" in p for p in found)
    assert any("pack.pdf: changed since it was added" in p for p in found)
    (run / "pack.pdf").unlink()
    assert any("pack.pdf: added on" in p and "but gone" in p for p in additions.problems(run))


@pytest.mark.parametrize("call, says", [
    pytest.param(lambda run: additions.record(run / "nope", "audit", who="x"),
                 "no such run folder", id="no run folder"),
    pytest.param(lambda run: (run / "manifest.json").unlink() or additions.record(
        run, "audit", who="x"), "no manifest.json", id="no manifest"),
    pytest.param(lambda run: additions.record(run, "comment", who="x"),
                 "unknown addition kind 'comment'", id="unknown kind"),
    pytest.param(lambda run: additions.record(run, "audit", who=" "), "needs who",
                 id="nobody"),
    pytest.param(lambda run: additions.record(run, "export", who="x", file="../../etc"),
                 "not a file inside the run folder", id="a file outside the folder"),
    pytest.param(lambda run: additions.record(run, "audit", who="x", sha256="0" * 64),
                 "may not set sha256", id="details replacing a shared field"),
])
def test_bad_additions_are_refused_and_write_nothing(run, call, says):
    with pytest.raises(RunError, match=says):
        call(run)
    assert not (run / ADDITIONS).exists()


def _append(folder, n):
    for i in range(n):
        additions.record(folder, "audit", who=f"worker {i}", verdict="identical")


def test_concurrent_appends_keep_every_line_and_the_chain(run):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append, args=(run, 25)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    lines = (run / ADDITIONS).read_bytes().splitlines()
    assert len(lines) == 75 and all(json.loads(line)["kind"] == "audit" for line in lines)
    assert additions.problems(run) == []


def test_a_file_added_again_is_checked_against_its_latest_addition(run):
    additions.record(run, "export", who="kpi export", file="pack.pdf", format="pdf")
    (run / "pack.pdf").write_bytes(b"%PDF-1.7 made again from a later template")
    assert any("pack.pdf: changed since" in p for p in additions.problems(run))
    additions.record(run, "export", who="kpi export", file="pack.pdf", format="pdf")
    assert additions.problems(run) == []


def _full_disk_after(monkeypatch, keep: int):
    """os.write writes ``keep`` bytes of what it is given, then fails as a full disk does."""
    import errno
    import os

    real = os.write

    def write(fd, data):
        if keep:
            real(fd, bytes(data[:keep]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(additions.os, "write", write)


@pytest.mark.parametrize("keep", [0, 40], ids=["nothing written", "part of the line written"])
def test_an_append_on_a_full_disk_records_nothing_and_says_so(run, monkeypatch, keep):
    additions.record(run, "signoff", who="Jane Smith", decision="approved")
    before = (run / ADDITIONS).read_bytes()
    _full_disk_after(monkeypatch, keep)
    with pytest.raises(RunError, match="No space left on device while recording the signoff; "
                                       r"nothing was recorded \(the record is as it was\)"):
        additions.record(run, "signoff", who="Chief Executive", decision="approved")
    monkeypatch.undo()
    assert (run / ADDITIONS).read_bytes() == before
    assert additions.problems(run) == []
    additions.record(run, "audit", who="kpi audit", verdict="identical")  # the record goes on
    assert additions.problems(run) == [] and len(additions.read(run)) == 2


@pytest.mark.parametrize("plant", ["symlink", "fifo"])
def test_the_record_is_never_written_through_a_link_or_a_fifo(run, tmp_path, plant):
    import os

    if plant == "symlink":
        target = tmp_path / "elsewhere.jsonl"
        target.write_bytes(b"")
        os.symlink(target, run / ADDITIONS)
    else:
        os.mkfifo(run / ADDITIONS)
    with pytest.raises(RunError, match="nothing was recorded"):
        additions.record(run, "signoff", who="Jane Smith", decision="approved")
    if plant == "symlink":
        assert target.read_bytes() == b""


def test_an_addition_about_another_manifest_is_not_recorded(run):
    """A verdict about the manifest an audit checked is never recorded on another one (the
    folder published again meanwhile)."""
    with pytest.raises(RunError, match="changed since it was checked"):
        additions.record(run, "audit", who="kpi audit", verdict="identical",
                         for_manifest="0" * 64)
    assert not (run / additions.ADDITIONS).exists()
    entry = additions.record(run, "audit", who="kpi audit", verdict="identical",
                             for_manifest=additions.manifest_sha256(run))
    assert entry["manifest_sha256"] == additions.manifest_sha256(run)


def test_the_store_anchors_each_addition_so_a_removed_last_line_is_told(run, tmp_path):
    """The record's own chain cannot tell its last line removed; the store's ledger of
    additions can (and lines reordered)."""
    from kpilib.store import Store, additions_of, record_publication

    store = str(tmp_path / "s.sqlite")
    with Store.open(store) as s:
        assert "not one of its publications" in additions.anchor(store, {
            "manifest_sha256": additions.manifest_sha256(run), "kind": "audit", "at": "x"})
        record_publication(s, str(run), "core", "2024-02", "x", additions.manifest_sha256(run))
    for n in range(3):
        entry = additions.record(run, "audit", who=f"a{n}", verdict="identical")
        assert additions.anchor(store, entry) == ""
    with Store.open(store) as s:
        anchored = additions_of(s, additions.manifest_sha256(run))
    assert [a["kind"] for a in anchored] == ["audit"] * 3
    assert additions.anchor_problems(run, anchored) == []
    path = run / ADDITIONS
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-1]))
    assert additions.problems(run) == []  # the chain alone sees nothing
    [line] = additions.anchor_problems(run, anchored)
    assert "the audit of " in line and "is not in the record (a line was removed" in line
    path.write_bytes(lines[1] + lines[0] + lines[2])
    assert any("out of the order" in p for p in additions.anchor_problems(run, anchored))
    assert "no store named" in additions.anchor(None, anchored[0] | {"at": "x"})
