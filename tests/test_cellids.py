"""Cell ids a run executes with: the same on every run, whatever the notebook file holds."""

import json

import pytest

from kpilib.errors import RunError
from kpilib.publish.manifest import output_hashes
from kpilib.run import runner
from kpilib.run.cellids import read_with_stable_ids, stable_ids
from kpilib.run.locate import PACKAGE_NOTEBOOKS
from kpilib.settings.params import validate

AS_OF = "2025-06-30T00:00:00.000000Z"


@pytest.mark.parametrize("given, expected", [
    (["a", "b"], ["a", "b"]),
    ([None, None], ["cell-1", "cell-2"]),
    (["a", None, "c"], ["a", "cell-2", "c"]),
    (["a", "a"], ["a", "cell-2"]),
    ([None, "cell-1"], ["cell-1-2", "cell-1"]),
    (["x", None, "cell-2", None], ["x", "cell-2-2", "cell-2", "cell-4"]),
], ids=["own ids kept", "none: by position", "one missing", "a repeated id",
        "position name already taken", "several clashes"])
def test_stable_ids(given, expected):
    cells = [{"cell_type": "code"} if i is None else {"cell_type": "code", "id": i}
             for i in given]
    assert stable_ids(cells) == (expected, [])


@pytest.mark.parametrize("bad", ["", "has space", "x" * 65, 7, "é"],
                         ids=["empty", "a space", "too long", "a number", "not ASCII"])
def test_an_invalid_id_is_refused_naming_the_cell(bad, tmp_path):
    nb = _no_ids(tmp_path / "nb.ipynb")
    raw = json.loads(nb.read_text())
    raw["cells"][2]["id"] = bad
    nb.write_text(json.dumps(raw))
    with pytest.raises(RunError, match=r"notebook my-notebook: cell 3 has id .*: expected 1 to "
                                       r"64 letters"):
        read_with_stable_ids(nb, "my-notebook")


def test_a_file_that_is_not_a_notebook_is_refused(tmp_path):
    bad = tmp_path / "nb.ipynb"
    bad.write_text('{"cells": 3}')
    with pytest.raises(RunError, match="cannot be read as a notebook"):
        read_with_stable_ids(bad)


def _no_ids(path, minor=4):
    """The package's section notebook as a hand-written file: nbformat 4.<minor>, no ids."""
    raw = json.loads((PACKAGE_NOTEBOOKS / "section.ipynb").read_text())
    raw["nbformat_minor"] = minor
    for cell in raw["cells"]:
        cell.pop("id", None)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(raw, indent=1))
    return path


@pytest.mark.parametrize("minor", [4, 5], ids=["nbformat 4.4", "nbformat 4.5 without ids"])
def test_reading_twice_gives_the_same_ids(tmp_path, minor):
    nb = _no_ids(tmp_path / "nb.ipynb", minor)
    first, second = read_with_stable_ids(nb), read_with_stable_ids(nb)
    assert [c.id for c in first.cells] == [c.id for c in second.cells]
    assert [c.id for c in first.cells][:2] == ["cell-1", "cell-2"]
    assert json.loads(nb.read_text())["cells"][0].get("id") is None  # the file is unchanged


@pytest.mark.slow
def test_a_notebook_without_ids_runs_identically_twice(tmp_path, test_store, monkeypatch):
    """nbformat gave each id-less cell a random id as it read the file, so the executed
    notebook (and audit) differed on every run."""
    project = tmp_path / "project"
    _no_ids(project / "notebooks" / "core" / "section.ipynb")
    (project / "council.yaml").write_text("", encoding="utf-8")  # the council's home
    monkeypatch.chdir(project)
    runs = []
    for n in (1, 2):
        p = validate({"period": "2024-02", "report": "core", "store": str(test_store),
                      "as_of": AS_OF, "output_dir": str(tmp_path / f"out{n}")})
        runs.append(runner.run(p, show_progress=False)[0].folder)
    assert output_hashes(runs[0]) == output_hashes(runs[1])
    executed = json.loads((runs[0] / "notebooks" / "place-economy.ipynb").read_text())
    ids = [c["id"] for c in executed["cells"]]  # papermill's parameters cell after the first
    assert ids[:3] == ["cell-1", "injected-parameters", "cell-2"]


def test_a_run_refuses_an_invalid_id_before_executing(tmp_path, test_store, monkeypatch):
    project = tmp_path / "project"
    nb = _no_ids(project / "notebooks" / "core" / "section.ipynb")
    raw = json.loads(nb.read_text())
    raw["cells"][1]["id"] = "two words"
    nb.write_text(json.dumps(raw))
    (project / "council.yaml").write_text("", encoding="utf-8")  # the council's home
    monkeypatch.chdir(project)
    p = validate({"period": "2024-02", "report": "core", "store": str(test_store),
                  "as_of": AS_OF, "output_dir": str(tmp_path / "out")})
    with pytest.raises(RunError, match=r"notebook project:notebooks/core/section.ipynb: cell 2 "
                                       r"has id 'two words'"):
        runner.run(p, show_progress=False)
    assert not (tmp_path / "out").exists()
