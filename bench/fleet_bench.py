"""Fleet sizing: ``kpi fleet`` runs with 1, 2 and 4 local Dask workers, the audit of the same
fleet, core-seconds per council-month, and from them the cluster that publishes (and
audits) every English council's month in one hour.

Each council is a copy of the demo store; each run is the demo month's core report
(``common.PERIOD``, as of ``common.AS_OF``), the same run ``run_bench.py`` times: one
council-month.  Core-seconds are the CPU time of ``kpi fleet`` and every process under it
(its Dask workers, their runs, the runs' kernels: ``RUSAGE_CHILDREN``), so they do not
depend on how busy the machine was; wall time does.  Run from the repo root; everything is
written to a temporary folder:

    .venv/bin/python bench/fleet_bench.py                        # 4 councils, 1/2/4 workers
    .venv/bin/python bench/fleet_bench.py --councils 8 --workers 1,2,4,8

Figures only; exit 1 only when a step crashed.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import shutil
import sys
import tempfile
from pathlib import Path

from common import AS_OF, BIN, PERIOD, REPORT, StepError, demo_store, timed

ENGLISH_COUNCILS = 320  # principal councils in England (about 317), rounded up
HOUR = 3600.0


def fleet_file(folder: Path, stores: list[Path]) -> Path:
    lines = [f'as_of: "{AS_OF}"', f'periods: ["{PERIOD}"]', f"reports: [{REPORT}]",
             "councils:"]
    for s in stores:
        lines += [f"  - name: {s.stem}", f'    store: "{s}"',
                  f'    output_dir: "{folder / "outputs" / s.stem}"']
    path = folder / "fleet.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def children_cpu() -> float:
    """CPU seconds (user + system) of every finished process below this one."""
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def measured(cmd: list[str], what: str) -> tuple[float, float]:
    """(wall seconds, core-seconds) of one command and everything it started."""
    before = children_cpu()
    wall = timed(cmd, what)
    return wall, children_cpu() - before


def sizing(core_s: float, per_node: int = 4) -> str:
    """The cluster that does ``ENGLISH_COUNCILS`` council-months of ``core_s`` each in an
    hour (no headroom)."""
    cores = ENGLISH_COUNCILS * core_s / HOUR
    return (f"{ENGLISH_COUNCILS} councils' month in one hour: {cores:.1f} cores busy, "
            f"i.e. {math.ceil(cores)} single-threaded Dask workers "
            f"({math.ceil(cores / per_node)} machines of {per_node} cores)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--councils", type=int, default=4, help="councils in the fleet (default 4)")
    p.add_argument("--workers", default="1,2,4",
                   help="Dask worker counts to time, comma-separated (default 1,2,4)")
    args = p.parse_args(argv)
    counts = [int(w) for w in args.workers.split(",") if w.strip()]
    kpi = str(BIN / "kpi")
    cores = os.cpu_count() or 1
    print(f"{args.councils} council-months per fleet, on {cores} cores")
    with tempfile.TemporaryDirectory(prefix="kpi-fleet-bench-") as tmp:
        tmp = Path(tmp)
        demo = demo_store(tmp)
        try:
            per_run = {}
            for workers in counts:
                folder = tmp / f"w{workers}"
                folder.mkdir()
                stores = [Path(shutil.copy(demo, folder / f"council{i + 1}.sqlite"))
                          for i in range(args.councils)]
                fleet = fleet_file(folder, stores)
                wall, cpu = measured([kpi, "fleet", str(fleet), "--workers", str(workers),
                                      "--quiet"], f"kpi fleet --workers {workers}")
                per_run[workers] = cpu / args.councils
                print(f"{workers} worker(s): {wall:.1f} s wall, "
                      f"{60 * args.councils / wall:.2f} council-months per minute, "
                      f"{per_run[workers]:.1f} core-s per council-month")
            wall, cpu = measured([kpi, "fleet", str(fleet), "--audit", "--workers",
                                  str(counts[-1]), "--quiet"],
                                 f"kpi fleet --audit --workers {counts[-1]}")
            audit = cpu / args.councils
            print(f"audit, {counts[-1]} worker(s): {wall:.1f} s wall, {audit:.1f} core-s per "
                  "council-month")
        except StepError as e:
            print(e, file=sys.stderr)
            return 1
    best = min(per_run.values())
    print(f"runs: {sizing(best)}")
    print(f"runs and their audits: {sizing(best + audit)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
