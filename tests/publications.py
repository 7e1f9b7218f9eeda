"""Small synthetic publications for the publishing tests: a few files and a manifest, no
notebooks, recorded in a real (empty) store's ledger."""

from __future__ import annotations

import json
from pathlib import Path

from kpilib.publish import publish
from kpilib.publish.manifest import output_hashes, sha256_file
from kpilib.store import Store, open_store, publications_of, record_publication

A = "2025-06-30T00:00:00.000000Z"
B = "2025-07-31T00:00:00.000000Z"


def make_store(folder: Path) -> str:
    path = folder / "kpi.sqlite"
    Store.open(path).close()
    return str(path)


def write_files(folder: Path, content: str) -> None:
    """The outputs of a synthetic run (a subfolder included)."""
    publish.write_text(folder / "index.html", f"<h1>{content}</h1>\n")
    publish.write_text(folder / "results.csv", f"ref,value\nHSG01,{len(content)}\n")
    publish.write_text(folder / "notebooks" / "index.ipynb", json.dumps({"c": content}) + "\n")


def write_manifest(folder: Path, as_of: str, store: str, nonce: str = "") -> None:
    manifest = {"manifest_format": 2, "as_of": as_of, "nonce": nonce, "data": {},
                "parameters": {"period": "2024-02", "report": "core", "store": store},
                "outputs": output_hashes(folder)}
    publish.write_text(folder / "manifest.json", json.dumps(manifest, sort_keys=True) + "\n")


def build(folder: Path, as_of: str, content: str, store: str, nonce: str = "") -> dict:
    """Write a synthetic run folder; its fingerprint."""
    write_files(folder, content)
    write_manifest(folder, as_of, store, nonce)
    return fingerprint(folder)


def fingerprint(folder: Path) -> dict[str, str]:
    """SHA-256 of every file of a folder, its manifest included."""
    return {p.relative_to(folder).as_posix(): sha256_file(p)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def ledger(store: str, final: Path, as_of: str) -> publish.Ledger:
    def record(sha: str) -> None:
        s = Store.open(store)
        try:
            record_publication(s, str(final), final.name, final.parent.name, as_of, sha)
        finally:
            s.close()
    return publish.Ledger(store, record)


def stage(final: Path, as_of: str, content: str, store: str, nonce: str = ""):
    """A complete staging folder, locked by this process; with its fingerprint."""
    staging = publish.begin(final)
    return staging, build(staging.path, as_of, content, store, nonce)


def publish_one(final: Path, as_of: str, content: str, store: str, nonce: str = ""):
    staging, fp = stage(final, as_of, content, store, nonce)
    done = publish.publish(staging, final, ledger(store, final, as_of))
    return done, fp


def recorded(store: str) -> list[str]:
    """The ledger's manifest SHA-256s, oldest first."""
    s = open_store(store)
    try:
        return publications_of(s)["manifest_sha256"].tolist()
    finally:
        s.close()


# the manifest's fields that differ between two runs of the same report (when and how long
# it ran, and which parameter file): everything else of two such runs is byte-identical
WALL_CLOCK = (("run", "recorded_at"), ("run", "seconds"), ("parameters", "params_file"))


def without_wall_clock(manifest: bytes, also: tuple[tuple[str, str], ...] = ()) -> dict:
    """A manifest's JSON without :data:`WALL_CLOCK` (and ``also``: e.g. the output folder)."""
    m = json.loads(manifest)
    for part, key in (*WALL_CLOCK, *also):
        m[part].pop(key)
    return m
