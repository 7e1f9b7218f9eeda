"""The report a run built is shared with its kernels (kpilib/run/shared.py) only when it
was built for exactly the kernel's parameters; otherwise the kernel builds it."""

from __future__ import annotations

import dataclasses

import pytest

from kpilib.notebook import open_report
from kpilib.run import shared
from kpilib.settings.params import normalise_moment

AS_OF = normalise_moment("2025-06-30T00:00:00Z")


@pytest.fixture
def marked(test_store, tmp_path, monkeypatch):
    """A report built by the kernel's own reads, marked (its sources) so that it can be told
    apart, shared for the kernel's parameters."""
    monkeypatch.delenv(shared.ENV, raising=False)
    built = open_report(str(test_store), "2024-02", "core", AS_OF, None, 40)
    mark = dataclasses.replace(built, sources=({"kind": "SHARED"},), branding=None)
    key = shared.key(str(test_store), "2024-02", "core", AS_OF, 40)
    monkeypatch.setenv(shared.ENV, shared.share(mark, key, tmp_path))
    return built


# (what differs from the run's parameters, is the shared report used)
CASES = [
    ({}, True),
    ({"as_of": "2025-06-29T00:00:00Z"}, False),
    ({"loads_through": 39}, False),
    ({"loads_through": None}, False),
    ({"period": "2024-01"}, False),
]  # fmt: skip


@pytest.mark.parametrize(("change", "used"), CASES, ids=["same", "as_of", "bound", "no-bound",
                                                         "period"])
def test_a_kernel_uses_the_report_only_if_built_for_its_parameters(marked, test_store, change,
                                                                   used):
    args = {"store": str(test_store), "period": "2024-02", "report": "core", "as_of": AS_OF,
            "loads_through": 40, **change}
    rep = open_report(**args)
    assert (rep.sources == ({"kind": "SHARED"},)) == used
    assert rep.name == marked.name and rep.branding is not None  # the council's, on either
    if "period" not in change:
        assert rep.results.equals(marked.results)


@pytest.mark.parametrize("content", [b"", b"not a pickle", b"\x80\x05K\x01."],
                         ids=["empty", "garbage", "not-a-pair"])
def test_an_unreadable_shared_file_is_ignored(tmp_path, monkeypatch, content):
    path = tmp_path / shared.FILE
    path.write_bytes(content)
    monkeypatch.setenv(shared.ENV, str(path))
    assert shared.shared(shared.key("s", "2024-02", "core", AS_OF, 1)) is None


def test_nothing_is_shared_without_the_variable(monkeypatch):
    monkeypatch.delenv(shared.ENV, raising=False)
    assert shared.shared(shared.key("s", "2024-02", "core", AS_OF, 1)) is None
