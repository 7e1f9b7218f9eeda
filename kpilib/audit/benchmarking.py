"""``kpi audit`` of a fleet's benchmarking report (:mod:`kpilib.run.benchmarking`): the
published files against the manifest (tampering), the inputs it names (each council's run
files and the KPI definitions) against their recorded SHA-256, and the report re-composed
from them, every output compared byte for byte."""

from __future__ import annotations

from pathlib import Path

from kpilib.audit import layers
from kpilib.errors import KpiError
from kpilib.publish.manifest import MANIFEST, SIGNATURE, output_hashes, sha256_file, strays
from kpilib.run.benchmarking import rebuild


def audit_benchmarking(folder: Path, manifest: dict, result):
    """Fill ``result`` (an :class:`kpilib.audit.audit.AuditResult`) for a benchmarking
    publication; ``manifest`` is its manifest as read."""
    res = result
    res.manifest_sha256 = sha256_file(folder / MANIFEST)
    files, _ = layers.listed(folder)
    recorded = manifest.get("outputs", {})
    actual = output_hashes(folder)
    res.tampered = sorted(f for f in recorded if f in actual and actual[f] != recorded[f])
    res.missing = sorted(f for f in recorded if f not in actual)
    res.tampered += strays(folder, {*manifest.get("outputs", {}), MANIFEST, SIGNATURE, *files})
    try:
        again, res.data_changes = rebuild(manifest)
    except (KpiError, OSError, KeyError, TypeError, ValueError) as e:
        res.error = f"re-composition failed: {e}"
        return res
    res.differing = sorted(f for f in recorded if again.get(f) != recorded[f])
    res.differing += sorted(f"{f} (new)" for f in again if f not in recorded)
    res.identical = not (res.failed_checks or res.differing)
    return res
