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


def _points(report, ref, breakdown=""):
    """How many periods of a KPI's series have a value (its SPC series)."""
    a = report.spc_points
    return int(((a["ref"] == ref) & (a["breakdown"] == breakdown)).sum())


def test_a_kpi_has_icons_from_12_points_except_year_to_date_measures(march):
    h = march.headline()
    cumulative = h["measure"] == "cumulative"
    assert (h.loc[cumulative, "variation"] == "").all()
    for k in h[~cumulative].to_dict("records"):
        n = _points(march, k["ref"])
        assert k["spc_charted"] is (n >= 12), k["ref"]
        assert bool(k["variation"]) is (n >= 12), k["ref"]
        assert (k["spc_note"] == f"Too few points for control limits: {n} of 12 needed."
                ) is (n < 12), k["ref"]
    assert set(h.loc[h["spc_charted"], "variation"]) <= {
        "common_cause", "improvement_high", "improvement_low", "concern_high", "concern_low",
        "neutral_high", "neutral_low"}
    assert h["spc_charted"].sum() > 20 and (~h.loc[~cumulative, "spc_charted"]).sum() >= 1


def test_a_page_of_too_few_points_shows_the_run_chart_only_and_says_why(test_store):
    feb = kn.open_report(str(test_store), "2024-02", "core", AS_OF)  # 11 months of history
    k = feb.headline().query("measure != 'cumulative' and spc_assurance != ''").iloc[0]
    n = _points(feb, k["ref"])
    assert 2 <= n < 12 and not k["spc_charted"]
    html = render.kpi_article(feb, k["ref"])
    assert f"Too few points for control limits: {n} of 12 needed." in html
    assert f"Trend chart of {k['ref']}" in html and "XmR chart" not in html
    assert 'class="spc ' not in html and "Process limits" not in html
    for words in ("Hit and miss", "Passes target", "Fails target", "Common cause"):
        assert words not in html
    csv = feb.spc_csv[feb.spc_csv["ref"] == k["ref"]]  # the analysis is kept, provisional
    assert set(csv["provisional"]) == {"too_few_points"} and csv.iloc[-1]["assurance"]


def test_the_councils_minimum_reaches_the_pages(test_store):
    from kpilib.reports.model import build_report
    from kpilib.store import Store

    snap = Store.open(test_store).snapshot(AS_OF)
    feb = build_report(snap.catalogue, snap.returns, "2024-02", "core", AS_OF,
                       spc_min_points=6)
    h = feb.headline().query("measure != 'cumulative'")
    assert h["spc_charted"].all() and (h["spc_note"] == "").all()
    assert "where it has 6 points or more" in render.legend(feb)


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
    links = re.findall(r'<a href="([^"]+)"><span class="ref">([^<]+)</span> [^<]+</a>',
                       section)  # each KPI by reference and name
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


# ---------------------------------------------------------------- natural bounds

def _xmr_points(values, mean, lower, upper, near=(None, None), groups=None):
    return [{"period": f"2024-{m:02d}", "value": v, "mean": mean, "lower_limit": lower,
             "upper_limit": upper, "near_lower": near[0], "near_upper": near[1],
             "point": "common_cause", "rule": "", "group": 0 if groups is None else groups[i]}
            for i, (m, v) in enumerate(zip(range(1, 13), values))]


def _trace(html, name):
    figure = json.loads(re.search(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*(\[.*?\]),\s*\{",
                                  html, re.S).group(1))
    return [t["y"] for t in figure if t.get("name") == name]


@pytest.mark.parametrize("unit, limits, near, drawn", [
    pytest.param("count", (-2.5, 9.5), (-0.5, 7.5), [(0.0, 9.5), (0.0, 7.5)],
                 id="a count's lower limit and near line below 0: drawn at 0"),
    pytest.param("percent", (88.0, 104.2), (93.4, 100.6), [(88.0, 100.0), (93.4, 100.0)],
                 id="a percentage's upper limit above 100: drawn at 100"),
    pytest.param("rate", (-2.5, 9.5), (-0.5, 7.5), [(-2.5, 9.5), (-0.5, 7.5)],
                 id="a rate: no natural bound, drawn as computed"),
])
def test_limits_beyond_the_natural_bounds_are_drawn_clipped(unit, limits, near, drawn):
    values = [3.0, 4.0, 3.5, 4.5, 3.0, 4.0] if unit != "percent" else [96.0] * 6
    pts = _xmr_points(values, sum(values) / 6, *limits, near=near)
    html = charts.xmr_chart("X1", unit, pts, None, 1)
    upper, lower = _trace(html, "Process limits")
    near_upper, near_lower = _trace(html, "Near lines")
    assert (set(lower), set(upper)) == ({drawn[0][0]}, {drawn[0][1]})
    assert (set(near_lower), set(near_upper)) == ({drawn[1][0]}, {drawn[1][1]})
    lo, hi = map(float, re.search(r'"range":\[([-\d.]+),([-\d.]+)\]', html).groups())
    assert lo <= drawn[0][0] and hi >= drawn[0][1]
    assert ("natural bounds" in html) is (drawn[0] != limits)


def test_a_series_rebased_at_its_last_point_says_so_in_its_text_alternative():
    pts = _xmr_points([3.0, 4.0, 3.5, 9.0], 3.5, 2.0, 5.0, groups=[0, 0, 0, 1])
    pts[-1].update(mean=9.0, lower_limit=None, upper_limit=None)
    html = charts.xmr_chart("X1", "count", pts, 4.0, 1, {"assurance": "hit_and_miss"})
    assert "no limits yet (one point since the series was rebased)" in html
    assert "assurance: hit and miss" in html.lower()


def test_a_status_key_that_reads_the_spc_point_rates_a_report(test_store):
    """engine.spc_kind read a Point's ``kind`` (it has ``point``): any report rated with a
    key with ``spc:`` bands failed with an AttributeError."""
    from pathlib import Path

    from kpilib.reports.model import build_report
    from kpilib.settings.council import load_settings
    from kpilib.store import Store

    keys = load_settings(Path(__file__).parents[1] / "docs/keys/nhs-spc.yaml").keys
    snap = Store.open(test_store).snapshot(AS_OF)
    cat = snap.catalogue.copy()
    cat["rag_scheme"] = "nhs-spc"
    rags = set(build_report(cat, snap.returns, "2025-03", "core", AS_OF, keys=keys)
               .headline()["rag"])
    assert "Common cause" in rags and rags & {"Improvement", "Concern", "Special cause"}

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
