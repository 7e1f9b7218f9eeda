"""A fleet's benchmarking report (``kpi fleet`` with the fleet file's ``benchmark`` key,
reporting rules 7.13.1): one cross-council page per KPI, built from the runs the fleet
published, published and audited like any report.

I/O at the edges: :func:`build` reads each council's published run folder
(``<output_dir>/<period>/<report>/``: ``results.csv``, ``spc.csv``, ``manifest.json``) and
the KPIs' definitions (name, unit, polarity, measure: the first council's catalogue as its
run read it, through the store its manifest names, as of its ``as_of`` and
``loads_through``); :func:`compose` turns them into the files (pure:
:mod:`kpilib.reports.benchmarking` ranks, :mod:`kpilib.render.benchmarking` writes the
pages); the folder ``<benchmark output_dir>/<period>/<report>/`` is published atomically
with :mod:`kpilib.publish.publish` (the publication it replaces kept in ``.superseded/``).  Its
manifest records the SHA-256 of every input file and of the definitions read, so
:func:`rebuild` (``kpi audit``) re-composes it from the same inputs and proves it identical,
or names the input that changed.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kpilib.clock import utc_now
from kpilib.errors import ParamsError, RunError
from kpilib.publish import publish
from kpilib.publish.manifest import MANIFEST, environment, git_info, output_hashes
from kpilib.render.benchmarking import pages
from kpilib.reports import benchmarking as B
from kpilib.rules.periods import parse_period

KEYS = {
    "output_dir": "optional: where the benchmarking report is published (default "
                  "outputs/benchmarking)",
    "kpis": "optional: the KPI refs compared (default: every KPI the councils report)",
    "title": "optional: the fleet's name on the pages (default: the fleet file's name)",
}
KIND = "benchmarking"  # the manifest's key: a benchmarking publication
INPUTS = ("results.csv", "spc.csv", MANIFEST)  # of each council's run folder


@dataclass(frozen=True)
class BenchmarkSpec:
    output_dir: str = "outputs/benchmarking"
    kpis: tuple[str, ...] = ()
    title: str = ""


def parse_spec(value, problems: list[str]) -> BenchmarkSpec | None:
    """The fleet file's ``benchmark`` key: ``true`` (every default) or a mapping of
    :data:`KEYS`; None for ``false`` or absent."""
    if value is None or value is False:
        return None
    if value is True:
        return BenchmarkSpec()
    if not isinstance(value, dict):
        problems.append(f"key 'benchmark': expected true or a mapping ({', '.join(KEYS)}), "
                        f"got {value!r}")
        return None
    problems += [f"key 'benchmark': unknown key {k!r}; expected one of {', '.join(KEYS)}"
                 for k in value if k not in KEYS]
    out = value.get("output_dir", BenchmarkSpec.output_dir)
    if not isinstance(out, str) or not out.strip():
        problems.append(f"key 'benchmark': key 'output_dir': expected a path, got {out!r}")
    kpis = value.get("kpis", [])
    if isinstance(kpis, str):
        kpis = [kpis]
    if not isinstance(kpis, list) or not all(isinstance(k, str) and k.strip() for k in kpis):
        problems.append(f"key 'benchmark': key 'kpis': expected a list of KPI refs, got {kpis!r}")
        kpis = []
    title = value.get("title", "")
    if not isinstance(title, str):
        problems.append(f"key 'benchmark': key 'title': expected text, got {title!r}")
        title = ""
    return BenchmarkSpec(str(out), tuple(k.strip() for k in kpis), title.strip())


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _frame(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)


def _definitions(run_manifest: dict, period: str) -> list[dict]:
    """The KPIs of the period's year as the run read them (its store, as of its as_of and
    loads_through)."""
    from kpilib.store import open_store

    p = run_manifest.get("parameters", {})
    cat = open_store(p["store"]).catalogue(run_manifest["as_of"], p.get("loads_through"))
    fy = parse_period(period).fy
    kpis = cat[(cat["year"] == fy) & (cat["breakdown"] == "")]
    return [{"ref": r, "name": n, "unit": u, "polarity": pol, "measure": m}
            for r, n, u, pol, m in zip(kpis["ref"], kpis["name"], kpis["unit"],
                                       kpis["polarity"], kpis["measure"], strict=True)]


def compose(inputs: list[tuple[str, dict[str, bytes]]], defs: list[dict], period: str,
            report: str, title: str, only: tuple[str, ...] = ()) -> dict[str, bytes]:
    """The report's files (manifest aside) from each council's run files (``inputs``: name,
    {file: bytes}) and the KPI definitions."""
    councils = {}
    for name, files in inputs:
        spc = _frame(files["spc.csv"]) if files.get("spc.csv") else None
        councils[name] = B.entries(name, _frame(files["results.csv"]), spc, period)
    tables = B.tables([B.KpiDef(**d) for d in defs], period, councils, only)
    out = {f: html.encode("utf-8") for f, html in pages(tables, title, period, report).items()}
    out["benchmark.csv"] = B.frame(tables).to_csv(index=False, lineterminator="\n").encode()
    return out


def _run_folders(fleet, period: str) -> dict[str, list[tuple[str, Path]]]:
    """report -> [(council, its run folder)] of the fleet's published runs of ``period``."""
    out: dict[str, list[tuple[str, Path]]] = {}
    for name, out_dir in fleet.output_dirs.items():
        base = Path(out_dir) / period
        if not base.is_dir():
            continue
        for folder in sorted(base.iterdir()):
            if (folder.is_dir() and not folder.name.startswith(".") and "." not in folder.name
                    and (folder / MANIFEST).is_file() and (folder / "results.csv").is_file()):
                out.setdefault(folder.name, []).append((name, folder))
    return out


def _read_inputs(folder: Path) -> dict[str, bytes]:
    return {f: (folder / f).read_bytes() for f in INPUTS if (folder / f).is_file()}


def _manifest(spec_title, period, report, fleet, councils, defs_info, outputs) -> dict:
    return {"manifest_format": 2, "as_of": fleet.as_of, KIND: {
        "fleet": fleet.source, "title": spec_title, "period": period, "report": report,
        "kpis": list(fleet.benchmark.kpis), "councils": councils, "definitions": defs_info},
        "outputs": outputs, "code": git_info(), "environment": environment(),
        "run": {"recorded_at": utc_now()}}


def build(fleet) -> list[str]:
    """Build and publish the fleet's benchmarking report for every period and report type
    its councils published; one line per publication."""
    spec = fleet.benchmark
    title = spec.title or f"Fleet {Path(fleet.source).stem}"
    lines = []
    for period in sorted({r.params["period"] for r in fleet.runs}):
        for report, runs in sorted(_run_folders(fleet, period).items()):
            inputs = [(name, _read_inputs(folder)) for name, folder in runs]
            first = json.loads(inputs[0][1][MANIFEST])
            defs = _definitions(first, period)
            files = compose(inputs, defs, period, report, title, spec.kpis)
            councils = [{"name": name, "folder": folder.as_posix(),
                         **{f"{f}_sha256": _sha(data[f]) for f in INPUTS if f in data}}
                        for (name, folder), (_, data) in zip(runs, inputs, strict=True)]
            p = first["parameters"]
            defs_info = {"council": runs[0][0], "store": p["store"], "as_of": first["as_of"],
                         "loads_through": p.get("loads_through"),
                         "sha256": _sha(json.dumps(defs, sort_keys=True).encode())}
            final = Path(spec.output_dir) / period / report
            staging = publish.begin(final)
            try:
                for f, data in files.items():
                    (staging.path / f).write_bytes(data)
                m = _manifest(title, period, report, fleet, councils, defs_info,
                              output_hashes(staging.path))
                (staging.path / MANIFEST).write_text(json.dumps(m, indent=1, sort_keys=True)
                                                     + "\n", encoding="utf-8")
                done = publish.publish(staging, final)
            except BaseException:
                publish.discard(staging)
                raise
            what = "unchanged" if done.unchanged else "published"
            lines.append(f"benchmarking {period} {report}: {len(files) - 2} KPIs of "
                         f"{len(runs)} councils {what} in {final}")
    if not lines:
        raise RunError("kpi fleet: no benchmarking report: no published run of the fleet's "
                       "periods was found in its councils' output folders")
    return lines


def is_benchmarking(manifest: dict | None) -> bool:
    return isinstance(manifest, dict) and isinstance(manifest.get(KIND), dict)


def rebuild(manifest: dict) -> tuple[dict[str, str], list[str]]:
    """Re-compose a benchmarking publication from the inputs its manifest names: (file ->
    SHA-256 of the re-composed outputs, what changed in the inputs since)."""
    b = manifest[KIND]
    changes, inputs = [], []
    for c in b["councils"]:
        folder = Path(c["folder"])
        data = _read_inputs(folder)
        for f in INPUTS:
            then, now = c.get(f"{f}_sha256"), _sha(data[f]) if f in data else None
            if then != now:
                changes.append(f"council {c['name']}: {folder / f} is "
                               + ("gone" if now is None else "not the file the report was "
                                  f"built from (SHA-256 {str(then)[:12]}... recorded, "
                                  f"{now[:12]}... now)") + ": its run was published again")
        inputs.append((c["name"], data))
    d = b["definitions"]
    if not inputs or "results.csv" not in inputs[0][1]:
        raise ParamsError("the benchmarking report's inputs cannot be read: "
                          + "; ".join(changes))
    defs = _definitions({"as_of": d["as_of"], "parameters": {
        "store": d["store"], "loads_through": d["loads_through"]}}, b["period"])
    if _sha(json.dumps(defs, sort_keys=True).encode()) != d["sha256"]:
        changes.append(f"the KPI definitions read from {d['store']} as of {d['as_of']} are "
                       "not those the report used: the store was changed in place")
    files = compose(inputs, defs, b["period"], b["report"], b["title"], tuple(b["kpis"]))
    with tempfile.TemporaryDirectory(prefix="kpi-audit-") as tmp:
        for f, data in files.items():
            (Path(tmp) / f).write_bytes(data)
        return output_hashes(Path(tmp)), changes

