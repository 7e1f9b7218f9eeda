"""``kpi``: the command-line shell over kpilib (argparse; parsing and printing only).

Each command is one module of this package with ``add(sub, common)`` registering its
subparser (``parents=[common]`` gives it ``--store``) with ``set_defaults(func=...)``; a new
command is a new module listed in :data:`COMMANDS`. ``args.store`` is always set (default
``data/kpi.sqlite``).

Every :class:`~kpilib.errors.KpiError` is printed to stderr with exit code 1, and so is
what the machine refuses (an :class:`OSError`: a folder where a file was expected, a full
disk; a database error: a busy, read-only or damaged store), each line of it cut to
:data:`LINE_CHARS`; usage errors exit 2; Ctrl-C prints ``kpi COMMAND: interrupted`` and exits
130 (nothing is published: a run discards its staging folder); anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import argparse

import sqlalchemy as sa

from kpilib.cli import (
    audit,
    changes,
    demo,
    doctor,
    export,
    fleet,
    keygen,
    load,
    results,
    revisions,
    run,
    signoff,
    status,
    template,
)
from kpilib.cli.common import DEFAULT_STORE, LINE_CHARS, err, format_table
from kpilib.errors import KpiError, shown
from kpilib.store.urls import store_error

__all__ = ["COMMANDS", "DEFAULT_STORE", "LINE_CHARS", "build_parser", "format_table", "main"]

INTERRUPTED = 130  # the exit code of a command stopped by Ctrl-C (128 + SIGINT), as shells use

# the commands, in the order ``kpi --help`` lists them
COMMANDS = (load, run, results, audit, signoff, revisions, status, doctor, keygen, demo,
            changes, export, template, fleet)


def build_parser() -> argparse.ArgumentParser:
    # --store is accepted before the command (main parser, with the default) and after
    # it (each command's parser; SUPPRESS keeps the main parser's value when absent).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--store", default=argparse.SUPPRESS, metavar="URL",
                        help=f"SQLite file or SQLAlchemy URL (default: {DEFAULT_STORE})")
    parser = argparse.ArgumentParser(prog="kpi", description="Reproducible KPI reports.")
    parser.add_argument("--store", default=None, metavar="URL",
                        help=f"SQLite file or SQLAlchemy URL (default: {DEFAULT_STORE})")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # usage error (2) or --help (0)
        return e.code if isinstance(e.code, int) else 2
    args.store_given = args.store is not None
    if args.store_given and not args.store.strip():
        err(f"kpi {args.command}: --store is empty; expected a SQLite file path or a "
             "SQLAlchemy URL")
        return 2
    args.store = args.store or DEFAULT_STORE
    try:
        return args.func(args)
    except KeyboardInterrupt:  # Ctrl-C: a run's staging folder is discarded, nothing published
        err(f"kpi {args.command}: interrupted")
        return INTERRUPTED
    except KpiError as e:
        message = str(e)
    except sa.exc.DBAPIError as e:  # a database refusing: busy, read-only, damaged, gone
        message = str(store_error(args.store, e))
    except OSError as e:  # the machine refusing: a folder for a file, a full disk, no access
        where = f": {e.filename}" if e.filename else ""
        message = f"{e.strerror or e}{where}"
    err("\n".join(shown(line, LINE_CHARS) for line in f"kpi {args.command}: {message}"
                   .splitlines()))
    return 1

