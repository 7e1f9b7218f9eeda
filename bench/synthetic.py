"""The synthetic stores of part 3: a deterministic catalogue of n monthly core KPIs and
24 months of their returns (April 2023 to March 2025, one file a month), loaded into a
fresh store as a council would load them.

The KPIs mix every measure (sum, snapshot, ratio, cumulative, mean), units,
polarities, targets (plain, ``264 (22 per month)``, twelve cumulative values, under
review, none), tolerance / floor / graded / trust schemes, and some breakdowns
with override targets.  KPI number i is the same in every set (the 50-KPI set is
the first 50 of the 500), and every set has the same four directorates, so the
same five pages.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import common  # noqa: F401  (puts this checkout's kpilib first on sys.path)

from kpilib.rules.periods import fy_months
from kpilib.store import Store

DIRECTORATES = ("Adults & Housing", "Children's Services", "Place & Economy",
                "Corporate Services")
DEPARTMENTS = {
    "Adults & Housing": ("Adult Social Care", "Housing", "Public Health"),
    "Children's Services": ("Education", "Children's Trust", "Early Help"),
    "Place & Economy": ("Highways & Waste", "Growth & Regeneration", "Regulatory Services"),
    "Corporate Services": ("Revenues & Benefits", "Customer Services", "Human Resources"),
}
COMMITMENTS = ("Active, fulfilled lives", "Better, brighter futures", "Safe and thriving places",
               "Modern public services", "Greener, sustainable environment",
               "Connected communities")
YEARS = ("2023-24", "2024-25")
CAT_COLUMNS = ("year", "ref", "name", "directorate", "department", "commitment", "report",
               "theme", "frequency", "measure", "unit", "polarity", "target", "tolerance",
               "floor", "rag_scheme", "travel_scheme", "breakdowns", "breakdown", "benchmark",
               "statutory")
RET_COLUMNS = ("ref", "period", "breakdown", "value", "numerator", "denominator", "status",
               "commentary")
# (weight, measure, unit, polarity, target kind): a realistic monthly core mix
KINDS = (
    (20, "ratio", "percent", "higher", "number"),
    (6, "ratio", "percent", "lower", "number"),
    (3, "ratio", "rate", "lower", "number"),
    (4, "ratio", "days", "lower", "number"),
    (8, "sum", "count", "higher", "per_month"),
    (8, "sum", "count", "none", "none"),
    (3, "sum", "currency", "lower", "number"),
    (8, "snapshot", "count", "lower", "number"),
    (6, "snapshot", "count", "none", "none"),
    (2, "snapshot", "number", "higher", "review"),
    (5, "cumulative", "percent", "higher", "profile"),
    (3, "cumulative", "currency", "higher", "per_month"),
    (5, "mean", "days", "lower", "number"),
    (3, "mean", "number", "higher", "number"),
)
_MONTHS = [m for fy in YEARS for m in fy_months(fy)]
_LINES = ("Demand remains high over the period.", "The service is reviewing the cases behind "
          "this result.", "A recovery plan has been agreed with the Assistant Director.",
          "Performance is monitored through the directorate performance board.")


def _g(x: float) -> str:
    return f"{x:.6f}".rstrip("0").rstrip(".")


def _kpi(i: int) -> dict:
    """KPI number i (the 50-KPI set is the first 50 of the 500)."""
    rng = random.Random(f"kpilib-bench:{i}")
    _, measure, unit, pol, tkind = rng.choices(KINDS, weights=[k[0] for k in KINDS])[0]
    d = DIRECTORATES[i % len(DIRECTORATES)]
    k = {"ref": f"BK{i:03d}", "directorate": d, "department": rng.choice(DEPARTMENTS[d]),
         "commitment": COMMITMENTS[(i // 4) % len(COMMITMENTS)], "measure": measure,
         "unit": unit, "polarity": pol, "rng": rng, "breakdowns": [], "overrides": {},
         "rag_scheme": "", "travel_scheme": "", "tolerance": "", "floor": "", "name":
         f"Synthetic {measure} KPI {i}: {rng.choice(('residents', 'cases', 'requests'))} "
         f"{rng.choice(('completed on time', 'open at month end', 'supported', 'resolved'))}"}
    if unit == "percent":
        level = rng.uniform(60, 95) if pol == "higher" else rng.uniform(5, 30)
        noise = rng.uniform(1, 5)
    elif unit == "rate":
        level, noise = rng.uniform(300, 600), rng.uniform(10, 40)
    elif unit == "days":
        level, noise = rng.uniform(8, 60), rng.uniform(1, 6)
    elif unit == "currency":
        level, noise = rng.uniform(80, 400), rng.uniform(5, 30)
    else:
        level, noise = rng.uniform(20, 900), rng.uniform(2, 60)
    k.update(level=level, noise=noise)
    t = level * rng.uniform(0.95, 1.05)
    if tkind == "none":
        target = ""
    elif tkind == "review":
        target = "review"
    elif tkind == "per_month":
        per = round(t)
        target = f"{per * 12} ({per} per month)"
    elif tkind == "profile":
        steps = [round(98 * m / 12, 1) for m in range(1, 13)]
        target = f"98 ({';'.join(_g(s) for s in steps)})"
    else:
        target = _g(round(min(t, 100) if unit == "percent" else t, 1))
    k["target"] = target
    numeric = tkind not in ("none", "review")
    r = rng.random()
    if numeric and r < 0.1:
        # graded's arrows share symbols with the default nnc's, meaning otherwise: one
        # meaning per symbol within a council (reporting rules 5), so its travel is nnc's
        k["rag_scheme"], k["travel_scheme"] = "graded", ""
    elif numeric and r < 0.2:
        k["rag_scheme"], k["travel_scheme"] = "trust", "trust"
    elif numeric and r < 0.3 and measure not in ("cumulative",) and tkind == "number":
        k["rag_scheme"] = "floor"
        f = float(target) * (0.9 if pol == "higher" else 1.1)
        k["floor"] = _g(round(min(f, 100) if unit == "percent" else f, 1))
    elif numeric:
        tol = rng.choice(("", "", "5%", "10%", "none") + (("5pp",) if unit == "percent" else ()))
        if tkind == "number" and pol == "higher" and rng.random() < 0.15:
            tv = float(target)
            tol = f"{_g(round(tv * 0.9, 1))}-{_g(tv)}"
        k["tolerance"] = tol
    if i % 12 == 5 and measure in ("ratio", "sum", "snapshot"):  # a few with breakdowns
        k["breakdowns"] = ["P1", "P2", "P3", "P4"]
        if measure == "ratio" and numeric and tkind == "number":
            k["overrides"] = {"P1": _g(min(float(target) + 2, 100)), "P2": target}
    if i % 7 == 3:
        k["benchmark"] = "England average 2023-24"
    return k


def _catalogue_rows(kpis: list[dict], fy: str) -> list[dict]:
    rows = []
    for k in kpis:
        rows.append({
            "year": fy, "ref": k["ref"], "name": k["name"], "directorate": k["directorate"],
            "department": k["department"], "commitment": k["commitment"], "report": "core",
            "frequency": "monthly", "measure": k["measure"], "unit": k["unit"],
            "polarity": k["polarity"], "target": k["target"], "tolerance": k["tolerance"],
            "floor": k["floor"], "rag_scheme": k["rag_scheme"],
            "travel_scheme": k["travel_scheme"], "breakdowns": ";".join(k["breakdowns"]),
            "benchmark": k.get("benchmark", ""),
            "statutory": "Single Data List" if k["ref"].endswith("7") else ""})
        rows += [{"year": fy, "ref": k["ref"], "breakdown": b, "target": t}
                 for b, t in k["overrides"].items()]
    return rows


def _value_rows(k: dict, month_index: int, month: str) -> list[dict]:
    """The return rows of one KPI for one month (total first, then breakdowns)."""
    rng = random.Random(f"kpilib-bench:{k['ref']}:{month}")
    m_in_fy = month_index % 12 + 1
    parts = k["breakdowns"] or [""]
    rows = []
    if rng.random() < 0.02:  # an occasional missing return
        return [{"ref": k["ref"], "period": month, "status": "missing",
                 "commentary": "<p>Data was not received in time for this report.</p>"}]
    comment = (f"<p>{rng.choice(_LINES)}</p>" if rng.random() < 0.25 else "")
    measure, unit = k["measure"], k["unit"]
    vals = []
    for _ in parts:
        v = max(0.0, rng.gauss(k["level"], k["noise"]))
        if measure == "ratio":
            den = rng.randint(40, 2000) if unit != "rate" else 75000
            scale = {"percent": 100.0, "rate": 100000.0}.get(unit, 1.0)
            num = round((min(v, 100.0) if unit == "percent" else v) * den / scale)
            vals.append((None, num, den))
        elif measure == "cumulative" and unit == "percent":
            den = 250_000
            num = round(den * min(99.5, v / 90 * 98 * m_in_fy / 12) / 100)
            vals.append((None, num, den))
        elif measure == "cumulative":
            vals.append((round(v * m_in_fy, 1), None, None))
        else:
            vals.append((round(v, 1) if unit != "count" else round(v), None, None))
    if k["breakdowns"]:
        if measure == "ratio":
            total = (None, sum(p[1] for p in vals), sum(p[2] for p in vals))
        else:
            total = (round(sum(p[0] for p in vals), 1), None, None)
        items = [("", total)] + list(zip(parts, vals, strict=True))
    else:
        items = [("", vals[0])]
    for bd, (v, n, d) in items:
        rows.append({"ref": k["ref"], "period": month, "breakdown": bd,
                     "value": "" if v is None else _g(v),
                     "numerator": "" if n is None else str(n),
                     "denominator": "" if d is None else str(d),
                     "commentary": comment if bd == "" else ""})
    return rows


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, restval="", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def build_synthetic_store(n: int, folder: Path) -> tuple[Path, int]:
    """Catalogues (2023-24, 2024-25) and 24 monthly returns files for n KPIs, loaded in order."""
    folder.mkdir(parents=True, exist_ok=True)
    kpis = [_kpi(i) for i in range(n)]
    store = Store.open(folder / "store.sqlite")
    for fy, when in zip(YEARS, ("2023-04-03T08:30:00Z", "2024-04-02T08:30:00Z"), strict=True):
        path = folder / f"catalogue-{fy}.csv"
        _write_csv(path, CAT_COLUMNS, _catalogue_rows(kpis, fy))
        store.load_catalogue(path, loaded_at=when)
    rows_total = 0
    for idx, month in enumerate(_MONTHS):
        rows = [r for k in kpis for r in _value_rows(k, idx, month)]
        rows_total += len(rows)
        path = folder / f"returns-{month}.csv"
        _write_csv(path, RET_COLUMNS, rows)
        nxt = _MONTHS[idx + 1] if idx + 1 < len(_MONTHS) else "2025-04"
        store.load_returns(path, loaded_at=f"{nxt}-08T09:30:00Z")
    store.close()
    return folder / "store.sqlite", rows_total

