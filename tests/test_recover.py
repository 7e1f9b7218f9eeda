"""Recovery after a crash and ``kpi doctor``: what a killed run left is restored or removed,
and said; live runs' folders, published, superseded and failed folders are never touched."""

from __future__ import annotations

import os
import shutil
import time

import pytest
from publications import A, B, build, fingerprint, ledger, make_store, publish_one, stage

from kpilib.cli import main
from kpilib.publish import publish
from kpilib.publish.recover import LEGACY_GRACE, doctor, recover

A_COMPACT = "20250630T000000000000Z"
DEAD_PID = 2 ** 22 + 12345  # above Linux's default pid_max: no such process


@pytest.fixture
def out(tmp_path):
    return tmp_path / "out" / "2024-02" / "core"


def listing(period):
    return sorted(p.name for p in period.iterdir())


def legacy_old(final, as_of, content, store, pid=DEAD_PID):
    """A folder as kpilib's earlier publish() left it after moving the published one aside."""
    old = final.with_name(f".{final.name}.old-{pid}")
    return old, build(old, as_of, content, store)


def test_a_missing_published_folder_is_restored_from_the_one_moved_aside(tmp_path, out):
    """kill -9 between the two renames of kpilib's earlier publishing: nothing published."""
    store = make_store(tmp_path)
    old, fp = legacy_old(out, A, "published", store)
    dead = out.with_name(f".core.staging-{DEAD_PID}")  # the new run, never put in place
    build(dead, B, "new", store)
    res = recover(out.parent)
    assert fingerprint(out) == fp and listing(out.parent) == ["core"]
    assert res.done == [
        f"restored {out} from {old}: the published folder had been moved aside by a run that "
        "stopped before it put the new one in place",
        f"removed {dead}, the unfinished run folder of a kpi run that stopped (process "
        f"{DEAD_PID})"]


def test_a_complete_folder_moved_aside_beside_a_published_one_is_kept_as_superseded(
        tmp_path, out):
    store = make_store(tmp_path)
    _, current = publish_one(out, B, "current", store)
    old, fp = legacy_old(out, A, "previous", store)
    res = recover(out.parent)
    assert res.done == [f"kept {old} (as of {A}) as a superseded publication in "
                        "core.superseded/"]
    assert fingerprint(out) == current
    assert fingerprint(out.parent / "core.superseded" / A_COMPACT) == fp


def test_a_partly_deleted_folder_moved_aside_is_removed(tmp_path, out):
    """kill -9 during the earlier publish()'s final rmtree of the replaced folder."""
    store = make_store(tmp_path)
    _, current = publish_one(out, B, "current", store)
    old, _ = legacy_old(out, A, "previous", store)
    (old / "index.html").unlink()
    res = recover(out.parent)
    assert res.done == [f"removed {old}: a partly deleted copy of a replaced publication "
                        "(its files no longer match its manifest)"]
    assert listing(out.parent) == ["core"] and fingerprint(out) == current


def test_a_young_folder_moved_aside_by_a_live_process_is_left_alone(tmp_path, out):
    store = make_store(tmp_path)
    publish_one(out, B, "current", store)
    old, _ = legacy_old(out, A, "previous", store, pid=os.getpid())
    res = recover(out.parent)
    assert not res.done and res.left == [
        f"{old}: being published by a running kpi (process {os.getpid()})"]
    past = time.time() - LEGACY_GRACE - 1  # an old folder of a reused PID is stale
    os.utime(old, (past, past))
    assert recover(out.parent).done


def test_a_live_runs_staging_folder_is_left_alone_and_a_dead_ones_removed(tmp_path, out):
    store = make_store(tmp_path)
    live, _ = stage(out, A, "being written", store)  # locked by this (live) process
    dead, _ = stage(out, A, "abandoned", store)
    dead.release()  # its process died: the lock went with it
    res = recover(out.parent)
    assert res.left == [f"{live.path}: being written by a running kpi (process {os.getpid()})"]
    assert res.done == [f"removed {dead.path}, the unfinished run folder of a kpi run that "
                        f"stopped (process {os.getpid()})"]
    assert listing(out.parent) == [live.path.name]
    publish.publish(live, out, ledger(store, out, A))
    assert listing(out.parent) == ["core"]


def test_published_superseded_and_failed_folders_are_never_touched(tmp_path, out):
    store = make_store(tmp_path)
    publish_one(out, A, "first", store)
    publish_one(out, B, "second", store)
    failed = out.with_name("core.failed")
    build(failed, B, "failed", store)
    (out.parent / "notes.txt").write_text("an analyst's file")
    before = {p: fingerprint(p) for p in (out, failed, out.parent / "core.superseded")}
    res = recover(out.parent)
    assert not (res.done or res.left or res.problems)
    assert {p: fingerprint(p) for p in before} == before


# --------------------------------------------------------------------------- kpi doctor


def _leftovers(tmp_path, out):
    """A published folder, a dead run's staging folder and an unfinished journal."""
    store = make_store(tmp_path)
    publish_one(out, A, "current", store)
    dead, _ = stage(out, B, "abandoned", store)
    dead.release()
    (out.parent / ".core.publish.json.tmp").write_text("{")
    return dead.path


def test_doctor_says_what_it_repaired(tmp_path, out, capsys):
    dead = _leftovers(tmp_path, out)
    assert main(["doctor", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        f"removed {out.parent / '.core.publish.json.tmp'}, the unfinished journal of a "
        "publication that never started",
        f"removed {dead}, the unfinished run folder of a kpi run that stopped (process "
        f"{os.getpid()})",
        f"{tmp_path / 'out'}: repaired 2 things"]
    assert listing(out.parent) == ["core"]


def test_doctor_dry_run_changes_nothing(tmp_path, out, capsys):
    _leftovers(tmp_path, out)
    before = listing(out.parent)
    assert main(["doctor", str(tmp_path / "out"), "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert printed.count("would: removed") == 2 and "would have repaired 2 things" in printed
    assert listing(out.parent) == before


def test_doctor_with_nothing_to_repair_says_so(tmp_path, out, capsys):
    publish_one(out, A, "current", make_store(tmp_path))
    assert main(["doctor", str(out.parent)]) == 0  # a period folder may be given too
    assert capsys.readouterr().out == (f"{out.parent}: nothing to repair (no interrupted "
                                       "publication or leftover of a stopped run in 2 "
                                       "folders)\n")


def test_doctor_on_a_missing_folder_is_a_clear_error(tmp_path, capsys):
    assert main(["doctor", str(tmp_path / "nowhere")]) == 1
    assert capsys.readouterr().err == (f"kpi doctor: {tmp_path / 'nowhere'}: no such folder "
                                       "(give the output folder of your runs, e.g. outputs)\n")


def test_doctor_fails_on_what_it_cannot_repair_and_the_store_flag_resolves_it(
        tmp_path, out, capsys):
    store = make_store(tmp_path)
    publish_one(out, A, "current", store)
    staging, _ = stage(out, B, "interrupted", store)
    steps = publish.publish_steps(staging, out, ledger(store, out, B), [])
    next(steps), next(steps)  # journal written (prepared), then the process dies
    steps.close()
    staging.release()
    moved = shutil.move(store, tmp_path / "moved.sqlite")
    assert main(["doctor", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "kpi doctor: cannot repair: cannot tell whether the interrupted publication" in err
    assert main(["doctor", str(tmp_path / "out"), "--store", str(moved)]) == 0
    assert "removed the publication of" in capsys.readouterr().out
    assert listing(out.parent) == ["core"]


def test_doctor_walks_every_period_folder(tmp_path):
    store = make_store(tmp_path)
    for period in ("2024-01", "2024-02"):
        final = tmp_path / "out" / period / "core"
        dead, _ = stage(final, A, "abandoned", store)
        dead.release()
    results = doctor(tmp_path / "out")
    assert sum(len(r.done) for r in results) == 2
    assert all(listing(tmp_path / "out" / p) == [] for p in ("2024-01", "2024-02"))


def _planted(period, staging, phase="prepared", sha="0" * 64, store=None, final="core"):
    import json

    j = {"final": final, "staging": staging, "superseded": None, "manifest_sha256": sha,
         "as_of": A, "phase": phase, "pid": DEAD_PID, "store": store, "cwd": str(period)}
    (period / f".{final}.publish.json").write_text(json.dumps(j))


@pytest.mark.parametrize("staging, phase, sha", [
    pytest.param("core", "prepared", None, id="the published folder as staging"),
    pytest.param("core.superseded", "prepared", None, id="the superseded publications"),
    pytest.param("core", "prepared", "published", id="with the published manifest's hash"),
    pytest.param("core", "committed", "published", id="committed, published folder"),
    pytest.param(".core.staging-1-ab", "committed", None, id="committed, a planted staging"),
    pytest.param(".core.staging-1-ab", "prepared", None, id="a staging folder of another"),
])
def test_a_planted_journal_never_deletes_or_moves_a_publication(tmp_path, out, capsys,
                                                                staging, phase, sha):
    """A journal kpilib did not write, naming the published folder (or the superseded ones)
    as its staging folder, made the next kpi run or kpi doctor delete them, saying
    "unchanged": recovery acts only on a journal bound to its own staging folder and the
    ledger, and refuses the rest, changing nothing."""
    store = make_store(tmp_path)
    publish_one(out, A, "first", store)
    publish_one(out, B, "second", store)
    if staging.startswith(".core.staging"):
        build(out.parent / staging, B, "planted", store)  # a folder the ledger never saw
    digest = publish.sha256_file(out / "manifest.json") if sha == "published" else sha
    _planted(out.parent, staging, phase, digest or "0" * 64, store)
    before = {p.relative_to(out.parent).as_posix(): h
              for p in sorted(out.parent.rglob("*")) if p.is_file()
              for h in [publish.sha256_file(p)]}
    res = recover(out.parent)
    assert res.done == [] and len(res.problems) == 1
    assert "is not a journal of a publication kpilib made" in res.problems[0]
    assert main(["doctor", str(out.parents[1])]) == 1
    assert "nothing was changed" in capsys.readouterr().err
    third, _ = stage(out, "2025-08-31T00:00:00.000000Z", "third", store)
    with pytest.raises(publish.RunError, match="cannot publish"):  # nor does a new run
        publish.publish(third, out, ledger(store, out, "2025-08-31T00:00:00.000000Z"))
    publish.discard(third)
    after = {p.relative_to(out.parent).as_posix(): h
             for p in sorted(out.parent.rglob("*")) if p.is_file()
             for h in [publish.sha256_file(p)]}
    assert after == before


def test_a_journal_of_another_report_is_refused(tmp_path, out):
    store = make_store(tmp_path)
    publish_one(out, A, "first", store)
    _planted(out.parent, ".service.staging-1-ab", final="service", store=store)
    (out.parent / ".service.publish.json").rename(out.parent / ".core.publish.json")
    res = recover(out.parent)
    assert res.done == [] and "not the report of its own name" in res.problems[0]
