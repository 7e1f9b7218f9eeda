"""Part 4, a crowded store: ``kpi run`` of the demo month 2024-02 (core, as of
2025-06-30T00:00:00Z) on the demo store with, besides, a 20,000-KPI catalogue of 2025-26
and one million return rows for it (none of which the report shows), as a ratio to the
same run on the plain demo store.  Target: ratio <= 1.3.

The crowded store is built once with bulk inserts (:func:`kpilib.demo.bulk.add_unrelated`)
and cached under ``build/bench/`` (about 150 MB; delete the folder to rebuild); each timed
run works on a fresh copy of either store (a run records its publication in the store).
One throwaway run first, then the two stores alternate and their medians are compared.

    .venv/bin/python bench/crowded_store.py --quick
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time
from pathlib import Path

from common import (
    BIN,
    REPORT,
    ROOT,
    Context,
    fmt_runs,
    main,
    section,
    timed,
    verdict,
    write_params,
)
from noise import measure, noise_note, noise_text

NAME = "crowded"
MONTH = "2024-02"
N_KPIS, N_ROWS, YEAR = 20_000, 1_000_000, "2025-26"
TARGET_CROWDED = 1.3
CACHE = ROOT / "build" / "bench"


def stores() -> tuple[Path, Path]:
    """The demo store and the crowded one, built on first use and cached under build/."""
    from kpilib.demo import build_demo_store
    from kpilib.demo.bulk import add_unrelated
    from kpilib.store import Store

    CACHE.mkdir(parents=True, exist_ok=True)
    plain, crowded = CACHE / "demo.sqlite", CACHE / f"crowded-{N_KPIS}-{N_ROWS}.sqlite"
    if not plain.exists():
        partial = CACHE / "demo.sqlite.partial"
        partial.unlink(missing_ok=True)
        with Store.open(partial) as s:
            build_demo_store(s, CACHE / "demo-files")
        partial.rename(plain)
    if not crowded.exists():
        t = time.perf_counter()
        partial = CACHE / "crowded.sqlite.partial"
        shutil.copyfile(plain, partial)
        with Store.open(partial) as s:
            add_unrelated(s, N_KPIS, N_ROWS, year=YEAR, loaded_at="2025-06-01T09:00:00Z")
        partial.rename(crowded)
        print(f"crowded store built in {time.perf_counter() - t:.0f} s ({crowded})")
    return plain, crowded


def bench(ctx: Context) -> None:
    section(f"4. crowded store: kpi run {MONTH} {REPORT} with {N_KPIS:,} KPIs of {YEAR} and "
            f"{N_ROWS:,} return rows besides, vs the demo store")
    plain, crowded = stores()

    def prepared(source: Path, label: str) -> Path:
        """A parameter file on a fresh copy of ``source`` (copied before the timing)."""
        work = ctx.tmp / f"crowded-{label}"
        work.mkdir()
        shutil.copyfile(source, work / "kpi.sqlite")
        return write_params(work / "p.yaml", work / "kpi.sqlite", work / "out", MONTH)

    def kpi_run(params: Path, label: str) -> None:
        timed([str(BIN / "kpi"), "run", str(params)], f"kpi run ({label})")

    warmup = prepared(plain, "warmup")
    warm, warm_noise, _ = measure(lambda: kpi_run(warmup, "warmup"))
    print(f"warm-up kpi run (not counted): {warm:.1f} s{noise_text(warm_noise)}")
    times: dict[str, list[float]] = {"plain": [], "crowded": []}
    noises = []
    for rep in range(1, ctx.reps + 1):
        for label, source in (("plain", plain), ("crowded", crowded)):
            params = prepared(source, f"{label}-{rep}")
            t, n, _ = measure(lambda p=params, lb=label: kpi_run(p, lb))
            times[label].append(t)
            noises.append(n.share)
            print(f"  rep {rep}: {label:8s} {t:.1f} s{noise_text(n)}", flush=True)
    p, c = statistics.median(times["plain"]), statistics.median(times["crowded"])
    print(f"demo store:    {fmt_runs(times['plain'])}")
    print(f"crowded store: {fmt_runs(times['crowded'])}")
    print(f"ratio crowded / demo: {c / p:.2f}  (target <= {TARGET_CROWDED})  "
          f"{verdict(c / p <= TARGET_CROWDED)}")
    ctx.results.update(crowded_plain=p, crowded=c, crowded_ratio=c / p, crowded_noise=noises)


def summary(results: dict) -> str:
    if "crowded_ratio" not in results:
        return ""
    r = results["crowded_ratio"]
    return (f"kpi run {MONTH}, demo store:{'':22s}{results['crowded_plain']:6.1f} s\n"
            f"same, + {N_KPIS:,} KPIs and {N_ROWS:,} rows:{'':7s}{results['crowded']:6.1f} s   "
            f"ratio {r:.2f}  target <= {TARGET_CROWDED}  {verdict(r <= TARGET_CROWDED)}\n"
            + noise_note(results.get("crowded_noise")))


if __name__ == "__main__":
    sys.exit(main([sys.modules[__name__]], __doc__))
