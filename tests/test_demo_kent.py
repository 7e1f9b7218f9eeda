"""The Kent-like demo council (kpilib/demo/kent.py): byte-identical files, valid against the
contracts, and the year-to-year changes the quarterly performance report marks."""

from __future__ import annotations

import hashlib

from kpilib.demo.kent import ACTIVITY, KPIS, write_kent_files
from kpilib.ingest.catalogue import read_catalogue_file


def digests(folder) -> dict[str, str]:
    return {f.path.name: hashlib.sha256(f.path.read_bytes()).hexdigest()
            for f in write_kent_files(folder)}


def test_files_are_byte_identical_on_every_run(tmp_path):
    first = digests(tmp_path / "a")
    assert first == digests(tmp_path / "b")
    assert sorted(first) == sorted(["catalogue-2023-24.csv", "catalogue-2024-25.csv",
                                    *(f"returns-{fy}-Q{q}.csv" for fy in ("2023-24", "2024-25")
                                      for q in range(1, 5))])


def test_load_order_is_strictly_increasing(tmp_path):
    stamps = [f.loaded_at for f in write_kent_files(tmp_path)]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)


def test_catalogues_are_valid_and_link_to_the_previous_year(tmp_path):
    files = {f.path.name: f.path for f in write_kent_files(tmp_path)}
    old = read_catalogue_file(files["catalogue-2023-24.csv"])
    new = read_catalogue_file(files["catalogue-2024-25.csv"])
    assert set(new["report"]) == set(old["report"]) == {"qpr"}
    named = {r for text in new["previous_ref"] for r in text.split(";") if r}
    assert named == {"CS07", "GL-AI1", "AS-AI6", "AS-AI7"} and named <= set(old["ref"])
    ranged = new[new["expected_low"] != ""]
    assert (ranged["target"] == "").all() and len(ranged) == len(
        [a for a in ACTIVITY if a[1] != "2023-24" and a[5]])
    assert set(new.loc[new["target"] != "", "rag_scheme"]) == {"floor"}
    assert len(new) == len([k for k in (*KPIS, *ACTIVITY) if k[1] != "2023-24"])


def test_q4_actuals_are_the_seeds(tmp_path):
    files = {f.path.name: f.path for f in write_kent_files(tmp_path)}
    q4 = files["returns-2023-24-Q4.csv"].read_text(encoding="utf-8")
    assert "CS01,2023-24-Q4,,98," in q4 and "SCS01,2023-24-Q4,,73.6," in q4
