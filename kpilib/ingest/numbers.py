"""Numbers as analysts type them (UK conventions): ``11,477`` and ``98%``.

A cell may group thousands with commas (``11,477``, ``1,234,567.5``) and a
percent KPI's figure may carry a ``%`` sign (``98%``, ``98 %``).  Anything
ambiguous stays as written, so the file's checks report it: ``1,23`` (a
decimal comma?), ``12,34`` or ``1.234,5`` are never guessed at.

Digits are ASCII ``0-9`` only: a figure written in another script's digits (Arabic-Indic
``٣``, full-width ``３``) is refused by the file's checks, which :func:`explain_digits`
makes say so (Python's regular expressions and ``float()`` would take them).
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata

import pandas as pd

from kpilib.errors import Problem

GROUPED = re.compile(r"^([-+]?)([0-9]{1,3}(?:,[0-9]{3})+)(\.[0-9]+)?$")
PERCENT = re.compile(r"^(.*?[0-9])\s*%$")


def plain_number(text: str) -> tuple[str, bool]:
    """``(text without thousands separators or % sign, whether it had a % sign)``."""
    s = text.strip()
    percent = False
    m = PERCENT.match(s)
    if m:
        s, percent = m.group(1), True
    g = GROUPED.match(s)
    if g:
        s = g.group(1) + g.group(2).replace(",", "") + (g.group(3) or "")
    return s, percent


def normalise(column: pd.Series) -> tuple[pd.Series, pd.Series]:
    """A text column with analysts' numbers made plain, and where a ``%`` sign was."""
    pairs = [plain_number(v) if isinstance(v, str) and v else (v, False) for v in column]
    return (pd.Series([p[0] for p in pairs], index=column.index, dtype=column.dtype),
            pd.Series([p[1] for p in pairs], index=column.index, dtype=bool))


def foreign_digits(text: str) -> list[str]:
    """The characters of ``text`` that are digits of another script than ASCII ``0-9``."""
    return list(dict.fromkeys(c for c in text if c.isdigit() and not c.isascii()))


def explain_digits(problems: list[Problem]) -> list[Problem]:
    """``problems``, each about a value written with non-ASCII digits saying so: such a
    value is refused as a number or an id (``٣`` is not ``3`` to kpilib)."""
    out = []
    for p in problems:
        chars = foreign_digits(p.value or "")
        if chars:
            named = ", ".join(f"{c!r} is {unicodedata.name(c, 'a digit')} (U+{ord(c):04X})"
                              for c in chars[:3])
            p = dataclasses.replace(p, message=f"{p.message}; written with non-ASCII digits "
                                    f"({named}): expected the digits 0-9")
        out.append(p)
    return out
