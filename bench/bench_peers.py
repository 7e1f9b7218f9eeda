"""Peer-figure benchmark: load 400 bodies, a group of all of them, and a national file of
40,000 peer figures (400 bodies x 100 metrics) into a fresh SQLite store, and print the
timings (the issue's "10,000s of rows load in seconds").  Deterministic (seeded).

    .venv/bin/python bench/bench_peers.py
"""

from __future__ import annotations

import csv
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kpilib.store import Store  # noqa: E402

N_BODIES, N_METRICS, SEED = 400, 100, 22


def _write(path: Path, header: list[str], rows) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def main() -> None:
    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        bodies = [f"E0{i:07d}" for i in range(N_BODIES)]
        files = [
            ("bodies", _write(d / "bodies.csv", ["body", "name"],
                              [[b, f"Council {i}"] for i, b in enumerate(bodies)])),
            ("groups", _write(d / "groups.csv", ["group", "body"],
                              [["England", b] for b in bodies])),
            ("benchmarks", _write(d / "benchmarks.csv",
                                  ["body", "metric", "period", "value", "unit"],
                                  [[b, f"M{m:03d}", "2023-24", f"{rng.uniform(0, 100):.1f}",
                                    "percent"] for b in bodies for m in range(N_METRICS)])),
        ]
        with Store.open(d / "kpi.sqlite") as store:
            for kind, path in files:
                start = time.perf_counter()
                res = store.load(kind, path)
                took = time.perf_counter() - start
                print(f"load {kind:<10} {res.n_rows:>7,} rows  {took:6.2f} s  "
                      f"({res.n_rows / took:,.0f} rows/s)")


if __name__ == "__main__":
    main()
