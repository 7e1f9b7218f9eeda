"""``kpi template returns`` (kpilib/ingest/template.py): a returns workbook to fill in, which
loads back through ``kpi load returns`` unchanged; its reference columns are ignored only in
kpilib's own template."""

from __future__ import annotations

import hashlib
import io
import shutil

import openpyxl
import pytest

from kpilib.cli import main
from kpilib.errors import ParamsError, ValidationError
from kpilib.ingest.files import TEMPLATE_REFERENCE
from kpilib.ingest.template import COLUMNS, ENTRY, build_template, due
from kpilib.store import Store, open_store

PERIOD = "2025-03"  # the demo store's last month


@pytest.fixture
def demo(tmp_path, test_store):
    path = tmp_path / "kpi.sqlite"
    shutil.copyfile(test_store, path)
    return path


def _template(store_path, period=PERIOD, directorate=None) -> bytes:
    store = open_store(str(store_path))
    snap = store.snapshot()
    return build_template(snap.catalogue, snap.returns, period, store.last_loaded_at(),
                          directorate)


def _sheet(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]


def test_one_row_per_kpi_and_breakdown_due_with_last_periods_value(demo):
    store = open_store(str(demo))
    snap = store.snapshot()
    ws = _sheet(_template(demo))
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == list(COLUMNS)
    expected = due(snap.catalogue, PERIOD)
    assert [(r[0], r[1], r[2] or "") for r in rows[1:]] == list(
        zip(expected["ref"], expected["period"], expected["breakdown"]))
    assert any(r[2] for r in rows[1:]), "the demo has monthly KPIs with breakdowns"
    feb = snap.returns[snap.returns["period"] == "2025-02"].set_index(["ref", "breakdown"])
    for r in rows[1:]:
        assert r[5] == "2025-02"
        assert r[6] == pytest.approx(feb["value"].get((r[0], r[2] or ""), None), nan_ok=True) \
            or (r[6] is None and (r[0], r[2] or "") not in feb.index)
        assert all(v is None for v in r[7:]), "entry cells start empty"


def test_quarter_template_lists_quarterly_kpis_and_annual_ones_in_q4(demo):
    snap = open_store(str(demo)).snapshot()
    cat = snap.catalogue[(snap.catalogue["year"] == "2024-25") & (snap.catalogue["breakdown"] == "")]
    freq = dict(zip(cat["ref"], cat["frequency"]))
    q3 = set(due(snap.catalogue, "2024-25-Q3")["ref"])
    q4 = set(due(snap.catalogue, "2024-25-Q4")["ref"])
    assert q3 and {freq[r] for r in q3} == {"quarterly"}
    annual = {r for r, f in freq.items() if f == "annual"}
    assert annual <= q4 and not annual & q3
    assert not {r for r, f in freq.items() if f == "monthly"} & q4


def test_reference_columns_are_locked_and_entry_cells_unlocked_with_validation(demo):
    ws = _sheet(_template(demo))
    assert ws.protection.sheet
    first_entry = len(COLUMNS) - len(ENTRY) + 1
    for row in ws.iter_rows(min_row=2):
        assert all(c.protection.locked for c in row[:first_entry - 1])
        assert not any(c.protection.locked for c in row[first_entry - 1:])
    rules = {dv.type: dv for dv in ws.data_validations.dataValidation}
    assert set(rules) == {"decimal", "list"}
    assert rules["list"].formula1 == ('"missing,unavailable,arrears,not_due,carried_over,'
                                      'provisional"')
    assert str(rules["decimal"].sqref).startswith("H2:J")
    assert str(rules["list"].sqref) == f"K2:K{ws.max_row}"


def test_same_store_gives_the_same_bytes(demo):
    assert hashlib.sha256(_template(demo)).hexdigest() == hashlib.sha256(
        _template(demo)).hexdigest()


def _fill(data: bytes, path) -> list[tuple]:
    """Fill every row: a value for most, a status for every fifth; return what was typed."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    typed = []
    for i, row in enumerate(ws.iter_rows(min_row=2), 2):
        ref, bd = row[0].value, row[2].value or ""
        if i % 5 == 0:
            ws.cell(row=i, column=COLUMNS.index("status") + 1, value="unavailable")
            typed.append((ref, bd, None, "unavailable"))
        else:
            ws.cell(row=i, column=COLUMNS.index("value") + 1, value=10 + i)
            ws.cell(row=i, column=COLUMNS.index("commentary") + 1, value=f"filled row {i}")
            typed.append((ref, bd, float(10 + i), ""))
    wb.save(path)
    return typed


def test_filled_template_loads_back_through_kpi_load_returns(demo, tmp_path):
    path = tmp_path / "returns-2025-03-filled.xlsx"
    typed = _fill(_template(demo), path)
    assert main(["load", "returns", str(path), "--store", str(demo)]) == 0
    got = Store.open(str(demo)).returns(periods=[PERIOD]).set_index(["ref", "breakdown"])
    for ref, bd, value, status in typed:
        row = got.loc[(ref, bd)]
        assert row["status"] == status
        assert (row["value"] != row["value"]) if value is None else row["value"] == value
        if value is not None:
            assert row["commentary"].startswith("filled row")


def test_reference_columns_are_unknown_columns_in_any_other_workbook(demo, tmp_path):
    path = tmp_path / "filled.xlsx"
    _fill(_template(demo), path)
    wb = openpyxl.load_workbook(path)
    wb.custom_doc_props.props.clear()  # no longer kpilib's template
    plain = tmp_path / "plain.xlsx"
    wb.save(plain)
    with pytest.raises(ValidationError) as e:
        Store.open(str(demo)).load_returns(plain)
    unknown = {p.column for p in e.value.problems if "unknown column" in p.message}
    assert unknown == set(TEMPLATE_REFERENCE)


@pytest.mark.parametrize("period, directorate, message", [
    ("2025-13", None, "--period"),
    ("2030-04", None, "no KPIs are due in 2030-04"),
    (PERIOD, "Nowhere", "is not a directorate"),
], ids=["bad-period", "no-catalogue", "unknown-directorate"])
def test_bad_input_is_a_clear_error_and_writes_nothing(demo, tmp_path, capsys, period,
                                                       directorate, message):
    out = tmp_path / "t.xlsx"
    argv = ["template", "returns", "--period", period, "--output", str(out), "--store", str(demo)]
    if directorate:
        argv += ["--directorate", directorate]
    assert main(argv) == 1
    assert message in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.glob(".t.xlsx*"))


def test_directorate_template_has_only_its_kpis(demo):
    snap = open_store(str(demo)).snapshot()
    d = "Children's Services"
    rows = due(snap.catalogue, PERIOD, d)
    assert len(rows) and len(rows) < len(due(snap.catalogue, PERIOD))
    ws = _sheet(_template(demo, directorate=d))
    assert ws.max_row == len(rows) + 1
    with pytest.raises(ParamsError):
        _template(demo, directorate="children's services")


@pytest.mark.parametrize(("scale", "unit"), [
    pytest.param("thousands", "currency (in thousands)", id="£000: the returner is told"),
    pytest.param("millions", "currency (in millions)", id="£m: the returner is told"),
    pytest.param("", "currency", id="no scale: the unit alone"),
])
def test_a_scaled_kpi_says_its_scale_in_the_template(scale, unit):
    import pandas as pd

    from kpilib.ingest.contracts import CATALOGUE_COLUMNS

    row = {c: "" for c in CATALOGUE_COLUMNS} | {"position": 0} | {
        "year": "2024-25", "ref": "FIN01", "name": "Agency spend", "directorate": "F",
        "commitment": "F", "report": "service", "frequency": "quarterly", "measure": "sum",
        "unit": "currency", "polarity": "lower", "scale": scale}
    rows = due(pd.DataFrame([row]), "2024-25-Q2")
    assert list(rows["unit"]) == [unit]
