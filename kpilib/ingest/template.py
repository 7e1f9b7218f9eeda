"""``kpi template returns``: a returns workbook for services to fill in.

One row per KPI (and breakdown) due in the period: monthly KPIs for a month; quarterly KPIs
for a quarter, and annual KPIs for a year's fourth quarter.  Columns: the returns contract's
``ref``, ``period``, ``breakdown`` (filled, locked), the reference columns ``name``, ``unit``,
``previous period`` and ``previous value`` (locked; ignored when the workbook is loaded), and
the entry columns ``value``, ``numerator``, ``denominator``, ``status``, ``commentary``
(unlocked, with data validation: numbers; the status list).  The sheet is protected (no
password: it guards against slips, not people).  The workbook carries the marker
(:data:`kpilib.ingest.files.TEMPLATE_PROPERTY`) by which ``kpi load returns`` recognises it.
"""

from __future__ import annotations

import pandas as pd
from openpyxl import Workbook
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation

from kpilib.errors import ParamsError, PeriodError
from kpilib.ingest.contracts import NO_DATA, PROVISIONAL, kpi_rows
from kpilib.ingest.files import TEMPLATE_MARKER, TEMPLATE_PROPERTY, TEMPLATE_REFERENCE
from kpilib.io.xlsxfile import header, put, to_bytes
from kpilib.rules.periods import parse_period, previous

KEY = ("ref", "period", "breakdown")
ENTRY = ("value", "numerator", "denominator", "status", "commentary")
COLUMNS = (*KEY, *TEMPLATE_REFERENCE, *ENTRY)
WIDTHS = (10, 11, 18, 60, 10, 15, 15, 12, 12, 12, 14, 60)
ENTRY_FILL = PatternFill("solid", fgColor="FFF8DC")
NUMBER_LIMIT = 1e15


def due(catalogue: pd.DataFrame, period: str, directorate: str | None = None) -> pd.DataFrame:
    """The KPI rows (and breakdown rows) due in ``period``, in catalogue order."""
    p = parse_period(period)
    kpis = kpi_rows(catalogue[catalogue["year"] == p.fy])
    kpis = kpis[kpis["breakdown"] == ""]
    if p.kind == "month":
        kpis = kpis[kpis["frequency"] == "monthly"]
    else:
        wanted = ["quarterly", "annual"] if p.id.endswith("Q4") else ["quarterly"]
        kpis = kpis[kpis["frequency"].isin(wanted)]
    if directorate is not None:
        kpis = kpis[kpis["directorate"] == directorate]
    rows = []
    for _, k in kpis.iterrows():
        for bd in ["", *[b.strip() for b in k["breakdowns"].split(";") if b.strip()]]:
            scale = k.get("scale") or ""  # the figures are entered in thousands or millions
            rows.append({"ref": k["ref"], "period": p.id, "breakdown": bd, "name": k["name"],
                         "unit": f"{k['unit']} (in {scale})" if scale else k["unit"]})
    return pd.DataFrame(rows, columns=["ref", "period", "breakdown", "name", "unit"])


def check_directorate(catalogue: pd.DataFrame, period: str, directorate: str) -> None:
    fy = parse_period(period).fy
    known = sorted(set(catalogue.loc[(catalogue["year"] == fy) & (catalogue["breakdown"] == ""),
                                     "directorate"]) - {""})
    if directorate not in known:
        raise ParamsError(f"--directorate {directorate!r} is not a directorate of the {fy} "
                          f"catalogue; expected one of {', '.join(known) or '(none loaded)'}")


def build_template(catalogue: pd.DataFrame, returns: pd.DataFrame, period: str, moment: str,
                   directorate: str | None = None) -> bytes:
    """The returns workbook for ``period`` (``moment``: the store's last load, which dates
    the file: the same store gives the same bytes)."""
    try:
        p = parse_period(period)
    except PeriodError as e:
        raise ParamsError(f"--period: {e}") from None
    if directorate is not None:
        check_directorate(catalogue, p.id, directorate)
    rows = due(catalogue, p.id, directorate)
    if rows.empty:
        raise ParamsError(f"no KPIs are due in {p.id}" + (
            f" for {directorate}" if directorate else "") + " in the loaded catalogue")
    before = previous(p).id
    last = returns[returns["period"] == before].set_index(["ref", "breakdown"])["value"]
    wb = Workbook()
    ws = wb.active
    ws.title = "Returns"
    header(ws, 1, list(COLUMNS))
    for r, row in enumerate(rows.itertuples(index=False), 2):
        values = [row.ref, row.period, row.breakdown, row.name, row.unit, before,
                  last.get((row.ref, row.breakdown))]
        for c, v in enumerate(values, 1):
            put(ws, r, c, None if isinstance(v, float) and v != v else v)
        for c in range(len(values) + 1, len(COLUMNS) + 1):
            cell = ws.cell(row=r, column=c)
            cell.protection = Protection(locked=False)
            cell.fill = ENTRY_FILL
    n = len(rows) + 1
    first = len(KEY) + len(TEMPLATE_REFERENCE) + 1
    letter = {name: chr(ord("A") + i) for i, name in enumerate(COLUMNS)}
    numbers = DataValidation(type="decimal", operator="between", formula1=str(-NUMBER_LIMIT),
                             formula2=str(NUMBER_LIMIT), allow_blank=True, showErrorMessage=True,
                             errorTitle="A number", error="Type a number (no % sign or text).")
    numbers.add(f"{chr(ord('A') + first - 1)}2:{letter['denominator']}{n}")
    choices = (*NO_DATA, PROVISIONAL)
    status = DataValidation(type="list", formula1='"' + ",".join(choices) + '"',
                            allow_blank=True, showErrorMessage=True, errorTitle="Status",
                            error=f"Leave empty, or one of {', '.join(choices)}.")
    status.add(f"{letter['status']}2:{letter['status']}{n}")
    ws.add_data_validation(numbers)
    ws.add_data_validation(status)
    ws.protection.sheet = True
    ws.protection.formatRows = ws.protection.formatColumns = False
    ws.freeze_panes = "D2"
    for i, w in enumerate(WIDTHS):
        ws.column_dimensions[chr(ord("A") + i)].width = w
    help_sheet = wb.create_sheet("How to fill")
    lines = [f"Returns for {p.label}" + (f", {directorate}" if directorate else ""),
             "Fill the shaded cells: value (or numerator and denominator), or a status "
             f"({', '.join(NO_DATA)}) when there is no figure; status {PROVISIONAL} with a "
             "figure still to be confirmed; commentary is optional.",
             "Do not add or rename columns. name, unit, previous period and previous value are "
             "for reference and ignored when the file is loaded.",
             "Load it with: kpi load returns <this file>"]
    for i, text in enumerate(lines, 1):
        put(help_sheet, i, 1, text)
    help_sheet["A1"].font = Font(bold=True)
    help_sheet.column_dimensions["A"].width = 110
    wb.custom_doc_props.append(StringProperty(name=TEMPLATE_PROPERTY, value=TEMPLATE_MARKER))
    return to_bytes(wb, moment)
