"""The data contracts (spec section 6): every file's columns and allowed values.

Declared once here; :mod:`kpilib.ingest.catalogue` and :mod:`kpilib.ingest.returns` check
files against them, :mod:`kpilib.store` stores them, :mod:`kpilib.reports.model`
writes ``results.csv`` with them and :mod:`kpilib.demo` generates them.
"""

from __future__ import annotations

import pandas as pd

# --------------------------------------------------------------------------- catalogue

CATALOGUE_COLUMNS = (
    "year", "ref", "name", "directorate", "department", "commitment", "report", "theme",
    "frequency", "measure", "unit", "polarity", "target", "tolerance", "floor", "rag_scheme",
    "travel_scheme", "breakdowns", "breakdown", "benchmark", "statutory", "decimals", "baseline",
    "spc_rebase", "spc_baseline", "expected_low", "expected_high", "previous_ref", "scale",
    "metric",
)  # fmt: skip
# Optional columns added to the contract after its first version: a store made before them
# gains them (empty), and a run's catalogue fingerprint leaves them out while they are empty,
# so that publications made before them still audit as identical.
CATALOGUE_ADDED = ("decimals", "baseline", "spc_rebase", "spc_baseline", "expected_low",
                   "expected_high", "previous_ref", "scale", "metric")
CATALOGUE_REQUIRED = ("year", "ref", "name", "directorate", "commitment", "report", "frequency",
            "measure", "unit", "polarity")  # fmt: skip
OVERRIDE_COLUMNS = ("year", "ref", "breakdown", "target", "tolerance", "floor")
ENUMS = {
    "theme": ("Financial", "Customer", "Workforce"),
    "frequency": ("monthly", "quarterly", "annual"),
    "measure": ("sum", "snapshot", "ratio", "cumulative", "mean"),
    "unit": ("percent", "count", "days", "rate", "currency", "number"),
    "polarity": ("higher", "lower", "none"),
    "scale": ("thousands", "millions"),  # the unit scale: figures returned in £000, £m, 000s
}
SCALED_UNITS = ("currency", "count", "number")  # the units a scale may be given for
# ``report`` takes the name of a registered report type (kpilib.registry).  ``rag_scheme`` and
# ``travel_scheme`` name a status key and a travel key (kpilib's built-in ones, or the
# council's own in council.yaml); empty: the council's default keys (kpilib.rules.keyspec).
KEY_COLUMNS = {"rag_scheme": "status", "travel_scheme": "travel"}

# --------------------------------------------------------------------------- returns

RETURN_COLUMNS = ("ref", "period", "breakdown", "value", "numerator", "denominator", "status",
                  "commentary", "internal")  # fmt: skip
# Optional returns columns added later: a store made before them gains them (empty), and a
# run's returns fingerprint leaves them out while they are empty (as CATALOGUE_ADDED).
RETURNS_ADDED = ("internal",)
INTERNAL = ("", "yes")  # ``internal``: "yes" = the row's commentary is for internal editions
RETURN_REQUIRED = ("ref", "period")
NUMBERS = ("value", "numerator", "denominator")
NO_DATA = ("missing", "unavailable", "arrears", "not_due", "carried_over")
PROVISIONAL = "provisional"  # figures given, to be confirmed: marked as such on the pages
STATUSES = ("", *NO_DATA, PROVISIONAL)

# --------------------------------------------------------------------------- results.csv

RESULTS_COLUMNS = ("ref", "breakdown", "column", "value", "numerator", "denominator", "rag",
                   "travel", "travel_label", "override_reason", "parts")  # fmt: skip


# --------------------------------------------------------------------------- rules of the contract


def kpi_rows(cat: pd.DataFrame, all_breakdowns: bool = False) -> pd.DataFrame:
    """One full row per (year, ref, breakdown); breakdown ``""`` is the KPI itself.

    Each override row is resolved into the KPI's row with the override's
    target, tolerance and floor. With ``all_breakdowns=True`` every breakdown
    listed in ``breakdowns`` gets a row, those without an override carrying the
    KPI's own target, tolerance and floor. Rows come in report order (year,
    catalogue order, total before its breakdowns in ``breakdowns`` order);
    ``position`` is the KPI row's position for all of them.
    """
    keys = ["year", "ref"]
    is_kpi = cat["breakdown"] == ""
    kpis = cat[is_kpi]
    listed = kpis.loc[kpis["breakdowns"] != "", [*keys, "breakdowns"]]
    listed = listed.assign(breakdown=listed["breakdowns"].str.split(";")).explode("breakdown")
    listed = listed.assign(breakdown=listed["breakdown"].str.strip(),
                           _order=listed.groupby(keys).cumcount() + 1).drop(columns="breakdowns")
    overrides = cat.loc[~is_kpi, list(OVERRIDE_COLUMNS)]
    resolved = kpis.drop(columns=["breakdown", "target", "tolerance", "floor"]).merge(overrides,
                                                                                     on=keys)
    if all_breakdowns:
        base = kpis.drop(columns="breakdown").merge(listed[[*keys, "breakdown"]], on=keys)
        have = pd.MultiIndex.from_frame(resolved[[*keys, "breakdown"]])
        base = base[~pd.MultiIndex.from_frame(base[[*keys, "breakdown"]]).isin(have)]
        resolved = pd.concat([resolved, base], ignore_index=True)
    resolved = resolved.merge(listed, on=[*keys, "breakdown"], how="left")
    rows = pd.concat([kpis.assign(_order=0), resolved], ignore_index=True)
    rows = rows.sort_values(["year", "position", "_order"], kind="stable")
    return rows[[*CATALOGUE_COLUMNS, "position"]].reset_index(drop=True)


def empty_catalogue() -> pd.DataFrame:
    """A catalogue frame with no rows (the store before any catalogue load)."""
    df = pd.DataFrame({c: pd.Series([], dtype=str) for c in CATALOGUE_COLUMNS})
    df["position"] = pd.Series([], dtype="int64")
    return df

# ------------------------------------------------------------------ programmes, comparators
# (spec section 7: the county corporate report's "Managing change" and comparator figures)

PROGRAMME_COLUMNS = ("programme", "period", "status", "due", "lead", "description", "update")
PROGRAMME_REQUIRED = ("programme", "period", "status")
PROGRAMME_STATUSES = ("Green", "Amber", "Red", "Complete", "Not started")
COMPARATOR_COLUMNS = ("ref", "group", "period", "value", "source")
# ------------------------------------------------------------- targets and overrides
# (reporting rules 7.9 and 7.10: targets per period, statuses set by judgement)
TARGET_COLUMNS = ("ref", "breakdown", "period", "target")  # + the keys' declared references
TARGET_REQUIRED = ("ref", "period", "target")
OVERRIDE_LOAD_COLUMNS = ("ref", "period", "breakdown", "status", "reason", "by")
OVERRIDE_LOAD_REQUIRED = ("ref", "period", "status", "reason", "by")
COMPARATOR_REQUIRED = ("ref", "group", "period", "value")
# ------------------------------------------------------------- bodies, groups, benchmarks
# (reporting rules 7.11-7.13: peer bodies by their official codes, named groups of them, and
# their published figures in the long format national datasets use)
BODY_COLUMNS = ("body", "name", "kind")
BODY_REQUIRED = ("body", "name")
GROUP_COLUMNS = ("group", "body")
GROUP_REQUIRED = ("group", "body")
BENCHMARK_COLUMNS = ("body", "metric", "period", "value", "unit", "numerator", "denominator")
BENCHMARK_REQUIRED = ("body", "metric", "period", "value", "unit")
ANNOTATION_COLUMNS = ("ref", "period", "text", "rebase")
ANNOTATION_REQUIRED = ("ref", "period", "text")
