"""Every KpiError crosses process boundaries (process pools, Dask) intact: pickling keeps its
type, message and attributes."""

from __future__ import annotations

import concurrent.futures as cf
import importlib
import multiprocessing
import pickle
import pkgutil

import pytest

import kpilib
from conftest import RETURNS_HEADER, write_csv
from kpilib.errors import KpiError, Problem, RunError, ValidationError, row_ranges
from kpilib.ingest.catalogue import read_catalogue_file
from kpilib.rules.periods import month
from kpilib.store import Store

PROBLEMS = [Problem("returns.csv", 3, "value", "abc", "expected a number"),
            Problem("returns.csv", None, "unit", None, "missing column")]

# Errors whose constructor is not (message): how to make one.  Every other KpiError is
# constructed from a message; one with its own __init__ must be listed here.
FACTORIES = {
    ValidationError: lambda: ValidationError("returns.csv", PROBLEMS),
}


def all_kpilib_modules() -> list[str]:
    names = [m.name for m in pkgutil.walk_packages(kpilib.__path__, "kpilib.")]
    for name in names:
        importlib.import_module(name)
    return names


def subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *subclasses(sub)]
    return out


def kpi_errors() -> list[type]:
    all_kpilib_modules()
    found = {c for c in [KpiError, *subclasses(KpiError)] if c.__module__.startswith("kpilib")}
    return sorted(found, key=lambda c: (c.__module__, c.__qualname__))


ERRORS = kpi_errors()


def make(cls: type) -> KpiError:
    if cls in FACTORIES:
        return FACTORIES[cls]()
    own_init = [k for k in cls.__mro__ if k.__module__ != "builtins" and "__init__" in vars(k)]
    assert not own_init, (
        f"{cls.__module__}.{cls.__qualname__} has its own __init__: add it to FACTORIES")
    return cls(f"{cls.__name__}: key 'period': '2024-13' is not a month")


def test_discovery_finds_the_errors_defined_outside_errors_py():
    names = {f"{c.__module__}.{c.__qualname__}" for c in ERRORS}
    assert {"kpilib.errors.ValidationError", "kpilib.registry.RegistryError",
            "kpilib.settings.council.CouncilError"} <= names
    assert len(ERRORS) >= 11


def _same(a: BaseException, b: BaseException) -> None:
    assert type(b) is type(a)
    assert str(b) == str(a)
    assert b.args == a.args
    assert vars(b) == vars(a)


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__qualname__)
def test_every_kpi_error_survives_pickling(cls, protocol):
    err = make(cls)
    err.add_note("while loading returns-2024-02.csv")
    err.hint = {"file": "returns.csv", "rows": [3, 7]}  # an attribute set after raising
    copy = pickle.loads(pickle.dumps(err, protocol=protocol))
    _same(err, copy)
    assert copy.__notes__ == ["while loading returns-2024-02.csv"]
    assert isinstance(copy, KpiError)


def test_validation_error_keeps_its_file_and_problems():
    err = FACTORIES[ValidationError]()
    copy = pickle.loads(pickle.dumps(err))
    assert copy.file == "returns.csv"
    assert copy.problems == err.problems and all(isinstance(p, Problem) for p in copy.problems)
    assert str(copy).startswith("returns.csv: 2 problems; nothing from this file was stored")


def test_errors_raised_in_a_worker_process_reach_the_parent(tmp_path):
    """Raised in a spawned worker (a fresh interpreter: everything is pickled), the parent gets
    the same type and message."""
    bad = tmp_path / "catalogue-2024-25.csv"
    bad.write_text("ref,name\nX1,Something\n", encoding="utf-8")
    cases = [(month, "2024-13"), (read_catalogue_file, bad)]
    expected = []
    for fn, arg in cases:
        with pytest.raises(KpiError) as here:
            fn(arg)
        expected.append(here.value)
    assert any(isinstance(e, ValidationError) for e in expected)
    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        futures = [pool.submit(fn, arg) for fn, arg in cases]
        for fut, want in zip(futures, expected):
            got = fut.exception(timeout=120)
            assert type(got) is type(want), (type(got), got)
            assert str(got) == str(want)
            assert vars(got).keys() >= vars(want).keys()
            if isinstance(want, ValidationError):
                assert got.problems == want.problems and got.file == want.file


class LaterError(KpiError):
    """A KpiError someone adds later, with its own constructor and no pickling code."""

    def __init__(self, file: str, rows: list[int]):
        self.file, self.rows = file, rows
        super().__init__(f"{file}: rows {rows} are bad")


class PlainError(Exception):
    """What LaterError would be without KpiError: pickle rebuilds it from its message alone."""

    def __init__(self, file: str, n: int):
        self.file = file
        super().__init__(f"{file}: {n} problems")


def test_a_later_error_with_its_own_constructor_survives_too():
    err = LaterError("a.csv", [2, 5])
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        _same(err, pickle.loads(pickle.dumps(err, protocol=protocol)))


def test_the_checks_can_fail():
    """The comparison sees a lost attribute or a changed type; an unlisted constructor is named;
    and a plain Exception with its own constructor really does not survive pickle."""
    with pytest.raises(AssertionError):
        _same(make(ValidationError), ValidationError("returns.csv", PROBLEMS[:1]))
    with pytest.raises(AssertionError):
        _same(KpiError("x"), RunError("x"))
    with pytest.raises(AssertionError, match="FACTORIES"):
        make(LaterError)
    with pytest.raises(TypeError):
        pickle.loads(pickle.dumps(PlainError("a.csv", 2)))


# --------------------------------------------------------------------------- grouped lines


@pytest.mark.parametrize("rows, text", [
    pytest.param(list(range(2, 36)), "2-35", id="one run"),
    pytest.param([2, 5, 9, 10, 11, 12], "2, 5, 9-12", id="singles and a run"),
    pytest.param([12, 9, 5, 11, 2, 10, 9], "2, 5, 9-12", id="unsorted, repeated"),
    pytest.param([7], "7", id="one row"),
    pytest.param([3, 4], "3-4", id="two adjacent rows"),
    pytest.param(list(range(2, 200, 2)), ", ".join(str(r) for r in range(2, 62, 2))
                 + " and 69 more rows", id="scattered rows are capped with a count"),
])
def test_row_ranges(rows, text):
    assert row_ranges(rows) == text


def _lines(problems: list[Problem]) -> list[str]:
    return str(ValidationError("r.csv", problems)).splitlines()[1:]


NO_CAT = "no catalogue is loaded for 2023-24, the period's financial year"


@pytest.mark.parametrize("problems, expected", [
    pytest.param([Problem("r.csv", r, "ref", "HSG01", NO_CAT) for r in range(2, 36)],
                 [f"  r.csv, rows 2-35, column 'ref': 'HSG01': {NO_CAT}"],
                 id="the same message and value on 34 rows is one line"),
    pytest.param([Problem("r.csv", r, "ref", ref, NO_CAT)
                  for r, ref in ((2, "HSG01"), (5, "LIB01"), (9, "HSG01"), (10, "X"))],
                 [f"  r.csv, rows 2, 5, 9-10, column 'ref' ('HSG01', 'LIB01', 'X'): {NO_CAT}"],
                 id="the same message, different values: the values are listed"),
    pytest.param([Problem("r.csv", r, "ref", f"XX{r}", f"unknown ref: XX{r} is in no catalogue")
                  for r in (3, 4, 8)],
                 ["  r.csv, rows 3-4, 8, column 'ref' ('XX3', 'XX4', 'XX8'): "
                  "unknown ref: <ref> is in no catalogue"],
                 id="a message embedding the row's own value groups with the value factored out"),
    pytest.param([Problem("r.csv", 3, "value", "abc", "expected a number"),
                  Problem("r.csv", 4, "numerator", "abc", "expected a number")],
                 ["  r.csv, row 3, column 'value': 'abc': expected a number",
                  "  r.csv, row 4, column 'numerator': 'abc': expected a number"],
                 id="another column is another problem"),
    pytest.param([Problem("r.csv", 3, "ref", "A1", "A1 is a monthly KPI"),
                  Problem("r.csv", 4, "ref", "A1", "A1 is a quarterly KPI")],
                 ["  r.csv, row 3, column 'ref': 'A1': A1 is a monthly KPI",
                  "  r.csv, row 4, column 'ref': 'A1': A1 is a quarterly KPI"],
                 id="different messages stay apart"),
    pytest.param([Problem("r.csv", None, "unit", None, "required column is missing"),
                  Problem("r.csv", None, "polarity", None, "required column is missing")],
                 ["  r.csv, column 'polarity': required column is missing",
                  "  r.csv, column 'unit': required column is missing"],
                 id="problems with the file as a whole are never merged"),
    pytest.param([Problem("r.csv", r, "value", str(r), "expected a number") for r in range(2, 9)],
                 ["  r.csv, rows 2-8, column 'value' ('2', '3', '4', '5', '6' and 2 more): "
                  "expected a number"], id="many values are capped with a count"),
])
def test_the_same_problem_on_many_rows_is_one_line(problems, expected):
    assert _lines(problems) == expected
    err = ValidationError("r.csv", problems)
    assert len(err.problems) == len(problems)  # the list itself: one Problem per row
    assert str(pickle.loads(pickle.dumps(err))) == str(err)


def test_every_distinct_problem_is_still_shown():
    problems = ([Problem("r.csv", r, "ref", "HSG01", NO_CAT) for r in range(2, 12)]
                + [Problem("r.csv", 12, "value", "abc", "expected a number"),
                   Problem("r.csv", 13, "status", "late", "expected one of missing, unavailable")])
    lines = _lines(problems)
    assert len(lines) == 3
    assert lines[0].startswith("  r.csv, rows 2-11, column 'ref'")
    assert str(ValidationError("r.csv", problems)).startswith("r.csv: 12 problems;")


def test_a_returns_file_for_a_year_with_no_catalogue_is_one_line(tmp_path, catalogue_csv):
    """34 rows of 2023-24 returns with only the 2024-25 catalogue loaded: one line, not 34."""
    store = Store.open(tmp_path / "kpi.sqlite")
    store.load_catalogue(catalogue_csv)
    months = [f"2023-{m:02d}" for m in range(4, 13)] + [f"2024-{m:02d}" for m in range(1, 4)]
    rows = ([["HSG01", m, "", "470"] for m in months] + [["HSG02", m, "", "50"] for m in months]
            + [["LIB01", m, "", "20"] for m in months[:10]])
    path = write_csv(tmp_path / "returns-2023-24.csv", RETURNS_HEADER, rows)
    with pytest.raises(ValidationError) as e:
        store.load_returns(path)
    text = str(e.value).splitlines()
    assert text[0] == "returns-2023-24.csv: 34 problems; nothing from this file was stored"
    assert text[1:] == ["  returns-2023-24.csv, rows 2-35, column 'ref' ('HSG01', 'HSG02', "
                        "'LIB01'): no catalogue is loaded for 2023-24, the period's financial "
                        "year: load the 2023-24 catalogue first (catalogues loaded: 2024-25)"]
    assert len(e.value.problems) == 34
