"""WCAG 2.2 AA on every page type, checked by axe-core (from npm) inside headless chromium.

Each page type a reviewer can open is rendered from the demo store and opened from disk;
axe-core is injected inline (no network) and run over the whole document with the WCAG
2.0, 2.1 and 2.2 level A and AA rules.  A violation fails the test with the rule, its
impact and the elements.  Skipped with a reason where chromium, playwright or axe-core is
absent, except on CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import (
    CHROMIUM_ARGS,
    DEMO_AS_OF,
    axe_violations,
    report_run,
    require_axe,
    require_chromium,
)

from kpilib.cli import main

pytestmark = pytest.mark.browser

# page type -> (period, report, page file of the run folder)
PAGE_TYPES = {
    "core overview": ("2024-02", "core", "index.html"),
    "core section (project notebook)": ("2024-02", "core", "children-s-services.html"),
    "core section (standard notebook)": ("2024-02", "core", "place-economy.html"),
    "service overview": ("2024-25-Q3", "service", "index.html"),
    "health overview": ("2024-25-Q3", "health", "index.html"),
    "KPI-set change report": ("2024-25_2025-26", "changes", "index.html"),
}
_FOLDERS: dict[tuple[str, str], Path] = {}


def run_folder(tmp_path_factory, store, period: str, report: str) -> Path:
    """The published folder of a page type's run (made once per session)."""
    if report != "changes":
        return report_run(tmp_path_factory, store, period, report).folder
    if (period, report) not in _FOLDERS:
        out = tmp_path_factory.mktemp("a11y-changes")
        year_from, year_to = period.split("_")
        code = main(["changes", "--from", year_from, "--to", year_to, "--store", str(store),
                     "--as-of", DEMO_AS_OF, "--output-dir", str(out)])
        assert code == 0
        _FOLDERS[period, report] = out / period / report
    return _FOLDERS[period, report]


@pytest.fixture(scope="module")
def browser():
    exe = require_chromium()
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        launched = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
    except Exception:
        pw.stop()
        raise
    yield launched
    launched.close()
    pw.stop()


def axe_page(browser, path) -> list[str]:
    axe = require_axe()
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  service_workers="block")
    try:
        page = context.new_page()
        page.goto(path.resolve().as_uri(), wait_until="load")
        return axe_violations(page, axe)
    finally:
        context.close()


@pytest.mark.parametrize("page_type", list(PAGE_TYPES))
def test_page_type_meets_wcag_22_aa(browser, tmp_path_factory, test_store, page_type):
    period, report, page = PAGE_TYPES[page_type]
    folder = run_folder(tmp_path_factory, test_store, period, report)
    path = folder / page
    assert path.is_file(), f"{page_type}: no {page} in {sorted(p.name for p in folder.iterdir())}"
    violations = axe_page(browser, path)
    assert not violations, f"{page_type} ({path.name}):\n" + "\n".join(violations)


def test_axe_finds_a_planted_violation(browser, tmp_path):
    """The check can fail: an image without alternative text and an unlabelled field."""
    page = tmp_path / "bad.html"
    page.write_text('<!doctype html><html lang="en"><head><title>t</title></head><body>'
                    '<main><img src="x.png"><input type="text"></main></body></html>')
    found = axe_page(browser, page)
    assert any(v.startswith("image-alt") for v in found), found
    assert any(v.startswith("label") for v in found), found
