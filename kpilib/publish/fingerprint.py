"""The inputs fingerprint of a publication: what it is made from, known before a run executes.

A run's manifest records what its publication depends on: the rows it read (the report's
scoped ``data`` fingerprint and the loads in effect, ``data.sources``), the program
(``code``, ``environment``), the parameters, the council's settings (``council``: the
settings file's SHA-256 covers its keys, shape and suppression rules), the project's
templates, the notebooks and the pages.  :func:`inputs` is that part of a manifest, less
what does not change what is published from the same data: ``parameters.as_of`` (a default
``as_of``, the moment of the run, that reads the same loads reads the same rows) and
``parameters.loads_through`` (the newest load's id, whatever it loaded) and
``parameters.params_file`` (which parameter file named the run: a year's parameter set runs
the month ``params/2024-05.yaml`` ran).

``kpi run`` builds the manifest a run would write (:func:`kpilib.publish.manifest.build_manifest`)
before any notebook runs and compares it with the current publication's (:func:`current`,
:func:`decide`):

* the same inputs, the publication intact (every output as its manifest records it) and in
  the store's ledger: the run publishes nothing and says so (``unchanged: ...``); ``--force``
  publishes again (over a signed publication only with ``--supersede-signed`` too);
* other inputs, over a publication signed off (approved, for its current manifest): refused
  (:class:`SignedPublication`) unless ``--supersede-signed``; the signed publication is then
  kept in ``<report>.superseded/`` with its sign-off, as every superseded one is.

Reuse is proven, never assumed from a timestamp: the publication stands for the run only
when every file it holds hashes as its manifest records (a file that cannot be read, a link
or a stray folder is doubt: the run executes) and the manifest's own SHA-256 is the store's
ledger's publication at this place (:func:`kpilib.publish.placement.placement_problems`: not
swapped, not rolled back).  The run then says ``unchanged, verified``; otherwise it executes
and says why (:func:`why`: which loads, which setting, which template or notebook changed,
or what could not be verified).  Audit never comes here: it always re-executes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kpilib.errors import KpiError, RunError
from kpilib.publish import additions
from kpilib.publish.manifest import MANIFEST, SIGNATURE, output_hashes, sha256_file, strays
from kpilib.publish.publish import read_manifest_json
from kpilib.publish.signoff import approval

SECTIONS = ("manifest_format", "parameters", "edition", "data", "council", "code",
            "environment", "notebooks", "templates", "pages")
IGNORED_PARAMETERS = ("as_of", "loads_through", "params_file")
SUPERSEDE_FLAG = "--supersede-signed"
FORCE_FLAG = "--force"
VERIFIED = ("every file checked against its manifest, the manifest against the store's "
            "ledger")


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


def verify(final: Path, manifest: dict) -> str:
    """Why the files of the publication at ``final`` cannot be trusted to be what its
    manifest records ("" when every one hashes as recorded): a file altered, missing or
    added, one that cannot be read (its hash cannot be computed), a link or a stray folder.
    Files added after publication and listed in ``additions.jsonl`` are not the manifest's."""
    outputs = manifest.get("outputs")
    if not isinstance(outputs, dict):
        return "its manifest lists no outputs"
    try:
        added = additions.listed_files(final)
    except KpiError as e:
        return f"its record of additions cannot be read ({e})"
    try:
        actual = output_hashes(final)
    except OSError as e:  # a file that cannot be read: its hash cannot be computed
        return f"a file's hash cannot be computed ({e.strerror or e}: {e.filename})"
    odd = strays(final, {*outputs, MANIFEST, SIGNATURE, *added})
    if odd:
        return f"it holds what a publication does not: {odd[0]}"
    altered = sorted(f for f in outputs if f in actual and actual[f] != outputs[f])
    missing = sorted(f for f in outputs if f not in actual)
    extra = sorted(f for f in actual if f not in outputs and f not in added)
    for what, files in (("altered", altered), ("missing", missing),
                        ("not in its manifest", extra)):
        if files:
            return (f"its files no longer match its manifest ({what}: {', '.join(files[:3])}"
                    + (f" and {len(files) - 3} more" if len(files) > 3 else "") + ")")
    return ""


def current(final: Path, prospective: dict,
            recorded: Callable[[str], bool | str] | None = None) -> Current | None:
    """The publication at ``final`` compared with a run's ``prospective`` manifest (built
    before the run executes; ``outputs`` are not compared); None when there is none (or its
    manifest cannot be read: nothing there can stand for the run).  ``recorded(sha256)``:
    whether the store's ledger holds a manifest at this place (True, or False, or a text
    saying what is wrong).  Files are verified (:func:`verify`) only when the inputs are
    the same: a publication that differs is published over whatever its state."""
    manifest = read_manifest_json(final) if final.is_dir() else None
    if manifest is None:
        return None
    differs = differences(manifest, prospective)
    problem = ""
    if not differs:
        try:
            problem = verify(final, manifest)
            if not problem and recorded is not None:
                found = recorded(sha256_file(final / MANIFEST))
                if found is False:
                    problem = "its manifest is not in the store's ledger of publications"
                elif isinstance(found, str) and found:
                    problem = found
        except OSError as e:
            problem = f"its manifest's hash cannot be computed ({e.strerror or e})"
    return Current(final, manifest, differs, problem, approval(final))


def decide(cur: Current | None, force: bool = False, supersede_signed: bool = False) -> str:
    """What a run does with the publication it would replace: ``""`` publish; a line saying
    why it publishes nothing (``unchanged: ...``); or :class:`SignedPublication` raised."""
    if cur is None:
        return ""
    if cur.unchanged and not force:
        if cur.signed:
            return (f"unchanged, verified: {cur.folder} ({cur.signed_text()}) already "
                    f"publishes these inputs ({VERIFIED}); nothing was published")
        return (f"unchanged, verified: {cur.folder} already publishes these inputs (the same "
                f"data, program, parameters but as_of, council settings, templates and "
                f"notebooks; {VERIFIED}); nothing was published ({FORCE_FLAG} publishes again)")
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
    """For :func:`kpilib.publish.publish.publish`, under the period lock: refuse to supersede a
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
