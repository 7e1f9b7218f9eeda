"""Writing run folders: text files, shared assets, and atomic publishing.

:func:`publish` swaps a finished staging folder into place atomically;
:func:`keep_failed` keeps a failed run's notebooks beside the published folder.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from kpilib.render.page import PLOTLY_ASSET, plotly_js_path


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def copy_assets(folder: Path) -> None:
    target = folder / PLOTLY_ASSET
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(plotly_js_path(), target)


def publish(staging: Path, final: Path) -> None:
    """Replace ``final`` with ``staging`` so that readers never see a half-written folder.

    The previous folder is moved aside, the new one renamed into place (an
    atomic rename on the same file system), then the old one removed.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    if final.exists():
        os.replace(final, old)
    try:
        os.replace(staging, final)
    except OSError:
        if old.exists():
            os.replace(old, final)
        raise
    if old.exists():
        shutil.rmtree(old)


def keep_failed(staging: Path, final: Path) -> Path:
    """Move a failed run's staging folder to ``<report>.failed`` (replacing an older one)."""
    failed = final.with_name(f"{final.name}.failed")
    if failed.exists():
        shutil.rmtree(failed)
    os.replace(staging, failed)
    return failed
