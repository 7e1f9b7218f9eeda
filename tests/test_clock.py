"""kpilib.clock: moments as machines keep them and as people read them."""

import pytest

from kpilib.clock import data_moment, human_moment


@pytest.mark.parametrize("iso, words", [
    pytest.param("2026-12-07T18:03:12.130853Z", "7 December 2026, 18:03 UTC", id="a run's clock"),
    pytest.param("2025-04-21T14:00:00.000000Z", "21 April 2025, 14:00 UTC", id="a load"),
    pytest.param("2024-03-10", "10 March 2024", id="a date alone"),
    pytest.param("", "", id="nothing"),
    pytest.param(None, "", id="none"),
    pytest.param("latest", "latest", id="not a moment: as it is"),
    pytest.param("2024-13-01T00:00", "2024-13-01T00:00", id="no month 13: as it is"),
])
def test_human_moment(iso, words):
    assert human_moment(iso) == words


L1, L2, L3 = ("2025-04-01T09:00:00.000000Z", "2025-04-21T14:00:00.000000Z",
              "2025-05-02T08:00:00.000000Z")


@pytest.mark.parametrize("as_of, sources, moment", [
    pytest.param("2026-12-07T18:03:12.130853Z", [{"loaded_at": L1}, {"loaded_at": L2}], L2,
                 id="run in December of data loaded in April: April"),
    pytest.param("2025-04-30T00:00:00Z", [{"loaded_at": L2}, {"loaded_at": L3}], L2,
                 id="a load after the as_of was not read"),
    pytest.param("2025-04-30T00:00:00Z", [], "2025-04-30T00:00:00Z",
                 id="no loads known: the as_of"),
    pytest.param(None, [{"loaded_at": L1}], L1, id="no as_of: the latest load"),
    pytest.param("2026-01-01", [{"loaded_at": "2025-04-21T15:00:00+01:00"}],
                 "2025-04-21T14:00:00.000000Z", id="a load's offset is normalised"),
    pytest.param("2026-01-01", [{"loaded_at": "garbage"}, {"kind": "x"}, "not a dict"],
                 "2026-01-01", id="unreadable sources are ignored"),
])
def test_data_moment(as_of, sources, moment):
    assert data_moment(as_of, sources) == moment
