"""Adversarial: a public edition of every report type, read as an adversary reads it.

A synthetic council (every report type, counts in millions and a threshold of 1,000,000, so
that every withheld figure is a distinctive number) is published as a public edition; the
test parses what the edition itself publishes (``results.csv`` and the charts' points in
its HTML), tries every subtraction its sums allow (a year to date or a quarter minus the
other columns and chart points that add up to it, a total minus its other breakdowns, for
values, numerators and denominators; a percentage from its counts) and asserts that no
withheld figure comes out; then it scans every file of the folder for each withheld
figure's printed forms.  Switching secondary suppression off makes it fail.

Further: the published sums taken together (a rank test over exact linear equations, on
this council's editions and the demo's); no arrow computed from a withheld figure (kpis,
``results.csv``, page badges, the corporate view); commentary quoting another KPI's or a
breakdown's withheld figure; the committee pack and workbook of ``kpi export``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re

import pytest

from kpilib.ingest.contracts import RETURN_COLUMNS
from kpilib.notebook import open_report
from kpilib.reports import public as public_module
from kpilib.rules import periods as P
from kpilib.rules.suppression import COMMENTARY_WITHHELD, TRAVEL_WITHHELD, determined
from kpilib.run import runner
from kpilib.settings.params import validate
from kpilib.store import Store
from tests.conftest import write_csv

pytestmark = pytest.mark.slow

AS_OF = "2025-02-01T00:00:00.000000Z"
THRESHOLD = 1_000_000
TYPES = {"core": "2024-11", "service": "2024-25-Q3", "health": "2024-25-Q3",
         "qpr": "2024-25-Q3", "corporate": "2024-25-Q3"}
CATALOGUE = ["year", "ref", "name", "directorate", "commitment", "report", "theme",
             "frequency", "measure", "unit", "polarity", "target", "breakdowns", "decimals"]
PLACES = ["North", "South", "East"]
MONTHS = [m for fy in ("2023-24", "2024-25") for m in P.fy_months(fy)][:21]  # to Dec 2024
QUARTERS = [*P.fy_quarters("2023-24"), *P.fy_quarters("2024-25")[:3]]
PREFIX = {"core": "COR", "service": "SVC", "health": "HTH", "qpr": "QPR", "corporate": "CRP"}
MARK = {f"<{THRESHOLD}", "withheld"}


def _kpis():
    rows = []
    for fy in ("2023-24", "2024-25"):
        for t in TYPES:
            p = PREFIX[t]
            common = ["Place", "Homes", t, "Customer"]
            rows += [
                [fy, f"{p}C", f"{t} cases", *common, "monthly", "sum", "count", "none", "",
                 ";".join(PLACES), ""],
                [fy, f"{p}R", f"{t} on time", *common, "monthly", "ratio", "percent", "higher",
                 "50", "", "1"],
                [fy, f"{p}Q", f"{t} visits", *common, "quarterly", "sum", "count", "none", "",
                 "North;South", ""],
            ][:2 if t == "core" else 3]  # a core KPI is monthly
    return rows


def _big(rng):
    return rng.randrange(1_200_000, 9_900_000)


def _small(rng):
    return rng.randrange(100_000, 999_999)


def _returns():
    """Small counts where each leak would show: a month of the current quarter (its YTD and
    quarter give it away), a breakdown (the total gives it away), a percentage's numerator;
    commentary stating a withheld figure (its own, a breakdown's, another KPI's)."""
    rng = random.Random(19)
    rows = []
    for t, period in TYPES.items():
        p = PREFIX[t]
        last = period if t == "core" else "2024-12"
        small_months = {last, "2024-05"}
        for m in MONTHS:
            if m > last:
                continue
            parts = {b: (_small(rng) if b == "North" and m in small_months else _big(rng))
                     for b in PLACES}
            total = len(rows)
            rows.append({"ref": f"{p}C", "period": m, "value": sum(parts.values())})
            rows += [{"ref": f"{p}C", "period": m, "breakdown": b, "value": v}
                     for b, v in parts.items()]
            den = _big(rng)
            num = _small(rng) if m in small_months else rng.randrange(den // 3, den)
            pct = 100 * num / den
            if m == last:  # another KPI's commentary quoting this one's withheld figure
                rows[total]["commentary"] = f"<p>Of these, {num:,} were dealt with on time.</p>"
            rows.append({"ref": f"{p}R", "period": m, "numerator": num, "denominator": den,
                         "commentary": f"<p>Performance of {pct:.1f}% meets the target.</p>"
                         if m == last else ""})
        for q in QUARTERS if t != "core" else ():
            parts = {"North": _small(rng) if q == "2024-25-Q3" else _big(rng),
                     "South": _big(rng)}
            rows.append({"ref": f"{p}Q", "period": q, "value": sum(parts.values()),
                         "commentary": f"North saw {parts['North']:,} visits."
                         if q == "2024-25-Q3" else ""})
            rows += [{"ref": f"{p}Q", "period": q, "breakdown": b, "value": v}
                     for b, v in parts.items()]
    return rows


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("leaks")
    write_csv(root / "catalogue.csv", CATALOGUE, _kpis())
    write_csv(root / "returns.csv", list(RETURN_COLUMNS), _returns())
    (root / "council.yaml").write_text(
        f"name: Leakshire\nsuppression:\n  threshold: {THRESHOLD}\n", encoding="utf-8")
    s = Store.open(root / "kpi.sqlite")
    s.load_catalogue(root / "catalogue.csv", loaded_at="2024-07-01T00:00:00.000000Z")
    s.load_returns(root / "returns.csv", loaded_at="2025-01-20T00:00:00.000000Z")
    return root


def _report(project, rtype, edition=None):
    return open_report(str(project / "kpi.sqlite"), TYPES[rtype], rtype, AS_OF,
                       str(project / "council.yaml"), edition=edition)


@pytest.fixture(scope="module")
def folders(project):
    out = {}
    for rtype, period in TYPES.items():
        params = validate({"period": period, "report": rtype,
                           "store": str(project / "kpi.sqlite"), "as_of": AS_OF,
                           "output_dir": str(project / "out"), "edition": "public",
                           "council": str(project / "council.yaml")})
        out[rtype] = runner.run(params, show_progress=False)[0].folder
    return out


# ------------------------------------------------------------------ the adversary


def _spans(report) -> dict:
    """Column id -> the months (monthly KPIs) or quarters (quarterly ones) it adds up."""
    return {c.id: (tuple(c.months), tuple(c.quarters)) for c in report.columns}


def _published(results_text: str, html: str, report) -> dict:
    """What the edition publishes: (ref, breakdown, span, field) -> number or None
    (withheld), from its ``results.csv`` and its charts' points."""
    out = {}
    for r in csv.DictReader(io.StringIO(results_text)):
        for f in ("value", "numerator", "denominator"):
            x = r[f]
            if x:
                out[(r["ref"], r["breakdown"], r["column"], f)] = None if x in MARK else float(x)
    labels = {P.parse_period(p).label: p for p in [*MONTHS, *QUARTERS]}
    refs = set(report.kpis["ref"])
    for m in re.finditer(r'Plotly\.newPlot\(\s*"chart-([^"]+)",\s*(\[.*?\])\s*,\s*\{', html,
                         re.S):
        for trace in json.loads(m.group(2)):
            name = trace.get("name", "")
            ref = name if name in refs else next((r for r in refs if m.group(1).startswith(
                r.lower())), None)
            if ref is None or trace.get("mode") != "lines" or name not in (ref, *PLACES):
                continue
            bd = "" if name == ref else name
            for x, y in zip(trace["x"], trace["y"], strict=True):
                if y is not None and x in labels:
                    out.setdefault((ref, bd, labels[x], "value"), float(y))
    return out


def _recovered(report, shown: dict) -> list:
    """Every withheld figure one subtraction (or a percentage's counts) gives back:
    [(key, how)]."""
    kinds = {k["ref"]: k for k in report.kpis.to_dict("records") if not k["breakdown"]}
    cols = _spans(report)
    found = []
    rows = {(k[0], k[1], k[3]) for k in shown}
    for ref, bd, f in sorted(rows):
        k = kinds[ref]
        if f == "value" and k["unit"] != "count":
            continue
        i = 0 if k["frequency"] == "monthly" else 1
        spans = {}
        for (r, b, span, g), v in shown.items():
            if (r, b, g) == (ref, bd, f):
                spans[span] = (cols[span][i] if span in cols else (span,), v)
        for whole, (ps, total) in spans.items():
            inside = {s: (set(q), v) for s, (q, v) in spans.items()
                      if s != whole and q and set(q) < set(ps)}
            for target, (tq, tv) in inside.items():  # the whole minus the rest
                for rest in _tilings(set(ps) - tq, {s: x for s, x in inside.items()
                                                    if s != target}):
                    known = [inside[s][1] for s in rest]
                    if (tv is None) and total is not None and None not in known:
                        found.append(((ref, bd, target, f), f"{whole} minus {rest}"))
            if total is None:  # the whole from its parts
                for parts in _tilings(set(ps), inside):
                    if parts and None not in [inside[s][1] for s in parts]:
                        found.append(((ref, bd, whole, f), f"sum of {parts}"))
    for (ref, bd, span, f), v in shown.items():  # a total minus its other breakdowns
        if bd or f == "value" and kinds[ref]["unit"] != "count":
            continue
        parts = [(ref, b, span, f) for b in PLACES if (ref, b, span, f) in shown]
        hidden = [p for p in parts if shown[p] is None]
        if parts and v is not None and len(hidden) == 1:
            found.append((hidden[0], "total minus the other breakdowns"))
        if parts and v is None and not hidden:
            found.append(((ref, bd, span, f), "sum of the breakdowns"))
    for (ref, bd, span, f), v in shown.items():  # a percentage from its counts
        if f != "value" or kinds[ref]["measure"] != "ratio":
            continue
        num, den = shown.get((ref, bd, span, "numerator")), shown.get((ref, bd, span,
                                                                           "denominator"))
        if (v is None and num is not None and den) or (
                v is not None and num is None and den is not None and
                (ref, bd, span, "numerator") in shown):
            found.append(((ref, bd, span, "value" if v is None else "numerator"),
                          "from the other two of value, numerator and denominator"))
    return found


def _tilings(left: set, spans: dict) -> list:
    """Every set of spans (disjoint) that together are exactly ``left``."""
    if not left:
        return [[]]
    first = min(left)
    out = []
    for s, (q, _) in spans.items():
        if min(q) == first and q <= left:
            out += [[s, *rest] for rest in _tilings(left - q, spans)]
    return out


def _edition(project, folders, rtype):
    folder = folders[rtype]
    html = "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.html")))
    results = (folder / "results.csv").read_text(encoding="utf-8")
    return folder, html, results


@pytest.mark.parametrize("rtype", list(TYPES))
def test_no_subtraction_gives_back_a_withheld_figure(project, folders, rtype):
    _, html, results = _edition(project, folders, rtype)
    report = _report(project, rtype)
    shown = _published(results, html, report)
    assert sum(v is None for v in shown.values()) >= 3  # the edition does withhold
    assert _recovered(report, shown) == []


def test_the_adversary_finds_the_leaks_without_secondary_suppression(project, monkeypatch):
    monkeypatch.setattr(public_module, "protect", lambda values, groups, withheld:
                        set(withheld))
    for rtype in TYPES:
        rep = _report(project, rtype, "public")
        shown = _published(rep.results.to_csv(index=False), "", _report(project, rtype))
        assert _recovered(_report(project, rtype), shown), rtype


def _needles(v: float) -> set[str]:
    out = {f"{v:.0f}", f"{v:,.0f}", f"{v:.1f}", f"{v:,.1f}"} if float(v).is_integer() else set()
    if len(f"{v:.1f}") >= 6:
        out |= {f"{v:.1f}", f"{v:,.1f}", f"{v:.2f}", f"{v:,.2f}"}
    return out


@pytest.mark.parametrize("rtype", list(TYPES))
def test_no_file_of_the_public_folder_prints_a_withheld_figure(project, folders, rtype):
    folder = folders[rtype]
    internal = _report(project, rtype).results.set_index(["ref", "breakdown", "column"])
    public = _report(project, rtype, "public").results.set_index(["ref", "breakdown", "column"])
    hidden = {(*i, f): float(internal.loc[i, f]) for i in public.index
              for f in ("value", "numerator", "denominator") if public.loc[i, f] in MARK}
    assert len(hidden) >= 3
    files = {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8", errors="replace")
             for p in sorted(folder.rglob("*")) if p.is_file()
             and p.name != "plotly.min.js"}
    assert {"results.csv", "spc.csv", "index.html"} <= set(files)
    for key, v in sorted(hidden.items()):
        for needle in _needles(v):
            leaks = [f for f, t in files.items() if needle in t]
            assert not leaks, f"{rtype}: {key} = {v} written as {needle!r} in {leaks}"


def test_commentary_stating_a_withheld_figure_is_withheld_with_a_note(project, folders):
    html = "\n".join(p.read_text(encoding="utf-8")
                     for p in sorted(folders["core"].glob("*.html")))
    assert COMMENTARY_WITHHELD in html and "Performance of" not in html
    assert "Performance of" in _report(project, "core").kpis.set_index("ref").loc[
        "CORR", "commentary"]


@pytest.mark.parametrize("rtype", list(TYPES))
def test_commentary_quoting_another_kpis_or_a_breakdowns_withheld_figure_is_withheld(
        project, rtype):
    p = PREFIX[rtype]
    internal = _report(project, rtype).kpis.set_index(["ref", "breakdown"])["commentary"]
    public = _report(project, rtype, "public").kpis.set_index(["ref", "breakdown"])[
        "commentary"]
    # the core report's headline commentary of cases quotes the on-time KPI's numerator;
    # the others' visits commentary its own North breakdown
    row, words = ((f"{p}C", ""), "Of these") if rtype == "core" else ((f"{p}Q", ""),
                                                                      "North saw")
    assert words in internal[row]
    assert public[row] == f"<p><em>{COMMENTARY_WITHHELD}</em></p>", row


def test_a_withheld_comparison_says_so(project):
    k = _report(project, "core", "public").kpis.set_index(["ref", "breakdown"])
    assert k.loc[("CORR", ""), "travel_text"] == TRAVEL_WITHHELD
    assert "No previous value" not in _report(project, "core", "public").results.to_csv()


def test_the_notice_says_figures_were_withheld_to_protect_others(project):
    rep = _report(project, "core", "public")
    assert "to protect others" in rep.notice


# ------------------------------------------- sums taken together (linear algebra)


DEMO = [("test_store", "core", "2024-02", None), ("test_store", "core", "2025-03", None),
        ("test_store", "service", "2024-25-Q4", None),
        ("county_store", "corporate", "2013-14-Q2", "councils/county/council.yaml")]


def _system(store, rtype, period, as_of, council):
    """(figures, every published sum, withheld keys) of one public edition."""
    from kpilib.notebook import _open

    rep, snap, settings = _open(str(store), period, rtype, as_of, council, None)
    values, _, withheld = public_module.withheld_figures(rep, snap.returns,
                                                        settings.suppression)
    return values, public_module.published_groups(rep, snap.returns)[1], withheld


def _solved(values, groups, withheld) -> list:
    """Withheld figures the published sums give away taken together, and withheld
    percentages whose numerator and denominator are then both known."""
    found = determined(values, groups, withheld)
    known = set(found) | {k for k in values if k not in withheld}
    found += [k for k in withheld if k[3] == "value" and k not in known and
              {(*k[:3], "numerator"), (*k[:3], "denominator")} <= known and
              values.get((*k[:3], "denominator"))]
    return found


@pytest.mark.parametrize("rtype", list(TYPES))
def test_no_withheld_figure_follows_from_the_synthetic_editions_sums_together(project, rtype):
    values, groups, withheld = _system(project / "kpi.sqlite", rtype, TYPES[rtype], AS_OF,
                                       str(project / "council.yaml"))
    assert len(withheld) >= 10 and len(groups) >= 40
    assert _solved(values, groups, withheld) == []


@pytest.mark.parametrize(("store", "rtype", "period", "council"), DEMO,
                         ids=[f"{r}-{p}" for _, r, p, _ in DEMO])
def test_no_withheld_figure_follows_from_the_demo_editions_sums_together(
        request, store, rtype, period, council):
    from browser import DEMO_AS_OF, ROOT

    values, groups, withheld = _system(request.getfixturevalue(store), rtype, period,
                                       DEMO_AS_OF, council and str(ROOT / council))
    assert withheld
    assert _solved(values, groups, withheld) == []


def test_the_linear_check_finds_leaks_without_secondary_suppression(project, monkeypatch):
    monkeypatch.setattr(public_module, "protect", lambda values, groups, withheld:
                        set(withheld))
    for rtype in TYPES:
        system = _system(project / "kpi.sqlite", rtype, TYPES[rtype], AS_OF,
                         str(project / "council.yaml"))
        assert _solved(*system), rtype


# ------------------------------------------------ comparisons with withheld figures


def _travel_rows(html: str) -> dict:
    """(ref, breakdown) -> the words of each direction-of-travel badge in the rows of the
    pages' KPI tables (a total's breakdown is "")."""
    out: dict = {}
    for art in re.finditer(r'<article class="kpi" id="kpi-([^"]+)">(.*?)</article>', html,
                           re.S):
        for tr in re.finditer(r'<tr class="(total|bd)"><th scope="row">([^<]*)</th>(.*?)</tr>',
                              art.group(2), re.S):
            for words in re.findall(r'class="dot dot-\w" title="([^"]*)"', tr.group(3)):
                bd = "" if tr.group(1) == "total" else tr.group(2)
                out.setdefault((art.group(1).upper(), bd), []).append(words)
    return out


def _must_withhold_travel(internal, public) -> set:
    """Rows with a value withheld in their headline's financial year or the year before."""
    out = set()
    heads = {(k["ref"], k["breakdown"]): k["headline_period"]
             for k in internal.kpis.to_dict("records")}
    for rep_rows, pub_rows in ((internal.series, public.series),):
        for a, b in zip(rep_rows.to_dict("records"), pub_rows.to_dict("records"), strict=True):
            if a["value"] == a["value"] and b["value"] != b["value"]:
                head = P.parse_period(heads[(a["ref"], a["breakdown"])])
                fy = P.parse_fy(head.fy)
                if P.parse_period(a["period"]).fy in {head.fy, P.fy_id(fy - 1)}:
                    out.add((a["ref"], a["breakdown"]))
    return out


@pytest.mark.parametrize("rtype", list(TYPES))
def test_no_arrow_compares_a_withheld_figure(project, folders, rtype):
    """An arrow computed from a withheld figure (the previous period, a year before) would
    say which side of it the other lies: wherever a compared figure is withheld, the
    edition's kpis, results.csv, pages and corporate view say "Comparison withheld"."""
    _, html, results = _edition(project, folders, rtype)
    internal, public = _report(project, rtype), _report(project, rtype, "public")
    must = _must_withhold_travel(internal, public)
    assert len(must) >= 2
    k = public.kpis.set_index(["ref", "breakdown"])
    arrows = {(r["ref"], r["breakdown"]): (r["travel"], r["travel_label"])
              for r in csv.DictReader(io.StringIO(results)) if r["travel"]}
    badges = _travel_rows(html)
    for row in sorted(must):
        assert k.loc[row, "travel"] == "n/a" and k.loc[row, "travel_text"] == TRAVEL_WITHHELD
        assert arrows[row] == ("n/a", TRAVEL_WITHHELD), row
        assert set(badges.get(row, [TRAVEL_WITHHELD])) == {TRAVEL_WITHHELD}, row
    if rtype == "corporate":
        from kpilib.notebook import open_corporate

        view = open_corporate(str(project / "kpi.sqlite"), TYPES[rtype], rtype, AS_OF,
                              str(project / "council.yaml"), edition="public")
        for kpi in view.kpis:
            if (kpi["ref"], "") in must:
                assert (kpi["travel"], kpi["travel_text"]) == ("n/a", TRAVEL_WITHHELD)
        assert sum(view.travel_counts()["rows"][0]["counts"]) >= 1
    assert badges or rtype in ("qpr", "corporate")


@pytest.mark.parametrize(("head", "back", "years"), [
    ("2024-11", 0, {"2024-25", "2023-24"}),
    ("2024-11", 12, {"2024-25", "2023-24"}),
    ("2024-11", 24, {"2024-25", "2023-24", "2022-23"}),
    ("2024-25-Q1", 8, {"2024-25", "2023-24", "2022-23"}),
    ("YTD", 3, set()),
], ids=["previous", "rolling-12", "rolling-24", "rolling-8-quarters", "not-a-period"])
def test_a_comparison_reads_the_years_its_rolling_average_reaches(head, back, years):
    assert public_module._window(head, back) == years


# ------------------------------------------------------------- exports (PDF, XLSX)


@pytest.fixture(scope="module")
def exported(folders, tmp_path_factory):
    """A copy of each public folder with its committee pack and workbook (``kpi export``;
    the pack where chromium is installed)."""
    import shutil

    from browser import CHROMIUM

    from kpilib.publish import exports

    pdf = os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)
    out = {}
    for rtype, folder in folders.items():
        copy = tmp_path_factory.mktemp("exports") / folder.parent.name / folder.name
        shutil.copytree(folder, copy)
        exports.export(copy, ["pdf", "xlsx"] if pdf else ["xlsx"], "A Tester")
        out[rtype] = copy
    return out


def _hidden(project, rtype) -> dict:
    """Every withheld figure of the edition's tables: (ref, breakdown, column, field) -> the
    internal edition's figure."""
    internal = _report(project, rtype).results.set_index(["ref", "breakdown", "column"])
    public = _report(project, rtype, "public").results.set_index(["ref", "breakdown", "column"])
    return {(*i, f): float(internal.loc[i, f]) for i in public.index
            for f in ("value", "numerator", "denominator") if public.loc[i, f] in MARK}


def _workbook(path, report) -> tuple[str, dict]:
    """(every cell's text, what the workbook publishes as the adversary reads it)."""
    import openpyxl

    book = openpyxl.load_workbook(path)
    texts, shown = [], {}
    labels = {c.label: c.id for c in report.columns}
    for ws in book.worksheets:
        rows = [[c.value for c in r] for r in ws.iter_rows()]
        texts += [str(v) for r in rows for v in r if v is not None]
        if ws.title == "results.csv":
            head = rows[0]
            for r in rows[1:]:
                d = dict(zip(head, r, strict=True))
                for f in ("value", "numerator", "denominator"):
                    if d[f] not in (None, ""):
                        shown[(d["ref"], d["breakdown"] or "", d["column"], f)] = (
                            None if d[f] in MARK else float(d[f]))
        elif ws.title != "Summary" and len(rows) > 2:  # a section: a column per report column
            head = rows[1]
            for r in rows[2:]:
                d = dict(zip(head, r, strict=True))
                for label, col in labels.items():
                    v = d.get(label)
                    if v not in (None, ""):
                        shown.setdefault((d["ref"], d["breakdown"] or "", col, "value"),
                                         None if v in MARK else float(v))
    return "\n".join(texts), shown


@pytest.mark.parametrize("rtype", list(TYPES))
def test_the_workbook_of_a_public_edition_withholds_what_the_pages_withhold(
        project, exported, rtype):
    report = _report(project, rtype)
    text, shown = _workbook(exported[rtype] / f"{rtype}-{TYPES[rtype]}.xlsx", report)
    assert sum(v is None for v in shown.values()) >= 3  # it does show withheld figures
    assert _recovered(report, shown) == []
    for key, v in sorted(_hidden(project, rtype).items()):
        for needle in _needles(v):
            assert not re.search(rf"(?<![\d,.]){re.escape(needle)}(?![\d])", text), \
                f"{rtype}: {key} = {v} in the workbook as {needle!r}"


@pytest.mark.parametrize("rtype", list(TYPES))
def test_the_committee_pack_of_a_public_edition_prints_no_withheld_figure(
        project, exported, rtype):
    from browser import require_chromium
    from pypdf import PdfReader

    require_chromium()
    pages = PdfReader(str(exported[rtype] / f"{rtype}-{TYPES[rtype]}.pdf")).pages
    text = "\n".join(p.extract_text() or "" for p in pages)
    text = re.sub(r"(?<=[\d,])\n(?=[\d,])", "", text)  # a figure wrapped in its cell
    assert f"<{THRESHOLD}" in text and "Public edition" in text
    shown = [float(r["value"]) for r in csv.DictReader(io.StringIO(
        (exported[rtype] / "results.csv").read_text(encoding="utf-8")))
        if r["value"] and r["value"] not in MARK and r["ref"].endswith("C")]
    assert sum(f"{v:,.0f}" in text for v in shown) >= 2  # the scan reads figures
    for key, v in sorted(_hidden(project, rtype).items()):
        for needle in _needles(v):
            assert not re.search(rf"(?<![\d,.]){re.escape(needle)}(?![\d])", text), \
                f"{rtype}: {key} = {v} in the committee pack as {needle!r}"
