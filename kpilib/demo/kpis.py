"""The demo council's KPI definitions (data for :mod:`kpilib.demo`).

North Northamptonshire Council's 2024-25 monthly ("core") KPIs with their real
refs, names, directorates, key commitments and targets (seed
``nnc-kpi-catalogue-2024-25.txt``), quarterly service KPIs modelled on Kent's
QPR 2024-25 (target and floor) and the 2013 Northamptonshire County report
(graded), and quarterly organisational-health KPIs (Financial, Customer,
Workforce).
"""

from __future__ import annotations

DIRS = {"A": "Adults, Health Partnerships & Housing", "C": "Children's Services",
        "P": "Place & Economy", "F": "Finance & Performance", "X": "Chief Executive's Office"}
COMS = {"afl": "Active, fulfilled lives", "bbf": "Better, brighter futures",
        "mps": "Modern public services", "stp": "Safe and thriving places",
        "gse": "Greener, sustainable environment", "cc": "Connected communities"}
DEPTS = {"ASC": "Adult Social Care", "H": "Housing", "Ed": "Education", "CT": "Children's Trust",
         "EH": "Early Help", "YOS": "Youth Offending Service", "HW": "Highways & Waste",
         "GR": "Growth & Regeneration", "CSf": "Community Safety", "RS": "Regulatory Services",
         "Lib": "Libraries", "RB": "Revenues & Benefits", "Fin": "Finance",
         "CS": "Customer Services", "LD": "Legal & Democratic Services", "HR": "Human Resources"}
_TRUST, _FLOOR = {"rag": "trust", "travel": "trust"}, {"rag": "floor"}
# The graded status key with the council's own arrows: the 2013 arrows (graded) would give
# ↑ "improved" where the council's arrows (nnc) give it "worse" (one meaning per council).
_GRADED = {"rag": "graded"}
_CT = "10.9;20.1;29.3;38.5;47.6;56.8;65.9;75.0;84.1;93.0;96.2;98"
_NNDR = "11.8;20.4;29.6;38.9;47.9;57.0;66.1;75.2;84.0;92.1;95.8;98"
_HCLIC, _PS = "DLUHC H-CLIC quarterly return", "DLUHC quarterly return PS1/PS2"
_Q4 = {"P1": (2, 0.5), "P2": (45, 0.2), "P3": (380, 0.1), "P4": (950, 0.06)}

# One KPI per entry: ref, "directorate department commitment" (keys of DIRS, DEPTS, COMS),
# "measure unit polarity", targets "2023-24|2024-25" ("-": not in that year's set; empty:
# tracking), generator (level, noise[, denominator]), extras, name (2024-25).  Extras: old
# (2023-24 name), tol ("a|b" per year), floor, rag, travel, theme, bd (generator per breakdown),
# ovr (override targets), den_from, bench, stat, seas (seasonal amplitude, peak in January),
# drift (level change per year), nd (annual debit per year: cumulative as numerator/denominator),
# arrears (always reported one month in arrears).
CORE: list[tuple] = [
    ("AFL26", "A ASC afl", "ratio percent higher", "-|95", (94, 3, 45),
     {"bench": "National average 2022-23: 91%"},
     "Proportion of Section 42 where risk is reduced or removed"),
    ("AFL07", "A ASC afl", "ratio rate lower", "564|480", (520, 0.05, 75000),
     {"drift": -40, "arrears": True, "stat": "ASCOF 2A(2); SALT return (CLD from 2024-25)",
      "bench": "England average 2022-23: 560.8 per 100,000"},
     "Long-term support needs met by admission to residential and nursing care homes, per "
     "100,000 population (older people)"),
    ("AFL03", "A ASC afl", "ratio percent higher", "35|40", (37, 4, 70), {"tol": "5%", "drift": 2},
     "Percentage of New Requests for Services (all ages) where Route of Access was Discharge "
     "from Hospital, with a sequel of ST-MAX"),
    ("AFL08", "A ASC afl", "ratio percent higher", "80|80", (79, 3, 110),
     {"stat": "Oflog", "bench": "CIPFA near neighbours 77.5%", "old": "Number of people who "
      "were prevented from requiring statutory care or whose need was reduced"},
     "Short term service provision: Proportion of those that received short-term service during "
     "the year where sequel was either no ongoing support or support of a lower level"),
    ("AFL15", "A H afl", "sum count none", "|", (260, 0.08), {"seas": 0.08, "drift": 15,
     "stat": _HCLIC}, "Total number of homeless approaches"),
    ("AFL13", "A H afl", "sum count higher", "252 (21 per month)|264 (22 per month)", (22, 0.2),
     {}, "Number of households whose homelessness was prevented"),
    ("AFL14", "A H afl", "sum count higher", "300 (25 per month)|300 (25 per month)", (24, 0.2),
     {}, "Number of households whose homelessness was relieved"),
    ("AFL17", "A H afl", "snapshot count lower", "245|260", (232, 0.02), {"drift": 22,
     "stat": _HCLIC}, "Number of households in Temporary Accommodation"),
    ("AFL12", "A H afl", "snapshot count lower", "9|9", (8, 0.2), {},
     "Rough Sleepers in North Northants - single night snapshot"),
    ("BBF22", "C Ed bbf", "snapshot count lower", "|0", (35, 0.12), {"tol": "none",
     "old": "Number of children without a school place"}, "Number of children missing education"),
    ("BBF33", "C Ed bbf", "snapshot count lower", "|0", (120, 0.08), {"tol": "none",
     "old": "Number of children currently missing from education (Year 1-11)"},
     "Number of children who are absent from education for prolonged periods"),
    ("BBF18b", "C Ed bbf", "ratio percent higher", "|100", (55, 10, 45), {"drift": 9,
     "bench": "England average 2023: 50.3%"}, "% of EHC (education health care) plans "
     "completed in month issued within 20 weeks (including exceptions)"),
    ("BBF36", "C Ed bbf", "ratio percent higher", "|100", (70, 8, 150), {},
     "% of EHC Plan Annual Reviews completed within 4 weeks of meeting"),
    ("BBF47", "C CT bbf", "sum count higher", "-|", (4200, 0.1), _TRUST,
     "Number of unique visits to Family Hubs digital platforms"),
    ("BBF48", "C CT bbf", "sum count higher", "-|", (650, 0.12), _TRUST,
     "Number of families accessing Family Hubs services through digital platforms"),
    ("BBF50", "C CT bbf", "sum count higher", "-|", (1900, 0.1), {**_TRUST, "seas": 0.1},
     "Number of service users attending sessions held by commissioned services at Family Hubs "
     "sites"),
    ("BBF05", "C CT bbf", "ratio percent lower", "29|29", (27.5, 3, 320), {**_TRUST,
     "bench": "England average 2022-23: 22.4%", "stat": "DfE Children in Need census"},
     "% of referrals with a previous referral within 12 months"),
    ("BBF06", "C CT bbf", "ratio percent higher", "85|85", (83.5, 4, 260), {**_TRUST,
     "tol": "5pp", "bench": "England average 2022-23: 82%", "stat": "DfE Children in Need "
     "census"}, "% of single assessments authorised within 45 working days"),
    ("BBF27", "C CT bbf", "ratio percent higher", "81|81", (80, 7, 40), {**_TRUST,
     "bench": "England average 2022-23: 78%"}, "% of initial child protection conferences held "
     "within 15 days of a strategy discussion being initiated"),
    ("BBF07", "C CT bbf", "ratio percent lower", "10|10", (9.8, 1.2, 360), {**_TRUST,
     "bench": "England average 2022-23: 10%", "stat": "DfE SSDA903 return"},
     "% Children in care with three or more placements in the previous 12 months"),
    ("BBF28", "C CT bbf", "snapshot count none", "|", (290, 0.04), _TRUST,
     "Number of children with a Child Protection Plan"),
    ("BBF29", "C CT bbf", "snapshot count none", "|", (640, 0.015), {**_TRUST, "drift": 12},
     "Number of children in care"),
    ("BBF08", "C CT bbf", "ratio percent higher", "55|55", (54, 3, 250), {**_TRUST,
     "bench": "England average 2022-23: 56%"}, "% of young people now aged 17 - 21 and in "
     "employment, education or training who were looked after when aged 16"),
    ("BBF09", "C CT bbf", "ratio percent higher", "90|90", (89, 2, 250), {**_TRUST,
     "bench": "England average 2022-23: 88%"}, "% of young people now aged 17 - 21 and living in "
     "suitable accommodation who were looked after when aged 16"),
    ("STP09", "A H mps", "sum count none", "|", (620, 0.1), {"seas": 0.15},
     "Number of emergency Responsive Repairs completed"),
    ("STP10", "A H mps", "sum count none", "|", (1850, 0.08), {"seas": 0.1},
     "Number of non-emergency responsive repairs completed"),
    ("MPS04", "F RB mps", "cumulative percent higher", f"98 ({_NNDR})|98 ({_NNDR})", (0, 0.5),
     {"old": "% of business rates collected in the year debit raised", "stat": "Oflog; NNDR3",
      "bench": "CIPFA near neighbours 97.1% (2022-23)"},
     "Non-domestic rates collection rates (in year)"),
    ("MPS05", "F RB mps", "cumulative percent higher", f"98 ({_CT})|98 ({_CT})", (0, 0.5),
     {"old": "% of council tax collected in the year debit raised", "stat": "Oflog; QRC4",
      "bench": "CIPFA near neighbours 96.4% (2022-23)", "nd": (241_350_000, 253_420_000)},
     "Council tax collection rates (in year)"),
    ("STP37", "A H stp", "ratio days lower", "56|56", (57, 7, 28), {"tol": "56-63"},
     "Average time taken to re-let NNC standard void properties"),
    ("STP44", "P HW stp", "ratio percent higher", "99|99", (99.15, 0.35, 31500), {"tol": "none",
     "stat": "PFI contract service level agreement"}, "Percentage of lights in light during "
     "light up period (within the PFI with Balfour Beatty)"),
    ("STP29", "P HW stp", "snapshot count lower", "|", (), {"seas": 0.2, "bd": _Q4},
     "Number of Defects Outstanding (at end of period), split by category"),
    ("STP30", "P HW stp", "sum count none", "|", (), {"seas": 0.2, "bd": {"P1": (55, 0.2),
     "P2": (310, 0.15), "P3": (880, 0.12), "P4": (420, 0.15)}},
     "Number of Defects Repaired in period, split by category"),
    ("STP31", "P HW stp", "ratio percent higher", "|", (), {"den_from": "STP30",
     "bd": {"P1": (98.2, 1.5), "P2": (96.8, 1.8), "P3": (90.5, 3), "P4": (88.5, 3.5)},
     "ovr": {"P1": "97.5", "P2": "97.5", "P3": "90", "P4": "90"},
     "stat": "Highways maintenance contract KPI"}, "Percentage of defects responded to within "
     "the timeframes specified, split by category. P1: 2 hours, P2: 7 days, P3: 28 days, P4: 26 "
     "weeks."),
    ("STP15", "P GR stp", "ratio percent higher", "90|88", (89, 8, 5), {"tol": "87-90|85-88",
     "stat": f"{_PS}; Oflog", "bench": "England average 88%"},
     "Percentage of major planning applications decided on time"),
    ("STP16", "P GR stp", "ratio percent higher", "85|86", (86, 3, 150), {"stat": f"{_PS}; Oflog",
     "bench": "England average 84%", "old": "Percentage of minor planning applications decided "
     "on time"}, "Percentage of non-major planning applications decided on time"),
    ("STP17", "P GR stp", "ratio percent higher", "85|-", (88, 3, 120), {"stat": _PS},
     "Percentage of other planning applications decided on time"),
]
SERVICE: list[tuple] = [
    ("SVC01", "P HW stp", "ratio percent higher", "90|90", (89, 4, 1900), {**_FLOOR,
     "floor": "80", "seas": 0.25}, "Percentage of routine potholes repaired in 28 days"),
    ("SVC02", "P HW stp", "ratio percent higher", "90|90", (87, 4, 1100), {**_FLOOR,
     "floor": "80"}, "Percentage of routine highway repairs reported by residents completed "
     "within 28 days"),
    ("SVC03", "X CS mps", "ratio percent higher", "90|90", (88, 3, 52000), {**_FLOOR,
     "floor": "85", "seas": 0.1}, "Percentage of phone calls to the Customer Service Centre "
     "which were answered"),
    ("SVC04", "X CS mps", "ratio percent higher", "85|85", (84, 3, 310), {**_FLOOR,
     "floor": "80"}, "Percentage of complaints responded to within timescale"),
    ("SVC05", "X LD mps", "ratio percent higher", "92|92", (91, 2.5, 420), {**_FLOOR,
     "floor": "90", "stat": "Freedom of Information Act 2000, s.10"},
     "Freedom of Information Act (FoI) requests completed within 20 working days"),
    ("SVC06", "C EH bbf", "ratio percent lower", "15|15", (16, 3, 240), {**_FLOOR,
     "floor": "20"}, "% of Early Help cases closed with outcomes achieved that come back to "
     "Early Help or Children's Social Care within 3 months"),
    ("SVC07", "C CT bbf", "snapshot count higher", "-|160", (152, 0.03), {**_FLOOR,
     "floor": "150"}, "Number of foster households"),
    ("SVC08", "A H stp", "sum count higher", "40 (10 per quarter)|48 (12 per quarter)",
     (11, 0.3), {}, "Number of empty homes brought back into use"),
    ("SVC09", "P HW gse", "ratio percent higher", "50|50", (49, 2.5, 42000), {"seas": -0.15,
     "stat": "WasteDataFlow", "bench": "England average 2022-23: 41.7%"},
     "Percentage of household waste sent for reuse, recycling and composting"),
    ("SVC10", "P CSf stp", "sum count lower", "2800 (700 per quarter)|2800 (700 per quarter)",
     (690, 0.1), {**_GRADED, "seas": -0.15},
     "Fire Service - Total number of attended incidents (Excluding co-responding)"),
    ("SVC11", "P CSf stp", "ratio percent higher", "75|75", (82, 5, 650), _GRADED,
     "Fire Service - % of home safety fire checks completed in high or very high risk areas"),
    ("SVC12", "P RS stp", "ratio percent lower", "10|10", (9, 6, 15), _GRADED, "Percentage of "
     "illegal sales of age restricted products from test purchases (Trading Standards)"),
    ("SVC13", "P Lib cc", "sum count none", "|", (165000, 0.06), {"seas": -0.08},
     "Number of visits to libraries"),
    ("SVC14", "X LD mps", "sum count none", "|", (420, 0.08), {},
     "Number of FoI requests received"),
    ("SVC15", "C Ed bbf", "snapshot percent higher", "96|96", (96, 0.008), {**_FLOOR,
     "floor": "93", "bench": "England average 96%"},
     "Percentage of Early Years settings with Good or Outstanding Ofsted inspection judgements"),
    ("SVC16", "C YOS bbf", "sum count lower", "|-", (28, 0.2), {},
     "Number of first-time entrants to the youth justice system"),
]
HEALTH: list[tuple] = [
    ("OH01", "F Fin mps", "snapshot currency lower", "0|0", (300, 1.5), {"tol": "none",
     "theme": "Financial", "scale": "thousands"},
     "Revenue budget forecast outturn variance (£000, overspend positive)"),
    ("OH02", "F Fin mps", "ratio percent higher", "95|95", (94.6, 1.5, 21000),
     {"theme": "Financial"}, "Percentage of undisputed invoices paid within 30 days"),
    ("OH03", "F Fin mps", "snapshot currency lower", "2500|2500", (2600, 0.08),
     {"theme": "Financial", "scale": "thousands"}, "Sundry debt over 90 days old (£000)"),
    ("OH04", "F Fin mps", "sum currency lower", "review|review", (1450, 0.1),
     {"theme": "Financial", "scale": "thousands"}, "Agency staff spend (£000)"),
    ("OH05", "X CS mps", "ratio percent higher", "97|97", (96.5, 1.2, 2400), {**_FLOOR,
     "floor": "90", "theme": "Customer"},
     "Percentage of callers who rated the advisor who dealt with their call as good"),
    ("OH06", "X CS mps", "mean number lower", "120|120", (125, 0.15), {"theme": "Customer"},
     "Average speed of answer - all services (seconds)"),
    ("OH07", "X LD mps", "ratio percent higher", "90|90", (88, 5, 45), {**_FLOOR, "floor": "85",
     "theme": "Customer", "stat": "UK GDPR Art. 15"},
     "Subject Access Requests completed within statutory timescales"),
    ("OH08", "X CS mps", "sum count none", "|", (310, 0.1), {"theme": "Customer"},
     "Number of complaints received (stage 1)"),
    ("OH09", "X HR mps", "snapshot days lower", "9.5|9", (9.3, 0.03), {"theme": "Workforce",
     "bench": "Local government average 10.5 days"},
     "Average working days lost to sickness absence per FTE (rolling 12 months)"),
    ("OH10", "X HR mps", "snapshot percent lower", "12|12", (12.5, 0.05), {"theme": "Workforce"},
     "Staff turnover (rolling 12 months)"),
    ("OH11", "X HR mps", "snapshot percent higher", "95|95", (91, 0.02), {"theme": "Workforce",
     "tol": "5pp"}, "Percentage of staff who have completed mandatory training"),
    ("OH12", "X HR mps", "mean number none", "|", (2950, 0.01), {"theme": "Workforce"},
     "Number of employees (FTE)"),
]
