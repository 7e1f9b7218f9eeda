"""``kpi demo``: build a demo council's store from generated data."""

from __future__ import annotations

from pathlib import Path

from kpilib.cli.common import say_store
from kpilib.errors import StoreError
from kpilib.store import Store, sqlite_path

# demo council -> (its default store, its CSV folder); kpilib.demo.BUILDERS builds each
COUNCILS = {"nnc": ("data/kpi.sqlite", "data/demo"), "kent": ("data/kent.sqlite", "data/demo/kent"),
            "county": ("data/county.sqlite", "data/county")}


def add(sub, common) -> None:
    p = sub.add_parser("demo", parents=[common], help="build the demo store from generated data")
    p.add_argument("--council", choices=list(COUNCILS), default="nnc",
                   help="which demo council: nnc (North Northamptonshire, the default: "
                        "data/kpi.sqlite), kent (Kent's quarterly performance report: "
                        "data/kent.sqlite) or county (a 2013-14 corporate report set: "
                        "data/county.sqlite); --store and --data-dir override")
    p.add_argument("--data-dir", default=None, type=Path,
                   help="where the demo CSV files are written (default: data/demo, "
                        "data/demo/kent for kent, data/county for county)")
    p.add_argument("--force", action="store_true", help="replace an existing SQLite store file")
    p.set_defaults(func=cmd_demo)


def cmd_demo(args) -> int:
    from kpilib.demo import BUILDERS  # written separately; imported only when needed

    default_store, default_dir = COUNCILS[args.council]
    if not args.store_given:  # each council has its own store: never another's
        args.store = default_store
    args.data_dir = args.data_dir or Path(default_dir)
    say_store(args.store)
    if args.data_dir.exists() and not args.data_dir.is_dir():
        raise StoreError(f"--data-dir {args.data_dir} is a file; expected a folder for the "
                         "demo's CSV files")
    from kpilib.run.outpaths import output_dir

    output_dir(args.data_dir, "folder for the demo's CSV files (--data-dir)")
    path = sqlite_path(args.store)
    if args.force:
        if path is None:
            raise StoreError(f"--force only replaces SQLite store files, not {args.store}")
        if path.is_dir():
            raise StoreError(f"--store {path} is a folder; expected a SQLite file")
        if path.exists():
            path.unlink()
    store = Store.open(args.store)
    last = store.last_loaded_at()
    if last is not None:
        raise StoreError(f"store {args.store} already has data (last load {last}); "
                         f"use --force to replace it, or another --store")
    results = BUILDERS[args.council](store, args.data_dir) or []
    rows = sum(r.n_rows for r in results)
    print(f"demo store built at {args.store}: {len(results)} files, {rows} rows loaded "
          f"(files in {args.data_dir}), last load {store.last_loaded_at()}")
    return 0
