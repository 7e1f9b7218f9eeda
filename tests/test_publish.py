"""Publishing: kept publications, a kill -9 at any step, any interleaving of two publications,
and write failures that leave nothing behind.

Synthetic run folders (:mod:`publications`: a few files and a manifest, recorded in a real
store's ledger) stand for runs; the end-to-end runs are in ``test_recover.py``.
"""

from __future__ import annotations

import errno
import multiprocessing
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from publications import (
    A,
    B,
    build,
    fingerprint,
    ledger,
    make_store,
    publish_one,
    recorded,
    stage,
    write_files,
    write_manifest,
)

from kpilib.cli import main
from kpilib.errors import RunError, StoreError
from kpilib.publish import manifest as manifest_module
from kpilib.publish import publish
from kpilib.publish.manifest import sha256_file
from kpilib.publish.recover import recover
from kpilib.run import runner
from kpilib.settings.params import validate

A_COMPACT, B_COMPACT = "20250630T000000000000Z", "20250731T000000000000Z"


@pytest.fixture
def out(tmp_path):
    return tmp_path / "out" / "2024-02" / "core"


def listing(period: Path) -> list[str]:
    return sorted(p.name for p in period.iterdir()) if period.exists() else []


# --------------------------------------------------------------------------- kept publications


def test_a_new_publication_keeps_the_one_it_replaces(tmp_path, out):
    store = make_store(tmp_path)
    first, old = publish_one(out, A, "old", store)
    assert first.superseded is None and fingerprint(out) == old
    second, new = publish_one(out, B, "new", store)
    assert second.superseded == out.parent / "core.superseded" / A_COMPACT
    assert fingerprint(out) == new
    assert fingerprint(second.superseded) == old  # moved whole, not a byte changed
    assert listing(out.parent) == ["core", "core.superseded"]
    third, newest = publish_one(out, A.replace("06-30", "08-31"), "newest", store)
    assert listing(out.parent / "core.superseded") == [A_COMPACT, B_COMPACT]
    assert fingerprint(out.parent / "core.superseded" / B_COMPACT) == new
    assert fingerprint(out.parent / "core.superseded" / A_COMPACT) == old
    assert recorded(store) == [sha256_file(f / "manifest.json") for f in (
        out.parent / "core.superseded" / A_COMPACT, out.parent / "core.superseded" / B_COMPACT,
        out)]


def test_an_identical_rerun_keeps_the_current_publication(tmp_path, out):
    """Same as_of, same outputs (only the manifest's own record differs): one is kept."""
    store = make_store(tmp_path)
    _, first = publish_one(out, A, "same", store, nonce="run 1")
    again, _ = publish_one(out, A, "same", store, nonce="run 2")
    assert again.unchanged and again.superseded is None
    assert fingerprint(out) == first and listing(out.parent) == ["core"]
    assert len(recorded(store)) == 1  # nothing new was published


def test_the_same_as_of_with_other_outputs_is_kept_under_a_numbered_folder(tmp_path, out):
    """A re-run at the same as_of after the program changed: both are publications."""
    store = make_store(tmp_path)
    _, a1 = publish_one(out, A, "layout 1", store)
    _, a2 = publish_one(out, A, "layout 2", store)
    _, b = publish_one(out, B, "later", store)
    sup = out.parent / "core.superseded"
    assert listing(sup) == [A_COMPACT, f"{A_COMPACT}-2"]
    assert fingerprint(sup / A_COMPACT) == a1 and fingerprint(sup / f"{A_COMPACT}-2") == a2
    assert fingerprint(out) == b


def test_a_tampered_current_folder_is_superseded_not_kept_as_identical(tmp_path, out):
    store = make_store(tmp_path)
    publish_one(out, A, "same", store, nonce="1")
    (out / "index.html").write_text("forged")
    again, fp = publish_one(out, A, "same", store, nonce="2")
    assert not again.unchanged and fingerprint(out) == fp
    assert (again.superseded / "index.html").read_text() == "forged"  # the evidence is kept


# --------------------------------------------------------------------------- kill -9 at any step


def _publish_and_die(final: Path, store: str, step: str) -> None:
    """In a forked process: stage and publish the new run, SIGKILLed right after ``step``."""
    os.environ[publish.CRASH_ENV] = step
    staging, _ = stage(final, B, "new", store)
    publish.publish(staging, final, ledger(store, final, B))


ROLLED_BACK = {"locked", "journal"}  # killed before the ledger recorded the new publication


@pytest.mark.parametrize("previous", [True, False], ids=["replacing", "first-publication"])
@pytest.mark.parametrize("step", publish.STEPS)
def test_a_kill_at_any_step_of_publishing_is_recovered(tmp_path, out, step, previous):
    store = make_store(tmp_path)
    old = publish_one(out, A, "old", store)[1] if previous else None
    new = build(tmp_path / "expected", B, "new", store)
    child = multiprocessing.get_context("fork").Process(
        target=_publish_and_die, args=(out, store, step))
    child.start()
    child.join(60)
    assert child.exitcode == -9, "the publishing process was not killed at the step"

    res = recover(out.parent)
    assert not res.problems and not res.left
    assert bool(res.done) == (step != "done"), res.done  # killed after the end: nothing to do
    expected = old if step in ROLLED_BACK else new
    if expected is None:
        assert listing(out.parent) == []
        return
    assert fingerprint(out) == expected
    assert sha256_file(out / "manifest.json") in recorded(store)
    if previous and expected is new:
        assert listing(out.parent) == ["core", "core.superseded"]
        assert fingerprint(out.parent / "core.superseded" / A_COMPACT) == old
    else:
        assert listing(out.parent) == ["core"]
    assert not recover(out.parent).done  # recovery is done once


def test_a_publication_the_ledger_recorded_is_completed_even_before_its_journal_says_so(
        tmp_path, out):
    """Killed between the ledger's commit and the journal's: the ledger decides."""
    store = make_store(tmp_path)
    publish_one(out, A, "old", store)
    child = multiprocessing.get_context("fork").Process(
        target=_publish_and_die, args=(out, store, "recorded"))
    child.start()
    child.join(60)
    assert publish.read_journal(out.parent / ".core.publish.json")["phase"] == "prepared"
    assert "completed the publication" in recover(out.parent).done[0]


def test_the_next_publication_first_finishes_one_a_crash_interrupted(tmp_path, out):
    """No recovery in between: publishing itself completes the recorded publication, so
    the ledger's order is the order of publication."""
    store = make_store(tmp_path)
    _, old = publish_one(out, A, "old", store)
    middle = build(tmp_path / "expected", B, "new", store)
    child = multiprocessing.get_context("fork").Process(
        target=_publish_and_die, args=(out, store, "committed"))
    child.start()
    child.join(60)
    done, last = publish_one(out, A.replace("06-30", "08-31"), "last", store)
    assert fingerprint(out) == last and done.superseded.name == B_COMPACT
    assert fingerprint(done.superseded) == middle
    assert fingerprint(out.parent / "core.superseded" / A_COMPACT) == old
    assert listing(out.parent) == ["core", "core.superseded"]


def test_an_interrupted_publication_whose_store_cannot_be_read_is_left_and_blocks_the_next(
        tmp_path, out):
    store = make_store(tmp_path)
    publish_one(out, A, "old", store)
    child = multiprocessing.get_context("fork").Process(
        target=_publish_and_die, args=(out, store, "journal"))
    child.start()
    child.join(60)
    before = listing(out.parent)
    Path(store).rename(tmp_path / "moved.sqlite")
    res = recover(out.parent)
    assert not res.done and "cannot tell whether the interrupted publication" in res.problems[0]
    assert "kpi doctor --store" in res.problems[0] and listing(out.parent) == before
    staging, _ = stage(out, B, "next", str(tmp_path / "moved.sqlite"))
    with pytest.raises(RunError, match="cannot publish .*cannot tell whether"):
        publish.publish(staging, out, ledger(str(tmp_path / "moved.sqlite"), out, B))
    publish.discard(staging)
    # the right store decides it: never recorded, so it is rolled back
    res = recover(out.parent, store=str(tmp_path / "moved.sqlite"))
    assert "removed the publication" in res.done[0] and listing(out.parent) == ["core"]


# --------------------------------------------------------------------------- two publications


def _lock_free(period: Path) -> bool:
    return not period.exists() or not publish.held(period)


class Publisher:
    """One publication, advanced a step at a time: begin, write, manifest, then the steps of
    :func:`publish.publish_steps`; or killed (its locks released, nothing else done)."""

    PROGRAM = ("begin", "write", "manifest", "publish")

    def __init__(self, final, as_of, content, store, nonce):
        self.final, self.as_of, self.content, self.store = final, as_of, content, store
        self.nonce, self.pc, self.staging, self.steps, self.out = nonce, 0, None, None, []
        self.finished = self.dead = False

    def runnable(self) -> bool:
        if self.finished or self.dead:
            return False
        needs_lock = self.steps is None and self.PROGRAM[self.pc] in ("begin", "publish")
        return not needs_lock or _lock_free(self.final.parent)

    def advance(self) -> None:
        if self.steps is not None:
            if next(self.steps, None) is None:
                self.staging.release()
                self.finished = True
            return
        what = self.PROGRAM[self.pc]
        self.pc += 1
        if what == "begin":
            self.staging = publish.begin(self.final)
        elif what == "write":
            write_files(self.staging.path, self.content)
        elif what == "manifest":
            write_manifest(self.staging.path, self.as_of, self.store, self.nonce)
        else:
            self.steps = publish.publish_steps(self.staging, self.final,
                                               ledger(self.store, self.final, self.as_of),
                                               self.out)
            next(self.steps)  # takes the period lock: "locked"

    def kill(self) -> None:
        """SIGKILL, as far as the file system can tell: the locks go, nothing else happens."""
        if self.steps is not None:
            self.steps.close()  # releases the period lock, runs no further step
        if self.staging is not None:
            self.staging.release()
        self.dead = True


KILL_POINTS = st.one_of(st.none(), st.integers(0, len(Publisher.PROGRAM) + len(publish.STEPS)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), previous=st.booleans(),
       runs=st.lists(st.tuples(st.sampled_from([A, B]), st.sampled_from(["x", "y"]), KILL_POINTS),
                     min_size=2, max_size=2))
def test_any_interleaving_of_two_publications_leaves_one_current_and_the_rest_superseded(
        data, previous, runs):
    """Two publications of the same report, their steps interleaved in any order, either
    killed at any step, recovery run at any moment: one intact current folder (the last
    recorded), every other recorded publication whole in core.superseded/, nothing else."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        store = make_store(tmp)
        final = tmp / "out" / "2024-02" / "core"
        prints = {}  # manifest SHA-256 -> fingerprint of every publication made or tried
        if previous:
            _, fp = publish_one(final, A, "x", store, nonce="previous")
            prints[fp["manifest.json"]] = fp
        pubs = [Publisher(final, as_of, content, store, f"run {i}")
                for i, (as_of, content, _) in enumerate(runs)]
        for i, (as_of, content, _) in enumerate(runs):
            fp = build(tmp / f"expected-{i}", as_of, content, store, f"run {i}")
            prints[fp["manifest.json"]] = fp
        ticks = [0, 0]
        while any(not (p.finished or p.dead) for p in pubs):
            moves = [i for i, p in enumerate(pubs) if p.runnable()]
            if _lock_free(final.parent):
                moves.append(None)  # recovery (a kpi doctor, another run starting)
            i = data.draw(st.sampled_from(moves))
            if i is None:
                assert not recover(final.parent).problems
            elif ticks[i] == runs[i][2]:
                pubs[i].kill()
            else:
                ticks[i] += 1
                pubs[i].advance()
        res = recover(final.parent)
        assert not res.problems and not res.left

        ledger_rows = recorded(store)
        period = final.parent
        if not ledger_rows:
            assert listing(period) == []
            return
        assert fingerprint(final) == prints[ledger_rows[-1]]  # the last one recorded is current
        sup = period / "core.superseded"
        kept = sorted(p.name for p in sup.iterdir()) if sup.exists() else []
        assert listing(period) == (["core", "core.superseded"] if kept else ["core"])
        got = sorted(sha256_file(sup / k / "manifest.json") for k in kept)
        assert got == sorted(ledger_rows[:-1])  # every other recorded publication, once
        for k in kept:
            fp = fingerprint(sup / k)
            assert fp == prints[fp["manifest.json"]], f"{k} is not whole"
            assert k.split("-")[0] == publish.compact(
                publish.read_manifest_json(sup / k)["as_of"])


# --------------------------------------------------------------------------- write failures


@pytest.mark.parametrize(("code", "message"), [
    (errno.ENOSPC, r"no space left on device while writing .*/core/results.csv: free space "
                   r"and run again; the published folder .*/core is unchanged"),
    (errno.EROFS, r"read-only file system while writing .*/core/results.csv: make the output "
                  r"folder writable \(or choose another with --output-dir\)"),
    (errno.EACCES, r"permission denied while writing .*/core/results.csv"),
], ids=["disk-full", "read-only", "permission-denied"])
def test_write_failure_names_the_file_as_published_and_what_to_do(tmp_path, out, code, message):
    staging = tmp_path / "out" / "2024-02" / ".core.staging-1-ab"
    err = publish.named(OSError(code, os.strerror(code)), staging / "results.csv")
    assert err.errno == code and err.filename.endswith("results.csv")
    assert re.fullmatch(message + ".*", str(publish.write_failure(err, out, staging)))


def test_write_text_names_the_file_when_the_disk_fills_during_the_write(tmp_path, monkeypatch):
    def full(path, text):
        raise OSError(errno.ENOSPC, "No space left on device")  # as write() raises it: no name
    monkeypatch.setattr(publish, "_write", full)
    with pytest.raises(OSError) as e:
        publish.write_text(tmp_path / "a.html", "x")
    assert e.value.errno == errno.ENOSPC and e.value.filename == str(tmp_path / "a.html")


def test_a_ledger_that_cannot_record_publishes_nothing(tmp_path, out):
    store = make_store(tmp_path)
    _, old = publish_one(out, A, "old", store)
    staging, _ = stage(out, B, "new", store)

    def full(sha):
        raise StoreError("cannot record the publication in store x: database or disk is full")
    with pytest.raises(StoreError, match="disk is full"):
        publish.publish(staging, out, publish.Ledger(store, full))
    publish.discard(staging)
    assert listing(out.parent) == ["core"] and fingerprint(out) == old


# --------------------------------------------------------------------------- real runs

DEMO_AS_OF = "2025-06-30T00:00:00.000000Z"
LATER = "2025-07-01T00:00:00.000000Z"


def run_params(store, out_dir, as_of=DEMO_AS_OF):
    return validate({"period": "2024-02", "report": "core", "store": str(store), "as_of": as_of,
                     "output_dir": str(out_dir)})


@pytest.fixture(scope="module")
def published(tmp_path_factory, test_store):
    """One real run, published; failing runs below must leave it exactly as it is."""
    tmp = tmp_path_factory.mktemp("published")
    store = tmp / "kpi.sqlite"
    shutil.copy(test_store, store)
    summary = runner.run(run_params(store, tmp / "out"), show_progress=False)[0]
    return store, summary.folder


def _fail_writing(monkeypatch, name, code):
    real = publish._write

    def write(path, text):
        if Path(path).name == name:
            raise OSError(code, os.strerror(code))  # as write() raises it: no file name
        real(path, text)
    monkeypatch.setattr(publish, "_write", write)


@pytest.mark.slow
@pytest.mark.parametrize(("file", "code", "message"), [
    ("results.csv", errno.ENOSPC, "no space left on device while writing {final}/results.csv: "
                                  "free space and run again; the published folder {final} is "
                                  "unchanged"),
    ("place-economy.html", errno.ENOSPC, "no space left on device while writing "
                                         "{final}/place-economy.html: free space and run again"),
    ("results.csv", errno.EROFS, "read-only file system while writing {final}/results.csv: make "
                                 "the output folder writable (or choose another with "
                                 "--output-dir) and run again; the published folder {final} is "
                                 "unchanged"),
], ids=["disk-full-in-the-run", "disk-full-in-a-worker", "read-only-in-the-run"])
def test_a_write_failure_is_a_clear_error_and_leaves_nothing_behind(
        published, monkeypatch, file, code, message):
    store, final = published
    before, rows = fingerprint(final), len(recorded(str(store)))
    _fail_writing(monkeypatch, file, code)
    with pytest.raises(RunError) as e:  # the same data: --force, so that it does publish
        runner.run(run_params(store, final.parents[1], LATER), show_progress=False, force=True)
    assert message.format(final=final) in str(e.value)
    assert listing(final.parent) == ["core"] and fingerprint(final) == before
    assert len(recorded(str(store))) == rows


@pytest.mark.parametrize("code", [errno.EROFS, errno.EACCES], ids=["read-only", "not-writable"])
def test_an_output_folder_that_cannot_be_written_is_a_clear_error(
        tmp_path, test_store, monkeypatch, code):
    """Simulated (the tests may run as root, whom permissions do not stop)."""
    out_dir = tmp_path / "out"
    real = Path.mkdir

    def mkdir(self, *a, **kw):
        if out_dir in (self, *self.parents):
            raise OSError(code, os.strerror(code), str(self))
        return real(self, *a, **kw)
    monkeypatch.setattr(Path, "mkdir", mkdir)
    with pytest.raises(RunError, match=re.escape(
            f"{publish.WRITE_ERRORS[code]} while writing {out_dir / '2024-02'}: make the output "
            f"folder writable (or choose another with --output-dir) and run again")):
        runner.run(run_params(test_store, out_dir), show_progress=False)
    assert not out_dir.exists()


@pytest.mark.slow
def test_after_a_full_disk_the_next_run_publishes_and_repairs_what_it_finds(
        tmp_path, test_store, monkeypatch, capsys):
    store = tmp_path / "kpi.sqlite"
    shutil.copy(test_store, store)
    final = tmp_path / "out" / "2024-02" / "core"

    def full(*args, **kw):  # the manifest is written with Path.write_text: no file name
        raise OSError(errno.ENOSPC, "No space left on device")
    with monkeypatch.context() as m:
        m.setattr(manifest_module, "write_manifest", full)
        with pytest.raises(RunError, match=re.escape(
                f"no space left on device while writing {final}/manifest.json: free space")):
            runner.run(run_params(store, tmp_path / "out"), show_progress=False)
    assert listing(final.parent) == []
    dead, _ = stage(final, B, "a run killed meanwhile", str(store))
    dead.release()
    summary = runner.run(run_params(store, tmp_path / "out"), show_progress=False)[0]
    assert listing(final.parent) == ["core"] and summary.index.is_file()
    assert capsys.readouterr().err == (f"kpi run: repaired: removed {dead.path}, the unfinished "
                                       f"run folder of a kpi run that stopped (process "
                                       f"{os.getpid()})\n")


@pytest.mark.slow
def test_rerunning_a_period_keeps_the_earlier_publication_and_audit_audits_both(
        published, capsys):
    store, final = published
    first = fingerprint(final)
    params = final.parents[1] / "later.yaml"
    # the same council as the first run (the working folder's settings, as runner.run read
    # them): a parameter set elsewhere finds its council from its own folder
    council = f"council: {Path('council.yaml').resolve()}\n" if Path("council.yaml").is_file() \
        else ""
    params.write_text(f"period: '2024-02'\nreport: core\nstore: {store}\nas_of: '{LATER}'\n"
                      f"output_dir: {final.parents[1]}\n{council}")
    # a later as_of reading the same loads is the same run: --force publishes it again
    assert main(["run", str(params), "--quiet", "--force"]) == 0
    kept = final.parent / "core.superseded" / "20250630T000000000000Z"
    assert f"the publication it replaces is kept in {kept}" in capsys.readouterr().out
    assert fingerprint(kept) == first  # not a byte of the earlier publication changed
    second = fingerprint(final)
    assert main(["run", str(params), "--quiet"]) == 0  # the same inputs again: nothing new
    assert f"unchanged, verified: {final} already publishes these inputs" in \
        capsys.readouterr().out
    assert fingerprint(final) == second
    # the store is outside the folder audited from: the auditor names it (never trusted on a
    # manifest's word)
    assert main(["audit", str(final.parents[1]), "--store", str(store)]) == 0
    printed = capsys.readouterr().out
    assert f"{kept}: identical" in printed and f"{final}: identical" in printed
    assert "2 runs audited: 2 identical, 0 not" in printed
    # audit added its verdict to each folder's additions record, and nothing else; the
    # library's page for the period is where a superseded page's link to it leads
    verdicts = fingerprint(kept).pop("additions.jsonl")
    assert verdicts and {**fingerprint(kept)} == {**first, "additions.jsonl": verdicts}
    assert listing(final.parent) == ["core", "core.superseded", "index.html"]
