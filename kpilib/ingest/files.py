"""Reading input files (CSV or ``.xlsx``) as text, within fixed bounds of size and time.

Whatever a file holds, reading it takes bounded memory and time, and every way it can be
wrong is a :class:`~kpilib.errors.ValidationError` naming the file, never a traceback:

* at most :data:`MAX_FILE_BYTES` on disk (a larger file is refused before it is read);
* an ``.xlsx`` is a zip: its members may inflate to at most :data:`MAX_UNPACKED_BYTES`
  in all, checked in the zip's directory before a byte is inflated (a "zip bomb" of 1 MB
  that inflates to 1 GB is refused at once); a file that is not a zip (a CSV named
  ``.xlsx``) is named as such;
* at most :data:`MAX_ROWS` rows and :data:`MAX_COLUMNS` columns, each value at most
  :data:`MAX_CELL_CHARS` characters (Excel's own limit for a cell).

The limits are module constants: a deployment with bigger files may raise them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pandas as pd

from kpilib.errors import Problem, ValidationError, shown

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 200
MAX_CELL_CHARS = 32_767

# A returns workbook made by ``kpi template returns`` carries this custom document property;
# its reference columns (for the person filling it in) are not part of the returns contract
# and are ignored when it is loaded.  In any other file they are unknown columns, as ever.
TEMPLATE_PROPERTY = "kpilib"
TEMPLATE_MARKER = "returns-template 1"
TEMPLATE_REFERENCE = ("name", "unit", "previous period", "previous value")


def file_error(name: str, message: str) -> ValidationError:
    return ValidationError(name, [Problem(name, None, None, None, message)])


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):,.0f} MB"


def read_bytes(path: str | Path) -> bytes:
    """The bytes of an input file: a missing, unreadable or too large file (or a folder) is
    a :class:`ValidationError`."""
    path = Path(path)
    try:
        if path.is_dir():
            raise file_error(path.name, f"{path} is a folder; expected a CSV or .xlsx file")
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise file_error(path.name, f"file not found: {path}") from None
    except OSError as e:
        raise file_error(path.name, f"cannot read the file: {e.strerror or e}") from None
    if len(data) > MAX_FILE_BYTES:
        raise file_error(path.name, f"larger than {_mb(MAX_FILE_BYTES)}, the most kpilib reads "
                                    "from one file (kpilib.ingest.files.MAX_FILE_BYTES): "
                                    "split it")
    return data


def _cell_text(v: object) -> str:
    """An xlsx cell as the text a CSV export would hold."""
    if v is None:
        return ""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, dt.date):  # Excel turns a typed "2024-02" into 1 Feb 2024: a month id
        midnight = not isinstance(v, dt.datetime) or v.time() == dt.time(0)
        return v.strftime("%Y-%m") if v.day == 1 and midnight else v.isoformat()
    return str(v)


def _too_many_rows(name: str) -> ValidationError:
    return file_error(name, f"more than {MAX_ROWS:,} rows, the most kpilib reads from one file "
                            "(kpilib.ingest.files.MAX_ROWS): split it")


def _bounded(name: str, rows) -> list[list[str]]:
    """At most MAX_ROWS + 1 records (the header) of at most MAX_COLUMNS values."""
    out = []
    for i, row in enumerate(rows, start=1):
        if i > MAX_ROWS + 1:
            raise _too_many_rows(name)
        if len(row) > MAX_COLUMNS and any(c is not None and str(c).strip()
                                          for c in row[MAX_COLUMNS:]):
            raise file_error(name, f"row {i} has more than {MAX_COLUMNS} values, the most "
                                   "kpilib reads (kpilib.ingest.files.MAX_COLUMNS)")
        out.append(list(row[:MAX_COLUMNS]))
    return out


def _read_xlsx(name: str, data: bytes) -> list[list[str]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            unpacked = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise file_error(name, "not an .xlsx workbook (an .xlsx file is a zip archive): if it "
                               "is a CSV file, name it .csv; otherwise save it from Excel as "
                               ".xlsx") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise file_error(name, f"the workbook unpacks to {_mb(unpacked)}, more than the "
                               f"{_mb(MAX_UNPACKED_BYTES)} kpilib reads "
                               "(kpilib.ingest.files.MAX_UNPACKED_BYTES): is it a real "
                               "workbook? Export the sheet as CSV")
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            if not wb.worksheets:
                raise file_error(name, "the workbook has no worksheet")
            rows = wb.worksheets[0].iter_rows(values_only=True, max_col=MAX_COLUMNS + 1)
            return [[_cell_text(v) for v in row] for row in _bounded(name, rows)]
        finally:
            wb.close()
    except ValidationError:
        raise
    except Exception as e:  # openpyxl and the XML parsers raise many kinds on a broken file
        raise file_error(name, f"cannot read the workbook ({type(e).__name__}: "
                               f"{shown(str(e))}): save it again from Excel, or as CSV") from None


def is_returns_template(path: str | Path, data: bytes) -> bool:
    """Whether ``data`` is a returns workbook made by ``kpi template returns``."""
    if Path(path).suffix.lower() != ".xlsx":
        return False
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        try:
            return any(p.name == TEMPLATE_PROPERTY and p.value == TEMPLATE_MARKER
                       for p in wb.custom_doc_props)
        finally:
            wb.close()
    except Exception:  # not a readable workbook: read_table says why
        return False


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")  # as newline="" splits lines


def _read_records(path: Path, data: bytes) -> list[list[str]]:
    if path.suffix.lower() == ".xlsx":
        return _read_xlsx(path.name, data)
    text = data.decode("utf-8-sig")
    lines = (m.group() for m in _LINE.finditer(text))  # lazily: no second copy of the text
    return _bounded(path.name, csv.reader(lines, strict=True))


def read_table(path: str | Path, keep_spaces: tuple[str, ...] = (),
               data: bytes | None = None) -> tuple[pd.DataFrame, list[Problem]]:  # fmt: skip
    """Read a CSV (UTF-8) or .xlsx file as text (``data``: its bytes, if already read).

    Returns the frame (header names stripped, every value a string, stripped
    except in the ``keep_spaces`` columns; index = spreadsheet row number,
    header = 1, blank rows dropped) and the problems found in the file's
    shape. An unreadable, empty or too large file raises :class:`ValidationError` at once.
    """
    name = Path(path).name
    try:
        records = _read_records(Path(path), read_bytes(path) if data is None else data)
    except UnicodeDecodeError as e:
        raise file_error(name, f"not UTF-8 text (byte 0x{e.object[e.start]:02x} at offset "
                               f"{e.start}): save the file as UTF-8 CSV") from None
    except csv.Error as e:
        raise file_error(name, f"cannot read the file as CSV: {shown(str(e))}") from None
    if not records or not any(c.strip() for c in records[0]):
        raise ValidationError(name, [Problem(name, 1, None, None, "expected a header row")])
    if not any(any(c.strip() for c in rec) for rec in records[1:]):
        raise file_error(name, "no data rows: expected at least one row under the header")
    header = [c.strip() for c in records[0]]
    while header and not header[-1]:  # trailing empty header cells (xlsx)
        header.pop()
    width, problems, values, index = len(header), [], [], []
    for i, rec in enumerate(records[1:], start=2):
        if not any(c.strip() for c in rec):
            continue
        if any(c.strip() for c in rec[width:]):
            problems.append(Problem(name, i, None, None, f"row has {len(rec)} values but the "
                                                         f"header has {width} columns"))
            continue
        for j, c in enumerate(rec[:width]):
            if len(c) > MAX_CELL_CHARS:
                problems.append(Problem(name, i, header[j] or None, c,
                                        f"{len(c):,} characters; a value holds at most "
                                        f"{MAX_CELL_CHARS:,} (as an Excel cell)"))
                rec[j] = ""
        values.append((rec + [""] * width)[:width])
        index.append(i)
    frame = pd.DataFrame(values, columns=range(width), dtype=str,
                         index=pd.Index(index, dtype="int64", name="row"))
    for i, col in enumerate(header):
        if col not in keep_spaces:
            frame[i] = frame[i].str.strip()
    frame.columns = header
    return frame, problems
