"""Part 2, page size: every HTML page of a ``kpi run`` of the demo month (plotly.js
shared as ``assets/plotly.min.js``; target <= 300 KB a page, KB = 1000 bytes), then a
``self_contained`` run, whose pages must each inline plotly.js exactly once.

The shared pages are those of part 1's last ``kpi run``; run on its own (or
``--only size``), this part makes them with one untimed in-process run.

    .venv/bin/python bench/page_size.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from common import (
    KB,
    PERIOD,
    REPORT,
    TARGET_PAGE_KB,
    Context,
    demo_store,
    kb,
    main,
    run_params,
    section,
    verdict,
)
from noise import measure, noise_text

NAME = "size"
SHARED = 'src="assets/plotly.min.js"'


def plotly_markers() -> list[str]:
    """Two substrings of plotly.min.js (its banner and a slice of its middle)."""
    from kpilib.render.page import plotly_js_path

    js = plotly_js_path().read_text(encoding="utf-8")
    head = js[:120].strip().splitlines()
    banner = next((line for line in head if "plotly.js" in line), js[:60])
    mid = js[len(js) // 2: len(js) // 2 + 200]
    return [banner, mid]


def shared_pages(folder: Path, results: dict) -> None:
    """The pages of a run with plotly.js in assets/: each at most TARGET_PAGE_KB."""
    pages = sorted(folder.glob("*.html"))
    asset = folder / "assets" / "plotly.min.js"
    linked = all(SHARED in p.read_text(encoding="utf-8") for p in pages)
    print(f"kpi run pages ({folder}); assets/plotly.min.js "
          f"{kb(asset.stat().st_size) if asset.exists() else 'MISSING'}, "
          f"referenced by every page: {linked}")
    for p in pages:
        print(f"  {p.name:45s} {kb(p.stat().st_size):>8s}")
    largest = max(pages, key=lambda p: p.stat().st_size)
    ok = largest.stat().st_size <= TARGET_PAGE_KB * KB and asset.exists() and linked
    results["largest"] = (largest.name, largest.stat().st_size, ok)
    print(f"largest page: {largest.name} {kb(largest.stat().st_size)}  "
          f"(target <= {TARGET_PAGE_KB} KB, plotly.js shared)  {verdict(ok)}")


def self_contained_pages(store: Path, out: Path, results: dict) -> None:
    """A self_contained run: every page inlines plotly.js once and links nothing."""
    from kpilib.run.runner import run

    t, tn, _ = measure(lambda: run(run_params(store, out), self_contained=True,
                                   show_progress=False))
    print(f"self-contained run (in-process runner, not a target): {t:.1f} s{noise_text(tn)}")
    markers = plotly_markers()
    pages = sorted((out / PERIOD / REPORT).glob("*.html"))
    counts_ok = True
    for p in pages:
        text = p.read_text(encoding="utf-8")
        counts = [text.count(m) for m in markers]
        external = SHARED in text
        good = all(c == 1 for c in counts) and not external
        counts_ok &= good
        print(f"  {p.name:45s} {kb(p.stat().st_size):>8s}  plotly.js banner x{counts[0]}, "
              f"body slice x{counts[1]}{', ALSO links assets/' if external else ''}")
    if (out / PERIOD / REPORT / "assets").exists():
        print("  note: the self-contained folder still has an assets/ folder")
    one = max(pages, key=lambda p: p.stat().st_size)
    results["self_contained"] = (one.name, one.stat().st_size, counts_ok and bool(pages))
    print(f"self-contained: every page inlines plotly.js exactly once: "
          f"{verdict(counts_ok and bool(pages))}")


def bench(ctx: Context) -> None:
    section("2. page size")
    store = demo_store(ctx.tmp)
    folder = ctx.folder
    if folder is None:  # part 1 did not run: make the shared pages here (untimed)
        from kpilib.run.runner import run

        out = ctx.tmp / "out-shared"
        run(run_params(store, out), show_progress=False)
        folder = out / PERIOD / REPORT
        print("(no kpi run from part 1: shared pages made by the in-process runner)")
    shared_pages(folder, ctx.results)
    self_contained_pages(store, ctx.tmp / "out-self-contained", ctx.results)


def summary(results: dict) -> str:
    lines = ""
    if "largest" in results:
        name, size, ok = results["largest"]
        lines += (f"largest page: {name} {kb(size)}{'':18s}target <= {TARGET_PAGE_KB} KB  "
                  f"{verdict(ok)}\n")
    if "self_contained" in results:
        name, size, ok = results["self_contained"]
        lines += (f"self-contained page: {name} {kb(size)}, plotly.js inlined once per page"
                  f"{'':3s}{verdict(ok)}\n")
    return lines


if __name__ == "__main__":
    sys.exit(main([sys.modules[__name__]], __doc__))
