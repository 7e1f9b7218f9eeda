"""Unrelated bulk data for benchmarks and tests: a large KPI set of another year and many
return rows for it, added to a store with bulk inserts.

It stands for what a council's store holds besides the report being run (next year's
catalogue, years of returns of other services), so that a benchmark or a test can show a
report reads none of it.  The rows are inserted directly, as loads stamped ``loaded_at``,
without reading or validating files (validating a million rows takes minutes); they are
valid by construction: monthly ``sum`` KPIs of ``year``, each with breakdowns ``B1``-``B4``,
and return rows of their months.  Not for real stores.
"""

from __future__ import annotations

import hashlib
import itertools

import sqlalchemy as sa

from kpilib.clock import just_after, normalise_timestamp
from kpilib.ingest.contracts import CATALOGUE_COLUMNS
from kpilib.rules.periods import fy_months
from kpilib.store.database import Store, catalogue_rows, loads, return_rows

BREAKDOWNS = ("", "B1", "B2", "B3", "B4")
BATCH = 50_000


def _load(conn: sa.Connection, kind: str, name: str, loaded_at: str, n_rows: int) -> int:
    sha = hashlib.sha256(f"kpilib bulk {kind} {name} {n_rows}".encode()).hexdigest()
    return conn.execute(loads.insert().values(kind=kind, source_file=name, sha256=sha,
                                              loaded_at=loaded_at, n_rows=n_rows)
                        ).inserted_primary_key[0]


def add_unrelated(store: Store, n_kpis: int, n_rows: int, year: str = "2025-26",
                  report: str = "core", loaded_at: str = "2025-06-01T09:00:00.000000Z",
                  prefix: str = "ZZ") -> tuple[int, int]:
    """Load a catalogue of ``n_kpis`` KPIs of ``year`` (refs ``<prefix>00001``...) and one
    returns load of ``n_rows`` rows for them (every KPI's months, then breakdowns, in turn);
    the returns load is stamped just after the catalogue's.  Returns the two load ids.
    """
    refs = [f"{prefix}{i:05d}" for i in range(1, n_kpis + 1)]
    blank = dict.fromkeys(CATALOGUE_COLUMNS, "")
    months = fy_months(year)
    keys = ((ref, m, b) for b in BREAKDOWNS for m in months for ref in refs)
    keys = itertools.islice(keys, n_rows)
    if n_rows > n_kpis * len(months) * len(BREAKDOWNS):
        raise ValueError(f"{n_kpis} KPIs have only {n_kpis * len(months) * len(BREAKDOWNS)} "
                         f"(ref, month, breakdown) keys, not {n_rows}")
    loaded_at = normalise_timestamp(loaded_at)
    with store.engine.begin() as conn:
        cat_id = _load(conn, "catalogue", f"catalogue-{year}-bulk.csv", loaded_at, n_kpis)
        conn.execute(catalogue_rows.insert(), [
            {**blank, "load_id": cat_id, "position": i, "year": year, "ref": ref,
             "name": f"Unrelated KPI {ref}", "directorate": "Elsewhere", "commitment": "Other",
             "report": report, "frequency": "monthly", "measure": "sum", "unit": "count",
             "polarity": "higher", "target": "100", "rag_scheme": "tolerance",
             "travel_scheme": "nnc", "breakdowns": ";".join(BREAKDOWNS[1:])}
            for i, ref in enumerate(refs)])
        ret_id = _load(conn, "returns", f"returns-{year}-bulk.csv", just_after(loaded_at),
                       n_rows)
        number = itertools.count(1)
        while batch := [
            {"load_id": ret_id, "row_number": next(number), "ref": ref, "period": m,
             "breakdown": b, "value": float(len(ref) + i % 97), "numerator": None,
             "denominator": None, "status": "", "commentary": ""}
            for i, (ref, m, b) in enumerate(itertools.islice(keys, BATCH))
        ]:
            conn.execute(return_rows.insert(), batch)
    return cat_id, ret_id
