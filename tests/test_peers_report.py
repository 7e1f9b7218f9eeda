"""The council among its peers on a report's pages (kpilib.reports.peers, kpilib.render.peers):
median, average, rank and quartile, the chart and its text alternative, a status key rating
by quartile, and a public edition that never places a withheld figure of the council's own."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from browser import DEMO_AS_OF

from conftest import write_csv
from kpilib.cli import main
from kpilib.notebook import open_report
from kpilib.render.html import kpi_article
from kpilib.reports.peers import funnel_frame, views_frame

CAT = ["year", "ref", "name", "directorate", "commitment", "report", "frequency", "measure",
       "unit", "polarity", "target", "rag_scheme", "metric"]
KEYS = Path(__file__).resolve().parents[1] / "docs" / "keys"
OWN = "E06000061"
PEERS = [f"E0600{i:04d}" for i in range(1, 16)]  # fifteen peers: a group of 16


BENCH = ["body", "metric", "period", "value", "unit", "numerator", "denominator"]


def _counted(metric, counts):
    return [[b, metric, "2024-05", f"{100 * n / d:.4f}", "percent", str(n), str(d)]
            for b, n, d in counts]


def _kpi(ref, unit, polarity, metric, key=""):
    return {"year": "2024-25", "ref": ref, "name": f"KPI {ref}", "directorate": "Place",
            "commitment": "C", "report": "core", "frequency": "monthly",
            "measure": "snapshot", "unit": unit, "polarity": polarity, "target": "",
            "rag_scheme": key, "metric": metric}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A council (E06000061) and 15 peers; K1 (percent, higher is better) is 3rd of 16,
    K2 (a count) has a small count of the council's own, K3 has a group of 3; K4 and K5
    (percentages) have numerators and denominators: K4 a funnel with the council above its
    99.8% limits and Peer 3 below, Peer 15 without counts; K5 the council's numerator a
    small count (3 of 50)."""
    d = tmp_path_factory.mktemp("peers")
    text = (KEYS / "welsh-quartiles.yaml").read_text(encoding="utf-8")
    text = text.replace("name: A Welsh council", "name: Test council").replace(
        "default_keys: {status: welsh-quartiles}\n", "")
    (d / "council.yaml").write_text(text + f"body: {OWN}\nbenchmark_group: Nearest neighbours"
                                    "\nbenchmark_groups: {K3: Tiny}\n", encoding="utf-8")
    db = str(d / "kpi.sqlite")
    files = {
        "catalogue": write_csv(d / "cat.csv", CAT, [
            _kpi("K1", "percent", "higher", "M1", "welsh-quartiles"),
            _kpi("K2", "count", "lower", "M2"), _kpi("K3", "percent", "higher", "M3"),
            _kpi("K4", "percent", "higher", "M4"), _kpi("K5", "percent", "higher", "M5")]),
        "returns": write_csv(d / "ret.csv", ["ref", "period", "value"],
                             [["K1", "2024-05", "72.5"], ["K2", "2024-05", "3"],
                              ["K3", "2024-05", "50"], ["K4", "2024-05", "60"],
                              ["K5", "2024-05", "6"]]),
        "bodies": write_csv(d / "bodies.csv", ["body", "name"],
                            [[OWN, "Own council"], *([p, f"Peer {i + 1}"]
                                                     for i, p in enumerate(PEERS))]),
        "groups": write_csv(d / "groups.csv", ["group", "body"],
                            [["Nearest neighbours", b] for b in [OWN, *PEERS]]
                            + [["Tiny", b] for b in [OWN, *PEERS[:2]]]),
        "benchmarks": write_csv(d / "bench.csv", BENCH, [*(r + ["", ""] for r in [
            [OWN, "M1", "2024-05", "72.5", "percent"],
            *([p, "M1", "2024-05", str(60 + i), "percent"] for i, p in enumerate(PEERS)),
            [OWN, "M2", "2023-24", "3", "count"],
            *([p, "M2", "2023-24", str(10 + i), "count"] for i, p in enumerate(PEERS)),
            [OWN, "M3", "2024-05", "50", "percent"], [PEERS[0], "M3", "2024-05", "40", "percent"],
            [PEERS[1], "M3", "2024-05", "60", "percent"],
            [OWN, "M1", "2025-01", "10", "percent"]]),  # after the report: not shown
            *_counted("M4", [(OWN, 720, 1200)] + [
                (p, (800 if i == 2 else (1000 + 500 * i) // 2), 1000 + 500 * i)
                for i, p in enumerate(PEERS[:14])]),
            [PEERS[14], "M4", "2024-05", "50", "percent", "", ""],
            *_counted("M5", [(OWN, 3, 50)] + [(p, 10 + i, 100) for i, p in enumerate(PEERS)]),
        ]),
    }
    for kind, f in files.items():
        assert main(["load", kind, str(f), "--store", db, "--council",
                     str(d / "council.yaml")]) == 0, kind
    return d


def report(project, edition=None):
    return open_report(str(project / "kpi.sqlite"), "2024-05", "core",
                       council=str(project / "council.yaml"), edition=edition)


def test_median_average_rank_and_quartile(project):
    got = views_frame(report(project).peers).set_index("ref").to_dict("index")
    # K1: peers 60..74 and the council's 72.5: only 74 and 73 are better
    assert got["K1"]["rank"] == "3rd of 16" and got["K1"]["quartile"] == "top quartile"
    assert got["K1"]["median"] == pytest.approx(67.5)
    assert got["K2"]["period"] == "2023-24"  # the latest period ending by May 2024
    assert got["K2"]["rank"] == "1st of 16"  # lower is better
    assert got["K3"]["rank"] == "2nd of 3"
    assert got["K3"]["quartile"].startswith("no quartiles: the group has 3 bodies")


def test_the_page_shows_them_with_a_text_alternative(project):
    rep = report(project)
    html = kpi_article(rep, "K1")
    assert "Compared with Nearest neighbours (2024-05)" in html
    assert "<dt>Rank</dt><dd>3rd of 16</dd>" in html
    alt = re.search(r'<svg role="img" aria-label="([^"]+)"', html).group(1)
    assert alt.startswith("Figures of Nearest neighbours for 2024-05, highest first (best "
                          "first): Peer 15 74.0%; Peer 14 73.0%; Own council (this council) 72.5%")
    assert alt.endswith("This council is 3rd of 16, top quartile.")
    assert "▶ Own council" in html  # marked, not by colour alone


def test_a_status_key_rates_by_quartile(project):
    k = report(project).kpis.set_index("ref").loc["K1"]
    assert k["rag"] == "Top quartile"


def test_a_public_edition_never_places_a_withheld_own_figure(project):
    """K2's own figure (3, a count below 5) is withheld: the page shows the peers' figures
    but no rank, no quartile, no bar of the council's, and median and average of the peers
    alone (with the council's inside, the withheld 3 could be worked out from them)."""
    rep = report(project, "public")
    view = rep.peers["K2"]
    assert view.withheld and view.standing.rank is None and view.standing.n == 15
    assert OWN not in {b for b, _, _ in view.figures}
    assert view.standing.mean == pytest.approx(17.0)  # 10..24: the peers only
    html = kpi_article(rep, "K2")
    assert "Own council" not in html and "<dt>Rank</dt>" not in html
    assert "This edition withholds the council" in html
    assert rep.peers["K1"].standing.rank_text == "3rd of 16"  # shown where nothing is withheld


@pytest.mark.slow
def test_the_demo_report_shows_its_peers_and_audits_identical(tmp_path, capsys, test_store):
    """kpi demo's synthetic group of 16 (kpilib.demo.peers): the February 2024 core report
    (run with the project's council.yaml, body E06000061) ranks the council among its peers
    on the KPIs with a metric, and `kpi audit` re-executes it byte for byte.  A run of its
    own (the session's shared demo run is exported into and tampered with by other tests)."""
    from kpilib.run.runner import run
    from kpilib.settings.params import validate

    store = Path(shutil.copy(test_store, tmp_path / "kpi.sqlite"))
    folder = run(validate({"period": "2024-02", "report": "core", "store": str(store),
                           "as_of": DEMO_AS_OF, "output_dir": str(tmp_path / "out")}),
                 show_progress=False)[0].folder
    page = "".join(p.read_text(encoding="utf-8") for p in folder.glob("*.html"))
    assert "Compared with Nearest neighbours (demo) (2022-23)" in page
    assert re.search(r"<dt>Rank</dt><dd>(joint )?\d+(st|nd|rd|th) of 16</dd>", page)
    assert "▶ North Northamptonshire" in page
    assert re.search(r"quartile</dd>|top quartile|second quartile|third quartile|bottom "
                     r"quartile", page)
    # the percentages with counts: the group's funnel plot, the council a labelled diamond
    assert 'aria-label="Funnel plot of Nearest neighbours (demo) for 2022-23' in page
    assert "(this council)</th>" in page
    manifest = (folder / "manifest.json").read_text(encoding="utf-8")
    assert "benchmarks-2022-23.csv" in manifest and "groups.csv" in manifest
    capsys.readouterr()
    assert main(["audit", str(folder), "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "identical" in out and "not identical" not in out


def test_a_funnel_plot_places_every_body_against_its_limits(project):
    got = funnel_frame(report(project).peers)
    k4 = got[got["ref"] == "K4"].set_index("body")
    assert len(k4) == 15  # the council and 14 peers with counts (Peer 15 has none)
    nums, dens = 720 + 800 + sum((1000 + 500 * i) // 2 for i in range(14) if i != 2), \
        1200 + sum(1000 + 500 * i for i in range(14))
    assert k4["target"].iloc[0] == pytest.approx(100 * nums / dens)  # pooled, in percent
    assert k4.at[OWN, "outside"] == "above_998" and k4.at[PEERS[2], "outside"] == "below_998"
    assert set(k4["outside"].drop([OWN, PEERS[2]])) == {""}
    assert (k4["lower998"] < k4["lower95"]).all() and (k4["upper95"] < k4["upper998"]).all()
    assert set(got["ref"]) == {"K4", "K5"}  # K1-K3 have no counts: no funnel


def test_the_funnel_on_the_page_names_the_council_and_outliers(project):
    html = kpi_article(report(project), "K4")
    fig = html[html.index('<figure class="chart funnel-chart">'):]
    alt = re.search(r'<svg role="img" aria-label="([^"]+)"', fig).group(1)
    assert alt.startswith("Funnel plot of Nearest neighbours for 2024-05")
    assert "Outside the 99.8% limits: Peer 3 (below); Own council (above)." in alt
    assert "This council: above the 99.8% limit (an outlier)." in alt
    assert "Not on the plot (no numerator and denominator published): Peer 15." in alt
    assert "<path d=" in fig and "▶ Own council</text>" in fig  # a diamond and its label
    assert ">Peer 3</text>" in fig  # an outlier named on the plot
    assert ("<th scope=\"row\">▶ Own council (this council)</th><td>60.0%</td><td>720</td>"
            "<td>1,200</td><td>above the 99.8% limit (an outlier)</td>") in fig
    assert fig.count("<tr>") == 16  # a header and every body on the plot


def test_a_public_edition_never_places_a_withheld_own_point_on_the_funnel(project):
    """K5's own numerator (3) is a small count: the public edition's funnel has the peers
    alone, its target their pooled figure, and no point or row of the council's."""
    internal = report(project).peers["K5"]
    assert internal.funnel.own == OWN
    view = report(project, "public").peers["K5"]
    assert view.withheld and view.funnel.own == ""
    assert OWN not in {p.body for p in view.funnel.funnel.points}
    assert view.funnel.funnel.target == pytest.approx(sum(range(10, 25)) / 1500)
    html = kpi_article(report(project, "public"), "K5")
    assert "Own council" not in html and "this council" not in html
