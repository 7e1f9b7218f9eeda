"""Workbooks kpilib writes (openpyxl): cells that can never become formulas, and the same
bytes for the same content.

* :func:`put` writes a value into a cell; text is always a text cell (``data_type`` ``s``),
  even when it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, so no text
  from a return or the catalogue can become a formula or a DDE command.
* :func:`to_bytes` saves a workbook with its created/modified properties set from one moment
  (a run's ``as_of``) and every zip member dated from it too: no wall clock in the file.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from openpyxl.styles import Font, PatternFill

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDDDDD")


def put(ws, row: int, column: int, value, number_format: str | None = None):
    """Write ``value`` (text, a number or ``None``) as a value, never a formula."""
    cell = ws.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # openpyxl would make "=..." a formula
    else:
        cell.value = value
        if number_format and value is not None:
            cell.number_format = number_format
    return cell


def header(ws, row: int, names: list[str]) -> None:
    for i, name in enumerate(names, 1):
        cell = put(ws, row, i, name)
        cell.font, cell.fill = BOLD, HEADER_FILL


def moment(as_of: str) -> dt.datetime:
    """A stored moment (``2025-06-30T00:00:00.000000Z``) as a naive UTC datetime."""
    return dt.datetime.strptime(as_of[:19], "%Y-%m-%dT%H:%M:%S")


def to_bytes(wb, as_of: str) -> bytes:
    """The workbook's bytes, dated ``as_of`` throughout (properties and zip members)."""
    from openpyxl.writer.excel import ExcelWriter

    when = moment(as_of)
    wb.properties.created = wb.properties.modified = when
    wb.properties.creator = wb.properties.lastModifiedBy = "kpilib"
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
        archive_names = archive.namelist()
    # openpyxl overwrote ``modified`` with now; and every zip member carries now: rewrite
    core = _core_xml(wb, when)
    out = io.BytesIO()
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute,
             when.second)
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in archive_names:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            dst.writestr(info, core if name == "docProps/core.xml" else src.read(name))
    return out.getvalue()


def _core_xml(wb, when: dt.datetime) -> bytes:
    from openpyxl.xml.functions import tostring

    wb.properties.created = wb.properties.modified = when
    return tostring(wb.properties.to_tree())
