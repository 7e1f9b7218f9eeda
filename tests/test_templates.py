"""Page fragments as Jinja2 templates (:mod:`kpilib.render.templates`): autoescaping, strict
names, one line of HTML per fragment, and a project's own templates (fragments and the
nbconvert page template) found before the package's, in-process and in a ``kpi run``."""

from __future__ import annotations

import ast
import dataclasses
import html
import math
from pathlib import Path

import nbformat
import pytest
from browser import DEMO_AS_OF, pages_of
from jinja2 import StrictUndefined, UndefinedError

from kpilib.notebook import open_report, pages
from kpilib.render import html as render
from kpilib.render import page, templates

FRAGMENTS = templates.PACKAGE_TEMPLATES / "fragments"
HOSTILE = '<script>alert("x")</script>'
MARKER = '<p class="council-marker">Overridden by the council</p>'


@pytest.fixture(scope="module")
def demo_report(test_store):
    return open_report(str(test_store), "2024-02", "core", DEMO_AS_OF)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A council's home with no settings of its own (an empty ``council.yaml``: kpilib's
    defaults), made the current working directory: its ``templates/`` are the council's."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "council.yaml").write_text("", encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def _override(root: Path, name: str, edit) -> Path:
    """``templates/<name>`` in a project: the package's file, changed by ``edit``."""
    src = templates.PACKAGE_TEMPLATES / name
    dst = root / templates.PROJECT_TEMPLATES / name
    dst.parent.mkdir(parents=True, exist_ok=True)
    text = edit(src.read_text(encoding="utf-8"))
    assert text != src.read_text(encoding="utf-8"), "the override must differ"
    dst.write_text(text, encoding="utf-8")
    return dst


def _add_marker_to_article(text: str) -> str:
    return text.replace("{{ chart }}", "{{ chart }}\n" + MARKER)


# =========================================================================== environment

def test_environment_autoescapes_and_is_strict():
    env = templates.environment()
    assert env.autoescape is True
    assert env.undefined is StrictUndefined


@pytest.mark.parametrize("path", sorted(FRAGMENTS.glob("*.html.j2")), ids=lambda p: p.name)
def test_every_fragment_compiles(path):
    templates.environment().get_template(f"fragments/{path.name}")


def test_values_are_escaped_like_the_stdlib_and_blank_is_empty():
    env = templates.environment()
    tpl = env.from_string('<p title="{{ v }}">{{ v }}</p>')
    text = "Children's <b>\"services\"</b> & more"
    assert tpl.render(v=text) == f'<p title="{html.escape(text)}">{html.escape(text)}</p>'
    for blank in (None, math.nan):
        assert tpl.render(v=blank) == '<p title=""></p>'
    assert env.from_string("{{ v }}").render(v=templates.safe("<b>ok</b>")) == "<b>ok</b>"


def test_template_text_loses_its_line_breaks_but_values_keep_theirs():
    tpl = templates.environment().from_string("<ul>\n  <li>\n    {{ v }}\n  </li>\n</ul>\n")
    assert tpl.render(v="a\nb") == "<ul><li>a\nb</li></ul>"


def test_strict_undefined_catches_a_template_typo():
    env = templates.environment()
    with pytest.raises(UndefinedError, match="nmae"):
        env.from_string("<h3>{{ kpi.nmae }}</h3>").render(kpi={"name": "x"})


def test_strict_undefined_catches_a_typo_in_a_project_fragment(project):
    _override(project, "fragments/chart_figure.html.j2",
              lambda t: t.replace("<figcaption>{{ summary }}", "<figcaption>{{ sumary }}"))
    from kpilib.render.charts import figure

    with pytest.raises(UndefinedError, match="sumary"):
        figure("<div></div>", "A chart")


def test_environment_is_cached_per_project_folder(project, tmp_path, monkeypatch):
    first = templates.environment()
    assert templates.environment() is first
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.chdir(other)
    assert templates.environment() is not first
    assert templates.environment(project) is first


# =========================================================================== escaping

def _hostile(report):
    """Every KPI's name and every breakdown label made hostile; the report's title too."""
    def label(df):
        df = df.copy()
        df.loc[df["breakdown"] != "", "breakdown"] = df["breakdown"] + HOSTILE
        return df

    kpis = label(report.kpis)
    kpis["name"] = kpis["name"] + HOSTILE
    return dataclasses.replace(report, kpis=kpis, cells=label(report.cells),
                               series=label(report.series), name="Report " + HOSTILE)


def test_hostile_kpi_name_and_breakdown_label_are_escaped_everywhere(demo_report):
    rep = _hostile(demo_report)
    assert (rep.kpis["breakdown"] != "").any(), "the demo report must have breakdowns"
    links = pages(rep)
    escaped = html.escape(HOSTILE)
    out = {"legend": render.legend(),
           "page_header": render.page_header(rep, "Heading " + HOSTILE, links),
           "overview": render.overview(rep, links[1:], list(rep.sources))}
    for section in rep.sections():
        sec = rep.section(section)
        out[f"contents {section}"] = render.contents(sec)
        out[f"section_body {section}"] = render.section_body(sec)
    for where, text in out.items():
        assert "<script>alert" not in text, where
    body = "".join(v for k, v in out.items() if k.startswith("section_body"))
    bd = next(b for b in rep.kpis["breakdown"] if b)
    assert f'<th scope="row">{html.escape(bd)}</th>' in body, "breakdown row label"
    assert body.count(escaped) >= 2 * len(rep.headline()), "names in headings and captions"
    assert escaped in out["page_header"] and escaped in out["overview"]
    assert all(escaped in v for k, v in out.items() if k.startswith("contents"))


# =========================================================================== overrides

def test_a_project_fragment_override_is_used(project, demo_report):
    ref = demo_report.headline()["ref"].iloc[0]
    package = render.kpi_article(demo_report, ref)
    assert MARKER not in package
    _override(project, "fragments/kpi_article.html.j2", _add_marker_to_article)
    overridden = render.kpi_article(demo_report, ref)
    assert overridden.endswith(MARKER + "</article>")
    assert overridden.replace(MARKER, "") == package


def test_without_a_project_override_the_package_fragment_is_used(project, demo_report):
    (project / templates.PROJECT_TEMPLATES / "fragments").mkdir(parents=True)
    ref = demo_report.headline()["ref"].iloc[0]
    assert MARKER not in render.kpi_article(demo_report, ref)
    assert render.legend().startswith('<section class="key"')


def test_an_overridden_macro_changes_every_fragment_that_imports_it(project):
    _override(project, "fragments/badges.html.j2",
              lambda t: t.replace('<span class="rag rag-none">–</span>',
                                  '<span class="rag rag-none">not rated</span>'))
    assert render.rag_badge("") == '<span class="rag rag-none">not rated</span>'
    assert render.rag_badge("Red").startswith('<span class="rag rag-red">')


def _notebook():
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[
        nbformat.v4.new_output("display_data", data={"text/html": "<p>KPIs</p>"})])])


def _add_marker_to_page(text: str) -> str:
    return text.replace('<main id="main">', '<main id="main">' + MARKER)


def test_a_project_page_template_override_is_used(project, tmp_path):
    package = page.to_html(_notebook(), "Title", "Footer")
    assert MARKER not in package
    _override(project, "kpi/index.html.j2", _add_marker_to_page)
    overridden = page.to_html(_notebook(), "Title", "Footer")
    assert MARKER in overridden and "<p>KPIs</p>" in overridden
    assert overridden.replace(MARKER, "") == package
    # another project (an explicit root) gets its own exporter: the package's template
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert page.to_html(_notebook(), "Title", "Footer", root=elsewhere) == package


def _write(root: Path, name: str, text: str) -> None:
    dst = root / templates.PROJECT_TEMPLATES / name
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(text, encoding="utf-8")


def test_a_page_override_extends_the_package_template_replacing_one_block(project):
    """An override need not copy kpilib's page: it extends it and replaces a block."""
    branding = {"name": "Home Council", "logo": None, "logo_alt": "", "colour": "#5b2a86",
                "footer": "Performance team"}
    package = page.to_html(_notebook(), "Title", "Footer", branding=branding)
    _write(project, "kpi/index.html.j2",
           '{%- extends "kpilib/kpi/index.html.j2" -%}\n'
           '{%- block banner %}\n<div class="council" role="banner">' + MARKER +
           '</div>{% endblock %}')
    overridden = page.to_html(_notebook(), "Title", "Footer", branding=branding)
    assert MARKER in overridden and "<p>KPIs</p>" in overridden
    assert '<span class="council-name">Home Council</span>' not in overridden
    assert '<span class="council-name">Home Council</span>' in package
    # everything outside the block is kpilib's, byte for byte
    head, tail = package.split('<div class="council"', 1)
    assert overridden.startswith(head) and overridden.endswith(tail.split("</div>", 1)[1])


def test_a_fragment_override_includes_the_package_fragment(project, demo_report):
    ref = demo_report.headline()["ref"].iloc[0]
    package = render.kpi_article(demo_report, ref)
    _write(project, "fragments/kpi_article.html.j2",
           MARKER + '{% include "kpilib/fragments/kpi_article.html.j2" %}')
    assert render.kpi_article(demo_report, ref) == MARKER + package


def test_a_council_css_file_follows_kpilib_css(project):
    package = page.to_html(_notebook(), "Title", "Footer")
    _write(project, "kpi/council.css", ".council { background: #003b5c; }\n")
    styled = page.to_html(_notebook(), "Title", "Footer")
    css = styled.split("<style>", 1)[1].split("</style>", 1)[0]
    assert css.index("report") < css.index(".council { background: #003b5c; }") or \
        css.rstrip().endswith(".council { background: #003b5c; }")
    assert styled.replace("\n/* the council's own: templates/kpi/council.css */\n"
                          ".council { background: #003b5c; }\n", "") == package


@pytest.mark.slow
def test_kpi_run_pages_use_the_project_templates(project, test_store, tmp_path):
    from kpilib.run.runner import run
    from kpilib.settings.params import validate

    _override(project, "fragments/kpi_article.html.j2", _add_marker_to_article)
    _override(project, "kpi/index.html.j2", lambda t: t.replace(
        "<main id=\"main\">", "<main id=\"main\"><p>Page override</p>"))
    _write(project, "kpi/council.css", ".council-name { letter-spacing: 0.1em; }\n")
    params = validate({"period": "2024-02", "report": "core", "store": str(test_store),
                       "as_of": DEMO_AS_OF, "output_dir": str(tmp_path / "out")})
    summary = run(params, show_progress=False)[0]
    html_pages = pages_of(summary.folder)
    for name, text in html_pages.items():
        assert "<p>Page override</p>" in text, name
        assert ".council-name { letter-spacing: 0.1em; }" in text, name
        if name != "index.html":
            assert text.count(MARKER) == text.count('<article class="kpi"') > 0, name
    assert MARKER not in html_pages["index.html"]  # the overview shows no KPI articles
    import json

    recorded = json.loads((summary.folder / "manifest.json").read_text())["templates"]
    assert set(recorded) == {"project:templates/fragments/kpi_article.html.j2",
                             "project:templates/kpi/index.html.j2",
                             "project:templates/kpi/council.css"}


# =========================================================================== modules

def _render_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "kpilib.render":
                out |= {a.name for a in node.names}
            elif node.module.startswith("kpilib.render."):
                out.add(node.module.rsplit(".", 1)[1])
    return out


def test_render_modules_import_each_other_without_cycles():
    folder = Path(templates.__file__).parent
    graph = {p.stem: _render_imports(p) for p in folder.glob("*.py")}
    assert "html" not in graph["charts"], "charts.py must not import html.py"

    def visit(mod, path):
        assert mod not in path, f"import cycle: {' -> '.join([*path, mod])}"
        for dep in graph.get(mod, ()):
            visit(dep, [*path, mod])

    for mod in graph:
        visit(mod, [])
