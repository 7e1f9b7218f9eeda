"""The KPI catalogue: schema and validation of catalogue files.

``read_catalogue_file`` reads one catalogue file (CSV or ``.xlsx``) and
returns the validated catalogue frame of ``docs/design.md``; every problem in
the file is reported at once in a :class:`~kpilib.errors.ValidationError`.
``kpi_rows`` and ``for_year`` are pure helpers; the target and tolerance
grammar lives in :mod:`kpilib.rules.targets` (re-exported here).  ``read_table``,
``check_columns`` and ``schema_problems`` are shared with :mod:`kpilib.ingest.returns`.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from kpilib import registry
from kpilib.errors import CatalogueError, PeriodError, Problem, ValidationError, other_rows
from kpilib.ingest import numbers, text
from kpilib.ingest.contracts import CATALOGUE_COLUMNS as COLUMNS
from kpilib.ingest.contracts import CATALOGUE_REQUIRED as REQUIRED
from kpilib.ingest.contracts import (
    ENUMS,
    KEY_COLUMNS,
    OVERRIDE_COLUMNS,
    SCALED_UNITS,
    empty_catalogue,
    kpi_rows,
)
from kpilib.ingest.files import read_bytes, read_table
from kpilib.ingest.keys import builtin_keys, key_problems
from kpilib.ingest.metrics import metric_problems
from kpilib.rules.keyspec import ID as KEY_ID
from kpilib.rules.keyspec import KeySet
from kpilib.rules.measures import NUMBER, to_number
from kpilib.rules.names import (
    LABEL_MAX,
    NAME_MAX,
    REF,
    REF_EXPECTED,
    SECTION_MAX,
    clashes,
    label_problem,
)
from kpilib.rules.periods import is_period, parse_fy
from kpilib.rules.targets import (
    TARGET_EXPECTED,
    TARGET_SHAPE,
    TOLERANCE_EXPECTED,
    TOLERANCE_RE,
    Target,
    Tolerance,
    parse_target,
    parse_tolerance,
)

__all__ = ["COLUMNS", "REQUIRED", "Target", "Tolerance", "empty_catalogue", "kpi_rows",
           "for_year", "parse_target", "parse_tolerance", "read_bytes", "read_catalogue_file",
           "read_table"]



# --------------------------------------------------------------------------- reading files
# (in kpilib.ingest.files; read_bytes and read_table are re-exported here for their users)


def check_columns(name: str, header: list[str], allowed: tuple[str, ...],
                  required: tuple[str, ...]) -> list[Problem]:  # fmt: skip
    """Unknown (with the closest valid name), duplicated, unnamed and missing columns."""
    problems, seen = [], set()
    unused = [a for a in allowed if a not in header]
    for i, col in enumerate(header, start=1):
        if not col:
            message = f"column {i} has no name in the header row"
        elif col in seen:
            message = "column appears more than once in the header"
        elif col not in allowed:
            close = difflib.get_close_matches(col.lower(), unused, n=1, cutoff=0.6)
            message = "unknown column: " + (f"did you mean '{close[0]}'?" if close
                                            else f"expected one of {', '.join(allowed)}")
        else:
            message = None
        if message:
            problems.append(Problem(name, 1, col or None, None, message))
        seen.add(col)
    missing = [c for c in required if c not in header]
    return problems + [Problem(name, None, c, None, "required column is missing") for c in missing]


def select_columns(raw: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """``raw``'s known columns (first of duplicates) in contract order, absent ones as ``""``."""
    df = raw.loc[:, ~raw.columns.duplicated()]
    df = df.loc[:, [c for c in df.columns if c in columns]]
    for col in columns:
        if col not in df.columns:
            df[col] = ""
    return df[list(columns)].astype(str)


def schema_problems(name: str, schema: pa.DataFrameSchema, frame: pd.DataFrame) -> list[Problem]:
    """Validate ``frame`` lazily; every failure case becomes a :class:`Problem`."""
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as e:
        def opt(v, cast):
            return None if pd.isna(v) else cast(v)

        return [Problem(name, opt(r.index, int), opt(r.column, str), opt(r.failure_case, str),
                        str(r.check)) for r in e.failure_cases.itertuples(index=False)]
    return []


def enum_check(values: tuple[str, ...]) -> pa.Check:
    return pa.Check.isin([*values, ""], error=f"expected one of {', '.join(values)}")


# --------------------------------------------------------------------------- schema

DECIMALS_EXPECTED = ("expected a whole number of decimal places from 0 to 6 (e.g. 1), or empty "
                     "for the default")


def _is_fy(text: str) -> bool:
    try:
        return not text or bool(parse_fy(text))
    except PeriodError:
        return False


def _breakdowns_ok(text: str) -> bool:
    items = [b.strip() for b in text.split(";")]
    return not text or (all(items) and len(set(items)) == len(items))


def _rebase_ok(text: str) -> bool:
    items = [p.strip() for p in text.split(";")]
    return not text or all(is_period(p) for p in items)


def _baseline_ok(text: str) -> bool:
    return not text or (text.isascii() and text.isdigit() and int(text) >= 12)


def _refs_ok(text: str) -> bool:
    items = [p.strip() for p in text.split(";")]
    return not text or (all(REF.match(p) for p in items) and len(set(items)) == len(items))


def _labels_ok(text: str) -> bool:
    return not text or all(label_problem(b.strip()) is None for b in text.split(";"))


@functools.lru_cache(maxsize=8)
def catalogue_schema(report_types: tuple[str, ...]) -> pa.DataFrameSchema:
    """The catalogue schema; ``report`` takes the registered report types' names."""
    return pa.DataFrameSchema(
    {
        "year": pa.Column(str, pa.Check(_is_fy, element_wise=True,
                                        error="expected a financial year id such as 2024-25")),
        **{col: pa.Column(str, enum_check(values)) for col, values in ENUMS.items()},
        "report": pa.Column(str, enum_check(report_types)),
        **{col: pa.Column(str, pa.Check.str_matches(rf"^(?:|{KEY_ID.pattern[1:-1]})$", error=(
            f"expected the id of a {kind} key (lower case, e.g. tolerance) or empty (the "
            f"council's default {kind} key)"))) for col, kind in KEY_COLUMNS.items()},
        "target": pa.Column(str, pa.Check.str_matches(TARGET_SHAPE, error=TARGET_EXPECTED)),
        "tolerance": pa.Column(str, pa.Check.str_matches(TOLERANCE_RE.pattern,
                                                         error=TOLERANCE_EXPECTED)),
        "floor": pa.Column(str, pa.Check.str_matches(
            rf"^(?:|{NUMBER})$", error="expected a number (the floor) or empty")),
        "decimals": pa.Column(str, pa.Check.str_matches(
            r"^(?:|[0-6])$", error=DECIMALS_EXPECTED)),
        "baseline": pa.Column(str, pa.Check.str_matches(
            rf"^(?:|{NUMBER})$", error="expected a number (the previous year's closing actual) "
                                       "or empty")),
        "spc_rebase": pa.Column(str, pa.Check(_rebase_ok, element_wise=True, error=(
            "expected ';'-separated month or quarter ids from which SPC limits are "
            "recalculated, e.g. 2024-04;2025-04"))),
        "spc_baseline": pa.Column(str, pa.Check(_baseline_ok, element_wise=True, error=(
            "expected a whole number of points, 12 or more (limits fixed from the first "
            "points of each group), or empty"))),
        **{col: pa.Column(str, pa.Check.str_matches(rf"^(?:|{NUMBER})$", error=(
            f"expected a number (the {side} end of an activity indicator's expected range) "
            "or empty"))) for col, side in (("expected_low", "lower"), ("expected_high", "upper"))},
        "previous_ref": pa.Column(str, pa.Check(_refs_ok, element_wise=True, error=(
            "expected the ref this KPI had in the previous year's set, or ';'-separated refs "
            "(each once) when KPIs were merged, e.g. CS-05 or CS-05;CS-06"))),
        "ref": pa.Column(str, pa.Check.str_matches(rf"^(?:|{REF.pattern[1:-1]})$",
                                                   error=REF_EXPECTED)),
        "breakdowns": pa.Column(str, [
            pa.Check(_breakdowns_ok, element_wise=True,
                     error="expected ';'-separated breakdown names, each once, e.g. P1;P2;P3;P4"),
            pa.Check(_labels_ok, element_wise=True,
                     error=f"each breakdown label: at most {LABEL_MAX} printable characters, "
                           "not starting with = + - @")]),
    },
    strict=False,
    name="catalogue",
    )  # fmt: skip


# --------------------------------------------------------------------------- validation


def _row_problems(add, idx, r: pd.Series, kpi: pd.Series, override: bool) -> None:
    """Checks within one row; an override row is judged with its KPI row's columns."""
    def via_kpi(col: str) -> str:
        return f" (its KPI row {kpi.name} has {col} {kpi[col]!r})" if override else ""

    target = None
    try:
        target = parse_target(r["target"])
    except ValueError as e:
        if re.match(TARGET_SHAPE, r["target"]):  # otherwise the schema has said it
            add(idx, "target", r["target"], str(e))
    try:
        parse_tolerance(r["tolerance"])
    except ValueError as e:
        if TOLERANCE_RE.match(r["tolerance"]):
            add(idx, "tolerance", r["tolerance"], str(e))
    if target is not None and target.kind == "number" and kpi["rag_scheme"] == "floor":
        _floor_side(add, idx, r, kpi, target.value)
    if target is not None and target.kind == "number":
        if kpi["polarity"] == "none":
            col = "target" if override else "polarity"
            add(idx, col, r[col], "a numeric target needs polarity higher or lower"
                + via_kpi("polarity"))
        if kpi["rag_scheme"] == "floor" and r["floor"] == "":
            add(idx, "floor", "", "required: the floor scheme needs a floor for a numeric target"
                + (" (an override row gives its own floor)" if override else ""))
        if target.has_profile and kpi["measure"] in ("snapshot", "ratio", "mean"):
            add(idx, "target", r["target"], "a profile is only allowed for sum and cumulative "
                "measures" + via_kpi("measure"))
        if kpi["unit"] == "percent" and any(
            not 0 <= v <= 100 for v in (target.value, *(target.profile or ()))
        ):
            add(idx, "target", r["target"], "a percent target must be between 0 and 100")
    if not override:
        _range_problems(add, idx, r)
    _contradictions(add, idx, r, kpi, target)
    if r["scale"] and kpi["unit"] in ENUMS["unit"] and kpi["unit"] not in SCALED_UNITS:
        add(idx, "scale", r["scale"], f"a {kpi['unit']} KPI has no unit scale; expected empty")
    baseline = to_number(r["baseline"])
    if baseline is not None and kpi["unit"] == "percent" and not 0 <= baseline <= 100:
        add(idx, "baseline", r["baseline"], "a percent baseline must be between 0 and 100")
    if not override and r["report"] in registry.names():
        rtype = registry.get(r["report"])
        if rtype.frequencies and r["frequency"] in ENUMS["frequency"] \
                and r["frequency"] not in rtype.frequencies:
            add(idx, "frequency", r["frequency"], f"a {rtype.name} KPI is reported "
                f"{' or '.join(rtype.frequencies)}: expected {' or '.join(rtype.frequencies)}")
        for col in rtype.required:
            if r[col] == "":
                allowed = ENUMS.get(col)
                add(idx, col, "", f"required for a {rtype.name} KPI"
                    + (f": expected one of {', '.join(allowed)}" if allowed else ""))


def _range_problems(add, idx, r: pd.Series) -> None:
    """An activity indicator's expected range: both ends, low <= high, and no target."""
    low, high = to_number(r["expected_low"]), to_number(r["expected_high"])
    if (r["expected_low"] == "") != (r["expected_high"] == ""):
        col = "expected_high" if r["expected_high"] == "" else "expected_low"
        add(idx, col, "", "an expected range needs both expected_low and expected_high")
    if low is not None and high is not None and low > high:
        add(idx, "expected_low", r["expected_low"], f"expected_low {r['expected_low']} is above "
            f"expected_high {r['expected_high']}; expected low <= high (were they swapped?)")
    if (low is not None or high is not None) and r["target"] != "":
        add(idx, "target", r["target"], "an activity indicator (with an expected range) has no "
            "target; expected an empty target or no expected range")


def _contradictions(add, idx, r: pd.Series, kpi: pd.Series, target: Target | None) -> None:
    """Target, tolerance and floor that contradict each other or the KPI (reporting-rules.md
    7.1): a negative tolerance, ``pp`` on a KPI not in percent, a band on the better side of
    the target, a profile that does not come to its annual target, a floor equal to it."""
    try:
        tol = parse_tolerance(r["tolerance"])
    except ValueError:
        tol = None  # said already
    polarity, unit = kpi["polarity"], kpi["unit"]
    if tol is not None and tol.kind in ("percent", "pp") and tol.value < 0:
        add(idx, "tolerance", r["tolerance"], "a tolerance is how far worse than target is "
            "still Amber: expected 0 or more (e.g. 5% or 5pp)")
    if tol is not None and tol.kind == "pp" and unit in ENUMS["unit"] and unit != "percent":
        add(idx, "tolerance", r["tolerance"], f"percentage points (pp) are for a percent KPI; "
            f"{r['ref']}'s unit is {unit}: expected a tolerance in % of the target, a band "
            "or none")
    if target is None or target.kind != "number":
        return
    plain = not target.has_profile
    if tol is not None and tol.kind == "band" and plain and polarity in ("higher", "lower"):
        low, high = tol.low, tol.high
        wrong = high > target.value if polarity == "higher" else low < target.value
        if wrong:
            side, end = (("below", "high end") if polarity == "higher"
                         else ("above", "low end"))
            add(idx, "tolerance", r["tolerance"], f"the Amber band {r['tolerance']} reaches the "
                f"better side of the target {r['target']} (polarity {polarity}): Amber is for "
                f"values worse than target, so the band lies {side} it: expected its {end} "
                f"at the target or {side}")
    _profile_total(add, idx, r, target)
    floor = to_number(r["floor"])
    if kpi["rag_scheme"] == "floor" and floor is not None and plain \
            and floor == target.value and polarity in ("higher", "lower"):
        side = "below" if polarity == "higher" else "above"
        add(idx, "floor", r["floor"], f"the floor equals the target {r['target']}: no value "
            f"could miss the target and meet the floor (Amber); expected a floor {side} the "
            "target")


def _profile_total(add, idx, r: pd.Series, target: Target) -> None:
    """A profile comes to its annual target: twelve cumulative values end at it; ``N per
    month`` is the annual target / 12 (``per quarter``: / 4) as rounded where it is written."""
    annual = target.value
    if target.profile and not math.isclose(target.profile[-1], annual, rel_tol=1e-9,
                                           abs_tol=1e-9):
        last = r["target"].rsplit(";", 1)[-1].rstrip(") ")
        add(idx, "target", r["target"], f"a cumulative profile ends at the annual target: its "
            f"twelfth value (March) is {last}, the annual target {numbers_text(annual)}; "
            "expected them equal")
    for each, parts in (("month", 12), ("quarter", 4)):
        share = target.per_month if each == "month" else target.per_quarter
        if share is None:
            continue
        written = re.search(r"\(\s*[-+]?[0-9]*\.?([0-9]*)\s+per", r["target"])
        decimals = len(written.group(1)) if written else 0
        exact = annual / parts
        if abs(share - exact) > 0.5 * 10 ** -decimals + 1e-9:
            add(idx, "target", r["target"], f"{numbers_text(share)} per {each} is "
                f"{numbers_text(share * parts)} a year, not the annual target "
                f"{numbers_text(annual)}: expected {numbers_text(round(exact, max(decimals, 2)))}"
                f" per {each} ({numbers_text(annual)} / {parts}), or the annual target "
                f"{numbers_text(share * parts)}")


def numbers_text(x: float) -> str:
    """A number as a message shows it: ``22``, ``8.33``."""
    return f"{x:.6f}".rstrip("0").rstrip(".")


def _floor_side(add, idx, r: pd.Series, kpi: pd.Series, target: float) -> None:
    """A floor is on the worse side of the target: below it when higher is better."""
    floor = to_number(r["floor"])
    if floor is None or kpi["polarity"] not in ("higher", "lower") or floor == target:
        return
    wrong = floor > target if kpi["polarity"] == "higher" else floor < target
    if wrong:
        side = "below" if kpi["polarity"] == "higher" else "above"
        add(idx, "floor", r["floor"],
            f"{r['ref']}: the floor {r['floor']} is on the wrong side of the target "
            f"{r['target']} for polarity {kpi['polarity']} (the floor must be {side} the "
            f"target); were they swapped? target {r['floor']}, floor {r['target']}?")


def _name_clashes(add, df: pd.DataFrame) -> None:
    """Sections (pages) and refs (element ids) whose file names or ids would collide."""
    kpis = df[(df["breakdown"] == "") & (df["year"] != "")]
    for (year, report), group in kpis.groupby(["year", "report"], sort=False):
        if report not in registry.names() or registry.get(report).single_page:
            continue  # a single page: its sections are not pages
        rtype = registry.get(report)
        key, extra = rtype.section_key, {stem: title for stem, title, _ in rtype.extra_pages}
        for s, names in clashes(list(group[key]), tuple(extra)).items():
            for row in group.index[group[key].isin(names)]:
                what = (f"its page would be {s}.html, the overview's file name" if s == "index"
                        else f"its page would be {s}.html, the file name of the report's "
                        f"{extra[s]} page" if s in extra
                        else "their pages would share the file name " + f"{s}.html: "
                        + ", ".join(repr(n) for n in names))
                add(row, key, group.at[row, key], f"{year} {report} report: {what}; "
                    "rename the section")
    for year, group in kpis.groupby("year", sort=False):
        for s, refs in clashes(list(group["ref"])).items():
            if len(refs) < 2:
                continue
            for row in group.index[group["ref"].isin(refs)]:
                add(row, "ref", group.at[row, "ref"], f"refs {', '.join(refs)} of {year} "
                    f"would share the page anchor kpi-{s}; make them differ in letters or "
                    "digits")


NAME_COLUMNS = ("directorate", "department", "commitment", "theme", "name")
TEXT_COLUMNS = ("benchmark", "statutory")


def _name_problems(name: str, df: pd.DataFrame) -> list[Problem]:
    """Names bounded and on one line (ingest.text): a section's name (any report type's page
    key, and the other organisational names) at most SECTION_MAX characters, since its page
    file name derives from it; a KPI's name at most NAME_MAX; free text without control
    characters."""
    sections = {*NAME_COLUMNS[:-1], *(registry.get(n).section_key for n in registry.names())}
    limits = {c: SECTION_MAX if c in sections else NAME_MAX
              for c in (*NAME_COLUMNS, *sorted(sections)) if c in df.columns}
    return text.text_problems(name, df, limits, TEXT_COLUMNS)


def _cross_problems(name: str, df: pd.DataFrame, missing: set[str]) -> list[Problem]:
    """Checks across columns and rows that the schema cannot express."""
    out: list[Problem] = []

    def add(row, col, value, msg):
        out.append(Problem(name, int(row), col, value, msg))

    is_kpi = df["breakdown"] == ""
    kpis = df[is_kpi]
    for col in (c for c in REQUIRED if c not in missing):  # year, ref on every row
        rows = df if col in ("year", "ref") else kpis
        for row in rows.index[rows[col] == ""]:
            add(row, col, "", "required value is empty")
    for keys, what in (["year", "ref"], "KPI row"), (["year", "ref", "breakdown"], "override row"):
        part = kpis if what == "KPI row" else df[~is_kpi]
        part = part[(part["year"] != "") & (part["ref"] != "")]
        for _, group in part[part.duplicated(keys, keep=False)].groupby(keys, sort=False):
            group_rows = sorted(group.index)
            for row in group.index:
                others = other_rows(group_rows, row)
                key = " ".join(f"{k}={group.at[row, k]!r}" for k in keys)
                add(row, "ref", group.at[row, "ref"], f"duplicate {what} ({key}, also on row "
                    f"{others}): a ref must be unique within its year")
    kpi_at = {(r.year, r.ref): idx for idx, r in kpis.iterrows()}
    for idx, r in df.iterrows():
        override = r["breakdown"] != ""
        parent = kpi_at.get((r["year"], r["ref"])) if override else idx
        if override:
            for col in (c for c in df.columns if c not in OVERRIDE_COLUMNS and r[c] != ""):
                add(idx, col, r[col], "an override row (breakdown set) may only fill target, "
                                      "tolerance and floor besides year, ref and breakdown")
            if parent is None:
                if r["ref"]:
                    add(idx, "ref", r["ref"], f"override row for {r['ref']}, but there is no KPI "
                                              f"row for {r['ref']} in {r['year']} in this file")
                continue
            allowed = [b.strip() for b in df.at[parent, "breakdowns"].split(";") if b.strip()]
            if r["breakdown"] not in allowed:
                expected = f"one of {', '.join(allowed)}" if allowed else "none (no breakdowns)"
                add(idx, "breakdown", r["breakdown"],
                    f"not a breakdown of {r['ref']} (row {parent}); expected {expected}")
        _row_problems(add, idx, r, df.loc[parent], override)
    if not missing & {"year", "ref", "report"}:
        _name_clashes(add, df)
    out += _name_problems(name, df)
    return out


def validate_catalogue(name: str, raw: pd.DataFrame, problems: list[Problem] | None = None,
                       keys: KeySet | None = None) -> pd.DataFrame:  # fmt: skip
    """Validate a text frame read by :func:`read_table`; return the catalogue frame.
    ``keys``: the status and travel keys the KPIs may name (None: kpilib's built-in keys)."""
    problems = [*(problems or []), *check_columns(name, list(raw.columns), COLUMNS, REQUIRED)]
    df = select_columns(raw, COLUMNS)
    for col in ("target", "floor", "baseline", "expected_low", "expected_high"):  # 98%, 11,477
        df[col], sign = numbers.normalise(df[col])
        units = df["unit"].where(df["breakdown"] == "", df.groupby(["year", "ref"])["unit"]
                                 .transform("first"))
        for row in df.index[sign & (units != "percent")]:
            problems.append(Problem(name, int(row), col, str(raw.at[row, col]), "a % sign is "
                                    "only for a percent KPI; expected a plain number"))
    schema = catalogue_schema(registry.catalogue_names())  # a view is named by no row
    problems += numbers.explain_digits(schema_problems(name, schema, df))
    problems += _cross_problems(name, df, {c for c in COLUMNS if c not in raw.columns})
    problems += key_problems(name, df, keys or builtin_keys())
    problems += metric_problems(name, df)
    if problems:
        raise ValidationError(name, problems)
    rows = [int(i) for i in df.index]  # the file's row numbers (kpilib.store.previous_refs)
    df = df.reset_index(drop=True)
    df["position"] = pd.Series(range(len(df)), dtype="int64")
    df.attrs["row_numbers"] = rows
    return df


def read_catalogue_file(path: str | Path, data: bytes | None = None,
                        keys: KeySet | None = None) -> pd.DataFrame:
    """Read and validate one catalogue file (CSV or .xlsx; ``data``: its bytes, if already read;
    ``keys``: the council's keys, which ``rag_scheme`` and ``travel_scheme`` may name).

    Raises :class:`ValidationError` listing every problem in the file.
    """
    raw, problems = read_table(path, data=data)
    return validate_catalogue(Path(path).name, raw, problems, keys)


# --------------------------------------------------------------------------- report helpers


def for_year(cat: pd.DataFrame, fy: str) -> pd.DataFrame:
    """The catalogue rows of financial year ``fy``; :class:`CatalogueError` if it has none."""
    parse_fy(fy)
    rows = cat[cat["year"] == fy]
    if rows.empty:
        years = ", ".join(sorted(set(cat["year"]))) or "none"
        raise CatalogueError(f"no KPI set for {fy} in the catalogue (years loaded: {years})")
    return rows.sort_values("position", kind="stable").reset_index(drop=True)
