"""The demo county: a 2013-14 style corporate report set (report type ``corporate``).

Northamptonshire County Council's corporate performance report for 2013-14 quarter 2
(seed ``ncc-corporate-performance-2013-14-q2.txt``) gives the indicators' names, polarity,
quarterly targets and figures for June and September 2013, the annual attainment results
of 2010-11 to 2013-14, the comparator group and England averages and the eight change
programmes; this module writes them as kpilib's files (refs are the demo's own: the report
prints none).  Nothing is random, so two runs write byte-identical files.  The county has
its own home folder, ``councils/county/`` (``kpi demo --council county``: its store
``data/kpi.sqlite`` and settings ``council.yaml`` there); the demo council's data is untouched.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kpilib.demo.county_data import (
    ANNUAL,
    COMPARATORS,
    PROGRAMMES,
    QUARTERLY,
    SECTIONS,
)
from kpilib.ingest.contracts import (
    CATALOGUE_ADDED,
    CATALOGUE_COLUMNS,
    COMPARATOR_COLUMNS,
    PROGRAMME_COLUMNS,
    RETURN_COLUMNS,
)

if TYPE_CHECKING:  # pragma: no cover
    from kpilib.store import LoadResult, Store

FY = "2013-14"
HISTORY = ("2010-11", "2011-12", "2012-13")
COLUMNS = tuple(c for c in CATALOGUE_COLUMNS if c not in CATALOGUE_ADDED)


@dataclass(frozen=True)
class CountyFile:
    path: Path
    kind: str  # a load kind: catalogue, returns, programmes, comparators
    loaded_at: str


def _write(path: Path, columns: tuple[str, ...], rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(columns)
        w.writerows([[r.get(c, "") for c in columns] for r in rows])


def _kpi_row(year: str, k: dict) -> dict:
    return {"year": year, "ref": k["ref"], "name": k["name"], "directorate": k["dir"],
            "commitment": SECTIONS[k["sec"]], "report": "corporate", "frequency": k["freq"],
            "measure": k["measure"], "unit": k["unit"], "polarity": k["pol"],
            "target": k.get("target", ""), "rag_scheme": "graded", "travel_scheme": "graded",
            "benchmark": k.get("benchmark", "")}


def _returns(period: str, figures: list[tuple[dict, float | None, str]]) -> list[dict]:
    return [{"ref": k["ref"], "period": period, "value": "" if v is None else repr(v),
             "status": "" if v is not None else "missing", "commentary": text}
            for k, v, text in figures]


def write_county_files(out_dir: str | Path) -> list[CountyFile]:
    """Write the county's files into ``out_dir``; return them in load order."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files: list[CountyFile] = []

    def add(name, columns, rows, kind, stamp):
        _write(out / name, columns, rows)
        files.append(CountyFile(out / name, kind, stamp))

    add("county-catalogue-2010-13.csv", COLUMNS,
        [_kpi_row(y, {**k, "target": t}) for i, y in enumerate(HISTORY)
         for k in ANNUAL for t in [k["targets"][i]]], "catalogue", "2013-04-02T09:00:00Z")
    add("county-catalogue-2013-14.csv", COLUMNS,
        [_kpi_row(FY, {**k, "target": k["targets"][-1]}) for k in ANNUAL]
        + [_kpi_row(FY, k) for k in QUARTERLY], "catalogue", "2013-04-03T09:00:00Z")
    add("county-returns-2010-13.csv", RETURN_COLUMNS,
        [r for i, y in enumerate(HISTORY)
         for r in _returns(f"{y}-Q2", [(k, k["values"][i], "") for k in ANNUAL])],
        "returns", "2013-04-04T09:00:00Z")
    add("county-returns-2013-14-Q1.csv", RETURN_COLUMNS,
        _returns(f"{FY}-Q1", [(k, k["q"][0], k.get("c1", "")) for k in QUARTERLY]),
        "returns", "2013-07-22T09:00:00Z")
    add("county-programmes-2013-14-Q1.csv", PROGRAMME_COLUMNS,
        [{**p, "period": f"{FY}-Q1", "status": p["status"][0], "update": p["update"][0]}
         for p in PROGRAMMES], "programmes", "2013-07-23T09:00:00Z")
    add("county-returns-2013-14-Q2.csv", RETURN_COLUMNS,
        _returns(f"{FY}-Q2", [(k, k["values"][-1], k.get("c", "")) for k in ANNUAL]
                 + [(k, k["q"][1], k.get("c", "")) for k in QUARTERLY]),
        "returns", "2013-10-28T09:00:00Z")
    add("county-programmes-2013-14-Q2.csv", PROGRAMME_COLUMNS,
        [{**p, "period": f"{FY}-Q2", "status": p["status"][1], "update": p["update"][1]}
         for p in PROGRAMMES], "programmes", "2013-10-29T09:00:00Z")
    add("county-comparators.csv", COMPARATOR_COLUMNS, COMPARATORS, "comparators",
        "2013-10-30T09:00:00Z")
    return files


def build_county_store(store: Store, out_dir: str | Path) -> list[LoadResult]:
    """Write the county's files and load them into ``store``, each at its own moment."""
    return [store.load(f.kind, f.path, loaded_at=f.loaded_at)
            for f in write_county_files(out_dir)]
