"""HTML of the reports: sanitised commentary, accessible badges, charts and tables,
and published pages that work offline with no notebook chrome.

Fast unit tests on :mod:`kpilib.render` first; then checks of whole published
pages (the session's ``core_run`` plus two runs of this module's own: the
2025-03 core report, whose demo commentary is hostile, and a ``--self-contained``
run).  The browser-side checks are in ``test_browser.py``.
"""

from __future__ import annotations

import dataclasses
import re
from html import unescape
from pathlib import Path

import pytest
from browser import DEMO_AS_OF, Tags, contrast_ratio, pages_of, report_run, url_scheme

from kpilib.ingest.keys import builtin_keys
from kpilib.notebook import open_report
from kpilib.publish.publish import PLOTLY_ASSET, plotly_js_path
from kpilib.render import html as render
from kpilib.rules.rag import STATUSES
from kpilib.rules.ranges import RANGE_STATUSES
from kpilib.rules.travel import NO_POLARITY, NO_TRAVEL, NO_TRAVEL_WORDS

CSS = Path(render.__file__).parents[1] / "static" / "report.css"
ALLOWED_TAGS = {"p", "b", "strong", "i", "em", "u", "br", "ul", "ol", "li", "a"}
SAFE_SCHEMES = {"", "http", "https", "mailto"}  # "" = relative or fragment
HOSTILE_DEMO = ('<p>Improving.</p><script>alert(1)</script>'
                '<a href="javascript:alert(2)" onclick="x()">link</a>')  # demo STP44 2025-03


# =========================================================================== sanitise

SANITISE_HOSTILE = {
    "script-tag": "<p>ok</p><script>alert(1)</script>",
    "script-uppercase": "<SCRIPT>alert(1)</SCRIPT><p>ok</p>",
    "script-split": "<scr<script>ipt>alert(1)</script>",
    "script-in-svg": "<svg><script>alert(1)</script></svg>",
    "img-onerror": "<img src=x onerror=alert(1)>",
    "img-remote": '<img src="https://evil.example/x.png">',
    "a-javascript": '<a href="javascript:alert(1)">x</a>',
    "a-javascript-mixed-case": '<a href="JaVaScRiPt:alert(1)">x</a>',
    "a-javascript-leading-space": '<a href="  javascript:alert(1)">x</a>',
    "a-javascript-entity": '<a href="&#106;avascript:alert(1)">x</a>',
    "a-javascript-hex-entity": '<a href="&#x6A;&#x61;vascript:alert(1)">x</a>',
    "a-javascript-tab": '<a href="java&#x09;script:alert(1)">x</a>',
    "a-javascript-colon-entity": '<a href="javascript&colon;alert(1)">x</a>',
    "a-vbscript": '<a href="vbscript:msgbox(1)">x</a>',
    "a-data-url": '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "a-onclick": '<a href="https://www.gov.uk/" onclick="steal()">x</a>',
    "p-onclick": '<p onclick="x()">t</p>',
    "b-onmouseover": "<b onmouseover=alert(1)>bold</b>",
    "div-onmouseover": '<div onmouseover="x()"><b>ok</b></div>',
    "style-tag": "<style>body{display:none}</style>text",
    "style-attr-url": '<p style="background:url(javascript:alert(1))">s</p>',
    "iframe": '<iframe src="https://evil.example/"></iframe>text',
    "iframe-srcdoc": '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "svg-onload": "<svg onload=alert(1)>",
    "object-embed": '<object data="x.swf"></object><embed src="x.swf">',
    "base-meta-link": ('<base href="https://evil.example/"><meta http-equiv="refresh" '
                       'content="0;url=https://evil.example/"><link rel="stylesheet" '
                       'href="https://evil.example/x.css">'),
    "form-action": '<form action="javascript:alert(1)"><button>b</button></form>',
    "math-mutation": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "noscript-mutation": '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "comment-script": "<p>a</p><!-- <script>alert(1)</script> -->",
    "entity-encoded-script": "&lt;script&gt;alert(1)&lt;/script&gt;",
    "demo-hostile-commentary": HOSTILE_DEMO,
}


def _assert_inert(out: str) -> None:
    """Nothing in ``out`` can execute, load a resource or restyle the page."""
    assert not re.search(r"<\s*(script|style|iframe|img|svg|object|embed|base|meta|link|form)\b",
                         out, re.I), out
    parsed = Tags(out)
    for tag, attrs in parsed.tags:
        assert tag in ALLOWED_TAGS, f"tag <{tag}> survived: {out}"
        for name, value in attrs.items():
            assert not name.lower().startswith("on"), f"event handler {name} survived: {out}"
            assert name in ("href", "rel"), f"attribute {name} survived: {out}"
            if name == "href":
                assert url_scheme(value or "") in SAFE_SCHEMES, f"unsafe href {value!r}: {out}"


@pytest.mark.parametrize("fragment", SANITISE_HOSTILE.values(), ids=SANITISE_HOSTILE.keys())
def test_sanitise_neutralises_hostile_markup(fragment):
    out = render.sanitise(fragment)
    _assert_inert(out)
    assert "javascript:" not in unescape(out).lower()
    # "alert(1)" may survive only as inert, escaped text (e.g. "&lt;script&gt;alert(1)")
    assert "alert(" not in out or "&lt;" in out or "&gt;" in out, out


def test_sanitise_keeps_the_text_of_hostile_commentary():
    out = render.sanitise(HOSTILE_DEMO)
    assert out.startswith("<p>Improving.</p>")
    assert "alert(" not in out and "javascript:" not in out and "onclick" not in out
    assert ">link</a>" in out  # the link text stays, its href does not


SANITISE_BENIGN = {
    "paragraph": ("<p>Improving.</p>", "<p>Improving.</p>"),
    "bold": ("<p>Now <b>98%</b> of calls</p>", "<p>Now <b>98%</b> of calls</p>"),
    "strong-em": ("<strong>a</strong> <em>b</em> <i>c</i> <u>d</u>",
                  "<strong>a</strong> <em>b</em> <i>c</i> <u>d</u>"),
    "list": ("<ul><li>one</li><li>two</li></ul>", "<ul><li>one</li><li>two</li></ul>"),
    "line-break": ("a<br>b", "a<br>b"),
    "plain-text-escaped": ("Rates < 5% & rising", "Rates &lt; 5% &amp; rising"),
    "https-link": ('<a href="https://www.gov.uk/">GOV.UK</a>',
                   '<a href="https://www.gov.uk/" rel="noopener noreferrer nofollow">GOV.UK</a>'),
    "mailto-link": ('<a href="mailto:kpi@council.gov.uk">mail</a>',
                    '<a href="mailto:kpi@council.gov.uk" '
                    'rel="noopener noreferrer nofollow">mail</a>'),
}


@pytest.mark.parametrize("fragment,expected", SANITISE_BENIGN.values(), ids=SANITISE_BENIGN.keys())
def test_sanitise_keeps_simple_formatting(fragment, expected):
    out = render.sanitise(fragment)
    assert out == expected
    _assert_inert(out)


@pytest.mark.parametrize("blank", [None, float("nan"), "", "   \n"],
                         ids=["none", "nan", "empty", "whitespace"])
def test_sanitise_blank_is_empty(blank):
    assert render.sanitise(blank) == ""


# =========================================================================== badges

def _css_rule(selector: str) -> str:
    m = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", CSS.read_text(encoding="utf-8"))
    assert m, f"no rule for {selector} in {CSS.name}"
    return m.group(1)


def _css_colour(rule: str, prop: str) -> str:
    """A colour property of a rule, ``var(--name)`` resolved from ``:root``."""
    m = re.search(rf"(?<![-\w]){prop}\s*:\s*(#[0-9a-fA-F]{{3,6}}|var\(--[\w-]+\))", rule)
    assert m, f"no {prop} colour in {rule!r}"
    value = m.group(1).lower()
    if value.startswith("var("):
        name = value[4:-1]
        root = re.search(rf"{name}\s*:\s*(#[0-9a-fA-F]{{3,6}})", _css_rule(":root"))
        assert root, f"{name} is not defined in :root"
        value = root.group(1).lower()
    return "#" + "".join(c * 2 for c in value[1:]) if len(value) == 4 else value


def test_rag_style_covers_every_status():
    from kpilib.ingest.keys import builtin_keys

    render.use_keys(builtin_keys())  # the statuses every key has are built in: nothing added
    assert list(render.RAG_STYLE) == [*STATUSES, *RANGE_STATUSES, "Not due", "Carried over",
                                      "Incomplete"]


@pytest.mark.parametrize("status", list(render.RAG_STYLE))
def test_rag_badge_has_word_and_symbol(status):
    cls, symbol, _, _, _ = render.RAG_STYLE[status]
    badge = render.rag_badge(status)
    assert symbol.strip(), f"{status} has no symbol"
    assert f'class="rag {cls}"' in badge
    assert f'<span class="sym" aria-hidden="true">{symbol}</span>' in badge
    text = "".join(Tags(badge).data)
    assert text == f"{symbol} {status}", "the word must be visible text next to the symbol"


def test_rag_symbols_and_chart_markers_are_distinct():
    """Without colour, every status is still told apart by its symbol and chart marker."""
    symbols = [s for _, s, _, _, _ in render.RAG_STYLE.values()]
    assert len(set(symbols)) == len(symbols)
    markers = [render.CHART_MARKERS[s] for s in render.RAG_STYLE]
    assert len(set(markers)) == len(markers)


@pytest.mark.parametrize("status", list(render.RAG_STYLE))
def test_rag_colours_meet_wcag_aa_contrast(status):
    _, _, background, text, _ = render.RAG_STYLE[status]
    assert contrast_ratio(text, background) >= 4.5, (
        f"{status}: {text} on {background} is {contrast_ratio(text, background):.2f}:1")


@pytest.mark.parametrize("status", list(render.RAG_STYLE))
def test_rag_css_matches_rag_style(status):
    """report.css colours the badges: it must agree with RAG_STYLE (which the charts use)."""
    cls, _, background, text, _ = render.RAG_STYLE[status]
    rule = _css_rule(f".{cls}")
    assert _css_colour(rule, "background") == background.lower()
    assert _css_colour(rule, "color") == text.lower()


@pytest.mark.parametrize("selector", [".dot-r", ".dot-g", ".dot-a", ".dot .words"])
def test_travel_colours_meet_wcag_aa_contrast_on_white(selector):
    colour = _css_colour(_css_rule(selector), "color")
    assert contrast_ratio(colour, "#ffffff") >= 4.5, f"{selector}: {colour}"


def _travel_cases():
    cases = {}
    names = {"↑": "up", "↓": "down", "→": "same", "↔": "within", "⇔": "nochange"}

    def ident(sym):
        return "".join(names.get(c, c) for c in sym)

    for scheme, key in builtin_keys().travel.items():
        for sym, words in key.comparisons[0].pairs():
            cases[f"{scheme}-{ident(sym)}"] = (sym, words)
    for sym, words in NO_POLARITY.items():
        cases[f"no-polarity-{ident(sym)}"] = (sym, words)
    cases["no-previous-value"] = (NO_TRAVEL, NO_TRAVEL_WORDS)
    return cases


TRAVEL = _travel_cases()


@pytest.mark.parametrize("symbol,words", TRAVEL.values(), ids=TRAVEL.keys())
def test_travel_badge_has_words(symbol, words):
    assert re.search(r"[A-Za-z]{3}", words), f"{symbol!r} has no words: {words!r}"
    badge = render.travel_badge(symbol, words)
    assert f'<span class="words"> {words}</span>' in badge.replace("&#x27;", "'")
    assert f'<span aria-hidden="true">{symbol}</span>' in badge


def test_legend_explains_every_status_in_words_and_symbols():
    key = render.legend()
    for status in render.RAG_STYLE:
        assert render.rag_badge(status) in key
    assert "Direction of travel" in key


# =========================================================================== charts, tables

@pytest.fixture(scope="module")
def demo_report(test_store):
    return open_report(str(test_store), "2024-02", "core", DEMO_AS_OF)


def _first_ref(report, **where) -> tuple[str, str, str]:
    h = report.headline()
    for col, val in where.items():
        h = h[h[col] == val]
    r = h.iloc[0]
    return r["ref"], r["name"], r["unit"]


def test_chart_div_id_is_stable(demo_report):
    ref, name, unit = _first_ref(demo_report)
    first = render.chart(demo_report, ref, name, unit)
    assert render.chart(demo_report, ref, name, unit) == first
    div_id = f"chart-{render.slug(ref)}"
    assert first.count(f'id="{div_id}"') == 1
    assert re.search(rf'Plotly\.newPlot\(\s*"{div_id}"', first), "the chart draws into its div"


def test_chart_ids_are_unique_in_a_report(demo_report):
    refs = list(demo_report.headline()["ref"])
    ids = [f"chart-{render.slug(r)}" for r in refs]
    assert len(set(ids)) == len(ids)


def test_chart_has_text_alternative(demo_report):
    ref, name, unit = _first_ref(demo_report)
    html = render.chart(demo_report, ref, name, unit)
    imgs = [a for a in Tags(html).named("div") if a.get("role") == "img"]
    assert len(imgs) == 1
    label = imgs[0].get("aria-label") or ""
    assert label.startswith((f"Trend chart of {ref}", f"XmR chart of {ref}")) and "latest" in label, label
    assert f"<figcaption>{render.esc(label)}</figcaption>" in html


def test_chart_loads_no_remote_resource(demo_report):
    for ref, name, unit in demo_report.headline()[["ref", "name", "unit"]].itertuples(index=False):
        html = render.chart(demo_report, ref, name, unit)
        assert "http://" not in html and "https://" not in html, ref
        assert not re.search(r"<script[^>]*\bsrc=", html), ref
        assert "plotly.js v" not in html, f"{ref}: plotly.js must not be embedded per chart"
        assert "mathjax" not in html.lower() and "require" not in html, ref


def _assert_tables_accessible(html: str, where: str) -> int:
    tables = re.findall(r"<table\b.*?</table>", html, re.S)
    for t in tables:
        ths = Tags(t).named("th")
        assert ths, f"{where}: a table with no header cells"
        assert all(a.get("scope") in ("col", "row") for a in ths), f"{where}: <th> without scope"
        assert '<th scope="col"' in t, f"{where}: no column headers"
        assert "<caption" in t, f"{where}: a table with no caption"
    return len(tables)


def test_kpi_table_has_row_and_column_headers(demo_report):
    ref, _, _ = _first_ref(demo_report)
    article = render.kpi_article(demo_report, ref)
    funnel = 'class="funnel-figures"' in article  # a KPI with peers' counts: the funnel's
    assert _assert_tables_accessible(article, ref) == 1 + funnel
    assert '<th scope="row">Total</th>' in article


def test_overview_tables_have_header_cells(demo_report):
    from kpilib.notebook import pages

    html = render.overview(demo_report, pages(demo_report)[1:], list(demo_report.sources))
    assert _assert_tables_accessible(html, "overview") >= 3


def test_hostile_commentary_is_sanitised_in_articles_and_exceptions(demo_report):
    kpis = demo_report.kpis.copy()
    kpis["commentary"] = HOSTILE_DEMO
    rep = dataclasses.replace(demo_report, kpis=kpis)
    red, _, _ = _first_ref(rep, rag="Red")
    from kpilib.notebook import pages

    for where, html in [("kpi_article", render.kpi_article(rep, red)),
                        ("overview", render.overview(rep, pages(rep)[1:], list(rep.sources)))]:
        assert "Improving." in html, where
        assert "alert(" not in html and "javascript:" not in html and "onclick" not in html, where


# =========================================================================== published pages

def _strip_links(html: str) -> str:
    """The page without ``<a href>`` values (links are not loaded; resources are)."""
    return re.sub(r'(<a\b[^>]*?\shref=)("[^"]*"|\'[^\']*\'|[^\s>]*)', r"\1#", html, flags=re.I)


def _remote(value: str | None) -> bool:
    v = (value or "").strip().lower()
    return v.startswith(("http:", "https:", "//", "ws:", "wss:"))


def _check_no_remote_script(name, html):
    for a in Tags(html).named("script"):
        assert not _remote(a.get("src")), f"{name}: remote script {a.get('src')}"
    assert not re.search(r'<script[^>]*src=["\']?(https?:)?//', html, re.I), name


def _check_no_remote_link(name, html):
    for tag, attrs in Tags(html).tags:
        for attr in ("src", "href", "data", "poster", "srcset", "action", "background"):
            if tag != "a":
                assert not _remote(attrs.get(attr)), f"{name}: <{tag} {attr}={attrs.get(attr)}>"
    assert not re.search(r"<link\b[^>]*href=[\"']?(https?:)?//", html, re.I), name


def _check_no_remote_css(name, html):
    css = "\n".join(re.findall(r"<style[^>]*>(.*?)</style>", html, re.S | re.I))
    css += "\n".join(re.findall(r'style="([^"]*)"', html))
    assert "@import" not in css, f"{name}: @import in CSS"
    for url in re.findall(r"url\(\s*['\"]?([^'\")]*)", css):
        assert not _remote(url), f"{name}: CSS url({url})"
    assert "@font-face" not in css, f"{name}: web font"


def _check_no_http_anywhere(name, html):
    text = _strip_links(html)
    assert "http://" not in text and "https://" not in text, (
        f"{name}: {re.search(r'.{60}https?://.{60}', text, re.S).group(0)!r}")


def _check_no_requirejs_or_mathjax(name, html):
    low = html.lower()
    for needle in ("require.js", "requirejs", 'require(["plotly"]', "require.config",
                   "mathjax", "cdn.plot.ly", "cdnjs", "jsdelivr", "unpkg"):
        assert needle not in low, f"{name}: {needle}"


def _check_no_notebook_chrome(name, html):
    for needle in ("jp-InputArea", "jp-Cell", "jp-OutputArea", "jp-Notebook", "jp-RenderedHTML",
                   "In [", "Out[", "input_prompt", "output_prompt", "code_cell", "celltoolbar",
                   "injected-parameters", "import kpilib", "kn.section_page", "kn.overview_page",
                   "kn.open_report", "IPython.core.display", "<pre"):
        assert needle not in html, f"{name}: notebook chrome {needle!r}"
    classes = " ".join(re.findall(r'class="([^"]*)"', html)).split()
    chrome = [c for c in classes if c.startswith("jp-") or c in ("prompt", "input", "output",
                                                                   "input_area", "output_area")]
    assert not chrome, f"{name}: notebook classes {sorted(set(chrome))}"


def _check_one_plotly_asset(name, html):
    srcs = [a.get("src") for a in Tags(html).named("script") if a.get("src")]
    assert srcs == [PLOTLY_ASSET], f"{name}: script sources {srcs}"
    assert html.count(f'<script src="{PLOTLY_ASSET}">') == 1, name


def _check_tables(name, html):
    _assert_tables_accessible(html, name)


def _check_charts_have_text_alternatives(name, html):
    parsed = Tags(html)
    charts = [(a, anc) for a, anc in parsed.with_ancestors("div")
              if "plotly-graph-div" in (a.get("class") or "").split()]
    for a, anc in charts:
        assert (a.get("id") or "").startswith("chart-"), f"{name}: chart without a stable id"
        alt = [x for x in anc if x.get("role") == "img"]
        assert len(alt) == 1, f"{name}: {a.get('id')} is not inside one role=img element"
        assert (alt[0].get("aria-label") or "").startswith(("Trend chart of ", "XmR chart of ")), (
            f"{name}: {a.get('id')} has no text alternative")
    if name != "index.html":
        assert charts, f"{name}: a directorate page with no charts"


def _check_unique_ids(name, html):
    ids = [a["id"] for _, a in Tags(html).tags if a.get("id")]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    assert not dup, f"{name}: duplicate ids {dup}"


def _check_page_basics(name, html):
    assert re.search(r'<html lang="en"', html), name
    assert re.search(r"<title>[^<]+</title>", html), name
    assert '<a class="skip" href="#main">Skip to content</a>' in html, name
    assert '<main id="main">' in html, name
    assert html.count("<h1>") == 1, f"{name}: {html.count('<h1>')} h1 headings"


def headings(html) -> list[tuple[int, str]]:
    """(level, text) of the page's h1 to h3 headings, tags stripped, spaces collapsed."""
    out = []
    for level, body in re.findall(r"<h([1-3])\b[^>]*>(.*?)</h\1>", html, re.S):
        text = " ".join(re.sub(r"<[^>]+>", " ", body).split())
        out.append((int(level), text))
    return out


def check_no_heading_said_twice(name, html):
    """No heading says the page's h1 again ("Performance spotlight", then "Appendix:
    performance spotlight reports"), and no two h1/h2 headings are the same."""
    found = headings(html)
    h1 = [t.lower() for lv, t in found if lv == 1]
    h2 = [t.lower() for lv, t in found if lv == 2]
    for t in h2:
        assert not any(h and (h in t or t in h) for h in h1), f"{name}: {t!r} repeats the h1 {h1}"
    assert len(set(h2)) == len(h2), f"{name}: h2 headings said twice {h2}"


def check_human_dates(name, html):
    """No machine timestamp (``2026-12-07T18:03:12.130853Z``) in what a person reads: the
    text between tags (attributes, such as <time datetime>, keep ISO); scripts and styles
    aside."""
    text = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    iso = re.findall(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}[^\s<]*", text)
    assert not iso, f"{name}: machine timestamps shown {iso[:3]}"


PAGE_CHECKS = {
    "human-dates": check_human_dates,
    "no-heading-said-twice": check_no_heading_said_twice,
    "no-remote-script": _check_no_remote_script,
    "no-remote-link-or-src": _check_no_remote_link,
    "no-remote-css-or-font": _check_no_remote_css,
    "no-http-outside-links": _check_no_http_anywhere,
    "no-requirejs-mathjax-cdn": _check_no_requirejs_or_mathjax,
    "no-notebook-chrome": _check_no_notebook_chrome,
    "one-plotly-asset-script": _check_one_plotly_asset,
    "tables-have-scoped-headers": _check_tables,
    "charts-have-text-alternatives": _check_charts_have_text_alternatives,
    "unique-ids": _check_unique_ids,
    "lang-title-skip-link-h1": _check_page_basics,
}


@pytest.fixture(scope="module")
def core_pages(core_run):
    return pages_of(core_run.folder)


def test_core_run_publishes_every_page(core_run, core_pages):
    assert len(core_pages) == core_run.pages
    assert {"index.html", "place-economy.html", "children-s-services.html"} <= set(core_pages)


@pytest.mark.parametrize("check", PAGE_CHECKS.values(), ids=PAGE_CHECKS.keys())
def test_published_pages(core_pages, check):
    for name, html in core_pages.items():
        check(name, html)


def test_data_as_of_is_the_datas_moment_not_the_runs(core_run, core_pages):
    """The run's as_of (after every demo load) bounds what is read; the pages say when the
    data they show was loaded: the latest load the report read, in words."""
    import json

    from kpilib.clock import human_moment

    manifest = json.loads((core_run.folder / "manifest.json").read_text())
    latest = max(s["loaded_at"] for s in manifest["data"]["sources"])
    assert latest < manifest["as_of"]
    for name, html in core_pages.items():
        m = re.search(r'Data as of <time datetime="([^"]+)">([^<]+)</time>', html)
        assert m, name
        assert m.groups() == (latest, human_moment(latest)), name
        assert manifest["as_of"] not in html, name
        assert "from data as of 20" not in html, name


def test_plotly_asset_is_shipped(core_run):
    asset = core_run.folder / PLOTLY_ASSET
    assert asset.is_file()
    assert asset.stat().st_size == plotly_js_path().stat().st_size > 1_000_000


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory, test_store):
    """The 2025-03 core report: demo STP44's commentary for that month is hostile."""
    return report_run(tmp_path_factory, test_store, "2025-03")


def test_hostile_commentary_does_not_reach_the_page(hostile_run):
    pages = pages_of(hostile_run.folder)
    assert "Improving." in pages["place-economy.html"], "the commentary's text must survive"
    for name, html in pages.items():
        for needle in ("alert(", "javascript:", "onclick"):
            assert needle not in html, f"{name}: {needle}"


@pytest.fixture(scope="module")
def self_contained_run(tmp_path_factory, test_store):
    return report_run(tmp_path_factory, test_store, "2024-02", self_contained=True)


def test_self_contained_pages_inline_plotly_once(self_contained_run):
    plotly = plotly_js_path().read_text(encoding="utf-8")
    banner = plotly[:120]
    pages = pages_of(self_contained_run.folder)
    assert len(pages) == self_contained_run.pages
    assert not (self_contained_run.folder / "assets").exists()
    for name, html in pages.items():
        assert "assets/" not in html, name
        assert html.count(banner) == 1, f"{name}: plotly.js inlined {html.count(banner)} times"
        assert html.count(plotly) == 1, f"{name}: plotly.js is not inlined intact"
        assert not [a for a in Tags(html.replace(plotly, "")).named("script") if a.get("src")]


def test_self_contained_pages_equal_the_shared_asset_pages(self_contained_run, core_pages):
    """Same period, same as_of: only the plotly.js tag differs (and runs are deterministic)."""
    plotly = plotly_js_path().read_text(encoding="utf-8")
    pages = pages_of(self_contained_run.folder)
    assert set(pages) == set(core_pages)
    for name, html in pages.items():
        inline = re.search(r"<script[^>]*>" + re.escape(plotly[:200]), html).group(0)
        tag_start = inline[: inline.index(">") + 1]
        rebuilt = html.replace(tag_start + plotly + "</script>",
                               f'<script src="{PLOTLY_ASSET}"></script>')
        assert rebuilt == core_pages[name], name


@pytest.mark.parametrize("check", [c for k, c in PAGE_CHECKS.items()
                                   if k != "one-plotly-asset-script"],
                         ids=[k for k in PAGE_CHECKS if k != "one-plotly-asset-script"])
def test_self_contained_pages(self_contained_run, check):
    plotly = plotly_js_path().read_text(encoding="utf-8")
    for name, html in pages_of(self_contained_run.folder).items():
        check(name, html.replace(plotly, ""))


# =========================================================================== what members read

@pytest.fixture(scope="module")
def kent(tmp_path_factory):
    """Kent's first two quarters (a second council: floor scheme only, baselines)."""
    from kent_figures import kent_report

    return kent_report(tmp_path_factory.mktemp("kent"))


def _with_statuses(report, statuses: list[str]):
    """``report`` with one headline KPI per status given (a section per KPI's directorate)."""
    import pandas as pd

    kpis = pd.DataFrame({"ref": [f"K{i:02d}" for i in range(len(statuses))], "breakdown": "",
                         "directorate": ["D1", "D2"] * (len(statuses) // 2) + ["D1"] * (
                             len(statuses) % 2), "commitment": "C", "theme": "",
                         "rag": statuses})
    return dataclasses.replace(report, kpis=kpis)


EVERY_STATUS = (["Green+"] + ["Green"] * 2 + ["Amber"] * 3 + ["Red"] * 4 + ["Data missing"]
                + ["Target under review"] * 2 + ["Tracking"] + [""])
# fmt: off
SENTENCES = [
    pytest.param(["Green"] * 11 + ["Amber"] * 8 + ["Red"] * 5 + ["Tracking"] * 11,
                 "Of the 35 indicators reported this period, 11 are on target or better, 8 are "
                 "Amber, 5 are Red and 11 are tracking indicators with no target.",
                 id="the council's own sentence, Amber included"),
    pytest.param(EVERY_STATUS,
                 "Of the 15 indicators reported this period, 1 is Green+, 2 are on target or "
                 "better, 3 are Amber, 4 are Red, 1 has data missing, 2 have their target under "
                 "review, 1 is a tracking indicator with no target and 1 is not rated.",
                 id="every status counted, in the counts table's order"),
    pytest.param(["Red"], "Of the 1 indicator reported this period, 1 is Red.",
                 id="one KPI, one status"),
    pytest.param(["Amber", "Amber", "Tracking"],
                 "Of the 3 indicators reported this period, 2 are Amber and 1 is a tracking "
                 "indicator with no target.", id="statuses with no KPI are not named"),
    pytest.param(["Off track", "Off track", "Red"],
                 "Of the 3 indicators reported this period, 1 is Red and 2 are Off track.",
                 id="a status of another report type is named too"),
    pytest.param(["Within range", "Above range", "Within range", "Below range", "Red"],
                 "Of the 5 indicators reported this period, 1 is Red, 1 is above its expected "
                 "range, 2 are within their expected range and 1 is below its expected range.",
                 id="activity indicators' range statuses"),
]
# fmt: on


@pytest.mark.parametrize("statuses, sentence", SENTENCES)
def test_summary_sentence_names_every_status_counted(kent, statuses, sentence):
    rep = _with_statuses(kent, statuses)
    assert render.summary_sentence(rep) == sentence
    counts = rep.rag_counts(rep.section_key).drop(columns="Total").sum()
    said = [int(n) for n in re.findall(r"(?:, | and )(\d+) ", sentence)]
    assert sum(said) == counts.sum() == len(statuses)
    assert said == [int(n) for n in counts if n], "in the counts table's order"


def test_summary_sentence_of_the_demo_includes_amber(demo_report):
    sentence = render.summary_sentence(demo_report)
    counts = demo_report.rag_counts("directorate")
    assert counts["Amber"].sum() > 0 and f"{counts['Amber'].sum()} are Amber" in sentence


def _key_statuses(key: str) -> set[str]:
    return {m for m in re.findall(r'<span class="rag rag-[a-z]+">.*?</span> ([^<]+)</span>', key)}


def _key_symbols(key: str) -> set[str]:
    return set(re.findall(r"<b>([^<]+)</b>", key)) - {"Not rated"}


@pytest.mark.parametrize("which", ["kent", "demo_report"], ids=["Kent, floor scheme only",
                                                                 "demo core report"])
def test_the_key_lists_exactly_what_the_report_uses(request, which):
    report = request.getfixturevalue(which)
    key = render.legend(report)
    drawn = report.series[report.series["value"].notna()]["rag"]
    used = {*report.kpis["rag"], *report.cells["rag"], *drawn} - {""}
    assert _key_statuses(key) == used
    assert _key_symbols(key) == set(report.kpis["travel"])
    assert ("Not rated" in key) == ("" in set(report.headline()["rag"]))


def test_a_key_without_green_plus_trust_or_graded_symbols(kent):
    key = render.legend(kent)
    for absent in ("Green+", "★", "↓A", "↔", "Target under review", "Not rated",
                   "Declined", "within 2%"):
        assert absent not in key, absent
    assert "Green" in key and "<b>↑R</b>" in key


def test_every_page_of_a_run_shows_the_same_key(core_pages):
    keys = {name: re.search(r'<section class="key".*?</section>', html, re.S).group(0)
            for name, html in core_pages.items()}
    assert len(set(keys.values())) == 1, sorted(keys)


@pytest.mark.parametrize("needle", ["None provided.", "<dt>Measure</dt>", "snapshot, count"],
                         ids=["no empty commentary", "no Measure line", "no measure text"])
def test_published_pages_do_not_show(core_pages, needle):
    for name, html in core_pages.items():
        assert needle not in html, name


def test_a_kpi_without_commentary_has_no_commentary_block(kent):
    without, with_ = render.kpi_article(kent, "ET07"), render.kpi_article(kent, "CS03")
    assert 'class="commentary"' not in without and "Commentary" not in without
    assert '<div class="commentary"><h4>Commentary</h4><p>New case system live.</p></div>' in with_
    assert "<dt>Directorate</dt><dd>Environment and Transportation</dd>" in without


# fmt: off
ARTICLES = [
    pytest.param("ET07", ['<th scope="col">Baseline (2023-24)</th>', '<td class="num">11,477</td>',
                          "<td>10,570</td>", "<td>Floor 11,627</td>"],
                 id="baseline column, counts with separators"),
    pytest.param("EDU06", ['<td class="num">0.04%</td>', '<td class="num cur st-ok">0.05%</td>',
                           "<td>0.02%</td>", "<td>Floor 0.04%</td>",
                           "latest 0.05% (Q2 2024-25, target 0.02%)"],
                 id="0.04% and 0.02% told apart in table and text alternative"),
    pytest.param("GL01", ["N/A - reported one quarter in arrears",
                          "Reported one quarter in arrears: RAG and travel use the latest "
                          "period with data (Q1 2024-25)."],
                 id="arrears wording of a quarterly KPI"),
    pytest.param("CS03", ["68.2% (mean of 2 quarters)", '<td class="num cur st-ok">75.0% '
                          "(300 out of 400)</td>"], id="a ratio with a value-only quarter"),
]
# fmt: on


@pytest.mark.parametrize("ref, shown", ARTICLES)
def test_a_second_councils_article(kent, ref, shown):
    article = render.kpi_article(kent, ref)
    for text in shown:
        assert render.esc(text) in article or text in article, text
    assert "0.0%" not in article


def test_no_baseline_column_without_a_baseline(kent, demo_report):
    assert "Baseline" not in render.kpi_article(kent, "CS10")
    assert "Baseline" not in render.kpi_article(demo_report, _first_ref(demo_report)[0])


def test_a_monthly_kpi_in_arrears_says_month(test_store):
    feb = open_report(str(test_store), "2024-02", "core", "2024-03-10T12:00:00.000000Z")
    article = render.kpi_article(feb, "AFL07")
    assert "N/A - reported one month in arrears" in article
    assert "Reported one month in arrears: RAG and travel" in article


def test_chart_hover_and_points_use_the_kpis_precision(kent):
    import json

    chart = render.chart(kent, "EDU06", "", "percent")
    data = json.loads(re.search(r'Plotly\.newPlot\(\s*"chart-edu06",\s*(\[.*?\]),\s*\{', chart,
                                re.S).group(1))
    total = next(t for t in data if t["name"] == "EDU06")
    target = next(t for t in data if t["name"] == "Target")
    assert total["y"][-2:] == [0.04, 0.05] and total["customdata"][-2:] == ["0.04%", "0.05%"]
    assert "%{customdata}" in total["hovertemplate"] and "%{y}" not in total["hovertemplate"]
    assert target["customdata"][-1] == "0.02%"


def test_chart_points_keep_more_places_than_two_where_the_kpi_shows_them(kent):
    chart = render.chart(kent, "GED02", "", "percent")
    assert "97.912345" in chart and '"97.912345%"' in chart


def test_exceptions_show_figures_with_the_kpis_precision(kent):
    from kpilib.notebook import pages

    html = render.overview(kent, pages(kent)[1:], [])
    assert "Q2 2024-25: 0.05% against a target of 0.02%" in html
    assert "Q1 2024-25: 79.2% against a target of 92%" in html  # GL01, in arrears
    assert html.count("No commentary provided.") == 2  # EDU06, GL01: once per exception


@pytest.mark.parametrize("page, wrapped", [
    pytest.param('<table><caption>KPIs &amp; <b>targets</b></caption><tr><td>1</td></tr></table>',
                 '<div class="table-scroll" role="region" tabindex="0" aria-label="KPIs &amp; '
                 'targets"><table><caption>', id="named by its caption"),
    pytest.param("<table><tr><td>1</td></tr></table>",
                 '<div class="table-scroll" role="region" tabindex="0" aria-label="Table">',
                 id="no caption"),
    pytest.param('<script>var s = "<table></table>";</script>', None,
                 id="a script's text is left alone"),
])
def test_every_table_scrolls_in_its_own_region(page, wrapped):
    from kpilib.render.page import scroll_tables

    got = scroll_tables(page)
    if wrapped is None:
        assert got == page
    else:
        assert got.startswith(wrapped) and got.endswith("</table></div>")
        assert got.count("<table") == 1
