"""Recovery after a crash: what a killed run left beside its published folders.

:func:`recover` repairs one period folder, holding its lock (so no live run is in the
middle of publishing there); every ``kpi run`` calls it for the folder it publishes in, and
``kpi doctor`` (:func:`doctor`) for every period folder of an output folder:

* a publication journal (``.<report>.publish.json``): the interrupted publication is
  completed or undone (:func:`kpilib.publish.publish.resolve_journal`);
* a staging folder (``.<report>.staging-<pid>-*``) that no live process holds locked:
  removed (a live run's is left alone; the lock dies with its process, so a reused PID
  changes nothing);
* an ``.<report>.old-<pid>`` folder, left by kpilib versions that moved the published
  folder aside before renaming the new one into place: restored when the published folder
  is missing, else kept in ``<report>.superseded/`` when complete (removed when it is a
  partly deleted copy);
* a journal's temporary file: removed.

Published folders, superseded ones and ``<report>.failed/`` are never touched.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from kpilib.errors import KpiError, RunError
from kpilib.publish.manifest import MANIFEST, read_manifest, regular, sha256_file
from kpilib.publish.placement import SUPERSEDED, placement_problems
from kpilib.publish.publish import (
    JOURNAL,
    Action,
    held,
    period_lock,
    read_journal,
    read_manifest_json,
    resolve_journal,
    superseded_slot,
)
from kpilib.store import open_store, publications_of
from kpilib.store.urls import project_store

LEFTOVER = re.compile(r"\.(?P<report>.+?)\.(?P<kind>staging|old)-(?P<pid>\d+)(?:-[0-9a-f]+)?")
LEGACY_GRACE = 600  # seconds: an .old-* folder of a live process younger than this is in use


@dataclass
class Recovery:
    folder: Path
    done: list[str] = field(default_factory=list)  # repairs made (or, dry run, to make)
    left: list[str] = field(default_factory=list)  # left alone: in use by a running kpi
    problems: list[str] = field(default_factory=list)  # what could not be repaired


def recover(period: Path, store: str | None = None, dry_run: bool = False) -> Recovery:
    """Repair what crashed runs left in a period folder (``<output_dir>/<period>/``).
    ``store``: the store to check interrupted publications against, instead of the one
    their journal names."""
    res = Recovery(Path(period))
    if not res.folder.is_dir():
        return res
    with period_lock(res.folder):
        for action in _diagnose(res.folder, store, res):
            if action.apply is None:
                res.problems.append(action.text)
                continue
            if not dry_run:
                try:
                    action.apply()
                except (OSError, RunError) as e:
                    res.problems.append(f"could not finish: {action.text}: {e}")
                    continue
            res.done.append(action.text)
    return res


def _diagnose(period: Path, store: str | None, res: Recovery) -> list[Action]:
    actions: list[Action] = []
    entries = sorted(period.iterdir(), key=lambda p: p.name)
    journaled: set[str] = set()
    busy: set[str] = set()  # reports whose leftovers wait on a journal that cannot be resolved
    reports: set[str] = set()  # reports with a journal (their .old-* wait for the next round)
    for jpath in (p for p in entries if p.name.startswith(".")
                  and p.name.endswith(JOURNAL)):
        action = resolve_journal(period, jpath, store)
        report = jpath.name[1:-len(JOURNAL)]
        reports.add(report)
        if action.apply is None:
            busy.add(report)
        actions.append(action)
        journaled.add(_journal_staging(jpath))
    olds: dict[str, list[Path]] = {}
    cleanups: list[Action] = []
    for p in entries:
        if p.name.startswith(".") and p.name.endswith(JOURNAL + ".tmp"):
            cleanups.append(Action(f"removed {p}, the unfinished journal of a publication "
                                  "that never started", lambda p=p: p.unlink(missing_ok=True)))
            continue
        m = LEFTOVER.fullmatch(p.name)
        if not m or not p.is_dir() or p.name in journaled or m["report"] in busy:
            continue
        if m["kind"] == "old":
            if _legacy_live(int(m["pid"]), p):
                res.left.append(f"{p}: being published by a running kpi (process {m['pid']})")
            elif m["report"] not in reports:
                olds.setdefault(m["report"], []).append(p)
        elif held(p):
            res.left.append(f"{p}: being written by a running kpi (process {m['pid']})")
        else:
            cleanups.append(Action(f"removed {p}, the unfinished run folder of a kpi run that "
                                  f"stopped (process {m['pid']})",
                                  lambda p=p: shutil.rmtree(p)))
    for report, folders in sorted(olds.items()):
        actions += _legacy(period / report, folders)
    return actions + cleanups


def _journal_staging(jpath: Path) -> str:
    j = read_journal(jpath)
    return j["staging"] if j else ""


def _legacy_live(pid: int, folder: Path) -> bool:
    """An ``.old-*`` folder (no lock: older kpilib) of a live process, made moments ago."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        pass
    try:
        return time.time() - folder.stat().st_mtime < LEGACY_GRACE
    except OSError:
        return False


def _as_of(folder: Path) -> str:
    m = read_manifest_json(folder) or {}
    return m["as_of"] if isinstance(m.get("as_of"), str) else ""


def _legacy(final: Path, olds: list[Path]) -> list[Action]:
    """``.old-*`` folders of one report: the newest restores a missing published folder, the
    others are kept as superseded publications (partly deleted copies are removed)."""
    actions = []
    olds = sorted(olds, key=lambda p: (_as_of(p), p.name), reverse=True)
    if not final.exists():
        first = olds.pop(0)
        actions.append(Action(f"restored {final} from {first}: the published folder had been "
                              "moved aside by a run that stopped before it put the new one "
                              "in place", lambda: os.rename(first, final)))
    for old in olds:
        if _nothing_missing(old):
            def keep(old=old):
                slot = superseded_slot(old, final)
                slot.parent.mkdir(exist_ok=True)
                os.rename(old, slot)
            actions.append(Action(f"kept {old} (as of {_as_of(old)}) as a superseded "
                                  f"publication in {final.name}.superseded/", keep))
        else:
            actions.append(Action(f"removed {old}: a partly deleted copy of a replaced "
                                  "publication (its files no longer match its manifest)",
                                  lambda old=old: shutil.rmtree(old)))
    return actions


def _nothing_missing(folder: Path) -> bool:
    """Every file the manifest lists is there (a tampered file is still a publication)."""
    outputs = (read_manifest_json(folder) or {}).get("outputs")
    return isinstance(outputs, dict) and all((folder / f).is_file() for f in outputs)


def doctor(output_dir: Path, store: str | None = None, dry_run: bool = False) -> list[Recovery]:
    """:func:`recover` every period folder of an output folder (and the folder itself, so a
    period folder may be given)."""
    root = Path(output_dir)
    if not root.is_dir():
        raise RunError(f"{root}: no such folder (give the output folder of your runs, "
                       "e.g. outputs)")
    folders = [root] + sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")
                              and not p.name.endswith((".superseded", ".failed")))
    out = [recover(f, store, dry_run) for f in folders]
    for res in out:
        res.problems += misplaced(res.folder, store)
    return out


def misplaced(period: Path, store: str | None = None) -> list[str]:
    """The current run folders of a period folder that hold another place's publication, or
    one the ledger has since replaced there (:mod:`kpilib.publish.placement`): never repaired
    (which publication belongs there is for a person to decide), only told.  The ledger is
    ``store``'s, else that of the store a manifest names when it is a file of the working
    folder; a folder no trusted ledger can be read for is passed over."""
    out, ledgers = [], {}
    for folder in sorted(p for p in period.iterdir() if p.is_dir() and not p.name.startswith(".")
                         and not p.name.endswith((SUPERSEDED, ".failed"))):
        if not regular(folder / MANIFEST):
            continue
        try:
            manifest = read_manifest(folder)
            name = store or project_store(manifest["parameters"]["store"], Path.cwd())[0]
            if name is None:
                continue
            if name not in ledgers:
                ledgers[name] = publications_of(open_store(name))
            out += [f"{folder}: {p}" for p in placement_problems(
                folder, manifest, sha256_file(folder / MANIFEST), ledgers[name])]
        except KpiError:
            continue
    return out
