"""Helpers shared by ``test_render.py`` and ``test_browser.py``.

* :func:`report_run` runs a demo report once per session (cached here, so both
  test modules share the run instead of paying ~8 s each);
* :func:`require_chromium` skips (or, on CI, fails) when Debian's chromium is absent;
* WCAG contrast arithmetic and small HTML/PDF/PNG inspection helpers.

Nothing here imports playwright at module level: ``test_render.py`` must run
without it.
"""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "build" / "screenshots"
DEMO_AS_OF = "2025-06-30T00:00:00.000000Z"  # the root conftest's fixed moment

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
CHROMIUM_MISSING = f"chromium not found at {CHROMIUM}; install the Debian package chromium"
PLAYWRIGHT_MISSING = ("the Python package playwright is not installed "
                      "(pip install playwright; do NOT run `playwright install`)")

# A4 at 96 CSS px per inch, less report.css's `@page { margin: 12mm }` on each side.
A4_PRINTABLE_WIDTH_PX = round((210 - 2 * 12) / 25.4 * 96)  # 703


# --------------------------------------------------------------------------- runs

_RUNS: dict[tuple, object] = {}


def report_run(tmp_path_factory, store: Path, period: str, report: str = "core",
               self_contained: bool = False, edition: str = "internal"):
    """The :class:`~kpilib.runner.RunSummary` of a demo report, run once per session."""
    key = (str(store), period, report, self_contained, edition)
    if key not in _RUNS:
        from kpilib.run.runner import run
        from kpilib.settings.params import validate

        out = tmp_path_factory.mktemp(f"run-{period}-{report}{'-sc' if self_contained else ''}")
        params = validate({"period": period, "report": report, "store": str(store),
                           "as_of": DEMO_AS_OF, "output_dir": str(out), "edition": edition})
        _RUNS[key] = run(params, self_contained=self_contained, show_progress=False)[0]
    return _RUNS[key]


def kent_store(tmp_path_factory) -> Path:
    """The Kent-like demo council's store (``kpi demo --council kent``), built once per
    session."""
    key = ("kent-store",)
    if key not in _RUNS:
        from kpilib.demo.kent import build_kent_store
        from kpilib.store import Store

        folder = tmp_path_factory.mktemp("kent")
        store = Store.open(folder / "kent.sqlite")
        build_kent_store(store, folder / "demo")
        store.engine.dispose()
        _RUNS[key] = folder / "kent.sqlite"
    return _RUNS[key]


def pages_of(folder: Path) -> dict[str, str]:
    """``{file name: html}`` of every published page of a run folder."""
    pages = {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.html"))}
    assert "index.html" in pages, f"no index.html in {folder}"
    return pages


# --------------------------------------------------------------------------- chromium

def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def launched_chromium():
    """A generator fixture's body: Debian's chromium launched through playwright (skipped,
    or failed on CI, where either is absent), closed after the last test using it."""
    exe = require_chromium()
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
    except Exception:
        pw.stop()
        raise
    yield browser
    browser.close()
    pw.stop()


def require_chromium() -> str:
    """The chromium executable; skip with a reason if absent (fail instead when CI=true)."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        if in_ci():
            pytest.fail(f"{CHROMIUM_MISSING} (CI=true: the browser tests must run on CI)")
        pytest.skip(CHROMIUM_MISSING)
    try:
        import playwright.sync_api  # noqa: F401  (only: is it installed?)
    except ImportError:
        if in_ci():
            pytest.fail(f"{PLAYWRIGHT_MISSING} (CI=true: the browser tests must run on CI)")
        pytest.skip(PLAYWRIGHT_MISSING)
    return CHROMIUM


# --------------------------------------------------------------------------- WCAG

def parse_colour(value: str) -> tuple[float, float, float, float]:
    """``#rgb``, ``#rrggbb``, ``rgb(r, g, b)`` or ``rgba(r, g, b, a)`` -> (r, g, b, alpha)."""
    v = value.strip().lower()
    if v.startswith("#"):
        h = v[1:]
        if len(h) == 3:
            h = "".join(c * 2 for c in h)
        if len(h) != 6:
            raise ValueError(f"not a colour: {value!r}")
        return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), 1.0
    m = re.fullmatch(r"rgba?\(([^)]*)\)", v)
    if not m:
        raise ValueError(f"not a colour: {value!r}")
    parts = [float(p) for p in re.split(r"[,\s/]+", m.group(1).strip()) if p]
    return parts[0], parts[1], parts[2], parts[3] if len(parts) > 3 else 1.0


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour."""
    r, g, b, _ = parse_colour(colour)

    def lin(c: float) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio (1..21) of two opaque colours."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


# --------------------------------------------------------------------------- HTML

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class Tags(HTMLParser):
    """Every start tag of a fragment as ``(tag, {attr: value})`` (values unescaped),
    with the indices of its open ancestors in ``ancestors`` (same order as ``tags``)."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.ancestors: list[tuple[int, ...]] = []
        self.data: list[str] = []
        self._open: list[int] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self.ancestors.append(tuple(self._open))
        if tag not in VOID:
            self._open.append(len(self.tags) - 1)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self.ancestors.append(tuple(self._open))

    def handle_endtag(self, tag):
        for depth in range(len(self._open) - 1, -1, -1):
            if self.tags[self._open[depth]][0] == tag:
                del self._open[depth:]
                break

    def handle_data(self, data):
        self.data.append(data)

    def named(self, *names: str) -> list[dict]:
        return [a for t, a in self.tags if t in names]

    def with_ancestors(self, *names: str):
        """``(attrs, [ancestor attrs...])`` of every tag called one of ``names``."""
        return [(a, [self.tags[i][1] for i in self.ancestors[n]])
                for n, (t, a) in enumerate(self.tags) if t in names]


def url_scheme(url: str) -> str:
    """The scheme a browser would see (ASCII whitespace/control chars removed), or ''."""
    cleaned = re.sub(r"[\x00-\x20]", "", url).lower()
    m = re.match(r"([a-z][a-z0-9+.-]*):", cleaned)
    return m.group(1) if m else ""


# --------------------------------------------------------------------------- files

def pdf_page_count(pdf: bytes) -> int:
    """Pages of a PDF (Chromium writes each page object uncompressed as ``/Type /Page``)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; AssertionError if it is not a PNG."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def fresh_screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


# --------------------------------------------------------------------------- axe-core

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_MISSING = (f"axe-core not found at {AXE.relative_to(ROOT)}; run `npm ci` in the project "
               "(make test does)")
# WCAG 2.2 AA: every level A and AA rule of 2.0, 2.1 and 2.2
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


def require_axe() -> Path:
    """axe-core's script, installed from npm by package.json; skip (fail on CI) if absent."""
    if not AXE.is_file():
        if in_ci():
            pytest.fail(f"{AXE_MISSING} (CI=true: the accessibility checks must run on CI)")
        pytest.skip(AXE_MISSING)
    return AXE


def axe_violations(page, axe: Path) -> list[str]:
    """Run axe-core inside ``page`` (injected inline: no network) over the whole document
    for :data:`AXE_TAGS`; one readable line per violated rule and element."""
    page.add_script_tag(content=axe.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                              resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)}));
        }""", AXE_TAGS)
    return [f"{v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"][:5])
            for v in result]
