"""Where a command may write a path its user named: the one check every writing command uses.

A user-named output is a regular file, or a folder of regular files, in a folder the user
meant: :func:`output_file` refuses a path that is (or, through its last part, leads to) a
device node, a FIFO, a socket or a symbolic link, or a folder, or whose parent is not a
folder; :func:`output_dir` refuses the file system's root, a folder that is a symbolic link,
and anything that is not a folder.  Nothing is opened: the checks use ``lstat`` only, so a
FIFO never blocks and a device is never written.  Each refusal is an
:class:`~kpilib.errors.KpiError` naming the path, what it is and what was expected.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from kpilib.errors import KpiError


class OutputPathError(KpiError):
    """A path a command was asked to write is not one it may write."""


def kind(mode: int) -> str:
    """What a file of ``lstat`` mode ``mode`` is, in words."""
    for test, name in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"),
                       (stat.S_ISREG, "a regular file")):
        if test(mode):
            return name
    return "a special file"


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:  # a part of the path is a file
        return None


def output_file(path: str | Path, what: str = "output file") -> Path:
    """``path`` if a command may write a regular file there (new, or replacing a regular
    file); else an :class:`OutputPathError` saying what is wrong."""
    path = Path(path)
    st = _lstat(path)
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise OutputPathError(f"{path}: is {kind(st.st_mode)}; the {what} must be a regular "
                              "file (kpi never writes through a device, a FIFO or a link): "
                              "choose another path")
    parent = path.parent
    pst = _lstat(parent)
    if pst is not None and not stat.S_ISDIR(pst.st_mode) and not (
            stat.S_ISLNK(pst.st_mode) and parent.is_dir()):
        raise OutputPathError(f"{path}: its folder {parent} is {kind(pst.st_mode)}; expected a "
                              f"folder for the {what}")
    if pst is None:  # created on writing: no part of the way may be a file
        _way_is_folders(path, parent.parents, what)
    return path


def output_dir(path: str | Path, what: str = "output folder") -> Path:
    """``path`` if a command may write a folder of outputs there: not the root of the file
    system, not a symbolic link, a folder (or nothing yet, under a folder)."""
    path = Path(path)
    if path.resolve() == Path(path.resolve().anchor or "/"):
        raise OutputPathError(f"{path}: is the root of the file system; the {what} must be a "
                              "folder of its own (e.g. outputs)")
    st = _lstat(path)
    if st is not None and not stat.S_ISDIR(st.st_mode):
        raise OutputPathError(f"{path}: is {kind(st.st_mode)}; the {what} must be a folder")
    if st is None:
        _way_is_folders(path, path.parents, what)
    return path


def _way_is_folders(path: Path, above, what: str) -> None:
    """The nearest existing folder above a path still to be made is a folder (not a file or
    a device): outputs are made only in folders."""
    for p in above:
        pp = _lstat(p)
        if pp is not None:
            if not p.is_dir():
                raise OutputPathError(f"{path}: {p} is {kind(pp.st_mode)}, not a folder; "
                                      f"expected a folder for the {what}")
            return
