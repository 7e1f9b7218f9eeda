"""Names that become file names, element ids and CSV cells: the rules that keep them safe.

* :func:`slug`: a section's page file name and a KPI's element id
  (``Place & Economy`` -> ``place-economy``).  Two names with the same slug
  would overwrite each other's page, so catalogue validation refuses them.
* ``REF``: a KPI ref is 1-40 letters, digits and ``. _ - /``, starting with a
  letter or digit (so no ref is read as a spreadsheet formula).
* :func:`label_problem`: a breakdown label is up to 80 printable characters
  and does not start with ``=``, ``+``, ``-`` or ``@``.
* :func:`spreadsheet_safe`: any other text kpilib writes to a CSV file or a printed table
  (a source file name such as ``=cmd.csv``, a key commitment such as ``=2*3`` in
  ``changes.csv``) gets a leading ``'`` when a spreadsheet would read it as a formula;
  numbers (``-5``) are left as they are.  Every CSV file kpilib writes passes its text
  cells through it (``results.csv`` and ``spc.csv``: ``reports.model``; ``changes.csv``:
  :func:`spreadsheet_safe_rows`).
"""

from __future__ import annotations

import re

REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")
REF_EXPECTED = ("expected 1-40 letters, digits and . _ - /, starting with a letter or digit, "
                "e.g. STP31")
LABEL_MAX = 80
FORMULA_START = ("=", "+", "-", "@")
RESERVED_PAGES = ("index",)  # the overview's file name
_FORMULA_CELL = re.compile(r"^[=+\-@\t\r]")
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")


def slug(text: str) -> str:
    """A stable file/anchor name: ``Place & Economy`` -> ``place-economy``."""
    s = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
    return s or "section"


def label_problem(label: str) -> str | None:
    """What is wrong with a breakdown label, or ``None``."""
    if len(label) > LABEL_MAX:
        return f"a breakdown label is at most {LABEL_MAX} characters ({len(label)} given)"
    if not label.isprintable():
        return "a breakdown label holds printable characters only"
    if label.startswith(FORMULA_START):
        return ("a breakdown label may not start with = + - @ (a spreadsheet would read it "
                "as a formula)")
    return None


def spreadsheet_safe(text: str) -> str:
    """``text`` as a cell a spreadsheet shows as text: a leading ``'`` where it would
    start a formula (``= + - @``, a tab or a carriage return); a number stays a number."""
    if _FORMULA_CELL.match(text) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def spreadsheet_safe_rows(rows: list[dict]) -> list[dict]:
    """Every text cell of ``rows`` (a CSV table kpilib writes) through :func:`spreadsheet_safe`."""
    return [{k: spreadsheet_safe(v) if isinstance(v, str) else v for k, v in r.items()}
            for r in rows]


def clashes(names: list[str], reserved: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Names whose slugs collide with each other, with a reserved page or with one of
    ``reserved`` (a report type's own pages, e.g. ``summary``): slug -> names."""
    by_slug: dict[str, list[str]] = {}
    for n in dict.fromkeys(names):
        by_slug.setdefault(slug(n), []).append(n)
    return {s: ns for s, ns in by_slug.items()
            if len(ns) > 1 or s in RESERVED_PAGES or s in reserved}
