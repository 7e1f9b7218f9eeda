"""Part 3, marginal cost per KPI: synthetic catalogues of 50 and of 500 monthly core KPIs
(same four directorates, so the same five pages; :mod:`synthetic`), 24 months of
returns, one in-process run each per repetition, fastest kept:
``(t500 - t50) / 450``.  Target <= 25 ms.  Then where the time goes (store read,
``build_report``, ``open_report``, ``render.section_body``, the overview, nbconvert),
measured in-process for both sizes; ``--profile`` adds a cProfile of one section body.

The synthetic KPIs are not the demo council's, so their reports run in a council home of
their own (a copy of the project's ``council.yaml`` in an empty folder): the standard
notebooks only (the project's own section notebooks, e.g.
``notebooks/core/children-s-services.ipynb``, chart demo KPIs).

    .venv/bin/python bench/marginal_cost.py --quick
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
from pathlib import Path

from common import (
    AS_OF,
    PERIOD,
    REPORT,
    ROOT,
    TARGET_MARGINAL_MS,
    Context,
    fmt_runs,
    kb,
    main,
    run_params,
    section,
    verdict,
)
from noise import measure, noise_note, noise_text
from synthetic import build_synthetic_store

NAME = "marginal"
SIZES = (50, 500)


def council_file() -> str | None:
    """The project's council settings, named explicitly (runs start from another folder)."""
    path = ROOT / "council.yaml"
    return str(path) if path.is_file() else None


def own_home(project: Path) -> str | None:
    """The project's council settings copied into ``project`` (with the logo they name), so
    that the synthetic council's home is ``project``: its notebooks and templates are
    kpilib's, never the demo council's (its notebooks chart demo KPIs)."""
    source = council_file()
    if source is None:
        return None
    shutil.copy(source, project / "council.yaml")
    logo = ROOT / "branding"
    if logo.is_dir():
        shutil.copytree(logo, project / "branding", dirs_exist_ok=True)
    return str(project / "council.yaml")


def split(store: Path) -> dict:
    """In-process time of each piece of a run's work (one pass, warm imports)."""
    import nbformat

    from kpilib import notebook as kn
    from kpilib.render import page
    from kpilib.reports.model import build_report
    from kpilib.settings.params import normalise_moment
    from kpilib.store import Store

    as_of = normalise_moment(AS_OF)
    out = {}
    t = time.perf_counter()
    s = Store.open(str(store))
    cat, ret = s.catalogue(as_of=as_of), s.returns(as_of=as_of)
    out["store read"] = time.perf_counter() - t
    t = time.perf_counter()
    rep = build_report(cat, ret, PERIOD, REPORT, as_of)
    out["build_report"] = time.perf_counter() - t
    t = time.perf_counter()
    rep = kn.open_report(str(store), PERIOD, REPORT, as_of, council_file())
    out["open_report (per kernel)"] = time.perf_counter() - t
    branding = page.branding_resources(rep.branding) if rep.branding else None
    tops = bodies = html = 0.0
    for sec in rep.sections():
        t = time.perf_counter()
        top = kn.section_page_top(rep, sec)
        t1 = time.perf_counter()
        body = kn.section_page_body(rep, sec)
        t2 = time.perf_counter()
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[
            nbformat.v4.new_output("execute_result", data={"text/html": h}, execution_count=1)
            for h in (top, body)])])
        t3 = time.perf_counter()
        page.to_html(nb, sec, page.footer_text(), False, branding)
        html += time.perf_counter() - t3
        tops += t1 - t
        bodies += t2 - t1
    out["section_page_top (all pages)"] = tops
    out["render.section_body (all pages)"] = bodies
    t = time.perf_counter()
    kn.overview_page(rep)
    out["overview_page"] = time.perf_counter() - t
    out["nbconvert to_html (directorate pages)"] = html
    s.close()
    return out


def profile_body(store: Path) -> None:
    import cProfile
    import pstats

    from kpilib import notebook as kn
    from kpilib.settings.params import normalise_moment

    rep = kn.open_report(str(store), PERIOD, REPORT, normalise_moment(AS_OF), council_file())
    sec = rep.sections()[0]
    prof = cProfile.Profile()
    prof.enable()
    kn.section_page_body(rep, sec)
    prof.disable()
    print(f"cProfile of section_page_body({sec!r}), 500-KPI store, top by cumulative time:")
    pstats.Stats(prof, stream=sys.stdout).sort_stats("cumulative").print_stats(18)


def print_split(stores: dict, results: dict) -> None:
    print("where the time goes (in-process, one pass; each of the run's kernels repeats "
          "open_report):")
    s50, s500 = split(stores[50]), split(stores[500])
    print(f"  {'piece':42s} {'50 KPIs':>9s} {'500 KPIs':>9s} {'ms/KPI':>7s}")
    for key in s500:
        marg = (s500[key] - s50[key]) / 450 * 1000
        print(f"  {key:42s} {s50[key]:8.2f}s {s500[key]:8.2f}s {marg:7.2f}")
    pages_n = results.get("pages", 5)
    work = (pages_n * s500["open_report (per kernel)"] + s500["render.section_body (all pages)"]
            + s500["section_page_top (all pages)"] + s500["overview_page"]
            + s500["nbconvert to_html (directorate pages)"])
    print(f"  => kpilib work in one 500-KPI run: about {work:.1f} s of CPU "
          f"({pages_n} x open_report + rendering + nbconvert), spread over "
          f"{os.cpu_count()} cores, on top of kernel start-up")
    results["split"] = s500


def bench(ctx: Context) -> None:
    from kpilib.run.runner import prepare_workers, run

    section("3. marginal cost per KPI: synthetic 50 vs 500 KPIs, 24 months of returns")
    results, stores = ctx.results, {}
    for n in SIZES:
        t = time.perf_counter()
        stores[n], rows = build_synthetic_store(n, ctx.tmp / f"synthetic-{n}")
        print(f"{n:3d} KPIs: {rows:,} return rows in 24 files, generated and loaded in "
              f"{time.perf_counter() - t:.1f} s")
    prepare_workers()  # the parent's imports, so that neither size pays them
    project = ctx.tmp / "synthetic-project"  # no notebooks/ of its own: the standard ones
    project.mkdir()
    settings = own_home(project)
    times: dict[int, list[float]] = {n: [] for n in SIZES}
    folders, noises = {}, []
    for rep in range(1, ctx.reps + 1):
        for n in SIZES:
            params = run_params(stores[n], ctx.tmp / f"out-synthetic-{n}-{rep}", settings)
            with contextlib.chdir(project):
                t, tn, summary_ = measure(lambda p=params: run(p, show_progress=False)[0])
            times[n].append(t)
            noises.append(tn.share)
            folders[n] = summary_.folder
            print(f"  rep {rep}: {n:3d} KPIs, {summary_.pages} pages, {summary_.kpis} KPIs "
                  f"shown: {t:.1f} s{noise_text(tn)}", flush=True)
    t50, t500 = min(times[50]), min(times[500])
    per_kpi = (t500 - t50) / 450 * 1000
    print(f"50 KPIs:  {fmt_runs(times[50])}; fastest {t50:.1f} s")
    print(f"500 KPIs: {fmt_runs(times[500])}; fastest {t500:.1f} s")
    print(f"marginal cost per KPI (t500 - t50) / 450: {per_kpi:.1f} ms  "
          f"(target <= {TARGET_MARGINAL_MS:g} ms)  {verdict(per_kpi <= TARGET_MARGINAL_MS)}")
    results["marginal"] = (t50, t500, per_kpi)
    results["marginal_noise"] = noises
    pages = sorted(folders[500].glob("*.html"), key=lambda p: p.stat().st_size, reverse=True)
    print("500-KPI run pages: " + ", ".join(f"{p.name} {kb(p.stat().st_size)}" for p in pages))
    print_split(stores, results)
    if ctx.profile:
        profile_body(stores[500])


def summary(results: dict) -> str:
    if "marginal" not in results:
        return ""
    t50, t500, per = results["marginal"]
    return (f"marginal cost per KPI (50 -> 500 KPIs: {t50:.1f} s -> {t500:.1f} s): {per:.1f} ms"
            f"  target <= {TARGET_MARGINAL_MS:g} ms  {verdict(per <= TARGET_MARGINAL_MS)}\n"
            + noise_note(results.get("marginal_noise")))


if __name__ == "__main__":
    sys.exit(main([sys.modules[__name__]], __doc__))
