"""The second layer ``kpi audit`` verifies: what was added to a run folder after publication.

A published ``manifest.json`` never changes; exports, sign-offs and audit verdicts are lines
of the append-only ``additions.jsonl`` (:mod:`kpilib.publish.additions`).  This module

* says which files the record lists (legitimate beside the manifest's outputs) and what no
  longer holds of it (an edited record, an added file changed or gone: tampering);
* reports each sign-off: who, when, whether anything changed after signing (the manifest or
  a published file: a sign-off covers the publication) and what was added after it (an
  export: an addition, verified against the SHA-256 recorded, not a change);
* records the audit's own verdict as an ``audit`` addition (a folder that cannot be written
  gets a note, not a crash; the verdict line is listed, so it never fails the next audit).
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from kpilib.errors import AuditError, KpiError
from kpilib.publish import additions
from kpilib.publish.manifest import MANIFEST, regular, sha256_file
from kpilib.publish.signoff import AUDIT_WHO

NO_RECORD_ENV = "KPILIB_AUDIT_NO_RECORD"  # set: kpi audit records no verdict (inner audits)


def listed(folder: Path) -> tuple[set[str], list[dict] | None]:
    """The files the additions record lists (and the record itself), and its entries
    (``None`` when the record cannot be read: only the record itself is then listed)."""
    try:
        return additions.listed_files(folder), additions.read(folder)
    except AuditError:
        return {additions.ADDITIONS}, None


def signoff_lines(folder: Path, entries: list[dict], tampered: list[str]) -> list[str]:
    """Who signed which manifest and when, what changed after (the manifest, published
    files: a sign-off covers the publication) and what was added after (files the additions
    record lists, such as a PDF pack exported after approval: additions, not changes, each
    checked against the SHA-256 it was recorded with)."""
    path = folder / MANIFEST
    current = sha256_file(path) if path.is_file() else None
    out = []
    for n, e in enumerate(entries):
        if e.get("kind") != "signoff":
            continue
        role = f" ({e['role']})" if e.get("role") else ""
        note = f"; note: {e['note']}" if e.get("note") else ""
        out.append(f"signed off: {e.get('decision')} by {e['who']}{role} on {e['at']}{note}")
        changed = []
        if e.get("manifest_sha256") != current:
            changed.append(f"the {MANIFEST} signed (sha256 {str(e['manifest_sha256'])[:12]}…) "
                           "is not this one")
        if tampered:
            changed.append("published files no longer match the manifest signed: "
                           + ", ".join(tampered))
        out.append("  changed after signing: " + "; ".join(changed) if changed
                   else "  nothing changed after signing")
        added = added_after(folder, entries, n)
        if added:
            out.append("  added after signing (additions, not changes): " + ", ".join(added))
    return out


def added_after(folder: Path, entries: list[dict], n: int) -> list[str]:
    """The files added after ``entries[n]``, each once (its latest addition) with whether it
    is still what was recorded: ``core-2025-03.pdf (export on ..., verified)``."""
    latest: dict[str, dict] = {}
    for x in entries[n + 1:]:
        if isinstance(x.get("file"), str):
            latest.pop(x["file"], None)
            latest[x["file"]] = x
    out = []
    for name, x in latest.items():
        target = folder / name
        state = ("verified" if regular(target) and sha256_file(target) == x.get("sha256")
                 else "NOT as recorded: see tampered")
        out.append(f"{name} ({x['kind']} on {x['at']}, {state})")
    return out


def verdict_word(res) -> str:
    """The one word recorded for an audit: identical, different, tampered, failed, or
    ``differs (program)`` when only the program re-executing differs."""
    if res.error:
        return "failed"
    if res.tampered or res.missing or res.additions or res.signature_failed or res.untrusted \
            or getattr(res, "misplaced", None):
        return "tampered"
    if res.identical:
        return "identical"
    if res.program_change and res.differing and not res.failed_checks:
        return "differs (program)"
    return "different"


def auditor(who: str | None = None) -> str:
    """``kpi audit (<user>)``: the user given, else ``$USER``, else the login name."""
    user = (who or "").strip() or os.environ.get("USER", "").strip()
    if not user:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown user"
    return f"{AUDIT_WHO} ({user})"


def record_verdict(res, who: str | None = None) -> None:
    """Append the audit's verdict to the run folder's additions record; a folder that cannot
    be written (read-only, not a run folder) gets a note on the result instead.  An audit
    that could not run (its error says why) reached no verdict and records nothing: a
    failed command changes nothing."""
    if os.environ.get(NO_RECORD_ENV):
        return
    if res.error:  # the audit could not run (a bad store, an unreadable manifest): no verdict
        return
    if getattr(res, "replaced", ""):  # the folder holds a publication this audit never saw
        return
    word = verdict_word(res)
    try:
        entry = additions.record(res.folder, "audit", who=auditor(who), verdict=word,
                                 for_manifest=res.manifest_sha256 or None)
    except KpiError as e:
        res.notes.append(f"the verdict was not recorded: {e}")
        return
    except OSError as e:
        res.notes.append(f"the verdict was not recorded in {additions.ADDITIONS}: "
                         f"{e.strerror or e} ({Path(res.folder)} cannot be written)")
        return
    res.notes.append(f"verdict {word!r} recorded in {additions.ADDITIONS} ({entry['at']})")
    note = additions.anchor(res.anchors.store, entry)
    if note:
        res.notes.append(note)
