"""Load benchmark: validate and store a 10,000-row returns file.

Generates (deterministically, in a temp dir) a catalogue of 100 KPIs
(monthly and quarterly, every measure, a third with breakdowns P1-P4) for
each of five financial years, and a returns file of exactly 10,000 rows
sampled from their (ref, period, breakdown) keys, loads the catalogue then the
returns into a fresh SQLite store, and prints the timings.

    .venv/bin/python bench/bench_load.py
"""

from __future__ import annotations

import csv
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kpilib.ingest.catalogue import COLUMNS, read_catalogue_file  # noqa: E402
from kpilib.ingest.returns import read_returns_file  # noqa: E402
from kpilib.rules.periods import fy_months, fy_quarters  # noqa: E402
from kpilib.store import Store  # noqa: E402

YEARS = ("2020-21", "2021-22", "2022-23", "2023-24", "2024-25")
N_KPIS = 100
N_ROWS = 10_000
MEASURES = ("sum", "snapshot", "ratio", "cumulative", "mean")


def make_catalogue(path: Path) -> list[dict]:
    rows = []
    for fy, i in ((fy, i) for fy in YEARS for i in range(N_KPIS)):
        measure = MEASURES[i % len(MEASURES)]
        rows.append({
            "year": fy, "ref": f"K{i:03d}", "name": f"Synthetic KPI {i}", "directorate": "Bench",
            "commitment": "Speed", "report": "core" if i % 4 else "service",
            "frequency": "monthly" if i % 4 else "quarterly", "measure": measure,
            "unit": "percent" if measure == "ratio" else "count",
            "polarity": "higher", "target": "90" if measure == "ratio" else "100",
            "breakdowns": "P1;P2;P3;P4" if i % 3 == 0 else "",
        })  # fmt: skip
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, restval="")
        w.writeheader()
        w.writerows(rows)
    return rows


def make_returns(path: Path, kpis: list[dict]) -> None:
    rng = random.Random(20240401)
    keys = []
    for k in kpis:
        fy = k["year"]
        periods = fy_months(fy) if k["frequency"] == "monthly" else fy_quarters(fy)
        parts = [""] + (k["breakdowns"].split(";") if k["breakdowns"] else [])
        keys += [(k, p, b) for p in periods for b in parts]
    rng.shuffle(keys)  # a deterministic sample of the distinct keys
    assert len(keys) >= N_ROWS, f"only {len(keys)} distinct keys"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "ref",
                "period",
                "breakdown",
                "value",
                "numerator",
                "denominator",
                "status",
                "commentary",
            ]
        )
        for k, p, b in keys[:N_ROWS]:
            if k["measure"] == "ratio":
                den = rng.randint(50, 2000)
                w.writerow([k["ref"], p, b, "", rng.randint(0, den), den, "", ""])
            elif rng.random() < 0.02:
                w.writerow([k["ref"], p, b, "", "", "", "missing", "late return"])
            else:
                w.writerow([k["ref"], p, b, round(rng.uniform(0, 500), 1), "", "", "", ""])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        kpis = make_catalogue(tmp / "catalogue-bench.csv")
        make_returns(tmp / "returns-bench.csv", kpis)
        store = Store.open(tmp / "kpi.sqlite")
        store.load_catalogue(tmp / "catalogue-bench.csv")

        cat = read_catalogue_file(tmp / "catalogue-bench.csv")
        t0 = time.perf_counter()
        frame = read_returns_file(tmp / "returns-bench.csv", cat)
        t_validate = time.perf_counter() - t0

        t0 = time.perf_counter()
        res = store.load_returns(tmp / "returns-bench.csv")
        t_load = time.perf_counter() - t0

        t0 = time.perf_counter()
        back = store.returns()
        t_read = time.perf_counter() - t0
        store.close()
        assert len(frame) == res.n_rows == len(back) == N_ROWS, (len(frame), res.n_rows, len(back))
    print(f"validate {N_ROWS} rows: {t_validate:.2f} s")
    print(f"load {N_ROWS} rows: {t_load:.2f} s")
    print(f"read back {N_ROWS} rows: {t_read:.2f} s")


if __name__ == "__main__":
    main()
