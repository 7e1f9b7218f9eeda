"""``kpi revisions RUN``: values a published report shows that the store has revised since."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kpilib.publish.manifest import read_manifest
from kpilib.rules.periods import (
    fy_id,
    fy_months,
    fy_quarters,
    parse_fy,
    parse_period,
    quarter_of_month,
)
from kpilib.store import open_store


def shown_periods(period: str) -> set[str]:
    """Every month and quarter whose figures a report on ``period`` shows: its columns and
    its trend charts (the previous financial year and this one, up to the period)."""
    per = parse_period(period)
    last_month = per.months[-1]
    last_quarter = quarter_of_month(last_month)
    shown = set(fy_months(fy_id(parse_fy(per.fy) - 1)) + fy_quarters(fy_id(parse_fy(per.fy) - 1)))
    shown.update(m for m in fy_months(per.fy) if m <= last_month)
    shown.update(q for q in fy_quarters(per.fy) if q <= last_quarter)
    return shown


def published_revisions(folder: Path, store: str | None = None) -> pd.DataFrame:
    """Values shown in a published report that the store has revised since it was run."""
    manifest = read_manifest(Path(folder))
    p = manifest["parameters"]
    s = open_store(store or p["store"])
    periods = shown_periods(p["period"])
    results = pd.read_csv(Path(folder) / "results.csv", dtype=str, keep_default_na=False) \
        if (Path(folder) / "results.csv").exists() else None
    refs = set(results["ref"]) if results is not None else None
    bound = p.get("loads_through")  # the loads the run read (absent in older manifests)
    bound = bound if isinstance(bound, int) and not isinstance(bound, bool) else None
    then = s.returns(as_of=manifest["as_of"], loads_through=bound)
    now = s.returns()
    key = ["ref", "period", "breakdown"]
    m = then.merge(now, on=key, how="right", suffixes=("_pub", ""))
    m = m[m["period"].isin(periods)]
    if refs is not None:
        m = m[m["ref"].isin(refs)]
    later = m["loaded_at_pub"].isna() | (m["loaded_at"] != m["loaded_at_pub"])  # not read
    differs = pd.Series(False, index=m.index)
    for c in ("value", "numerator", "denominator", "status"):
        a, b = m[f"{c}_pub"], m[c]
        differs |= ~((a == b) | (a.isna() & b.isna()))
    out = m[later & differs].copy()  # a later load of the same figures is not a revision
    cols = ["ref", "period", "breakdown", "value_pub", "value", "status_pub", "status",
            "loaded_at", "source_file"]
    out = out.loc[:, cols].rename(columns={
        "value_pub": "published_value", "value": "current_value", "status_pub": "published_status",
        "status": "current_status", "loaded_at": "revised_at"})
    return out.sort_values(key, kind="stable").reset_index(drop=True)
