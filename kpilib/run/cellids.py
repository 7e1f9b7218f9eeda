"""Cell ids a notebook executes with, the same on every run.

nbformat 4.5 gives every cell an ``id``; a notebook written by hand (or by a tool that
writes nbformat 4.4 or leaves ``id`` out) has none, and nbformat then invents a *random*
one as it reads the file.  The executed notebook kept in the run folder, and so its hash,
would differ on every execution and ``kpi audit`` could never match it.  A run therefore
reads each notebook itself and gives a cell with no id, or with the id of an earlier cell,
the id ``cell-N`` (N: its position, from 1), so the same file always executes the same.
A cell whose id is not a valid nbformat id (1 to 64 letters, digits, ``-`` or ``_``) is
refused, naming the cell, as nbformat itself would refuse it.

The notebook file itself is not changed: the manifest hashes the file as written.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from kpilib.errors import RunError

VALID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def stable_ids(cells: list) -> tuple[list[str], list[str]]:
    """The id each cell executes with, and the problems (an id that is not valid).

    A cell's own id is kept when valid and not already taken by an earlier cell; a cell with
    none (or a repeated one) gets ``cell-N``, N its position from 1 (``cell-N-2`` ... if a
    cell already uses that name)."""
    taken = {c.get("id") for c in cells if isinstance(c, dict) and isinstance(c.get("id"), str)}
    seen: set[str] = set()
    ids, problems = [], []
    for n, cell in enumerate(cells, 1):
        own = cell.get("id") if isinstance(cell, dict) else None
        if own is not None and not (isinstance(own, str) and VALID.match(own)):
            problems.append(f"cell {n} has id {own!r}: expected 1 to 64 letters, digits, "
                            "'-' or '_' (or no id at all)")
            ids.append(f"cell-{n}")
            continue
        if own is None or own in seen:
            own = base = f"cell-{n}"
            extra = 2
            while own in taken or own in seen:
                own, extra = f"{base}-{extra}", extra + 1
        seen.add(own)
        ids.append(own)
    return ids, problems


def _with_stable_ids(path: Path, label: str | None = None) -> dict:
    """The notebook at ``path`` as parsed JSON, every cell given its stable id."""
    name = label or str(path)
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        cells = raw["cells"]
        if not isinstance(cells, list):
            raise TypeError("'cells' is not a list")
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise RunError(f"notebook {name}: cannot be read as a notebook ({e})") from None
    ids, problems = stable_ids(cells)
    if problems:
        raise RunError(f"notebook {name}: " + "; ".join(problems))
    if raw.get("nbformat") == 4:
        for cell, cell_id in zip(cells, ids):
            if isinstance(cell, dict):
                cell["id"] = cell_id
        # 4.5 is the minor version that has ids; reading an older one would replace every
        # id with a random one
        raw["nbformat_minor"] = max(5, raw.get("nbformat_minor") or 0)
    return raw


def read_with_stable_ids(path: Path, label: str | None = None):
    """The notebook at ``path`` as an nbformat node whose every cell has a stable id
    (see the module); a :class:`~kpilib.errors.RunError` naming the cell for an invalid id
    or a file that is not a notebook."""
    import nbformat

    return nbformat.reads(json.dumps(_with_stable_ids(path, label)), as_version=4)


def check_cell_ids(path: Path, label: str) -> None:
    """Refuse, before anything executes, a notebook a run could not give stable ids (read as
    JSON: nbformat, which the workers read it with, is not imported before a run decides
    to execute)."""
    _with_stable_ids(path, label)
