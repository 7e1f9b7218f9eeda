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
import os
from importlib import resources
from pathlib import Path

from kpilib import __version__
from kpilib.render.templates import PACKAGE_TEMPLATES, project_templates

TEMPLATES = PACKAGE_TEMPLATES
STATIC = Path(__file__).resolve().parent.parent / "static"
PLOTLY_ASSET = "assets/plotly.min.js"
TEMPLATE_NAME = "kpi"  # kpi/index.html.j2 in a template folder
INJECTED_ID = "injected-parameters"


def plotly_js_path() -> Path:
    return Path(resources.files("plotly") / "package_data" / "plotly.min.js")


@functools.lru_cache(maxsize=1)
def _css() -> str:
    return (STATIC / "report.css").read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def _plotly_inline() -> str:
    return plotly_js_path().read_text(encoding="utf-8")


@functools.lru_cache(maxsize=8)
def _exporter(project_dir: str, _project_files: tuple[str, ...] = ()):
    # The plain TemplateExporter: kpilib's template needs none of HTMLExporter's filters, and
    # HTMLExporter re-parses every page with BeautifulSoup (~1 s a page) to add alt texts and
    # tab stops to notebook chrome this template never emits.
    from nbconvert.exporters import TemplateExporter

    return TemplateExporter(template_name=TEMPLATE_NAME,
                            extra_template_basedirs=[project_dir, str(TEMPLATES)],
                            file_extension=".html", exclude_input=True,
                            exclude_input_prompt=True, exclude_output_prompt=True)


def exporter(root: str | Path | None = None):
    """The page exporter of a project (``root``, default the current working directory):
    its ``templates/kpi/`` overrides the package's files.  Cached per project folder and
    the files of its ``templates/kpi/``: nbconvert fixes its search path when an exporter
    is made, so an override added (or removed) later needs a new exporter."""
    project_dir = project_templates(root)
    try:
        files = tuple(sorted(os.listdir(os.path.join(project_dir, TEMPLATE_NAME))))
    except OSError:  # no templates/kpi/ in the project
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
    res = {"kpi": {"title": title, "css": _css(), "plotly": plotly, "footer": footer,
                   "council": branding or {}}}
    body, _ = exporter(root).from_notebook_node(nb, resources=res)
    return body


def footer_text(as_of: str | None) -> str:
    return (f"Produced with kpilib {__version__} from data as of {as_of or 'the latest load'}. "
            "The figures are also in results.csv; manifest.json lets anyone re-execute "
            "and verify this report.")
