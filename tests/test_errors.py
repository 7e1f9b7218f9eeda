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
from kpilib.errors import KpiError, Problem, RunError, ValidationError
from kpilib.ingest.catalogue import read_catalogue_file
from kpilib.rules.periods import month

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
            "kpilib.run.council.CouncilError"} <= names
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
