"""SPC on the pages and in the run folder: XmR charts, icons as badges, the Making Data Count
summary, and spc.csv."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from kpilib import notebook as kn
from kpilib.render import charts
from kpilib.render import html as render
from kpilib.reports.spc_table import SPC_COLUMNS

AS_OF = "2025-06-30T00:00:00Z"


@pytest.fixture(scope="module")
def march(test_store):
    return kn.open_report(str(test_store), "2025-03", "core", AS_OF)


def test_every_kpi_with_two_points_has_icons_except_year_to_date_measures(march):
    h = march.headline()
    cumulative = h["measure"] == "cumulative"
    assert h.loc[~cumulative, "spc_charted"].all()
    assert (h.loc[cumulative, "variation"] == "").all()
    assert set(h.loc[~cumulative, "variation"]) <= {
        "common_cause", "improvement_high", "improvement_low", "concern_high", "concern_low",
        "neutral_high", "neutral_low"}


def test_an_article_shows_the_icons_in_words_and_an_xmr_chart(march):
    k = march.headline().query("assurance != ''").iloc[0]
    html = render.kpi_article(march, k["ref"])
    assert 'class="spc spc-' in html and "aria-hidden=\"true\"" in html
    words = {"common_cause": "Common cause", "improvement_high": "Improvement (high)",
             "concern_low": "Concern (low)", "improvement_low": "Improvement (low)",
             "concern_high": "Concern (high)", "neutral_high": "Special cause (high)",
             "neutral_low": "Special cause (low)"}[k["variation"]]
    assert words in html
    assert {"pass": "Passes target", "fail": "Fails target",
            "hit_and_miss": "Hit and miss"}[k["assurance"]] in html
    assert f"XmR chart of {k['ref']}" in html and '"name":"Mean"' in html
    assert '"name":"Process limits"' in html and '"name":"Near lines"' in html


def test_a_year_to_date_kpi_keeps_its_trend_chart(march):
    ref = march.headline().query("measure == 'cumulative'").iloc[0]["ref"]
    html = render.kpi_article(march, ref)
    assert f"Trend chart of {ref}" in html and 'class="spc ' not in html


def test_the_y_axis_fits_the_data_and_the_target():
    points = [{"period": f"2024-{m:02d}", "value": v, "mean": 99.1, "lower_limit": 98.5,
               "upper_limit": 99.7, "near_lower": 98.7, "near_upper": 99.5,
               "point": "common_cause", "rule": ""}
              for m, v in zip(range(1, 10), [99.0, 99.2, 99.1, 98.9, 99.3, 99.1, 99.0, 99.2, 99.1])]
    html = charts.xmr_chart("X1", "percent", points, 99.5, 1)
    lo, hi = map(float, re.search(r'"range":\[([-\d.]+),([-\d.]+)\]', html).groups())
    assert 98 < lo < 98.5 and 99.7 < hi < 100.5  # not drawn on 0-100


def test_the_key_lists_only_the_icons_used(march):
    key = render.legend(march)
    used = set(march.kpis["variation"]) - {""}
    for icon, (_, _, words, _) in render.VARIATION_STYLE.items():
        assert (words in key) == (icon in used), icon


def test_the_overview_has_the_making_data_count_matrix_with_links(march):
    html = kn.overview_page(march)
    assert '<h2 id="mdc-h">Variation and assurance</h2>' in html
    section = html[html.index('id="mdc-h"'):]
    section = section[:section.index("</section>")]
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', section)
    charted = march.headline().query("spc_charted")
    assert sorted(r for _, r in links) == sorted(charted["ref"])
    assert all(re.match(r"^[a-z0-9-]+\.html#kpi-[a-z0-9-]+$", href) for href, _ in links)


def test_spc_csv_is_written_and_in_the_manifest(core_run):
    folder = core_run.folder
    df = pd.read_csv(folder / "spc.csv", dtype=str, keep_default_na=False)
    assert tuple(df.columns) == SPC_COLUMNS and len(df) > 100
    assert set(df["point"]) <= {"common_cause", "improvement", "concern", "neutral"}
    latest = df.groupby(["ref", "breakdown"]).tail(1)
    assert (latest["variation"] != "").all()
    assert (df.drop(latest.index)["variation"] == "").all()
    m = json.loads((folder / "manifest.json").read_text())
    assert "spc.csv" in m["outputs"]


def test_catalogue_spc_settings_reach_the_analysis(test_store):
    from kpilib.reports.model import build_report
    from kpilib.store import Store

    snap = Store.open(test_store).snapshot(AS_OF)
    cat = snap.catalogue.copy()
    ref = "AFL26"
    cat.loc[cat["ref"] == ref, "spc_rebase"] = "2024-10"
    cat.loc[cat["ref"] == "AFL03", "spc_baseline"] = "12"
    rep = build_report(cat, snap.returns, "2025-03", "core", AS_OF)
    pts = rep.spc_points
    groups = pts[(pts["ref"] == ref) & (pts["breakdown"] == "")]
    first = groups[groups["period"] < "2024-10"]
    assert set(groups["group"]) == {0, 1} and set(first["group"]) == {0}
    afl03 = pts[(pts["ref"] == "AFL03") & (pts["breakdown"] == "")]
    assert afl03["mean"].nunique() == 1
    assert afl03["mean"].iloc[0] == pytest.approx(afl03["value"].iloc[:12].mean())


def _xmr_point(period, value):
    return {"period": period, "value": value, "mean": 10.0, "lower_limit": 5.0,
            "upper_limit": 15.0, "near_lower": 6.7, "near_upper": 13.3, "point": "common_cause",
            "rule": ""}


@pytest.mark.parametrize(("periods", "shown"), [
    pytest.param(["2024-25-Q1", "2024-25-Q3"], ["2024-25-Q1", "2024-25-Q2", "2024-25-Q3"],
                 id="a missing quarter between two is added as a gap"),
    pytest.param(["2024-11", "2025-02"], ["2024-11", "2024-12", "2025-01", "2025-02"],
                 id="two missing months across the new year"),
    pytest.param(["2024-04", "2024-05"], ["2024-04", "2024-05"], id="no gap: unchanged"),
])
def test_an_xmr_chart_draws_missing_periods_as_gaps(periods, shown):
    points = [_xmr_point(p, 10.0 + i) for i, p in enumerate(periods)]
    filled = charts.with_gaps(points)
    assert [p["period"] for p in filled] == shown
    assert [p["value"] is None for p in filled] == [p not in periods for p in shown]
    html = charts.xmr_chart("X1", "count", points, None, 0)
    data = json.loads(re.search(r'Plotly\.newPlot\(\s*"chart-x1",\s*(\[.*?\]),\s*\{', html,
                                re.S).group(1))
    line = next(t for t in data if t["name"] == "X1")
    assert line["connectgaps"] is False and len(line["y"]) == len(shown)
    gaps = [p for p in shown if p not in periods]
    if gaps:
        assert "(shown as a gap)." in html and "No figure for" in html
        assert all(y is None for y, p in zip(line["y"], shown, strict=True) if p in gaps)
    else:
        assert "shown as a gap" not in html


def test_a_trend_chart_never_joins_across_a_missing_period():
    series = [{"ref": "T1", "breakdown": "", "period": p, "value": v, "target": None, "rag": r}
              for p, v, r in (("2024-25-Q1", 300.0, "Tracking"), ("2024-25-Q2", None,
                                                                   "Data missing"),
                              ("2024-25-Q3", 350.0, "Tracking"))]
    html = charts.trend_chart("T1", "currency", series, 0, 1000)
    data = json.loads(re.search(r'Plotly\.newPlot\(\s*"chart-t1",\s*(\[.*?\]),\s*\{', html,
                                re.S).group(1))
    line = data[-1]
    assert line["y"] == [300000.0, None, 350000.0] and line["connectgaps"] is False
    assert line["customdata"] == ["£300,000", "", "£350,000"]
    assert "No figure for Q2 2024-25 (shown as a gap)." in html
    compact = html.replace(" ", "")  # the axis reads in pounds (plotly may escape the £)
    assert '"tickprefix":"£"' in compact or '"tickprefix":"\\u00a3"' in compact
