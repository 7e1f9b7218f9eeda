"""A second council's first two quarters: Kent County Council's 2024/25 QPR KPIs.

Names, baselines (2023/24 Q4 actuals), targets and floors are from
``seeds/kent-qpr-kpis-2024-25.txt``; the refs and the quarters' figures are made up.
The files go through the same validation as ``kpi load``; the report is the pure
:func:`~kpilib.reports.model.build_report` of ``2024-25-Q2`` (the ``service`` type:
quarterly, a page per directorate).  Kent uses the floor scheme only: no Green+, no
Children's Trust or graded arrows.
"""

from __future__ import annotations

from pathlib import Path

from conftest import RETURNS_HEADER, write_csv
from kpilib.ingest.catalogue import read_catalogue_file
from kpilib.ingest.returns import read_returns_file
from kpilib.reports.model import Report, build_report

PERIOD = "2024-25-Q2"
CATALOGUE_HEADER = ["year", "ref", "name", "directorate", "commitment", "report", "frequency",
                    "measure", "unit", "polarity", "target", "floor", "rag_scheme", "decimals",
                    "baseline"]  # fmt: skip
CS, GL, GED, ET, EDU = ("Customer Services", "Governance and Law",
                        "Growth, Economic Development & Communities",
                        "Environment and Transportation", "Education and Wider Early Help")
COMMITMENT = "Framing Kent's Future"

# fmt: off
KPIS = [
    # ref, name, directorate, measure, unit, polarity, target, floor, decimals, baseline
    ("CS01", "Percentage of callers to Contact Point who rated the advisor who dealt with "
     "the call as good", CS, "ratio", "percent", "higher", "97", "90", "", "98%"),
    ("CS02", "Percentage of phone calls to Contact Point which were answered", CS, "ratio",
     "percent", "higher", "90", "85", "0", "92"),
    ("CS03", "Percentage of complaints responded to within timescale", CS, "ratio", "percent",
     "higher", "85", "80", "", "56"),
    ("GL01", "Freedom of Information Act (FoI) requests completed within 20 working days", GL,
     "ratio", "percent", "higher", "92", "90", "", "78"),
    ("GED02", "Developer contributions received as a percentage of amount sought", GED,
     "snapshot", "percent", "higher", "98", "85", "6", "97.9"),
    ("ET07", "GHG emissions (KCC estate/services and Traded Companies) in tonnes", ET,
     "snapshot", "count", "lower", "10,570", "11,627", "", "11,477"),
    ("EDU06", "Number of pupils permanently excluded from school", EDU, "snapshot", "percent",
     "lower", "0.02%", "0.04%", "", "0.04%"),
    ("CS10", "Number of visits to the KCC website", CS, "sum", "count", "none", "", "", "", ""),
]
RETURNS = [
    # ref, period, value, numerator, denominator, status, commentary
    ("CS01", "2024-25-Q1", "", "4,890", "5,000", "", ""),
    ("CS01", "2024-25-Q2", "", "4,800", "5,000", "", ""),
    ("CS02", "2024-25-Q1", "", "9,160", "10,000", "", ""),
    ("CS02", "2024-25-Q2", "", "8,700", "10,000", "", ""),
    ("CS03", "2024-25-Q1", "61.5", "", "", "", "Counts for Q1 were not kept."),
    ("CS03", "2024-25-Q2", "", "300", "400", "", "<p>New case system live.</p>"),
    ("GL01", "2024-25-Q1", "", "190", "240", "", ""),
    ("GL01", "2024-25-Q2", "", "", "", "arrears", ""),
    ("GED02", "2024-25-Q1", "97.912345", "", "", "", ""),
    ("GED02", "2024-25-Q2", "98.1", "", "", "", ""),
    ("ET07", "2024-25-Q1", "11,310", "", "", "", ""),
    ("ET07", "2024-25-Q2", "11,190", "", "", "", ""),
    ("EDU06", "2024-25-Q1", "0.04", "", "", "", ""),
    ("EDU06", "2024-25-Q2", "0.05", "", "", "", ""),
    ("CS10", "2024-25-Q1", "1,234,567", "", "", "", ""),
    ("CS10", "2024-25-Q2", "1,198,004", "", "", "", ""),
]
# fmt: on


def write_files(folder: Path) -> tuple[Path, Path]:
    """Kent's catalogue and its two quarters' returns, as an analyst would type them."""
    catalogue = write_csv(folder / "kent-catalogue-2024-25.csv", CATALOGUE_HEADER, [
        {"year": "2024-25", "ref": ref, "name": name, "directorate": d, "commitment": COMMITMENT,
         "report": "service", "frequency": "quarterly", "measure": measure, "unit": unit,
         "polarity": pol, "target": target, "floor": floor,
         "rag_scheme": "floor" if floor else "", "decimals": dec, "baseline": baseline}
        for ref, name, d, measure, unit, pol, target, floor, dec, baseline in KPIS])
    returns = write_csv(folder / "kent-returns-2024-25-Q1-Q2.csv", RETURNS_HEADER, [
        {"ref": ref, "period": p, "value": v, "numerator": n, "denominator": d, "status": st,
         "commentary": c} for ref, p, v, n, d, st, c in RETURNS])
    return catalogue, returns


def kent_report(folder: Path) -> Report:
    catalogue_file, returns_file = write_files(folder)
    catalogue = read_catalogue_file(catalogue_file)
    returns = read_returns_file(returns_file, catalogue)
    return build_report(catalogue, returns, PERIOD, "service", "2024-10-25T09:00:00.000000Z")
