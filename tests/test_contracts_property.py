"""The data contracts, tried with generated data (hypothesis): any catalogue and returns the
validators accept give a deterministic report whose results survive re-reading, and a real
`kpi run` of them audits identical.

The strategies follow the contract of docs/reporting-rules.md (refs from the safe pattern,
every measure, unit, polarity, target form with its profiles, tolerance, RAG and travel
scheme, breakdowns with override rows, statuses, values in range, numbers as analysts type
them), with real directorates, commitments and names from the North Northamptonshire
catalogue.  Every generated pair must be accepted: a rejection is a bug in the validators or
in these strategies.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import write_csv
from kpilib.cli import main
from kpilib.errors import ValidationError
from kpilib.ingest.catalogue import read_catalogue_file
from kpilib.ingest.contracts import CATALOGUE_COLUMNS, RESULTS_COLUMNS, RETURN_COLUMNS
from kpilib.ingest.returns import read_returns_file
from kpilib.publish.manifest import CATALOGUE_KEY, RETURN_KEY, frame_digest
from kpilib.registry import results_csv
from kpilib.reports.model import build_report
from kpilib.rules.names import REF, slug
from kpilib.store import Store

YEAR, PERIOD, MONTHS = "2024-25", "2024-06", ("2024-04", "2024-05", "2024-06")
AS_OF = "2025-06-30T00:00:00.000000Z"
DIRECTORATES = ("Adults, Health Partnerships & Housing", "Children's Services", "Place & Economy",
                "Finance & Performance")
COMMITMENTS = ("Active, fulfilled lives", "Better, Brighter Futures", "Modern public services",
               "Safe and thriving places")
NAMES = ("Number of households in Temporary Accommodation", "Total number of homeless approaches",
         "% of single assessments authorised within 45 working days",
         "Council tax collection rates (in year)", "Number of Defects Repaired in period, split "
         "by category", "Average time taken to re-let NNC standard void properties")
SUMMABLE = ("sum", "cumulative")  # the measures a target profile is allowed for

settings.register_profile("contracts", database=None, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
PROPERTY = settings(settings.get_profile("contracts"), max_examples=25)
END_TO_END = settings(settings.get_profile("contracts"), max_examples=3)

# --------------------------------------------------------------------------- strategies

text = st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), min_size=1,
               max_size=30).map(str.strip).filter(bool)
label = text.filter(lambda s: s.isprintable() and ";" not in s
                    and not s.startswith(("=", "+", "-", "@")))


def number_text(value: float, unit: str, draw, plain: bool = True) -> str:
    """A number as an analyst types it: 11,477 or 11477; 97.5% on a percent KPI (a whole cell
    only: ``plain=False`` for the annual figure of a profile, ``264 (22 per month)``)."""
    s = f"{value:.2f}".rstrip("0").rstrip(".")
    if not plain:
        return s
    if abs(value) >= 1000 and draw(st.booleans()):
        whole, _, frac = s.lstrip("-").partition(".")
        s = ("-" if value < 0 else "") + f"{int(whole):,}" + (f".{frac}" if frac else "")
    if unit == "percent" and draw(st.booleans()):
        s += "%"
    return s


def amount(unit: str, low: float = 0.0) -> st.SearchStrategy[float]:
    high = 100.0 if unit == "percent" else 20_000.0
    return st.floats(low, high, allow_nan=False).map(lambda v: round(v, 2))


@st.composite
def target_cell(draw, kpi: dict) -> tuple[str, float | None]:
    """A target the KPI's polarity, measure, unit and scheme allow (and its number)."""
    if kpi["polarity"] == "none":
        return draw(st.sampled_from(["", "review"])), None
    unit = kpi["unit"]
    forms = ["", "review", "number"] + (["per month", "per quarter", "profile"]
                                        if kpi["measure"] in SUMMABLE else [])
    form = draw(st.sampled_from(forms))
    if form in ("", "review"):
        return form, None
    value = draw(amount(unit, 1.0))
    cell = number_text(value, unit, draw, plain=form == "number")
    if form == "per month":
        cell = f"{cell} ({round(value / 12, 2)} per month)"
    elif form == "per quarter":
        cell = f"{cell} ({round(value / 4, 2)} per quarter)"
    elif form == "profile":
        steps = sorted(draw(st.lists(st.floats(0, value, allow_nan=False), min_size=11,
                                     max_size=11)))
        cell = f"{cell} ({';'.join(f'{v:.2f}' for v in [*steps, value])})"
    return cell, value


@st.composite
def tolerance_cell(draw, kpi: dict, cell: str, target: float | None) -> str:
    """A tolerance the KPI allows: pp only in percent; a band on the worse side of a plain
    target, from its near end at the target or short of it (reporting-rules.md 7.1)."""
    forms = ["", "5%", "none"] + (["2.5pp"] if kpi["unit"] == "percent" else [])
    if target is not None and "(" not in cell and kpi["polarity"] in ("higher", "lower"):
        width, gap = draw(st.integers(1, 10)), draw(st.sampled_from([0, 0, 1]))
        low, high = ((target - gap - width, target - gap) if kpi["polarity"] == "higher"
                     else (target + gap, target + gap + width))
        forms.append(f"{low:.2f}-{high:.2f}")
    return draw(st.sampled_from(forms))


@st.composite
def floor_cell(draw, kpi: dict, target: float | None) -> str:
    """A floor on the worse side of the target, never at it (required by the floor scheme)."""
    if kpi["rag_scheme"] != "floor" or target is None:
        return ""
    side = (0.0, target) if kpi["polarity"] == "higher" else \
        (target, 100.0 if kpi["unit"] == "percent" else target * 2 + 1)
    floor = draw(st.floats(*side, allow_nan=False).filter(lambda f: f"{f:.2f}" != f"{target:.2f}"))
    return number_text(floor, "", draw)


@st.composite
def kpi_rows(draw, ref: str, sections: tuple[str, ...]) -> list[dict]:
    """One KPI row and its override rows."""
    kpi = {"year": YEAR, "ref": ref, "name": draw(st.sampled_from(NAMES) | text),
           "directorate": draw(st.sampled_from(sections)),
           "department": draw(st.sampled_from(["", "Housing", "Highways & Waste"])),
           "commitment": draw(st.sampled_from(COMMITMENTS)), "report": "core",
           "frequency": "monthly", "measure": draw(st.sampled_from(
               ["sum", "snapshot", "ratio", "cumulative", "mean"])),
           "unit": draw(st.sampled_from(["percent", "count", "days", "rate", "currency",
                                         "number"])),
           "polarity": draw(st.sampled_from(["higher", "lower", "none"])),
           "rag_scheme": draw(st.sampled_from(["", "tolerance", "floor", "graded", "trust"])),
           # within the contract: travel keys whose symbols mean the same with the council's
           # default (nnc); graded's arrows clash with nnc's (reporting rules 5.2)
           "travel_scheme": draw(st.sampled_from(["", "nnc", "trust"])),
           "benchmark": draw(st.sampled_from(["", "England average 2022-23", "Top quartile 96%"])),
           "statutory": draw(st.sampled_from(["", "Yes"]))}
    kpi["target"], target = draw(target_cell(kpi))
    kpi["tolerance"] = draw(tolerance_cell(kpi, kpi["target"], target))
    kpi["floor"] = draw(floor_cell(kpi, target))
    labels = draw(st.lists(label, max_size=3, unique=True))
    kpi["breakdowns"] = ";".join(labels)
    rows = [kpi]
    for b in draw(st.lists(st.sampled_from(labels), unique=True)) if labels else []:
        cell, value = draw(target_cell(kpi))
        rows.append({"year": YEAR, "ref": ref, "breakdown": b, "target": cell,
                     "tolerance": draw(tolerance_cell(kpi, cell, value)),
                     "floor": draw(floor_cell(kpi, value))})
    return rows


@st.composite
def return_row(draw, kpi: dict, breakdown: str, period: str, must_have_value: bool) -> dict:
    row = {"ref": kpi["ref"], "period": period, "breakdown": breakdown,
           "commentary": draw(st.sampled_from(["", "Slight fall in placements.",
                                               "<p>Good month for <b>P1</b> repairs.</p>"]))}
    status = "" if must_have_value else draw(st.sampled_from(["", "", "", "missing",
                                                              "unavailable", "arrears"]))
    row["status"] = status
    if status:
        return row
    unit, scaled = kpi["unit"], kpi["unit"] in ("percent", "rate")
    if kpi["measure"] == "ratio" or draw(st.booleans()):
        den = draw(st.integers(0, 20_000))
        num = draw(st.integers(0, den)) if scaled else draw(st.integers(0, 20_000))
        row["numerator"], row["denominator"] = number_text(num, "", draw), \
            number_text(den, "", draw)
    else:
        low = 0.0 if scaled else -100.0
        row["value"] = number_text(draw(amount(unit, low)), unit, draw)
    return row


@st.composite
def contract_data(draw, max_sections: int = 4) -> tuple[list[dict], list[dict]]:
    """A catalogue (KPI and override rows) and the returns of three months for it."""
    n = draw(st.integers(1, max_sections))
    sections = tuple(draw(st.lists(st.sampled_from(DIRECTORATES), min_size=n, max_size=n,
                                   unique=True)))
    refs = draw(st.lists(st.from_regex(REF, fullmatch=True), min_size=1, max_size=6,
                         unique_by=lambda r: slug(r)))
    catalogue = [row for ref in refs for row in draw(kpi_rows(ref, sections))]
    returns = []
    for kpi in (r for r in catalogue if not r.get("breakdown")):
        keys = ["", *filter(None, kpi["breakdowns"].split(";"))]
        for b in keys:
            for m in MONTHS:
                first = kpi is catalogue[0] and b == "" and m == PERIOD
                if first or draw(st.integers(0, 4)) > 0:
                    returns.append(draw(return_row(kpi, b, m, first)))
    return catalogue, returns


# --------------------------------------------------------------------------- helpers


def write_files(folder: Path, catalogue: list[dict], returns: list[dict]) -> tuple[Path, Path]:
    return (write_csv(folder / "catalogue.csv", list(CATALOGUE_COLUMNS), catalogue),
            write_csv(folder / "returns.csv", list(RETURN_COLUMNS), returns))


def read_both(cat_path: Path, ret_path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    try:
        cat = read_catalogue_file(cat_path)
        return cat, read_returns_file(ret_path, cat)
    except ValidationError as e:
        pytest.fail(f"the validators rejected data within the contract:\n{e}")


# --------------------------------------------------------------------------- properties


@PROPERTY
@given(data=contract_data(), seed=st.randoms(use_true_random=False))
def test_any_valid_data_gives_a_deterministic_report_whose_results_survive_rereading(data,
                                                                                    seed):
    with tempfile.TemporaryDirectory(prefix="kpi-contracts-") as tmp:
        cat_path, ret_path = write_files(Path(tmp), *data)
        cat, ret = read_both(cat_path, ret_path)
        report = build_report(cat, ret, PERIOD, "core", AS_OF)
        text = results_csv(report)
        assert list(report.results.columns) == list(RESULTS_COLUMNS)
        assert set(report.kpis["ref"]) == {r["ref"] for r in data[0]}

        # the same rows in any order: the same figures
        order = list(range(len(ret)))
        seed.shuffle(order)
        shuffled = ret.iloc[order].reset_index(drop=True)
        assert results_csv(build_report(cat, shuffled, PERIOD, "core", AS_OF)) == text

        # results.csv read back as text is itself
        again = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        assert again.to_csv(index=False, lineterminator="\n") == text

        # stored and read back as of a moment: the same rows (by the manifest's digests) and
        # the same figures
        store = Store.open(Path(tmp) / "kpi.sqlite")
        try:
            store.load_catalogue(cat_path, loaded_at="2025-01-01T00:00:00Z")
            store.load_returns(ret_path, loaded_at="2025-01-01T00:00:01Z")
            snap = store.snapshot(AS_OF)
        finally:
            store.engine.dispose()
        assert frame_digest(snap.catalogue, list(snap.catalogue.columns), CATALOGUE_KEY) == \
            frame_digest(cat, list(snap.catalogue.columns), CATALOGUE_KEY)
        assert frame_digest(snap.returns, list(RETURN_COLUMNS), RETURN_KEY) == \
            frame_digest(ret, list(RETURN_COLUMNS), RETURN_KEY)
        stored = build_report(snap.catalogue, snap.returns, PERIOD, "core", AS_OF)
        assert results_csv(stored) == text


def kpi(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(list(argv))
    return code, out.getvalue()


@pytest.mark.slow
@END_TO_END
@given(data=contract_data(max_sections=2))
def test_any_valid_data_gives_a_run_that_audits_identical(data):
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="kpi-contracts-") as tmp:
        os.chdir(tmp)
        try:
            cat_path, ret_path = write_files(Path(tmp), *data)
            for kind, path in (("catalogue", cat_path), ("returns", ret_path)):
                code, out = kpi("load", kind, str(path), "--store", "kpi.sqlite")
                assert code == 0, out
            Path("p.yaml").write_text(f'period: "{PERIOD}"\nreport: core\nstore: kpi.sqlite\n')
            code, out = kpi("run", "p.yaml", "--quiet")
            assert code == 0, out
            code, out = kpi("audit", "outputs/2024-06/core")
            assert code == 0, out
            assert "outputs/2024-06/core: identical" in out
        finally:
            os.chdir(cwd)
