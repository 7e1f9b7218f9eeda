"""The data contracts (spec section 6): every file's columns and allowed values.

Declared once here; :mod:`kpilib.catalogue` and :mod:`kpilib.returns` check
files against them, :mod:`kpilib.store` stores them, :mod:`kpilib.report`
writes ``results.csv`` with them and :mod:`kpilib.demo` generates them.
"""

from __future__ import annotations

import pandas as pd

# --------------------------------------------------------------------------- catalogue

CATALOGUE_COLUMNS = (
    "year", "ref", "name", "directorate", "department", "commitment", "report", "theme",
    "frequency", "measure", "unit", "polarity", "target", "tolerance", "floor", "rag_scheme",
    "travel_scheme", "breakdowns", "breakdown", "benchmark", "statutory",
)  # fmt: skip
CATALOGUE_REQUIRED = ("year", "ref", "name", "directorate", "commitment", "report", "frequency",
            "measure", "unit", "polarity")  # fmt: skip
OVERRIDE_COLUMNS = ("year", "ref", "breakdown", "target", "tolerance", "floor")
ENUMS = {
    "report": ("core", "service", "health"),
    "theme": ("Financial", "Customer", "Workforce"),
    "frequency": ("monthly", "quarterly", "annual"),
    "measure": ("sum", "snapshot", "ratio", "cumulative", "mean"),
    "unit": ("percent", "count", "days", "rate", "currency", "number"),
    "polarity": ("higher", "lower", "none"),
    "rag_scheme": ("tolerance", "floor", "graded", "trust"),
    "travel_scheme": ("nnc", "trust", "graded"),
}
DEFAULTS = {"rag_scheme": "tolerance", "travel_scheme": "nnc"}

NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)"  # a number as written in a file

# --------------------------------------------------------------------------- returns

RETURN_COLUMNS = ("ref", "period", "breakdown", "value", "numerator", "denominator", "status",
                  "commentary")  # fmt: skip
RETURN_REQUIRED = ("ref", "period")
NUMBERS = ("value", "numerator", "denominator")
NO_DATA = ("missing", "unavailable", "arrears")
STATUSES = ("", *NO_DATA)

# --------------------------------------------------------------------------- results.csv

RESULTS_COLUMNS = ("ref", "breakdown", "column", "value", "numerator", "denominator", "rag",
                   "travel")  # fmt: skip


def empty_catalogue() -> pd.DataFrame:
    """A catalogue frame with no rows (the store before any catalogue load)."""
    df = pd.DataFrame({c: pd.Series([], dtype=str) for c in CATALOGUE_COLUMNS})
    df["position"] = pd.Series([], dtype="int64")
    return df
