"""kpilib.catalogue: validation of catalogue files, target/tolerance grammar, kpi_rows."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import CATALOGUE_2024, DATA, problem_keys, read_csv_rows, write_csv
from kpilib.errors import CatalogueError, KpiError, PeriodError, ValidationError
from kpilib.ingest.catalogue import (
    COLUMNS,
    Target,
    Tolerance,
    for_year,
    kpi_rows,
    parse_target,
    parse_tolerance,
    read_catalogue_file,
)

PROFILE = "9.5;18.6;27.8;37;46.2;55.3;64.5;73.7;82.8;90.1;94.6;98"


def catalogue_with(tmp_path, edits=None, extra=(), rename=None, drop=(), columns=()):
    """The valid fixture catalogue with changes; ``edits`` maps a spreadsheet row to new values;
    ``columns``: optional columns added to the header (empty unless edited)."""
    header, rows = read_csv_rows(CATALOGUE_2024)
    header += list(columns)
    for row, changes in (edits or {}).items():
        rows[row - 2].update(changes)
    rows += [dict(r) for r in extra]
    rename = rename or {}
    out_header = [rename.get(h, h) for h in header if h not in drop]
    out_rows = [{rename.get(k, k): v for k, v in r.items() if k not in drop} for r in rows]
    return write_csv(tmp_path / "catalogue.csv", out_header, out_rows)


def problems_of(path):
    with pytest.raises(ValidationError) as exc:
        read_catalogue_file(path)
    return exc.value


def case(id, where, says, **change):
    """``where``: (row, column) of the expected problem; ``says``: part of its message."""
    return pytest.param(change, (*where, says), id=id)


HSG01_COPY = dict(read_csv_rows(CATALOGUE_2024)[1][0])
OVERRIDE = {"year": "2024-25", "ref": "HSG03", "breakdown": "P1", "target": "97.5"}
R = ("expected_low", "expected_high")
UNSORTED = "98 (9.5;18.6;17;37;46.2;55.3;64.5;73.7;82.8;90.1;94.6;98)"

# fmt: off
RULES = [
    case("unknown column suggests the closest", (1, "targt"), "did you mean 'target'",
         rename={"target": "targt"}),
    case("unknown column lists the valid ones", (1, "colour"), "expected one of year, ref",
         rename={"statutory": "colour"}),
    case("missing required column", (None, "measure"), "required column is missing",
         drop=("measure",)),
    case("required value empty", (2, "name"), "required value is empty",
         edits={2: {"name": ""}}),
    case("required ref empty on an override row", (5, "ref"), "required value is empty",
         edits={5: {"ref": ""}}),
    case("report not an option", (2, "report"), "expected one of core, service, health",
         edits={2: {"report": "corporation"}}),
    case("theme not an option", (14, "theme"), "expected one of Financial, Customer, Workforce",
         edits={14: {"theme": "Money"}}),
    case("frequency not an option", (2, "frequency"), "expected one of monthly, quarterly, annual",
         edits={2: {"frequency": "weekly"}}),
    case("measure not an option", (2, "measure"), "expected one of sum, snapshot, ratio",
         edits={2: {"measure": "average"}}),
    case("unit not an option", (2, "unit"), "expected one of percent, count, days, rate",
         edits={2: {"unit": "percentage"}}),
    case("polarity not an option", (2, "polarity"), "expected one of higher, lower, none",
         edits={2: {"polarity": "up"}}),
    case("rag_scheme names no key", (2, "rag_scheme"), "unknown status key: expected one of tolerance, floor, graded",
         edits={2: {"rag_scheme": "traffic"}}),
    case("rag_scheme not a key id", (2, "rag_scheme"), "expected the id of a status key",
         edits={2: {"rag_scheme": "Traffic Lights"}}),
    case("travel_scheme names no key", (2, "travel_scheme"), "unknown travel key: expected one of nnc, trust, graded",
         edits={2: {"travel_scheme": "arrows"}}),
    case("travel_scheme gives a symbol a second meaning", (3, "travel_scheme"),
         "↑ means better in travel key 'graded'",
         edits={3: {"travel_scheme": "graded"}}),
    case("year id not consecutive years", (2, "year"), "expected a financial year id such as",
         edits={2: {"year": "2024-26"}}),
    case("year id malformed", (2, "year"), "financial year id",
         edits={2: {"year": "24/25"}}),
    case("duplicate ref within a year", (15, "ref"), "a ref must be unique within its year",
         extra=[HSG01_COPY]),
    case("duplicate override row", (15, "ref"), "duplicate override row",
         extra=[OVERRIDE]),
    case("target not a number", (2, "target"), "expected a number, empty (tracking only), 'review'",
         edits={2: {"target": "high"}}),
    case("target with a bad profile", (10, "target"), "'N per month', 'N per quarter' or twelve",
         edits={10: {"target": "264 (22 a month)"}}),
    case("profile without 12 values", (9, "target"), "exactly 12 values (April to March), got 3",
         edits={9: {"target": "98 (10;20;30)"}}),
    case("profile decreasing", (9, "target"), "non-decreasing values, but value 3 (17) is below",
         edits={9: {"target": UNSORTED}}),
    case("profile on a snapshot measure", (2, "target"), "only allowed for sum and cumulative",
         edits={2: {"target": "480 (40 per month)"}}),
    case("profile on an override of a ratio KPI", (5, "target"), "KPI row 4 has measure 'ratio'",
         edits={5: {"target": "97.5 (8 per month)"}}),
    case("tolerance grammar", (2, "tolerance"), "expected '5%', '5pp', a band such as '85-90'",
         edits={2: {"tolerance": "5"}}),
    case("tolerance band low not below high", (7, "tolerance"), "low < high",
         edits={7: {"tolerance": "90-85"}}),
    case("floor not a number", (12, "floor"), "expected a number (the floor) or empty",
         edits={12: {"floor": "twenty"}}),
    case("floor required by the floor scheme", (12, "floor"), "the floor scheme needs a floor",
         edits={12: {"floor": ""}}),
    case("numeric target needs a polarity", (2, "polarity"), "needs polarity higher or lower",
         edits={2: {"polarity": "none"}}),
    case("override target needs the KPI's polarity", (5, "target"), "has polarity 'none'",
         edits={4: {"polarity": "none"}}),
    case("core KPI must be monthly", (2, "frequency"), "a core KPI is reported monthly",
         edits={2: {"frequency": "quarterly"}}),
    case("health KPI needs a theme", (14, "theme"), "required for a health KPI: expected one of",
         edits={14: {"theme": ""}}),
    case("override row without its KPI row", (15, "ref"), "no KPI row for ZZZ01 in 2024-25",
         extra=[{**OVERRIDE, "ref": "ZZZ01"}]),
    case("override breakdown not in the KPI's breakdowns", (5, "breakdown"),
         "expected one of P1, P2, P3, P4", edits={5: {"breakdown": "P5"}}),
    case("override row fills another column", (5, "name"), "may only fill target, tolerance",
         edits={5: {"name": "P1 repairs"}}),
    case("percent target above 100", (4, "target"), "a percent target must be between 0 and 100",
         edits={4: {"target": "105"}}),
    case("percent profile value above 100", (9, "target"), "between 0 and 100",
         edits={9: {"target": f"98 ({PROFILE[:-2]}101)"}}),
    case("breakdowns list malformed", (4, "breakdowns"), "';'-separated breakdown names, each once",
         edits={4: {"breakdowns": "P1;;P2"}}),
    case("floor above the target of a lower-is-better KPI is right, below is wrong", (12, "floor"),
         "BEN01: the floor 15 is on the wrong side of the target 20 for polarity lower (the floor must be above the target); were they swapped? target 15, floor 20?",
         edits={12: {"floor": "15"}}),
    case("floor above the target of a higher-is-better KPI (Kent's own list)", (12, "floor"),
         "the floor 60 is on the wrong side of the target 50 for polarity higher (the floor must be below the target)",
         edits={12: {"polarity": "higher", "target": "50", "floor": "60"}}),
    case("decimals not a whole number", (2, "decimals"),
         "expected a whole number of decimal places from 0 to 6", edits={2: {"decimals": "1.5"}},
         columns=("decimals",)),
    case("decimals above 6", (2, "decimals"), "from 0 to 6", edits={2: {"decimals": "7"}},
         columns=("decimals",)),
    case("decimals negative", (2, "decimals"), "from 0 to 6", edits={2: {"decimals": "-1"}},
         columns=("decimals",)),
    case("decimals in words", (2, "decimals"), "from 0 to 6", edits={2: {"decimals": "two"}},
         columns=("decimals",)),
    case("decimals on an override row", (5, "decimals"), "may only fill target, tolerance",
         edits={5: {"decimals": "2"}}, columns=("decimals",)),
    case("scale not a known word (£000 written as such)", (2, "scale"),
         "expected one of thousands, millions", edits={2: {"scale": "£000"}},
         columns=("scale",)),
    case("scale on a percent KPI", (4, "scale"), "a percent KPI has no unit scale",
         edits={4: {"scale": "thousands"}}, columns=("scale",)),
    case("scale on an override row", (5, "scale"), "may only fill target, tolerance",
         edits={5: {"scale": "thousands"}}, columns=("scale",)),
    case("baseline not a number (Kent's N/a)", (2, "baseline"),
         "expected a number (the previous year's closing actual) or empty",
         edits={2: {"baseline": "N/a"}}, columns=("baseline",)),
    case("baseline with a quarter note", (2, "baseline"), "expected a number",
         edits={2: {"baseline": "11,477 (Q3)"}}, columns=("baseline",)),
    case("percent baseline above 100", (4, "baseline"),
         "a percent baseline must be between 0 and 100", edits={4: {"baseline": "101"}},
         columns=("baseline",)),
    case("percent sign on a count KPI's baseline", (2, "baseline"),
         "a % sign is only for a percent KPI", edits={2: {"baseline": "98%"}},
         columns=("baseline",)),
    case("baseline on an override row", (5, "baseline"), "may only fill target, tolerance",
         edits={5: {"baseline": "97"}}, columns=("baseline",)),
    case("ref that a spreadsheet reads as a formula", (2, "ref"), "expected 1-40 letters, digits",
         edits={2: {"ref": '=HYPERLINK("http://x","y")'}}),
    case("ref with a space", (2, "ref"), "starting with a letter or digit", edits={2: {"ref": "AFL08 OFLOG"}}),
    case("ref longer than 40 characters", (2, "ref"), "expected 1-40", edits={2: {"ref": "A" * 41}}),
    case("breakdown label read as a formula", (4, "breakdowns"), "not starting with = + - @",
         edits={4: {"breakdowns": "P1;P2;P3;=cmd|' /C calc'!A0"}}),
    case("breakdown label too long", (4, "breakdowns"), "at most 80 printable characters",
         edits={4: {"breakdowns": "P1;P2;P3;" + "x" * 81}}),
    case("a key commitment whose page would overwrite the corporate report's summary",
         (2, "commitment"), "its page would be summary.html, the file name of the report's Summary page",
         edits={2: {"report": "corporate", "commitment": "Summary"}}),
    case("a directorate whose page would overwrite the overview", (2, "directorate"),
         "its page would be index.html, the overview's file name", edits={2: {"directorate": "Index"}}),
    case("directorates whose pages share a file name", (3, "directorate"),
         "their pages would share the file name place-economy.html: 'Place & Economy', 'Place Economy'",
         edits={2: {"directorate": "Place & Economy"}, 3: {"directorate": "Place Economy"}}),
    case("SPC rebase not a period", (2, "spc_rebase"), "month or quarter ids from which SPC limits",
         edits={2: {"spc_rebase": "April 2024"}}, columns=("spc_rebase",)),
    case("SPC baseline below 12 points", (2, "spc_baseline"), "12 or more",
         edits={2: {"spc_baseline": "6"}}, columns=("spc_baseline",)),
    case("SPC settings on an override row", (5, "spc_rebase"), "may only fill target, tolerance",
         edits={5: {"spc_rebase": "2024-04"}}, columns=("spc_rebase",)),
    case("expected_low above expected_high", (3, "expected_low"), "expected_low 900 is above expected_high 700",
         edits={3: {"expected_low": "900", "expected_high": "700"}}, columns=R),
    case("an expected range with one end", (3, "expected_high"), "needs both expected_low and expected_high",
         edits={3: {"expected_low": "100"}}, columns=R),
    case("an expected range that is not a number", (3, "expected_high"), "upper end of an activity",
         edits={3: {"expected_low": "100", "expected_high": "lots"}}, columns=R),
    case("an expected range on a KPI with a target", (2, "target"), "an activity indicator (with an expected range) has no target",
         edits={2: {"expected_low": "100", "expected_high": "200"}}, columns=R),
    case("an expected range on an override row", (5, "expected_low"), "may only fill target, tolerance",
         edits={5: {"expected_low": "1", "expected_high": "2"}}, columns=R),
    case("previous_ref that is not a ref", (2, "previous_ref"), "the ref this KPI had in the previous year's set",
         edits={2: {"previous_ref": "CS 05"}}, columns=("previous_ref",)),
    case("previous_ref naming a ref twice", (2, "previous_ref"), "each once",
         edits={2: {"previous_ref": "CS05;CS05"}}, columns=("previous_ref",)),
    case("refs whose anchors would collide", (3, "ref"), "refs HSG.01, HSG-01 of 2024-25 would share the page anchor kpi-hsg-01",
         edits={2: {"ref": "HSG.01"}, 3: {"ref": "HSG-01"}}),
]
# fmt: on


@pytest.mark.parametrize(("change", "expected"), RULES)
def test_each_rule_reports_file_row_column_and_expectation(tmp_path, change, expected):
    err = problems_of(catalogue_with(tmp_path, **change))
    row, column, fragment = expected
    hits = [p for p in err.problems if (p.row, p.column) == (row, column)]
    assert hits, f"no problem at row {row}, column {column}: {err}"
    assert all(p.file == "catalogue.csv" for p in err.problems)
    assert any(fragment in p.message for p in hits), str(err)
    assert "nothing from this file was stored" in str(err)


def test_the_unchanged_fixture_is_valid(tmp_path):
    cat = read_catalogue_file(catalogue_with(tmp_path))
    assert len(cat) == 13


# fmt: off
OPTIONAL_DISPLAY = [
    # row, column, as typed, as stored
    pytest.param(2, "decimals", "0", "0", id="decimals 0"),
    pytest.param(2, "decimals", "6", "6", id="decimals 6"),
    pytest.param(2, "decimals", "", "", id="decimals empty: the default"),
    pytest.param(2, "baseline", "11,477", "11477", id="a count baseline with separators"),
    pytest.param(4, "baseline", "98%", "98", id="a percent baseline with its sign"),
    pytest.param(4, "baseline", "0.04", "0.04", id="a small percent baseline"),
    pytest.param(2, "baseline", "-3.5", "-3.5", id="a negative count baseline"),
    pytest.param(2, "previous_ref", "CS05", "CS05", id="previous_ref: renumbered"),
    pytest.param(2, "previous_ref", "CS05;CS06", "CS05;CS06", id="previous_ref: merged"),
    pytest.param(2, "scale", "thousands", "thousands", id="scale thousands on a count"),
    pytest.param(3, "scale", "millions", "millions", id="scale millions on a count"),
]
# fmt: on


@pytest.mark.parametrize("row, column, typed, stored", OPTIONAL_DISPLAY)
def test_decimals_and_baseline_accepted(tmp_path, row, column, typed, stored):
    cat = read_catalogue_file(catalogue_with(tmp_path, edits={row: {column: typed}},
                                             columns=(column,)))
    assert cat.at[row - 2, column] == stored
    assert list(cat.columns)[-10:] == ["decimals", "baseline", "spc_rebase", "spc_baseline",
                                      "expected_low", "expected_high", "previous_ref",
                                      "scale", "metric", "position"]


@pytest.mark.parametrize("low, high, stored", [
    pytest.param("1,200", "1,800", ("1200", "1800"), id="counts with separators"),
    pytest.param("0", "0", ("0", "0"), id="a range of one value"),
    pytest.param("-5", "5", ("-5", "5"), id="a negative low end"),
])
def test_an_activity_indicators_expected_range_is_stored(tmp_path, low, high, stored):
    cat = read_catalogue_file(catalogue_with(tmp_path, edits={3: {"expected_low": low,
                                                                  "expected_high": high}},
                                             columns=R))
    assert tuple(cat.loc[1, ["expected_low", "expected_high"]]) == stored


def test_a_catalogue_without_the_optional_columns_has_them_empty(tmp_path):
    cat = read_catalogue_file(catalogue_with(tmp_path))
    assert (cat["decimals"] == "").all() and (cat["baseline"] == "").all()


def test_duplicate_ref_names_both_rows(tmp_path):
    err = problems_of(catalogue_with(tmp_path, extra=[HSG01_COPY]))
    dup = {p.row: p.message for p in err.problems if "unique within its year" in p.message}
    assert set(dup) == {2, 15}
    assert "also on row 15" in dup[2] and "also on row 2" in dup[15]


def test_several_problems_are_all_reported_at_once():
    err = problems_of(DATA / "catalogue-broken.csv")
    assert problem_keys(err) == {
        (1, "targt"),
        (2, "year"),
        (3, "frequency"),
        (3, "measure"),
        (3, "tolerance"),
        (5, "breakdown"),
    }
    assert str(err).startswith("catalogue-broken.csv: 6 problems")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        pytest.param(b"year,ref\n2024-25,A\xe91\n", "not UTF-8", id="not UTF-8"),
        pytest.param(b",,\n", "expected a header row", id="no header"),
        pytest.param(",".join(COLUMNS).encode() + b"\n", "no data rows", id="header only"),
        pytest.param(b"year,ref,ref\n2024-25,A,B\n", "more than once", id="duplicate column"),
        pytest.param(b"year,ref\n2024-25,A,extra\n", "2 columns", id="row longer than the header"),
    ],
)
def test_file_level_problems(tmp_path, content, fragment):
    path = tmp_path / "odd.csv"
    path.write_bytes(content)
    err = problems_of(path)
    assert any(fragment in p.message and p.file == "odd.csv" for p in err.problems), str(err)


def test_missing_file_is_a_validation_error(tmp_path):
    err = problems_of(tmp_path / "nope.csv")
    assert "file not found" in str(err)


def test_frame_shape_keys_as_written_and_position():
    cat = read_catalogue_file(CATALOGUE_2024)
    assert list(cat.columns) == [*COLUMNS, "position"]
    assert cat["position"].tolist() == list(range(13))
    assert cat["position"].dtype == "int64"
    assert all(pd.api.types.is_string_dtype(cat[c]) for c in COLUMNS)
    kpis = cat[cat["breakdown"] == ""].set_index("ref")
    # an empty key is stored empty: a report rates it with the council's default keys
    assert (kpis.at["HSG01", "rag_scheme"], kpis.at["HSG01", "travel_scheme"]) == ("", "")
    assert kpis.at["HR01", "rag_scheme"] == "trust" and kpis.at["BEN01", "rag_scheme"] == "floor"
    overrides = cat[cat["breakdown"] != ""]
    assert overrides["breakdown"].tolist() == ["P1", "P2", "P3", "P4"]
    assert set(overrides["rag_scheme"]) == {""} and set(overrides["name"]) == {""}
    assert kpis.at["FIN01", "target"] == f"98 ({PROFILE})"  # kept as written


def test_leading_and_trailing_blanks_and_bom_are_tolerated(tmp_path):
    header, rows = read_csv_rows(CATALOGUE_2024)
    text = CATALOGUE_2024.read_text(encoding="utf-8").replace("HSG01,", " HSG01 ,", 1)
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\n\n", 2).encode())
    cat = read_catalogue_file(path)
    assert cat.at[0, "ref"] == "HSG01" and len(cat) == len(rows)


def test_xlsx_loads_the_same_as_its_csv():
    from_csv = read_catalogue_file(CATALOGUE_2024)
    from_xlsx = read_catalogue_file(DATA / "catalogue-2024-25.xlsx")
    pd.testing.assert_frame_equal(from_xlsx, from_csv)


def test_xlsx_problems_use_spreadsheet_rows(tmp_path):
    import openpyxl

    wb = openpyxl.load_workbook(DATA / "catalogue-2024-25.xlsx")
    wb.active["L2"] = "sideways"  # column L is polarity; row 2 is HSG01
    wb.save(tmp_path / "cat.xlsx")
    err = problems_of(tmp_path / "cat.xlsx")
    assert problem_keys(err) == {(2, "polarity")}


# --------------------------------------------------------------------------- grammar


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", Target("none"), id="empty is tracking"),
        pytest.param("review", Target("review"), id="review"),
        pytest.param("Review", Target("review"), id="review any case"),
        pytest.param("95", Target("number", 95.0), id="integer"),
        pytest.param("97.5", Target("number", 97.5), id="decimal"),
        pytest.param("264 (22 per month)", Target("number", 264.0, per_month=22.0), id="per month"),
        pytest.param(
            "400 (100 per quarter)", Target("number", 400.0, per_quarter=100.0), id="per quarter"
        ),
        pytest.param(
            f"98 ({PROFILE})",
            Target("number", 98.0, profile=tuple(float(v) for v in PROFILE.split(";"))),
            id="twelve cumulative values",
        ),
        pytest.param(
            "98 (9;9;9;9;9;9;9;9;9;9;9;9)",
            Target("number", 98.0, profile=(9.0,) * 12),
            id="flat profile is non-decreasing",
        ),
    ],
)
def test_parse_target(text, expected):
    assert parse_target(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("high", "expected a number", id="word"),
        pytest.param("95%", "expected a number", id="percent sign"),
        pytest.param("nan", "expected a number", id="nan"),
        pytest.param("98 (1;2;3)", "exactly 12 values", id="short profile"),
        pytest.param("98 (2;1;3;4;5;6;7;8;9;10;11;12)", "non-decreasing", id="decreasing profile"),
        pytest.param("264 (22 a month)", "per month", id="unknown profile wording"),
    ],
)
def test_parse_target_rejects(text, fragment):
    with pytest.raises(ValueError, match=fragment):
        parse_target(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", Tolerance("default"), id="empty is the scheme default"),
        pytest.param("5%", Tolerance("percent", 5.0), id="percent of target"),
        pytest.param("2.5pp", Tolerance("pp", 2.5), id="percentage points"),
        pytest.param("85-90", Tolerance("band", low=85.0, high=90.0), id="band"),
        pytest.param("none", Tolerance("none"), id="none"),
    ],
)
def test_parse_tolerance(text, expected):
    assert parse_tolerance(text) == expected


@pytest.mark.parametrize("text", ["5", "5 percent", "90-85", "85-85", "-"])
def test_parse_tolerance_rejects(text):
    with pytest.raises(ValueError, match="expected|low < high"):
        parse_tolerance(text)


# --------------------------------------------------------------------------- report helpers


def test_kpi_rows_resolves_overrides_into_full_rows():
    rows = kpi_rows(read_catalogue_file(CATALOGUE_2024))
    assert list(rows.columns) == [*COLUMNS, "position"]
    assert not rows.duplicated(["year", "ref", "breakdown"]).any()
    hsg03 = rows[rows["ref"] == "HSG03"]
    assert hsg03["breakdown"].tolist() == ["", "P1", "P2", "P3", "P4"]
    assert hsg03["target"].tolist() == ["95", "97.5", "97.5", "90", "90"]
    assert hsg03["tolerance"].tolist() == ["5pp", "", "", "85-90", "85-90"]
    assert set(hsg03["measure"]) == {"ratio"} and set(hsg03["name"]) == {
        "Repair defects responded to on time"
    }
    assert set(hsg03["rag_scheme"]) == {""} and set(hsg03["position"]) == {2}  # the KPI row's
    assert rows["ref"].tolist()[:2] == ["HSG01", "HSG02"] and rows["ref"].iloc[-1] == "HR01"
    assert len(rows) == 13


def test_kpi_rows_all_breakdowns_fills_unlisted_ones(tmp_path):
    path = catalogue_with(tmp_path, edits={4: {"breakdowns": "P1;P2;P3;P4;P5"}})
    rows = kpi_rows(read_catalogue_file(path), all_breakdowns=True)
    hsg03 = rows[rows["ref"] == "HSG03"].set_index("breakdown")
    assert hsg03.index.tolist() == ["", "P1", "P2", "P3", "P4", "P5"]
    assert hsg03.at["P5", "target"] == "95" and hsg03.at["P1", "target"] == "97.5"


def test_for_year(catalogue_frame):
    rows = for_year(catalogue_frame, "2023-24")
    assert rows["ref"].tolist() == ["HSG01", "OLD01"]
    with pytest.raises(CatalogueError, match="no KPI set for 2022-23.*2023-24, 2024-25"):
        for_year(catalogue_frame, "2022-23")
    with pytest.raises(PeriodError):
        for_year(catalogue_frame, "2024")


def test_validation_error_is_a_kpi_error(tmp_path):
    err = problems_of(catalogue_with(tmp_path, edits={2: {"unit": "x"}}))
    assert isinstance(err, KpiError)
    assert [str(p) for p in err.problems] == [
        "catalogue.csv, row 2, column 'unit': 'x': expected one of percent, count, days, rate, "
        "currency, number"
    ]


@pytest.mark.parametrize("row, changes, column, expected", [
    pytest.param(4, {"target": "95%"}, "target", "95", id="percent target with a % sign"),
    pytest.param(2, {"target": "1,480"}, "target", "1480", id="thousands separator in a target"),
    pytest.param(12, {"floor": "25", "target": "2,0"}, None, None, id="ambiguous stays an error"),
])
def test_targets_as_analysts_type_them(tmp_path, row, changes, column, expected):
    path = catalogue_with(tmp_path, edits={row: changes})
    if column is None:
        assert (row, "target") in problem_keys(problems_of(path))
        return
    cat = read_catalogue_file(path)
    assert cat.loc[row - 2, column] == expected


def test_a_percent_sign_on_a_count_target_is_an_error(tmp_path):
    err = problems_of(catalogue_with(tmp_path, edits={2: {"target": "480%"}}))
    assert any(p.row == 2 and p.column == "target" and "only for a percent KPI" in p.message
               for p in err.problems)
