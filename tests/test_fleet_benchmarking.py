"""The benchmarking report over a fleet (kpilib.run.benchmarking, kpilib.reports.benchmarking,
kpilib.render.benchmarking, kpilib.audit.benchmarking): 20 councils' runs on a local Dask
cluster give one page per KPI ranking every council, with its SPC signal, published with a
manifest; `kpi audit` re-composes it identical, and names a changed input or page."""

from __future__ import annotations

import csv
import io
import os
import random
import shutil
from pathlib import Path

import pytest

from conftest import CATALOGUE_2024, RETURNS_HEADER, read_csv_rows, write_csv
from kpilib.cli import main
from kpilib.errors import ParamsError
from kpilib.rules.periods import fy_months
from kpilib.run.fleet import read_fleet
from kpilib.store import Store

AS_OF = "2025-06-30T00:00:00Z"
PERIOD = "2025-03"
N = 20
OUT = Path("outputs/benchmarking") / PERIOD / "core"


def council_store(folder: Path, i: int) -> str:
    """Council ``c{i}``: two core KPIs (HSG03, a percentage; LIB01, a count) for the 12
    months of 2024-25, seeded by the council's number: levels, denominators and noise
    differ; c00's HSG03 jumps up for its last 8 months (an SPC shift)."""
    rng = random.Random(f"fleet-benchmarking:{i}")
    header, rows = read_csv_rows(CATALOGUE_2024)
    kpis = [{**r, "breakdowns": ""} for r in rows
            if r["ref"] in ("HSG03", "LIB01") and not r["breakdown"]]
    cat = write_csv(folder / f"c{i:02d}-catalogue.csv", header, kpis)
    level, den, visits = rng.uniform(85, 97), rng.randint(40, 400), rng.randint(10, 40)
    returns = []
    for m, month in enumerate(fy_months("2024-25")):
        d = max(5, round(rng.gauss(den, den ** 0.5)))
        p = level + (6 if i == 0 and m >= 4 else 0) + rng.gauss(0, 1)
        returns.append(["HSG03", month, "", "", min(d, round(d * p / 100)), d])
        returns.append(["LIB01", month, "", max(0, round(rng.gauss(visits, 3))), "", ""])
    ret = write_csv(folder / f"c{i:02d}-returns.csv", RETURNS_HEADER, returns)
    path = f"stores/c{i:02d}.sqlite"
    with Store.open(folder / path) as s:
        s.load_catalogue(cat, loaded_at="2024-04-01T09:00:00Z")
        s.load_returns(ret, loaded_at="2025-04-10T09:00:00Z")
    return path


def fleet_text(stores: list[str], benchmark: str = "  title: Test fleet\n") -> str:
    lines = [f'as_of: "{AS_OF}"', f'periods: ["{PERIOD}"]', "reports: [core]",
             "benchmark:", benchmark.rstrip("\n"), "councils:"]
    for i, store in enumerate(stores):
        lines += [f"  - name: c{i:02d}", f"    store: {store}"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """20 councils run as one fleet on 2 local Dask workers, then the benchmarking report."""
    root = tmp_path_factory.mktemp("fleet-bench")
    (root / "fleet.yaml").write_text(fleet_text([council_store(root, i) for i in range(N)]))
    here = os.getcwd()
    os.chdir(root)
    try:
        code = main(["fleet", "fleet.yaml", "--workers", "2", "--quiet"])
    finally:
        os.chdir(here)
    return root, code


def _csv(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.mark.slow
def test_one_page_per_kpi_ranks_every_council(fleet, capsys):
    root, code = fleet
    assert code == 0
    folder = root / OUT
    assert sorted(p.name for p in folder.iterdir()) == [
        "benchmark.csv", "index.html", "kpi-hsg03.html", "kpi-lib01.html", "manifest.json"]
    rows = _csv(folder / "benchmark.csv")
    hsg = [r for r in rows if r["ref"] == "HSG03"]
    assert len(hsg) == N and len(rows) == 2 * N
    # the ranking is each council's own published figure for the period, highest first
    published = {}
    for i in range(N):
        res = _csv(root / "outputs" / f"c{i:02d}" / PERIOD / "core" / "results.csv")
        published[f"c{i:02d}"] = next(float(r["value"]) for r in res if r["ref"] == "HSG03"
                                      and r["breakdown"] == "" and r["column"] == PERIOD)
    expected = sorted(published, key=lambda c: (-published[c], c))
    assert [r["council"] for r in hsg] == expected
    assert hsg[0]["rank"] == "1st of 20" and hsg[0]["quartile"] == "top quartile"
    assert hsg[4]["quartile"] == "top quartile" and hsg[5]["quartile"] == "second quartile"
    assert hsg[-1]["quartile"] == "bottom quartile"
    page = (folder / "kpi-hsg03.html").read_text(encoding="utf-8")
    assert '<caption>HSG03 by council, Mar 2025</caption>' in page
    assert f"<td>1st of 20</td><th scope=\"row\">{expected[0]}</th>" in page
    assert '<a href="kpi-hsg03.html">' in (folder / "index.html").read_text(encoding="utf-8")
    # the percentage's funnel plot places every council (a count has none)
    assert "Funnel plot of the fleet for Mar 2025" in page
    assert page.count('<th scope="row">c') == 2 * N  # the ranked table and the funnel's
    assert "Funnel plot" not in (folder / "kpi-lib01.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_each_council_shows_its_own_spc_signal(fleet):
    root, _ = fleet
    rows = {r["council"]: r for r in _csv(root / OUT / "benchmark.csv") if r["ref"] == "HSG03"}
    for i in range(N):
        spc = _csv(root / "outputs" / f"c{i:02d}" / PERIOD / "core" / "spc.csv")
        own = next(r for r in spc if r["ref"] == "HSG03" and r["breakdown"] == ""
                   and r["period"] == PERIOD)
        got = rows[f"c{i:02d}"]
        assert (got["point"], got["variation"], got["assurance"]) == (
            own["point"], own["variation"], own["assurance"]), i
    assert rows["c00"]["variation"] == "improvement_high"  # its shift, in words on the page
    assert "▲ Improvement (high)" in (root / OUT / "kpi-hsg03.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_kpi_audit_of_the_benchmarking_report_is_identical(fleet, capsys, monkeypatch):
    root, _ = fleet
    monkeypatch.chdir(root)
    capsys.readouterr()
    assert main(["audit", str(OUT)]) == 0
    out = capsys.readouterr().out
    assert f"{OUT}: identical" in out


@pytest.mark.slow
def test_the_audit_names_a_changed_input_and_a_changed_page(fleet, tmp_path, capsys,
                                                            monkeypatch):
    root, _ = fleet
    copy = tmp_path / "copy"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("dask-scratch-space"))
    monkeypatch.chdir(copy)
    results = Path("outputs/c03") / PERIOD / "core" / "results.csv"
    lines = results.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(n for n, ln in enumerate(lines) if ln.startswith(f"HSG03,,{PERIOD},"))
    cells = lines[at].split(",")
    lines[at] = ",".join([*cells[:3], "99.99", *cells[4:]])
    results.write_text("".join(lines), encoding="utf-8")
    page = OUT / "kpi-lib01.html"
    page.write_text(page.read_text(encoding="utf-8").replace("1st of 20", "2nd of 20"),
                    encoding="utf-8")
    capsys.readouterr()
    assert main(["audit", str(OUT)]) == 1
    out = capsys.readouterr().out
    assert "DIFFERENT" in out
    assert "tampered: kpi-lib01.html" in out
    assert f"data: council c03: {results} is not the file the report was built from" in out
    assert "differs on re-execution: benchmark.csv" in out


@pytest.mark.slow
def test_a_second_fleet_run_leaves_the_report_unchanged(fleet, capsys, monkeypatch):
    """Same runs, same as_of: the same bytes, so the publication is kept, not replaced."""
    root, _ = fleet
    monkeypatch.chdir(root)
    before = (OUT / "manifest.json").read_bytes()
    from kpilib.run.benchmarking import build

    lines = build(read_fleet("fleet.yaml"))
    assert lines == [f"benchmarking {PERIOD} core: 2 KPIs of 20 councils unchanged in {OUT}"]
    assert (OUT / "manifest.json").read_bytes() == before


@pytest.mark.slow
def test_kpi_status_lists_the_benchmarking_report(fleet, capsys, monkeypatch):
    """Made from published runs, not a store: in no ledger, and said so (not a crash on a
    manifest without parameters)."""
    root, _ = fleet
    monkeypatch.chdir(root)
    capsys.readouterr()
    assert main(["status", "outputs/benchmarking"]) == 0
    out, err = capsys.readouterr()
    assert "2025-03" in out and "core" in out and "0 not recorded in the ledger" in out
    assert "a fleet's benchmarking report: in no store's ledger" in out


@pytest.mark.parametrize("block, problem", [
    ("  colour: red\n", "key 'benchmark': unknown key 'colour'"),
    ("  kpis: 5\n", "key 'benchmark': key 'kpis': expected a list of KPI refs, got 5"),
    ("  output_dir: outputs/c00\n", "is also c00's output folder"),
    ("  title: [a]\n", "key 'benchmark': key 'title': expected text"),
], ids=["unknown-key", "kpis-not-a-list", "a-councils-folder", "title-not-text"])
def test_a_bad_benchmark_key_is_named(tmp_path, monkeypatch, block, problem):
    monkeypatch.chdir(tmp_path)
    Path("fleet.yaml").write_text(fleet_text(["a.sqlite"], block))
    with pytest.raises(ParamsError) as e:
        read_fleet("fleet.yaml")
    assert problem in str(e.value)


@pytest.mark.parametrize("value, output_dir, kpis", [
    ("true", "outputs/benchmarking", ()),
    ("{output_dir: bench, kpis: [HSG03]}", "bench", ("HSG03",)),
], ids=["true-takes-the-defaults", "a-mapping"])
def test_the_benchmark_key(tmp_path, monkeypatch, value, output_dir, kpis):
    monkeypatch.chdir(tmp_path)
    text = fleet_text(["a.sqlite"]).replace("benchmark:\n  title: Test fleet\n",
                                            f"benchmark: {value}\n")
    Path("fleet.yaml").write_text(text)
    spec = read_fleet("fleet.yaml").benchmark
    assert (spec.output_dir, spec.kpis) == (output_dir, kpis)
    Path("fleet.yaml").write_text(text.replace(f"benchmark: {value}\n", ""))
    assert read_fleet("fleet.yaml").benchmark is None


# --------------------------------------------------------------------------- the model (pure)

from kpilib.reports.benchmarking import Entry, KpiDef, frame, funnel_points, kpi_table  # noqa: E402

PCT_UP = KpiDef("K1", "A percentage", "percent", "higher", "ratio")


@pytest.mark.parametrize("kpi, values, ranks, quartiles", [
    (PCT_UP, {"a": 90, "b": 80, "c": 70, "d": 60},
     ["1st of 4", "2nd of 4", "3rd of 4", "4th of 4"],
     ["top quartile", "second quartile", "third quartile", "bottom quartile"]),
    (KpiDef("K2", "Days", "days", "lower", "mean"), {"a": 3, "b": 1, "c": 2, "d": 9},
     ["1st of 4", "2nd of 4", "3rd of 4", "4th of 4"], None),
    (PCT_UP, {"a": 80, "b": 80, "c": 70, "d": 60},
     ["joint 1st of 4", "joint 1st of 4", "3rd of 4", "4th of 4"], None),
    (PCT_UP, {"a": 80, "b": 70, "c": 60},
     ["1st of 3", "2nd of 3", "3rd of 3"], ["no quartiles: the group has 3 bodies with a "
                                            "figure; quartiles need at least 4"] * 3),
    (PCT_UP, {"a": 80, "b": None, "c": 60},
     ["1st of 2", "2nd of 2", "not ranked: no figure for this period"], None),
    (KpiDef("K3", "Tracked", "count", "none", "sum"), {"a": 5, "b": 7},
     ["not ranked: the KPI has no polarity (neither higher nor lower is better)"] * 2, None),
], ids=["higher-is-better", "lower-is-better", "ties-share-a-rank", "three-no-quartiles",
        "a-council-without-a-figure-is-last", "no-polarity-no-rank"])
def test_the_ranked_table(kpi, values, ranks, quartiles):
    t = kpi_table(kpi, PERIOD, [Entry(c, v) for c, v in values.items()])
    assert [r.rank for r in t.rows] == ranks
    if quartiles is not None:
        assert [r.quartile for r in t.rows] == quartiles
    figures = [v for v in values.values() if v is not None]
    assert t.n == len(figures)


def test_funnel_points_are_a_ratio_kpis_counts():
    t = kpi_table(PCT_UP, PERIOD, [Entry("a", 50.0, 5, 10), Entry("b", 40.0, 40, 100),
                                   Entry("c", None), Entry("d", 0.0, 0, 0)])
    assert funnel_points(t) == [("a", 5, 10), ("b", 40, 100)]
    assert funnel_points(kpi_table(KpiDef("K", "n", "count", "higher", "sum"), PERIOD,
                                   [Entry("a", 5.0, 5, 10)])) == []


def test_the_fleets_funnel_plot_names_its_outliers():
    from kpilib.render.benchmarking import funnel_block

    entries = [Entry(f"c{i}", 50.0, 500, 1000) for i in range(8)]
    entries += [Entry("high", 80.0, 800, 1000), Entry("none", 55.0)]
    t = kpi_table(PCT_UP, PERIOD, entries)
    html = funnel_block(funnel_points(t), t)
    alt = html[html.index('aria-label="') + 12:]
    alt = alt[:alt.index('"')]
    assert alt.startswith("Funnel plot of the fleet for Mar 2025")
    assert "Outside the 99.8% limits: high (above)." in alt
    assert "Not on the plot (no numerator and denominator published): none." in alt
    assert ">high</text>" in html  # the outlier named on the plot, not by colour alone
    assert funnel_block(funnel_points(t)[:1], t) == ""  # one council: no funnel
    days = kpi_table(KpiDef("K2", "Days", "days", "lower", "ratio"), PERIOD, entries)
    assert funnel_block(funnel_points(days), days) == ""  # neither a percentage nor a rate


def test_benchmark_csv_writes_whole_numbers_without_a_point():
    t = kpi_table(PCT_UP, PERIOD, [Entry("a", 12.3456789, 360.0, 75500.0, "common_cause",
                                         "common_cause", "pass")])
    row = frame([t]).iloc[0].to_dict()
    assert (row["value"], row["numerator"], row["denominator"]) == ("12.345679", "360",
                                                                    "75500")
    assert (row["rank"], row["variation"], row["assurance"]) == ("1st of 1", "common_cause",
                                                                 "pass")


@pytest.mark.slow
def test_fleet_audit_audits_the_benchmarking_report_with_the_runs(fleet, capsys,
                                                                   monkeypatch):
    """`kpi fleet --audit` gives the benchmarking folder to `kpi audit` like a run folder."""
    from kpilib.run import fleet as fl

    root, _ = fleet
    monkeypatch.chdir(root)
    tasks = []
    monkeypatch.setattr(fl, "client", lambda *a: object())
    monkeypatch.setattr(fl, "close", lambda c: None)
    monkeypatch.setattr(fl, "execute", lambda ts, c, done=None: tasks.extend(ts) or [
        fl.Outcome(t, True, 0.0, ["identical"]) for t in ts])
    assert main(["fleet", "fleet.yaml", "--audit", "--quiet"]) == 0
    folders = [t.folder for t in tasks]
    assert len(folders) == N + 1 and str(OUT) in folders
