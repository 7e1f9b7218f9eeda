"""Executed notebook -> deterministic notebook and offline HTML page (pure strings).

* :func:`clean_notebook` removes everything that differs between two
  executions of the same inputs (papermill timings, the injected cell's random
  id, execution timestamps), so executed notebooks are byte-identical.
* :func:`to_html` renders with kpilib's own nbconvert template (outputs only,
  no code or prompts) in-process, with plotly.js shared from ``assets/`` or
  inlined once per page (``self_contained``).  The template is
  ``kpi/index.html.j2``, looked up in the project's ``templates/`` first, then the
  package's (the order of :mod:`kpilib.render.templates`).
"""

from __future__ import annotations

import functools
import html
import os
import re
from importlib import resources
from pathlib import Path

from kpilib import __version__
from kpilib.render.templates import PACKAGE_TEMPLATES, project_templates

TEMPLATES = PACKAGE_TEMPLATES
STATIC = Path(__file__).resolve().parent.parent / "static"
PLOTLY_ASSET = "assets/plotly.min.js"
TEMPLATE_NAME = "kpi"  # kpi/index.html.j2 in a template folder
INJECTED_ID = "injected-parameters"
COUNCIL_CSS = "council.css"  # templates/kpi/council.css: a project's CSS, after kpilib's


def plotly_js_path() -> Path:
    return Path(resources.files("plotly") / "package_data" / "plotly.min.js")


@functools.lru_cache(maxsize=1)
def _package_css() -> str:
    return (STATIC / "report.css").read_text(encoding="utf-8")


def _css(root: str | Path | None = None) -> str:
    """The page's CSS: kpilib's, then the project's own ``templates/kpi/council.css`` when
    it has one (a council's additions and overrides, hashed in the manifest with its other
    template files)."""
    project = project_templates(root)
    own = Path(project) / TEMPLATE_NAME / COUNCIL_CSS
    if not project or not own.is_file():
        return _package_css()
    return _package_css() + "\n/* the council's own: templates/kpi/council.css */\n" + \
        own.read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def _plotly_inline() -> str:
    return plotly_js_path().read_text(encoding="utf-8")


@functools.lru_cache(maxsize=8)
def _exporter(project_dir: str, _project_files: tuple[str, ...] = ()):
    # The plain TemplateExporter: kpilib's template needs none of HTMLExporter's filters, and
    # HTMLExporter re-parses every page with BeautifulSoup (~1 s a page) to add alt texts and
    # tab stops to notebook chrome this template never emits.
    from jinja2 import FileSystemLoader, PrefixLoader
    from nbconvert.exporters import TemplateExporter

    # the package's templates also as kpilib/<name>: an override extends the template it
    # replaces ({% extends "kpilib/kpi/index.html.j2" %}) instead of copying it
    package = PrefixLoader({"kpilib": FileSystemLoader(str(TEMPLATES))})
    return TemplateExporter(template_name=TEMPLATE_NAME, extra_loaders=[package],
                            extra_template_basedirs=[d for d in (project_dir, str(TEMPLATES))
                                                     if d],
                            file_extension=".html", exclude_input=True,
                            exclude_input_prompt=True, exclude_output_prompt=True)


def exporter(root: str | Path | None = None):
    """The page exporter of a project (``root``, default the current working directory):
    its ``templates/kpi/`` overrides the package's files.  Cached per project folder and
    the files of its ``templates/kpi/``: nbconvert fixes its search path when an exporter
    is made, so an override added (or removed) later needs a new exporter."""
    project_dir = project_templates(root)
    try:
        files = tuple(sorted(os.listdir(os.path.join(project_dir, TEMPLATE_NAME)))) \
            if project_dir else ()
    except OSError:  # no templates/kpi/ in the council's home
        files = ()
    return _exporter(project_dir, files)


def clean_notebook(nb):
    """Strip run-to-run noise from an executed notebook (in place; also returned)."""
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        md = cell.get("metadata", {})
        md.pop("papermill", None)
        md.pop("execution", None)
        md.pop("collapsed", None)
        if "injected-parameters" in md.get("tags", []):
            cell["id"] = INJECTED_ID
    return nb


def branding_resources(council) -> dict:
    """What the page template needs of a council's settings (plain values, picklable)."""
    return {"name": council.name, "logo": council.logo, "logo_alt": council.logo_alt,
            "colour": council.primary_colour, "footer": council.footer}


def to_html(nb, title: str, footer: str, self_contained: bool = False,
            branding: dict | None = None, root: str | Path | None = None) -> str:
    """Render an executed report notebook as one complete offline HTML page (with the page
    template of the project ``root``, default the current working directory)."""
    if self_contained:
        plotly = f'<script type="text/javascript">{_plotly_inline()}</script>'
    else:
        plotly = f'<script src="{PLOTLY_ASSET}"></script>'
    res = {"kpi": {"title": title, "css": _css(root), "plotly": plotly, "footer": footer,
                   "council": branding or {}}}
    body, _ = exporter(root).from_notebook_node(nb, resources=res)
    return scroll_tables(body)


_SCRIPT = re.compile(r"(<(script|style)\b.*?</\2>)", re.S | re.I)
_TABLE = re.compile(r"<table\b.*?</table>", re.S)
_CAPTION = re.compile(r"<caption\b[^>]*>(.*?)</caption>", re.S)


def scroll_tables(page: str) -> str:
    """Every table of a page in its own scrolling region (``.table-scroll``, focusable and
    named by the table's caption, as WCAG 2.2 reflow asks): a wide table scrolls inside its
    card on a phone instead of widening the page.  Scripts and styles are left as they are."""
    parts = _SCRIPT.split(page)
    out, i = [], 0
    while i < len(parts):
        out.append(_TABLE.sub(_wrap, parts[i]))
        if i + 1 < len(parts):
            out.append(parts[i + 1])  # a script or style, whole
        i += 3
    return "".join(out)


def _wrap(m: re.Match) -> str:
    table = m.group(0)
    caption = _CAPTION.search(table)
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", caption.group(1))).split()) \
        if caption else ""
    label = html.escape(words or "Table", quote=True)
    return (f'<div class="table-scroll" role="region" tabindex="0" aria-label="{label}">'
            f"{table}</div>")


def footer_text() -> str:
    """The footer of a report's pages: the data's moment is said at the top of each page
    (from the loads the report read), never here from the run's clock."""
    return (f"Produced with kpilib {__version__} from the data as of the moment given at the "
            "top of the page. The figures are also in results.csv; manifest.json lets anyone "
            "re-execute and verify this report.")
