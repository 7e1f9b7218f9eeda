"""Sign-off and the states of a run folder read from its additions record.

``kpi signoff RUN --name N --role R --decision approved|rejected [--note T]`` appends a
``signoff`` addition to ``RUN/additions.jsonl`` (:mod:`kpilib.publish.additions`): who (the
name), ``role``, ``decision``, ``note``, when, bound to the SHA-256 of the manifest signed.
Nothing published is edited.  ``kpi audit`` appends an ``audit`` addition (``verdict``).

:func:`signoff_state` and :func:`audit_state` give a run folder's current states for
``kpi status`` and the publication library: the last sign-off and the last verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kpilib.clock import normalise_timestamp
from kpilib.errors import AuditError, KpiError, RunError
from kpilib.publish import additions
from kpilib.publish.manifest import MANIFEST, SIGNATURE, read_manifest, strays
from kpilib.rules.names import visible

DECISIONS = ("approved", "rejected")
NOT_SIGNED = "not signed off"
NOT_AUDITED = "not audited"
AUDIT_WHO = "kpi audit"


def sign_off(folder: str | Path, name: str, role: str, decision: str, note: str = "",
             at: str | None = None) -> dict:
    """Record a sign-off of the run in ``folder``; every problem of the input is reported
    at once and nothing is written unless all is well."""
    folder = Path(folder)
    problems = []
    if not folder.is_dir():
        problems.append(f"{folder}: no such run folder")
    else:
        try:
            manifest = read_manifest(folder)
            listed = additions.listed_files(folder)
            stray = strays(folder, {*manifest["outputs"], MANIFEST, SIGNATURE, *listed})
            if stray:
                problems.append(f"{folder} holds what its manifest does not list (run kpi "
                                "audit): " + "; ".join(stray[:5]))
        except AuditError as e:
            problems.append(str(e))
    if not isinstance(name, str) or not name.strip():
        problems.append("--name is empty; expected the name of the person signing off")
    if not isinstance(role, str) or not role.strip():
        problems.append("--role is empty; expected their role (e.g. Director of Housing)")
    for flag, value in (("--name", name), ("--role", role)):
        if isinstance(value, str) and value.strip() and not value.strip().isprintable():
            problems.append(f"{flag} {visible(value.strip())!r} holds a line break or a control "
                            "character; expected one line of printable text")
    if decision not in DECISIONS:
        problems.append(f"--decision {decision!r}; expected one of {', '.join(DECISIONS)}")
    if at is not None:
        try:
            at = normalise_timestamp(at)
        except (KpiError, ValueError) as e:
            problems.append(f"--at {at!r}: {e}")
    if problems:
        raise RunError("nothing was signed off:\n  " + "\n  ".join(problems))
    extra = {"note": note.strip()} if note and note.strip() else {}
    return additions.record(folder, "signoff", who=name.strip(), at=at, role=role.strip(),
                            decision=decision, **extra)


@dataclass(frozen=True)
class State:
    """One state of a run folder: its short word and the line describing it."""

    state: str  # approved | rejected | not signed off; identical | ... | not audited
    text: str
    entry: dict | None = None

    def as_dict(self) -> dict:
        e = self.entry or {}
        return {"state": self.state, "text": self.text, "at": e.get("at"), "who": e.get("who"),
                **{k: e[k] for k in ("role", "note") if k in e}}


def _last(entries: list[dict], kind: str) -> dict | None:
    return next((e for e in reversed(entries) if e.get("kind") == kind), None)


def read_entries(folder: Path) -> list[dict] | None:
    """A run folder's additions, or ``None`` when the record cannot be read."""
    try:
        return additions.read(folder)
    except AuditError:
        return None


def signoff_state(folder: str | Path, entries: list[dict] | None = None) -> State:
    """The last sign-off's decision, who and when (``not signed off`` without one)."""
    entries = read_entries(Path(folder)) if entries is None else entries
    if entries is None:
        return State("record damaged", f"{additions.ADDITIONS} cannot be read")
    e = _last(entries, "signoff")
    if e is None:
        return State(NOT_SIGNED, NOT_SIGNED)
    role = f" ({e['role']})" if e.get("role") else ""
    return State(str(e.get("decision")), f"{e.get('decision')} by {e['who']}{role} on {e['at']}",
                 e)


def audit_state(folder: str | Path, entries: list[dict] | None = None) -> State:
    """The last verdict ``kpi audit`` recorded, and when (``not audited`` without one)."""
    entries = read_entries(Path(folder)) if entries is None else entries
    if entries is None:
        return State("record damaged", f"{additions.ADDITIONS} cannot be read")
    e = _last(entries, "audit")
    if e is None:
        return State(NOT_AUDITED, NOT_AUDITED)
    return State(str(e.get("verdict")), f"{e.get('verdict')} on {e['at']}", e)


def current_signoff(folder: str | Path, entries: list[dict] | None = None,
                    manifest_sha256: str | None = None) -> dict | None:
    """The latest sign-off made for the manifest ``folder`` holds (``manifest_sha256``: for
    that manifest instead), whatever its decision; None without one (or when the record or
    the manifest cannot be read)."""
    folder = Path(folder)
    if manifest_sha256 is None:
        try:
            manifest_sha256 = additions.manifest_sha256(folder)
        except KpiError:
            return None
    entries = read_entries(folder) if entries is None else entries
    return _last([e for e in entries or [] if e.get("manifest_sha256") == manifest_sha256],
                 "signoff")


def approval(folder: str | Path, entries: list[dict] | None = None) -> dict | None:
    """The sign-off that approves the publication ``folder`` holds now (its latest sign-off,
    made for its current manifest, decided ``approved``), or None: the publication is
    signed while this is not None."""
    e = current_signoff(folder, entries)
    return e if e is not None and e.get("decision") == "approved" else None


def exports(entries: list[dict]) -> list[dict]:
    """The export additions (``format``, ``file``), one per file, the latest of each."""
    out: dict[str, dict] = {}
    for e in entries:
        if e.get("kind") == "export" and isinstance(e.get("file"), str):
            out[e["file"]] = e
    return [out[f] for f in sorted(out)]
