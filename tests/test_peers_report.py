"""The council among its peers on a report's pages (kpilib.reports.peers, kpilib.render.peers):
median, average, rank and quartile, the chart and its text alternative, a status key rating
by quartile, and a public edition that never places a withheld figure of the council's own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import write_csv
from kpilib.cli import main
from kpilib.notebook import open_report
from kpilib.render.html import kpi_article
from kpilib.reports.peers import views_frame

CAT = ["year", "ref", "name", "directorate", "commitment", "report", "frequency", "measure",
       "unit", "polarity", "target", "rag_scheme", "metric"]
KEYS = Path(__file__).resolve().parents[1] / "docs" / "keys"
OWN = "E06000061"
PEERS = [f"E0600{i:04d}" for i in range(1, 16)]  # fifteen peers: a group of 16


def _kpi(ref, unit, polarity, metric, key=""):
    return {"year": "2024-25", "ref": ref, "name": f"KPI {ref}", "directorate": "Place",
            "commitment": "C", "report": "core", "frequency": "monthly",
            "measure": "snapshot", "unit": unit, "polarity": polarity, "target": "",
            "rag_scheme": key, "metric": metric}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A council (E06000061) and 15 peers; K1 (percent, higher is better) is 3rd of 16,
    K2 (a count) has a small count of the council's own, K3 has a group of 3."""
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
            _kpi("K2", "count", "lower", "M2"), _kpi("K3", "percent", "higher", "M3")]),
        "returns": write_csv(d / "ret.csv", ["ref", "period", "value"],
                             [["K1", "2024-05", "72.5"], ["K2", "2024-05", "3"],
                              ["K3", "2024-05", "50"]]),
        "bodies": write_csv(d / "bodies.csv", ["body", "name"],
                            [[OWN, "Own council"], *([p, f"Peer {i + 1}"]
                                                     for i, p in enumerate(PEERS))]),
        "groups": write_csv(d / "groups.csv", ["group", "body"],
                            [["Nearest neighbours", b] for b in [OWN, *PEERS]]
                            + [["Tiny", b] for b in [OWN, *PEERS[:2]]]),
        "benchmarks": write_csv(d / "bench.csv", ["body", "metric", "period", "value", "unit"], [
            [OWN, "M1", "2024-05", "72.5", "percent"],
            *([p, "M1", "2024-05", str(60 + i), "percent"] for i, p in enumerate(PEERS)),
            [OWN, "M2", "2023-24", "3", "count"],
            *([p, "M2", "2023-24", str(10 + i), "count"] for i, p in enumerate(PEERS)),
            [OWN, "M3", "2024-05", "50", "percent"], [PEERS[0], "M3", "2024-05", "40", "percent"],
            [PEERS[1], "M3", "2024-05", "60", "percent"],
            [OWN, "M1", "2025-01", "10", "percent"]]),  # after the report: not shown
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


def test_the_demo_report_shows_its_peers_and_audits_identical(core_run, capsys):
    """kpi demo's synthetic group of 16 (kpilib.demo.peers): the February 2024 core report
    (run with the project's council.yaml, body E06000061) ranks the council among its peers
    on the KPIs with a metric, and `kpi audit` re-executes it byte for byte."""
    page = "".join(p.read_text(encoding="utf-8") for p in core_run.folder.glob("*.html"))
    assert "Compared with Nearest neighbours (demo) (2022-23)" in page
    assert re.search(r"<dt>Rank</dt><dd>(joint )?\d+(st|nd|rd|th) of 16</dd>", page)
    assert "▶ North Northamptonshire" in page
    manifest = (core_run.folder / "manifest.json").read_text(encoding="utf-8")
    assert "benchmarks-2022-23.csv" in manifest and "groups.csv" in manifest
    capsys.readouterr()
    assert main(["audit", str(core_run.folder)]) == 0
    out = capsys.readouterr().out
    assert "identical" in out and "not identical" not in out
