"""Regenerate the .xlsx fixtures from their CSV twins: ``python tests/data/make_xlsx.py``.

Cells that read as numbers are written as numbers, and in the returns file
the period of the first row is written as a date (as Excel does when
"2024-04" is typed), so the tests cover both conversions back to text.
"""

import csv
import datetime as dt
from pathlib import Path

import openpyxl

HERE = Path(__file__).parent


def convert(name: str, date_period_rows: int = 0) -> None:
    with open(HERE / f"{name}.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(rows[0])
    for i, row in enumerate(rows[1:]):
        cells = []
        for col, text in zip(rows[0], row, strict=True):
            if col == "period" and i < date_period_rows:
                y, m = text.split("-")
                cells.append(dt.datetime(int(y), int(m), 1))
            elif col not in ("year", "period", "ref") and _is_number(text):
                cells.append(float(text) if "." in text else int(text))
            else:
                cells.append(text or None)
        ws.append(cells)
    wb.properties.created = dt.datetime(2024, 1, 1)  # stable bytes apart from zip times
    wb.save(HERE / f"{name}.xlsx")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


if __name__ == "__main__":
    convert("catalogue-2024-25")
    convert("returns-2024-04", date_period_rows=1)
