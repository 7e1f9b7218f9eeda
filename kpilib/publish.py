"""Executed notebook -> deterministic notebook file and HTML page; atomic publishing.

* :func:`clean_notebook` removes everything that differs between two
  executions of the same inputs (papermill timings, the injected cell's random
  id, execution timestamps), so executed notebooks are byte-identical.
* :func:`to_html` renders with kpilib's own nbconvert template (outputs only,
  no code or prompts) in-process, with plotly.js shared from ``assets/`` or
  inlined once per page (``self_contained``).
* :func:`publish` swaps a finished staging folder into place atomically.
"""

from __future__ import annotations

import functools
import os
import shutil
from importlib import resources
from pathlib import Path

import nbformat

from . import __version__

TEMPLATES = Path(__file__).parent / "templates"
PLOTLY_ASSET = "assets/plotly.min.js"
INJECTED_ID = "injected-parameters"


def plotly_js_path() -> Path:
    return Path(resources.files("plotly") / "package_data" / "plotly.min.js")


@functools.lru_cache(maxsize=1)
def _css() -> str:
    return (Path(__file__).parent / "static" / "report.css").read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def _plotly_inline() -> str:
    return plotly_js_path().read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def _exporter():
    # The plain TemplateExporter: kpilib's template needs none of HTMLExporter's filters, and
    # HTMLExporter re-parses every page with BeautifulSoup (~1 s a page) to add alt texts and
    # tab stops to notebook chrome this template never emits.
    from nbconvert.exporters import TemplateExporter

    return TemplateExporter(template_name="kpi", extra_template_basedirs=[str(TEMPLATES)],
                            file_extension=".html", exclude_input=True,
                            exclude_input_prompt=True, exclude_output_prompt=True)


def clean_notebook(nb) -> nbformat.NotebookNode:
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


def to_html(nb, title: str, footer: str, self_contained: bool = False) -> str:
    """Render an executed report notebook as one complete offline HTML page."""
    if self_contained:
        plotly = f'<script type="text/javascript">{_plotly_inline()}</script>'
    else:
        plotly = f'<script src="{PLOTLY_ASSET}"></script>'
    res = {"kpi": {"title": title, "css": _css(), "plotly": plotly, "footer": footer}}
    body, _ = _exporter().from_notebook_node(nb, resources=res)
    return body


def footer_text(as_of: str | None) -> str:
    return (f"Produced with kpilib {__version__} from data as of {as_of or 'the latest load'}. "
            "The figures are also in results.csv; manifest.json lets anyone re-execute "
            "and verify this report.")


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def copy_assets(folder: Path) -> None:
    target = folder / PLOTLY_ASSET
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(plotly_js_path(), target)


def publish(staging: Path, final: Path) -> None:
    """Replace ``final`` with ``staging`` so that readers never see a half-written folder.

    The previous folder is moved aside, the new one renamed into place (an
    atomic rename on the same file system), then the old one removed.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    if final.exists():
        os.replace(final, old)
    try:
        os.replace(staging, final)
    except OSError:
        if old.exists():
            os.replace(old, final)
        raise
    if old.exists():
        shutil.rmtree(old)


def keep_failed(staging: Path, final: Path) -> Path:
    """Move a failed run's staging folder to ``<report>.failed`` (replacing an older one)."""
    failed = final.with_name(f"{final.name}.failed")
    if failed.exists():
        shutil.rmtree(failed)
    os.replace(staging, failed)
    return failed
