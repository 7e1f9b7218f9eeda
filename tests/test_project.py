"""Project hygiene: dependency lists agree, the README documents every command, notebooks stay thin."""

import re
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml

from kpilib.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _spec(req: str) -> str:
    return re.sub(r"\s+", "", req.split(";")[0]).lower().replace("_", "-")


def test_environment_yml_and_pyproject_list_the_same_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pyproject = {_spec(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_spec(d) for d in env["dependencies"] if isinstance(d, str)} - {"pip"}
    conda = {d for d in conda if not d.startswith("python")}
    assert conda == pyproject, (
        f"only in environment.yml: {sorted(conda - pyproject)}; "
        f"only in pyproject.toml: {sorted(pyproject - conda)}")
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_section


def _commands():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    out = []
    for name, p in sub.choices.items():
        nested = [a for a in p._actions if getattr(a, "choices", None) and a.dest == "kind"]
        if nested:
            out += [f"kpi {name} {k}" for k in nested[0].choices]
        else:
            out.append(f"kpi {name}")
    return out


def _written_docs() -> str:
    """README.md and the hand-written pages of docs/ (the generated CLI reference lists every
    command and option by construction, so it does not count here)."""
    generated = {"reference/cli.md", "reference/contracts.md", "keys/index.md"}
    pages = [p for p in sorted((ROOT / "docs").rglob("*.md"))
             if p.relative_to(ROOT / "docs").as_posix() not in generated]
    return "\n".join(p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *pages])


@pytest.mark.parametrize("command", _commands())
def test_documentation_describes_every_command(command):
    assert command in _written_docs(), f"neither README.md nor docs/ mention `{command}`"


def _options():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        for a in p._actions:
            for opt in a.option_strings:
                if opt.startswith("--") and opt != "--help":
                    yield f"kpi {name} {opt}"


@pytest.mark.parametrize("option", sorted(set(_options())))
def test_documentation_describes_every_flag(option):
    flag = option.split()[-1]
    assert flag in _written_docs(), f"neither README.md nor docs/ mention {option}"


def test_readme_quickstart_is_two_commands():
    text = (ROOT / "README.md").read_text()
    assert "make report" in text and "make test" in text


NOTEBOOKS = sorted([*(ROOT / "notebooks").rglob("*.ipynb"),
                    *(ROOT / "kpilib" / "notebooks").glob("*.ipynb")])


def test_every_notebook_is_checked():
    assert len(NOTEBOOKS) >= 3  # the standard overview and section, and a directorate's own


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_notebooks_are_thin_and_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].metadata.get("tags") == ["parameters"]
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert not cell.outputs and cell.execution_count is None, f"{path.name} has outputs"
        assert not re.search(r"^\s*(def|class|async def)\s", cell.source, re.M), \
            f"{path.name} defines a function or class: move it into kpilib"
        if "parameters" not in cell.metadata.get("tags", []):
            assert len(cell.source.splitlines()) <= 8, f"{path.name}: cells stay short"


def test_modules_stay_small():
    for path in sorted((ROOT / "kpilib").rglob("*.py")):
        n = len(path.read_text().splitlines())
        assert n <= 500, f"{path.relative_to(ROOT)} has {n} lines: it is two concepts"


def test_ruff_is_clean():
    import shutil
    import subprocess
    import sys

    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (it is in the test extra: pip install -e '.[test]')")
    proc = subprocess.run([ruff, "check", "kpilib", "tests", "bench", "conftest.py"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")), ROOT / "bench" / "README.md"]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_documents_link_only_inside_the_repository(doc):  # (the site's build checks anchors)
    """A clone of the project has nothing outside it: every relative link resolves inside."""
    text = doc.read_text(encoding="utf-8")
    assert "../shared" not in text
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if re.match(r"^[a-z]+:", target):  # http:, https:, mailto:
            continue
        path = (doc.parent / target).resolve()
        assert path.is_relative_to(ROOT), f"{doc.name} links outside the repository: {target}"
        assert path.exists(), f"{doc.name} links to a missing file: {target}"
