"""What is added to a run folder after publication: the append-only ``additions.jsonl``.

A published ``manifest.json`` never changes. An export made later (a PDF pack, a workbook),
a sign-off or an audit's verdict is one line of ``additions.jsonl`` in the run folder:

``{"at": ..., "file": ..., "kind": ..., "manifest_sha256": ..., "prev": ..., "sha256": ...,
"who": ..., <details>}``

- ``kind``: one of :data:`KINDS`;
- ``file``: the added file, relative to the run folder, or ``null`` (a sign-off, a verdict);
  ``sha256``: that file's SHA-256 when it was added (``null`` without a file);
- ``at``: when (UTC, ISO 8601), ``who``: the person or process;
- ``manifest_sha256``: the SHA-256 of the ``manifest.json`` the addition refers to;
- ``prev``: the SHA-256 of the previous line's bytes (``""`` for the first), so a line
  edited, removed or reordered breaks the chain and is reported by :func:`problems`.

Lines are appended under an exclusive lock and flushed to disk before :func:`record` returns,
whole or not at all (a write that fails, e.g. on a full disk, is cut back off and reported);
a line is never rewritten, and the record is never written through a link or a FIFO.
:func:`problems` says what no longer holds.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import stat
from pathlib import Path

from kpilib.clock import normalise_timestamp, utc_now
from kpilib.errors import AuditError, KpiError, RunError
from kpilib.publish.manifest import MANIFEST, read_manifest, regular, sha256_file
from kpilib.store import open_store, publications_of, record_addition
from kpilib.store.urls import project_store

ADDITIONS = "additions.jsonl"
KINDS = ("export", "signoff", "audit")
FIELDS = ("at", "file", "kind", "manifest_sha256", "prev", "sha256", "who")


def _line_sha(line: bytes) -> str:
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


def manifest_sha256(folder: str | Path) -> str:
    """The SHA-256 of a run folder's manifest (a clear error when there is none)."""
    path = Path(folder) / MANIFEST
    if not Path(folder).is_dir():
        raise RunError(f"{folder}: no such run folder")
    if not path.is_file():
        raise RunError(f"{folder}: no {MANIFEST}; is this a kpi run folder?")
    return sha256_file(path)


def record(folder: str | Path, kind: str, *, who: str, file: str | None = None,
           at: str | None = None, for_manifest: str | None = None, **details) -> dict:
    """Append one addition to ``folder``'s record and return it.

    ``file`` (relative to ``folder``) must already be in place: its SHA-256 is recorded.
    ``details`` are the kind's own fields (JSON values; they may not replace :data:`FIELDS`).
    ``for_manifest``: the SHA-256 of the manifest the addition is about (an audit's verdict
    is about the manifest it checked); when the folder's manifest is another one by the time
    the record is locked (the period was published again meanwhile), nothing is recorded.
    """
    folder = Path(folder)
    if kind not in KINDS:
        raise RunError(f"unknown addition kind {kind!r}; expected one of {', '.join(KINDS)}")
    if not who or not who.strip():
        raise RunError("an addition needs who made it")
    clash = sorted(set(details) & set(FIELDS))
    if clash:
        raise RunError(f"addition details may not set {', '.join(clash)}")
    manifest = manifest_sha256(folder)
    digest = None
    if file is not None:
        target = folder / file
        if not target.is_file() or folder.resolve() not in target.resolve().parents:
            raise RunError(f"{folder}: {file} is not a file inside the run folder")
        digest = sha256_file(target)
    entry = {"at": normalise_timestamp(at) if at else utc_now(), "file": file, "kind": kind,
             "manifest_sha256": manifest, "sha256": digest, "who": who.strip(), **details}
    path = folder / ADDITIONS
    existed = os.path.lexists(path)
    try:  # never through a link, never blocking on a FIFO: a regular file or nothing
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW
                     | os.O_NONBLOCK, 0o644)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise RunError(f"{path}: is a symbolic link, not the run's record; nothing was "
                           "recorded (the run folder was tampered with)") from None
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise RunError(f"{path}: is not a regular file; nothing was recorded (the run "
                           "folder was tampered with)")
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            _same_publication(fd, path, folder, entry, for_manifest, kind)
        except OtherManifest:
            if not existed and os.fstat(fd).st_size == 0:
                path.unlink(missing_ok=True)  # a refused first addition leaves no record
            raise
        size = os.lseek(fd, 0, os.SEEK_END)
        with os.fdopen(os.dup(fd), "rb") as f:
            f.seek(0)
            before = f.read()
        if before and not before.endswith(b"\n"):
            raise RunError(f"{path}: its last line is incomplete (a write that was cut "
                           "short); nothing was recorded: the record needs repair by hand")
        lines = before.splitlines()
        entry["prev"] = _line_sha(lines[-1]) if lines else ""
        line = _line(entry)
        try:
            _append(fd, path, line.encode("utf-8") + b"\n", size, kind)
        except RunError:
            if not existed and size == 0:  # a failed first addition leaves no empty record
                path.unlink(missing_ok=True)
            raise
    finally:
        os.close(fd)
    return entry


class OtherManifest(RunError):
    """The folder's manifest is not the one an addition is about."""


def _same_publication(fd: int, path: Path, folder: Path, entry: dict,
                      for_manifest: str | None, kind: str) -> None:
    """Under the record's lock: the record is still the folder's (not one a publication
    moved away meanwhile) and the folder's manifest is the one the addition is about."""
    try:
        moved = os.fstat(fd).st_ino != os.lstat(path).st_ino
        now = manifest_sha256(folder)
    except OSError:
        moved, now = True, ""
    if moved:
        raise RunError(f"{folder}: the run folder was replaced while the {kind} was being "
                       "recorded (published again?); nothing was recorded")
    if for_manifest is not None and now != for_manifest:
        raise OtherManifest(f"{folder}: its {MANIFEST} changed since it was checked (sha256 "
                       f"{for_manifest[:12]}… checked, {now[:12]}… now: the folder holds "
                       f"another publication); nothing was recorded on it")
    entry["manifest_sha256"] = now


def _line(entry: dict) -> str:
    return json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def entry_sha256(entry: dict) -> str:
    """The SHA-256 of an addition's line as :func:`record` wrote it (without its newline)."""
    return hashlib.sha256(_line(entry).encode("utf-8")).hexdigest()


def anchor(store: str | None, entry: dict) -> str:
    """Anchor a recorded addition in ``store``'s ledger (:mod:`kpilib.store.ledger`) when its
    manifest is one of that store's publications; "" when anchored, else why not (a note:
    the addition itself is recorded)."""
    if not store:
        return f"the {entry['kind']} was not anchored in a store's ledger (no store named)"
    try:
        with open_store(store) as s:
            if publications_of(s, entry["manifest_sha256"]).empty:  # not its publication
                return (f"the {entry['kind']} was not anchored in the ledger of store {store}: "
                        "the manifest is not one of its publications")
            record_addition(s, entry["manifest_sha256"], entry_sha256(entry), entry["kind"],
                            entry["at"])
    except KpiError as e:
        return f"the {entry['kind']} was not anchored in the ledger of store {store}: {e}"
    return ""


def anchor_store(folder: str | Path, given: str | None) -> str | None:
    """The store a command anchors a folder's additions in: the one it was given, else the
    one the run's manifest names when it is a file of the working folder (never another on
    a manifest's word)."""
    if given:
        return given
    try:
        named = read_manifest(Path(folder))["parameters"]["store"]
    except AuditError:
        return None
    return project_store(named, Path.cwd())[0]


def anchor_problems(folder: str | Path, anchored: list[dict]) -> list[str]:
    """What the store's anchors (:func:`kpilib.store.additions_of` of the folder's manifest)
    say of its record: a line the ledger recorded that is gone or edited (the last one too),
    or lines out of the order they were recorded in."""
    path = Path(folder) / ADDITIONS
    lines = path.read_bytes().splitlines() if regular(path) else []
    shas = [_line_sha(line) for line in lines]
    out, last = [], -1
    for row in anchored:
        what = f"the {row['kind']} of {row['at']} that the store's ledger anchored"
        if row["line_sha256"] not in shas:
            out.append(f"{ADDITIONS}: {what} is not in the record (a line was removed or "
                       "edited)")
            continue
        at = shas.index(row["line_sha256"])
        if at < last:
            out.append(f"{ADDITIONS}: {what} is out of the order it was recorded in")
        last = max(last, at)
    return out


def _append(fd: int, path: Path, data: bytes, size: int, kind: str) -> None:
    """Append ``data`` whole and flush it to disk, or leave the record as it was (``size``
    bytes long) and say why: a line is never left half written."""
    try:
        done = 0
        while done < len(data):
            n = os.write(fd, data[done:])
            if n <= 0:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            done += n
        os.fsync(fd)
    except OSError as e:
        try:
            os.ftruncate(fd, size)
            os.fsync(fd)
        except OSError:
            pass
        raise RunError(f"{path}: {e.strerror or e} while recording the {kind}; nothing was "
                       "recorded (the record is as it was)") from None


def read(folder: str | Path) -> list[dict]:
    """Every addition of a run folder, oldest first (none: ``[]``); a line that is not a
    JSON object with the shared fields is an :class:`~kpilib.errors.AuditError`."""
    path = Path(folder) / ADDITIONS
    if not os.path.lexists(path):
        return []
    if not regular(path):
        raise AuditError(f"{path}: is not a regular file; the record was tampered with")
    return parse(path.read_bytes(), path)


def parse(data: bytes, path: Path) -> list[dict]:
    """The additions of a record's bytes (read from ``path``), as :func:`read` gives them."""
    out = []
    for n, line in enumerate(data.splitlines(), 1):
        try:
            entry = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise AuditError(f"{path}: line {n} is not JSON ({e}); the record was edited") from None
        missing = [f for f in FIELDS if not isinstance(entry, dict) or f not in entry]
        if missing:
            raise AuditError(f"{path}: line {n} lacks {', '.join(missing)}; the record was edited")
        out.append(entry)
    return out


def problems(folder: str | Path) -> list[str]:
    """What no longer holds of a run folder's additions: a broken chain (a line edited,
    removed or reordered), an addition that refers to another manifest, an added file
    changed or gone (the latest addition of a file is what it must be now: an export made
    again replaces the file and is recorded again).  Empty: the record is intact."""
    folder = Path(folder)
    path = folder / ADDITIONS
    if not os.path.lexists(path):
        return []
    try:
        entries = read(folder)
    except AuditError as e:
        return [str(e)]
    lines = path.read_bytes().splitlines()
    out = []
    manifest = regular(folder / MANIFEST) and sha256_file(folder / MANIFEST)
    latest = {e["file"]: n for n, e in enumerate(entries, 1) if e["file"] is not None}
    for n, entry in enumerate(entries, 1):
        expected = _line_sha(lines[n - 2]) if n > 1 else ""
        if entry["prev"] != expected:
            out.append(f"{ADDITIONS} line {n} ({entry['kind']}): does not follow line {n - 1}; "
                       "the record was edited")
        if entry["manifest_sha256"] != manifest:
            out.append(f"{ADDITIONS} line {n} ({entry['kind']}, {entry['at']}): made for another "
                       f"{MANIFEST} (sha256 {str(entry['manifest_sha256'])[:12]}…)")
        if entry["file"] is not None and latest[entry["file"]] == n:  # a re-export replaces
            target = folder / entry["file"]
            if not regular(target):
                out.append(f"{entry['file']}: added on {entry['at']} ({entry['kind']}) but gone")
            elif sha256_file(target) != entry["sha256"]:
                out.append(f"{entry['file']}: changed since it was added on {entry['at']} "
                           f"({entry['kind']})")
    return out


def listed_files(folder: str | Path) -> set[str]:
    """The files the additions record lists (relative to the run folder), and the record."""
    entries = read(folder)
    names = {e["file"] for e in entries if e["file"] is not None}
    return names | ({ADDITIONS} if entries or (Path(folder) / ADDITIONS).exists() else set())
