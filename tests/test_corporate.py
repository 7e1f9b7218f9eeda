"""The county corporate report (report type ``corporate``): the pure view (summary counts and
sentence, action text, comparators, programmes), the programmes and comparators files and
their store, and an end-to-end run and audit of the demo county."""

from __future__ import annotations

import html
import shutil

import pandas as pd
import pytest
import sqlalchemy as sa

from kpilib.errors import ValidationError
from kpilib.reports.corporate import compare, split_action, summary_sentence
from kpilib.store import Store

AS_OF = "2014-01-01T00:00:00Z"


# --------------------------------------------------------------------------- summary sentence

@pytest.mark.parametrize("counts, sentence", [
    ({"Green": 20, "Green+": 5, "Amber": 8, "Red": 12, "Tracking": 13},
     "Of the 58 indicators reported this period, 25 are on or above target (including 5 "
     "Green+), 8 are Amber, 12 are Red and 13 are trend indicators with no target."),
    ({"Green": 1}, "Of the 1 indicator reported this period, 1 is on or above target."),
    ({"Red": 2, "Tracking": 1}, "Of the 3 indicators reported this period, none are on or "
     "above target, 2 are Red and 1 is a trend indicator with no target."),
    ({"Green+": 2}, "Of the 2 indicators reported this period, 2 are on or above target "
     "(all Green+)."),
    ({"Green+": 1, "Amber": 1}, "Of the 2 indicators reported this period, 1 is on or above "
     "target (Green+) and 1 is Amber."),
    ({"Green": 1, "Data missing": 2, "Target under review": 1, "Not rated": 1},
     "Of the 5 indicators reported this period, 1 is on or above target, 2 have data "
     "missing, 1 has its target under review and 1 is not rated."),
    ({}, "No indicators are reported this period."),
], ids=["seed-like", "one-green", "none-on-target", "all-green-plus", "one-green-plus",
        "other-statuses", "empty"])
def test_summary_sentence(counts, sentence):
    assert summary_sentence(counts) == sentence


@pytest.mark.parametrize("commentary, narrative, action", [
    ("<p>Below target.</p><p><b>What are we doing to improve performance?</b> Hiring.</p>",
     "<p>Below target.</p>", "<p><b>What are we doing to improve performance?</b> Hiring.</p>"),
    ("<p>Fine.</p><p><strong>Action:</strong> train.</p><p>More.</p>", "<p>Fine.</p>",
     "<p><strong>Action:</strong> train.</p><p>More.</p>"),
    ("<p>what are we doing to improve? A lot.</p>", "", "<p>what are we doing to improve? "
     "A lot.</p>"),
    ("<p>No action here; Action: inside a paragraph does not count.</p>",
     "<p>No action here; Action: inside a paragraph does not count.</p>", ""),
    ("", "", ""),
], ids=["bold-question", "action-colon", "lower-case-only", "marker-mid-paragraph", "empty"])
def test_split_action(commentary, narrative, action):
    assert split_action(commentary) == (narrative, action)


@pytest.mark.parametrize("value, other, polarity, verdict", [
    (93.6, 64.9, "higher", "better"), (56.8, 90.2, "higher", "worse"),
    (32.7, 23.2, "lower", "worse"), (1.6, 2.6, "lower", "better"),
    (5.0, 5.0000000001, "higher", "same"), (640, 595, "none", ""), (None, 3.0, "higher", ""),
], ids=["higher-better", "higher-worse", "lower-worse", "lower-better", "equal-after-rounding",
        "no-polarity", "no-figure"])
def test_compare_by_polarity(value, other, polarity, verdict):
    assert compare(value, other, polarity) == verdict


# --------------------------------------------------------------------------- the demo county

@pytest.fixture(scope="module")
def view(county_store):
    from kpilib.notebook import open_corporate

    return open_corporate(str(county_store), "2013-14-Q2", "corporate", AS_OF)


def test_counts_and_sentence_of_the_demo_county(view):
    counts = view.status_counts()
    assert dict(zip(counts["columns"], counts["totals"], strict=True)) == {
        "Green+": 8, "Green": 4, "Amber": 2, "Red": 10, "Tracking": 7}
    assert view.sentence() == ("Of the 31 indicators reported this period, 12 are on or above "
                               "target (including 8 Green+), 2 are Amber, 10 are Red and 7 "
                               "are trend indicators with no target.")
    rows = {r["name"]: r["total"] for r in counts["rows"]}
    assert rows == {"Educational attainment": 7, "Customer services": 5,
                    "Services to protect people": 5, "Quality and performance of services": 10,
                    "Managing resources": 4}
    travel = view.travel_counts()
    assert travel["total"] == 31 and set(travel["columns"]) <= {"↑", "↔", "↓", "⇑", "⇔", "⇓", "n/a"}


def test_spotlight_is_every_red_kpi_with_its_action(view):
    spot = view.spotlight()
    assert [k["ref"] for k in spot] == ["CP-ED02", "CP-ED03", "CP-ED04", "CP-ED06", "CP-CS01",
                                        "CP-PP01", "CP-QS03", "CP-QS04", "CP-QS06", "CP-QS07"]
    calls = next(k for k in spot if k["ref"] == "CP-CS01")
    assert calls["action"].startswith("<p><b>What are we doing to improve performance?</b>")
    assert "What are we doing" not in calls["narrative"]
    from kpilib.render.corporate import spotlight_page

    page = spotlight_page(view)
    assert page.count('class="kpi" id="spot-') == 10
    assert "No improvement action was given" in page  # CP-ED06 has no action paragraph


def test_quarters_against_their_own_targets_and_previous_years(view):
    libs = next(k for k in view.kpis if k["ref"] == "CP-CS04")  # 1200 (300 per quarter)
    assert [(q["display"], q["target"], q["rag"]) for q in libs["quarters"]] == [
        ("337", "300", "Green+"), ("763", "600", "Green+"), ("", "900", ""), ("", "1,200", "")]
    gcse = next(k for k in view.kpis if k["ref"] == "CP-ED01")
    assert [(y["year"], y["display"]) for y in gcse["previous"]] == [
        ("2010-11", "51.9%"), ("2011-12", "55.0%"), ("2012-13", "56.2%"), ("2013-14", "57.5%")]
    assert gcse["rag"] == "Green"  # 2.5% under 59%: the graded key's Green


def test_comparators_better_or_worse_by_polarity(view):
    got = {k["ref"]: [(c["group"], c["verdict"]) for c in k["comparators"]] for k in view.kpis}
    assert got["CP-QS02"] == [("Comparator group average", "better"),
                              ("England average", "better")]
    assert got["CP-QS08"] == [("Comparator group average", "worse"),
                              ("England average", "worse")]  # lower is better: 32.7 > 23.2
    assert got["CP-QS05"] == [("Comparator group average", "")]  # no polarity: not compared
    assert got["CP-CS01"] == []


def test_programmes_of_the_period_with_counts(view):
    assert len(view.programmes) == 8
    angel = next(p for p in view.programmes if p["programme"].startswith("Programme Angel"))
    assert (angel["status"], angel["due"], angel["period"]) == ("Amber", "2016-06-30",
                                                                "2013-14-Q2")
    counts = view.programme_counts()
    assert dict(zip(counts["columns"], counts["totals"], strict=True)) == {"Green": 4,
                                                                           "Amber": 4}
    from kpilib.render.corporate import change_page

    page = change_page(view)
    assert "Cabinet approved the £3m design fees" in page and "built-in method" not in page
    assert page.count("<h2>") == 8


# --------------------------------------------------------------------------- files and store

@pytest.fixture
def store(tmp_path, county_store):
    shutil.copyfile(county_store, tmp_path / "c.sqlite")
    with Store.open(tmp_path / "c.sqlite") as s:
        yield s


def _csv(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


BAD_PROGRAMMES = [
    ("programme,period,status\nA,2013-14-Q2,Purple\n", 2, "status", "expected one of Green"),
    ("programme,period,status,due\nA,2013-14-Q2,Green,30/03/2015\n", 2, "due",
     "expected an ISO date"),
    ("programme,period,status,due\nA,2013-14-Q2,Green,2015-02-30\n", 2, "due",
     "expected an ISO date"),
    ("programme,period,status,owner\nA,2013-14-Q2,Green,x\n", 1, "owner", "unknown column"),
    ("programme,period,status\nA,2013-14-Q5,Green\n", 2, "period", "expected a quarter id"),
    ("programme,period\nA,2013-14-Q2\n", None, "status", "required column is missing"),
    ("programme,period,status\nA,2013-14-Q2,Green\nA,2013-14-Q2,Red\n", 3, "programme",
     "duplicate"),
]


@pytest.mark.parametrize("text, row, column, message", BAD_PROGRAMMES,
                         ids=["unknown-status", "bad-date", "no-such-day", "unknown-column",
                              "bad-period", "missing-status", "duplicate"])
def test_bad_programmes_file_names_row_and_column_and_stores_nothing(store, tmp_path, text,
                                                                     row, column, message):
    before = store.counts()
    with pytest.raises(ValidationError) as e:
        store.load("programmes", _csv(tmp_path, "p.csv", text))
    assert any(p.row == row and p.column == column and message in p.message
               for p in e.value.problems), e.value.problems
    assert store.counts() == before


BAD_COMPARATORS = [
    ("ref,group,period,value\nNOPE1,England,2012-13,5\n", 2, "ref", "unknown ref"),
    ("ref,group,period,value,note\nCP-QS02,England,2012-13,5,x\n", 1, "note",
     "unknown column"),
    ("ref,group,period,value\nCP-QS02,England,2012-13,about 5\n", 2, "value",
     "a number"),
    ("ref,group,period,value\nCP-QS02,,2012-13,5\n", 2, "group", "required"),
    ("ref,group,period,value\nCP-QS02,England,2012-13,5\nCP-QS02,England,2012-13,6\n", 2,
     "group", "duplicate"),
]


@pytest.mark.parametrize("text, row, column, message", BAD_COMPARATORS,
                         ids=["unknown-ref", "unknown-column", "not-a-number", "no-group",
                              "duplicate"])
def test_bad_comparators_file_names_row_and_column_and_stores_nothing(store, tmp_path, text,
                                                                      row, column, message):
    before = store.counts()
    with pytest.raises(ValidationError) as e:
        store.load("comparators", _csv(tmp_path, "c.csv", text))
    assert any(p.row == row and p.column == column and message in p.message
               for p in e.value.problems), e.value.problems
    assert store.counts() == before


def test_every_problem_of_a_file_at_once(store, tmp_path):
    with pytest.raises(ValidationError) as e:
        store.load("programmes", _csv(tmp_path, "p.csv", "programme,period,status,due\n"
                                      "A,2013-14-Q2,Purple,2015-13-01\nB,x,Green,\n"))
    assert {(p.row, p.column) for p in e.value.problems} == {(2, "status"), (2, "due"),
                                                            (3, "period")}


def test_comparators_are_append_only_and_read_as_of_a_moment(store, tmp_path):
    path = _csv(tmp_path, "c2.csv", "ref,group,period,value,source\n"
                                    "CP-QS02,England average,2012-13,60.5,DfE\n")
    store.load("comparators", path, loaded_at="2014-02-01T00:00:00Z")
    before = store.snapshot("2014-01-01T00:00:00Z", extras=("comparators",))
    after = store.snapshot("2014-03-01T00:00:00Z", extras=("comparators",))

    def england(snap):
        c = snap.extras["comparators"]
        return c[(c["ref"] == "CP-QS02") & (c["group"] == "England average")][
            ["period", "value"]].to_records(index=False).tolist()

    assert england(before) == [("2011-12", 56.0)]
    assert england(after) == [("2011-12", 56.0), ("2012-13", 60.5)]  # both kept
    assert "c2.csv" in {s["source_file"] for s in after.sources}
    assert "c2.csv" not in {s["source_file"] for s in before.sources}
    from kpilib.reports.corporate import build_corporate
    from kpilib.reports.model import build_report

    rep = build_report(after.catalogue, after.returns, "2013-14-Q2", "corporate", after.as_of)
    k = next(k for k in build_corporate(rep, after.returns, after.extras).kpis
             if k["ref"] == "CP-QS02")
    assert [(c["group"], c["period"]) for c in k["comparators"]] == [
        ("Comparator group average", "2011-12"), ("England average", "2012-13")]  # latest


def test_a_later_programme_row_supersedes_and_the_earlier_stays(store, tmp_path):
    path = _csv(tmp_path, "p2.csv", "programme,period,status,due,update\n"
                                    "Skills & Education,2013-14-Q2,Red,2015-09-01,Slipped\n")
    store.load("programmes", path, loaded_at="2014-02-01T00:00:00Z")
    then = store.snapshot(AS_OF, extras=("programmes",)).extras["programmes"]
    now = store.snapshot("2014-03-01T00:00:00Z", extras=("programmes",)).extras["programmes"]
    pick = lambda df: df.loc[(df["programme"] == "Skills & Education")  # noqa: E731
                             & (df["period"] == "2013-14-Q2"), "status"].tolist()
    assert (pick(then), pick(now)) == (["Amber"], ["Red"])


# --------------------------------------------------------------------------- end to end

@pytest.mark.slow
def test_corporate_run_pages_results_and_audit(corporate_run, county_store, tmp_path):
    from kpilib.audit.audit import audit_run
    from kpilib.publish.manifest import read_manifest

    folder = corporate_run.folder
    names = {p.name for p in folder.iterdir()}
    assert {"index.html", "summary.html", "managing-change.html", "spotlight.html",
            "customer-services.html", "results.csv", "manifest.json"} <= names
    results = pd.read_csv(folder / "results.csv", dtype=str, keep_default_na=False)
    assert list(results.columns) == ["ref", "breakdown", "column", "value", "numerator",
                                     "denominator", "rag", "travel", "travel_label",
                                     "override_reason", "parts"]
    data = read_manifest(folder)["data"]
    assert data["programmes_rows"] == 16 and data["comparators_rows"] == 17
    assert {s["kind"] for s in data["sources"]} == {"catalogue", "returns", "programmes",
                                                    "comparators"}
    summary = (folder / "summary.html").read_text(encoding="utf-8")
    assert "Of the 31 indicators reported this period, 12 are on or above target" in summary
    res = audit_run(folder)
    assert res.identical, (res.differing, res.data_changes, res.error)
    # a programme row edited in place is found by audit
    copy = tmp_path / "edited.sqlite"
    shutil.copyfile(county_store, copy)
    eng = sa.create_engine(f"sqlite:///{copy}")
    with eng.begin() as conn:
        conn.exec_driver_sql("UPDATE programme_rows SET status = 'Red' "
                             "WHERE programme = 'Skills & Education'")
    eng.dispose()
    res = audit_run(folder, store=str(copy))
    assert not res.identical
    assert any("programmes rows" in d for d in res.data_changes), res.data_changes


@pytest.mark.parametrize("ref, symbol", [
    pytest.param("CP-ED01", "↑", id="5+ A*-C: 56.2% then 57.5%, improved by more than 2%"),
    pytest.param("CP-ED02", "↑", id="schools below the floor: 6 then 1, fewer is better"),
])
def test_an_annual_kpi_travels_from_the_previous_year(county_store, ref, symbol):
    """The seed compares an annual indicator with the year before, not the quarter before."""
    from kpilib.notebook import open_report

    report = open_report(str(county_store), "2013-14-Q2", "corporate", AS_OF)
    assert report.kpis.set_index("ref").loc[ref, "travel"] == symbol


# --------------------------------------------------------------------------- public edition

THRESHOLD = 1_000_000  # high, so that every withheld figure is a distinctive number
CORP_HEADER = ["year", "ref", "name", "directorate", "commitment", "report", "frequency",
               "measure", "unit", "polarity", "target", "rag_scheme", "travel_scheme"]
YEARS = ("2010-11", "2011-12", "2012-13", "2013-14")
# annual figures, each year's Q2: ANN01 counts (two small: one in a year before the trend's,
# one in the trend's first year), ANN02 a small count this year (its comparator not
# compared), RAT01 a percentage whose numerator is small in 2011-12 (so the rate is withheld)
ANN01 = {"2010-11": 8_135_792, "2011-12": 612_345, "2012-13": 738_291, "2013-14": 4_681_357}
ANN02 = {"2010-11": 5_792_468, "2011-12": 6_813_579, "2012-13": 7_924_681, "2013-14": 923_417}
RAT01 = {"2010-11": (1_634_589, 2_011_223), "2011-12": (512_347, 2_003_891),
         "2012-13": (1_512_353, 2_003_899), "2013-14": (1_612_359, 2_003_907)}
SECRET = "INTERNAL-ONLY: the schools adviser has resigned"


def _corp_store(root):
    from conftest import write_csv

    kpis = []
    for fy in YEARS:
        target = "0" if fy == "2013-14" else ""
        kpis += [[fy, "ANN01", "Pupils assessed", "Education", "Attainment", "corporate",
                  "annual", "snapshot", "count", "higher", target, "graded", "graded"],
                 [fy, "ANN02", "Schools assessed", "Education", "Attainment", "corporate",
                  "annual", "snapshot", "count", "higher", target, "graded", "graded"],
                 [fy, "RAT01", "Assessed on time", "Education", "Attainment", "corporate",
                  "annual", "ratio", "percent", "higher", "50" if target else "", "graded",
                  "graded"]]
    rows = []
    for fy in YEARS:
        q = f"{fy}-Q2"
        internal = fy == "2013-14"
        rows += [{"ref": "ANN01", "period": q, "value": ANN01[fy],
                  "commentary": SECRET if internal else "", "internal": "yes" if internal else ""},
                 {"ref": "ANN02", "period": q, "value": ANN02[fy]},
                 {"ref": "RAT01", "period": q, "numerator": RAT01[fy][0],
                  "denominator": RAT01[fy][1]}]
    write_csv(root / "catalogue.csv", CORP_HEADER, kpis)
    write_csv(root / "returns.csv", ["ref", "period", "value", "numerator", "denominator",
                                     "commentary", "internal"], rows)
    write_csv(root / "comparators.csv", ["ref", "group", "period", "value", "source"],
              [["ANN02", "England average", "2012-13", "800000", "DfE"]])
    (root / "council.yaml").write_text(f"name: Testshire County Council\nsuppression:\n"
                                       f"  threshold: {THRESHOLD}\n", encoding="utf-8")
    s = Store.open(root / "kpi.sqlite")
    s.load_catalogue(root / "catalogue.csv", loaded_at="2013-10-01T00:00:00Z")
    s.load_returns(root / "returns.csv", loaded_at="2013-10-02T00:00:00Z")
    s.load("comparators", root / "comparators.csv", loaded_at="2013-10-03T00:00:00Z")
    s.close()
    return root / "kpi.sqlite"


@pytest.fixture(scope="module")
def corporate_editions(tmp_path_factory):
    """The synthetic county's 2013-14 Q2 corporate report, internal and public."""
    from kpilib.run.runner import run
    from kpilib.settings.params import validate

    root = tmp_path_factory.mktemp("corporate-public")
    store = _corp_store(root)
    folders = {}
    for edition in ("internal", "public"):
        params = validate({"period": "2013-14-Q2", "report": "corporate", "store": str(store),
                           "council": str(root / "council.yaml"), "as_of": AS_OF,
                           "output_dir": str(root / "out"), "edition": edition})
        folders[edition] = run(params, show_progress=False)[0].folder
    return root, folders


def _all_text(folder):
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8", errors="replace")
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "plotly.min.js"}


@pytest.mark.slow
def test_a_public_corporate_report_withholds_small_numbers_everywhere(corporate_editions):
    from kpilib.rules.formats import format_number

    _, folders = corporate_editions
    internal, public = _all_text(folders["internal"]), _all_text(folders["public"])
    assert folders["public"].name == "corporate-public"
    rate = 100 * RAT01["2011-12"][0] / RAT01["2011-12"][1]
    hidden = {"ANN01 2011-12 (earlier year)": ANN01["2011-12"],
              "ANN01 2012-13 (trend year)": ANN01["2012-13"],
              "ANN02 2013-14 (headline)": ANN02["2013-14"]}
    for what, v in hidden.items():
        needles = {format_number(v), f"{v:,}", str(v)}
        assert any(n in t for n in needles for t in internal.values()), what  # scan finds it
        leaks = [f for f, t in public.items() for n in needles if n in t]
        assert not leaks, f"{what} = {v} in {leaks}"
    for shown in (f"{rate:.1f}%",):  # the rate of a withheld count: shown internally only
        assert any(shown in t for t in internal.values())
        assert not any(shown in t for t in public.values()), shown
    assert SECRET in "".join(internal.values()) and SECRET not in "".join(public.values())
    page = html.unescape(public["attainment.html"])
    assert "Small numbers are withheld" in page
    assert page.count("<1000000") >= 3 and '"num">withheld' in page  # counts, the rate
    assert "Not compared (the council's figure is withheld)" in page
    assert "Better than this comparator" in html.unescape(internal["attainment.html"])
    assert "Better than this comparator" not in page
    assert format_number(ANN01["2013-14"]) in page  # what is not small is shown


@pytest.mark.slow
def test_a_public_corporate_report_audits_identical(corporate_editions, monkeypatch):
    from kpilib.audit.audit import audit_run

    root, folders = corporate_editions
    monkeypatch.chdir(root)
    res = audit_run(folders["public"])
    assert res.identical, (res.differing, res.data_changes, res.error[-3000:])


def test_a_public_view_needs_its_suppression_settings(county_store):
    import dataclasses

    from kpilib.notebook import open_report
    from kpilib.reports.corporate import build_corporate

    report = dataclasses.replace(open_report(str(county_store), "2013-14-Q2", "corporate",
                                             AS_OF), edition="public")
    with pytest.raises(ValueError, match="needs its suppression settings"):
        build_corporate(report, pd.DataFrame(columns=["ref", "breakdown", "period", "value"]))


def test_the_summary_sentence_takes_a_council_keys_words(view):
    """The county's sentence counts Green+ and Green as "on or above target" because its
    graded key says so; KPIs rated with another key are summed up in that key's words."""
    import dataclasses

    from kpilib.reports.sentence import summary_sentence as keyed

    assert "are on or above target (including" in view.sentence()
    report = dataclasses.replace(view.report,
                                 kpis=view.report.kpis.assign(rag_scheme="tolerance"))
    other = dataclasses.replace(view, report=report, kpis=tuple(
        {**k, "rag_scheme": "tolerance"} for k in view.kpis))
    assert other.sentence() == keyed(report)
    assert "on or above target" not in other.sentence()
    assert "are Green+" in other.sentence() or "is Green+" in other.sentence()
    section = other.report.sections()[0]
    assert other.section_sentence(section) == keyed(report.section(section))


def test_a_council_without_change_programmes_publishes_no_managing_change_page(
        view, county_store, tmp_path):
    """Report shape as settings: the optional pages a council publishes (report_shape)."""
    import dataclasses

    from kpilib.notebook import corporate_page, open_corporate
    from kpilib.render import corporate as render_corporate
    from kpilib.run.runner import plan
    from kpilib.settings.params import RunParams

    settings = tmp_path / "council.yaml"
    settings.write_text("name: A county without programmes\nreport_shape:\n  corporate:\n"
                        "    pages: [summary, spotlight]\n", encoding="utf-8")
    shaped = open_corporate(str(county_store), "2013-14-Q2", "corporate", AS_OF,
                            str(settings))
    assert shaped.pages == ("summary", "spotlight")
    assert [h for _, h in render_corporate.nav(shaped)][-2:] == ["summary.html",
                                                                 "spotlight.html"]
    for page in ("overview", "summary", "spotlight"):
        assert "managing-change.html" not in corporate_page(shaped, page), page
    assert "managing-change.html" in corporate_page(view, "summary")  # the default: all
    from kpilib.settings.council import load_settings

    params = RunParams(period="2013-14-Q2", report="corporate", store=str(county_store))
    stems = [j.stem for j in plan(shaped.report, params, "corporate", AS_OF,
                                  shape=load_settings(settings).shape("corporate"))]
    assert "managing-change" not in stems and {"summary", "spotlight"} <= set(stems)
    assert dataclasses.replace(view).pages == ("summary", "managing-change", "spotlight")


def test_travel_count_headings_say_what_the_rows_they_count_say(view):
    """Each travel column heading of the summary gives the words the report's keys give its
    symbol (every set of them), never words of its own ("↑ Improved" over rows whose arrows
    say "worse")."""
    import re

    from kpilib.render.corporate import summary_page

    page = summary_page(view)
    table = page[page.index("direction of travel"):] if "direction of travel" in page else page
    k = view.report.kpis
    for sym in view.travel_counts()["columns"]:
        words = {w for s, w in zip(k["travel"], k["travel_text"]) if s == sym and w}
        heads = re.findall(r'<span aria-hidden="true">' + re.escape(sym) + r"</span> ([^<]+)</th>",
                           table)
        assert heads, sym
        for w in words:
            assert w[:1].lower() + w[1:] in heads[0] or w in heads[0], (sym, heads[0], w)


@pytest.mark.parametrize("page", ["overview", "section", "summary", "change", "spotlight"])
def test_no_corporate_page_says_its_heading_twice(view, page):
    """The spotlight page said "Performance spotlight" then "Appendix: performance spotlight
    reports"; a section page its name twice."""
    from test_render import check_no_heading_said_twice, headings

    from kpilib.notebook import corporate_page

    html = corporate_page(view, page)
    check_no_heading_said_twice(page, html)
    assert [lv for lv, _ in headings(html)].count(1) == 1, page


def test_the_mdc_matrix_names_each_kpi(view):
    """The Making Data Count matrix lists each KPI by reference and name, not code alone."""
    from kpilib.render.html import mdc_matrix

    matrix = mdc_matrix(view.report, {s: "x.html" for s in view.report.sections()})
    listed = [k for row in matrix["rows"] for cell in row["cells"] for k in cell]
    if not listed:
        pytest.skip("no KPI charted")
    from kpilib.render import templates
    from kpilib.render.style import esc

    html = templates.render("mdc_matrix", mdc=matrix)
    for k in listed:
        assert f'<span class="ref">{esc(k["ref"])}</span> {esc(k["name"])}</a>' in html
