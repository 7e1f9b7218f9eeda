"""The committee pack: one A4 PDF of a run, printed by headless Chromium from its own pages.

The pack is made from the run folder's published HTML pages (so a public edition's pack shows
exactly what its pages show): a cover (council, report, period, data as-of moment, sign-off
state when the pack was made), contents with page numbers, the overview as the summary, then
every section page, each starting a new page.  Charts are the pages' plotly charts, drawn by
plotly.js (from the plotly package, never the network) and printed as vectors.  The footer
of every page carries the report's title and "Page n of N".

Printing is done twice: the first print finds on which page each part starts (invisible
markers, read back with pypdf), the second prints the contents with those page numbers.  The
PDF's metadata dates are set from the run's ``as_of`` and its trailer ID from its own content,
so the same run folder gives a byte-identical PDF (as :mod:`kpilib.audit` needs when
``pdf: true`` puts the pack in the manifest).
"""

from __future__ import annotations

import concurrent.futures
import html
import io
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kpilib.clock import human_moment
from kpilib.errors import RunError
from kpilib.render.page import plotly_js_path

CHROMIUM_ENV = "KPILIB_CHROMIUM"  # the chromium executable, if not chromium on the PATH
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-extensions", "--proxy-server=127.0.0.1:9",
                 "--proxy-bypass-list=<-loopback>"]
CHART_WIDTH = 680  # CSS px: fits A4 less the page margins
MARGIN = {"top": "14mm", "bottom": "18mm", "left": "12mm", "right": "12mm"}
PACK_CSS = """
@page { size: A4; margin: 14mm 12mm 18mm 12mm; }
body { margin: 0; }
.skip, nav[aria-label="Report pages"], footer.page { display: none !important; }
.pack-part { break-before: page; }
.pack-cover { break-after: page; padding-top: 30mm; }
.pack-cover .logo { max-height: 24mm; }
.pack-cover h1 { font-size: 28pt; margin: 12mm 0 4mm; }
.pack-cover dl { display: grid; grid-template-columns: max-content 1fr; gap: 2mm 6mm;
  font-size: 13pt; margin-top: 14mm; }
.pack-cover dt { font-weight: bold; }
.pack-cover dd { margin: 0; }
.pack-cover .state { margin-top: 16mm; font-size: 15pt; font-weight: bold; padding: 3mm 4mm;
  border: 2px solid currentColor; display: inline-block; }
.pack-contents ol { list-style: none; padding: 0; font-size: 12pt; }
.pack-contents li { display: flex; gap: 2mm; margin: 2mm 0; }
.pack-contents .fill { flex: 1; border-bottom: 1px dotted #505a5f; margin-bottom: 1.2mm; }
.pack-marker { position: absolute; font-size: 4px; color: #fff; }
article.kpi { break-inside: auto; }
.pack-part section.commitment:first-of-type { break-before: auto; }
h2, h3, .values { break-after: avoid; }
figure, tr { break-inside: avoid; }
"""
_MARKER = "KPIPACKPART{}END"


@dataclass(frozen=True)
class Part:
    """One part of the pack: a page of the run folder shown from a new PDF page."""

    title: str
    file: str


@dataclass(frozen=True)
class Pack:
    """What the pack shows besides the pages: read from the run's manifest (an export) or
    from the run itself (``pdf: true``)."""

    council: str
    title: str  # the report's title with its period ("Core KPIs: Feb 2025")
    period: str  # the period's label ("Feb 2025")
    as_of: str  # the run's as_of: the PDF's metadata dates
    signoff: str  # the sign-off state when the pack is made
    parts: tuple[Part, ...]  # the overview first, then each section
    data_as_of: str = ""  # the data's moment, on the cover in words ("": as_of)


def chromium_path() -> str:
    """The chromium executable (``$KPILIB_CHROMIUM``, else ``chromium`` on the PATH)."""
    found = os.environ.get(CHROMIUM_ENV) or shutil.which("chromium") or shutil.which(
        "chromium-browser")
    if not found or not os.access(found, os.X_OK):
        raise RunError("the PDF pack is printed by headless Chromium, which was not found: "
                       f"install the Debian package chromium, or set ${CHROMIUM_ENV}")
    return found


def _read(folder: Path, name: str) -> str:
    try:
        return (folder / name).read_text(encoding="utf-8")
    except OSError as e:
        raise RunError(f"{folder}: cannot read {name} for the PDF pack "
                       f"({e.strerror or e})") from None


def _main_of(page: str) -> str:
    m = re.search(r'<main id="main">(.*)</main>', page, re.S)
    return m.group(1) if m else ""


def _without_key(body: str) -> str:
    return re.sub(r'<section class="key".*?</section>', "", body, count=1, flags=re.S)


def _links(body: str, files: dict[str, int]) -> str:
    """Links between the run's pages become links within the pack; other relative links
    (results.csv, a notebook) are dropped, as the pack stands alone."""
    def one(m: re.Match) -> str:
        target = html.unescape(m.group(1))
        if target.startswith(("#", "http://", "https://", "mailto:")):
            return m.group(0)
        page, _, fragment = target.partition("#")
        if page in files:
            return f'href="#{html.escape(fragment or f"part-{files[page]}")}"'
        return ""

    return re.sub(r'href="([^"]*)"', one, body)


def pack_html(folder: Path, pack: Pack, numbers: dict[int, int] | None) -> str:
    """The pack as one HTML document (``numbers``: the page each part starts on; ``None``:
    the first print, with markers instead)."""
    first = _read(folder, pack.parts[0].file)
    style = re.search(r"<style>(.*?)</style>", first, re.S)
    banner = re.search(r'<div class="council" role="banner">.*?</div>', first, re.S)
    e = html.escape
    rows = []
    for n, part in enumerate(pack.parts):
        page = "" if numbers is None else str(numbers.get(n, ""))
        rows.append(f'<li><span>{e(part.title)}</span><span class="fill"></span>'
                    f"<span>{page}</span></li>")
    out = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
           f"<title>{e(pack.title)}</title><style>{style.group(1) if style else ''}",
           PACK_CSS, '</style><script src="plotly.min.js"></script></head><body><main>',
           '<section class="pack-cover">', banner.group(0) if banner else "",
           f"<h1>{e(pack.title)}</h1><dl><dt>Council</dt><dd>{e(pack.council)}</dd>",
           f"<dt>Report</dt><dd>{e(pack.title)}</dd><dt>Period</dt><dd>{e(pack.period)}</dd>",
           f"<dt>Data as of</dt><dd>{e(human_moment(pack.data_as_of or pack.as_of))}</dd></dl>",
           f'<p class="state">{e(pack.signoff)}</p></section>',
           '<section class="pack-contents"><h2>Contents</h2><ol>', *rows, "</ol></section>"]
    files = {part.file: n for n, part in enumerate(pack.parts)}
    for n, part in enumerate(pack.parts):
        body = _links(_main_of(_read(folder, part.file)), files)
        if n:  # the key is shown once, in the summary
            body = _without_key(body)
        marker = "" if numbers is not None else (
            f'<span class="pack-marker">{_MARKER.format(n)}</span>')
        out.append(f'<section class="pack-part" id="part-{n}">{marker}{body}</section>')
    out.append("</main></body></html>")
    return "".join(out)


def _footer(title: str) -> str:
    return ('<div style="font-family: Arial, sans-serif; font-size: 8pt; width: 100%; '
            'margin: 0 12mm; display: flex; justify-content: space-between; color: #505a5f">'
            f"<span>{html.escape(title)}</span><span>Page <span class=\"pageNumber\"></span> "
            'of <span class="totalPages"></span></span></div>')


def _print(browser, path: Path, title: str) -> bytes:
    page = browser.new_page()
    try:
        page.route(re.compile(r"^(?!file:|data:|about:)"), lambda route: route.abort())
        page.goto(path.as_uri(), wait_until="load")
        page.evaluate(
            "(w) => window.Plotly ? Promise.all(Array.from("
            "document.querySelectorAll('.js-plotly-plot'), "
            "(g) => Plotly.relayout(g, {width: w}))) : null", CHART_WIDTH)
        return page.pdf(format="A4", margin=MARGIN, print_background=True,
                        display_header_footer=True, header_template="<span></span>",
                        footer_template=_footer(title))
    finally:
        page.close()


def _part_pages(pdf: bytes, n: int) -> dict[int, int]:
    from pypdf import PdfReader

    found: dict[int, int] = {}
    for number, page in enumerate(PdfReader(io.BytesIO(pdf)).pages, 1):
        text = page.extract_text() or ""
        for part in range(n):
            if part not in found and _MARKER.format(part) in text:
                found[part] = number
    return found


def fixed_metadata(pdf: bytes, title: str, as_of: str) -> bytes:
    """The PDF with its dates set from ``as_of`` (not the wall clock), its title set, and
    its trailer ID derived from its title and ``as_of``: the same pages give the same bytes."""
    import hashlib

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, ByteStringObject

    stamp = "D:" + re.sub(r"\D", "", as_of)[:14] + "Z"
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.add_metadata({"/Title": title, "/Producer": "kpilib (Chromium, pypdf)",
                         "/Creator": "kpilib", "/CreationDate": stamp, "/ModDate": stamp})
    ident = ByteStringObject(hashlib.sha256(f"{title}\n{as_of}".encode()).digest()[:16])
    writer._ID = ArrayObject([ident, ident])  # pypdf has no public setter
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def build_pdf(folder: str | Path, pack: Pack) -> bytes:
    """The committee pack of the pages in ``folder`` (nothing is written there).

    Printed in a thread of its own: playwright's synchronous API refuses a thread whose
    asyncio loop is running (a Jupyter kernel, or another playwright session)."""
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="kpi-pack") as ex:
        return ex.submit(_build_pdf, Path(folder), pack).result()


def _build_pdf(folder: Path, pack: Pack) -> bytes:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with tempfile.TemporaryDirectory(prefix="kpi-pack-") as tmp:
        work = Path(tmp)
        shutil.copyfile(plotly_js_path(), work / "plotly.min.js")
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
                try:
                    draft = work / "draft.html"
                    draft.write_text(pack_html(folder, pack, None), encoding="utf-8")
                    numbers = _part_pages(_print(browser, draft, pack.title), len(pack.parts))
                    final = work / "pack.html"
                    final.write_text(pack_html(folder, pack, numbers), encoding="utf-8")
                    pdf = _print(browser, final, pack.title)
                finally:
                    browser.close()
        except PlaywrightError as e:
            raise RunError(f"Chromium could not print the PDF pack: {str(e).splitlines()[0]}"
                           ) from None
    return fixed_metadata(pdf, pack.title, pack.as_of)


def pack_file(report: str, period: str) -> str:
    """The pack's file name in a run folder: ``<report>-<period>.pdf``."""
    return f"{report}-{period}.pdf"


def write_run_pack(folder: Path, council: str, report, as_of: str,
                   pages: list[tuple[str | None, str]]) -> None:
    """``pdf: true``: print the pack of a run being made (in its staging folder; a new run has
    no sign-off yet: its cover says draft)."""
    label = report.period.label
    parts = tuple(Part(section or "Summary", file) for section, file in pages)
    pack = Pack(council, f"{report.name}: {label}", label, as_of, "Draft: not signed off", parts,
                report.data_as_of)
    (folder / pack_file(report.report, report.period.id)).write_bytes(build_pdf(folder, pack))
