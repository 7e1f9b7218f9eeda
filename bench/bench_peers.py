"""Peer-figure benchmark, in two parts; figures only, no timed assertions.

1. Loading: 400 bodies, a group of all of them, and a national file of 40,000 peer
   figures (400 bodies x 100 metrics) into a fresh SQLite store (the issue's "10,000s of
   rows load in seconds").  Deterministic (seeded).
2. The cost of peer data per KPI page: the demo store (``kpi demo``: its group of 16 and
   seven KPIs with peer figures) and its May 2024 core report, run with the project's
   ``council.yaml`` (``body`` and ``benchmark_group``: the pages show peers) and with the
   same settings without them (no peers), best of ``--reps`` runs each; printed as the
   difference per KPI with peers and per KPI of the report.  Then the peer step alone,
   in process: each KPI's peer view and its block of HTML, in ms per KPI.

    .venv/bin/python bench/bench_peers.py            # both parts, 2 runs of each report
    .venv/bin/python bench/bench_peers.py --reps 1   # quicker
    .venv/bin/python bench/bench_peers.py --only load|pages
"""

from __future__ import annotations

import argparse
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


def bench_load() -> None:
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


PERIOD, REPORT, AS_OF = "2024-05", "core", "2025-06-30T00:00:00Z"
ROOT = Path(__file__).resolve().parents[1]


def _run_seconds(store: Path, council: Path, out: Path) -> tuple[float, int]:
    """One ``kpi run`` of the demo month (in this process, as the runner does it): seconds
    and the number of KPIs."""
    from kpilib.run.runner import run
    from kpilib.settings.params import validate

    params = validate({"period": PERIOD, "report": REPORT, "store": str(store),
                       "as_of": AS_OF, "output_dir": str(out), "council": str(council)})
    start = time.perf_counter()
    summary = run(params, show_progress=False)[0]
    return time.perf_counter() - start, summary.kpis


def _peer_step_ms(store: Path, council: Path) -> tuple[float, int]:
    """The HTML step alone: every KPI's peer block (median, average, rank, quartile, chart
    and text alternative) from its view, best of 5 (ms per KPI with peers, and how many)."""
    from kpilib.notebook import open_report
    from kpilib.render.peers import peers_block

    rep = open_report(str(store), PERIOD, REPORT, AS_OF, council=str(council))
    units = dict(zip(rep.kpis["ref"], rep.kpis["unit"], strict=True))
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for ref, view in rep.peers.items():
            peers_block(view, units[ref], None)
        best = min(best, time.perf_counter() - start)
    return 1000 * best / max(len(rep.peers), 1), len(rep.peers)


def bench_pages(reps: int) -> None:
    from kpilib.demo import build_demo_store

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        with Store.open(d / "kpi.sqlite") as store:
            build_demo_store(store, d / "demo")
        with_peers = ROOT / "council.yaml"
        text = with_peers.read_text(encoding="utf-8")
        without = d / "council-no-peers.yaml"
        without.write_text("".join(line for line in text.splitlines(keepends=True)
                                   if not line.startswith(("body:", "benchmark_group"))),
                           encoding="utf-8")
        (d / "branding").mkdir(exist_ok=True)
        for f in (ROOT / "branding").iterdir():  # the logo the settings name, beside them
            if f.is_file():
                (d / "branding" / f.name).write_bytes(f.read_bytes())
        from kpilib.notebook import open_report

        n_peers = len(open_report(str(d / "kpi.sqlite"), PERIOD, REPORT, AS_OF,
                                  council=str(with_peers)).peers)
        _run_seconds(d / "kpi.sqlite", without, d / "warm")  # imports, caches
        times: dict[str, float] = {}
        kpis = 0
        for name, council in (("without peers", without), ("with peers", with_peers)):
            runs = []
            for i in range(reps):
                took, kpis = _run_seconds(d / "kpi.sqlite", council, d / f"out-{name}-{i}")
                runs.append(took)
            times[name] = min(runs)
            print(f"kpi run {PERIOD} {REPORT} {name:<14} {times[name]:6.2f} s (best of "
                  f"{reps}; {kpis} KPIs)")
        extra = times["with peers"] - times["without peers"]
        print(f"peer data: {n_peers} of {kpis} KPIs show peers; the run costs "
              f"{1000 * extra:+.0f} ms with them: {1000 * extra / max(n_peers, 1):+.1f} ms per "
              f"KPI with peers, {1000 * extra / max(kpis, 1):+.2f} ms per KPI of the report "
              "(run-to-run noise is of the order of 100s of ms)")
        ms, shown = _peer_step_ms(d / "kpi.sqlite", with_peers)
        print(f"peer step alone (block of HTML per KPI, in process): {ms:.2f} ms per KPI "
              f"with peers ({shown} KPIs)")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=2, help="runs of each report (best of)")
    ap.add_argument("--only", choices=("load", "pages"), default=None)
    args = ap.parse_args(argv)
    if args.only in (None, "load"):
        bench_load()
    if args.only in (None, "pages"):
        bench_pages(max(1, args.reps))


if __name__ == "__main__":
    main()
