"""Names and free text in input files: bounded, and without control characters.

A name (a directorate, a KPI's name, a programme, a comparator group) is one line of at
most :data:`~kpilib.rules.names.NAME_MAX` characters (a section's name, whose page file
name derives from it, :data:`~kpilib.rules.names.SECTION_MAX`); free text (commentary, a
programme's update) may hold tabs and line breaks but no other control character.  The
rules are :func:`kpilib.rules.names.name_problem` and :func:`~kpilib.rules.names.text_problem`;
this applies them to a file's columns, one :class:`~kpilib.errors.Problem` per cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from kpilib.errors import Problem
from kpilib.rules.names import (
    CONTROL,
    NAME_MAX,
    TEXT_CONTROL,
    name_problem,
    text_problem,
)


def text_problems(file: str, df: pd.DataFrame, names: Mapping[str, int] | Iterable[str] = (),
                  texts: Iterable[str] = ()) -> list[Problem]:
    """The problems of ``df``'s name columns (``names``: columns, or column -> the most
    characters) and free-text columns (``texts``); the frame's index is the file's row."""
    limits = dict(names) if isinstance(names, Mapping) else dict.fromkeys(names, NAME_MAX)
    out = []
    for col, limit in limits.items():
        cells = df[col]
        for row in cells.index[(cells.str.len() > limit) | cells.str.contains(CONTROL)]:
            out.append(Problem(file, int(row), col, cells[row], name_problem(cells[row], limit)))
    for col in texts:
        cells = df[col]
        for row in cells.index[cells.str.contains(TEXT_CONTROL)]:
            out.append(Problem(file, int(row), col, cells[row], text_problem(cells[row])))
    return out
