"""The package's shape, checked from the source: no import cycles, stages import only earlier
stages, and the pure rules import no I/O.

Every ``import`` and ``from ... import`` statement of every module counts, wherever it is:
at the top, inside a function, under ``if TYPE_CHECKING:``.  Imports made by name at run time
(:func:`kpilib.registry.discover` finding report-type modules with importlib) are not
statements and do not count.  Each check is a plain function over an import graph; the
self-checks at the end run it on a synthetic graph that breaks it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "kpilib"

# --------------------------------------------------------------------------- the rules, as data

# Pipeline stages, earliest first.  A module may import modules of its own stage or an earlier
# one.  A module's stage is its longest listed prefix ("kpilib" alone is the root package's
# __init__, which holds only __version__).
STAGES: list[tuple[str, tuple[str, ...]]] = [
    ("base", ("kpilib", "kpilib.errors", "kpilib.clock", "kpilib.plugins", "kpilib.registry",
              "kpilib.startup")),
    ("rules", ("kpilib.rules",)),
    ("io", ("kpilib.io",)),
    ("ingest", ("kpilib.ingest",)),
    ("store", ("kpilib.store",)),
    ("reports", ("kpilib.reports",)),
    ("render", ("kpilib.render",)),
    ("settings", ("kpilib.settings",)),
    ("publish", ("kpilib.publish",)),
    ("run", ("kpilib.run",)),
    ("audit", ("kpilib.audit",)),
    ("top", ("kpilib.api", "kpilib.notebook", "kpilib.cli", "kpilib.demo")),
]

# Imports that break the stage order on purpose: (importer, imported) -> why.  None today.
LAYER_EXCEPTIONS: dict[tuple[str, str], str] = {}

NOTEBOOK_EXECUTION = ("nbformat", "nbclient", "nbconvert", "papermill", "jupyter_client",
                      "ipykernel")
FILES_AND_PROCESSES = ("pathlib", "os", "shutil", "tempfile", "glob", "fileinput", "subprocess",
                       "multiprocessing", "concurrent", "socket", "urllib", "http", "requests",
                       "sqlite3", "zipfile", "openpyxl")

# What a stage must not import, by module name (a name covers its submodules).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    # the pure rules: values in, values out
    "rules": ("kpilib.io", "kpilib.ingest", "kpilib.store", "kpilib.reports", "kpilib.render",
              "kpilib.settings", "kpilib.publish", "kpilib.run",
              "kpilib.audit", "kpilib.notebook", "kpilib.cli", "kpilib.demo", "sqlalchemy",
              "pandas", "numpy", "pandera", *NOTEBOOK_EXECUTION, *FILES_AND_PROCESSES,
              "io", "csv", "json", "pickle", "yaml"),
    # file validation: reads files, stores nothing, runs no notebook
    "ingest": ("kpilib.store", "sqlalchemy", *NOTEBOOK_EXECUTION),
    # the report model: computed from a snapshot's frames, not from the store or files
    "reports": ("kpilib.store", "sqlalchemy", *NOTEBOOK_EXECUTION, *FILES_AND_PROCESSES),
    # safe reading and writing of files: nothing of the pipeline above it
    "io": ("kpilib.ingest", "kpilib.store", "sqlalchemy", *NOTEBOOK_EXECUTION),
    # a council's settings and a run's parameters: read and checked, no store, no kernels
    "settings": ("kpilib.store", "sqlalchemy", *NOTEBOOK_EXECUTION),
    # publication: what is written and proved, never a notebook executed
    "publish": ("nbclient", "papermill", "jupyter_client", "ipykernel"),
    # pages from the report model: no store, no kernels
    "render": ("kpilib.store", "sqlalchemy", "nbclient", "papermill", "jupyter_client",
               "ipykernel"),
}

# Everything the pure rules may import (anything else is a decision to make here).
ALLOWED: dict[str, tuple[str, ...]] = {
    "rules": ("__future__", "re", "math", "dataclasses", "functools", "typing", "difflib",
              "itertools",
              "collections.abc", "kpilib.errors", "kpilib.rules"),
}

# builtins that do I/O, never called by the pure rules
FORBIDDEN_CALLS: dict[str, tuple[str, ...]] = {"rules": ("open", "input", "print", "exec",
                                                         "eval", "__import__")}


# --------------------------------------------------------------------------- the import graph


@dataclass(frozen=True)
class Import:
    importer: str
    target: str  # the kpilib module it reaches, or the outside module's dotted name
    line: int

    def __str__(self) -> str:
        return f"{self.importer} (line {self.line}) imports {self.target}"


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_modules(package: Path = PACKAGE) -> dict[str, Path]:
    return {module_name(p, package.parent): p for p in sorted(package.rglob("*.py"))
            if "__pycache__" not in p.parts}


def imports_of(source: str, module: str, is_package: bool, modules) -> list[Import]:
    """Every import statement of a module, anywhere in it; kpilib targets resolved to the
    module they load (``from kpilib.render import html`` -> ``kpilib.render.html`` when that
    is a module, else the package), relative imports resolved."""
    package = module if is_package else module.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                if node.level - 1 > len(base) - 1:
                    raise ValueError(f"{module}: relative import beyond the top package")
                base = base[:len(base) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            names = [(origin, a.name) for a in node.names]
        else:
            continue
        for origin, name in names:
            top = origin.split(".")[0]
            if top != "kpilib":
                out.append(Import(module, origin, node.lineno))
                continue
            if name and f"{origin}.{name}" in modules:
                target = f"{origin}.{name}"
            elif origin in modules:
                target = origin
            else:
                target = f"{origin} (no such kpilib module)"
            out.append(Import(module, target, node.lineno))
    return out


def import_graph(package: Path = PACKAGE) -> tuple[dict[str, set[str]], list[Import]]:
    """``{module: kpilib modules it imports}`` and every import record (outside ones too)."""
    modules = source_modules(package)
    records = []
    for name, path in modules.items():
        records += imports_of(path.read_text(encoding="utf-8"), name,
                              path.name == "__init__.py", modules)
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for r in records:
        if r.target in modules and r.target != r.importer:
            graph[r.importer].add(r.target)
    return graph, records


GRAPH, RECORDS = import_graph()


# --------------------------------------------------------------------------- the checks


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components (each sorted), in a deterministic order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def a_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One import cycle through the component's first module: ``[a, b, ..., a]``."""
    members, start = set(component), component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph.get(v, ())):
            if w == start:
                return paths[v] + [start]
            if w in members and w not in paths:
                paths[w] = paths[v] + [w]
                queue.append(w)
    raise AssertionError(f"{component} is not a cycle")


def cycles(graph: dict[str, set[str]]) -> list[str]:
    return [" -> ".join(a_cycle(graph, c)) for c in strongly_connected(graph) if len(c) > 1]


def stage_of(module: str) -> str | None:
    best, stage = -1, None
    for name, prefixes in STAGES:
        for p in prefixes:
            if (module == p or (p != "kpilib" and module.startswith(p + "."))) and len(p) > best:
                best, stage = len(p), name
    return stage


def _rank(stage: str) -> int:
    return [name for name, _ in STAGES].index(stage)


def layer_violations(records: list[Import], exceptions=LAYER_EXCEPTIONS) -> list[str]:
    out = []
    for r in records:
        if not r.target.startswith("kpilib") or (r.importer, r.target) in exceptions:
            continue
        src, dst = stage_of(r.importer), stage_of(r.target)
        if src is None or dst is None:
            out.append(f"{r}: no stage for {r.importer if src is None else r.target}")
        elif _rank(dst) > _rank(src):
            out.append(f"{r}: stage {src} imports the later stage {dst}")
    return out


def _covers(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def forbidden_imports(records: list[Import], stage: str, forbidden: str) -> list[str]:
    return [str(r) for r in records if stage_of(r.importer) == stage
            and _covers(r.target, forbidden)]


def unlisted_imports(records: list[Import], module: str, allowed: tuple[str, ...]) -> list[str]:
    return [str(r) for r in records if r.importer == module
            and not any(_covers(r.target, a) for a in allowed)]


def forbidden_calls(source: str, names: tuple[str, ...]) -> list[str]:
    return [f"line {n.lineno}: {n.func.id}()" for n in ast.walk(ast.parse(source))
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in names]


# --------------------------------------------------------------------------- the package


def test_the_graph_is_the_package():
    assert len(GRAPH) >= 40
    assert "kpilib.run.runner" in GRAPH["kpilib.audit.audit"]
    # an import inside a function counts (cli imports the runner only when it runs)
    assert "kpilib.run.runner" in GRAPH["kpilib.cli.run"]
    unresolved = [str(r) for r in RECORDS if "no such kpilib module" in r.target]
    assert not unresolved, "\n".join(unresolved)


def test_no_import_cycles():
    found = cycles(GRAPH)
    assert not found, "import cycles:\n  " + "\n  ".join(found)


def test_every_module_has_a_stage():
    missing = sorted(m for m in GRAPH if stage_of(m) is None)
    assert not missing, f"modules in no stage (add them to STAGES): {missing}"


def test_stages_import_only_their_own_or_earlier_stages():
    found = layer_violations(RECORDS)
    assert not found, "\n".join(found)


def test_layer_exceptions_are_still_needed():
    stale = [pair for pair in LAYER_EXCEPTIONS
             if not any((r.importer, r.target) == pair for r in RECORDS)]
    assert not stale, f"exceptions for imports that no longer exist: {stale}"


@pytest.mark.parametrize(("stage", "forbidden"),
                         [(s, f) for s, names in FORBIDDEN.items() for f in names],
                         ids=lambda v: v)
def test_stage_does_not_import(stage, forbidden):
    assert any(stage_of(m) == stage for m in GRAPH), f"no module in stage {stage}"
    found = forbidden_imports(RECORDS, stage, forbidden)
    assert not found, "\n".join(found)


@pytest.mark.parametrize(("stage", "module"),
                         [(s, m) for s in ALLOWED for m in sorted(GRAPH) if stage_of(m) == s],
                         ids=lambda v: v)
def test_pure_modules_import_only_what_is_allowed(stage, module):
    found = unlisted_imports(RECORDS, module, ALLOWED[stage])
    assert not found, (f"not in ALLOWED[{stage!r}] (a pure module does no I/O):\n"
                       + "\n".join(found))


@pytest.mark.parametrize(("stage", "module"),
                         [(s, m) for s in FORBIDDEN_CALLS for m in sorted(GRAPH)
                          if stage_of(m) == s], ids=lambda v: v)
def test_pure_modules_call_no_io_builtins(stage, module):
    path = source_modules()[module]
    found = forbidden_calls(path.read_text(encoding="utf-8"), FORBIDDEN_CALLS[stage])
    assert not found, f"{module}: " + ", ".join(found)


# --------------------------------------------------------------------------- self-checks


def test_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"a"}}
    assert cycles(graph) == ["a -> b -> c -> a"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
    assert cycles({"x": {"y"}, "y": {"x"}, "p": {"q"}, "q": {"p"}}) == ["p -> q -> p",
                                                                     "x -> y -> x"]


def test_imports_are_found_everywhere_and_resolved():
    modules = {"kpilib", "kpilib.render", "kpilib.render.html", "kpilib.render.page",
               "kpilib.store", "kpilib.rules", "kpilib.rules.rag", "kpilib.rules.travel"}
    source = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from kpilib.store import Store\n"
        "def f():\n"
        "    import sqlalchemy.orm\n"
        "    from kpilib.render import html, page_file\n"
        "from . import rag\n"
        "from .rag import scheme\n"
        "from .. import __version__\n"
        "import kpilib.render.page\n"
    )
    got = {(r.target, r.line) for r in imports_of(source, "kpilib.rules.travel", False,
                                                   modules)}
    assert got == {("__future__", 1), ("typing", 2), ("kpilib.store", 4),
                   ("sqlalchemy.orm", 6), ("kpilib.render.html", 7), ("kpilib.render", 7),
                   ("kpilib.rules.rag", 8), ("kpilib.rules.rag", 9), ("kpilib", 10),
                   ("kpilib.render.page", 11)}


def test_layering_check_sees_a_later_stage():
    bad = [Import("kpilib.rules.targets", "kpilib.ingest.contracts", 14),
           Import("kpilib.store.database", "kpilib.rules.periods", 3),
           Import("kpilib.newstage.x", "kpilib.errors", 1)]
    found = layer_violations(bad, exceptions={})
    assert len(found) == 2
    assert "stage rules imports the later stage ingest" in found[0]
    assert "no stage for kpilib.newstage.x" in found[1]
    assert layer_violations(bad[:1], {("kpilib.rules.targets", "kpilib.ingest.contracts"):
                                      "a reason"}) == []


def test_forbidden_and_allowed_checks_see_io():
    records = [Import("kpilib.rules.rag", "os.path", 2), Import("kpilib.rules.rag", "re", 3),
               Import("kpilib.rules.rag", "osmosis", 4)]
    assert forbidden_imports(records, "rules", "os") == ["kpilib.rules.rag (line 2) imports "
                                                         "os.path"]
    assert unlisted_imports(records, "kpilib.rules.rag", ALLOWED["rules"]) == [
        "kpilib.rules.rag (line 2) imports os.path", "kpilib.rules.rag (line 4) imports osmosis"]
    assert forbidden_calls("def f(p):\n    return open(p).read()\n", ("open",)) == [
        "line 2: open()"]
