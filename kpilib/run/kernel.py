"""Processes that die with their parent: the run's notebook workers and their kernels.

A ``kpi run`` killed with SIGKILL cannot stop its children, so each child asks the
kernel (Linux ``prctl(PR_SET_PDEATHSIG, SIGKILL)``) to be killed when its parent dies:
:func:`die_with_parent` is the worker pool's initializer, and every notebook's kernel is
started by :data:`LAUNCHER` (``python -c LAUNCHER -f CONNECTION_FILE``): the same
function, then what ``python -m ipykernel_launcher`` does.  The launcher is plain code,
so a kernel starts whichever kpilib its interpreter would import.  Elsewhere (macOS,
Windows) ipykernel's own parent polling still ends kernels whose worker died.
"""

from __future__ import annotations

import inspect


def die_with_parent(parent: int | None = None) -> bool:
    """Have this process killed when its parent dies (Linux; False elsewhere).  ``parent``:
    the pid it was started by; if that one has already gone, exit now.

    The "parent" is the *thread* that started this process: start workers and kernels from
    a thread that lives as long as they should (the main thread; jupyter_client's runner
    thread).  Self-contained (imports inside): :data:`LAUNCHER` holds its source.
    """
    import ctypes
    import os
    import signal
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(1, signal.SIGKILL, 0, 0, 0) != 0:  # 1: PR_SET_PDEATHSIG
            return False
    except (OSError, AttributeError):
        return False
    if parent and os.getppid() != parent:  # the parent died before the prctl took effect
        os._exit(1)
    return True


def interpreter() -> list[str]:
    """A kernel's interpreter and its flags: this one, frozen modules off on CPython (as
    ``python -m ipykernel install`` writes it: no debugger warning on CPython >= 3.11).  The
    kernel spec (:func:`kpilib.run.jobs.kernel_spec`) and the zygote (:mod:`kpilib.run.zygote`)
    start with it."""
    import platform
    import sys

    frozen = ["-Xfrozen_modules=off"] if platform.python_implementation() == "CPython" else []
    return [sys.executable, *frozen]


def die_with_parent_source() -> str:
    """:func:`die_with_parent`'s source, for programs started with ``python -c``."""
    return inspect.getsource(die_with_parent)


# A kernel that dies with the worker that started it (jupyter_client gives the worker's pid
# in JPY_PARENT_PID).  ``-c`` puts "" first on sys.path where ``-m ipykernel_launcher`` puts
# the current folder: the same folder, spelt as -m does.
LAUNCHER = die_with_parent_source() + """
import os, sys
_parent = os.environ.get("JPY_PARENT_PID", "")
die_with_parent(int(_parent) if _parent.isdigit() else None)
if sys.path and sys.path[0] == "":
    sys.path[0] = os.getcwd()
from ipykernel import kernelapp
kernelapp.launch_new_instance()
"""
