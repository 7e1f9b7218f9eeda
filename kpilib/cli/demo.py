"""``kpi demo``: build a demo council's store from generated data."""

from __future__ import annotations

from pathlib import Path

from kpilib.cli.common import say_store
from kpilib.errors import StoreError
from kpilib.store import Store, sqlite_path

# demo council -> (its default store, its CSV folder); kpilib.demo.BUILDERS builds each
# (each demo council in its own home folder: kpilib.settings.home)
COUNCILS = {"nnc": ("data/kpi.sqlite", "data/demo"),
            "kent": ("councils/kent/data/kpi.sqlite", "councils/kent/data/demo"),
            "county": ("councils/county/data/kpi.sqlite", "councils/county/data/demo")}


def add(sub, common) -> None:
    p = sub.add_parser("demo", parents=[common], help="build the demo store from generated data")
    p.add_argument("--council", choices=list(COUNCILS), default="nnc",
                   help="which demo council: nnc (North Northamptonshire, the default: "
                        "data/kpi.sqlite), kent (Kent's quarterly performance report, in its "
                        "home councils/kent/: councils/kent/data/kpi.sqlite) or county (a "
                        "2013-14 corporate report set: councils/county/data/kpi.sqlite); "
                        "--store and --data-dir override")
    p.add_argument("--data-dir", default=None, type=Path,
                   help="where the demo CSV files are written (default: data/demo, "
                        "councils/kent/data/demo for kent, councils/county/data/demo for "
                        "county)")
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
    from kpilib.io.outpaths import output_dir

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
