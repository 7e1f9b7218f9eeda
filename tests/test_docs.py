"""The documentation: README as a front page, the MkDocs site, its generated reference pages,
the design notes covering every module, and every shell example run as written."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs_tools"))
import reference  # noqa: E402  (docs_tools/reference.py: the generator the site's build runs)

README_MAX_LINES = 250
SHELL = ("sh", "bash", "console", "shell")
NOT_RUN = re.compile(r"<!--\s*not-run:\s*(.+?)\s*-->")
# Every example not run by this file, page by page: marking one is a decision, made here too.
NOT_RUN_EXPECTED = {
    "README.md": 2,  # make report / make test; the cycle with a council's own file names
    "docs/tutorial.md": 1,  # installing kpilib from a path
    "docs/how-to/monthly-cycle.md": 1,  # the cycle with a council's own file names
    "docs/how-to/export.md": 1,  # the PDF pack (headless Chromium)
    "docs/how-to/report-type.md": 1,  # the toy report type (tests/test_report_types.py)
    "docs/how-to/year.md": 2,  # a whole year's runs and audits (tests/test_year.py)
}
# Pages whose examples start from an empty folder, not a copy of the project.
EMPTY_FOLDER = {"docs/tutorial.md"}


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def examples(path: Path) -> list[tuple[int, str, str | None]]:
    """Each shell block of a page: (line, code, the reason it is not run, or None)."""
    out, lines, i = [], path.read_text(encoding="utf-8").splitlines(), 0
    while i < len(lines):
        m = re.match(r"^```(\w+)\s*$", lines[i])
        if m:
            j = next(k for k in range(i + 1, len(lines)) if lines[k].startswith("```"))
            if m.group(1) in SHELL:
                before = next((lines[k] for k in range(i - 1, -1, -1) if lines[k].strip()), "")
                reason = NOT_RUN.search(before)
                out.append((i + 1, "\n".join(lines[i + 1:j]), reason and reason.group(1)))
            i = j
        i += 1
    return out


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


# --------------------------------------------------------------------------- the README


def test_readme_is_a_front_page():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    n = len(text.splitlines())
    assert n <= README_MAX_LINES, f"README.md has {n} lines (at most {README_MAX_LINES}): " \
                                  "move the detail into docs/"
    for needed in ("make report", "make test", "## The monthly cycle", "docs/tutorial.md",
                   "docs/reference/cli.md", "docs/design.md", "docs/reporting-rules.md"):
        assert needed in text, f"README.md does not mention {needed}"


# --------------------------------------------------------------------------- the site


def mkdocs() -> list[str]:
    exe = shutil.which("mkdocs", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("mkdocs is not installed (it is in the test extra: pip install -e '.[test]')")
    return [exe]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run([*mkdocs(), "build", "--strict", "--site-dir", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, "mkdocs build --strict failed:\n" + proc.stdout + proc.stderr
    return out


def test_site_builds_strictly_with_every_part(site):
    for page in ("index.html", "tutorial.html", "how-to/monthly-cycle.html",
                 "reference/cli.html", "reference/contracts.html", "keys/index.html",
                 "reporting-rules.html", "design.html"):
        assert (site / page).is_file(), f"the site has no {page}"


def test_site_needs_no_network(site):
    """No script, stylesheet, font or image from outside the site (links out are fine)."""
    remote = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=\"(?:https?:)?//",
                        re.I)
    for page in site.rglob("*.html"):
        found = remote.search(page.read_text(encoding="utf-8"))
        assert not found, f"{page.relative_to(site)} loads {found.group(0)} from the network"
    for css in site.rglob("*.css"):
        assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", css.read_text("utf-8", "replace")), \
            f"{css.relative_to(site)} loads from the network"


def test_rules_are_one_page_of_the_site(site):
    html = (site / "reporting-rules.html").read_text(encoding="utf-8")
    for heading in re.findall(r"^## (.+)$", (ROOT / "docs/reporting-rules.md").read_text(),
                              re.M)[:3]:
        assert heading.split("(")[0].strip().split(". ", 1)[-1] in html


def test_every_markdown_page_is_in_the_navigation():
    import yaml

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text().replace("!!python", "#"))

    def walk(node):
        if isinstance(node, str):
            yield node
        elif isinstance(node, list):
            for n in node:
                yield from walk(n)
        elif isinstance(node, dict):
            for n in node.values():
                yield from walk(n)

    nav = set(walk(config["nav"]))
    written = {p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")}
    assert written | set(reference.GENERATED) == nav


# --------------------------------------------------------------------------- generated pages


def test_cli_reference_lists_every_command_and_option():
    page = reference.cli_page()
    cmds = reference.commands()
    assert len(cmds) >= 15
    for name, parser, _help in cmds:
        section = page.split(f"## `{name}`", 1)
        assert len(section) == 2, f"the CLI reference has no section for {name}"
        body = section[1].split("\n## ", 1)[0]
        for option in reference.options(parser):
            assert f"`{option}" in body, f"the CLI reference does not give {name} {option}"
        for action in parser._actions:
            if action.choices and not action.option_strings:
                for choice in action.choices:
                    assert f"`{choice}`" in body


@pytest.mark.parametrize("title", list(reference.contract_files()))
def test_contracts_reference_matches_the_validators(title):
    from kpilib.ingest import contracts

    spec = reference.contract_files()[title]
    page = reference.contracts_page()
    body = page.split(f"## {title}", 1)[1].split("\n## ", 1)[0]
    for column in spec["columns"]:
        need = "required" if column in spec["required"] else "optional"
        assert re.search(rf"^\| `{re.escape(column)}` \| {need} \|", body, re.M), \
            f"{title}: column {column} is not listed as {need}"
    if "catalogue" in title:
        for column, values in contracts.ENUMS.items():
            row = re.search(rf"^\| `{column}` \|.*$", body, re.M).group(0)
            assert all(f"`{v}`" in row for v in values), f"{column}: {values} not all listed"
    if title.startswith("Returns"):
        row = re.search(r"^\| `status` \|.*$", body, re.M).group(0)
        assert all(f"`{v}`" in row for v in contracts.STATUSES if v)


def test_contracts_reference_gives_every_settings_key():
    from kpilib.run import fleet
    from kpilib.settings import council, params

    page = reference.contracts_page()
    for key in (*params.KEYS, *fleet.KEYS, *fleet.COUNCIL_KEYS, *council.KEYS):
        assert f"| `{key}` |" in page, f"the contracts reference does not give the key {key}"


@pytest.mark.parametrize("path", list(reference.GENERATED))
def test_committed_generated_pages_match_the_code(path):
    committed = (ROOT / "docs" / path).read_text(encoding="utf-8")
    assert committed == reference.page(path), (
        f"docs/{path} differs from what the code generates: run `make docs` "
        "(or python docs_tools/reference.py) and commit it")


def test_keys_page_lists_every_key_file():
    page = reference.keys_page()
    for path in (ROOT / "docs" / "keys").glob("*.yaml"):
        assert f"]({path.name})" in page


# --------------------------------------------------------------------------- design notes


def modules() -> list[str]:
    return sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "kpilib").rglob("*.py")
                  if p.name != "__init__.py" and "__pycache__" not in p.parts)


@pytest.mark.parametrize("module", modules())
def test_design_notes_mention_every_module(module):
    text = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    short = module.removeprefix("kpilib/")
    assert module in text or short in text, \
        f"docs/design.md does not mention {module}: add a line saying what it is for"


def test_design_notes_say_how_to_extend():
    text = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    for heading in ("## Adding a report type", "## Adding an export", "## Adding a load kind"):
        assert heading in text


# --------------------------------------------------------------------------- shell examples


def test_not_run_examples_are_deliberate():
    found = {}
    for page in pages():
        n = sum(1 for _line, _code, reason in examples(page) if reason)
        if n:
            found[rel(page)] = n
    assert found == NOT_RUN_EXPECTED, (
        "examples marked <!-- not-run: ... --> changed; update NOT_RUN_EXPECTED if meant: "
        f"{found}")


RUN_PAGES = [p for p in pages() if any(reason is None for *_x, reason in examples(p))]


def _project_copy(dest: Path) -> None:
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in filter(None, listed.split("\0")):
        src = ROOT / name
        if src.is_file() and not src.is_symlink() and not name.startswith("node_modules"):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    (dest / ".venv").symlink_to(sys.prefix, target_is_directory=True)


@pytest.mark.slow
@pytest.mark.parametrize("page", RUN_PAGES, ids=rel)
def test_shell_examples_run(page, tmp_path):
    """A page's examples, in order, in one shell: in a copy of the project (or, for the
    tutorial, an empty folder), with ``kpi`` on PATH from this interpreter's environment."""
    work = tmp_path / "work"
    work.mkdir()
    if rel(page) not in EMPTY_FOLDER:
        _project_copy(work)
    code = [line + "\n" for line in ("set -euo pipefail",)]
    for line, block, reason in examples(page):
        if reason is None:
            code.append(f"echo '>>> {rel(page)}:{line}' >&2\n{block}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KPILIB_", "KPI_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    # kpi imports this checkout's kpilib (the copy's, for a project copy)
    env["PYTHONPATH"] = str(ROOT if rel(page) in EMPTY_FOLDER else work)
    proc = subprocess.run(["bash", "-c", "".join(code)], cwd=work, env=env,
                          capture_output=True, text=True, timeout=900)
    where = [ln for ln in proc.stderr.splitlines() if ln.startswith(">>> ")]
    assert proc.returncode == 0, (
        f"{rel(page)}: the example at {where[-1][4:] if where else '?'} failed "
        f"(exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
