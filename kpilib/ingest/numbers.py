"""Numbers as analysts type them (UK conventions): ``11,477`` and ``98%``.

A cell may group thousands with commas (``11,477``, ``1,234,567.5``) and a
percent KPI's figure may carry a ``%`` sign (``98%``, ``98 %``).  Anything
ambiguous stays as written, so the file's checks report it: ``1,23`` (a
decimal comma?), ``12,34`` or ``1.234,5`` are never guessed at.
"""

from __future__ import annotations

import re

import pandas as pd

GROUPED = re.compile(r"^([-+]?)(\d{1,3}(?:,\d{3})+)(\.\d+)?$")
PERCENT = re.compile(r"^(.*?\d)\s*%$")


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
