"""Shared fixtures: small valid input files, a fresh store, a CSV writer.

The fixture files live in ``tests/data`` (readable CSVs; the ``.xlsx`` twins
are made by ``tests/data/make_xlsx.py``).  ``catalogue-2024-25.csv`` covers
every measure, a ratio percent KPI with breakdowns P1-P4 and override rows
(HSG03), quarterly KPIs, a floor-scheme KPI, a rate KPI, a health KPI and the
three target profiles.  Its spreadsheet rows (header = 1):

    2 HSG01  snapshot count, target 480      9  FIN01 cumulative percent, 12-value profile
    3 HSG02  sum count, tracking only       10  LIB01 sum count, 264 (22 per month)
    4 HSG03  ratio percent, P1-P4           11  ENV01 quarterly sum, 400 (100 per quarter)
    5-8      HSG03 overrides P1..P4         12  BEN01 quarterly mean days, floor scheme
                                            13  ASC01 quarterly ratio rate
                                            14  HR01  health Workforce, target review
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest
from postgres import postgres  # noqa: F401  (the session's throwaway PostgreSQL server)

from kpilib.ingest.catalogue import read_catalogue_file
from kpilib.store import Store

DATA = Path(__file__).parent / "data"
CATALOGUE_2024 = DATA / "catalogue-2024-25.csv"
CATALOGUE_2023 = DATA / "catalogue-2023-24.csv"
RETURNS_2024_04 = DATA / "returns-2024-04.csv"
RETURNS_2024_Q1 = DATA / "returns-2024-25-Q1.csv"
RETURNS_HEADER = ["ref", "period", "breakdown", "value", "numerator", "denominator", "status",
                  "commentary"]  # fmt: skip


def write_csv(path: Path, header: list[str], rows: list[list | dict]) -> Path:
    """Write a UTF-8 CSV; rows are lists (in header order) or dicts (missing keys empty)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for row in rows:
            w.writerow([row.get(c, "") for c in header] if isinstance(row, dict) else row)
    return path


def read_csv_rows(path: Path) -> tuple[list[str], list[dict]]:
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames), list(reader)


def problem_keys(err) -> set[tuple]:
    """(row, column) of every problem of a ValidationError."""
    return {(p.row, p.column) for p in err.problems}


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def catalogue_csv(tmp_path) -> Path:
    """The valid 2024-25 catalogue, copied to a tmp file."""
    return Path(shutil.copy(CATALOGUE_2024, tmp_path / CATALOGUE_2024.name))


@pytest.fixture
def catalogue_2023_csv(tmp_path) -> Path:
    return Path(shutil.copy(CATALOGUE_2023, tmp_path / CATALOGUE_2023.name))


@pytest.fixture
def returns_csv(tmp_path) -> Path:
    """Valid returns for 2024-04 (monthly KPIs, HSG03 with P1-P4), copied to a tmp file."""
    return Path(shutil.copy(RETURNS_2024_04, tmp_path / RETURNS_2024_04.name))


@pytest.fixture(scope="session")
def catalogue_frame() -> pd.DataFrame:
    """The validated catalogue of both fixture years, as a store would return it."""
    frames = [read_catalogue_file(CATALOGUE_2023), read_catalogue_file(CATALOGUE_2024)]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "kpi.sqlite")
    yield s
    s.close()


@pytest.fixture
def loaded_store(store, catalogue_csv, catalogue_2023_csv):
    """A store holding both fixture catalogues (2023-24 and 2024-25), no returns."""
    store.load_catalogue(catalogue_2023_csv, loaded_at="2024-04-01T09:00:00Z")
    store.load_catalogue(catalogue_csv, loaded_at="2024-04-01T09:00:01Z")
    return store
