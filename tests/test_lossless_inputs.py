"""Inputs that used to lose data silently (issue 20): each is refused at load, with the file,
row, column, value and what was expected, and nothing is stored."""

from __future__ import annotations

import pytest

from conftest import CATALOGUE_2024, RETURNS_HEADER, read_csv_rows, write_csv
from kpilib.errors import ValidationError

# --------------------------------------------------------------------------- helpers

CATALOGUE_EXTRA = ("decimals", "baseline", "spc_rebase", "spc_baseline", "expected_low",
                   "expected_high")


def catalogue_file(tmp_path, edits: dict[int, dict]) -> str:
    """The fixture catalogue (with the optional columns) with ``edits``: spreadsheet row ->
    new values."""
    header, rows = read_csv_rows(CATALOGUE_2024)
    for row, changes in edits.items():
        rows[row - 2].update(changes)
    return write_csv(tmp_path / "catalogue.csv", header + list(CATALOGUE_EXTRA), rows)


def refused(store, kind: str, path, row: int, column: str) -> list:
    """Load ``path`` as ``kind``: refused, nothing stored; the problems at (row, column)."""
    before = store.counts()
    with pytest.raises(ValidationError) as exc:
        store.load(kind, path)
    assert store.counts() == before
    assert "nothing from this file was stored" in str(exc.value)
    hits = [p for p in exc.value.problems if (p.row, p.column) == (row, column)]
    assert hits, f"no problem at row {row}, column {column}: {exc.value}"
    return hits


# --------------------------------------------------------------------------- 1. digits

ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")
SCRIPTS = {"Arabic-Indic": ARABIC, "full-width": FULL_WIDTH, "Devanagari": DEVANAGARI}

# (kind, spreadsheet row, column, a valid cell): the same cell in another script's digits
# must be refused.  Every numeric (and digit-bearing id) cell of every load kind.
CATALOGUE_CELLS = [
    (2, "year", "2024-25"), (2, "target", "480"), (10, "target", "264 (22 per month)"),
    (9, "target", "98 (9.5;18.6;27.8;37;46.2;55.3;64.5;73.7;82.8;90.1;94.6;98)"),
    (2, "tolerance", "5%"), (4, "tolerance", "5pp"), (7, "tolerance", "85-90"),
    (12, "floor", "25"), (2, "decimals", "1"), (2, "baseline", "470"),
    (3, "expected_low", "100"), (3, "expected_high", "900"), (2, "spc_baseline", "12"),
    (2, "spc_rebase", "2024-04"),
]
RETURNS_CELLS = [("value", "472"), ("numerator", "12"), ("denominator", "13"),
                 ("period", "2024-05")]


def _digit_cases():
    for script, table in SCRIPTS.items():
        for row, column, cell in CATALOGUE_CELLS:
            yield pytest.param("catalogue", row, column, cell, table,
                               id=f"catalogue {column} row {row}: {script}")
        for column, cell in RETURNS_CELLS:
            yield pytest.param("returns", 2, column, cell, table,
                               id=f"returns {column}: {script}")
        yield pytest.param("comparators", 2, "value", "25", table,
                           id=f"comparators value: {script}")
        for column, cell in (("period", "2024-25-Q1"), ("due", "2025-03-31")):
            yield pytest.param("programmes", 2, column, cell, table,
                               id=f"programmes {column}: {script}")


def _file(tmp_path, kind: str, column: str, row: int, cell: str):
    if kind == "catalogue":
        if column == "expected_low":  # a range needs both ends, on a KPI without a target
            return catalogue_file(tmp_path, {3: {"expected_low": cell, "expected_high": "900"}})
        if column == "expected_high":
            return catalogue_file(tmp_path, {3: {"expected_low": "100", "expected_high": cell}})
        return catalogue_file(tmp_path, {row: {column: cell}})
    if kind == "returns":
        values = {"ref": "HSG01", "period": "2024-05", "value": "472"}
        if column in ("numerator", "denominator"):
            values = {"ref": "HSG03", "period": "2024-05", "numerator": "12",
                      "denominator": "13"}
        values[column] = cell
        return write_csv(tmp_path / "returns.csv", RETURNS_HEADER, [values])
    if kind == "comparators":
        return write_csv(tmp_path / "comparators.csv", ["ref", "group", "period", "value"],
                         [["HSG01", "England", "2023-24", cell]])
    values = {"programme": "Library review", "period": "2024-25-Q1", "status": "Green",
              "due": "2025-03-31", column: cell}
    return write_csv(tmp_path / "programmes.csv", list(values), [values])


@pytest.mark.parametrize(("kind", "row", "column", "cell", "table"), list(_digit_cases()))
def test_a_number_in_non_ascii_digits_is_refused(loaded_store, tmp_path, kind, row, column,
                                                 cell, table):
    if table is ARABIC:  # the cell as written is accepted (the case is right)
        loaded_store.load(kind, _file(tmp_path / "ok", kind, column, row, cell))
    foreign = cell.translate(table)
    hits = refused(loaded_store, kind, _file(tmp_path, kind, column, row, foreign), row,
                   column)
    assert any(p.value == foreign and "non-ASCII digits" in p.message
               and "expected the digits 0-9" in p.message for p in hits), hits


def test_one_foreign_digit_among_ascii_ones_is_refused(loaded_store, tmp_path):
    path = write_csv(tmp_path / "returns.csv", RETURNS_HEADER,
                     [{"ref": "HSG01", "period": "2024-05", "value": "47٣"}])
    [hit] = refused(loaded_store, "returns", path, 2, "value")
    assert "'٣' is ARABIC-INDIC DIGIT THREE (U+0663)" in hit.message


def test_a_target_in_foreign_digits_is_never_rated(loaded_store, tmp_path):
    """It was read as 3 by float() and rated; now the file is refused."""
    refused(loaded_store, "catalogue", catalogue_file(tmp_path, {2: {"target": "٣"}}), 2,
            "target")


# --------------------------------------------------------------------------- 4. YAML keys

YAML_FILES = [
    pytest.param("params", 'period: "2024-02"\nreport: core\nstore: kpi.sqlite\n'
                 'period: "2024-03"\n', 4, "period", 1, id="a parameter file"),
    pytest.param("council", "name: Northshire\nfooter: x\nname: Southshire\n", 3, "name", 1,
                 id="council.yaml"),
    pytest.param("council", "suppression:\n  threshold: 5\n  threshold: 10\n", 3, "threshold",
                 2, id="council.yaml, a nested key"),
    pytest.param("fleet", 'periods: ["2024-02"]\ncouncils:\n  - {name: a, store: x.sqlite, '
                 "name: b}\n", 3, "name", 3, id="a fleet file, two keys on one line"),
    pytest.param("fleet", 'periods: ["2024-02"]\ncouncils: []\nperiods: ["2024-03"]\n', 3,
                 "periods", 1, id="a fleet file"),
]


@pytest.mark.parametrize(("kind", "text", "line", "key", "first"), YAML_FILES)
def test_a_key_given_twice_in_a_yaml_file_is_refused(tmp_path, kind, text, line, key, first):
    from kpilib.errors import KpiError
    from kpilib.run.fleet import read_fleet
    from kpilib.settings.council import load_settings
    from kpilib.settings.params import read_params

    path = tmp_path / f"{kind}.yaml"
    path.write_text(text)
    read = {"params": read_params, "council": load_settings, "fleet": read_fleet}[kind]
    with pytest.raises(KpiError) as exc:
        read(path)
    assert str(exc.value) == (f"{path}: line {line}: key {key!r} is given twice (first on "
                              f"line {first}); give each key once (YAML would silently keep "
                              "the last)")


# --------------------------------------------------------------------------- 3. CSV cells

FORMULAS = ["=2*3", "@SUM(1+1)", "+cmd|' /C calc'!A0", "-2+3", "\tTab", "\rCR"]


def formula_cells(text: str) -> list[str]:
    """The cells of a CSV text that a spreadsheet would read as a formula."""
    import csv
    import io

    from kpilib.rules.names import _FORMULA_CELL, _PLAIN_NUMBER

    return [cell for row in csv.reader(io.StringIO(text)) for cell in row
            if _FORMULA_CELL.match(cell) and not _PLAIN_NUMBER.match(cell)]


@pytest.fixture
def hostile_text_store(store, tmp_path):
    """Both fixture years with key commitments, directorates, departments, names,
    benchmarks that a spreadsheet reads as formulas, and a month of returns."""
    from conftest import CATALOGUE_2023, RETURNS_2024_04

    header, rows = read_csv_rows(CATALOGUE_2024)
    kpis = [r for r in rows if not r["breakdown"]]
    for i, r in enumerate(kpis):
        f = FORMULAS[i % len(FORMULAS)]
        r.update(commitment=f, name=f"{f} name", department=f, benchmark=f, statutory=f)
    kpis[0]["directorate"] = kpis[1]["directorate"] = "=HYPERLINK(\"http://x\",\"y\")"
    later = write_csv(tmp_path / "catalogue-2024-25.csv", header, rows)
    header, rows = read_csv_rows(CATALOGUE_2023)
    for i, r in enumerate(rows):
        r["commitment"] = FORMULAS[-1 - i % len(FORMULAS)]
    earlier = write_csv(tmp_path / "catalogue-2023-24.csv", header, rows)
    store.load_catalogue(earlier, loaded_at="2024-04-01T09:00:00Z")
    store.load_catalogue(later, loaded_at="2024-04-01T09:00:01Z")
    store.load_returns(RETURNS_2024_04, loaded_at="2024-05-10T09:00:00Z")
    return store


def test_no_csv_kpilib_writes_holds_a_formula(hostile_text_store, tmp_path):
    """Every CSV kind kpilib writes: results.csv, spc.csv (every report output that is a
    CSV), changes.csv and ``kpi results --output``."""
    from kpilib.cli import main
    from kpilib.notebook import open_report
    from kpilib.run.kpi_set import read_changes

    store = str(tmp_path / "kpi.sqlite")  # the fixture store's file
    written = {}
    report = open_report(store, "2024-04", "core")
    for name, make in report.type.outputs.items():
        if name.endswith(".csv"):
            written[name] = make(report)
    changes, _ = read_changes(store, "2023-24", "2024-25")
    written["changes.csv"] = changes.csv()
    assert main(["--store", store, "results", "--period", "2024-04", "--report", "core",
                 "--output", str(tmp_path / "out.csv")]) == 0
    written["kpi results --output"] = (tmp_path / "out.csv").read_text()
    assert {"results.csv", "spc.csv", "changes.csv"} <= set(written)
    assert "'=2*3" in written["changes.csv"] and "'@SUM(1+1)" in written["changes.csv"]
    for name, text in written.items():
        assert formula_cells(text) == [], name


# --------------------------------------------------------------------------- 6. contradictions


def catalogue_problems(tmp_path, edits):
    from kpilib.ingest.catalogue import read_catalogue_file

    with pytest.raises(ValidationError) as exc:
        read_catalogue_file(catalogue_file(tmp_path, edits))
    return exc.value


PROFILE_97 = "98 (9.5;18.6;27.8;37;46.2;55.3;64.5;73.7;82.8;90.1;94.6;97)"

# (row, edits, column of the problem, part of its message); fixture rows: 2 HSG01 count lower
# 480; 4 HSG03 percent higher 95; 7 its P3 override 90; 9 FIN01 cumulative profile; 10 LIB01
# 264 (22 per month); 11 ENV01 400 (100 per quarter); 12 BEN01 floor scheme, lower, 20/25
CONTRADICTIONS = [
    pytest.param(2, {"tolerance": "-5%"}, "tolerance", "expected 0 or more",
                 id="a negative percent tolerance"),
    pytest.param(4, {"tolerance": "-2pp"}, "tolerance", "expected 0 or more",
                 id="a negative pp tolerance"),
    pytest.param(2, {"tolerance": "5pp"}, "tolerance",
                 "percentage points (pp) are for a percent KPI; HSG01's unit is count",
                 id="pp on a count KPI"),
    pytest.param(13, {"tolerance": "10pp"}, "tolerance", "unit is rate", id="pp on a rate KPI"),
    pytest.param(4, {"tolerance": "96-99"}, "tolerance",
                 "the Amber band 96-99 reaches the better side of the target 95 (polarity "
                 "higher): Amber is for values worse than target, so the band lies below it: "
                 "expected its high end at the target or below", id="a band above the target"),
    pytest.param(4, {"tolerance": "90-97"}, "tolerance", "reaches the better side",
                 id="a band across the target"),
    pytest.param(2, {"tolerance": "400-470"}, "tolerance",
                 "so the band lies above it: expected its low end at the target or above",
                 id="a band below the target of a lower-is-better KPI"),
    pytest.param(7, {"tolerance": "85-95"}, "tolerance", "target 90 (polarity higher)",
                 id="a band on an override row, against its own target"),
    pytest.param(9, {"target": PROFILE_97}, "target",
                 "its twelfth value (March) is 97, the annual target 98; expected them equal",
                 id="a cumulative profile that does not end at its annual target"),
    pytest.param(10, {"target": "264 (20 per month)"}, "target",
                 "20 per month is 240 a year, not the annual target 264: expected 22 per month "
                 "(264 / 12), or the annual target 240", id="per month below the annual"),
    pytest.param(10, {"target": "300 (22 per month)"}, "target", "expected 25 per month",
                 id="an annual target above twelve months"),
    pytest.param(11, {"target": "400 (90 per quarter)"}, "target",
                 "90 per quarter is 360 a year, not the annual target 400", id="per quarter"),
    pytest.param(12, {"floor": "20"}, "floor",
                 "the floor equals the target 20: no value could miss the target and meet the "
                 "floor (Amber); expected a floor above the target", id="a floor at the target"),
    pytest.param(12, {"floor": "15"}, "floor", "on the wrong side of the target",
                 id="a floor on the better side of the target"),
]


@pytest.mark.parametrize(("row", "edits", "column", "says"), CONTRADICTIONS)
def test_a_contradiction_in_the_catalogue_is_refused(tmp_path, row, edits, column, says):
    err = catalogue_problems(tmp_path, {row: edits})
    hits = [p for p in err.problems if (p.row, p.column) == (row, column)]
    assert any(says in p.message and p.value == edits[column] for p in hits), str(err)
    assert "nothing from this file was stored" in str(err)


@pytest.mark.parametrize(("row", "edits"), [
    pytest.param(4, {"tolerance": "85-90"}, id="a band short of the target (90 to 95 Red)"),
    pytest.param(4, {"tolerance": "85-95"}, id="a band up to the target"),
    pytest.param(2, {"tolerance": "480-520"}, id="a band above a lower-is-better target"),
    pytest.param(2, {"tolerance": "0%"}, id="a tolerance of 0%"),
    pytest.param(4, {"tolerance": "0pp"}, id="a tolerance of 0pp"),
    pytest.param(10, {"target": "100 (8.33 per month)"}, id="per month rounded to 2 places"),
    pytest.param(10, {"target": "100 (8.3 per month)"}, id="per month rounded to 1 place"),
    pytest.param(11, {"target": "410 (102.5 per quarter)"}, id="per quarter with a decimal"),
    pytest.param(12, {"floor": "25.5"}, id="a floor on the worse side"),
])
def test_consistent_targets_tolerances_and_floors_are_accepted(tmp_path, row, edits):
    from kpilib.ingest.catalogue import read_catalogue_file

    read_catalogue_file(catalogue_file(tmp_path, {row: edits}))


def test_every_contradiction_is_reported_at_once(tmp_path):
    edits = {2: {"tolerance": "5pp"}, 4: {"tolerance": "96-99"}, 9: {"target": PROFILE_97},
             10: {"target": "264 (20 per month)"}, 12: {"floor": "20"}}
    err = catalogue_problems(tmp_path, edits)
    assert {(2, "tolerance"), (4, "tolerance"), (9, "target"), (10, "target"),
            (12, "floor")} <= {(p.row, p.column) for p in err.problems}


# --------------------------------------------------------------------------- 2. names

LONG_SECTION = ("Adults, Health & Wellbeing " * 8).strip()  # 215 characters


def _names_file(tmp_path, kind: str, column: str, cell: str):
    if kind == "catalogue":
        row = 14 if column == "theme" else 2
        return catalogue_file(tmp_path, {row: {column: cell}}), row
    if kind == "returns":
        return write_csv(tmp_path / "returns.csv", RETURNS_HEADER, [
            {"ref": "HSG01", "period": "2024-05", "value": "472", "commentary": cell}]), 2
    if kind == "comparators":
        values = {"ref": "HSG01", "group": "England", "period": "2023-24", "value": "25",
                  "source": "DLUHC", column: cell}
        return write_csv(tmp_path / "comparators.csv", list(values), [values]), 2
    values = {"programme": "Library review", "period": "2024-25-Q1", "status": "Green",
              "lead": "Jo Bloggs", "description": "A review.", "update": "On track.",
              column: cell}
    return write_csv(tmp_path / "programmes.csv", list(values), [values]), 2


# (kind, column, the cell, part of the message)
NAME_CASES = [
    ("catalogue", "directorate", "D" * 300, "is 300 characters long; expected at most 200"),
    ("catalogue", "directorate", LONG_SECTION, "is 215 characters long; expected at most 200"),
    ("catalogue", "commitment", "C" * 201, "expected at most 200"),
    ("catalogue", "department", "D" * 201, "expected at most 200"),
    ("catalogue", "name", "N" * 301, "is 301 characters long; expected at most 300"),
    ("catalogue", "directorate", "Fin\x00ance", "holds a control character (U+0000 NUL)"),
    ("catalogue", "commitment", "Safe\x1bplaces", "U+001B"),
    ("catalogue", "department", "Hou\x7fsing", "U+007F DELETE"),
    ("catalogue", "theme", "Work\x00force", "U+0000 NUL"),
    ("catalogue", "name", "Households\x00 in temporary accommodation", "U+0000 NUL"),
    ("catalogue", "name", "Households\u202egnisuoh", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("catalogue", "name", "Households\nin temporary accommodation", "U+000A LINE FEED"),
    ("catalogue", "benchmark", "England\x00 average", "expected text without control"),
    ("catalogue", "statutory", "Single\x07Data List", "U+0007"),
    ("returns", "commentary", "Fewer\x00 placements", "expected text without control"),
    ("programmes", "programme", "Library\x00 review", "U+0000 NUL"),
    ("programmes", "programme", "P" * 301, "expected at most 300"),
    ("programmes", "lead", "Jo\x0bBloggs", "U+000B"),
    ("programmes", "update", "On\x00 track", "expected text without control"),
    ("comparators", "group", "Eng\x00land", "U+0000 NUL"),
    ("comparators", "group", "G" * 301, "expected at most 300"),
    ("comparators", "source", "DLUHC\x00", "U+0000 NUL"),
]


@pytest.mark.parametrize(("kind", "column", "cell", "says"), [
    pytest.param(*c, id=f"{c[0]} {c[1]}: {c[3][:40]}") for c in NAME_CASES])
def test_an_unbounded_or_control_character_name_is_refused(loaded_store, tmp_path, kind,
                                                           column, cell, says):
    path, row = _names_file(tmp_path, kind, column, cell)
    hits = refused(loaded_store, kind, path, row, column)
    assert any(says in p.message and p.value == cell for p in hits), hits


@pytest.mark.parametrize(("kind", "column", "cell"), [
    ("catalogue", "directorate", "D" * 200), ("catalogue", "name", "N" * 300),
    ("catalogue", "directorate", "Développement économique – Ynys Môn"),
    ("catalogue", "benchmark", "England average\n(2023-24)\ttop quartile"),
    ("returns", "commentary", "<p>Fewer placements.</p>\r\n<p>\tOn track.</p>"),
    ("programmes", "update", "Line one\nline two"),
    ("comparators", "group", "G" * 300),
])
def test_names_within_the_limits_and_text_with_line_breaks_load(loaded_store, tmp_path, kind,
                                                                column, cell):
    path, _ = _names_file(tmp_path, kind, column, cell)
    loaded_store.load(kind, path)


def test_the_longest_section_name_gives_a_page_file_name_the_filesystem_takes(tmp_path):
    """A section's page and executed notebook are <slug>.html and <slug>.ipynb: within the
    255 bytes of a file name for every name of SECTION_MAX characters."""
    from kpilib.render.style import page_file
    from kpilib.rules.names import SECTION_MAX, slug

    for name in ("D" * SECTION_MAX, "é1" * (SECTION_MAX // 2), "a b" * (SECTION_MAX // 3)):
        for file in (page_file(name), f"{slug(name)}.ipynb"):
            assert len(file.encode()) <= 255
            (tmp_path / file).write_text("")  # the filesystem takes it


# --------------------------------------------------------------------------- 5. parameters


@pytest.mark.parametrize(("key", "value"), [
    ("store", "kpi\x00.sqlite"), ("output_dir", "out\x00puts"), ("council", "council\x00.yaml"),
    ("output_dir", "out\nputs"),
])
def test_a_path_with_a_control_character_is_refused(key, value):
    from kpilib.errors import ParamsError
    from kpilib.settings.params import validate

    raw = {"period": "2024-02", "report": "core", "store": "kpi.sqlite", key: value}
    with pytest.raises(ParamsError) as exc:
        validate(raw, "p.yaml")
    assert f"key '{key}': {value!r} holds a control character" in str(exc.value)


@pytest.mark.parametrize(("as_of", "says"), [
    (10**30, "is a number, not an ISO-8601 time"), (20240310, "is a number"),
    (1.5, "is a number"), ("9999-12-31T23:59:59-12:00", "outside the years 1 to 9999 in UTC"),
    ("0001-01-01T00:00:00+01:00", "outside the years 1 to 9999"),
    ("9" * 40, "is not an ISO-8601 time"),
])
def test_an_as_of_that_is_no_moment_is_refused(as_of, says):
    from kpilib.errors import ParamsError
    from kpilib.settings.params import validate

    with pytest.raises(ParamsError) as exc:
        validate({"period": "2024-02", "report": "core", "store": "kpi.sqlite",
                  "as_of": as_of}, "p.yaml")
    assert says in str(exc.value)
