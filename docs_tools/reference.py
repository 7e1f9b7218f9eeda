"""The generated pages of the documentation site, and the MkDocs hooks that add them.

``mkdocs.yml`` names this file under ``hooks:``. At every build it writes, from kpilib's own
code, so that neither can drift from what the program does:

- ``reference/cli.md``: every ``kpi`` command, subcommand, argument and option, walked from
  the argument parser :func:`kpilib.cli.build_parser` builds;
- ``keys/index.md``: the complete settings files of ``docs/keys/``, each with the words its
  first comment lines quote;
- ``reference/contracts.md``: every file's columns (required or optional) and allowed values
  from the declarations the validators check against (:mod:`kpilib.ingest.contracts`,
  :mod:`kpilib.ingest.files`, the load kinds of :mod:`kpilib.store`, the report types of
  :mod:`kpilib.registry`), and the keys of parameter sets, fleet files and ``council.yaml``
  from the modules that read them.

The pages are committed too, so that they read on a repository browser and links to them
resolve: ``python docs_tools/reference.py`` (run by ``make docs``) rewrites them, the build
always uses freshly generated ones, and ``tests/test_docs.py`` fails when a committed page
differs from what the code generates. Links from
the documentation to repository files outside ``docs/`` (``../kpilib/rules/periods.py``)
are shown as their text, since the site has no source browser.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # this checkout's kpilib, whatever else is installed
    sys.path.insert(0, str(ROOT))
GENERATED = {"reference/cli.md": "cli_page", "reference/contracts.md": "contracts_page",
             "keys/index.md": "keys_page"}
NOTE = ("*This page is generated from kpilib's code at every build of the site "
        "(`docs_tools/reference.py`); do not edit it.*\n")


# --------------------------------------------------------------------------- the CLI


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _help(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    if not action.help or action.help == argparse.SUPPRESS:
        return ""
    return parser._get_formatter()._expand_help(action)


def commands() -> list[tuple[str, argparse.ArgumentParser, str]]:
    """Every runnable command, in ``kpi --help`` order: (``kpi load returns``, its parser,
    its help line); a command with subcommands is listed by its subcommands."""
    from kpilib.cli import build_parser

    out = []

    def walk(prefix: str, parser: argparse.ArgumentParser, help_line: str) -> None:
        children = _subparsers(parser)
        helps = {}
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                helps = {a.dest: a.help or "" for a in action._choices_actions}
        if not children:
            out.append((prefix, parser, help_line))
        for name, child in children.items():
            walk(f"{prefix} {name}", child, helps.get(name, ""))

    walk("kpi", build_parser(), "")
    return [c for c in out if c[0] != "kpi"]


def options(parser: argparse.ArgumentParser) -> list[str]:
    """Every option string of a command's parser (``--store``, ``--as-of``...)."""
    return [o for a in parser._actions for o in a.option_strings if o not in ("-h", "--help")]


def _argument_line(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    if action.option_strings:
        names = ", ".join(action.option_strings)
        if action.nargs != 0:
            metavar = action.metavar or action.dest.upper()
            names += f" {metavar}"
    else:
        names = action.metavar or action.dest
        if action.nargs in ("+", "*"):
            names += "..."
        if action.nargs in ("?", "*"):
            names = f"[{names}]"
    text = _help(parser, action)
    if action.choices and not isinstance(action, argparse._SubParsersAction):
        text += f" (one of: {', '.join(f'`{c}`' for c in action.choices)})"
    return f"- `{names}`: {_escape(text)}".rstrip(": ")


def _escape(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;").replace("*", r"\*")


def cli_page() -> str:
    from kpilib.cli import build_parser

    top = build_parser()
    lines = ["# CLI reference: `kpi`", "", NOTE,
             "Every command below takes `--store URL` (a SQLite file or SQLAlchemy URL; "
             "default `data/kpi.sqlite`), before or after the command name. What each "
             "command does in detail: [Commands: behaviour and options](commands.md).", "",
             "```text", top.format_usage().strip(), "```", "", "| command | what it does |",
             "|---|---|"]
    cmds = commands()
    for name, _parser, help_line in cmds:
        anchor = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        lines.append(f"| [`{name}`](#{anchor}) | {_escape(help_line)} |")
    for name, parser, help_line in cmds:
        anchor = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        usage = parser.format_usage().strip().removeprefix("usage: ")
        lines += ["", f"## `{name}` {{#{anchor}}}", "", _escape(help_line) + ("." if help_line
                  and not help_line.endswith(".") else ""), "", "```text", usage, "```", ""]
        if parser.description:
            lines += [_escape(parser.description), ""]
        args = [a for a in parser._actions
                if "--help" not in a.option_strings
                and not isinstance(a, argparse._SubParsersAction)]
        positional = [a for a in args if not a.option_strings]
        optional = [a for a in args if a.option_strings]
        if positional:
            lines += ["Arguments:", ""] + [_argument_line(parser, a) for a in positional] + [""]
        if optional:
            lines += ["Options:", ""] + [_argument_line(parser, a) for a in optional] + [""]
    return "\n".join(lines).rstrip() + "\n"


# --------------------------------------------------------------------------- data contracts


def _code(values) -> str:
    return ", ".join(f"`{v}`" if v else "empty" for v in values)


def _columns_table(columns, required, notes: dict[str, str]) -> list[str]:
    rows = ["| column | required | allowed values |", "|---|---|---|"]
    for c in columns:
        rows.append(f"| `{c}` | {'required' if c in required else 'optional'} | "
                    f"{notes.get(c, '')} |")
    return rows + [""]


def contract_files() -> dict[str, dict]:
    """Each file kpilib reads or writes: its columns, the required ones, allowed values."""
    from kpilib import registry
    from kpilib.ingest import contracts as c

    catalogue_notes = {k: _code(v) for k, v in c.ENUMS.items()}
    catalogue_notes["report"] = ("a registered report type: " + _code(registry.names()))
    for column, kind in c.KEY_COLUMNS.items():
        catalogue_notes[column] = (f"the id of a {kind} key (kpilib's built-in ones or the "
                                   "council's own); empty: the council's default")
    for column in c.CATALOGUE_ADDED:
        catalogue_notes[column] = (catalogue_notes.get(column, "") +
                                   " (added later: a store made before gains it empty)").strip()
    returns_notes = {"status": _code(c.STATUSES), "internal": _code(c.INTERNAL)}
    for column in c.NUMBERS:
        returns_notes[column] = "a number"
    return {
        "KPI catalogue (`kpi load catalogue`)": dict(
            columns=c.CATALOGUE_COLUMNS, required=c.CATALOGUE_REQUIRED, notes=catalogue_notes,
            after=[f"A breakdown override row (its `breakdown` set) fills only "
                   f"{_code(c.OVERRIDE_COLUMNS)}."]),
        "Returns (`kpi load returns`)": dict(
            columns=c.RETURN_COLUMNS, required=c.RETURN_REQUIRED, notes=returns_notes,
            after=[f"Statuses that mean no figure: {_code(c.NO_DATA)}; "
                   f"`{c.PROVISIONAL}`: figures given, to be confirmed."]),
        "Targets (`kpi load targets`)": dict(
            columns=c.TARGET_COLUMNS, required=c.TARGET_REQUIRED, notes={},
            after=["Further columns: the reference values the council's keys name."]),
        "Statuses set by judgement (`kpi load overrides`)": dict(
            columns=c.OVERRIDE_LOAD_COLUMNS, required=c.OVERRIDE_LOAD_REQUIRED,
            notes={"status": "a status of the KPI's key"}, after=[]),
        "Programmes (`kpi load programmes`)": dict(
            columns=c.PROGRAMME_COLUMNS, required=c.PROGRAMME_REQUIRED,
            notes={"status": _code(c.PROGRAMME_STATUSES)}, after=[]),
        "Comparators (`kpi load comparators`)": dict(
            columns=c.COMPARATOR_COLUMNS, required=c.COMPARATOR_REQUIRED,
            notes={"value": "a number in the KPI's unit"}, after=[]),
        "Results (`results.csv`, written by every run)": dict(
            columns=c.RESULTS_COLUMNS, required=c.RESULTS_COLUMNS, notes={}, after=[]),
    }


def settings_files() -> dict[str, tuple[dict[str, str], tuple[str, ...]]]:
    """Each YAML file kpilib reads: its keys (with what they mean) and the required ones."""
    from kpilib.run import fleet
    from kpilib.settings import council, params

    return {
        "Parameter set (`params/*.yaml`, `kpi run PARAMS`)": (params.KEYS, params.REQUIRED),
        "Fleet file (`kpi fleet FLEET`)": (fleet.KEYS, ("councils", "periods")),
        "A council of a fleet file (under `councils:`)": (fleet.COUNCIL_KEYS,
                                                           ("name", "store")),
        "Council settings (`council.yaml`)": ({k: "" for k in council.KEYS}, ()),
    }


def contracts_page() -> str:
    from kpilib.ingest import files
    from kpilib.store import LOAD_KINDS

    lines = ["# Data contracts: columns and keys", "", NOTE,
             "The rules behind each column are in [Data contracts](data-contracts.md) and "
             "[the reporting rules](../reporting-rules.md).", "",
             "## Every file", "",
             "UTF-8 CSV, or `.xlsx` (first sheet), with a header row; column order does not "
             "matter; an unknown column is an error. Limits:", "",
             f"- at most {files.MAX_FILE_BYTES // 2**20} MB a file, an `.xlsx` unpacking to "
             f"at most {files.MAX_UNPACKED_BYTES // 2**20} MB;",
             f"- at most {files.MAX_ROWS:,} rows and {files.MAX_COLUMNS} columns;",
             f"- at most {files.MAX_CELL_CHARS:,} characters in a value.", "",
             "## Load kinds (`kpi load KIND`)", "", "| kind | files |", "|---|---|"]
    lines += [f"| `{name}` | {spec.help} |" for name, spec in LOAD_KINDS.items()] + [""]
    for title, spec in contract_files().items():
        lines += [f"## {title}", ""]
        lines += _columns_table(spec["columns"], spec["required"], spec["notes"])
        lines += [*spec["after"], ""] if spec["after"] else []
    for title, (keys, required) in settings_files().items():
        lines += [f"## {title}", "", "| key | required | meaning |", "|---|---|---|"]
        lines += [f"| `{k}` | {'required' if k in required else 'optional'} | "
                  f"{_escape(v.removeprefix('optional: '))} |" for k, v in keys.items()]
        lines += [""]
    return "\n".join(lines).rstrip() + "\n"


# --------------------------------------------------------------------------- docs/keys


def keys_page() -> str:
    """``docs/keys/``: each file with the words of the key it holds (its opening comments)."""
    lines = ["# Status and travel keys of other bodies", "", NOTE,
             "Each file is a complete `council.yaml` holding one body's status and travel keys, "
             "in the language of [the reporting rules, section 3.1]"
             "(../reporting-rules.md#31-the-language-of-status-keys); "
             "`tests/test_key_files.py` loads every one. Copy the one like yours and edit it "
             "([Add a status key](../how-to/status-key.md)).", "",
             "| file | the key, in the body's words |", "|---|---|"]
    for path in sorted((ROOT / "docs" / "keys").glob("*.yaml")):
        comments = []
        for line in path.read_text(encoding="utf-8").splitlines()[:6]:
            if not line.startswith("#"):
                break
            comments.append(line.lstrip("# ").strip())
        text = " ".join(comments).split(": ", 1)[-1]
        lines.append(f"| [`{path.name}`]({path.name}) | {_escape(text)} |")
    return "\n".join(lines) + "\n"


def page(path: str) -> str:
    return globals()[GENERATED[path]]()


# --------------------------------------------------------------------------- MkDocs hooks


def on_files(files, config):
    from mkdocs.structure.files import File

    for path in GENERATED:
        committed = files.get_file_from_path(path)
        if committed is not None:
            files.remove(committed)
        files.append(File.generated(config, path, content=page(path)))
    return files


_LINK = re.compile(r"\[([^\]]+)\]\(([^)#\s:]+)(#[^)\s]*)?\)")


def on_page_markdown(markdown, page, config, files):
    """A link to a repository file outside ``docs/`` becomes its text (no source browser)."""
    docs = Path(config["docs_dir"]).resolve()
    here = (docs / page.file.src_uri).parent

    def plain(m):
        target = (here / m.group(2)).resolve()
        if target.is_dir() and target.is_relative_to(docs) and \
                files.get_file_from_path(f"{target.relative_to(docs).as_posix()}/index.md"):
            return f"[{m.group(1)}]({m.group(2).rstrip('/')}/index.md{m.group(3) or ''})"
        if target.is_relative_to(docs) or not target.is_relative_to(ROOT) or \
                not target.exists():
            return m.group(0)
        return m.group(1)

    return _LINK.sub(plain, markdown)


def write_pages() -> list[str]:
    """Write every generated page into ``docs/``; returns those that changed."""
    changed = []
    for path in GENERATED:
        target = ROOT / "docs" / path
        text = page(path)
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


if __name__ == "__main__":
    for path in write_pages():
        print(f"wrote docs/{path}")
