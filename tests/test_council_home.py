"""One home per council (:mod:`kpilib.settings.home`): two councils in one checkout, with the same
directorate names and their own notebooks, template overrides and CSS, each publish exactly
what a clean run of that council alone publishes, from the checkout's root or from anywhere
else; a parameter set with no council gets kpilib's defaults, never the working folder's
notebooks and templates; audit names a template override changed since the run."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from publications import without_wall_clock

from conftest import CATALOGUE_2024, RETURNS_HEADER, read_csv_rows, write_csv
from kpilib.cli import main
from kpilib.render.branding import DEFAULT_NAME
from kpilib.run.locate import PACKAGE_NOTEBOOKS
from kpilib.settings import home
from kpilib.store import Store

AS_OF = "2025-06-30T00:00:00Z"
CHILDREN = "Children's Services"
PAGE = "children-s-services"
RUN = Path("outputs") / "2024-04" / "core"


def _store(path: Path, scratch: Path, april: float) -> None:
    """A council's store: two core KPIs, both of Children's Services (as most councils'
    catalogues have), each with an April return."""
    header, rows = read_csv_rows(CATALOGUE_2024)
    picked = [dict(r, directorate=CHILDREN) for r in rows if r["ref"] in ("FIN01", "FIN02")]
    cat = write_csv(scratch / "catalogue.csv", header, picked)
    ret = write_csv(scratch / "returns.csv", RETURNS_HEADER,
                    [[r["ref"], "2024-04", "", "", april, 100] for r in picked])
    path.parent.mkdir(parents=True, exist_ok=True)
    with Store.open(path) as s:
        s.load_catalogue(cat, loaded_at="2024-04-01T09:00:00Z")
        s.load_returns(ret, loaded_at="2024-05-10T09:00:00Z")


def _notebook(path: Path, line: str) -> None:
    """A directorate's own notebook: kpilib's section notebook and one cell of its own
    (``line``: code, e.g. a print of the council's marker, or a raise)."""
    nb = nbformat.read(PACKAGE_NOTEBOOKS / "section.ipynb", as_version=4)
    cell = nbformat.v4.new_code_cell(line)
    cell.id = "councils-own"
    nb.cells.append(cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def _council(folder: Path, name: str, colour: str, marker: str, april: float) -> None:
    """A council's home: settings, a parameter set, a store, its own Children's Services
    notebook, a page-template override and CSS, each carrying ``marker``."""
    folder.mkdir(parents=True)
    (folder / "council.yaml").write_text(f"name: {name}\nprimary_colour: \"{colour}\"\n")
    (folder / "params").mkdir()
    (folder / "params" / "2024-04.yaml").write_text(
        f'period: "2024-04"\nreport: core\nstore: data/kpi.sqlite\nas_of: "{AS_OF}"\n')
    _store(folder / "data" / "kpi.sqlite", folder.parent, april)
    _notebook(folder / "notebooks" / "core" / f"{PAGE}.ipynb",
              f'from IPython.display import HTML\nHTML("<p>{marker} notebook</p>")')
    kpi = folder / "templates" / "kpi"
    kpi.mkdir(parents=True)
    (kpi / "council.css").write_text(f".council-name {{ color: {colour}; }} /* {marker} */\n")
    (kpi / "index.html.j2").write_text(
        '{% extends "kpilib/kpi/index.html.j2" %}\n'
        f"{{% block banner %}}<p>{marker} banner</p>{{{{ super() }}}}{{% endblock %}}\n")


def _hostile(folder: Path) -> None:
    """A folder a run may start from that is no council's home of those run: settings,
    a Children's Services notebook that crashes (the demo's, on its own KPI) and overrides."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "council.yaml").write_text("name: Working Folder Council\n")
    (folder / "params").mkdir(exist_ok=True)
    _notebook(folder / "notebooks" / "core" / f"{PAGE}.ipynb",
              'raise KeyError("BBF07")  # the working folder\'s notebook')
    (folder / "templates" / "kpi").mkdir(parents=True)
    (folder / "templates" / "kpi" / "council.css").write_text("/* LEAKED working folder */\n")


COUNCILS = {"alpha": ("Alpha Borough Council", "#1d4f91", "ALPHA", 9.1),
            "beta": ("Beta District Council", "#5b2a86", "BETA", 8.2)}


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _same(got: Path, clean: Path) -> None:
    """Two run folders byte for byte (the manifest's wall-clock fields aside)."""
    a, b = _files(got), _files(clean)
    assert sorted(a) == sorted(b)
    for name in a:
        if name == "manifest.json":
            assert without_wall_clock(a[name]) == without_wall_clock(b[name])
        else:
            assert a[name] == b[name], f"{got}/{name} differs from the clean run's"


def _run(where: Path, params: Path | str, monkeypatch) -> None:
    monkeypatch.chdir(where)
    assert main(["run", str(params), "--quiet"]) == 0


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """Each council run alone, its home a fresh folder of its own, from that folder."""
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        for key, (name, colour, marker, april) in COUNCILS.items():
            folder = tmp_path_factory.mktemp(f"clean-{key}") / key
            _council(folder, name, colour, marker, april)
            _run(folder, "params/2024-04.yaml", mp)
            out[key] = folder / RUN
    return out


def _checkout(root: Path) -> Path:
    """The working folder's own council (at the root: a crashing Children's Services
    notebook, CSS of its own) and both councils, each in its home below ``councils/``."""
    _hostile(root)
    for key, (name, colour, marker, april) in COUNCILS.items():
        _council(root / "councils" / key, name, colour, marker, april)
    return root


@pytest.mark.slow
def test_two_councils_in_one_checkout_publish_what_each_publishes_alone(tmp_path, clean,
                                                                         monkeypatch):
    root = _checkout(tmp_path / "checkout")
    for key in COUNCILS:  # from the checkout's root, as `make report` runs them
        _run(root, f"councils/{key}/params/2024-04.yaml", monkeypatch)
        _same(root / "councils" / key / RUN, clean[key])
    elsewhere = tmp_path / "elsewhere"  # from another folder, with its own overrides
    _hostile(elsewhere)
    second = _checkout(tmp_path / "second")
    for key in COUNCILS:
        _run(elsewhere, second / "councils" / key / "params" / "2024-04.yaml", monkeypatch)
        _same(second / "councils" / key / RUN, clean[key])
    assert not (root / "outputs").exists() and not (elsewhere / "outputs").exists()


@pytest.mark.slow
def test_each_council_uses_its_own_notebooks_templates_and_settings(clean):
    for key, (name, _, marker, _) in COUNCILS.items():
        other = next(m for k, (_, _, m, _) in COUNCILS.items() if k != key)
        pages = {p.name: p.read_text(encoding="utf-8") for p in clean[key].glob("*.html")}
        assert set(pages) == {"index.html", f"{PAGE}.html"}
        assert f"{marker} notebook" in pages[f"{PAGE}.html"]
        assert f"{marker} notebook" not in pages["index.html"]  # the directorate's only
        for html in pages.values():
            assert f"<p>{marker} banner</p>" in html and f"/* {marker} */" in html
            assert name in html and other not in html and "LEAKED" not in html
        manifest = json.loads((clean[key] / "manifest.json").read_text())
        assert set(manifest["templates"]) == {"project:templates/kpi/council.css",
                                              "project:templates/kpi/index.html.j2"}
        assert f"project:notebooks/core/{PAGE}.ipynb" in manifest["notebooks"]
        assert manifest["council"]["name"] == name
        assert manifest["parameters"]["params_file"] == "params/2024-04.yaml"


@pytest.mark.slow
def test_a_set_with_no_council_gets_kpilibs_defaults_not_the_working_folders(tmp_path,
                                                                           monkeypatch):
    root = tmp_path / "checkout"
    _hostile(root)  # settings, a crashing notebook and CSS in the folder the run starts from
    lonely = tmp_path / "lonely"  # no council: and no council.yaml above it
    lonely.mkdir()
    _store(lonely / "kpi.sqlite", lonely, 9.1)
    (lonely / "p.yaml").write_text(
        f'period: "2024-04"\nreport: core\nstore: kpi.sqlite\nas_of: "{AS_OF}"\n')
    assert home.locate(lonely / "p.yaml", None) == home.Located(lonely.resolve(), None)
    _run(root, lonely / "p.yaml", monkeypatch)
    run = lonely / RUN
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["templates"] == {}
    assert all(label.startswith("kpilib:") for label in manifest["notebooks"])
    assert manifest["parameters"]["council"] is None
    assert manifest["council"]["name"] == DEFAULT_NAME  # kpilib's default name
    for page in run.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "LEAKED" not in html and "Working Folder Council" not in html, page.name


@pytest.mark.parametrize("layout, params, council, project, settings", [
    pytest.param({"council.yaml", "params/"}, "params/p.yaml", None, ".", "council.yaml",
                 id="the project's own council.yaml"),
    pytest.param({"council.yaml", "councils/kent/council.yaml", "councils/kent/params/"},
                 "councils/kent/params/p.yaml", None, "councils/kent",
                 "councils/kent/council.yaml", id="the nearest council.yaml, not the root's"),
    pytest.param({"council.yaml", "params/kent/", "councils/kent.yaml"}, "params/kent/p.yaml",
                 "councils/kent.yaml", ".", "councils/kent.yaml",
                 id="council: named, read from the project folder"),
    pytest.param({"shared/council.yaml", "shared/a/params/"}, "shared/a/params/p.yaml", None,
                 "shared/a", "shared/council.yaml", id="a council.yaml above the project"),
    pytest.param({"a/"}, "a/p.yaml", None, "a", None, id="none: kpilib's defaults"),
])
def test_how_a_run_finds_its_council(tmp_path, monkeypatch, layout, params, council, project,
                                     settings):
    for item in layout:
        if item.endswith("/"):
            (tmp_path / item).mkdir(parents=True, exist_ok=True)
        else:
            (tmp_path / item).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / item).write_text("")
    (tmp_path / params).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / params).write_text("")
    monkeypatch.chdir(tmp_path / "a" if (tmp_path / "a").is_dir() else tmp_path)
    found = home.locate(tmp_path / params, council)
    assert found.project == (tmp_path / project).resolve()
    assert found.settings == (None if settings is None else (tmp_path / settings).resolve())
    assert found.home == (None if settings is None else (tmp_path / settings).resolve().parent)


@pytest.mark.slow
def test_audit_names_a_template_override_changed_since_the_run(tmp_path, monkeypatch, capsys):
    name, colour, marker, april = COUNCILS["alpha"]
    folder = tmp_path / "alpha"
    _council(folder, name, colour, marker, april)
    (folder / "templates" / "fragments").mkdir()
    unused = folder / "templates" / "fragments" / "unused.html.j2"  # on no page
    unused.write_text("<p>never rendered</p>\n")
    _run(folder, "params/2024-04.yaml", monkeypatch)
    capsys.readouterr()
    assert main(["audit", str(RUN)]) == 0
    assert f"{RUN}: identical" in capsys.readouterr().out
    unused.write_text("<p>changed after the run</p>\n")  # the pages are the same
    assert main(["audit", str(RUN)]) == 1
    out = capsys.readouterr().out
    assert ("differs on re-execution: project:templates/fragments/unused.html.j2 (template "
            "override changed since the run)") in out


def _fragment(home_folder: Path, marker: str) -> None:
    """A fragment override (rendered in the notebooks' kernels): kpilib's KPI article and a
    line of the council's own."""
    path = home_folder / "templates" / "fragments" / "kpi_article.html.j2"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{% include "kpilib/fragments/kpi_article.html.j2" %}'
                    f"<p>{marker} fragment</p>\n")


@pytest.mark.slow
def test_a_council_named_by_its_parameter_set_brings_its_own_fragments(tmp_path, monkeypatch):
    """``council: councils/kent.yaml`` in a parameter set of the project's ``params/``: the
    set's paths are the project's, but its notebooks' fragments are its home's
    (``councils/``), not those of the project folder the kernels run in."""
    root = tmp_path / "checkout"
    _hostile(root)
    _fragment(root, "LEAKED")
    (root / "councils").mkdir()
    (root / "councils" / "kent.yaml").write_text("name: Kent Test Council\n")
    _fragment(root / "councils", "KENT")
    _store(root / "data" / "kent.sqlite", tmp_path, 9.1)
    (root / "params" / "kent").mkdir(parents=True)
    (root / "params" / "kent" / "p.yaml").write_text(
        f'period: "2024-04"\nreport: core\nstore: data/kent.sqlite\nas_of: "{AS_OF}"\n'
        "council: councils/kent.yaml\noutput_dir: outputs/kent\n")
    _run(tmp_path, root / "params" / "kent" / "p.yaml", monkeypatch)  # from elsewhere
    run = root / "outputs" / "kent" / "2024-04" / "core"
    page = (run / f"{PAGE}.html").read_text(encoding="utf-8")
    assert "<p>KENT fragment</p>" in page and "LEAKED" not in page
    assert "Kent Test Council" in page and "Working Folder Council" not in page
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["templates"] == {"project:templates/fragments/kpi_article.html.j2":
                                     manifest["templates"]["project:templates/fragments/"
                                                           "kpi_article.html.j2"]}
    assert all(label.startswith("kpilib:") for label in manifest["notebooks"])
    monkeypatch.chdir(root)  # audit from the project folder, as the run read its paths
    assert main(["audit", str(run)]) == 0
