"""Part 1b, an unchanged re-run: ``kpi run`` of the demo month (2025-03, core, as of
2025-06-30T00:00:00Z) again over its own publication, which it verifies (every file against
the manifest, the manifest against the store's ledger) and keeps, executing nothing.
Targets: at most 0.25 of a first run of the same report, and at most 0.02x the naive
papermill + nbconvert baseline (part ``run``'s, when it ran; else that ratio is not shown
unless ``--baseline``: the baseline is the slow part).

    .venv/bin/python bench/unchanged.py --quick             # the unchanged path only
    .venv/bin/python bench/run_bench.py --only run --only unchanged

Also prints where an unchanged re-run's time goes: ``python -X importtime`` of the heavy
modules it must not import (papermill, nbconvert, plotly) and the seconds it spent.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

from common import (
    BIN,
    ROOT,
    Context,
    demo_store,
    env,
    fmt_runs,
    main,
    section,
    timed,
    verdict,
    write_params,
)
from noise import measure, noise_note, noise_text

NAME = "unchanged"
TARGET_OF_RUN = 0.25
TARGET_OF_BASELINE = 0.02
HEAVY = ("papermill", "nbconvert", "plotly", "nbclient")


def heavy_imports(params: Path) -> list[str]:
    """The heavy modules an unchanged re-run imports (it should import none)."""
    proc = subprocess.run([str(BIN / "python"), "-X", "importtime", "-m", "kpilib.cli", "run",
                           str(params), "--quiet"], cwd=ROOT, env=env(), capture_output=True,
                          text=True)
    names = {line.split("|")[-1].strip() for line in proc.stderr.splitlines()
             if line.startswith("import time:")}
    return sorted(n for n in names if n.split(".")[0] in HEAVY and "." not in n)


def bench(ctx: Context) -> None:
    section("1b. an unchanged re-run (verified, nothing executed) vs a first run and the "
            "baseline")
    tmp, results = ctx.tmp, ctx.results
    store = demo_store(tmp)
    params = write_params(tmp / "params-unchanged.yaml", store, tmp / "out-unchanged")
    cmd = [str(BIN / "kpi"), "run", str(params), "--quiet"]
    first = results.get("kpi_run")
    if first is None:  # part "run" did not run: a first run of our own
        first, n, _ = measure(lambda: timed(cmd, "kpi run (first)"))
        print(f"first kpi run: {first:.1f} s{noise_text(n)}")
    else:
        timed(cmd, "kpi run (first)")  # the publication the re-runs find
        print(f"first kpi run: {first:.1f} s (part run's median)")
    times, noises = [], []
    for rep in range(1, max(2, ctx.reps) + 1):
        t, n, _ = measure(lambda: timed(cmd, "kpi run (unchanged)"))
        times.append(t)
        noises.append(n.share)
        print(f"  rep {rep}: unchanged re-run {t:.2f} s{noise_text(n)}", flush=True)
    u = statistics.median(times)
    heavy = heavy_imports(params)
    print(f"unchanged re-run: {fmt_runs(times)}")
    print(f"heavy modules it imported: {', '.join(heavy) or 'none'}")
    of_run = u / first
    print(f"ratio unchanged / first run: {of_run:.3f}  (target <= {TARGET_OF_RUN})  "
          f"{verdict(of_run <= TARGET_OF_RUN)}")
    results.update(unchanged=u, unchanged_first=first, unchanged_of_run=of_run,
                   unchanged_noise=noises, unchanged_heavy=heavy)
    if "baseline" in results:
        of_base = u / results["baseline"]
        results["unchanged_of_baseline"] = of_base
        print(f"ratio unchanged / baseline: {of_base:.3f}  (target <= {TARGET_OF_BASELINE})  "
              f"{verdict(of_base <= TARGET_OF_BASELINE)}")


def summary(results: dict) -> str:
    if "unchanged" not in results:
        return ""
    line = (f"unchanged re-run:{'':31s}{results['unchanged']:6.2f} s   of a first run "
            f"{results['unchanged_of_run']:.3f}  target <= {TARGET_OF_RUN}  "
            f"{verdict(results['unchanged_of_run'] <= TARGET_OF_RUN)}\n")
    if "unchanged_of_baseline" in results:
        r = results["unchanged_of_baseline"]
        line += (f"{'':48s}of the baseline {r:.3f}  target <= {TARGET_OF_BASELINE}  "
                 f"{verdict(r <= TARGET_OF_BASELINE)}\n")
    return line + noise_note(results.get("unchanged_noise"))


if __name__ == "__main__":
    sys.exit(main([sys.modules[__name__]], __doc__))
