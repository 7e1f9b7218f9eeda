"""Fleet throughput: ``kpi fleet`` runs per minute with 1 and 2 local Dask workers, the
audit of the same fleet, and from the measured costs the cluster that renders and audits
300 councils x 12 months in one hour.

Each council is a copy of the demo store; each run is the demo month's core report
(``common.PERIOD``, as of ``common.AS_OF``), the same run ``run_bench.py`` times.  Run once,
small (the default, 3 councils: 3 runs with 1 worker, 3 with 2, 3 audits), from the repo
root; everything is written to a temporary folder:

    .venv/bin/python bench/fleet_bench.py               # 3 councils
    .venv/bin/python bench/fleet_bench.py --councils 4  # more runs per timing

Figures only; exit 1 only when a step crashed.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile
from pathlib import Path

from common import AS_OF, BIN, PERIOD, REPORT, StepError, demo_store, timed

TARGET_RUNS = 300 * 12  # councils x months: one core report each, rendered and audited
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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--councils", type=int, default=3, help="councils in the fleet (default 3)")
    args = p.parse_args(argv)
    kpi = str(BIN / "kpi")
    with tempfile.TemporaryDirectory(prefix="kpi-fleet-bench-") as tmp:
        tmp = Path(tmp)
        demo = demo_store(tmp)
        try:
            timings = {}
            for workers in (1, 2):
                folder = tmp / f"w{workers}"
                folder.mkdir()
                stores = []
                for i in range(args.councils):
                    stores.append(Path(shutil.copy(demo, folder / f"council{i + 1}.sqlite")))
                fleet = fleet_file(folder, stores)
                timings[workers] = timed([kpi, "fleet", str(fleet), "--workers", str(workers),
                                          "--quiet"], f"kpi fleet --workers {workers}")
                print(f"{args.councils} runs, {workers} worker(s): {timings[workers]:.1f} s, "
                      f"{60 * args.councils / timings[workers]:.2f} runs per minute")
            audit = timed([kpi, "fleet", str(fleet), "--audit", "--workers", "2", "--quiet"],
                          "kpi fleet --audit --workers 2")
            print(f"{args.councils} audits, 2 workers: {audit:.1f} s, "
                  f"{60 * args.councils / audit:.2f} audits per minute")
        except StepError as e:
            print(e, file=sys.stderr)
            return 1
    cores = os.cpu_count() or 1
    # core-seconds per run and per audit at 2 workers on this machine's cores
    run_cs = timings[2] * cores / args.councils
    audit_cs = audit * cores / args.councils
    need = TARGET_RUNS * (run_cs + audit_cs) / HOUR
    print(f"per run {run_cs:.1f} core-s, per audit {audit_cs:.1f} core-s (2 workers on "
          f"{cores} cores); {TARGET_RUNS} runs + {TARGET_RUNS} audits in one hour need "
          f"{need:.0f} cores, i.e. {math.ceil(need / 2)} workers of 2 cores "
          "(before any headroom)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
