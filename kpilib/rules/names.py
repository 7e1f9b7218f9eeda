"""Names that become file names, element ids and CSV cells: the rules that keep them safe.

* :func:`slug`: a section's page file name and a KPI's element id
  (``Place & Economy`` -> ``place-economy``).  Two names with the same slug
  would overwrite each other's page, so catalogue validation refuses them.
* ``REF``: a KPI ref is 1-40 letters, digits and ``. _ - /``, starting with a
  letter or digit (so no ref is read as a spreadsheet formula).
* :func:`label_problem`: a breakdown label is up to 80 printable characters
  and does not start with ``=``, ``+``, ``-`` or ``@``.
* :func:`name_problem`: a name (a section such as a directorate, theme or key commitment,
  a department, a KPI's name, a programme, a comparator group) is bounded and holds no
  control character (a NUL, a line break, a bidirectional override): at most
  :data:`SECTION_MAX` characters for a name a page file name derives from (its slug stays
  under 255 bytes with ``.html`` or ``.ipynb``), :data:`NAME_MAX` for other names.
  :func:`text_problem`: free text (commentary, a benchmark) holds no control character but
  tab and line breaks.
* :func:`spreadsheet_safe`: any other text kpilib writes to a CSV file or a printed table
  (a source file name such as ``=cmd.csv``) gets a leading ``'`` when a spreadsheet would
  read it as a formula; numbers (``-5``) are left as they are.
* :func:`visible`: text read from a record and printed (a sign-off's name, an audit's
  verdict, a manifest's field) shows its control characters as escapes (``\\n``, ``\\x1b``).
"""

from __future__ import annotations

import difflib
import re

REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")
REF_EXPECTED = ("expected 1-40 letters, digits and . _ - /, starting with a letter or digit, "
                "e.g. STP31")
LABEL_MAX = 80
SECTION_MAX = 200  # a section's name: its page file is <slug>.html (a slug is never longer)
NAME_MAX = 300  # any other name: a KPI's, a programme's, a department's, a comparator group's
# control characters: C0 and C1 (category Cc), the line and paragraph separators, and the
# bidirectional embeddings, overrides and isolates (which make a name read differently
# from its text); free text may hold tabs and line breaks
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
TEXT_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CONTROL_NAMES = {0x00: "NUL", 0x09: "TAB", 0x0A: "LINE FEED", 0x0D: "CARRIAGE RETURN",
                  0x7F: "DELETE", 0x2028: "LINE SEPARATOR", 0x2029: "PARAGRAPH SEPARATOR",
                  0x202A: "LEFT-TO-RIGHT EMBEDDING", 0x202B: "RIGHT-TO-LEFT EMBEDDING",
                  0x202C: "POP DIRECTIONAL FORMATTING", 0x202D: "LEFT-TO-RIGHT OVERRIDE",
                  0x202E: "RIGHT-TO-LEFT OVERRIDE", 0x2066: "LEFT-TO-RIGHT ISOLATE",
                  0x2067: "RIGHT-TO-LEFT ISOLATE", 0x2068: "FIRST STRONG ISOLATE",
                  0x2069: "POP DIRECTIONAL ISOLATE"}
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


def _control(text: str, pattern: re.Pattern = CONTROL) -> str | None:
    """The first control character of ``text`` (by ``pattern``), described, or ``None``."""
    m = pattern.search(text)
    if m is None:
        return None
    c = m.group()
    return f"U+{ord(c):04X} {_CONTROL_NAMES.get(ord(c), 'CONTROL')}"


def name_problem(text: str, limit: int = NAME_MAX) -> str | None:
    """What is wrong with a name (one line of text, at most ``limit`` characters), or ``None``."""
    problems = []
    if (c := _control(text)) is not None:
        problems.append(f"holds a control character ({c}); expected a name on one line, "
                        "without control characters")
    if len(text) > limit:
        problems.append(f"is {len(text)} characters long; expected at most {limit}")
    return "a name " + " and ".join(problems) if problems else None


def text_problem(text: str) -> str | None:
    """What is wrong with free text (commentary, a benchmark), or ``None``: no control
    character but tab and line breaks."""
    if (c := _control(text, TEXT_CONTROL)) is not None:
        return (f"holds a control character ({c}); expected text without control "
                "characters (tabs and line breaks are fine)")
    return None


def spreadsheet_safe(text: str) -> str:
    """``text`` as a cell a spreadsheet shows as text: a leading ``'`` where it would
    start a formula (``= + - @``, a tab or a carriage return); a number stays a number."""
    if _FORMULA_CELL.match(text) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def visible(value: object) -> str:
    """``value`` as text safe to print on a terminal: every character that is not printable
    (a newline, a carriage return, ESC and the other controls, Unicode's format characters
    such as a right-to-left override) is shown as its escape (``\\n``, ``\\x1b``,
    ``\\u202e``), so text read from a record (a sign-off's name, a manifest's field) can
    neither start a line of its own nor drive the terminal."""
    text = str(value)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _ESCAPES.get(c) or (
        f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}" if ord(c) < 0x10000
        else f"\\U{ord(c):08x}") for c in text)


def clashes(names: list[str], reserved: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Names whose slugs collide with each other, with a reserved page or with one of
    ``reserved`` (a report type's own pages, e.g. ``summary``): slug -> names."""
    by_slug: dict[str, list[str]] = {}
    for n in dict.fromkeys(names):
        by_slug.setdefault(slug(n), []).append(n)
    return {s: ns for s, ns in by_slug.items()
            if len(ns) > 1 or s in RESERVED_PAGES or s in reserved}


def spreadsheet_safe_rows(rows: list[dict]) -> list[dict]:
    """Every text cell of ``rows`` (a CSV table kpilib writes) through :func:`spreadsheet_safe`:
    every CSV file kpilib writes passes its text cells through it (``results.csv`` and
    ``spc.csv`` in ``reports.model``; ``changes.csv``, whose key commitments are free text
    such as ``=2*3``, here)."""
    return [{k: spreadsheet_safe(v) if isinstance(v, str) else v for k, v in r.items()}
            for r in rows]


def did_you_mean(name: object, choices) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices`` to ``name``, or ``""``: one
    suggestion for every unknown key, field or id a user types."""
    close = difflib.get_close_matches(str(name), list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
