"""Extension points (kpilib.plugins): report types, export formats and load kinds found the same
way (entry points, a project's modules), a name registered twice refused naming both, and each
declaration checked when it is registered."""

from __future__ import annotations

import shutil
import sys
import textwrap

import pandas as pd
import pytest

from kpilib import registry
from kpilib.cli import main
from kpilib.ingest.contracts import CATALOGUE_COLUMNS
from kpilib.plugins import PluginError, Registry
from kpilib.publish import exports
from kpilib.registry import RegistryError, ReportType, check_report_type
from kpilib.run.locate import (
    PACKAGE_NOTEBOOKS,
    NotebookSource,
    find_notebook,
    notebook_from_label,
)
from kpilib.store import Store
from kpilib.store.database import metadata
from kpilib.store.kinds import LOAD_KINDS, LoadKind

# An outside package, as a council's developers would write it: one module registering a
# report type, an export format and a load kind, found through its entry points.
PACKAGE = '''
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from kpilib.errors import Problem, ValidationError
from kpilib.registry import ReportType
from kpilib.publish.exports import Export
from kpilib.store.database import metadata
from kpilib.store.extras import _read, _records
from kpilib.store.kinds import LoadKind

TOY = ReportType(name="plugtoy", title="Plugin toy KPIs", periods=("month",),
                 notebooks=str(Path(__file__).parent / "council_plugin_notebooks"))


def _csv(run):
    return (Path(run.path) / "results.csv").read_bytes().upper()


CSV = Export("shout", "results.csv in capitals", _csv)

notes = sa.Table("plugin_notes", metadata,
                 sa.Column("load_id", sa.Integer, sa.ForeignKey("loads.load_id"),
                           primary_key=True),
                 sa.Column("row_number", sa.Integer, primary_key=True),
                 sa.Column("ref", sa.Text, nullable=False),
                 sa.Column("note", sa.Text, nullable=False))


def _validate(path, data, catalogue):
    frame = pd.read_csv(Path(path), dtype=str, keep_default_na=False)
    bad = [Problem(Path(path).name, i + 2, "note", v, "required: a note")
           for i, v in enumerate(frame["note"]) if not v]
    if bad:
        raise ValidationError(Path(path).name, bad)
    return notes, _records(frame, [i + 2 for i in range(len(frame))])


NOTES = LoadKind("notes", "notes files (a plugin's own)", _validate,
                 _read(notes, ("ref", "note"), ("ref",), "note"), ("ref", "note"), ("ref",))
'''

ENTRY_POINTS = '''
[kpilib.report_types]
plugtoy = council_plugin:TOY

[kpilib.exports]
shout = council_plugin:CSV

[kpilib.load_kinds]
notes = council_plugin:NOTES
'''


@pytest.fixture
def outside_package(tmp_path, monkeypatch):
    """``council_plugin`` installed (a module and its dist-info) on sys.path; every registry
    discovers again, and forgets the plugin's names afterwards."""
    site = tmp_path / "site"
    (site / "council_plugin-1.0.dist-info").mkdir(parents=True)
    (site / "council_plugin.py").write_text(PACKAGE)
    (site / "council_plugin_notebooks").mkdir()
    for name in ("overview.ipynb", "section.ipynb"):
        shutil.copy(PACKAGE_NOTEBOOKS / name, site / "council_plugin_notebooks" / name)
    (site / "council_plugin-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: council-plugin\nVersion: 1.0\n")
    (site / "council_plugin-1.0.dist-info" / "entry_points.txt").write_text(ENTRY_POINTS)
    monkeypatch.syspath_prepend(str(site))
    for reg in (registry.TYPES, exports.EXPORTS, LOAD_KINDS):
        monkeypatch.setattr(reg, "_discovered", False)
    yield site
    registry.unregister("plugtoy")
    exports.EXPORTS.unregister("shout")
    LOAD_KINDS.unregister("notes")
    # the plugin's table joined the store's shared metadata on import: a later store must
    # not create it, nor count it
    if "plugin_notes" in metadata.tables:
        metadata.remove(metadata.tables["plugin_notes"])
    sys.modules.pop("council_plugin", None)


def test_an_outside_package_adds_a_report_type(outside_package, tmp_path):
    assert registry.get("plugtoy").title == "Plugin toy KPIs"
    assert "entry point 'plugtoy'" in registry.TYPES.origin("plugtoy")
    assert "plugtoy" in [t.name for t in registry.types()]
    # its own notebooks, after a project's and before kpilib's
    found = find_notebook("plugtoy", "section.ipynb", "children-s-services", root=tmp_path)
    assert found == NotebookSource(outside_package / "council_plugin_notebooks" / "section.ipynb",
                                   "type:plugtoy/section.ipynb")
    assert notebook_from_label(found.label) == found.path
    (tmp_path / "notebooks" / "plugtoy").mkdir(parents=True)
    shutil.copy(PACKAGE_NOTEBOOKS / "section.ipynb", tmp_path / "notebooks" / "plugtoy")
    assert find_notebook("plugtoy", "section.ipynb", root=tmp_path).label == (
        "project:notebooks/plugtoy/section.ipynb")


def test_an_outside_package_adds_an_export(outside_package, core_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(core_run.folder, run)
    assert main(["export", str(run), "--shout"]) == 0
    written = run / "core-2024-02.shout"
    assert written.read_bytes() == (run / "results.csv").read_bytes().upper()
    assert "shout" in (run / "additions.jsonl").read_text()


def test_an_outside_package_adds_a_load_kind(outside_package, tmp_path, capsys):
    store = tmp_path / "kpi.sqlite"
    good = tmp_path / "notes.csv"
    good.write_text("ref,note\nBBF07,new triage process\n")
    assert main(["load", "notes", str(good), "--store", str(store)]) == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("ref,note\nBBF07,\n")
    assert main(["load", "notes", str(bad), "--store", str(store)]) == 1
    assert "bad.csv" in capsys.readouterr().err
    frame, sources = LOAD_KINDS["notes"].read(Store.open(store), None, None)
    assert frame[["ref", "note"]].to_dict("records") == [
        {"ref": "BBF07", "note": "new triage process"}]
    assert [s["source_file"] for s in sources] == ["notes.csv"]


def _module(tmp_path, name, body):
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(body))
    return name


@pytest.mark.parametrize("reg, var, body, what", [
    (registry.TYPES, "KPILIB_REPORT_TYPES", '''
        from kpilib.registry import ReportType, register
        register(ReportType(name="dup_NAME", title="T NAME", periods=("month",)))
        ''', "report type"),
    (exports.EXPORTS, "KPILIB_EXPORTS", '''
        from kpilib.publish.exports import Export, register
        register(Export("dupNAME", "NAME", lambda run: b"NAME"))
        ''', "export format"),
    (LOAD_KINDS, "KPILIB_LOAD_KINDS", '''
        from kpilib.store.kinds import LoadKind, register_load_kind
        register_load_kind(LoadKind("dup_NAME", "NAME files", needs_catalogue=True))
        ''', "load kind"),
], ids=["report type", "export format", "load kind"])
def test_a_name_registered_twice_is_an_error_naming_both(tmp_path, monkeypatch, reg, var,
                                                         body, what):
    tag = var.split("_")[-1].lower()  # a module name per registry: imports are cached
    first = _module(tmp_path, f"plugin_one_{tag}", body.replace("NAME", "x").replace('"dupx"', '"dup"')
                    .replace('"dup_x"', '"dup_"'))
    second = _module(tmp_path, f"plugin_two_{tag}", body.replace("NAME", "y").replace('"dupy"', '"dup"')
                     .replace('"dup_y"', '"dup_"'))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv(var, f"{first},{second}")
    monkeypatch.setattr(reg, "_discovered", False)
    name = "dup" if reg is exports.EXPORTS else "dup_"
    try:
        with pytest.raises(PluginError, match=rf"{what} '{name}' is registered twice: by "
                                              rf"\$KPILIB_\w+ \({first}\) and by "
                                              rf"\$KPILIB_\w+ \({second}\)"):
            reg.discover()
    finally:
        reg.unregister(name)


def _notebook(path, params):
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("\n".join(f"{p} = None" for p in params))
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell("print(store)")]
    nbformat.write(nb, path)


RUN = ["store", "period", "report_set", "as_of", "council", "loads_through"]


@pytest.mark.parametrize("kw, message", [
    ({"section_key": "directorat"}, "section_key 'directorat' is not a catalogue column pages "
                                    "can be split by \\(did you mean 'directorate'\\?\\)"),
    ({"extra_pages": (("summary", "Summary", "overview.ipynb"),
                      ("summary", "Again", "overview.ipynb"))},
     "page 'summary' \\(Again\\) would be written as summary.html, as page 'Summary' is"),
    ({"extra_pages": (("index", "Front", "overview.ipynb"),)},
     "page 'index' \\(Front\\) would be written as index.html, as the overview is"),
    ({"extra_pages": (("Big Page", "Big", "overview.ipynb"),)}, "must be a lower-case word"),
    ({"outputs": {"manifest.json": registry.results_csv}}, "output 'manifest.json' has the "
                                                          "name of a file every run writes"),
    ({"NOTEBOOKS": {"overview.ipynb": RUN, "section.ipynb": RUN}},
     "section.ipynb for each section: its parameters cell does not declare section"),
    ({"NOTEBOOKS": {"overview.ipynb": RUN[:-1], "section.ipynb": [*RUN, "section"]}},
     "overview.ipynb for the overview: its parameters cell does not declare loads_through"),
    ({"NOTEBOOKS": {"overview.ipynb": RUN}}, "notebook 'section.ipynb' for each section: not in"),
], ids=["unknown section key", "two pages, one file", "a page named index",
        "a page name with capitals", "an output with a run file's name",
        "a section notebook without section", "a notebook without loads_through",
        "a notebook its folder lacks"])
def test_a_bad_report_type_is_refused_at_registration(tmp_path, kw, message):
    if "NOTEBOOKS" in kw:
        for name, params in kw.pop("NOTEBOOKS").items():
            _notebook(tmp_path / name, params)
        kw["notebooks"] = str(tmp_path)
    rt = ReportType(name="badtoy", title="Bad", periods=("month",), **kw)
    with pytest.raises(RegistryError, match=message):
        registry.register(rt)
    assert "badtoy" not in registry.names()


def test_every_builtin_type_passes_the_checks():
    for rt in registry.types():
        check_report_type(rt)


def test_section_columns_are_catalogue_columns():
    assert set(registry.SECTION_COLUMNS) <= set(CATALOGUE_COLUMNS)


@pytest.mark.parametrize("make, message", [
    (lambda: exports.register(exports.Export("PDF!", "", lambda r: b"")), "short lower-case"),
    (lambda: exports.register(exports.Export("ok", "", None)), "build must be a function"),
    (lambda: LOAD_KINDS.register(LoadKind("Notes", "")), "expected a lower-case word"),
    (lambda: LOAD_KINDS.register(LoadKind("half", "", validate=print)), "needs validate, read"),
    (lambda: LOAD_KINDS.register(LoadKind("k", "", print, print, ("a",), ("b",))),
     "key \\('b',\\) must be among its columns"),
], ids=["an export name that is no flag", "an export with no builder", "a load kind with "
        "capitals", "a load kind with no reader", "a key outside the columns"])
def test_bad_exports_and_load_kinds_are_refused(make, message):
    with pytest.raises(PluginError, match=message):
        make()


def test_an_entry_point_giving_the_wrong_thing_is_named(tmp_path, monkeypatch):
    reg = Registry("widget", "kpilib.test_widgets", kind=pd.DataFrame)
    monkeypatch.setattr(reg, "_load", reg._load)
    with pytest.raises(PluginError, match=r"somewhere gives int 3; expected a DataFrame"):
        reg._load("x", "somewhere", lambda: 3)
