"""What the notebooks call (kpilib.notebook): defaults for JupyterLab, and the same parameter
checks as ``kpi run`` so a notebook fails loudly instead of rendering an empty page."""

from __future__ import annotations

import pytest

from kpilib import notebook as kn
from kpilib.errors import KpiError, ParamsError

AS_OF = "2025-06-30T00:00:00Z"


def test_default_store_is_the_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv(kn.STORE_ENV, str(tmp_path / "x.sqlite"))
    assert kn.default_store() == str(tmp_path / "x.sqlite")


def test_default_store_is_found_from_a_notebook_folder(monkeypatch, tmp_path):
    """JupyterLab starts a kernel in the notebook's folder: the project's store is above it."""
    monkeypatch.delenv(kn.STORE_ENV, raising=False)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "kpi.sqlite").write_bytes(b"")
    (tmp_path / "notebooks" / "core").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "notebooks" / "core")
    assert kn.default_store() == str(tmp_path / "data" / "kpi.sqlite")


def test_no_period_means_the_latest_loaded(test_store):
    assert kn.open_report(str(test_store), None, "core", AS_OF).period.id == "2025-03"
    assert kn.open_report(str(test_store), None, "health", AS_OF).period.id == "2024-25-Q4"


@pytest.mark.parametrize("period, report, message", [
    pytest.param("2024-13", "core", "parameter 'period'", id="not a month"),
    pytest.param("2024-02", "health", "the health report is for a quarter, not a month",
                 id="a month for a quarterly report"),
    pytest.param("2024-02", "cor", r"'cor' is not a report type \(parameter 'report_set'\) "
                                   r"\(did you mean 'core'\?\)", id="unknown report type"),
])
def test_bad_parameters_are_clear_errors(test_store, period, report, message):
    with pytest.raises(KpiError, match=message):
        kn.open_report(str(test_store), period, report, AS_OF)


@pytest.fixture(scope="module")
def feb(test_store):
    return kn.open_report(str(test_store), "2024-02", "core", AS_OF)


def test_an_unknown_section_names_the_parameter_and_the_choices(feb):
    with pytest.raises(ParamsError, match=r"parameter 'section': 'Place and Economy' is not a "
                                          r"directorate of the core report for 2024-02 \(did you "
                                          r"mean 'Place & Economy'\?\); expected one of "):
        kn.section_page_body(feb, "Place and Economy")


def test_no_section_means_the_first(feb):
    assert kn.check_section(feb, None) == feb.sections()[0]


def test_a_period_with_no_kpis_is_an_error_not_an_empty_page(test_store):
    rep = kn.open_report(str(test_store), "2019-04", "core", AS_OF)
    with pytest.raises(ParamsError, match="has no KPIs"):
        kn.overview_page(rep)


def test_benchmark_chart_has_a_text_alternative(feb):
    html = kn.benchmark_chart(feb, "BBF07", "England average 2022-23", 10.0)
    assert 'id="chart-bbf07-benchmark"' in html
    assert "Trend chart of BBF07 against the England average 2022-23 (10.0%)" in html
