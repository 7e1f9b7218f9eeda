"""What every report-run benchmark shares: paths, the run's constants, formatting, timed
subprocesses, the demo store, and the command line that runs one part or several.

A part is a module with ``NAME`` (its ``--only`` value), ``bench(ctx)`` (prints its
figures and records them in ``ctx.results``) and ``summary(results)`` (its lines of
the final summary block).  :func:`main` runs parts in a temporary directory, reports
a crashed part and carries on, then prints the summary.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # this checkout's kpilib, not an installed one

import noise  # noqa: E402

_VENV_BIN = ROOT / ".venv" / "bin"
BIN = _VENV_BIN if (_VENV_BIN / "python").exists() else Path(sys.executable).parent
PYTHON = str(BIN / "python")

PERIOD = "2025-03"
REPORT = "core"
AS_OF = "2025-06-30T00:00:00Z"
KB = 1000  # page sizes in KB of 1000 bytes (the stricter reading of the target)

TARGET_RATIO = 0.08  # issue 23 (0.15 before)
TARGET_PAGE_KB = 300
TARGET_MARGINAL_MS = 25.0


class StepError(Exception):
    """A benchmark step crashed (a command failed, a run raised)."""


@dataclass
class Context:
    """One benchmark invocation: its temporary folder, repetitions and figures."""

    tmp: Path
    reps: int
    profile: bool = False
    results: dict = field(default_factory=dict)
    folder: Path | None = None  # the folder of part "run"'s last kpi run (for part "size")


# --------------------------------------------------------------------------- formatting


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def fmt_runs(times: list[float]) -> str:
    """``median 12.3 s of [12.1, 12.3, 13.0] (spread 7%)``; one run as ``12.3 s (1 run)``."""
    if len(times) == 1:
        return f"{times[0]:.1f} s (1 run)"
    spread = (max(times) - min(times)) / statistics.median(times) * 100
    runs = ", ".join(f"{t:.1f}" for t in times)
    return f"median {statistics.median(times):.1f} s of [{runs}] (spread {spread:.0f}%)"


def kb(n: int) -> str:
    return f"{n / KB:,.0f} KB" if n < KB * KB else f"{n / KB / KB:.1f} MB"


def section(title: str) -> None:
    print(f"\n== {title}", flush=True)


# --------------------------------------------------------------------------- subprocesses


def env() -> dict:
    """The environment of every subprocess: the venv's commands first on PATH."""
    out = dict(os.environ)
    out["PATH"] = f"{BIN}{os.pathsep}{out.get('PATH', '')}"
    return out


def timed(cmd: list[str], what: str) -> float:
    """Run a command from the repo root; its wall-clock seconds.  StepError if it fails."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env(), capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise StepError(f"{what} failed (exit {proc.returncode}):\n{tail}")
    return seconds


# --------------------------------------------------------------------------- the demo run


def write_params(path: Path, store: Path, output_dir: Path, period: str = PERIOD) -> Path:
    """A parameter file for ``kpi run``: the demo month (or ``period``), core, as of AS_OF."""
    # JSON strings are YAML double-quoted scalars: the period stays a string.
    text = "".join(f"{k}: {json.dumps(str(v))}\n" for k, v in (
        ("period", period), ("report", REPORT), ("store", store), ("as_of", AS_OF),
        ("output_dir", output_dir)))
    path.write_text(text, encoding="utf-8")
    return path


def run_params(store: Path, output_dir: Path, council: str | None = None):
    """The same parameters as :func:`write_params`, for the in-process runner; ``council``
    names a council settings file (default: ``council.yaml`` in the current folder)."""
    from kpilib.settings.params import validate

    raw = {"period": PERIOD, "report": REPORT, "store": str(store), "as_of": AS_OF,
           "output_dir": str(output_dir)}
    if council is not None:
        raw["council"] = council
    return validate(raw, source="bench")


def demo_store(tmp: Path) -> Path:
    """``tmp/demo.sqlite``, the demo council's store, built on first use."""
    from kpilib.demo import build_demo_store
    from kpilib.store import Store

    store = tmp / "demo.sqlite"
    if not store.exists():
        t = time.perf_counter()
        build_demo_store(Store.open(store), tmp / "demo-files")
        print(f"demo store built in {time.perf_counter() - t:.1f} s")
    return store


# --------------------------------------------------------------------------- command line


def parser(doc: str, names: list[str]) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=" ".join(doc.split("\n\n")[0].split()))
    ap.add_argument("--quick", action="store_true", help="one repetition of each timing")
    ap.add_argument("--reps", type=int, default=None,
                    help="repetitions of each timing (default 2; --quick: 1)")
    if "marginal" in names:
        ap.add_argument("--profile", action="store_true",
                        help="also print a cProfile of render.section_body on 500 KPIs")
    ap.add_argument("--wait-quiet", type=float, default=15.0, metavar="SECONDS",
                    help="before each timing, wait up to this long for other processes to use "
                         "< 15%% of the CPUs (default 15; 60 s in all; 0: never wait)")
    if len(names) > 1:
        ap.add_argument("--only", choices=names, action="append",
                        help="run only these parts (repeatable); default all")
    return ap


def summary(parts: list, results: dict, errors: list[str]) -> None:
    print("\n== summary")
    for part in parts:
        print(part.summary(results), end="")
    for e in errors:
        print(f"ERROR: {e.splitlines()[0]}")


def main(parts: list, doc: str, argv: list[str] | None = None) -> int:
    """Run ``parts`` (modules) as the command line asks; exit code 1 if a part crashed."""
    names = [p.NAME for p in parts]
    args = parser(doc, names).parse_args(argv)
    reps = args.reps or (1 if args.quick else 2)
    noise.WAIT["limit"] = args.wait_quiet
    chosen = set(getattr(args, "only", None) or names)
    errors: list[str] = []
    start = time.perf_counter()
    print(f"kpilib report-run benchmarks: {reps} repetition(s), {os.cpu_count()} CPUs, "
          f"python {sys.version.split()[0]}, venv {BIN}")
    with tempfile.TemporaryDirectory(prefix="kpi-bench-") as tmp:
        ctx = Context(Path(tmp), reps, getattr(args, "profile", False))
        for part in parts:
            if part.NAME not in chosen:
                continue
            try:
                part.bench(ctx)
            except Exception as e:  # report the crash, carry on with the other parts
                text = str(e) if isinstance(e, StepError) else traceback.format_exc()
                print(f"ERROR in part {part.NAME}: {text}", flush=True)
                errors.append(f"part {part.NAME}: {text}")
    summary([p for p in parts if p.NAME in chosen], ctx.results, errors)
    print(f"(benchmark wall time {time.perf_counter() - start:.0f} s)")
    return 1 if errors else 0
