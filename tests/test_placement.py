"""Where a run folder is against the ledger of publications (kpilib/publish/placement.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kpilib.publish.placement import place_of, placement_problems
from kpilib.store.ledger import LEDGER_COLUMNS


def _ledger(*rows):
    return pd.DataFrame([dict(zip(LEDGER_COLUMNS, (folder, "core", period, as_of, sha,
                                                   as_of, "u", "h"), strict=True))
                         for folder, period, as_of, sha in rows], columns=list(LEDGER_COLUMNS))


def _m(period="2024-02", report="core", edition=None):
    return {"parameters": {"period": period, "report": report, "edition": edition}}


LEDGER = _ledger(("outputs/2024-02/core", "2024-02", "A", "a" * 64),
                 ("outputs/2024-03/core", "2024-03", "A", "b" * 64),
                 ("outputs/2024-02/core", "2024-02", "B", "c" * 64))


def test_a_folder_in_its_place_and_current_is_fine():
    assert placement_problems(Path("outputs/2024-02/core"), _m(), "c" * 64, LEDGER) == []
    assert placement_problems(Path("outputs/2024-03/core"), _m("2024-03"), "b" * 64,
                              LEDGER) == []
    kept = Path("outputs/2024-02/core.superseded/20250630T000000000000Z")
    assert place_of(kept) == ("2024-02", "core", False)
    assert placement_problems(kept, _m(), "a" * 64, LEDGER) == []


def test_a_superseded_publication_moved_back_is_rolled_back():
    [line] = placement_problems(Path("outputs/2024-02/core"), _m(), "a" * 64, LEDGER)
    assert line.startswith("rolled back: the ledger's current publication of 2024-02 core is "
                           "cccccccccccc… (as of B")
    assert "this folder holds an earlier one, aaaaaaaaaaaa… (as of A" in line


def test_swapped_folders_and_editions():
    [line] = placement_problems(Path("outputs/2024-02/core"), _m("2024-03"), "b" * 64, LEDGER)
    assert line == ("swapped: this folder's place is 2024-02 core, but it holds the "
                    "publication of 2024-03 core")
    [line] = placement_problems(Path("outputs/2024-02/core"), _m(edition="public"), "c" * 64,
                                LEDGER)
    assert "holds the publication of 2024-02 core-public" in line
    # a manifest edited to say the folder's place: the ledger says where it was published
    [line] = placement_problems(Path("outputs/2024-02/core"), _m(), "b" * 64, LEDGER)
    assert line.endswith("was published at 2024-03 core")
