"""``kpi``: the command-line shell over kpilib (argparse; parsing and printing only).

Adding a command: write ``_add_<name>(sub, common)`` registering a subparser
(``parents=[common]`` gives it ``--store``) with ``set_defaults(func=cmd_<name>)``,
write ``cmd_<name>(args) -> int``, and list ``_add_<name>`` in ``COMMANDS``.
``args.store`` is always set (default ``data/kpi.sqlite``).

Every :class:`~kpilib.errors.KpiError` is printed to stderr with exit code 1, and so is
what the machine refuses (an :class:`OSError`: a folder where a file was expected, a full
disk; a database error: a busy, read-only or damaged store), each line of it cut to
:data:`LINE_CHARS`; usage errors exit 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import sqlalchemy as sa

from kpilib import registry
from kpilib.errors import KpiError, StoreError, ValidationError, shown
from kpilib.rules.names import spreadsheet_safe
from kpilib.rules.periods import parse_period
from kpilib.store import Store, open_store, sqlite_path
from kpilib.store.urls import store_error

DEFAULT_STORE = "data/kpi.sqlite"
LINE_CHARS = 500  # the most of one line of an error message printed


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def _say_store(store: str, how: str = "") -> None:
    """Every command that reads or writes a store says which, on standard error (machine
    output on standard output stays clean)."""
    _err(f"kpi: store {store}{how}")


# --------------------------------------------------------------------------- kpi load


def _add_load(sub, common) -> None:
    p = sub.add_parser("load", help="validate and store catalogue or returns files")
    kinds = p.add_subparsers(dest="kind", required=True, metavar="{catalogue,returns}")
    for kind, what in (("catalogue", "KPI catalogue files (one per year)"),
                       ("returns", "returns files (measured values)")):
        k = kinds.add_parser(kind, parents=[common], help=f"load {what}")
        k.add_argument("files", nargs="+", metavar="FILE", type=Path, help="CSV or .xlsx file")
        k.set_defaults(func=cmd_load)


def cmd_load(args) -> int:
    _say_store(args.store)
    file = sqlite_path(args.store)
    new = file is not None and not file.exists()
    store = Store.open(args.store)
    load = store.load_catalogue if args.kind == "catalogue" else store.load_returns
    failed = 0
    for path in args.files:
        try:
            res = load(path)
        except ValidationError as e:
            _err(str(e))
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
        _err(f"{failed} of {len(args.files)} file{'s' if len(args.files) != 1 else ''} failed")
        if new and failed == len(args.files):  # nothing stored: no new empty store left
            store.close()
            file.unlink(missing_ok=True)
    return 1 if failed else 0


# --------------------------------------------------------------------------- kpi revisions


def _add_revisions(sub, common) -> None:
    p = sub.add_parser("revisions", parents=[common], help="values revised after their first load")
    p.add_argument("run", nargs="?", type=Path, metavar="RUN_FOLDER",
                   help="a published run folder (outputs/2024-02/core): list the values it "
                        "shows that have been revised since it was run")
    p.add_argument("--period", help="a month (2024-02) or quarter (2023-24-Q3); default: all")
    p.add_argument("--as-of", dest="as_of", help="ISO-8601 time; default: now")
    p.set_defaults(func=cmd_revisions)


def _fmt(v) -> str:
    if isinstance(v, float):
        return "" if v != v else f"{v:.6f}".rstrip("0").rstrip(".")
    return str(v)


def format_table(header: list[str], rows: list[list]) -> str:
    """Plain aligned text (numbers right-aligned)."""
    cells = [header] + [[spreadsheet_safe(_fmt(v)) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    numeric = [all(isinstance(r[i], float | int) for r in rows) for i in range(len(header))]
    lines = []
    for r in cells:
        cols = zip(r, widths, numeric, strict=True)
        lines.append("  ".join(c.rjust(w) if num else c.ljust(w) for c, w, num in cols).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def cmd_revisions(args) -> int:
    if args.run is not None:
        return _run_revisions(args)
    _say_store(args.store, "" if args.store_given else " (the default; --store for another)")
    revs = open_store(args.store).revisions(period=args.period, as_of=args.as_of)
    scope = f"for period {args.period}" if args.period else "for any period"
    header = ["ref", "period", "breakdown", "first value", "first loaded", "first source",
              "value", "revised at", "source"]
    return _print_revisions(revs, header, ("revision", "revisions"), scope)


def _run_revisions(args) -> int:
    from kpilib.audit.revisions import published_revisions
    from kpilib.audit.status import changes_from_previous
    from kpilib.run.manifest import read_manifest

    manifest = read_manifest(args.run)
    _say_store(args.store if args.store_given else manifest["parameters"]["store"],
               "" if args.store_given else " (the run's, from its manifest)")
    revs = published_revisions(args.run, args.store if args.store_given else None)
    as_of = manifest["as_of"]
    header = ["ref", "period", "breakdown", "published", "current", "published status",
              "current status", "revised at", "source"]
    code = _print_revisions(revs, header, ("value revised", "values revised"),
                            f"in {args.run} since it was run (as of {as_of})")
    previous = changes_from_previous(args.run)
    if previous is not None:
        print()
        _print_changes(args.run, *previous)
    return code


CHANGE_HEADER = ["ref", "breakdown", "column", "field", "before", "after"]


def _print_changes(folder, previous, changes: list[dict]) -> None:
    """The figures a publication changed from the one it superseded."""
    scope = (f"in {folder} from the publication it superseded, {previous.folder} "
             f"(as of {previous.as_of})")
    if not changes:
        print(f"no figures changed {scope}")
        return
    print(format_table(CHANGE_HEADER, [[c[k] for k in CHANGE_HEADER] for c in changes]))
    print(f"{len(changes)} figure{'s' if len(changes) != 1 else ''} changed {scope}")


def _print_revisions(revs, header: list[str], nouns: tuple[str, str], scope: str) -> int:
    if revs.empty:
        print(f"no {nouns[1]} {scope}")
        return 0
    print(format_table(header, revs.values.tolist()))
    print(f"{len(revs)} {nouns[len(revs) != 1]} {scope}")
    return 0


# --------------------------------------------------------------------------- kpi run


def _add_run(sub, common) -> None:
    p = sub.add_parser("run", parents=[common], help="run a parameter set: notebooks to HTML")
    p.add_argument("params", type=Path, metavar="PARAMS", help="parameter file, e.g. "
                   "params/2024-02.yaml (keys: period, report, store, as_of, output_dir)")
    p.add_argument("--as-of", dest="as_of", help="read the data as it stood at this moment "
                   "(overrides the file; default: the run's start)")
    p.add_argument("--output-dir", dest="output_dir", help="overrides the file's output_dir")
    p.add_argument("--self-contained", action="store_true",
                   help="inline plotly.js in every page (single files to email)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_run)


def cmd_run(args) -> int:
    from kpilib.run.params import read_params
    from kpilib.run.runner import run

    params = read_params(args.params, as_of=args.as_of, output_dir=args.output_dir,
                         store=args.store if args.store_given else None)
    _say_store(params.store, "" if args.store_given else f" (from {args.params})")
    summaries = run(params, self_contained=args.self_contained, show_progress=not args.quiet,
                    on_skip=lambda skipped: _err(f"kpi run: {skipped}"))
    for s in summaries:
        counts = ", ".join(f"{k or 'Not rated'} {v}" for k, v in sorted(s.statuses.items()))
        print(f"{s.report} {s.period}: {s.pages} pages, {s.kpis} KPIs ({counts}) in "
              f"{s.seconds:.1f} s -> {s.index}")
        if s.unchanged:
            print(f"  {s.folder} unchanged: the publication there has the same as_of and "
                  "identical outputs, and was kept")
        elif s.superseded:
            print(f"  the publication it replaces is kept in {s.superseded}")
    return 0


# --------------------------------------------------------------------------- kpi doctor


def _add_doctor(sub, common) -> None:
    p = sub.add_parser("doctor", parents=[common],
                       help="repair what crashed runs left beside the published folders")
    p.add_argument("output_dir", nargs="?", type=Path, default=Path("outputs"),
                   metavar="OUTPUT_DIR", help="the output folder of your runs (default: "
                   "outputs), or one period folder (outputs/2024-02)")
    p.add_argument("--dry-run", dest="dry_run", action="store_true",
                   help="say what would be repaired, change nothing")
    p.set_defaults(func=cmd_doctor)


def cmd_doctor(args) -> int:
    from kpilib.run.recover import doctor

    if args.store_given:
        _say_store(args.store, " (for the ledger of interrupted publications)")
    results = doctor(args.output_dir, args.store if args.store_given else None, args.dry_run)
    would = "would have " if args.dry_run else ""
    done = [t for r in results for t in r.done]
    problems = [t for r in results for t in r.problems]
    for t in done:
        print(f"{'would: ' if args.dry_run else ''}{t}")
    for t in (t for r in results for t in r.left):
        print(f"left alone: {t}")
    for t in problems:
        _err(f"kpi doctor: cannot repair: {t}")
    if not done and not problems:
        print(f"{args.output_dir}: nothing to repair (no interrupted publication or leftover "
              f"of a stopped run in {len(results)} folder{'s' if len(results) != 1 else ''})")
    elif done:
        print(f"{args.output_dir}: {would}repaired {len(done)} "
              f"thing{'s' if len(done) != 1 else ''}"
              + (f"; {len(problems)} left to repair by hand" if problems else ""))
    return 1 if problems else 0


# --------------------------------------------------------------------------- kpi results


def _add_results(sub, common) -> None:
    p = sub.add_parser("results", parents=[common],
                       help="the results table of a report, straight from the store")
    p.add_argument("--period", required=True, help="a month (2024-02) or quarter (2024-25-Q3)")
    p.add_argument("--report", required=True, choices=registry.names(),
                   help="a report type: " + "; ".join(f"{t.name}: {t.description}"
                                                      for t in registry.types()))
    p.add_argument("--as-of", dest="as_of", help="ISO-8601 time; default: now")
    p.add_argument("--output", type=Path, help="write results.csv here instead of stdout")
    p.set_defaults(func=cmd_results)


def cmd_results(args) -> int:
    from kpilib.notebook import open_report
    from kpilib.run.params import normalise_moment

    as_of = normalise_moment(args.as_of) if args.as_of else None
    if args.output is not None and args.output.is_dir():
        raise StoreError(f"--output {args.output} is a folder; expected a file name, e.g. "
                         f"{args.output / 'results.csv'}")
    _say_store(args.store, "" if args.store_given else " (the default; --store for another)")
    table = open_report(args.store, args.period, args.report, as_of).results
    text = table.to_csv(index=False, lineterminator="\n")
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {len(table)} rows to {args.output}")
    else:
        sys.stdout.write(text)
    return 0


# --------------------------------------------------------------------------- kpi audit


def _add_audit(sub, common) -> None:
    p = sub.add_parser("audit", parents=[common],
                       help="re-execute published runs and prove them identical")
    p.add_argument("path", type=Path, metavar="PATH",
                   help="a run folder (outputs/2024-02/core) or a folder of runs (outputs/)")
    p.add_argument("--jobs", type=int, default=2, help="runs re-executed at once (default 2)")
    p.add_argument("--recorded-env", dest="recorded_env", action="store_true",
                   help="re-execute with the program that published the run: kpilib at the "
                        "manifest's git commit (from this repository's history) with the "
                        "manifest's package versions, in a cached environment")
    p.set_defaults(func=cmd_audit)


def cmd_audit(args) -> int:
    from kpilib.audit.audit import audit_tree

    _say_store(args.store if args.store_given else "named by each run's manifest")
    results = audit_tree(args.path, args.store if args.store_given else None, args.jobs,
                         recorded_env=args.recorded_env)
    for r in results:
        print("\n".join(r.lines()))
    same = sum(r.identical for r in results)
    if len(results) > 1 or not results[0].identical:
        print(f"{len(results)} run{'s' if len(results) != 1 else ''} audited: {same} identical, "
              f"{len(results) - same} not")
    return 0 if same == len(results) else 1


# --------------------------------------------------------------------------- kpi status


def _add_status(sub, common) -> None:
    p = sub.add_parser("status", parents=[common],
                       help="every publication under an output folder, current and superseded")
    p.add_argument("output_dir", nargs="?", default=Path("outputs"), type=Path,
                   metavar="OUTPUT_DIR", help="the folder runs are published in (default "
                                              "outputs)")
    p.add_argument("--period", help="only this period (2024-02, 2024-25-Q1)")
    p.add_argument("--report", help="only this report type (core, service, ...)")
    p.add_argument("--json", action="store_true",
                   help="print JSON (one object per period and report) instead of tables")
    p.set_defaults(func=cmd_status)


def cmd_status(args) -> int:
    import json

    from kpilib.audit.status import library

    _say_store(args.store if args.store_given else "named by each publication's manifest")
    if args.store_given:  # a store named on the command line must be one
        open_store(args.store).close()
    if args.period:
        parse_period(args.period)
    if args.report:
        registry.get(args.report, "report type (--report)")
    series = library(args.output_dir, args.period, args.report,
                     args.store if args.store_given else None)
    if args.json:
        print(json.dumps({"output_dir": args.output_dir.as_posix(),
                          "publications": [s.as_dict() for s in series]}, indent=2))
        return 0
    scope = " ".join(filter(None, [args.period, args.report]))
    if not series:
        print(f"no publications{' of ' + scope if scope else ''} under {args.output_dir}")
        return 0
    pubs = [p for s in series for p in [*([s.current] if s.current else []),
                                        *reversed(s.superseded)]]
    rows = [[p.period, p.report, "current" if p.current else "superseded", p.as_of or "",
             p.recorded_at or "", p.ledger, p.folder.as_posix()] for p in pubs]
    print(format_table(["period", "report", "publication", "as of", "recorded at", "ledger",
                        "folder"], rows))
    for p in pubs:
        if p.note:
            print(f"{p.folder.as_posix()}: {p.note}")
    for p in pubs:
        if p.supersedes is not None:
            print()
            before = next(q for s in series for q in s.publications if q.folder == p.supersedes)
            _print_changes(p.folder.as_posix(), before, p.changes)
    current = sum(p.current for p in pubs)
    unrecorded = sum(p.in_ledger is False for p in pubs)
    print(f"\n{len(pubs)} publication{'s' if len(pubs) != 1 else ''} of {len(series)} "
          f"report{'s' if len(series) != 1 else ''} under {args.output_dir}: {current} current, "
          f"{len(pubs) - current} superseded; {unrecorded} not recorded in the ledger")
    return 0


# --------------------------------------------------------------------------- kpi keygen


def _add_keygen(sub, common) -> None:
    p = sub.add_parser("keygen", help="make an ed25519 key pair that signs every run's manifest")
    p.add_argument("key", nargs="?", type=Path, default=Path("keys/council.pem"), metavar="PATH",
                   help="the private key file to write (default keys/council.pem); the public "
                        "key goes beside it (keys/council.pub)")
    p.set_defaults(func=cmd_keygen)


def cmd_keygen(args) -> int:
    from kpilib.run.signing import generate_key

    public, fp = generate_key(args.key)
    print(f"wrote the private key {args.key} (mode 0600: keep it secret, never commit it) and "
          f"the public key {public}; key {fp[:16]}")
    print(f"to sign every run, add to council.yaml:\n  signing_key: {args.key}\n"
          f"  public_keys: [{public}]\n  require_signature: true")
    return 0


# --------------------------------------------------------------------------- kpi demo


def _add_demo(sub, common) -> None:
    p = sub.add_parser("demo", parents=[common], help="build the demo store from generated data")
    p.add_argument("--data-dir", default="data/demo", type=Path,
                   help="where the demo CSV files are written (default: data/demo)")
    p.add_argument("--force", action="store_true", help="replace an existing SQLite store file")
    p.set_defaults(func=cmd_demo)


def cmd_demo(args) -> int:
    from kpilib.demo import build_demo_store  # written separately; imported only when needed

    _say_store(args.store)
    if args.data_dir.exists() and not args.data_dir.is_dir():
        raise StoreError(f"--data-dir {args.data_dir} is a file; expected a folder for the "
                         "demo's CSV files")
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
    results = build_demo_store(store, args.data_dir) or []
    rows = sum(r.n_rows for r in results)
    print(f"demo store built at {args.store}: {len(results)} files, {rows} rows loaded "
          f"(files in {args.data_dir}), last load {store.last_loaded_at()}")
    return 0


# --------------------------------------------------------------------------- main

COMMANDS = (_add_load, _add_run, _add_results, _add_audit, _add_revisions, _add_status,
            _add_doctor, _add_keygen, _add_demo)


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
    for add in COMMANDS:
        add(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # usage error (2) or --help (0)
        return e.code if isinstance(e.code, int) else 2
    args.store_given = args.store is not None
    if args.store_given and not args.store.strip():
        _err(f"kpi {args.command}: --store is empty; expected a SQLite file path or a "
             "SQLAlchemy URL")
        return 2
    args.store = args.store or DEFAULT_STORE
    try:
        return args.func(args)
    except KpiError as e:
        message = str(e)
    except sa.exc.DBAPIError as e:  # a database refusing: busy, read-only, damaged, gone
        message = str(store_error(args.store, e))
    except OSError as e:  # the machine refusing: a folder for a file, a full disk, no access
        where = f": {e.filename}" if e.filename else ""
        message = f"{e.strerror or e}{where}"
    _err("\n".join(shown(line, LINE_CHARS) for line in f"kpi {args.command}: {message}"
                   .splitlines()))
    return 1


if __name__ == "__main__":
    sys.exit(main())
