"""kpilib.returns: validation of returns files against the catalogue, value derivation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from conftest import DATA, RETURNS_2024_04, RETURNS_HEADER, problem_keys
from kpilib.errors import ValidationError
from kpilib.ingest.returns import COLUMNS, derive_value, read_returns_file

GOOD = "HSG01,2024-04,,472,,,,"  # row 2 of every case file


def returns_file(tmp_path, *lines, header=None):
    path = tmp_path / "returns.csv"
    text = "\n".join([header or ",".join(RETURNS_HEADER), *lines]) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path, catalogue):
    with pytest.raises(ValidationError) as exc:
        read_returns_file(path, catalogue)
    return exc.value


def case(id, line, where, says, header=None):
    """A rule's case: ``line`` follows a good row 2 (so it is row 3) unless ``header`` is given,
    then it is the only row; ``where`` = (row, column) of the problem, ``says`` = message part."""
    return pytest.param(line, header, (*where, says), id=id)


ALL_COLUMNS = ",".join(RETURNS_HEADER)

# fmt: off
RULES = [
    case("unknown column suggests the closest", "HSG01,2024-05,,470,,,,", (1, "valeu"),
         "did you mean 'value'", header=ALL_COLUMNS.replace("value", "valeu", 1)),
    case("missing required column", "HSG01,,470", (None, "period"), "required column is missing",
         header="ref,breakdown,value"),
    case("ref empty", ",2024-05,,470,,,,", (3, "ref"), "required: a KPI ref"),
    case("unknown ref", "XXX01,2024-05,,12,,,,", (3, "ref"),
         "unknown ref: XXX01 is in no loaded catalogue"),
    case("ref not in the catalogue of the period's year", "OLD01,2024-05,,12,,,,", (3, "ref"),
         "OLD01 is not in the 2024-25 catalogue, the period's financial year "
         "(it exists in 2023-24)"),
    case("no catalogue for the period's year", "HSG01,2022-05,,12,,,,", (3, "ref"),
         "no catalogue is loaded for 2022-23, the period's financial year"),
    case("period malformed", "HSG01,Feb-24,,12,,,,", (3, "period"),
         "expected a month id such as 2024-02 or a quarter id"),
    case("period month out of range", "HSG01,2024-13,,12,,,,", (3, "period"),
         "'2024-13' is not a month id"),
    case("period quarter of a bad year", "ENV01,2024-26-Q1,,12,,,,", (3, "period"),
         "not a financial year"),
    case("month for a quarterly KPI", "ENV01,2024-05,,93,,,,", (3, "period"),
         "ENV01 is a quarterly KPI: expected a quarter id such as 2024-25-Q1, not a month"),
    case("quarter for a monthly KPI", "HSG01,2024-25-Q1,,470,,,,", (3, "period"),
         "HSG01 is a monthly KPI: expected a month id"),
    case("value not a number", "HSG02,2024-05,,lots,,,,", (3, "value"), "expected a number"),
    case("numerator not a number", 'HSG03,2024-05,,,"1,18",1240,,', (3, "numerator"),
         "expected a number"),
    case("denominator not a number", "HSG03,2024-05,,,1180,n/a,,", (3, "denominator"),
         "expected a number"),
    case("percent value above 100", "FIN01,2024-05,,101,,,,", (3, "value"),
         "a percent value must be between 0 and 100"),
    case("percent value below 0", "FIN01,2024-05,,-1,,,,", (3, "value"), "between 0 and 100"),
    case("numerator above denominator", "HSG03,2024-05,,,1300,1240,,", (3, "numerator"),
         "numerator is above the denominator (1240): expected numerator <= denominator for a "
         "percent KPI"),
    case("numerator above denominator for a rate", "ASC01,2024-25-Q1,,,20000,10000,,",
         (3, "numerator"), "for a rate KPI"),
    case("negative numerator for a percent", "HSG03,2024-05,,,-5,1240,,", (3, "numerator"),
         "numerator of 0 or more"),
    case("negative denominator", "HSG02,2024-05,,,5,-1,,", (3, "denominator"),
         "expected a denominator of 0 or more"),
    case("ratio KPI with a value and a denominator but no numerator", "HSG03,2024-05,,95,,1240,,",
         (3, "numerator"), "required for a ratio KPI (or, where the counts are not known, give "
                           "the value alone; or set status to missing, unavailable or arrears)"),
    case("ratio KPI with no value and no counts", "HSG03,2024-05,,,,,,", (3, "numerator"),
         "required for a ratio KPI"),
    case("ratio KPI without denominator", "HSG03,2024-05,,95,1180,,,", (3, "denominator"),
         "required for a ratio KPI"),
    case("value with status missing", "HSG01,2024-05,,470,,,missing,", (3, "status"),
         "status 'missing' means there is no value, but value given"),
    case("numerator with status arrears", "HSG03,2024-05,,,5,10,arrears,", (3, "status"),
         "but numerator and denominator given"),
    case("no value and no status", "HSG01,2024-05,,,,,,", (3, "value"),
         "no value: expected a value, or a numerator and denominator, or a status"),
    case("numerator without denominator", "HSG01,2024-05,,,4,,,", (3, "denominator"),
         "go together"),
    case("breakdown not in the KPI's breakdowns", "HSG03,2024-05,P5,,1,2,,", (3, "breakdown"),
         "HSG03 has no breakdown 'P5' in 2024-25: expected one of P1, P2, P3, P4 or empty"),
    case("breakdown on a KPI without breakdowns", "HSG01,2024-05,North,3,,,,", (3, "breakdown"),
         "expected an empty breakdown (the KPI has no breakdowns)"),
    case("status not an option", "HSG01,2024-05,,,,,n/a,", (3, "status"),
         "expected empty (figures given), provisional (figures given, to be confirmed), "
         "missing, unavailable, arrears, not_due or carried_over"),
    case("duplicate ref, period and breakdown", GOOD, (3, "ref"),
         "duplicate: row 2 has the same ref, period and breakdown"),
]
# fmt: on


@pytest.mark.parametrize(("line", "header", "expected"), RULES)
def test_each_rule_reports_file_row_column_and_expectation(
    tmp_path, catalogue_frame, line, header, expected
):
    lines = [line] if header else [GOOD, line]
    path = returns_file(tmp_path, *lines, header=header)
    err = problems_of(path, catalogue_frame)
    row, column, fragment = expected
    hits = [p for p in err.problems if (p.row, p.column) == (row, column)]
    assert hits, f"no problem at row {row}, column {column}: {err}"
    assert all(p.file == "returns.csv" for p in err.problems)
    assert any(fragment in p.message for p in hits), str(err)


def test_duplicates_report_both_rows(tmp_path, catalogue_frame):
    err = problems_of(returns_file(tmp_path, GOOD, "HSG02,2024-04,,1,,,,", GOOD), catalogue_frame)
    assert problem_keys(err) == {(2, "ref"), (4, "ref")}
    assert {p.row: p.message[:16] for p in err.problems} == {
        2: "duplicate: row 4",
        4: "duplicate: row 2",
    }


def test_many_duplicates_name_a_few_other_rows_each(tmp_path, catalogue_frame):
    """20,000 copies of one row: each problem names five other rows and a count, so the
    check takes linear time and memory (naming every other row took quadratic)."""
    err = problems_of(returns_file(tmp_path, *[GOOD] * 20_000), catalogue_frame)
    assert len(err.problems) == 20_000
    by_row = {p.row: p.message for p in err.problems}
    assert by_row[2].startswith("duplicate: rows 3, 4, 5, 6, 7 and 19,994 more have the same")
    assert by_row[5].startswith("duplicate: rows 2, 3, 4, 6, 7 and 19,994 more have the same")
    assert max(len(line) for line in str(err).splitlines()) < 300


def test_several_problems_are_all_reported_at_once(catalogue_frame):
    err = problems_of(DATA / "returns-broken.csv", catalogue_frame)
    assert problem_keys(err) == {
        (2, "status"),
        (3, "numerator"),
        (4, "breakdown"),
        (5, "ref"),
        (6, "period"),
        (7, "period"),
    }


def test_an_empty_catalogue_says_to_load_one_first(tmp_path, catalogue_frame):
    err = problems_of(returns_file(tmp_path, GOOD), catalogue_frame.iloc[0:0])
    assert [p.message for p in err.problems] == [
        "no catalogue is loaded for 2024-25, the period's financial year: load the 2024-25 "
        "catalogue first (catalogues loaded: none)"
    ]


# fmt: off
ACCEPTED = [
    pytest.param("HSG03,2024-05,,,,,missing,", math.nan,
                 id="ratio KPI with status missing needs no numbers"),
    pytest.param("HSG01,2024-05,,,,,arrears,One month in arrears", math.nan,
                 id="status arrears without value"),
    pytest.param("HSG03,2024-05,,,0,0,,", math.nan, id="denominator zero leaves the value empty"),
    pytest.param("HSG03,2024-05,,,1180,1240,,", 1180 / 1240 * 100, id="percent derived x100"),
    pytest.param("ASC01,2024-25-Q1,,,61,10000,,", 610.0, id="rate derived x100000"),
    pytest.param("HSG02,2024-05,,,30,4,,", 7.5, id="count derived x1"),
    pytest.param("FIN01,2024-05,,,9.1,100,,", 9.1,
                 id="cumulative given as numerator and denominator"),
    pytest.param("HSG03,2024-05,,95,1180,1240,,", 95.0, id="a given value is kept"),
    pytest.param("HSG03,2024-05,,93.4,,,,", 93.4,
                 id="ratio KPI with a value alone (a historical period, counts not known)"),
    pytest.param("HSG03,2024-05,P1,97.1,,,,", 97.1, id="ratio breakdown with a value alone"),
    pytest.param("ASC01,2024-25-Q1,,575.3,,,,", 575.3, id="quarterly rate ratio with a value alone"),
    pytest.param("HSG03,2024-05,P1,,98,100,,", 98.0, id="a listed breakdown"),
    pytest.param("HR01,2024-25-Q1,,4.2,,,,", 4.2, id="quarterly KPI with a quarter id"),
]
# fmt: on


@pytest.mark.parametrize(("line", "value"), ACCEPTED)
def test_accepted_rows(tmp_path, catalogue_frame, line, value):
    frame = read_returns_file(returns_file(tmp_path, line), catalogue_frame)
    got = frame.at[0, "value"]
    assert (math.isnan(got) and math.isnan(value)) or got == pytest.approx(value)


def test_frame_columns_types_and_commentary_as_given(tmp_path, catalogue_frame):
    frame = read_returns_file(
        returns_file(tmp_path, 'HSG01,2024-05,,470,,,,"  <p>Kept <script>as</script> given</p> "'),
        catalogue_frame,
    )
    assert list(frame.columns) == list(COLUMNS)
    assert [str(frame[c].dtype) for c in ("value", "numerator", "denominator")] == ["float64"] * 3
    assert frame.at[0, "breakdown"] == "" and frame.at[0, "status"] == ""
    assert frame.at[0, "commentary"] == "  <p>Kept <script>as</script> given</p> "


def test_fixture_file_rows(catalogue_frame):
    frame = read_returns_file(RETURNS_2024_04, catalogue_frame)
    assert len(frame) == 9
    p4 = frame[(frame["ref"] == "HSG03") & (frame["breakdown"] == "P4")].iloc[0]
    assert (p4["value"], p4["numerator"], p4["denominator"]) == (100.0, 472.0, 472.0)


def test_xlsx_loads_the_same_as_its_csv(catalogue_frame):
    from_csv = read_returns_file(RETURNS_2024_04, catalogue_frame)
    from_xlsx = read_returns_file(DATA / "returns-2024-04.xlsx", catalogue_frame)
    pd.testing.assert_frame_equal(from_xlsx, from_csv)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param((math.nan, 12938, 13852, "percent"), 12938 / 13852 * 100, id="percent x100"),
        pytest.param((math.nan, 61, 10000, "rate"), 610.0, id="rate x100000"),
        pytest.param((math.nan, 30, 4, "days"), 7.5, id="other units x1"),
        pytest.param((math.nan, 0, 0, "percent"), math.nan, id="denominator 0 gives no value"),
        pytest.param((math.nan, 5, 0, "count"), math.nan, id="denominator 0 with a numerator"),
        pytest.param((93.4, 1, 2, "percent"), 93.4, id="given value wins"),
        pytest.param((None, None, None, "count"), math.nan, id="nothing given"),
    ],
)
def test_derive_value(args, expected):
    got = derive_value(*args)
    assert isinstance(got, float)
    assert (math.isnan(got) and math.isnan(expected)) or got == pytest.approx(expected)


def test_derive_value_vectorised():
    got = derive_value([np.nan, 5.0, np.nan], [1, 1, 3], [2, 2, 0], ["percent", "percent", "rate"])
    np.testing.assert_allclose(got, [50.0, 5.0, np.nan])


@pytest.mark.parametrize("line, value, numerator, denominator", [
    pytest.param('HSG01,2024-05,,"11,477",,,,', 11477.0, None, None, id="thousands separator"),
    pytest.param('HSG01,2024-05,,"1,234,567.5",,,,', 1234567.5, None, None,
                 id="two separators and decimals"),
    pytest.param("HSG03,2024-05,,93.4%,,,,", 93.4, None, None,
                 id="a ratio's percent value alone, counts not known"),
    pytest.param('HSG03,2024-05,,,"12,938","13,852",,', 12938 / 13852 * 100, 12938.0, 13852.0,
                 id="grouped numerator and denominator"),
], )
def test_numbers_as_analysts_type_them(tmp_path, catalogue_frame, line, value, numerator,
                                       denominator):
    df = read_returns_file(returns_file(tmp_path, GOOD, line), catalogue_frame)
    row = df.iloc[1]
    assert row["value"] == pytest.approx(value)
    for col, want in (("numerator", numerator), ("denominator", denominator)):
        assert (math.isnan(row[col]) if want is None else row[col] == want)


def test_a_percent_sign_on_a_percent_kpi_is_its_unit(tmp_path, catalogue_frame):
    path = returns_file(tmp_path, GOOD, "HSG03,2024-05,,93.4 %,12938,13852,,")
    assert read_returns_file(path, catalogue_frame).iloc[1]["value"] == 93.4


@pytest.mark.parametrize("line, column, says", [
    pytest.param('HSG01,2024-05,,"1,23",,,,', "value", "expected a number", id="decimal comma"),
    pytest.param('HSG01,2024-05,,"12,34,567",,,,', "value", "expected a number",
                 id="Indian grouping is ambiguous"),
    pytest.param('HSG01,2024-05,,"1.234,5",,,,', "value", "expected a number",
                 id="continental format"),
    pytest.param("HSG01,2024-05,,98%,,,,", "value",
                 "HSG01 is a count KPI: a % sign is only for a percent KPI's value",
                 id="percent sign on a count KPI"),
    pytest.param("HSG03,2024-05,,,50%,100,,", "numerator", "without a % sign",
                 id="percent sign on a numerator"),
], )
def test_ambiguous_numbers_stay_errors(tmp_path, catalogue_frame, line, column, says):
    err = problems_of(returns_file(tmp_path, GOOD, line), catalogue_frame)
    hits = [p for p in err.problems if (p.row, p.column) == (3, column)]
    assert hits and any(says in p.message for p in hits), str(err)
