"""The report-type registry: declarations, look-ups and the built-in registrations."""

from __future__ import annotations

import pytest

from kpilib import registry
from kpilib.registry import RegistryError, ReportType


@pytest.fixture
def scratch():
    """Register throwaway types and remove them afterwards."""
    added = []

    def add(rt, **kw):
        added.append(rt.name)
        return registry.register(rt, **kw)

    yield add
    for name in added:
        registry.unregister(name)


def test_builtin_types_in_their_order():
    assert registry.names()[:3] == ("core", "service", "health")


@pytest.mark.parametrize("kind, expected", [
    pytest.param("month", ("core",), id="a month: core only"),
    pytest.param("quarter", ("core", "service", "health"), id="a quarter: all three"),
])
def test_report_all_is_asked_of_the_registry(kind, expected):
    assert registry.all_of(kind) == expected


@pytest.mark.parametrize("name, attr, value", [
    pytest.param("core", "frequencies", ("monthly",), id="core KPIs are monthly"),
    pytest.param("health", "section_key", "theme", id="health pages are themes"),
    pytest.param("health", "section_order", ("Financial", "Customer", "Workforce"),
                 id="themes in the council's order"),
    pytest.param("service", "periods", ("quarter",), id="service is quarterly"),
])
def test_builtin_declarations(name, attr, value):
    assert getattr(registry.get(name), attr) == value


def test_unknown_type_names_the_choices_and_suggests():
    with pytest.raises(RegistryError, match=r"'cor' is not a report type \(did you mean "
                                            r"'core'\?\); expected one of core, service"):
        registry.get("cor")


@pytest.mark.parametrize("kw, message", [
    pytest.param({"name": "All"}, "lower-case word", id="capitals"),
    pytest.param({"name": "all"}, "not 'all'", id="the word all"),
    pytest.param({"periods": ("year",)}, "periods must be among", id="unknown period kind"),
    pytest.param({"periods": ()}, "periods must be among", id="no periods"),
    pytest.param({"periods": ("quarter",), "in_all": ("month",)}, "does not accept",
                 id="in all for a period it refuses"),
])
def test_inconsistent_declarations_are_refused(kw, message):
    args = {"name": "toy", "title": "Toy", "periods": ("month",), **kw}
    with pytest.raises(RegistryError, match=message):
        ReportType(**args)


def test_a_taken_name_is_refused_unless_replaced(scratch):
    scratch(ReportType(name="toyx", title="Toy", periods=("month",)))
    other = ReportType(name="toyx", title="Other", periods=("month",))
    with pytest.raises(RegistryError, match="registered twice: by module test_registry and by module test_registry"):
        registry.register(other)
    registry.register(other, replace=True)
    assert registry.get("toyx").title == "Other"


def test_order_decides_the_position(scratch):
    scratch(ReportType(name="early", title="Early", periods=("quarter",), in_all=("quarter",),
                       order=15))
    assert registry.all_of("quarter") == ("core", "early", "service", "health")


def test_plugins_from_the_environment(monkeypatch, tmp_path):
    (tmp_path / "council_types_xyz.py").write_text(
        "from kpilib.registry import ReportType, register\n"
        "register(ReportType(name='plugin', title='Plugin KPIs', periods=('month',)))\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv(registry.ENV_VAR, "council_types_xyz")
    monkeypatch.setattr(registry.TYPES, "_discovered", False)
    try:
        assert "plugin" in registry.names()
    finally:
        registry.unregister("plugin")


def test_a_missing_plugin_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(registry.ENV_VAR, "no_such_module_kpi")
    monkeypatch.setattr(registry.TYPES, "_discovered", False)
    with pytest.raises(RegistryError, match="'no_such_module_kpi' .*cannot be imported"):
        registry.names()
