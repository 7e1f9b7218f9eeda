"""Writing run folders, and publishing them so that a crash at any moment loses nothing.

A run writes into a *staging* folder beside the published one,
``<period>/.<report>.staging-<pid>-<random>/`` (:func:`begin`), which it holds locked
(``flock``) for as long as it lives.  :func:`publish` then, holding the lock of the period
folder (one publication or recovery at a time):

1. ``locked``: finishes a publication of the same report that a crash interrupted;
   keeps the current publication, and publishes nothing, when the new one is identical
   (same ``as_of``, same output hashes);
2. ``journal``: writes the journal ``.<report>.publish.json`` (phase ``prepared``): the
   staging folder, the manifest's SHA-256 and where the current publication goes,
   ``<report>.superseded/<as_of compact>/`` (``-2``, ``-3``... if taken);
3. ``recorded``: appends the publication to the store's ledger, the commit point;
4. ``committed``: marks the journal committed;
5. ``superseded``: moves the current publication, whole, to its superseded folder;
6. ``renamed``: renames the staging folder into place;
7. ``done``: removes the journal.

Each rename is atomic.  After a crash, :func:`resolve_journal` rolls a committed journal
forward (steps 5-7, each idempotent) and a prepared one back (the staging folder is
removed and the current publication was never touched) unless the ledger has the
publication, which is then rolled forward.  Recovering stale folders is
:mod:`kpilib.publish.recover`.  :func:`keep_failed` keeps a failed run's notebooks in
``<report>.failed/``.
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import shutil
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kpilib.errors import KpiError, RunError
from kpilib.publish import additions
from kpilib.publish.journal import JOURNAL, in_ledger, journal_problem
from kpilib.publish.manifest import MANIFEST, output_hashes, regular, sha256_file
from kpilib.render.page import PLOTLY_ASSET, plotly_js_path

try:
    import fcntl
except ImportError:  # no flock (Windows): publications are not protected against each other
    fcntl = None

CRASH_ENV = "KPILIB_TEST_CRASH_AT"  # tests: SIGKILL this process right after this step
STEPS = ("locked", "journal", "recorded", "committed", "superseded", "renamed", "done")
SUPERSEDED = ".superseded"
# JOURNAL, the journal file's suffix, and the checks of a journal found after a crash, are
# in kpilib.publish.journal

# --------------------------------------------------------------------------- writing files

WRITE_ERRORS = {errno.ENOSPC: "no space left on device", errno.EDQUOT: "disk quota exceeded",
                errno.EROFS: "read-only file system", errno.EACCES: "permission denied",
                errno.EPERM: "operation not permitted"}


def _write(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def named(e: OSError, path: Path) -> OSError:
    """``e`` naming ``path`` (a full disk fails in write() or close(), whose errors name no
    file)."""
    return e if e.filename else OSError(e.errno, e.strerror or str(e), str(path))


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        _write(path, text)
    except OSError as e:
        raise named(e, path) from e


def copy_assets(folder: Path) -> None:
    target = folder / PLOTLY_ASSET
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copyfile(plotly_js_path(), target)
    except OSError as e:
        raise named(e, target) from e


def write_failure(e: OSError, final: Path, staging: Path | None = None) -> RunError:
    """The error for a run folder that could not be written: what, which file (as it would
    have been published), what to do."""
    what = WRITE_ERRORS.get(e.errno) or e.strerror or type(e).__name__
    name = e.filename
    if name and staging is not None:
        try:
            name = final / Path(name).relative_to(staging)
        except ValueError:
            pass
    fix = ("free space and run again" if e.errno in (errno.ENOSPC, errno.EDQUOT)
           else "make the output folder writable (or choose another with --output-dir) "
                "and run again")
    return RunError(f"{what} while writing {name or final}: {fix}; the published folder "
                    f"{final} is unchanged")


# --------------------------------------------------------------------------- locks, staging


def lock(fd: int, wait: bool = True) -> bool:
    """flock ``fd`` exclusively; False if another holds it and ``wait`` is False."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


@contextmanager
def period_lock(period: Path) -> Iterator[None]:
    """Hold the period folder's lock: one publication or recovery in it at a time.  A lock
    dies with its process, so a killed run never leaves one behind."""
    fd = os.open(period, os.O_RDONLY)
    try:
        lock(fd)
        yield
    finally:
        os.close(fd)


def held(folder: Path) -> bool:
    """Whether a live process holds ``folder``'s lock (a staging folder being written)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return False
    try:
        return not lock(fd, wait=False)
    finally:
        os.close(fd)


@dataclass
class Staging:
    """A run folder being written, locked by the run writing it for as long as it lives."""

    path: Path
    fd: int | None

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def begin(final: Path) -> Staging:
    """A new, empty, locked staging folder beside ``final`` (created under the period lock,
    so recovery never sees it unlocked)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    with period_lock(final.parent):
        while True:
            path = final.with_name(f".{final.name}.staging-{os.getpid()}-{secrets.token_hex(4)}")
            try:
                path.mkdir()
                break
            except FileExistsError:
                continue
        fd = None
        try:
            fd = os.open(path, os.O_RDONLY)
            lock(fd, wait=False)
            return Staging(path, fd)
        except BaseException:  # Ctrl-C (or a refusal) here: the caller never gets the folder
            if fd is not None:
                os.close(fd)
            shutil.rmtree(path, ignore_errors=True)
            raise


def discard(staging: Staging) -> None:
    """Remove a staging folder that will not be published, unless a journal has taken it
    over (recovery completes that publication)."""
    if staging.fd is None:
        return
    try:
        period = staging.path.parent
        with period_lock(period):
            j = read_journal(period / f".{final_name(staging.path)}{JOURNAL}")
            if staging.path.exists() and not (j and j.get("staging") == staging.path.name):
                shutil.rmtree(staging.path, ignore_errors=True)
    except OSError:  # the period folder has gone, or cannot be read: nothing to remove
        pass
    finally:
        staging.release()


def final_name(staging: Path) -> str:
    return staging.name[1:].split(".staging-")[0]


def keep_failed(staging: Staging, final: Path) -> Path:
    """Move a failed run's staging folder to ``<report>.failed`` (replacing an older one)."""
    failed = final.with_name(f"{final.name}.failed")
    with period_lock(final.parent):
        if failed.exists():
            shutil.rmtree(failed)
        os.replace(staging.path, failed)
    staging.release()
    return failed


# --------------------------------------------------------------------------- the journal


def read_manifest_json(folder: Path) -> dict | None:
    if not regular(folder / MANIFEST):  # never a FIFO, a device or a link
        return None
    try:
        m = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return m if isinstance(m, dict) else None


def compact(as_of) -> str:
    """``2025-06-30T00:00:00.000000Z`` -> ``20250630T000000000000Z`` (only letters and digits
    are kept, whatever a damaged manifest holds)."""
    return (re.sub(r"[^0-9A-Za-z]", "", as_of) if isinstance(as_of, str) else "") or "unknown"


def superseded_slot(folder: Path, final: Path | None = None) -> Path:
    """Where publication ``folder`` of ``final`` (itself by default) goes when another
    replaces it: ``<report>.superseded/<as_of compact>/``, or ``-2``, ``-3``... if taken."""
    m = read_manifest_json(folder) or {}
    final = final or folder
    base = final.parent / f"{final.name}{SUPERSEDED}" / compact(m.get("as_of"))
    slot, n = base, 1
    while slot.exists():
        n += 1
        slot = base.with_name(f"{base.name}-{n}")
    return slot


def complete(folder: Path) -> bool:
    """A folder holding a readable manifest whose every output is there as recorded (files
    added after publication, listed in ``additions.jsonl``, aside)."""
    m = read_manifest_json(folder)
    if not m:
        return False
    try:
        added = additions.listed_files(folder)
    except KpiError:
        added = {additions.ADDITIONS}
    outputs = m.get("outputs") or {}
    actual = {f: h for f, h in output_hashes(folder).items() if f in outputs or f not in added}
    return actual == outputs


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` whole: a temporary file beside it (created as any
    file is, so with the usual permissions), flushed to disk, then renamed over it (a reader
    sees the old file or the new one, never part of one)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_journal(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # not every file system syncs directories
        pass
    finally:
        os.close(fd)


def read_journal(path: Path) -> dict | None:
    """A journal, if there is one and its names stay inside the period folder."""
    try:
        j = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    names = [j.get(k) for k in ("final", "staging")] if isinstance(j, dict) else [None]
    if not all(isinstance(n, str) and n and "/" not in n and n not in (".", "..")
               for n in names):
        return None
    slot = j.get("superseded")
    if slot is not None and (not isinstance(slot, str) or Path(slot).parts[:1] != (
            f"{j['final']}{SUPERSEDED}",) or len(Path(slot).parts) != 2 or ".." in slot):
        return None
    return j


# --------------------------------------------------------------------------- publishing


@dataclass(frozen=True)
class Ledger:
    """Where a publication is recorded: the store as the run named it, and the recorder."""

    store: str
    record: Callable[[str], object]  # manifest SHA-256 -> append the publication's row


@dataclass(frozen=True)
class Published:
    folder: Path
    superseded: Path | None = None  # where the publication it replaced now is
    unchanged: bool = False  # identical to the current publication, which was kept


def identical(current: Path, staging: Path) -> bool:
    """Same ``as_of`` and same outputs, and the current folder intact."""
    a, b = read_manifest_json(current), read_manifest_json(staging)
    return (bool(a) and bool(b) and a.get("as_of") == b.get("as_of")
            and a.get("outputs") == b.get("outputs") and complete(current))


def publish_steps(staging: Staging, final: Path, ledger: Ledger | None, out: list,
                  store: str | None = None,
                  guard: Callable[[Path], None] | None = None) -> Iterator[str]:
    """The steps of :func:`publish`, yielding each one's name once it is done (tests drive
    them one at a time, interleaved with another publication's).  ``guard(final)``, called
    under the lock before the current publication is touched, may refuse (raise)."""
    period = final.parent
    jpath = period / f".{final.name}{JOURNAL}"
    with period_lock(period):
        if jpath.exists():  # a publication of this report a crash interrupted: finish it
            action = resolve_journal(period, jpath, store)
            if action.apply is None:
                raise RunError(f"cannot publish {final}: {action.text}")
            action.apply()
        yield "locked"
        if final.exists() and identical(final, staging.path):
            shutil.rmtree(staging.path)
            out.append(Published(final, unchanged=True))
            return
        if guard is not None and final.exists():
            guard(final)
        slot = superseded_slot(final) if final.exists() else None
        j = {"final": final.name, "staging": staging.path.name,
             "superseded": slot.relative_to(period).as_posix() if slot else None,
             "manifest_sha256": sha256_file(staging.path / MANIFEST),
             "as_of": (read_manifest_json(staging.path) or {}).get("as_of"),
             "phase": "prepared" if ledger else "committed", "pid": os.getpid(),
             "store": ledger.store if ledger else None, "cwd": os.getcwd()}
        _write_journal(jpath, j)
        yield "journal"
        if ledger:
            try:
                ledger.record(j["manifest_sha256"])
            except Exception:  # not recorded: not published
                jpath.unlink()
                raise
            yield "recorded"
            _write_journal(jpath, {**j, "phase": "committed"})
            yield "committed"
        yield from _complete(period, j)
        out.append(Published(final, slot))


def publish(staging: Staging, final: Path, ledger: Ledger | None = None,
            guard: Callable[[Path], None] | None = None) -> Published:
    """Publish a complete staging folder at ``final``, keeping the publication it replaces
    in ``<report>.superseded/``.  ``ledger``: record the publication (audit re-executions
    record nothing); ``guard``: see :func:`publish_steps`."""
    out: list[Published] = []
    crash_at = os.environ.get(CRASH_ENV)
    for step in publish_steps(staging, final, ledger, out, guard=guard):
        if step == crash_at:
            os.kill(os.getpid(), signal.SIGKILL)
    staging.release()
    return out[0]


def _complete(period: Path, j: dict) -> Iterator[str]:
    """Steps 5-7 of a committed journal; each is skipped when already done."""
    final, staging = period / j["final"], period / j["staging"]
    if staging.is_dir():
        if final.exists():
            slot = period / j["superseded"] if j.get("superseded") else None
            if slot is None or slot.exists():
                slot = superseded_slot(final)
            slot.parent.mkdir(exist_ok=True)
            os.rename(final, slot)
        yield "superseded"
        os.rename(staging, final)
        _fsync_dir(period)
    elif not final.exists():
        raise RunError(f"the interrupted publication of {final} cannot be completed: its "
                       f"staging folder {staging} has gone")
    yield "renamed"
    (period / f".{j['final']}{JOURNAL}").unlink(missing_ok=True)
    yield "done"


@dataclass
class Action:
    """One repair: what it does, and how (``apply`` is None when it cannot be done)."""

    text: str
    apply: Callable[[], object] | None


def resolve_journal(period: Path, jpath: Path, store: str | None = None) -> Action:
    """What to do with the journal of a publication a crash interrupted (under the period
    lock: its publisher is dead).  ``store`` overrides the journal's for the ledger check."""
    j = read_journal(jpath)
    if j is None:
        return Action(f"{jpath} is damaged (not a kpilib publication journal): look at it, "
                      "then remove it", None)
    final, staging = period / j["final"], period / j["staging"]
    problem = journal_problem(period, jpath, j)
    if not problem and j.get("phase") == "committed":
        recorded, why = in_ledger(j, store)  # a committed publication is in the ledger
        problem = (f"its publication cannot be checked against the ledger ({why})" if why
                   else "" if recorded else "its manifest is not in the ledger of publications")
    if problem:
        return Action(f"{jpath} is not a journal of a publication kpilib made: {problem}; "
                      "nothing was changed (look at it, then remove it)", None)
    text = f"completed the publication of {final} (as of {j.get('as_of')}) that a crash " \
           "interrupted" + (f"; the one it replaces is in {period / j['superseded']}"
                            if j.get("superseded") else "")
    if j.get("phase") != "committed":
        recorded, problem = in_ledger(j, store)
        if problem:
            return Action(f"cannot tell whether the interrupted publication of {final} (as "
                          f"of {j.get('as_of')}) was recorded: {problem}; run `kpi doctor "
                          "--store URL` with the store it was run against", None)
        if not recorded:
            def roll_back():
                shutil.rmtree(staging, ignore_errors=True)
                jpath.unlink(missing_ok=True)
            return Action(f"removed the publication of {final} (as of {j.get('as_of')}) "
                          f"that a crash interrupted before it was recorded: {final} is "
                          "unchanged", roll_back)
    return Action(text, lambda: list(_complete(period, j)))
