"""The demo county's figures, from Northamptonshire County Council's corporate performance
report for 2013-14 quarter 2 (seed ``ncc-corporate-performance-2013-14-q2.txt``): names,
polarity, targets, June and September 2013 figures, previous years, comparators, programmes.
Commentary is shortened from the report's narrative."""

from __future__ import annotations

SECTIONS = {
    "ed": "Educational attainment",
    "cs": "Customer services",
    "pp": "Services to protect people",
    "qs": "Quality and performance of services",
    "mr": "Managing resources",
}
_CFE = "Children, Families & Education"
_CC = "Customer & Communities"
_FIRE = "Fire & Rescue"
_ADULTS = "Health, Adult Care & Wellbeing"
_FIN = "Finance & Resources"

_IMPROVE = "<p><b>What are we doing to improve performance?</b> "

# annual attainment indicators: values 2010-11, 2011-12, 2012-13, 2013-14 (returned in Q2);
# targets for the same years ("" = none: a trend or baseline year)
ANNUAL = [
    {"ref": "CP-ED01", "sec": "ed", "dir": _CFE, "freq": "annual", "measure": "snapshot",
     "unit": "percent", "pol": "higher",
     "name": "Achievement of 5 or more A*-C grades at GCSE or equivalent including English "
             "& maths", "values": [51.9, 55.0, 56.2, 57.5], "targets": ["", "", "", "59"],
     "c": "<p>The six year trajectory of improvement was consolidated in 2013 with 57.5%, "
          "though the county is not yet in line with national results.</p>"},
    {"ref": "CP-ED02", "sec": "ed", "dir": _CFE, "freq": "annual", "measure": "snapshot",
     "unit": "count", "pol": "lower",
     "name": "Number of schools where fewer than 40% of pupils achieve 5 or more A*-C grades "
             "at GCSE including English & maths", "values": [11, 7, 6, 1],
     "targets": ["", "", "", "0"],
     "c": "<p>Provisional data for 2013 suggest only 1 secondary school below 40%.</p>"
          f"{_IMPROVE}The Local Authority is establishing closer links with sponsored "
          "academies to accelerate improvement.</p>"},
    {"ref": "CP-ED03", "sec": "ed", "dir": _CFE, "freq": "annual", "measure": "snapshot",
     "unit": "percent", "pol": "higher",
     "name": "Looked after children achieving 5 A*-C GCSEs including English & maths",
     "values": [1.4, 11.9, 12.7, 6.7], "targets": ["", "", "", "12.7"],
     "c": "<p>The 6.7% achieved represents 3 children out of 45 who took exams this year; "
          "the cohort is small and fluctuates from year to year.</p>"
          f"{_IMPROVE}The virtual school is tracking every looked after child in Year 11 "
          "with their school.</p>"},
    {"ref": "CP-ED04", "sec": "ed", "dir": _CFE, "freq": "annual", "measure": "snapshot",
     "unit": "percent", "pol": "lower",
     "name": "Achievement gap between pupils eligible for free school meals and their peers "
             "at Key Stage 4", "values": [30.8, 30.4, 27.7, 31.1],
     "targets": ["", "", "", "26"],
     "c": "<p>The gap has widened this year.</p>"
          f"{_IMPROVE}The school effectiveness team has increased its challenge on the "
          "progress of all vulnerable groups.</p>"},
    {"ref": "CP-ED05", "sec": "ed", "dir": _CFE, "freq": "annual", "measure": "snapshot",
     "unit": "percent", "pol": "higher",
     "name": "Percentage of children achieving level 4 or above in reading, writing and maths "
             "at Key Stage 2", "values": [72.1, 71.1, 76.0, 71.8],
     "targets": ["", "", "", ""],
     "c": "<p>The measurement changed in 2013: direct comparison with previous years is not "
          "possible. 2013-14 is the baseline year.</p>"},
    {"ref": "CP-ED06", "sec": "ed", "dir": _CFE, "freq": "annual", "measure": "snapshot",
     "unit": "percent", "pol": "lower",
     "name": "Achievement gap between pupils eligible for free school meals and their peers "
             "at Key Stage 2", "values": [25.0, 26.6, 22.0, 26.9],
     "targets": ["", "", "", "20"],
     "c": "<p>The gap at Key Stage 2 has widened this year.</p>"},
    {"ref": "CP-ED07", "sec": "ed", "dir": _CFE, "freq": "annual", "measure": "snapshot",
     "unit": "percent", "pol": "higher",
     "name": "Children achieving a good level of development in the Early Years Foundation "
             "Stage profile", "values": [58.0, 61.0, 63.8, 50.0], "targets": ["", "", "", ""],
     "c": "<p>The measurement changed in 2013; 50% is in line with the provisional national "
          "picture.</p>"},
]

# quarterly indicators: q = (June 2013, September 2013)
QUARTERLY = [
    {"ref": "CP-CS01", "sec": "cs", "dir": _CC, "freq": "quarterly", "measure": "snapshot",
     "unit": "percent", "pol": "higher", "target": "80", "q": (31.0, 47.0),
     "name": "Percentage of calls to the Customer Service Centre answered within 20 seconds",
     "c1": "<p>Service levels fell while the new structure bedded in.</p>",
     "c": "<p>Still below target, but a significant improvement on quarter 1: abandoned calls "
          "fell by 17%.</p>"
          f"{_IMPROVE}Recruitment is complete and staff are more experienced: in October 72% "
          "of calls were answered within 20 seconds. Online booking for Adult Learning and "
          "the online Street Doctor should reduce peak call volumes.</p>"},
    {"ref": "CP-CS02", "sec": "cs", "dir": _CC, "freq": "quarterly", "measure": "cumulative",
     "unit": "count", "pol": "higher", "q": (490395, 1024987),
     "name": "Number of unique visits to the council's website and mobile web (combined)",
     "c": "<p>Visits continue to rise; September peaked with the school admissions "
          "process.</p>"},
    {"ref": "CP-CS03", "sec": "cs", "dir": _CC, "freq": "quarterly", "measure": "snapshot",
     "unit": "count", "pol": "higher", "q": (18655, 19379),
     "name": "Total number of app downloads and updates (Android and iPhone)",
     "c": "<p>Quarter 1 was amended to include Android downloads.</p>"},
    {"ref": "CP-CS04", "sec": "cs", "dir": _CC, "freq": "quarterly", "measure": "cumulative",
     "unit": "count", "pol": "higher", "target": "1200 (300 per quarter)", "q": (337, 763),
     "name": "Number of volunteers - Libraries",
     "c": "<p>763 volunteers contributed 13,751 hours to Library services.</p>"},
    {"ref": "CP-CS05", "sec": "cs", "dir": _CC, "freq": "quarterly", "measure": "cumulative",
     "unit": "count", "pol": "higher", "target": "20 (5 per quarter)", "q": (12, 16),
     "name": "Number of volunteers - Archives & Heritage",
     "c": "<p>16 volunteers contributed 602 hours.</p>"},
    {"ref": "CP-PP01", "sec": "pp", "dir": _ADULTS, "freq": "quarterly", "measure": "snapshot",
     "unit": "days", "pol": "lower", "target": "28", "q": (30.0, 64.0),
     "name": "Average number of days taken to complete an internal safeguarding investigation",
     "c": "<p>Investigations closed April to September took 64 days on average; complex "
          "cases take longer.</p>"
          f"{_IMPROVE}The directorate is separating complex cases from the bulk, which we "
          "aim to complete within 30 days, and aligning targets with health serious incident "
          "investigations.</p>"},
    {"ref": "CP-PP02", "sec": "pp", "dir": _FIRE, "freq": "quarterly", "measure": "cumulative",
     "unit": "count", "pol": "lower", "target": "6755 (1688.75 per quarter)",
     "q": (1481, 2886),
     "name": "Fire Service - Total number of attended incidents (excluding co-responding)",
     "c": "<p>Performance against target for the first half year is encouraging.</p>"},
    {"ref": "CP-PP03", "sec": "pp", "dir": _FIRE, "freq": "quarterly", "measure": "cumulative",
     "unit": "number", "pol": "lower", "target": "5.84 (1.46 per quarter)", "q": (1.70, 2.45),
     "name": "Fire Service - Total number of non-fatal casualties per 100,000 population",
     "c": "<p>Half year performance is very encouraging.</p>"},
    {"ref": "CP-PP04", "sec": "pp", "dir": _FIRE, "freq": "quarterly", "measure": "snapshot",
     "unit": "percent", "pol": "higher", "target": "75", "q": (88.21, 88.05),
     "name": "Fire Service - Percentage of home safety fire checks completed in high or very "
             "high risk areas",
     "c": "<p>The service is reaching those defined as vulnerable in the community.</p>"},
    {"ref": "CP-PP05", "sec": "pp", "dir": _CC, "freq": "quarterly", "measure": "snapshot",
     "unit": "percent", "pol": "lower", "target": "10", "q": (11.1, 10.3),
     "name": "Percentage of illegal sales of age restricted products from test purchases "
             "(Trading Standards)",
     "c": "<p>29 test purchases to the end of September and 3 sales.</p>"},
    {"ref": "CP-QS01", "sec": "qs", "dir": _CFE, "freq": "quarterly", "measure": "snapshot",
     "unit": "count", "pol": "none", "q": (768, 767),
     "name": "Number of looked after children",
     "c": "<p>767 at the end of September, 1 fewer than at the end of June.</p>"},
    {"ref": "CP-QS02", "sec": "qs", "dir": _CFE, "freq": "quarterly", "measure": "snapshot",
     "unit": "percent", "pol": "higher", "target": "90", "q": (92.0, 93.6),
     "name": "Percentage of looked after children involved in their most recent review",
     "c": "<p>423 of 452 children participated in their review.</p>"},
    {"ref": "CP-QS03", "sec": "qs", "dir": _CFE, "freq": "quarterly", "measure": "snapshot",
     "unit": "percent", "pol": "higher", "target": "80", "q": (40.6, 56.8),
     "name": "Percentage of young people (aged 19-21) living in suitable accommodation who "
             "were looked after at aged 16",
     "c": "<p>Performance increased in quarter 2 but is behind the target.</p>"
          f"{_IMPROVE}The new Leaving Care Team is in place from 1 August and will cleanse "
          "the data through November and December.</p>"},
    {"ref": "CP-QS04", "sec": "qs", "dir": _CFE, "freq": "quarterly", "measure": "snapshot",
     "unit": "percent", "pol": "higher", "target": "50", "q": (30.2, 38.7),
     "name": "Percentage of young people (aged 19-21) in employment, education or training "
             "who were looked after at aged 16",
     "c": "<p>Outside influences include GCSE results and wider youth employment.</p>"},
    {"ref": "CP-QS05", "sec": "qs", "dir": _CFE, "freq": "quarterly", "measure": "snapshot",
     "unit": "count", "pol": "none", "q": (558, 640),
     "name": "Number of children with a child protection plan",
     "c": "<p>Up for the second quarter in a row, from 477 at the end of March.</p>"},
    {"ref": "CP-QS06", "sec": "qs", "dir": _CFE, "freq": "quarterly", "measure": "snapshot",
     "unit": "percent", "pol": "higher", "target": "60", "q": (43.0, 37.1),
     "name": "Percentage of initial assessments completed and authorised within 10 days",
     "c": "<p>1,288 of 3,476 initial assessments were authorised in time.</p>"
          f"{_IMPROVE}A new team is in place from 1 September; September's rate rose to "
          "50%.</p>"},
    {"ref": "CP-QS07", "sec": "qs", "dir": _CFE, "freq": "quarterly", "measure": "snapshot",
     "unit": "percent", "pol": "higher", "target": "75", "q": (55.8, 48.9),
     "name": "Percentage of core assessments completed and authorised within 35 days of start",
     "c": "<p>665 of 1,359 assessments were authorised within 35 days.</p>"},
    {"ref": "CP-QS08", "sec": "qs", "dir": _CFE, "freq": "quarterly", "measure": "snapshot",
     "unit": "percent", "pol": "lower", "target": "30", "q": (29.6, 32.7),
     "name": "Percentage of children re-referred to Children's Social Care within 12 months",
     "c": "<p>2,142 of 6,558 referrals had a previous referral.</p>"},
    {"ref": "CP-QS09", "sec": "qs", "dir": _ADULTS, "freq": "quarterly",
     "measure": "snapshot", "unit": "percent", "pol": "higher", "target": "59",
     "q": (68.8, 76.8),
     "name": "Proportion of adults, older people and carers receiving self directed support",
     "c": "<p>Personal budgets continue to grow.</p>"},
    {"ref": "CP-QS10", "sec": "qs", "dir": _ADULTS, "freq": "quarterly",
     "measure": "snapshot", "unit": "number", "pol": "lower", "target": "2", "q": (2.0, 1.6),
     "name": "Delayed transfers of care attributed to social care (per 100,000 aged 18+)",
     "c": "<p>Below the comparator and England averages.</p>"},
    {"ref": "CP-MR01", "sec": "mr", "dir": _FIN, "freq": "quarterly", "measure": "snapshot",
     "unit": "currency", "pol": "lower", "q": (2332000, 1286000),
     "name": "Forecast variance on the revenue budget",
     "c": "<p>A reduction of £1.046m since quarter 1, mostly from grant funding and a "
          "dividend from LGSS.</p>"},
    {"ref": "CP-MR02", "sec": "mr", "dir": _FIN, "freq": "quarterly", "measure": "snapshot",
     "unit": "percent", "pol": "higher", "target": "97", "q": (95.87, 97.48),
     "name": "Percentage of invoices paid to suppliers within 30 days of receipt",
     "c": "<p>Quarter 2 alone was 99.08%.</p>"},
    {"ref": "CP-MR03", "sec": "mr", "dir": _FIN, "freq": "quarterly", "measure": "cumulative",
     "unit": "count", "pol": "lower", "q": (1311, 2139),
     "target": "8700 (500;1000;1500;1967;2433;2900;3867;4833;5800;6767;7733;8700)",
     "name": "CO2 emissions from selected council sites (tonnes)",
     "c": "<p>Quarter 2 is ahead of target; the figures are provisional.</p>"},
    {"ref": "CP-MR04", "sec": "mr", "dir": _FIN, "freq": "quarterly", "measure": "snapshot",
     "unit": "count", "pol": "higher", "target": "57", "q": (53, 52),
     "name": "Medium Term Financial Plan proposals completed or on track",
     "c": "<p>Five savings have a red risk status, reflected as a pressure in the 2014-15 "
          "plan.</p>"},
]

_SN = "Comparator group average"
_ENG = "England average"
COMPARATORS = [
    {"ref": ref, "group": group, "period": period, "value": value, "source": source}
    for ref, rows in (
        ("CP-QS02", ((_SN, "2011-12", "64.9"), (_ENG, "2011-12", "56.0"))),
        ("CP-QS03", ((_SN, "2011-12", "90.2"), (_ENG, "2011-12", "90.0"))),
        ("CP-QS04", ((_SN, "2011-12", "63.4"), (_ENG, "2011-12", "61.0"))),
        ("CP-QS05", ((_SN, "2011-12", "595"),)),
        ("CP-QS06", ((_SN, "2011-12", "78.2"), (_ENG, "2011-12", "77.4"))),
        ("CP-QS07", ((_SN, "2011-12", "75.4"), (_ENG, "2011-12", "75.5"))),
        ("CP-QS08", ((_SN, "2011-12", "23.2"), (_ENG, "2011-12", "25.0"))),
        ("CP-QS09", ((_SN, "2012-13", "63.0"), (_ENG, "2012-13", "55.5"))),
        ("CP-QS10", ((_SN, "2012-13", "2.6"), (_ENG, "2012-13", "3.3"))),
    )
    for group, period, value in rows
    for source in ["NASCIS provisional data" if ref in ("CP-QS09", "CP-QS10")
                   else "DfE statistical release"]
]

# status and update for quarter 1 and quarter 2
PROGRAMMES = [
    {"programme": "Adults Personalisation", "due": "2015-03-30", "lead": "Adult Social Care",
     "status": ("Amber", "Amber"),
     "description": "<p>Making sure people have independence, choice and control over the "
                    "way they are supported, with a fair Resource Allocation System.</p>",
     "update": ("<p>The tender for the Resource Allocation System is under way.</p>",
                "<p>The Resource Allocation System tender completed; we have entered an "
                "agreement with FACE.</p>")},
    {"programme": "Childrens Services Improvement Plan (CSIP)", "due": "2014-03-30",
     "lead": "Children, Families & Education", "status": ("Amber", "Amber"),
     "description": "<p>Improved services that safeguard children and young people: "
                    "immediate action (phase 1) and redesign of all services (phase 2).</p>",
     "update": ("<p>Action plans for workforce development and quality assurance agreed.</p>",
                "<p>A Multi Agency Safeguarding Hub is fully functioning; the Improvement "
                "Board met for the first time on 7 November.</p>")},
    {"programme": "Customer Relationship Strategy", "due": "2013-12-31", "lead": "Customer "
     "Services", "status": ("Green", "Green"),
     "description": "<p>Two-way, interactive exchanges with customers, with the emphasis on "
                    "web and digital channels.</p>",
     "update": ("<p>The new website's specification is being written.</p>",
                "<p>The new website's specification is ready and the build is about to "
                "commence.</p>")},
    {"programme": "Early Help & Prevention", "due": "2016-04-01", "lead": "Children, Families "
     "& Education", "status": ("Green", "Green"),
     "description": "<p>Services that prevent people from requiring high end, high cost "
                    "services.</p>",
     "update": ("<p>The programme is on track.</p>",
                "<p>The Children's Centre specification goes to CSIP on 30 October.</p>")},
    {"programme": "Programme Angel & new ways of working", "due": "2016-06-30",
     "lead": "Property", "status": ("Green", "Amber"),
     "description": "<p>Rationalise 12 Northampton-based properties into a single new build "
                    "on the Angel Street site.</p>",
     "update": ("<p>The business case was approved.</p>",
                "<p>Cabinet approved the £3m design fees on 10 September.</p>")},
    {"programme": "Prosperity and Innovative Infrastructure Funding", "due": "2017-12-31",
     "lead": "Growth", "status": ("Green", "Green"),
     "description": "<p>The Northamptonshire 10 Point Plan: 70,000 new jobs and the "
                    "infrastructure for 80,000 new homes.</p>",
     "update": ("<p>The LOCATE initiative launched in early June.</p>",
                "<p>BT was appointed preferred supplier for superfast broadband.</p>")},
    {"programme": "Skills & Education", "due": "2015-09-01", "lead": "Strategic Planning",
     "status": ("Amber", "Amber"),
     "description": "<p>School places for one of the largest increases in the under 5 "
                    "population in the country.</p>",
     "update": ("<p>Pupil projections are being analysed.</p>",
                "<p>Cabinet approved several new school expansion projects.</p>")},
    {"programme": "Strategic Alliances", "due": "2014-03-31", "lead": "Transformation",
     "status": ("Not started", "Green"),
     "description": "<p>Formal relationships with other organisations to share resources "
                    "under unprecedented budget pressures.</p>",
     "update": ("<p>The programme is being defined.</p>",
                "<p>Blue Light Integration is aligned with the Police and Crime "
                "Commissioner's portfolio.</p>")},
]
