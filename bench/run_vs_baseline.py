"""Part 1, baseline vs ``kpi run`` on the demo month (2025-03, core, as of
2025-06-30T00:00:00Z).  Target: ratio <= 0.08 (``common.TARGET_RATIO``).

The naive way is the ``papermill`` CLI then the ``jupyter nbconvert --to html`` CLI,
page after page, on the very notebooks ``kpi run`` executes (the package's
``overview.ipynb`` and ``section.ipynb``, or the project's own notebook of a
section where it has one); ``kpi run PARAMS`` renders the same pages.  One
throwaway ``kpi run`` first, then the two alternate and their medians are compared.

    .venv/bin/python bench/run_vs_baseline.py --quick
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from common import (
    AS_OF,
    BIN,
    PERIOD,
    REPORT,
    ROOT,
    TARGET_RATIO,
    Context,
    demo_store,
    fmt_runs,
    main,
    section,
    timed,
    verdict,
    write_params,
)
from noise import measure, noise_note, noise_text

NAME = "run"


def kpi_run_command(params_file: Path) -> tuple[list[str], str]:
    """The ``kpi run PARAMS`` command line, and how it is described in the output."""
    return [str(BIN / "kpi"), "run", str(params_file)], "kpi run"


def notebooks(sections: list[str]) -> list[tuple[Path, str, list[str]]]:
    """(notebook, output stem, extra papermill arguments) of every page, overview first:
    the notebooks ``kpi run`` picks (:func:`kpilib.run.locate.find_notebook`)."""
    from kpilib import registry
    from kpilib.render.html import page_file, slug
    from kpilib.run.locate import find_notebook

    rtype = registry.get(REPORT)
    pages = [(find_notebook(REPORT, rtype.overview_notebook, root=ROOT).path, "index", [])]
    for s in sections:
        nb = find_notebook(REPORT, rtype.section_notebook, slug(s), ROOT).path
        pages.append((nb, page_file(s)[:-5], ["-p", "section", s]))
    return pages


def baseline(store: Path, sections: list[str], work: Path) -> float:
    """papermill CLI then nbconvert CLI, page after page, sequentially."""
    from kpilib.settings.params import normalise_moment

    work.mkdir(parents=True, exist_ok=True)
    common = ["-p", "store", str(store), "-p", "period", PERIOD, "-p", "report_set", REPORT]
    as_of = ["-p", "as_of", normalise_moment(AS_OF)]  # the moment kpi run passes its kernels
    start = time.perf_counter()
    for nb, stem, extra in notebooks(sections):
        out = work / f"{stem}.ipynb"
        timed([str(BIN / "papermill"), str(nb), str(out), *common, *extra, *as_of],
              f"papermill {nb.name} {extra[-1:] or ''}")
        timed([str(BIN / "jupyter"), "nbconvert", "--to", "html", str(out)],
              f"jupyter nbconvert {out.name}")
    return time.perf_counter() - start


def bench(ctx: Context) -> None:
    from kpilib.notebook import open_report
    from kpilib.settings.params import normalise_moment

    section("1. naive baseline (papermill + nbconvert CLIs) vs kpi run: demo 2025-03 core")
    tmp, results = ctx.tmp, ctx.results
    store = demo_store(tmp)
    sections = open_report(str(store), PERIOD, REPORT, normalise_moment(AS_OF)).sections()
    results["pages"] = len(sections) + 1
    print(f"pages: overview + {len(sections)} directorates ({'; '.join(sections)})")

    cmd_for = {}

    def kpi_run(label: str) -> Path:
        out = tmp / f"out-{label}"
        params = write_params(tmp / f"params-{label}.yaml", store, out)
        cmd, how = kpi_run_command(params)
        cmd_for.setdefault("how", how)
        timed(cmd, f"kpi run ({how})")
        return out / PERIOD / REPORT

    warm, warm_noise, _ = measure(lambda: kpi_run("warmup"))
    print(f"kpi run command: {cmd_for['how']}")
    print(f"warm-up kpi run (not counted): {warm:.1f} s{noise_text(warm_noise)}")
    base_times, run_times, noises = [], [], []
    for rep in range(1, ctx.reps + 1):  # interleaved, so that drift hits both alike
        b, bn, _ = measure(lambda rep=rep: baseline(store, sections, tmp / f"baseline-{rep}"))
        r, rn, ctx.folder = measure(lambda rep=rep: kpi_run(f"run{rep}"))
        base_times.append(b)
        run_times.append(r)
        noises += [bn.share, rn.share]
        print(f"  rep {rep}: baseline {b:.1f} s{noise_text(bn)}", flush=True)
        print(f"  rep {rep}: kpi run  {r:.1f} s{noise_text(rn)}", flush=True)
    b, r = statistics.median(base_times), statistics.median(run_times)
    ratio = r / b
    print(f"baseline: {fmt_runs(base_times)}")
    print(f"kpi run:  {fmt_runs(run_times)}")
    print(f"ratio kpi run / baseline: {ratio:.2f}  (target <= {TARGET_RATIO})  "
          f"{verdict(ratio <= TARGET_RATIO)}")
    results.update(baseline=b, kpi_run=r, ratio=ratio, how=cmd_for["how"],
                   run_noise=noises)


def summary(results: dict) -> str:
    if "ratio" not in results:
        return ""
    pages = results.get("pages", "?")
    return (f"baseline (papermill + nbconvert CLI, {pages} pages): {results['baseline']:6.1f} s\n"
            f"kpi run (same pages):{'':27s}{results['kpi_run']:6.1f} s   ratio "
            f"{results['ratio']:.2f}  target <= {TARGET_RATIO}  "
            f"{verdict(results['ratio'] <= TARGET_RATIO)}\n"
            + noise_note(results.get("run_noise")))


if __name__ == "__main__":
    sys.exit(main([sys.modules[__name__]], __doc__))
