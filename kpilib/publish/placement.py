"""Is a run folder where its publication belongs, and is it the current one?

A run folder's place says what it should hold: ``<output_dir>/<period>/<report>/`` (a
public edition: ``<report>-public/``) the current publication of that period and report,
``<report>.superseded/<as_of>/`` one it replaced.  Moving folders around changes no hash:
two periods' folders swapped (or a report and its public edition), or a superseded
publication moved back in place of the current one (a roll-back), each still matches its
own manifest and ledger row.  The store's ledger of publications records, for every
publication, the folder it was published at, in order, so :func:`placement_problems` (pure)
tells a folder that is not where it was published, or a current folder whose publication
the ledger has since replaced.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kpilib.settings.edition import folder_name

SUPERSEDED = ".superseded"


def place_of(folder: Path) -> tuple[str, str, bool]:
    """``(period, report folder name, current)`` a run folder's place says it holds."""
    folder = Path(folder).absolute()
    if folder.parent.name.endswith(SUPERSEDED):
        return folder.parent.parent.name, folder.parent.name.removesuffix(SUPERSEDED), False
    return folder.parent.name, folder.name, True


def _short(row) -> str:
    return (f"{str(row['manifest_sha256'])[:12]}… (as of {row['as_of']}, published "
            f"{row['published_at']})")


def placement_problems(folder: Path, manifest: dict, digest: str,
                       ledger: pd.DataFrame) -> list[str]:
    """What is wrong with where ``folder`` is, given its manifest (SHA-256 ``digest``) and
    the ledger's rows (:func:`kpilib.store.publications_of`, oldest first): a folder
    holding another period's or edition's publication (swapped), or a current folder holding
    a publication the ledger has since replaced at that place (rolled back)."""
    period, name, current = place_of(folder)
    p = manifest.get("parameters") if isinstance(manifest.get("parameters"), dict) else {}
    held = (str(p.get("period")), folder_name(str(p.get("report")),
                                              str(p.get("edition") or "internal")))
    out = []
    if held != (period, name):
        out.append(f"swapped: this folder's place is {period} {name}, but it holds the "
                   f"publication of {held[0]} {held[1]}")
    rows = ledger.reset_index(drop=True)
    mine = rows.index[rows["manifest_sha256"] == digest]
    if not len(mine):
        return out  # not in the ledger: the ledger check says so
    at = int(mine[-1])
    published = Path(str(rows.at[at, "folder"]))
    if not out and (published.parent.name, published.name) != (period, name):
        out.append(f"swapped: this folder's place is {period} {name}, but its publication "
                   f"was published at {published.parent.name} {published.name}")
    if current:
        later = rows.iloc[at + 1:]
        later = later[(later["folder"] == rows.at[at, "folder"])
                      & (later["manifest_sha256"] != digest)]
        if len(later):
            out.append(f"rolled back: the ledger's current publication of {period} {name} is "
                       f"{_short(later.iloc[-1])}; this folder holds an earlier one, "
                       f"{_short(rows.iloc[at])}")
    return out
