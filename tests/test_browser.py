"""The published reports in a real browser: headless Debian chromium via playwright.

Councillors open the pages from disk, offline.  Each page is opened from a
``file://`` URL and the tests assert that nothing but local files is
requested, nothing logs an error, every plotly chart draws its SVG, the RAG
statuses read as words next to symbols with AA contrast, the keyboard reaches
"Skip to content" first, and the page prints on A4.  Screenshots and PDFs go to
``build/screenshots/`` for a human to look at.

Skipped with a reason when chromium is absent, except on CI (``CI=true``),
where a missing browser is a failure.  Never run ``playwright install``: the
tests use the system chromium at ``/usr/bin/chromium``.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from browser import (
    A4_PRINTABLE_WIDTH_PX,
    DEMO_AS_OF,
    contrast_ratio,
    fresh_screenshot_dir,
    kent_store,
    launched_chromium,
    pdf_page_count,
    png_size,
    report_run,
)

from kpilib.render import html as render

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1280, "height": 900}
CHART_TIMEOUT_MS = 20_000
PAGES = {"index": "index.html", "directorate": "children-s-services.html"}
# the demo county's corporate report (conftest's corporate_run): its four kinds of page
CORPORATE_PAGES = {"corporate-index": "index.html", "corporate-section": "customer-services.html",
                   "corporate-summary": "summary.html", "corporate-spotlight": "spotlight.html"}
# the Kent-style quarterly performance report (qpr): its overview and a directorate page
# with KPIs, activity indicators (range statuses), NEW and Removed markers
QPR_PAGES = {"qpr-index": "index.html", "qpr-directorate": "integrated-children-s-services.html"}
QPR = ("2024-25-Q2", "qpr")


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="session")
def chromium_browser():
    yield from launched_chromium()


@dataclass
class Loaded:
    name: str
    url: str
    page: object
    requests: list[str] = field(default_factory=list)
    websockets: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


def open_page(browser, path, name: str, viewport=VIEWPORT) -> Loaded:
    """Open a report page from disk in a fresh context, recording everything it does."""
    context = browser.new_context(viewport=viewport, service_workers="block")
    page = context.new_page()
    url = path.resolve().as_uri()
    log = Loaded(name, url, page)
    context.on("request", lambda r: log.requests.append(r.url))
    page.on("websocket", lambda ws: log.websockets.append(ws.url))
    page.on("console", lambda m: log.errors.append(f"console.{m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: log.errors.append(f"page error: {e}"))

    def on_dialog(d):
        log.dialogs.append(f"{d.type}: {d.message}")
        d.dismiss()

    page.on("dialog", on_dialog)
    page.goto(url, wait_until="load")
    wait_for_charts(page)
    return log


CHART_STATE = """() => [...document.querySelectorAll('.plotly-graph-div')].map(div => ({
    id: div.id,
    svgs: div.querySelectorAll('svg.main-svg').length,
    traces: div.querySelectorAll('.scatterlayer .trace').length,
    points: div.querySelectorAll('.scatterlayer .point').length,
}))"""


def wait_for_charts(page) -> None:
    """Until plotly has drawn every chart div (the tests then assert what was drawn)."""
    try:
        page.wait_for_function(
            """() => typeof Plotly !== 'undefined' &&
                 [...document.querySelectorAll('.plotly-graph-div')].every(div =>
                     div.querySelector('svg.main-svg')
                     && div.querySelector('.scatterlayer .trace'))""",
            timeout=CHART_TIMEOUT_MS)
    except Exception:  # the chart assertions report which charts did not draw
        pass


def close(loaded: Loaded) -> None:
    loaded.page.context.close()


@pytest.fixture(scope="module")
def qpr_run(tmp_path_factory):
    """Kent's Q2 2024-25 quarterly performance report, run once per session."""
    return report_run(tmp_path_factory, kent_store(tmp_path_factory), *QPR)


@pytest.fixture(scope="module", params=[*PAGES, *CORPORATE_PAGES, *QPR_PAGES])
def loaded(request, chromium_browser, core_run):
    """A page of the February 2024 core report, of the county's corporate report or of
    Kent's Q2 2024-25 quarterly performance report, opened once for the module's checks."""
    name = request.param
    if name in CORPORATE_PAGES:
        folder, file = request.getfixturevalue("corporate_run").folder, CORPORATE_PAGES[name]
    elif name in QPR_PAGES:
        folder, file = request.getfixturevalue("qpr_run").folder, QPR_PAGES[name]
    else:
        folder, file = core_run.folder, PAGES[name]
    log = open_page(chromium_browser, folder / file, name)
    yield log
    close(log)


# ----------------------------------------------------------------- offline, errors, charts

def test_only_local_files_are_requested(loaded):
    remote = [u for u in loaded.requests if not u.startswith("file://")]
    assert not remote, f"{loaded.name}: non-file requests {remote}"
    assert not loaded.websockets, f"{loaded.name}: websockets {loaded.websockets}"
    assert loaded.url in loaded.requests
    assert any(u.endswith("/assets/plotly.min.js") for u in loaded.requests), loaded.requests


def test_no_console_errors(loaded):
    assert loaded.errors == [], loaded.name
    assert loaded.dialogs == [], loaded.name


def test_every_chart_drew(loaded):
    page = loaded.page
    assert page.evaluate("typeof Plotly") == "object", "plotly.js did not load"
    charts = page.evaluate(CHART_STATE)
    if loaded.name.endswith("directorate") or loaded.name in ("corporate-section",
                                                              "corporate-spotlight"):
        assert charts, f"a {loaded.name} page with no charts"
    svgs = page.locator(".js-plotly-plot .main-svg").count()
    assert svgs >= len(charts)
    undrawn = [c["id"] for c in charts if not (c["svgs"] and c["traces"] and c["points"])]
    assert not undrawn, f"charts that did not draw: {undrawn}"
    boxes = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map(d => {
        const r = d.getBoundingClientRect(); return [d.id, r.width, r.height]; })""")
    assert all(w > 100 and h > 100 for _, w, h in boxes), boxes


# --------------------------------------------------------------------------- RAG and contrast

BADGES = """() => [...document.querySelectorAll('.rag:not(.rag-none)')].map(b => {
    const sym = b.querySelector('.sym');
    const r = b.getBoundingClientRect(), s = sym ? sym.getBoundingClientRect() : null;
    const st = getComputedStyle(b);
    return {cls: [...b.classList].find(c => c !== 'rag'), text: b.innerText,
            visible: r.width > 0 && r.height > 0 && st.visibility === 'visible'
                     && st.display !== 'none' && !b.closest('.vh'),
            sym: sym ? sym.innerText : null,
            sym_inside: !!s && s.left >= r.left - 1 && s.right <= r.right + 1
                        && s.top >= r.top - 1 && s.bottom <= r.bottom + 1 && s.width > 0};
})"""


def test_rag_word_is_visible_next_to_its_symbol(loaded, test_store, county_store,
                                                tmp_path_factory):
    from kpilib.notebook import open_report

    by_class = {cls: (status, symbol)
                for status, (cls, symbol, _, _, _) in render.RAG_STYLE.items()}
    badges = [b for b in loaded.page.evaluate(BADGES)  # programme statuses: not RAG
              if not (b["cls"] or "").startswith("prog-")]
    seen = set()
    for b in badges:
        status, symbol = by_class[b["cls"]]
        assert b["text"].strip() == f"{symbol} {status}", b
        assert b["sym"] == symbol and b["sym_inside"], b
        if b["visible"]:
            seen.add(status)
    if loaded.name.startswith("corporate"):
        report = open_report(str(county_store), "2013-14-Q2", "corporate", DEMO_AS_OF)
    elif loaded.name in QPR_PAGES:
        report = open_report(str(kent_store(tmp_path_factory)), *QPR, DEMO_AS_OF)
    else:
        report = open_report(str(test_store), "2024-02", "core", DEMO_AS_OF)
    drawn = report.series[report.series["value"].notna()]["rag"]
    used = {*report.kpis["rag"], *report.cells["rag"], *drawn} - {""}
    assert seen == used, f"the key must show every status the report uses: {seen}"


CONTRAST = """(selector) => [...document.querySelectorAll(selector)].map(el => {
    const st = getComputedStyle(el);
    let bg = null;
    for (let n = el; n; n = n.parentElement) {
        const c = getComputedStyle(n).backgroundColor;
        const a = c.startsWith('rgba') ? parseFloat(c.split(',')[3]) : 1;
        if (a > 0) { bg = c; break; }
    }
    return {text: el.innerText.trim().slice(0, 40), color: st.color,
            background: bg || 'rgb(255, 255, 255)'};
})"""


@pytest.mark.parametrize("selector", [".rag:not(.rag-none)", ".dot > span[aria-hidden]",
                                      ".dot .words", "a", ".kicker, .asof, figcaption"],
                         ids=["rag-badges", "travel-symbols", "travel-words", "links",
                              "muted-text"])
def test_text_contrast_meets_wcag_aa(loaded, selector):
    low = []
    for el in loaded.page.evaluate(CONTRAST, selector):
        ratio = contrast_ratio(el["color"], el["background"])
        if ratio < 4.5:
            low.append((el["text"], el["color"], el["background"], round(ratio, 2)))
    assert not low, f"{loaded.name}: below 4.5:1: {low[:5]}"


# --------------------------------------------------------------------------- screenshots, keyboard

def test_screenshot(loaded):
    prefix = "core-2024-02-" if loaded.name in PAGES else ""
    path = fresh_screenshot_dir() / f"{prefix}{loaded.name}.png"
    path.unlink(missing_ok=True)
    loaded.page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    width, height = png_size(path)
    assert width == VIEWPORT["width"] and height > VIEWPORT["height"], (width, height)


@pytest.mark.parametrize("name", list(PAGES))
def test_first_tab_focuses_skip_link(chromium_browser, core_run, name):
    log = open_page(chromium_browser, core_run.folder / PAGES[name], name)
    try:
        page = log.page
        page.keyboard.press("Tab")
        focused = page.evaluate("""() => { const a = document.activeElement,
            r = a.getBoundingClientRect();
            return {text: a.innerText, href: a.getAttribute('href'),
                    on_screen: r.left >= 0 && r.top >= 0 && r.width > 0 &&
                               r.right <= innerWidth && r.bottom <= innerHeight}; }""")
        assert focused["text"] == "Skip to content" and focused["href"] == "#main", focused
        assert focused["on_screen"], "the focused skip link must become visible"
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#main"
    finally:
        close(log)


# --------------------------------------------------------------------------- print

def _pdf(loaded: Loaded) -> bytes:
    pdf = loaded.page.pdf(format="A4")
    (fresh_screenshot_dir() / f"core-2024-02-{loaded.name}.pdf").write_bytes(pdf)
    return pdf


@pytest.mark.parametrize("name", list(PAGES))
def test_prints_to_a4_pdf(chromium_browser, core_run, name):
    log = open_page(chromium_browser, core_run.folder / PAGES[name], name)
    try:
        commitments = log.page.locator("section.commitment").count()
        pdf = _pdf(log)
    finally:
        close(log)
    assert pdf.startswith(b"%PDF-") and len(pdf) > 10_000
    boxes = {tuple(float(x) for x in m.split()) for m in
             re.findall(rb"/MediaBox\s*\[([^\]]*)\]", pdf)}
    assert boxes and all(abs(b[2] - 595.3) < 2 and abs(b[3] - 841.9) < 2 for b in boxes), \
        f"not A4 (595 x 842 pt): {boxes}"
    pages = pdf_page_count(pdf)
    if name == "directorate":
        # each key commitment starts on a new page, after the page's header, key and contents
        assert commitments >= 1
        assert 1 < pages < 200 and pages >= commitments + 1, (commitments, pages)
    else:
        assert 1 <= pages < 50, pages


def _print_layout(page) -> None:
    """Lay the page out as chromium prints it: print media, A4's printable width."""
    page.emulate_media(media="print")
    page.set_viewport_size({"width": A4_PRINTABLE_WIDTH_PX, "height": 1000})


DRAWN_FOR_PRINT = """() => {
    // Printing fires beforeprint, then lays the page out at the paper's width with no
    // further script: a chart prints at the width it has once beforeprint returns.
    window.dispatchEvent(new Event('beforeprint'));
    return Object.fromEntries([...document.querySelectorAll('.js-plotly-plot')].map(gd =>
        [gd.id, Math.max(...[...gd.querySelectorAll('svg.main-svg')].map(
            s => s.getBoundingClientRect().width))]));
}"""

ROOM_IN_PRINT = """() => Object.fromEntries([...document.querySelectorAll('.js-plotly-plot')].map(
    gd => [gd.id, gd.closest('figure').clientWidth]))"""


@pytest.fixture(scope="module")
def print_measurements(chromium_browser, core_run):
    """Per page of the core run: each chart's width once ``beforeprint`` has run, the room
    its figure has in the A4 print layout, and what overflows that layout."""
    out = {}
    for path in sorted(core_run.folder.glob("*.html")):
        log = open_page(chromium_browser, path, path.stem)
        try:
            drawn = log.page.evaluate(DRAWN_FOR_PRINT)
            _print_layout(log.page)
            out[path.name] = {"drawn": drawn, "room": log.page.evaluate(ROOM_IN_PRINT),
                              "overflow": log.page.evaluate(PRINT_OVERFLOW,
                                                            "table, article, section")}
        finally:
            close(log)
    assert len(out) == core_run.pages
    return out


def test_printed_charts_fit_a4_width(print_measurements):
    too_wide = {}
    for page, m in print_measurements.items():
        assert set(m["drawn"]) == set(m["room"])
        over = {k: (round(w), m["room"][k]) for k, w in m["drawn"].items() if w > m["room"][k] + 1}
        if over:
            too_wide[page] = over
    assert not too_wide, f"charts (drawn px, room on A4 px) cut off in print: {too_wide}"


PRINT_OVERFLOW = """(selector) => [...document.querySelectorAll(selector)].map(el => {
    const r = el.getBoundingClientRect();
    return [el.id || el.querySelector('caption')?.innerText || el.tagName,
            Math.round(r.left), Math.round(r.right)];
}).filter(([, left, right]) => right > innerWidth + 1 || left < -1)"""


def test_printed_tables_fit_a4_width(print_measurements):
    overflowing = {page: [(name[:40], right) for name, _, right in m["overflow"]]
                   for page, m in print_measurements.items() if m["overflow"]}
    assert not overflowing, (
        f"wider than A4's printable {A4_PRINTABLE_WIDTH_PX}px (name, right edge px): "
        f"{overflowing}")


# ----------------------------------------------------------------- hostile, self-contained

def test_hostile_commentary_is_inert(chromium_browser, tmp_path_factory, test_store):
    """Demo STP44's 2025-03 commentary holds a script, a javascript: link and onclick."""
    run = report_run(tmp_path_factory, test_store, "2025-03")
    log = open_page(chromium_browser, run.folder / "place-economy.html", "hostile")
    try:
        page = log.page
        article = page.locator("#kpi-stp44 .commentary")
        assert "Improving." in article.inner_text()
        found = page.evaluate("""() => {
            const bad = [];
            for (const el of document.querySelectorAll('*'))
                for (const a of el.attributes)
                    if (a.name.startsWith('on')) bad.push(el.tagName + ' ' + a.name);
            for (const a of document.querySelectorAll('a[href]'))
                if (!['file:', 'http:', 'https:', 'mailto:'].includes(a.protocol))
                    bad.push(a.href);
            for (const s of document.querySelectorAll('.commentary script')) bad.push('script');
            return bad; }""")
        assert found == []
        article.get_by_text("link").click()
        page.wait_for_timeout(200)
        assert log.dialogs == [] and log.errors == []
        assert [u for u in log.requests if not u.startswith("file://")] == []
    finally:
        close(log)


def test_self_contained_page_works_alone(chromium_browser, tmp_path_factory, test_store,
                                         tmp_path):
    """A --self-contained page, copied on its own (no assets/), still draws every chart."""
    run = report_run(tmp_path_factory, test_store, "2024-02", self_contained=True)
    alone = tmp_path / "children-s-services.html"
    shutil.copyfile(run.folder / PAGES["directorate"], alone)
    log = open_page(chromium_browser, alone, "self-contained")
    try:
        assert log.requests == [log.url], log.requests
        assert log.errors == []
        charts = log.page.evaluate(CHART_STATE)
        assert charts and all(c["svgs"] and c["points"] for c in charts), charts
    finally:
        close(log)


# --------------------------------------------------------------------------- KPI-set changes

@pytest.fixture(scope="module")
def changes_file(tmp_path_factory, test_store) -> Path:
    """The demo's KPI-set change report (kpi changes --from 2024-25 --to 2025-26): its page."""
    from kpilib.cli import main

    tmp = tmp_path_factory.mktemp("changes-browser")
    store = tmp / "kpi.sqlite"
    shutil.copyfile(test_store, store)
    assert main(["changes", "--from", "2024-25", "--to", "2025-26", "--store", str(store),
                 "--output-dir", str(tmp / "out"), "--as-of", DEMO_AS_OF]) == 0
    return tmp / "out" / "2024-25_2025-26" / "changes" / "index.html"


@pytest.fixture(scope="module")
def changes_page(chromium_browser, changes_file):
    log = open_page(chromium_browser, changes_file, "changes")
    yield log
    close(log)


def test_changes_page_is_offline_and_error_free(changes_page):
    assert [u for u in changes_page.requests if not u.startswith("file://")] == []
    assert changes_page.errors == [] and changes_page.dialogs == []


def test_changes_page_tables_have_captions_and_scoped_headers(changes_page):
    tables = changes_page.page.evaluate("""() => [...document.querySelectorAll('table')].map(
        t => ({caption: !!t.querySelector('caption'),
               unscoped: t.querySelectorAll('th:not([scope])').length}))""")
    assert len(tables) == 4
    assert all(t["caption"] and t["unscoped"] == 0 for t in tables)


@pytest.mark.parametrize("selector", ["th", "td", ".kicker, .asof"])
def test_changes_page_contrast_meets_wcag_aa(changes_page, selector):
    low = [el for el in changes_page.page.evaluate(CONTRAST, selector)
           if contrast_ratio(el["color"], el["background"]) < 4.5]
    assert not low, low[:5]


# ------------------------------------------------------------------ public edition

@pytest.mark.parametrize("name", list(PAGES))
def test_public_edition_page_works_and_says_why(chromium_browser, tmp_path_factory, test_store,
                                                name):
    """The public edition's pages (the demo council's threshold): the notice is visible with
    AA contrast, charts with withheld points (gaps) still draw, nothing fails or is fetched."""
    run = report_run(tmp_path_factory, test_store, "2024-02", edition="public")
    assert run.folder.name == "core-public"
    log = open_page(chromium_browser, run.folder / PAGES[name], f"public-{name}")
    try:
        assert log.errors == [] and log.dialogs == []
        assert not [u for u in log.requests if not u.startswith("file://")], log.requests
        notice = log.page.locator(".edition-notice")
        assert notice.is_visible() and "Small numbers are withheld" in notice.inner_text()
        for c in log.page.evaluate(CONTRAST, ".edition-notice"):
            assert contrast_ratio(c["color"], c["background"]) >= 4.5, c
        charts = log.page.evaluate(CHART_STATE)
        assert all(c["svgs"] and c["traces"] for c in charts), charts
        log.page.screenshot(path=str(fresh_screenshot_dir() / f"public-{name}.png"),
                            full_page=True)
    finally:
        close(log)


# --------------------------------------------------------------------------- the library

def test_a_report_page_links_to_the_publication_library(chromium_browser, core_run):
    """The page's "All publications" link opens the library the run kept at the output root,
    which works offline and whose every link opens a page of the run."""
    log = open_page(chromium_browser, core_run.folder / PAGES["index"], "index")
    try:
        page = log.page
        with page.expect_navigation():
            page.click("nav.library a")
        assert page.title() == "Publication library"
        assert page.url == (core_run.folder.parent.parent / "index.html").resolve().as_uri()
        hrefs = page.eval_on_selector_all("main a", "els => els.map(a => a.href)")
        assert hrefs and all(h.startswith("file://") for h in hrefs)
        for h in hrefs:
            assert Path(unquote(urlparse(h).path)).is_file(), h
        assert not log.errors
        assert all(u.startswith(("file://", "data:")) for u in log.requests), log.requests
    finally:
        close(log)


# --------------------------------------------------------------------------- phone width

PHONE = {"width": 390, "height": 844}
WIDTHS = """() => ({
    page: document.documentElement.scrollWidth,
    tables: [...document.querySelectorAll('table')].map(t => {
        const box = t.closest('.table-scroll');
        return {caption: (t.querySelector('caption') || {}).textContent || '',
                wide: t.scrollWidth > document.documentElement.clientWidth,
                scrolls: !!box, focusable: !!box && box.tabIndex === 0,
                named: !!box && !!(box.getAttribute('aria-label')
                                     || box.getAttribute('aria-labelledby'))};
    }),
})"""


def _phone_file(request, core_run, name: str) -> Path:
    if name in CORPORATE_PAGES:
        return request.getfixturevalue("corporate_run").folder / CORPORATE_PAGES[name]
    if name in QPR_PAGES:
        return request.getfixturevalue("qpr_run").folder / QPR_PAGES[name]
    if name == "library":
        return core_run.folder.parent.parent / "index.html"
    if name == "changes":
        return request.getfixturevalue("changes_file")
    return core_run.folder / PAGES[name]


@pytest.mark.parametrize("name", [*PAGES, *CORPORATE_PAGES, *QPR_PAGES, "library", "changes"])
def test_no_page_is_wider_than_a_phone(chromium_browser, core_run, request, name):
    """At 390 CSS px a section page was 1,060 px wide: every page type fits the phone's
    width, a wide table scrolling inside its own focusable, named region instead."""
    log = open_page(chromium_browser, _phone_file(request, core_run, name), f"phone-{name}",
                    viewport=PHONE)
    try:
        got = log.page.evaluate(WIDTHS)
        assert got["page"] <= PHONE["width"], (name, got["page"])
        for t in got["tables"]:
            if t["wide"]:
                assert t["scrolls"] and t["focusable"] and t["named"], (name, t)
        log.page.screenshot(path=str(fresh_screenshot_dir() / f"phone-{name}.png"),
                            full_page=True)
    finally:
        close(log)
