"""The demo council's peers: a synthetic group of 16 councils (``kpi demo``, reporting rules
7.11-7.13).

North Northamptonshire (``E06000061``) and fifteen real English unitary councils of similar
size and make-up, by their real ONS GSS codes and names, form the group ``Nearest
neighbours (demo)``.  The group resembles a CIPFA-style nearest-neighbour group; it is not
CIPFA's published list, and every figure but the council's own is synthetic.

Figures are annual (financial years 2022-23, the latest published while the demo's first
year runs, and the demo's years 2023-24 and 2024-25), for seven of the demo's KPIs that
national datasets publish (:data:`METRICS`, mapped by the catalogue's ``metric`` column).
Each is drawn from ``random.Random(f"{PEER_SEED}:{metric}:{body}")``, ``...:{body}:{year}`` and
``random.Random(f"{PEER_SEED}:{metric}:{year}")``: a council's own lasting level (a normal
deviate, weight 0.8), the year's (weight 0.3) and the council's year's (weight 0.3) times
the metric's spread, around the metric's England-like centre; denominators scale the
council's own by population (census 2021, rounded), so the group spans small and large
denominators as a funnel plot needs.
The council's own figure for 2023-24 and 2024-25 is its own returns' year (sum of
numerators over sum of denominators); for 2022-23 it is its generator's level less one
year's drift.  Nothing depends on the clock or hash seeds: same bytes on every build.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from kpilib.rules.periods import parse_period

PEER_SEED = 20240222
OWN = "E06000061"
GROUP = "Nearest neighbours (demo)"
PEER_YEARS = ("2022-23", "2023-24", "2024-25")
# GSS code -> (name, population 2021 census in thousands, rounded)
BODIES = {
    OWN: ("North Northamptonshire", 359),
    "E06000062": ("West Northamptonshire", 426),
    "E06000055": ("Bedford", 185),
    "E06000056": ("Central Bedfordshire", 294),
    "E06000042": ("Milton Keynes", 287),
    "E06000030": ("Swindon", 233),
    "E06000031": ("Peterborough", 216),
    "E06000020": ("Telford and Wrekin", 186),
    "E06000007": ("Warrington", 211),
    "E06000013": ("North Lincolnshire", 170),
    "E06000012": ("North East Lincolnshire", 157),
    "E06000004": ("Stockton-on-Tees", 197),
    "E06000005": ("Darlington", 108),
    "E06000054": ("Wiltshire", 510),
    "E06000051": ("Shropshire", 324),
    "E06000035": ("Medway", 280),
}
# KPI ref -> (metric id, centre, spread): the spread is one standard deviation between
# councils, in the KPI's unit (percentage points, or per 100,000)
METRICS = {
    "AFL07": ("ASCOF-2A2", 560.8, 95.0),
    "AFL08": ("ASCOF-2D", 77.5, 6.0),
    "BBF05": ("CIN-REREFERRAL-12M", 22.4, 4.5),
    "BBF06": ("CIN-ASSESSMENT-45D", 82.0, 7.0),
    "BBF07": ("CLA-3-PLACEMENTS", 10.0, 2.0),
    "STP16": ("PS2-NON-MAJOR-IN-TIME", 84.0, 5.0),
    "SVC09": ("NI192-RECYCLING", 41.7, 7.0),
}
_SCALE = {"percent": 100.0, "rate": 100_000.0}
BODIES_LOADED_AT = "2023-04-03T08:40:00.000000Z"  # after the first catalogue
GROUPS_LOADED_AT = "2023-04-03T08:41:00.000000Z"
# year -> when its figures are loaded: 2022-23's at the start, each demo year's at the end
# of the following April (after its last returns and revisions)
BENCH_LOADED_AT = {"2022-23": "2023-04-03T08:42:00.000000Z",
                   "2023-24": "2024-04-30T10:00:00.000000Z",
                   "2024-25": "2025-04-30T10:00:00.000000Z"}


def _own(k, fy: str) -> tuple[int, int] | None:
    """The council's own (numerator, denominator) for ``fy`` from its returns (None: none);
    a rate's denominator is the population (the mean of its months')."""
    rows = [r for (pid, bd), r in k.series.items()
            if not bd and parse_period(pid).fy == fy and r["numerator"] and r["denominator"]]
    if not rows:
        return None
    n = sum(int(r["numerator"]) for r in rows)
    d = sum(int(r["denominator"]) for r in rows)
    if k.unit == "rate":
        pop = round(d / len(rows))
        return round(n / d * pop), pop
    return n, d


def _annual_den(k, pop: int) -> int:
    """A council's denominator for a year, scaled from the demo council's by population."""
    level, _, den = k.g
    per_year = 12 if k.freq == "monthly" else 4
    own = den if k.unit == "rate" else den * per_year
    return max(5, round(own * pop / BODIES[OWN][1]))


def _fmt(x: float) -> str:
    s = f"{x:.1f}"
    return "0.0" if float(s) == 0 else s


def benchmark_rows(kpis) -> list[list[str]]:
    """Every figure: body, metric, period, value, unit, numerator, denominator."""
    rows = []
    for k in kpis:
        if k.ref not in METRICS:
            continue
        metric, centre, spread = METRICS[k.ref]
        scale = _SCALE[k.unit]
        for fy in PEER_YEARS:
            year_z = random.Random(f"{PEER_SEED}:{metric}:{fy}").gauss(0, 1)
            for body, (_, pop) in BODIES.items():
                own = _own(k, fy) if body == OWN else None
                den = _annual_den(k, pop)
                if own is not None:
                    num, den = own
                elif body == OWN:  # before the demo's years: its level, less a year's drift
                    v = k.g[0] - k.x.get("drift", 0.0)
                    num = round(v * den / scale)
                else:
                    z = random.Random(f"{PEER_SEED}:{metric}:{body}").gauss(0, 1)
                    noise = random.Random(f"{PEER_SEED}:{metric}:{body}:{fy}").gauss(0, 1)
                    v = centre + spread * (0.8 * z + 0.3 * year_z + 0.3 * noise)
                    v = min(scale, max(0.0, v))
                    num = round(v * den / scale)
                rows.append([body, metric, fy, _fmt(num / den * scale), k.unit, str(num),
                             str(den)])
    return rows


def _write(path: Path, columns: tuple[str, ...], rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(columns)
        w.writerows(rows)


def write_peer_files(out: Path, kpis) -> list[tuple[Path, str, str]]:
    """Write ``bodies.csv``, ``groups.csv`` and ``benchmarks-YYYY-YY.csv`` (one per year) to
    ``out``: (path, load kind, loaded_at) of each, in load order."""
    files = []
    path = out / "bodies.csv"
    _write(path, ("body", "name", "kind"),
           [[code, name, "English unitary authority"] for code, (name, _) in BODIES.items()])
    files.append((path, "bodies", BODIES_LOADED_AT))
    path = out / "groups.csv"
    _write(path, ("group", "body"), [[GROUP, code] for code in BODIES])
    files.append((path, "groups", GROUPS_LOADED_AT))
    rows = benchmark_rows(kpis)
    for fy in PEER_YEARS:
        path = out / f"benchmarks-{fy}.csv"
        _write(path, ("body", "metric", "period", "value", "unit", "numerator", "denominator"),
               [r for r in rows if r[2] == fy])
        files.append((path, "benchmarks", BENCH_LOADED_AT[fy]))
    return files
