"""Report-run benchmarks: what ``kpi run`` costs, and what it saves.

Runs the parts below in order, then a summary block with PASS/FAIL:

0. start-up (:mod:`startup`): import times paid by every process; informational.
1. baseline vs ``kpi run`` (:mod:`run_vs_baseline`): papermill + nbconvert CLIs page
   after page against one ``kpi run`` of the demo month.  Target: ratio <= 0.08.
1b. an unchanged re-run (:mod:`unchanged`): ``kpi run`` again over its own publication,
   verified and kept, nothing executed.  Targets: <= 0.25 of a first run, <= 0.02x the
   baseline.
2. page size (:mod:`page_size`): every page <= 300 KB with plotly.js shared in
   ``assets/``; a ``self_contained`` run inlines plotly.js exactly once per page.
3. marginal cost per KPI (:mod:`marginal_cost`): synthetic 50 vs 500 KPIs
   (:mod:`synthetic`), (t500 - t50) / 450 <= 25 ms, and where the time goes.
4. a crowded store (:mod:`crowded_store`): ``kpi run`` of 2024-02 with 20,000 KPIs of
   another year and a million return rows besides, over the same run on the demo store.
   Target: ratio <= 1.3 (the crowded store is cached under build/bench/).

Shared helpers are in :mod:`common` and :mod:`noise`; each part also runs on its own
(``python bench/page_size.py --quick``).  Everything is written under a temporary
directory; nothing touches data/ or outputs/.  Figures only: a missed target prints
FAIL but exits 0; the exit code is 1 only when a step crashed.

    .venv/bin/python bench/run_bench.py            # 2 repetitions of each timing
    .venv/bin/python bench/run_bench.py --quick    # 1 repetition (about 2-3 minutes)
    .venv/bin/python bench/run_bench.py --only run --only size   # some parts only
    .venv/bin/python bench/unchanged.py --quick    # the unchanged re-run only
    .venv/bin/python bench/run_bench.py --profile  # also cProfile render.section_body
"""

from __future__ import annotations

import sys

import crowded_store
import marginal_cost
import page_size
import run_vs_baseline
import startup
import unchanged
from common import main as run_parts

PARTS = [startup, run_vs_baseline, unchanged, page_size, marginal_cost, crowded_store]


def main(argv: list[str] | None = None) -> int:
    return run_parts(PARTS, __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
