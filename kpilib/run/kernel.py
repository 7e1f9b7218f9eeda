"""Processes that die with their parent: the run's notebook workers and their kernels.

A ``kpi run`` killed with SIGKILL cannot stop its children, so each child asks the
kernel (Linux ``prctl(PR_SET_PDEATHSIG, SIGKILL)``) to be killed when its parent dies:
:func:`die_with_parent` is the worker pool's initializer, and every notebook's kernel is
started as ``python -m kpilib.run.kernel -f CONNECTION_FILE`` (:func:`main`: the same
as ``python -m ipykernel_launcher``, after asking the same for itself).  Elsewhere
(macOS, Windows) ipykernel's own parent polling still ends kernels whose worker died.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None = None) -> bool:
    """Have this process killed when its parent dies (Linux; False elsewhere).  ``parent``:
    the pid it was started by; if that one has already gone, exit now.

    The "parent" is the *thread* that started this process: start workers and kernels from
    a thread that lives as long as they should (the main thread; jupyter_client's runner
    thread).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if parent and os.getppid() != parent:  # the parent died before the prctl took effect
        os._exit(1)
    return True


def main() -> None:
    """A notebook kernel that dies with the worker that started it (jupyter_client gives
    the worker's pid in ``JPY_PARENT_PID``)."""
    parent = os.environ.get("JPY_PARENT_PID", "")
    die_with_parent(int(parent) if parent.isdigit() else None)
    if sys.path and sys.path[0] == "":  # as ipykernel_launcher does
        del sys.path[0]
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
