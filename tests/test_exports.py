"""An export reads one publication, whole (kpilib/publish/exports.py): the folder is resolved
once, every file it prints is read from that publication and checked against its manifest,
and an export is written only into the publication it was read from.

Synthetic publications (tests/publications.py); the PDF printer is replaced by one that
records what it was given, and the same period is re-published in the middle of an export
(the race a council hit: a pack with the old cover and the new pages).
"""

from __future__ import annotations

import json
import threading
import time

import pytest
from publications import A, B, ledger, make_store, write_files, write_manifest

from kpilib.errors import RunError
from kpilib.publish import additions, exports, pdfpack, publish

PAGES = [{"file": "index.html", "section": None}, {"file": "housing.html", "section": "Housing"}]


def publish_pages(final, as_of: str, store: str):
    """A publication whose two pages and cover all name its ``as_of``."""
    staging = publish.begin(final)
    write_files(staging.path, as_of)
    publish.write_text(staging.path / "housing.html", f"<main><h1>Housing {as_of}</h1></main>\n")
    write_manifest(staging.path, as_of, store)
    path = staging.path / "manifest.json"
    m = json.loads(path.read_text())
    path.write_text(json.dumps({**m, "pages": PAGES}, indent=2, sort_keys=True) + "\n")
    return publish.publish(staging, final, ledger(store, final, as_of))


@pytest.fixture
def period(tmp_path, monkeypatch):
    """(the current folder outputs/2024-02/core, published as of A; the store)."""
    monkeypatch.chdir(tmp_path)
    store = make_store(tmp_path)
    final = tmp_path / "outputs" / "2024-02" / "core"
    publish_pages(final, A, store)
    return final, store


def printer(monkeypatch, between=None):
    """Replace Chromium: the 'PDF' is what the pack was made of (its cover's as_of and every
    page read from the folder it was given); ``between()`` runs after the first page."""
    def build(folder, pack):
        pages = []
        for n, part in enumerate(pack.parts):
            pages.append((folder / part.file).read_text())
            if n == 0 and between:
                between()
        return json.dumps({"as_of": pack.as_of, "pages": pages}).encode()
    monkeypatch.setattr(pdfpack, "build_pdf", build)


def consistent(pack: bytes) -> str:
    """The one as_of a pack's cover and pages show (fails on a mixed pack)."""
    doc = json.loads(pack)
    shown = {doc["as_of"], *(p.split("</h1>")[0].split()[-1].removeprefix("<h1>")
                             for p in doc["pages"])}
    assert len(shown) == 1, f"a mixed pack: {shown}"
    return doc["as_of"]


def test_an_export_reads_the_publication_it_resolved(period, monkeypatch):
    final, _ = period
    printer(monkeypatch)
    [entry] = exports.export(final, ["pdf"], "A Tester")
    assert consistent((final / entry["file"]).read_bytes()) == A
    assert additions.problems(final) == []


def test_a_republication_during_the_export_is_never_mixed_in(period, monkeypatch):
    """The period is published again after the pack's first page was read: the pages and
    the cover are still the old publication's, and the pack is written nowhere (the folder
    it was read from is superseded; the new one is not what it shows)."""
    final, store = period
    packs = []

    def build(folder, pack):
        pages = []
        for n, part in enumerate(pack.parts):
            pages.append((folder / part.file).read_text())
            if n == 0:
                publish_pages(final, B, store)
        packs.append(json.dumps({"as_of": pack.as_of, "pages": pages}).encode())
        return packs[-1]
    monkeypatch.setattr(pdfpack, "build_pdf", build)
    with pytest.raises(RunError, match="was published again while the export was being "
                                       "made .*nothing was written"):
        exports.export(final, ["pdf"], "A Tester")
    assert consistent(packs[0]) == A
    kept = next((final.parent / "core.superseded").iterdir())
    for folder in (final, kept):
        assert not (folder / "core-2024-02.pdf").exists()
        assert not (folder / additions.ADDITIONS).exists()


def test_exports_racing_publications_are_each_one_publication(period, monkeypatch):
    """A thread publishes the period again and again while packs are exported: every pack
    written shows one publication, the one whose folder holds it; an export that lost the
    race wrote nothing and says so."""
    final, store = period
    printer(monkeypatch, between=lambda: time.sleep(0.01))
    stop = threading.Event()
    moments = iter(f"2025-07-{d:02d}T00:00:00.000000Z" for d in range(1, 32))

    def republish():
        for as_of in moments:
            if stop.is_set():
                return
            publish_pages(final, as_of, store)
            time.sleep(0.005)

    t = threading.Thread(target=republish)
    t.start()
    written, refused = 0, 0
    try:
        for _ in range(30):
            try:
                exports.export(final, ["pdf"], "A Tester")
                written += 1
            except RunError as e:
                assert "published again while the export" in str(e) or "no such" in str(e) \
                    or "cannot read" in str(e), e
                refused += 1
    finally:
        stop.set()
        t.join()
    assert written + refused == 30
    for folder in [final, *(final.parent / "core.superseded").iterdir()]:
        pdf = folder / "core-2024-02.pdf"
        if pdf.exists():
            as_of = json.loads((folder / "manifest.json").read_text())["as_of"]
            assert consistent(pdf.read_bytes()) == as_of
            assert additions.problems(folder) == []


@pytest.mark.parametrize("spoil, says", [
    pytest.param(lambda f: (f / "housing.html").write_text("<h1>Housing forged</h1>"),
                 "housing.html does not match its manifest.json", id="a page altered"),
    pytest.param(lambda f: (f / "housing.html").unlink(), "cannot read housing.html",
                 id="a page removed"),
])
def test_an_export_of_a_folder_that_no_longer_matches_its_manifest_is_refused(
        period, monkeypatch, spoil, says):
    final, _ = period
    printer(monkeypatch)
    spoil(final)
    with pytest.raises(RunError, match=says):
        exports.export(final, ["pdf"], "A Tester")
    assert not (final / "core-2024-02.pdf").exists()


def test_a_superseded_publication_named_is_the_one_exported(period, monkeypatch):
    final, store = period
    publish_pages(final, B, store)
    kept = next((final.parent / "core.superseded").iterdir())
    printer(monkeypatch)
    exports.export(kept, ["pdf"], "A Tester")
    assert consistent((kept / "core-2024-02.pdf").read_bytes()) == A
    assert not (final / "core-2024-02.pdf").exists()
