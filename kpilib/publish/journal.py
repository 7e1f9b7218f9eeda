"""Is a publish journal one kpilib wrote? The checks recovery makes before it acts on a
journal found after a crash (:func:`kpilib.publish.publish.resolve_journal`): the journal is
bound to its own staging folder and the manifest it names, and a committed publication is
in the store's ledger; a planted journal is refused and changes nothing."""

from __future__ import annotations

import os
from pathlib import Path

from kpilib.errors import KpiError
from kpilib.publish.manifest import MANIFEST, sha256_file
from kpilib.store import open_store, publications_of

JOURNAL = ".publish.json"  # a publication's journal: .<report>.publish.json beside it


def journal_problem(period: Path, jpath: Path, j: dict) -> str:
    """Why a journal is not one :func:`publish_steps` wrote for the folders it names ("" when
    it is): recovery acts only on a journal bound to its own staging folder, whose manifest is
    the one the journal names (the ledger's record of it is checked by the caller), and never
    on a published or superseded folder named as staging."""
    final, name = j["final"], j["staging"]
    if jpath.name != f".{final}{JOURNAL}":
        return f"it names {final!r}, not the report of its own name"
    if not name.startswith(f".{final}.staging-"):
        return f"its staging folder {name!r} is not a staging folder of {final}"
    staging = period / name
    digest = j.get("manifest_sha256")
    if not isinstance(digest, str):
        return "it names no manifest"
    if staging.is_symlink() or (os.path.lexists(staging) and not staging.is_dir()):
        return f"{staging} is not a folder"
    if not staging.is_dir() and j.get("phase") != "committed":
        return ""  # rolled back: only the journal is left to remove
    folder = staging if staging.is_dir() else period / final  # gone: renamed into place
    manifest = folder / MANIFEST
    if manifest.is_symlink() or not manifest.is_file() or sha256_file(manifest) != digest:
        return (f"the manifest of {folder} is not the one it names (sha256 "
                f"{digest[:12]}…)")
    return ""


def _store_url(store: str, cwd: str | None) -> str:
    """The store a journal names, a relative SQLite path taken from the run's folder."""
    prefix = "sqlite:///"
    if cwd and store.startswith(prefix):
        path = store[len(prefix):]
        if path and path != ":memory:" and not path.startswith("/"):
            return prefix + str(Path(cwd) / path)
    elif cwd and "://" not in store and not Path(store).is_absolute():
        return str(Path(cwd) / store)
    return store


def in_ledger(j: dict, store: str | None = None) -> tuple[bool, str]:
    """Whether the journal's manifest is in the ledger, or why that cannot be told."""
    url = store or (_store_url(j["store"], j.get("cwd")) if isinstance(j.get("store"), str)
                    else None)
    if not url:
        return False, "the journal names no store"
    try:
        s = open_store(url)
        try:
            return not publications_of(s, j.get("manifest_sha256")).empty, ""
        finally:
            s.close()
    except KpiError as e:
        return False, str(e)
