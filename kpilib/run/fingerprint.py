"""The inputs fingerprint of a publication: what it is made from, known before a run executes.

A run's manifest records what its publication depends on: the rows it read (the report's
scoped ``data`` fingerprint and the loads in effect, ``data.sources``), the program
(``code``, ``environment``), the parameters, the council's settings (``council``: the
settings file's SHA-256 covers its keys, shape and suppression rules), the project's
templates, the notebooks and the pages.  :func:`inputs` is that part of a manifest, less
what does not change what is published from the same data: ``parameters.as_of`` (a default
``as_of``, the moment of the run, that reads the same loads reads the same rows) and
``parameters.loads_through`` (the newest load's id, whatever it loaded).

``kpi run`` builds the manifest a run would write (:func:`kpilib.run.manifest.build_manifest`)
before any notebook runs and compares it with the current publication's (:func:`current`,
:func:`decide`):

* the same inputs, the publication intact (every output as its manifest records it) and in
  the store's ledger: the run publishes nothing and says so (``unchanged: ...``); ``--force``
  publishes again (over a signed publication only with ``--supersede-signed`` too);
* other inputs, over a publication signed off (approved, for its current manifest): refused
  (:class:`SignedPublication`) unless ``--supersede-signed``; the signed publication is then
  kept in ``<report>.superseded/`` with its sign-off, as every superseded one is.

The comparison is a unit of its own so that it can grow into reuse of any publication
whose inputs are proven the same (its files verified against manifest and ledger).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kpilib.errors import RunError
from kpilib.run.manifest import MANIFEST, sha256_file
from kpilib.run.publish import complete, read_manifest_json
from kpilib.run.signoff import approval

SECTIONS = ("manifest_format", "parameters", "edition", "data", "council", "code",
            "environment", "notebooks", "templates", "pages")
IGNORED_PARAMETERS = ("as_of", "loads_through")
SUPERSEDE_FLAG = "--supersede-signed"
FORCE_FLAG = "--force"


class SignedPublication(RunError):
    """A run would supersede a signed publication and was not told it may."""


def inputs(manifest: dict) -> dict:
    """What a publication depends on: its manifest's :data:`SECTIONS`, the parameters less
    :data:`IGNORED_PARAMETERS`."""
    out = {k: manifest.get(k) for k in SECTIONS}
    params = manifest.get("parameters")
    out["parameters"] = ({k: v for k, v in params.items() if k not in IGNORED_PARAMETERS}
                         if isinstance(params, dict) else params)
    return out


def fingerprint(manifest: dict) -> str:
    """The SHA-256 of :func:`inputs` in a canonical form."""
    text = json.dumps(inputs(manifest), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def differences(a: dict, b: dict) -> list[str]:
    """Where two manifests' inputs differ: a section (``code``), or one key of the
    ``parameters`` or ``data`` (``data.returns_sha256``)."""
    ia, ib = inputs(a), inputs(b)
    out = []
    for k in SECTIONS:
        x, y = ia.get(k), ib.get(k)
        if x == y:
            continue
        if k in ("parameters", "data") and isinstance(x, dict) and isinstance(y, dict):
            out += [f"{k}.{n}" for n in sorted(set(x) | set(y)) if x.get(n) != y.get(n)]
        else:
            out.append(k)
    return out


@dataclass(frozen=True)
class Current:
    """The publication a run would replace, against the run's inputs."""

    folder: Path
    manifest: dict
    differs: list[str] = field(default_factory=list)  # inputs that differ (empty: the same)
    problem: str = ""  # why it cannot stand for the run (not intact, not in the ledger)
    signed: dict | None = None  # the sign-off approving it

    @property
    def unchanged(self) -> bool:
        return not self.differs and not self.problem

    def signed_text(self) -> str:
        e = self.signed or {}
        role = f" ({e['role']})" if e.get("role") else ""
        return f"signed off: approved by {e.get('who')}{role} on {e.get('at')}"


def current(final: Path, prospective: dict,
            recorded: Callable[[str], bool] | None = None) -> Current | None:
    """The publication at ``final`` compared with a run's ``prospective`` manifest (built
    before the run executes; ``outputs`` are not compared); None when there is none (or its
    manifest cannot be read: nothing there can stand for the run).  ``recorded(sha256)``:
    whether the store's ledger holds a manifest."""
    manifest = read_manifest_json(final) if final.is_dir() else None
    if manifest is None:
        return None
    problem = ""
    if not complete(final):
        problem = "its files no longer match its manifest"
    elif recorded is not None and not recorded(sha256_file(final / MANIFEST)):
        problem = "its manifest is not in the store's ledger of publications"
    return Current(final, manifest, differences(manifest, prospective), problem,
                   approval(final))


def decide(cur: Current | None, force: bool = False, supersede_signed: bool = False) -> str:
    """What a run does with the publication it would replace: ``""`` publish; a line saying
    why it publishes nothing (``unchanged: ...``); or :class:`SignedPublication` raised."""
    if cur is None:
        return ""
    if cur.unchanged and not force:
        if cur.signed:
            return (f"unchanged: {cur.folder} ({cur.signed_text()}) already publishes these "
                    "inputs; nothing was published")
        return (f"unchanged: {cur.folder} already publishes these inputs (the same data, "
                f"program, parameters but as_of, council settings, templates and notebooks); "
                f"nothing was published ({FORCE_FLAG} publishes again)")
    if cur.signed and not supersede_signed:
        why = (f"{FORCE_FLAG} was given" if cur.unchanged else
               "this run's inputs differ: " + ", ".join(cur.differs[:6])
               + (f" and {len(cur.differs) - 6} more" if len(cur.differs) > 6 else "")
               if cur.differs else f"the publication cannot stand for this run: {cur.problem}")
        raise SignedPublication(
            f"{cur.folder} is a signed publication ({cur.signed_text()}); {why}, so this run "
            f"would supersede a signed publication. Nothing was published: run again with "
            f"{SUPERSEDE_FLAG} to publish it (the signed publication is kept, with its "
            f"sign-off, in {cur.folder.name}.superseded/)")
    return ""


def guard(supersede_signed: bool) -> Callable[[Path], None] | None:
    """For :func:`kpilib.run.publish.publish`, under the period lock: refuse to supersede a
    publication signed off while the run was executing (None with ``--supersede-signed``)."""
    if supersede_signed:
        return None

    def check(final: Path) -> None:
        e = approval(final) if final.is_dir() else None
        if e is not None:
            cur = Current(final, {}, signed=e)
            raise SignedPublication(
                f"{final} was signed off while this run was executing ({cur.signed_text()}); "
                f"nothing was published: run again with {SUPERSEDE_FLAG} to supersede it")
    return check
