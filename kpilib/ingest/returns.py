"""Returns (measured values): schema, cross-checks against the catalogue, value derivation.

``read_returns_file(path, catalogue)`` reads one returns file (CSV or
``.xlsx``) and returns the validated returns frame of ``docs/design.md``;
every problem in the file is reported at once in a
:class:`~kpilib.errors.ValidationError`.  Validation is vectorised (one lazy
pandera pass, then boolean masks over the whole frame), so 10,000 rows take
a fraction of a second.  ``derive_value`` is shared with the report engine.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from kpilib.errors import PeriodError, Problem, ValidationError, other_rows
from kpilib.ingest import numbers
from kpilib.ingest.catalogue import check_columns, read_table, schema_problems, select_columns
from kpilib.ingest.contracts import INTERNAL, NO_DATA, NUMBERS, PROVISIONAL, STATUSES
from kpilib.ingest.contracts import RETURN_COLUMNS as COLUMNS
from kpilib.ingest.contracts import RETURN_REQUIRED as REQUIRED
from kpilib.ingest.files import TEMPLATE_REFERENCE, is_returns_template, read_bytes
from kpilib.ingest.text import text_problems
from kpilib.rules.measures import NUMBER, UNIT_SCALE
from kpilib.rules.measures import scale as measures_scale
from kpilib.rules.periods import parse_period, quarter_of_month

KEY = ["ref", "period", "breakdown"]

_PERIOD_SHAPE = r"^(?:[0-9]{4}-[0-9]{2}|[0-9]{4}-[0-9]{2}-Q[1-4])$"
_NUMBER_CHECK = pa.Check.str_matches(rf"^(?:|{NUMBER})$", error="expected a number (e.g. 93.4, "
                                                                "11,477 or 98%) or empty")
RETURNS_SCHEMA = pa.DataFrameSchema(
    {
        "ref": pa.Column(str, pa.Check.str_length(min_value=1,
                                                  error="required: a KPI ref from the catalogue")),
        "period": pa.Column(str, pa.Check.str_matches(
            _PERIOD_SHAPE,
            error="expected a month id such as 2024-02 or a quarter id such as 2023-24-Q3")),
        **{col: pa.Column(str, _NUMBER_CHECK) for col in NUMBERS},
        "status": pa.Column(str, pa.Check.isin(list(STATUSES), error=(
            "expected empty (figures given), provisional (figures given, to be confirmed), "
            "missing, unavailable, arrears, not_due or carried_over"))),
        "internal": pa.Column(str, pa.Check.isin(list(INTERNAL), error="expected yes (the "
                              "row's commentary is for internal editions only) or empty")),
    },
    strict=False,
    name="returns",
)  # fmt: skip


def derive_value(value, numerator, denominator, unit):
    """``value`` where given, else ``numerator / denominator`` scaled by the KPI's unit.

    A denominator of 0 (or a missing numerator/denominator) leaves the value
    empty (NaN), never an error.  Works on scalars (returns a float) and on
    equal-length array-likes (returns a float ndarray; ``unit`` may then be a
    single unit or one per element).
    """
    v = np.asarray(value, dtype=float)
    n = np.asarray(numerator, dtype=float)
    d = np.asarray(denominator, dtype=float)
    if isinstance(unit, str):
        scale = measures_scale(unit)
    else:
        units = pd.Series(np.asarray(unit, dtype=object))
        scale = units.map(UNIT_SCALE).fillna(1.0).to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        derived = np.where(d != 0, n / np.where(d != 0, d, 1.0) * scale, np.nan)
    out = np.where(np.isnan(v), derived, v)
    return float(out) if out.ndim == 0 else out


class _Problems:
    """Problems flagged by boolean masks over the returns frame (index = file row)."""

    def __init__(self, name: str, df: pd.DataFrame):
        self.name, self.df, self.list = name, df, []

    def flag(self, mask: pd.Series, column: str, message) -> None:
        """``message``: a string, or a function of the flagged row's index label."""
        for row in self.df.index[mask.to_numpy(bool)]:
            text = message if isinstance(message, str) else message(row)
            value = str(self.df.at[row, column])
            self.list.append(Problem(self.name, int(row), column, value, text))


def _periods(df: pd.DataFrame, probs: _Problems) -> tuple[pd.Series, pd.Series]:
    """Each row's period kind ('month'/'quarter') and financial year ('' if unparseable)."""
    info, bad = {}, {}
    for text in pd.unique(df["period"]):  # few distinct periods: parse each once
        try:
            p = parse_period(text)
            info[text] = (p.kind, p.fy)
        except PeriodError as e:
            info[text] = ("", "")
            if re.match(_PERIOD_SHAPE, text):  # otherwise the schema has said it
                bad[text] = str(e)
    probs.flag(df["period"].isin(list(bad)), "period", lambda r: bad[df.at[r, "period"]])
    kind = df["period"].map({t: k for t, (k, _) in info.items()}).astype(str)
    return kind, df["period"].map({t: fy for t, (_, fy) in info.items()}).astype(str)


def _unmatched(ref: str, fy: str, years_by_ref: dict, loaded: set[str]) -> str:
    if fy not in loaded:
        have = ", ".join(sorted(loaded)) or "none"
        return (f"no catalogue is loaded for {fy}, the period's financial year: load the {fy} "
                f"catalogue first (catalogues loaded: {have})")
    if ref not in years_by_ref:
        return (f"unknown ref: {ref} is in no loaded catalogue "
                f"(expected a ref of the {fy} catalogue)")
    return (f"{ref} is not in the {fy} catalogue, the period's financial year "
            f"(it exists in {', '.join(years_by_ref[ref])})")


def _quarter_hint(month_id: str, frequency: str) -> str:
    if frequency == "quarterly":
        return quarter_of_month(month_id)
    return f"{parse_period(month_id).fy}-Q4"


def _catalogue_checks(df, probs, catalogue, kind, fy) -> pd.DataFrame:
    """Ref in the catalogue of the period's year, period kind, breakdown; each row's KPI."""
    kpis = catalogue.loc[catalogue["breakdown"] == "",
                         ["year", "ref", "frequency", "measure", "unit", "breakdowns"]]
    keys = pd.DataFrame({"year": fy.to_numpy(), "ref": df["ref"].to_numpy()})
    kpi = keys.merge(kpis, on=["year", "ref"], how="left", validate="many_to_one")
    kpi.index = df.index
    found = kpi["frequency"].notna()
    lost = (fy != "") & (df["ref"] != "") & ~found
    if lost.any():
        years_by_ref = kpis.groupby("ref")["year"].agg(lambda s: sorted(set(s))).to_dict()
        loaded = set(catalogue["year"])
        msgs = {p: _unmatched(*p, years_by_ref, loaded)
                for p in set(zip(df["ref"][lost], fy[lost], strict=True))}
        probs.flag(lost, "ref", lambda r: msgs[(df.at[r, "ref"], fy[r])])
    freq = kpi["frequency"]
    probs.flag(found & (freq == "monthly") & (kind == "quarter"), "period",
               lambda r: f"{df.at[r, 'ref']} is a monthly KPI: expected a month id such as "
                         f"2024-02, not a quarter")
    probs.flag(found & freq.isin(["quarterly", "annual"]) & (kind == "month"), "period",
               lambda r: f"{df.at[r, 'ref']} is a{'n' * (freq[r] == 'annual')} {freq[r]} KPI: "
                         f"expected a quarter id such as "
                         f"{_quarter_hint(df.at[r, 'period'], freq[r])}, not a month")
    with_bd = found & (df["breakdown"] != "")
    if with_bd.any():
        listed = kpis.assign(breakdown=kpis["breakdowns"].str.split(";")).explode("breakdown")
        valid = pd.MultiIndex.from_arrays(
            [listed["year"], listed["ref"], listed["breakdown"].str.strip()])
        ok = pd.MultiIndex.from_arrays([fy, df["ref"], df["breakdown"]]).isin(valid)

        def expected(r):
            listed_here = kpi.at[r, "breakdowns"]
            if not listed_here:
                return "an empty breakdown (the KPI has no breakdowns)"
            return f"one of {', '.join(listed_here.split(';'))} or empty for the total"

        probs.flag(with_bd & ~ok, "breakdown", lambda r: (
            f"{df.at[r, 'ref']} has no breakdown {df.at[r, 'breakdown']!r} in {fy[r]}: "
            f"expected {expected(r)}"))
    return kpi.assign(found=found)


def _value_checks(df, probs, kpi, num) -> None:
    """Numbers in range, and value / numerator+denominator / status consistent."""
    v, n, d = num["value"], num["numerator"], num["denominator"]
    unit = kpi["unit"]
    scaled = unit.isin(["percent", "rate"])
    probs.flag((unit == "percent") & ((v < 0) | (v > 100)), "value",
               "a percent value must be between 0 and 100 (written as 93.4, not 0.934)")
    probs.flag(scaled & (n > d) & (d >= 0), "numerator",
               lambda r: f"the numerator is above the denominator ({df.at[r, 'denominator']}): "
                         f"expected numerator <= denominator for a {unit[r]} KPI")
    probs.flag(scaled & (n < 0), "numerator",
               "expected a numerator of 0 or more for a percent or rate KPI")
    probs.flag(d < 0, "denominator", "expected a denominator of 0 or more")

    has = {c: df[c] != "" for c in NUMBERS}
    given = has["value"] | has["numerator"] | has["denominator"]
    status = df["status"]
    probs.flag(status.isin(NO_DATA) & given, "status",
               lambda r: f"status {status[r]!r} means there is no value, but "
                         f"{' and '.join(c for c in NUMBERS if has[c][r])} given: leave value, "
                         f"numerator and denominator empty, or clear status")
    ok = status.isin(("", PROVISIONAL))  # figures given
    ratio = kpi["found"] & (kpi["measure"] == "ratio")
    # a ratio KPI's period may carry its value alone where the counts are not known
    value_only = has["value"] & ~has["numerator"] & ~has["denominator"]
    broken_pair = ok & ~ratio & (has["numerator"] != has["denominator"])
    for col in ("numerator", "denominator"):
        probs.flag(ok & ratio & ~value_only & ~has[col], col,
                   "required for a ratio KPI (or, where the counts are not known, give the "
                   "value alone; or set status to missing, unavailable or arrears)")
        probs.flag(broken_pair & ~has[col], col,
                   "numerator and denominator go together: expected both or neither")
    probs.flag(ok & ~ratio & ~given, "value", "no value: expected a value, or a numerator and "
                                              "denominator, or a status (missing, unavailable "
                                              "or arrears)")


def _percent_signs(df, probs, kpi, signs) -> None:
    """A ``%`` sign is the unit of a percent KPI's value, nowhere else."""
    probs.flag(signs["value"] & kpi["found"] & (kpi["unit"] != "percent"), "value",
               lambda r: f"{df.at[r, 'ref']} is a {kpi.at[r, 'unit']} KPI: a % sign is only "
                         "for a percent KPI's value; expected a plain number")
    for col in ("numerator", "denominator"):
        probs.flag(signs[col], col, f"expected a plain number: the {col} is a count, "
                                    "without a % sign")


def _duplicate_checks(df, probs) -> None:
    dup = df.duplicated(KEY, keep=False)
    if dup.any():
        groups = [sorted(rows) for rows in df[dup].groupby(KEY).groups.values()]
        group_of = {row: rows for rows in groups for row in rows}
        probs.flag(dup, "ref", lambda r: (
            f"duplicate: {_rows_have(group_of[r], r)} the same ref, period "
            f"and breakdown; expected one row per (ref, period, breakdown)"))


def _rows_have(rows: list[int], row: int) -> str:
    many = len(rows) > 2
    return f"row{'s' * many} {other_rows(rows, row)} {'have' if many else 'has'}"


def validate_returns(name: str, raw: pd.DataFrame, catalogue: pd.DataFrame,
                     problems: list[Problem] | None = None) -> tuple[pd.DataFrame, list[int]]:
    """Validate a text frame read by :func:`read_table` against ``catalogue`` (all years).

    Returns the returns frame and the file row number of each of its rows.
    """
    problems = [*(problems or []), *check_columns(name, list(raw.columns), COLUMNS, REQUIRED)]
    df = select_columns(raw, COLUMNS)
    signs = {}
    for c in NUMBERS:
        df[c], signs[c] = numbers.normalise(df[c])
    problems += schema_problems(name, RETURNS_SCHEMA, df)
    probs = _Problems(name, df)
    num = {c: pd.to_numeric(df[c].where(df[c] != ""), errors="coerce").astype(float)
           for c in NUMBERS}
    kind, fy = _periods(df, probs)
    kpi = _catalogue_checks(df, probs, catalogue, kind, fy)
    _value_checks(df, probs, kpi, num)
    _percent_signs(df, probs, kpi, signs)
    _duplicate_checks(df, probs)
    problems += probs.list + text_problems(name, df, texts=("commentary",))
    if problems:
        raise ValidationError(name, numbers.explain_digits(problems))
    out = df[["ref", "period", "breakdown"]].copy()
    out["value"] = derive_value(num["value"], num["numerator"], num["denominator"],
                                kpi["unit"].fillna(""))
    out["numerator"], out["denominator"] = num["numerator"], num["denominator"]
    out["status"], out["commentary"] = df["status"], df["commentary"]
    out["internal"] = df["internal"]
    return out.reset_index(drop=True), [int(r) for r in df.index]


def empty_returns() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series([], dtype=str) for c in COLUMNS})
    return frame.astype({c: float for c in NUMBERS})


def read_returns_file(path: str | Path, catalogue: pd.DataFrame) -> pd.DataFrame:
    """Read and validate one returns file against ``catalogue`` (all years, as in the store).

    Raises :class:`ValidationError` listing every problem in the file.
    """
    return read_returns(path, catalogue)[0]


def read_returns(path: str | Path, catalogue: pd.DataFrame,
                 data: bytes | None = None) -> tuple[pd.DataFrame, list[int]]:
    """As :func:`read_returns_file`, also giving each row's line number in the file.

    ``data``: the file's bytes, if already read (the store hashes and parses the same bytes).
    """
    data = read_bytes(path) if data is None else data
    raw, problems = read_table(path, keep_spaces=("commentary",), data=data)
    if is_returns_template(path, data):  # kpi template returns: drop its reference columns
        raw = raw.drop(columns=[c for c in TEMPLATE_REFERENCE if c in raw.columns])
    return validate_returns(Path(path).name, raw, catalogue, problems)
