"""Public editions (kpilib.reports.public, kpilib.settings.edition): small numbers withheld from
every file of a public run folder, internal commentary left out, settings and parameters
checked before anything is written."""

import json

import pandas as pd
import pytest

from kpilib.audit.audit import audit_run
from kpilib.errors import ParamsError, RunError, ValidationError
from kpilib.ingest.contracts import RETURN_COLUMNS
from kpilib.notebook import open_report
from kpilib.publish.publish import plotly_js_path
from kpilib.reports.public import public_edition, withheld_figures
from kpilib.rules.formats import format_number
from kpilib.rules.suppression import Suppression, recoverable
from kpilib.run import runner
from kpilib.run.locate import PACKAGE_NOTEBOOKS, NotebookSource, check_takes_edition
from kpilib.settings.council import CouncilError, load_suppression
from kpilib.settings.params import validate
from kpilib.store import Store, publications_of
from tests.conftest import problem_keys, write_csv

AS_OF = "2025-01-01T00:00:00.000000Z"
THRESHOLD = 1_000_000  # high, so that every withheld figure is a distinctive number
CATALOGUE = ["year", "ref", "name", "directorate", "commitment", "report", "frequency",
             "measure", "unit", "polarity", "target", "breakdowns", "decimals"]
KPIS = [
    ["2024-25", "CNT01", "Households assessed", "Housing", "Homes", "core", "monthly", "sum",
     "count", "none", "", "North;South;East", ""],
    ["2024-25", "RAT01", "Assessments on time", "Housing", "Homes", "core", "monthly", "ratio",
     "percent", "higher", "50", "", "2"],
]
# CNT01 North in April is a small count; the rest are not (but some must be withheld too).
COUNTS = {"North": (738_291, 2_468_135, 3_579_246), "South": (4_681_357, 5_792_468, 6_813_579),
          "East": (7_924_681, 8_135_792, 9_246_813)}
RATIOS = [(612_345, 1_987_654), (1_512_347, 2_003_891), (1_634_589, 2_011_223)]
MONTHS = ("2024-04", "2024-05", "2024-06")
SECRET = "INTERNAL-ONLY: the housing manager is on sick leave"


def _returns():
    rows = []
    for i, m in enumerate(MONTHS):
        rows.append({"ref": "CNT01", "period": m, "value": sum(v[i] for v in COUNTS.values())})
        rows += [{"ref": "CNT01", "period": m, "breakdown": b, "value": v[i]}
                 for b, v in COUNTS.items()]
        num, den = RATIOS[i]
        rows.append({"ref": "RAT01", "period": m, "numerator": num, "denominator": den,
                     "commentary": SECRET if m == "2024-06" else f"<p>Public note {m}</p>",
                     "internal": "yes" if m == "2024-06" else ""})
    return rows


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("public")
    write_csv(root / "catalogue.csv", CATALOGUE, KPIS)
    write_csv(root / "returns.csv", list(RETURN_COLUMNS), _returns())
    (root / "council.yaml").write_text(f"name: Testshire\nsuppression:\n  threshold: {THRESHOLD}\n",
                                       encoding="utf-8")
    store = root / "kpi.sqlite"
    s = Store.open(store)
    s.load_catalogue(root / "catalogue.csv", loaded_at="2024-07-01T00:00:00.000000Z")
    s.load_returns(root / "returns.csv", loaded_at="2024-07-02T00:00:00.000000Z")
    return root


def _params(project, **kw):
    return validate({"period": "2024-06", "report": "core", "store": str(project / "kpi.sqlite"),
                     "as_of": AS_OF, "output_dir": str(project / "out"),
                     "council": str(project / "council.yaml"), **kw})


@pytest.fixture(scope="module")
def runs(project):
    internal = runner.run(_params(project), show_progress=False)[0]
    public = runner.run(_params(project, edition="public"), show_progress=False)[0]
    return internal.folder, public.folder


def _report(project, edition=None):
    return open_report(str(project / "kpi.sqlite"), "2024-06", "core", AS_OF,
                       str(project / "council.yaml"), edition=edition)


def _needles(v: float) -> set[str]:
    """Every way a figure could be written: plain, with decimals, with separators."""
    out = {format_number(v), f"{v:.2f}", f"{v:,.2f}", repr(float(v))}
    if float(v).is_integer():
        out |= {f"{v:.0f}", f"{v:,.0f}", f"{v:.1f}", f"{v:,.1f}"}
    elif len(f"{v:.1f}") >= 6:
        out |= {f"{v:.1f}", f"{v:,.1f}"}
    return out


def _withheld_values(project):
    from kpilib.store import open_store

    returns = open_store(str(project / "kpi.sqlite")).snapshot(AS_OF).returns
    values, small, withheld = withheld_figures(_report(project), returns, Suppression(THRESHOLD))
    return {k: values[k] for k in withheld if values.get(k) is not None}, small, withheld


def test_the_rules_withhold_primary_secondary_and_derived_figures(project):
    hidden, small, withheld = _withheld_values(project)
    assert ("CNT01", "North", "2024-04", "value") in small
    assert ("CNT01", "South", "2024-04", "value") in withheld  # next smallest breakdown
    assert ("CNT01", "North", "2024-05", "value") in withheld  # next smallest month of Q1
    assert ("RAT01", "", "2024-04", "numerator") in small
    assert ("RAT01", "", "2024-04", "value") in withheld  # its percentage
    assert ("CNT01", "East", "2024-04", "value") not in withheld
    assert ("CNT01", "", "YTD", "value") not in withheld


def test_no_withheld_breakdown_is_the_total_minus_the_others(project):
    public = _report(project, "public")
    res = public.results
    cnt = res[(res["ref"] == "CNT01") & (res["column"] == "2024-04")].set_index("breakdown")
    shown = {b: v for b, v in cnt["value"].items() if v not in ("<1000000", "withheld")}
    assert set(shown) == {"", "East"}  # the total and East: North and South stay unknown
    _, _, withheld = _withheld_values(project)
    from kpilib.reports.public import published_groups

    values, groups = published_groups(_report(project), open_store_returns(project))
    assert recoverable(values, groups, withheld) == []


def open_store_returns(project):
    from kpilib.store import open_store

    return open_store(str(project / "kpi.sqlite")).snapshot(AS_OF).returns


def test_results_csv_marks_withheld_figures(project):
    res = _report(project, "public").results.set_index(["ref", "breakdown", "column"])
    assert res.loc[("CNT01", "North", "2024-04"), "value"] == "<1000000"
    assert res.loc[("CNT01", "South", "2024-04"), "value"] == "withheld"
    rat = res.loc[("RAT01", "", "2024-04")]
    assert (rat["value"], rat["numerator"], rat["denominator"], rat["rag"]) == (
        "withheld", "<1000000", "1987654", "")
    assert res.loc[("CNT01", "East", "2024-04"), "value"] == "7924681"


def test_a_withheld_cell_reads_its_mark_and_has_no_status(project):
    rep = _report(project, "public")
    c = rep.cells.set_index(["ref", "breakdown", "column"])
    assert c.loc[("RAT01", "", "2024-04"), "display"] == "withheld (<1000000 out of 1987654)"
    assert c.loc[("RAT01", "", "2024-04"), "rag"] == ""
    assert c.loc[("CNT01", "North", "2024-04"), "display"] == "<1000000"
    k = rep.kpis.set_index(["ref", "breakdown"])
    assert k.loc[("CNT01", "North"), "spc_charted"] == False  # noqa: E712
    assert not rep.spc_points["breakdown"].eq("North").any()
    assert "Small numbers are withheld" in rep.notice


def test_internal_commentary_stays_in_the_internal_edition(project):
    assert _report(project).kpis.set_index("ref").loc["RAT01", "commentary"] == SECRET
    assert _report(project, "public").kpis.set_index("ref").loc["RAT01", "commentary"] == ""


def test_public_edition_is_pure_and_deterministic(project):
    rep, returns = _report(project), open_store_returns(project)
    before = rep.cells.copy()
    a = public_edition(rep, returns, Suppression(THRESHOLD)).results
    b = public_edition(rep, returns, Suppression(THRESHOLD)).results
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(rep.cells, before)  # the internal report is untouched


def _texts(folder):
    """(relative path, text) of every file of a run folder but the shipped plotly.js, which
    must be the package's own file byte for byte (so it carries no figure)."""
    for p in sorted(folder.rglob("*")):
        if not p.is_file():
            continue
        rel = p.relative_to(folder).as_posix()
        if rel == "assets/plotly.min.js":
            assert p.read_bytes() == plotly_js_path().read_bytes()
            continue
        yield rel, p.read_text(encoding="utf-8", errors="replace")


def test_no_withheld_figure_appears_anywhere_in_the_public_folder(project, runs):
    internal, public = runs
    assert public.name == "core-public" and internal.name == "core"
    assert public.parent == internal.parent
    hidden, _, _ = _withheld_values(project)
    assert len(hidden) >= 8
    internal_text = "\n".join(t for _, t in _texts(internal))
    public_files = dict(_texts(public))
    assert {"index.html", "housing.html", "results.csv", "spc.csv", "manifest.json",
            "notebooks/index.ipynb", "notebooks/housing.ipynb"} <= set(public_files)
    for key, v in sorted(hidden.items()):
        if key[2] in MONTHS or key[2] == "YTD":
            assert format_number(v) in internal_text, key  # the scan can find it
        for needle in _needles(v):
            leaks = [f for f, t in public_files.items() if needle in t]
            assert not leaks, f"{key} = {v} written as {needle!r} in {leaks}"
    assert SECRET in internal_text
    assert not any(SECRET in t for t in public_files.values())


def test_every_public_page_says_why_numbers_are_withheld(runs):
    internal, public = runs
    for page in ("index.html", "housing.html"):
        assert "Small numbers are withheld" in (public / page).read_text(encoding="utf-8")
        assert "Small numbers are withheld" not in (internal / page).read_text(encoding="utf-8")


def test_the_manifest_and_ledger_record_the_edition(project, runs):
    internal, public = runs
    m = json.loads((public / "manifest.json").read_text(encoding="utf-8"))
    assert m["parameters"]["edition"] == "public"
    assert m["edition"]["name"] == "public"
    assert m["edition"]["suppression"]["threshold"] == THRESHOLD
    mi = json.loads((internal / "manifest.json").read_text(encoding="utf-8"))
    assert mi["edition"] == {"name": "internal"}
    ledger = publications_of(Store.open(project / "kpi.sqlite"))
    assert sorted(ledger["folder"]) == sorted([str(internal), str(public)])


def test_audit_re_executes_a_public_edition_identically(project, runs, monkeypatch):
    monkeypatch.chdir(project)
    res = audit_run(runs[1])
    assert res.identical, res.lines()


def test_a_re_run_supersedes_in_its_own_folder(project, runs):
    later = "2025-01-02T00:00:00.000000Z"
    again = runner.run(_params(project, edition="public", as_of=later), show_progress=False)[0]
    assert again.folder == runs[1]
    assert again.unchanged or again.superseded.parent.name == "core-public.superseded"


@pytest.mark.parametrize("edition", ["Public", "external", 1, ["public"]],
                         ids=["capitalised", "unknown", "number", "list"])
def test_an_unknown_edition_is_a_params_error(project, edition):
    with pytest.raises(ParamsError, match="key 'edition'.*expected one of internal, public"):
        _params(project, edition=edition)


def test_an_unknown_edition_parameter_of_a_notebook_is_an_error(project):
    with pytest.raises(ParamsError, match="parameter 'edition'"):
        _report(project, "press")


@pytest.mark.parametrize(("block", "key"), [
    ("suppression:\n  threshold: five\n", "suppression.threshold"),
    ("suppression:\n  threshold: 1\n", "suppression.threshold"),
    ("suppression:\n  threshold: true\n", "suppression.threshold"),
    ("suppression:\n  threshold: 5.5\n", "suppression.threshold"),
    ("suppression:\n  treshold: 10\n", "suppression.treshold"),
    ("suppression: 10\n", "suppression"),
], ids=["text", "one", "boolean", "fraction", "misspelt", "not-a-mapping"])
def test_bad_suppression_settings_are_an_error_naming_file_and_key(tmp_path, block, key):
    f = tmp_path / "council.yaml"
    f.write_text(block, encoding="utf-8")
    with pytest.raises(CouncilError) as e:
        load_suppression(f)
    assert str(f) in str(e.value) and f"key '{key}'" in str(e.value)


def test_suppression_defaults_to_a_threshold_of_5(tmp_path):
    f = tmp_path / "council.yaml"
    f.write_text("name: Testshire\n", encoding="utf-8")
    assert load_suppression(f) == Suppression(5)


def test_a_public_run_with_bad_settings_writes_nothing(project, tmp_path):
    bad = tmp_path / "council.yaml"
    bad.write_text("suppression:\n  threshold: lots\n", encoding="utf-8")
    out = tmp_path / "out"
    before = len(publications_of(Store.open(project / "kpi.sqlite")))
    with pytest.raises(CouncilError, match="suppression.threshold"):
        runner.run(_params(project, edition="public", council=str(bad), output_dir=str(out)),
                   show_progress=False)
    assert not (out / "2024-06").exists() or not any((out / "2024-06").iterdir())
    assert len(publications_of(Store.open(project / "kpi.sqlite"))) == before


def test_a_notebook_that_ignores_the_edition_cannot_make_a_public_edition(tmp_path):
    nb = json.loads((PACKAGE_NOTEBOOKS / "section.ipynb").read_text(encoding="utf-8"))
    for c in nb["cells"]:
        c["source"] = "".join(c["source"]).replace(", edition)", ")").replace(
            "edition = None", "")
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    check_takes_edition(NotebookSource(PACKAGE_NOTEBOOKS / "section.ipynb", "kpilib:section"))
    with pytest.raises(RunError, match="does not take the run's 'edition' parameter"):
        check_takes_edition(NotebookSource(path, "project:notebooks/old.ipynb"))


@pytest.mark.parametrize("flag", ["Yes", "no", "true", "1"])
def test_the_returns_internal_column_takes_yes_or_empty(project, tmp_path, flag):
    f = write_csv(tmp_path / "r.csv", ["ref", "period", "value", "commentary", "internal"],
                  [["CNT01", "2024-07", "5", "note", flag], ["CNT01", "2024-08", "5", "", "yes"]])
    with pytest.raises(ValidationError) as e:
        Store.open(project / "kpi.sqlite").load_returns(f)
    assert problem_keys(e.value) == {(2, "internal")}
    assert "expected yes" in str(e.value)


def test_the_returns_fingerprint_leaves_out_an_empty_internal_column():
    from kpilib.publish.manifest import returns_columns

    df = pd.DataFrame([{"ref": "A", "period": "2024-04", "breakdown": "", "value": 1.0,
                        "numerator": None, "denominator": None, "status": "",
                        "commentary": "", "internal": ""}])
    assert returns_columns(df) == [c for c in RETURN_COLUMNS if c != "internal"]
    assert returns_columns(df.assign(internal="yes")) == list(RETURN_COLUMNS)


def test_a_store_made_before_the_internal_column_gains_it(project, tmp_path):
    import shutil
    import sqlite3

    copy = tmp_path / "old.sqlite"
    shutil.copyfile(project / "kpi.sqlite", copy)
    with sqlite3.connect(copy) as conn:
        conn.execute("ALTER TABLE return_rows DROP COLUMN internal")
    returns = Store.open(copy).returns(AS_OF)
    assert set(returns["internal"]) == {""} and len(returns) == 15


# A shown figure whose status key compares it with the KPI's own earlier figures (a travel
# band, a rolling average, an SPC signal) would tell a reader how it stands against a
# withheld one: its status is withheld too.  A key that reads only the target keeps it.
STATUSES = ('      - {label: Green, symbol: "✔", colour: "#1b7a3a", marker: circle}\n'
            '      - {label: Amber, symbol: "▲", colour: "#ffbf47", marker: triangle-up}\n'
            '      - {label: Red, symbol: "✖", colour: "#b00020", marker: x, action: true}\n')
BANDS = {
    "travel-band": ("      - {status: Green, within: {percent: 10}}\n"
                    "      - {status: Amber, travel: {baseline: previous_period, "
                    "outcome: [better, same]}}\n      - {status: Red}\n"),
    "rolling-average": ("      - {status: Green, reference: rolling_average_1, beyond: 0}\n"
                        "      - {status: Amber, within: {percent: 10}}\n"
                        "      - {status: Red}\n"),
    "baseline": ("      - {status: Green, reference: baseline, beyond: 0}\n"
                 "      - {status: Amber, within: {percent: 10}}\n"
                 "      - {status: Red}\n"),
    "target-only": ("      - {status: Green, within: {percent: 10}}\n"
                    "      - {status: Amber, within: {percent: 20}}\n      - {status: Red}\n"),
}
# (internal status of May, public status of May): April (3) is withheld, May (100) is shown
COMPARED = {"travel-band": ("Amber", ""), "rolling-average": ("Green", ""),
            "baseline": ("Green", ""), "target-only": ("Red", "Red")}


@pytest.mark.parametrize("key", list(BANDS), ids=list(BANDS))
def test_a_status_that_compares_with_a_withheld_figure_is_withheld(tmp_path, key):
    write_csv(tmp_path / "catalogue.csv", CATALOGUE + ["baseline"], [
        ["2024-25", "CNT02", "Households helped", "Housing", "Homes", "core", "monthly", "snapshot",
         "count", "higher", "1000", "", "0", "4" if key == "baseline" else ""]])
    write_csv(tmp_path / "returns.csv", list(RETURN_COLUMNS),
              [{"ref": "CNT02", "period": m, "value": v}
               for m, v in (("2024-04", 3), ("2024-05", 100))])
    (tmp_path / "council.yaml").write_text(
        f"name: Testshire\nstatus_keys:\n  mine:\n    name: Mine\n    statuses:\n{STATUSES}"
        f"    bands:\n{BANDS[key]}default_keys: {{status: mine}}\n", encoding="utf-8")
    with Store.open(tmp_path / "kpi.sqlite") as s:
        s.load_catalogue(tmp_path / "catalogue.csv", loaded_at="2024-07-01T00:00:00.000000Z")
        s.load_returns(tmp_path / "returns.csv", loaded_at="2024-07-02T00:00:00.000000Z")
    status = {}
    for edition in ("internal", "public"):
        rep = open_report(str(tmp_path / "kpi.sqlite"), "2024-05", "core", AS_OF,
                          str(tmp_path / "council.yaml"), edition=edition)
        cells = rep.cells.set_index(["ref", "column"])
        status[edition] = (cells.loc[("CNT02", "2024-05"), "rag"],
                           rep.kpis.set_index("ref").loc["CNT02", "rag"],
                           rep.series.set_index(["ref", "period"]).loc[("CNT02", "2024-05"),
                                                                       "rag"])
    internal, public = COMPARED[key]
    assert status["internal"] == (internal,) * 3
    assert status["public"] == (public,) * 3
