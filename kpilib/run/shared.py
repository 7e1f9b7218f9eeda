"""The report model a run built, shared with its notebook kernels.

The runner builds the report once (from its store snapshot) and pickles it into the run's
own temporary folder; every kernel of the run finds it through ``$KPILIB_SHARED_REPORT``
(set by the worker for the notebook it starts, so never a notebook parameter: the executed
notebooks stay the same) and uses it instead of reading the store and building the report
again, when it was built for exactly the kernel's parameters (store, period, report type,
``as_of``, ``loads_through``).  Otherwise, or when the file cannot be read, the kernel
reads and builds as before.  Re-execution is unchanged: audit re-runs through the runner,
which reads the store and builds anew.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

ENV = "KPILIB_SHARED_REPORT"
FILE = "report.pickle"


def key(store: str, period: str, report: str, as_of: str | None,
        loads_through: int | None, edition: str = "internal") -> tuple:
    """What a shared report must have been built for (a public edition's report has its
    small numbers withheld already: never shared with an internal kernel, or the reverse)."""
    return (str(store), str(period), str(report), as_of, loads_through, str(edition))


def share(report, for_key: tuple, folder: Path) -> str:
    """Pickle ``report`` (built for ``for_key``) into ``folder``; the file's path."""
    path = Path(folder) / FILE
    path.write_bytes(pickle.dumps((for_key, report), protocol=pickle.HIGHEST_PROTOCOL))
    return str(path)


def shared(for_key: tuple):
    """The report the run shared for ``for_key``, or ``None`` (none shared, another key, or
    a file that cannot be read: the caller then builds it)."""
    path = os.environ.get(ENV)
    if not path:
        return None
    try:
        with open(path, "rb") as f:
            built_for, report = pickle.load(f)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError,
            ValueError, TypeError):
        return None
    return report if built_for == for_key else None
