"""What every ``kpi`` command shares: the default store, messages on standard error, and
plain aligned tables on standard output."""

from __future__ import annotations

import sys

from kpilib.rules.names import spreadsheet_safe, visible

DEFAULT_STORE = "data/kpi.sqlite"
LINE_CHARS = 500  # the most of one line of an error message printed


def err(text: str) -> None:
    print(text, file=sys.stderr)


def say(text: object) -> None:
    """Print one line made from what a record holds (control characters as escapes)."""
    print(visible(text))


def say_store(store: str, how: str = "") -> None:
    """Every command that reads or writes a store says which, on standard error (machine
    output on standard output stays clean)."""
    err(f"kpi: store {store}{how}")


def _fmt(v) -> str:
    if isinstance(v, float):
        return "" if v != v else f"{v:.6f}".rstrip("0").rstrip(".")
    return str(v)


def format_table(header: list[str], rows: list[list]) -> str:
    """Plain aligned text (numbers right-aligned); control characters in a cell shown as
    escapes (:func:`~kpilib.rules.names.visible`)."""
    cells = [header] + [[spreadsheet_safe(visible(_fmt(v))) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    numeric = [all(isinstance(r[i], float | int) for r in rows) for i in range(len(header))]
    lines = []
    for r in cells:
        cols = zip(r, widths, numeric, strict=True)
        lines.append("  ".join(c.rjust(w) if num else c.ljust(w) for c, w, num in cols).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


CHANGE_HEADER = ["ref", "breakdown", "column", "field", "before", "after"]


def print_changes(folder, previous, changes: list[dict]) -> None:
    """The figures a publication changed from the one it superseded."""
    scope = visible(f"in {folder} from the publication it superseded, {previous.folder} "
                    f"(as of {previous.as_of})")
    if not changes:
        print(f"no figures changed {scope}")
        return
    print(format_table(CHANGE_HEADER, [[c[k] for k in CHANGE_HEADER] for c in changes]))
    print(f"{len(changes)} figure{'s' if len(changes) != 1 else ''} changed {scope}")


def print_published(summary) -> None:
    """What became of the publication a run replaced (a run's summary: ``unchanged``,
    ``superseded``, ``folder``)."""
    if getattr(summary, "note", ""):
        print(f"  {summary.note}")
    elif summary.unchanged:
        print(f"  {summary.folder} unchanged: the publication there has the same as_of and "
              "identical outputs, and was kept")
    elif summary.superseded:
        why = getattr(summary, "why", "")
        if why:
            print(f"  re-executed: {why}")
        print(f"  the publication it replaces is kept in {summary.superseded}")
