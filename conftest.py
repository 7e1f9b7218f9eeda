"""Session set-up shared by the unit tests and the nbval notebook run.

The committed notebooks' default store is ``$KPILIB_STORE`` (else the
project's ``data/kpi.sqlite``); the test session points it at
``build/test-store.sqlite``, rebuilt from the deterministic demo data at the
start of every session, so nbval executes the notebooks against real data on
a fresh clone.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
TEST_STORE = ROOT / "build" / "test-store.sqlite"
COUNTY_STORE = ROOT / "build" / "test-county.sqlite"  # the demo county (corporate report)
DEMO_AS_OF = "2025-06-30T00:00:00.000000Z"  # after every demo load: the final figures


def _build_test_store() -> None:
    from kpilib.demo import build_demo_store
    from kpilib.store import Store

    TEST_STORE.parent.mkdir(parents=True, exist_ok=True)
    tmp = TEST_STORE.with_name(f".test-store-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    store = Store.open(tmp / "kpi.sqlite")
    build_demo_store(store, tmp / "demo")
    store.engine.dispose()
    os.replace(tmp / "kpi.sqlite", TEST_STORE)
    shutil.rmtree(tmp, ignore_errors=True)


def _build_county_store() -> None:
    from kpilib.demo.county import build_county_store
    from kpilib.store import Store

    tmp = COUNTY_STORE.with_name(f".test-county-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    store = Store.open(tmp / "county.sqlite")
    build_county_store(store, tmp / "county")
    store.engine.dispose()
    os.replace(tmp / "county.sqlite", COUNTY_STORE)
    shutil.rmtree(tmp, ignore_errors=True)


def pytest_sessionstart(session):
    _build_test_store()
    _build_county_store()
    # the committed notebooks' default store is $KPILIB_STORE (nbval's kernels inherit it);
    # the corporate notebooks' is the demo county's ($KPILIB_STORE_CORPORATE)
    os.environ["KPILIB_STORE"] = str(TEST_STORE)
    os.environ["KPILIB_STORE_CORPORATE"] = str(COUNTY_STORE)


@pytest.fixture(scope="session")
def test_store() -> Path:
    """The demo data store, built once per session (read-only: copy it to modify)."""
    return TEST_STORE


@pytest.fixture(scope="session")
def county_store() -> Path:
    """The demo county's store (kpi demo --council county), built once per session."""
    return COUNTY_STORE


@pytest.fixture(scope="session")
def corporate_run(tmp_path_factory):
    """The demo county's 2013-14 Q2 corporate report, run once per session."""
    from kpilib.run.runner import run
    from kpilib.settings.params import validate

    out = tmp_path_factory.mktemp("corporate")
    params = validate({"period": "2013-14-Q2", "report": "corporate",
                       "store": str(COUNTY_STORE),
                       "council": str(ROOT / "councils/county/council.yaml"),
                       "as_of": DEMO_AS_OF, "output_dir": str(out)})
    return run(params, show_progress=False)[0]


@pytest.fixture(scope="session")
def core_run(tmp_path_factory):
    """The demo's February 2024 core report, run once per session at a fixed as_of."""
    from kpilib.run.runner import run
    from kpilib.settings.params import validate

    out = tmp_path_factory.mktemp("runs")
    params = validate({"period": "2024-02", "report": "core", "store": str(TEST_STORE),
                       "as_of": DEMO_AS_OF, "output_dir": str(out)})
    return run(params, show_progress=False)[0]


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/golden/ from the current code (review the diff!)")
