"""``kpi load``: validate and store catalogue, returns, programmes or comparators files (the
kinds of :data:`kpilib.store.LOAD_KINDS`, one subcommand each)."""

from __future__ import annotations

from pathlib import Path

from kpilib.cli.common import err, say_store
from kpilib.errors import KpiError, ValidationError
from kpilib.settings.council import load_keys
from kpilib.settings.home import find_settings
from kpilib.store import LOAD_KINDS, Store, sqlite_path


def add(sub, common) -> None:
    p = sub.add_parser("load", help="validate and store catalogue, returns, programmes or "
                                    "comparators files")
    kinds = p.add_subparsers(dest="kind", required=True,
                             metavar="{" + ",".join(LOAD_KINDS) + "}")
    for kind, spec in LOAD_KINDS.items():
        k = kinds.add_parser(kind, parents=[common], help=f"load {spec.help}")
        k.add_argument("files", nargs="+", metavar="FILE", type=Path, help="CSV or .xlsx file")
        k.add_argument("--council", metavar="FILE", default=None,
                       help="the council's settings, whose status and travel keys the file is "
                            "checked against (default: council.yaml in the working folder or "
                            "the nearest folder above it; none: kpilib's built-in keys)")
        k.set_defaults(func=cmd_load)


def cmd_load(args) -> int:
    say_store(args.store)
    file = sqlite_path(args.store)
    new = file is not None and not file.exists()
    keys = load_keys(args.council or find_settings())  # as runs find the council: a bad
    store = Store.open(args.store)                     # key is refused before any store
    store.keys = keys

    def load(path):
        return store.load(args.kind, path)

    failed = 0
    for path in args.files:
        try:
            res = load(path)
        except ValidationError as e:
            err(str(e))
            failed += 1
            continue
        except KpiError:
            if new and store.last_load_id() == 0:  # nothing stored: no new empty store left
                store.close()
                file.unlink(missing_ok=True)
            raise
        if res.already_loaded:
            print(f"{res.source_file}: already loaded on {res.loaded_at}, nothing stored")
        else:
            print(f"loaded {res.source_file}: {res.n_rows} rows (sha256 {res.sha256[:8]}…)")
    if failed:
        err(f"{failed} of {len(args.files)} file{'s' if len(args.files) != 1 else ''} failed")
        if new and failed == len(args.files):  # nothing stored: no new empty store left
            store.close()
            file.unlink(missing_ok=True)
    return 1 if failed else 0
