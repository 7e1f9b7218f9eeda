"""What ``kpi audit`` trusts: anchors the auditor supplies, never what a run folder says.

A run folder, manifest included, is untrusted input: a forger writes it.  If audit took
the store, the council settings or the keys from the manifest, a forged run could name a
forged store (whose ledger records it, whose rows re-execute to it) and a settings file
with the forger's own public key.  So the auditor's anchors are:

* **the store**: ``--store`` when given; otherwise the store the manifest names, resolved
  from the auditor's project folder (the folder ``kpi audit`` runs in, as runs resolve it),
  only when it is a file inside that folder.  A store URL, or a file outside the project
  folder, is never opened on the manifest's word: the audit fails and says to name the
  store with ``--store``;
* **the council's settings** (its public keys and ``require_signature``): ``--council``
  when given; otherwise the file the manifest names when it is inside the project folder
  (a project of several councils: ``councils/kent.yaml``), else the nearest ``council.yaml``
  from the project folder upwards, as loads find it (:mod:`kpilib.settings.home`).

What the manifest names and the anchors disagree on is reported, one line each, and fails
the audit (:func:`anchor`).  Pure apart from resolving paths.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from kpilib.settings.home import SETTINGS as DEFAULT_FILE
from kpilib.settings.home import find_settings
from kpilib.store.urls import inside, project_store, resolved_store


@dataclass
class Anchors:
    """The store and settings an audit uses, and what the manifest names that is not them."""

    store: str | None = None  # None: no store can be trusted (``error`` says why)
    council: str | None = None  # None: kpilib's defaults (no settings file)
    run_council: str | None = None  # the re-execution's parameter (None: ./council.yaml)
    untrusted: list[str] = field(default_factory=list)
    error: str = ""


def anchor(manifest: dict, store: str | None = None, council: str | None = None,
           project: Path | None = None) -> Anchors:
    """The anchors of an audit of ``manifest`` from ``project`` (default: the working
    folder), given the auditor's ``--store`` and ``--council`` (None: not given)."""
    project = Path(project or Path.cwd())
    p = manifest.get("parameters") if isinstance(manifest.get("parameters"), dict) else {}
    out = Anchors()
    named = p.get("store") if isinstance(p.get("store"), str) else ""
    if store:
        out.store = store
        if named and resolved_store(named, project) != resolved_store(store, project):
            out.untrusted.append(f"the manifest names store {named!r}, not the store audited "
                                 f"against ({store}): the run was not published from it")
    else:
        out.store, why = project_store(named, project)
        if out.store is None:
            out.error = (f"{why}; name the store the run was published from with --store, "
                         "or audit from its project folder")
    own = project / DEFAULT_FILE
    nearest = find_settings(project)  # as loads find it: the one rule (kpilib.settings.home)
    default = Path(os.path.relpath(nearest, project)).as_posix() if nearest else None
    said = p.get("council") if isinstance(p.get("council"), str) and p.get("council") else None
    if council:
        out.council = out.run_council = council
        if said and (project / said).resolve() != (project / council).resolve():
            out.untrusted.append(f"the manifest names council settings {said!r}, not those "
                                 f"audited with ({council}): their keys are not trusted")
        elif said or (project / council).resolve() == own.resolve():
            out.run_council = said  # as the run named them (the notebooks record the name)
    elif said is None:
        out.council = default
    elif inside((project / said).resolve(), project.resolve()):
        out.council = out.run_council = said
    else:
        out.council = default
        out.untrusted.append(
            f"the manifest names council settings {said!r}, outside this project folder "
            f"({project}): not trusted; its keys were not used (audited with "
            f"{default or 'no settings file'}; --council names the council's own)")
    return out
