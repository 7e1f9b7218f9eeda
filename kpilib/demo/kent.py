"""A Kent-like demo council for the quarterly performance report (``qpr``), in its own home
folder ``councils/kent/``: its store (``data/kpi.sqlite``), settings (``council.yaml``),
parameter sets (``params/``) and outputs (``outputs/``) there.

The KPIs, targets, floors and 2023/24 Q4 actuals are Kent County Council's own (seed
``kent-qpr-kpis-2024-25.txt``); the seed prints no refs, so refs follow the QPR's service
prefixes.  The 2023-24 set differs from the 2024-25 one as the seed says: KPIs marked
(NEW) and (Removed), and, to show every link ``previous_ref`` can make, one KPI renumbered
(complaints: CS07 -> CS08), one activity indicator split (information requests: GL-AI1
-> GL-AI2 and GL-AI3) and one merged (long-term services: AS-AI6 and AS-AI7 -> AS-AI8).
Activity indicators carry an expected range (one has none: it stays Tracking).  Values
are generated from fixed seeds, so two runs write byte-identical files; each year's Q4
returns are the seed's Q4 actuals where it prints them.
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from kpilib.demo.generator import DemoFile, _stamp, _write
from kpilib.ingest.contracts import CATALOGUE_COLUMNS
from kpilib.ingest.contracts import RETURN_COLUMNS as RETURNS_COLUMNS
from kpilib.rules.periods import fy_quarters, quarter, shift

if TYPE_CHECKING:  # pragma: no cover
    from kpilib.store import LoadResult, Store

YEARS = ("2023-24", "2024-25")
CS, GL, GC = "Customer Services", "Governance and Law", "Growth, Economic Development & Communities"
CH, AD = "Integrated Children's Services", "Adult Social Care"
KPI, AI = "Key Performance Indicators", "Activity indicators"
HIGHER, LOWER = "higher", "lower"
BOTH, OLD, NEW = "both", "2023-24", "2024-25"  # the years a KPI is in

# ref, years, directorate, name, unit, polarity, target, floor, Q4 actual 2023-24 (the
# seed's; "" = N/a), previous_ref
KPIS = [
    ("CS01", BOTH, CS, "Percentage of callers to Contact Point who rated the advisor who dealt "
     "with the call as good", "percent", HIGHER, "97", "90", "98", ""),
    ("CS04", BOTH, CS, "Percentage of phone calls to Contact Point which were answered",
     "percent", HIGHER, "90", "85", "92", ""),
    ("CS07", OLD, CS, "Percentage of complaints responded to within timescale", "percent",
     HIGHER, "85", "80", "56", ""),
    ("CS08", NEW, CS, "Percentage of complaints responded to within timescale", "percent",
     HIGHER, "85", "80", "56", "CS07"),
    ("GL01", BOTH, GL, "Freedom of Information Act (FoI) requests completed within 20 working "
     "days", "percent", HIGHER, "92", "90", "78", ""),
    ("GL02", BOTH, GL, "Subject Access requests, made under Art 15 of the General Data "
     "Protection Regulations, completed within statutory timescales", "percent", HIGHER, "90",
     "85", "28", ""),
    ("GT01", BOTH, GC, "Number of homes brought back to market through No Use Empty", "count",
     HIGHER, "400", "360", "474", ""),
    ("GT02", BOTH, GC, "Developer contributions received as a percentage of amount sought",
     "percent", HIGHER, "98", "85", "97.9", ""),
    ("SCS01", BOTH, CH, "Percentage of Case holding posts filled by permanent qualified social "
     "workers", "percent", HIGHER, "85", "75", "73.6", ""),
    ("SCS02", BOTH, CH, "Percentage of children's social care referrals that were repeat "
     "referrals within 12 months", "percent", LOWER, "25", "30", "23.5", ""),
    ("SCS03", OLD, CH, "Children subject to a child protection plan for the second or "
     "subsequent time", "percent", LOWER, "20", "25", "", ""),
    ("SCS04", OLD, CH, "Average number of days between becoming looked after and moving in "
     "with adoptive family", "days", LOWER, "426", "500", "", ""),
    ("CLA01", BOTH, CH, "Percentage foster care placements which are inhouse or with relatives "
     "and friends (excluding UASC)", "percent", HIGHER, "85", "75", "73.9", ""),
    ("CLA02", NEW, CH, "Number of foster households", "count", HIGHER, "700", "650", "", ""),
    ("CLA03", BOTH, CH, "Percentage of care leavers in education, employment or training (of "
     "those KCC is in touch with)", "percent", HIGHER, "65", "55", "57.7", ""),
    ("ASCH01", BOTH, AD, "The percentage of people who have their contact resolved by ASCH but "
     "then make contact again within 3 months", "percent", LOWER, "5", "9", "5", ""),
    ("ASCH02", BOTH, AD, "The proportion of new Care Needs Assessments delivered within 28 "
     "days", "percent", HIGHER, "85", "75", "73", ""),
    ("ASCH03", BOTH, AD, "The percentage of people in receipt of a Direct payment with Adult "
     "Social Care & Health", "percent", HIGHER, "30", "24", "26", ""),
    ("ASCH05", BOTH, AD, "Long Term support needs of older people (65 and over) met by "
     "admission to residential and nursing care homes, per 100,000 (Better Care Fund)",
     "number", LOWER, "588", "617", "626", ""),
]
# activity indicators: ref, years, directorate, name, unit, expected low, high (both ""
# = no range), typical level, previous_ref
ACTIVITY = [
    ("CS-AI1", BOTH, CS, "Number of phone calls responded to by Contact Point", "count",
     "300000", "360000", 330000, ""),
    ("CS-AI2", BOTH, CS, "Number of visits to the KCC website", "count", "", "", 1_900_000, ""),
    ("CS-AI3", BOTH, CS, "Number of complaints received", "count", "1400", "1800", 1650, ""),
    ("GL-AI1", OLD, GL, "Total number of information requests (FoI and DPA Subject Access)",
     "count", "900", "1200", 1050, ""),
    ("GL-AI2", NEW, GL, "Total number of FoI requests", "count", "600", "800", 700, "GL-AI1"),
    ("GL-AI3", NEW, GL, "Total number of DPA Subject Access requests", "count", "250", "400",
     330, "GL-AI1"),
    ("GC-AI1", BOTH, GC, "Total number of physical visits to Kent libraries", "count",
     "900000", "1100000", 1_000_000, ""),
    ("GC-AI2", BOTH, GC, "Total number of book issues from Kent libraries (e-issues and "
     "physical)", "count", "1400000", "1700000", 1_550_000, ""),
    ("CH-AI1", BOTH, CH, "Number of open Early Help cases managed by Units", "count", "2600",
     "3200", 2900, ""),
    ("CH-AI2", BOTH, CH, "Number of care leavers", "count", "1900", "2300", 2100, ""),
    ("AS-AI1", BOTH, AD, "Number of people making contact with ASCH", "count", "19000",
     "23000", 21000, ""),
    ("AS-AI6", OLD, AD, "Number of people in Long Term Residential or Nursing Services",
     "count", "4800", "5400", 5100, ""),
    ("AS-AI7", OLD, AD, "Number of people receiving long term community services", "count",
     "9500", "10500", 10000, ""),
    ("AS-AI8", NEW, AD, "Number of people in Long Term Residential or Nursing Services, and "
     "the number receiving long term community services in the Quarter", "count", "14000",
     "16000", 15100, "AS-AI6;AS-AI7"),
]


def _in(years: str, fy: str) -> bool:
    return years == BOTH or years == fy


def _catalogue_rows(fy: str) -> list[dict]:
    rows = []
    for ref, years, dirc, name, unit, pol, target, floor, actual, prev in KPIS:
        if _in(years, fy):
            rows.append({"year": fy, "ref": ref, "name": name, "directorate": dirc,
                         "commitment": KPI, "report": "qpr", "frequency": "quarterly",
                         "measure": "snapshot", "unit": unit, "polarity": pol, "target": target,
                         "floor": floor, "rag_scheme": "floor",
                         "baseline": actual if fy == NEW else "", "previous_ref": prev})
    for ref, years, dirc, name, unit, low, high, _, prev in ACTIVITY:
        if _in(years, fy):
            rows.append({"year": fy, "ref": ref, "name": name, "directorate": dirc,
                         "commitment": AI, "report": "qpr", "frequency": "quarterly",
                         "measure": "sum", "unit": unit, "polarity": "none",
                         "expected_low": low, "expected_high": high, "previous_ref": prev})
    return rows


def _value(rng: random.Random, unit: str, target: float, floor: float, pol: str) -> str:
    """A quarter's figure scattered around the target, crossing the floor now and then."""
    spread = abs(target - floor) * 1.6 or 1.0
    v = target + rng.uniform(-spread, spread * 0.25) * (1 if pol == HIGHER else -1)
    if unit == "percent":
        return f"{min(max(v, 0.0), 100.0):.1f}"
    return f"{max(v, 0.0):.0f}"


def _returns_rows(pid: str) -> list[dict]:
    fy, q4 = quarter(pid).fy, pid.endswith("Q4")
    rows = []
    for ref, years, _, _, unit, pol, target, floor, actual, _ in KPIS:
        if not _in(years, fy):
            continue
        rng = random.Random(f"kent|{ref}|{pid}")
        value = actual if q4 and fy == OLD and actual else _value(
            rng, unit, float(target), float(floor), pol)
        rows.append({"ref": ref, "period": pid, "value": value})
    for ref, years, _, _, _, low, high, level, _ in ACTIVITY:
        if not _in(years, fy):
            continue
        rng = random.Random(f"kent|{ref}|{pid}")
        width = (float(high) - float(low)) if low else level * 0.2
        rows.append({"ref": ref, "period": pid,
                     "value": f"{level + rng.uniform(-0.8, 0.8) * width:.0f}"})
    return rows


def write_kent_files(out_dir: str | Path) -> list[DemoFile]:
    """Write Kent's 2023-24 and 2024-25 catalogues and every quarter's returns (CSV), in
    load order: each catalogue at the start of its year, each quarter's returns around 20
    days after it ends.  Byte-identical on every run."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for fy, when in zip(YEARS, ("2023-04-03T08:30:00.000000Z", "2024-04-02T08:30:00.000000Z")):
        path = out / f"catalogue-{fy}.csv"
        _write(path, CATALOGUE_COLUMNS, _catalogue_rows(fy))
        files.append(DemoFile(path, "catalogue", when))
    for fy in YEARS:
        for pid in fy_quarters(fy):
            end = shift(quarter(pid).months[-1], 1).id
            path = out / f"returns-{pid}.csv"
            _write(path, RETURNS_COLUMNS, _returns_rows(pid))
            files.append(DemoFile(path, "returns", _stamp(
                date(int(end[:4]), int(end[5:]), 20), "14:00")))
    return sorted(files, key=lambda f: f.loaded_at)


def build_kent_store(store: Store, out_dir: str | Path) -> list[LoadResult]:
    """Write Kent's demo files and load them into ``store`` in order."""
    results = []
    for f in write_kent_files(out_dir):
        load = store.load_catalogue if f.kind == "catalogue" else store.load_returns
        results.append(load(f.path, loaded_at=f.loaded_at))
    return results
