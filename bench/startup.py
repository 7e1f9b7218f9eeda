"""Part 0, start-up: what a fresh interpreter pays to import the modules every report run
imports (papermill's and nbconvert's CLIs, ``kpi run``'s parent, every kernel).
Informational: no target.

    .venv/bin/python bench/startup.py
"""

from __future__ import annotations

import importlib.util
import statistics
import subprocess
import sys

from common import PYTHON, ROOT, Context, StepError, env, main, section

NAME = "startup"


def import_seconds(module: str) -> float:
    """Seconds a fresh venv interpreter takes to import ``module`` (median of 2)."""
    code = ("import time; t = time.perf_counter(); import " + module
            + "; print(time.perf_counter() - t)")
    runs = []
    for _ in range(2):
        proc = subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=env(), capture_output=True,
                              text=True)
        if proc.returncode != 0:
            raise StepError(f"python -c 'import {module}' failed: {proc.stderr.strip()[-300:]}")
        runs.append(float(proc.stdout.strip().splitlines()[-1]))
    return statistics.median(runs)


def bench(ctx: Context) -> None:
    section("0. start-up costs paid by every process (informational)")
    probes = [("nbformat", "papermill/nbconvert CLIs import it"),
              ("kpilib, nbformat", "kpi run's parent: kpilib defers rfc3987_syntax "
                                   "(kpilib/startup.py)"),
              ("kpilib.notebook", "imported once per run, by the kernel zygote "
                                  "(kpilib/run/zygote.py); kernels are its forks")]
    if importlib.util.find_spec("rfc3987_syntax") is not None:
        probes.insert(1, ("rfc3987_syntax", "pulled in by jsonschema (via nbformat); "
                                            "compiles Lark grammars at import"))
    if importlib.util.find_spec("pandera") is not None:
        probes.append(("pandera.pandas", "validation only: `kpi load` imports it, kernels do not"))
    for module, why in probes:
        t = import_seconds(module)
        ctx.results.setdefault("imports", {})[module] = t
        print(f"  import {module:18s} {t:5.2f} s  ({why})", flush=True)


def summary(results: dict) -> str:
    return ""  # informational: the figures above are the whole story


if __name__ == "__main__":
    sys.exit(main([sys.modules[__name__]], __doc__))
