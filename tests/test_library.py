"""The publication library (kpilib.publish.library): ``index.html`` at the output root, built from
the run folders' manifests and additions records alone.

Synthetic publications (tests/publications.py) stand in for runs; test_status.py checks the
library a real ``kpi run`` keeps, and that a real page's link back to it works, superseded
pages included.
"""

from __future__ import annotations

import json
import multiprocessing
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from publications import A, B, make_store, publish_one, write_files

from kpilib.errors import RunError
from kpilib.publish import additions, library
from kpilib.publish.manifest import output_hashes
from kpilib.publish.signoff import sign_off

C = "2025-08-31T00:00:00.000000Z"


@pytest.fixture
def root(tmp_path):
    """outputs/ with 2024-02/core published three times (two kept) and 2024-25-Q1/service once,
    the current core publication approved, with a PDF pack recorded as an export."""
    store = make_store(tmp_path)
    out = tmp_path / "outputs"
    for as_of, content in ((A, "first"), (B, "second"), (C, "third")):
        publish_one(out / "2024-02" / "core", as_of, content, store)
    publish_one(out / "2024-25-Q1" / "service", A, "quarter", store)
    core = out / "2024-02" / "core"
    sign_off(core, "Jane Smith", "Director of Housing", "approved", at="2025-09-01T09:00:00Z")
    (core / "core-2024-02.pdf").write_bytes(b"%PDF-1.7 pack")
    additions.record(core, "export", who="kpi export", file="core-2024-02.pdf", format="pdf",
                     at="2025-09-02T09:00:00Z")
    return out


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs)["href"])


def hrefs(path: Path) -> list[str]:
    p = Links()
    p.feed(path.read_text(encoding="utf-8"))
    return p.hrefs


def rows(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", " ", r) for r in re.findall(r"<tr.*?</tr>", html, re.S)]


def test_every_publication_is_listed_by_year_period_and_report(root):
    library.write(root)
    html = (root / "index.html").read_text(encoding="utf-8")
    assert html.index("Financial year 2024-25") < html.index("Financial year 2023-24")
    assert "Feb 2024 (2024-02)" in html and "Q1 2024-25 (2024-25-Q1)" in html
    body = [r.split() for r in rows(html)[1:]]
    core = [r for r in body if any(w.startswith("2024-02/core") for w in r)]
    # the current one first, then those it superseded, newest first; moments in words
    assert [" ".join(r[r.index("internal") + 1:r.index("internal") + 6]) for r in core] == [
        "31 August 2025, 00:00 UTC", "31 July 2025, 00:00 UTC", "30 June 2025, 00:00 UTC"]
    assert "current" in core[0] and all("superseded" in r for r in core[1:])
    assert "4 publications, by council, financial year" in html


def test_the_library_shows_sign_off_audit_edition_and_exports(root):
    library.write(root)
    html = (root / "index.html").read_text(encoding="utf-8")
    first = rows(html.split("Feb 2024")[1])[1]
    assert "approved by Jane Smith (Director of Housing) on 1 September 2025, 09:00 UTC" in first
    assert "not audited" in first and "internal" in first
    assert 'href="2024-02/core/core-2024-02.pdf">PDF (core-2024-02.pdf)</a>' in html
    assert 'href="2024-02/core/index.html">Overview</a>' in html
    assert html.count("not signed off") == 3  # the superseded ones and the quarter's


def test_a_public_edition_is_listed_with_its_edition(root):
    public = root / "2024-02" / "core-public"
    write_files(public, "public")
    manifest = {"as_of": C, "outputs": output_hashes(public), "data": {},
                "parameters": {"period": "2024-02", "report": "core", "store": "x",
                               "edition": "public"}}
    (public / "manifest.json").write_text(json.dumps(manifest))
    library.write(root)
    row = next(r for r in rows((root / "index.html").read_text()) if "core-public" in r)
    assert "public" in row.split() and "(core)" in row


def test_every_link_resolves_and_nothing_is_fetched(root):
    library.write(root)
    for page in (root / "index.html", root / "2024-02" / "index.html"):
        text = page.read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text and "<script" not in text
        links = hrefs(page)
        assert links
        for href in links:
            assert (page.parent / href).resolve().is_file(), f"{page}: {href}"


def test_a_superseded_page_link_reaches_the_library_through_its_period_page(root):
    library.write(root)
    kept = next((root / "2024-02" / "core.superseded").iterdir())
    period_page = (kept / "../../index.html").resolve()
    assert period_page == (root / "2024-02" / "index.html").resolve()
    assert period_page.is_file()
    assert "../index.html" in hrefs(period_page)
    assert "Publications of Feb 2024" in period_page.read_text()
    # no period page where no superseded publication needs one
    assert not (root / "2024-25-Q1" / "index.html").exists()


def test_rebuilding_gives_the_same_bytes_wherever_the_folder_is(root, tmp_path):
    library.write(root)
    first = {p: p.read_bytes() for p in (root / "index.html", root / "2024-02" / "index.html")}
    for p in first:
        p.unlink()
    library.write(root)
    assert {p: p.read_bytes() for p in first} == first
    copy = tmp_path / "elsewhere" / "outputs"
    shutil.copytree(root, copy)
    (copy / "index.html").unlink()
    library.write(copy)
    assert (copy / "index.html").read_bytes() == first[root / "index.html"]


def test_the_library_follows_later_additions(root):
    library.write(root)
    before = (root / "index.html").read_bytes()
    additions.record(root / "2024-02" / "core", "audit", who="kpi audit (a)",
                     verdict="identical", at="2025-09-03T00:00:00Z")
    library.write(root)
    after = (root / "index.html").read_text()
    assert after.encode() != before
    assert "identical on 3 September 2025, 00:00 UTC" in after


def test_tables_are_accessible(root):
    library.write(root)
    html = (root / "index.html").read_text()
    assert '<html lang="en">' in html and "<title>Publication library</title>" in html
    tables = re.findall(r"<table\b.*?</table>", html, re.S)
    assert len(tables) == 2
    for t in tables:
        assert "<caption" in t and '<th scope="col"' in t and '<th scope="row"' in t
        assert all(s in ('scope="col"', 'scope="row"')
                   for s in re.findall(r"<th (scope=\"\w+\")", t))
        assert len(re.findall(r"<th\b", t)) == len(re.findall(r"<th scope=", t))


@pytest.mark.parametrize("setup, says", [
    pytest.param(lambda root: (root / "index.html").write_text("<p>our own home page</p>"),
                 "was not written by kpilib", id="an index.html kpilib did not write"),
    pytest.param(lambda root: None, "is a run folder", id="a run folder given"),
    pytest.param(lambda root: None, "no such folder", id="a folder that does not exist"),
])
def test_bad_output_folders_are_errors_and_nothing_is_written(root, setup, says, request):
    setup(root)
    target = {"a run folder given": root / "2024-02" / "core",
              "a folder that does not exist": root / "nothing"}.get(request.node.callspec.id,
                                                                    root)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    with pytest.raises(RunError, match=says):
        library.write(target)
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def test_a_period_page_kpilib_did_not_write_is_left_alone(root):
    own = root / "2024-02" / "index.html"
    own.write_text("<p>notes</p>")
    notes = library.write(root)
    assert notes == [f"{own} was not written by kpilib: left as it is"]
    assert own.read_text() == "<p>notes</p>" and (root / "index.html").is_file()


def test_a_damaged_manifest_is_listed_with_a_note(root):
    kept = sorted((root / "2024-02" / "core.superseded").iterdir())[0]
    (kept / "manifest.json").write_text("{not json")
    library.write(root)
    assert "manifest.json cannot be read (JSONDecodeError)" in (root / "index.html").read_text()


def _write(root: str) -> None:
    for _ in range(5):
        library.write(root)


def test_concurrent_builds_leave_one_whole_library(root):
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_write, args=(str(root),)) for _ in range(4)]
    library.write(root)
    for p in procs:
        p.start()
    seen = 0
    while any(p.is_alive() for p in procs):  # a reader never sees a partly written file
        assert (root / "index.html").read_text().endswith("</html>\n")
        seen += 1
    for p in procs:
        p.join(60)
    assert seen
    assert all(p.exitcode == 0 for p in procs)
    assert (root / "index.html").read_text() == library.page(root)
    assert not [p for p in root.rglob(".*tmp*")]


def _run_folder(folder: Path, report: str, period: str, pages: dict[str, str],
                council: dict | None = None, sources=()) -> None:
    """A synthetic run folder with ``pages`` (file -> <title>) and a manifest."""
    for file, title in pages.items():
        logo = ('<div class="council" role="banner"><img class="logo" '
                'src="data:image/svg+xml;base64,PHN2Zy8+" alt="Kent logo"></div>'
                if council and file == "index.html" else "")
        write_text = folder / file
        write_text.parent.mkdir(parents=True, exist_ok=True)
        write_text.write_text(f"<html><head><title>{title}</title></head><body>{logo}"
                              "<h1>x</h1></body></html>\n", encoding="utf-8")
    manifest = {"as_of": C, "data": {"sources": list(sources)}, "council": council or {},
                "parameters": {"period": period, "report": report, "store": "x"},
                "pages": [{"file": f, "notebook": "n", "section": None if f == "index.html"
                           else f.removesuffix(".html")} for f in pages],
                "outputs": output_hashes(folder)}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


KENT = {"name": "Kent County Council", "primary_colour": "#005ea5"}


@pytest.fixture
def two_councils(root):
    """root (one council's publications) with Kent publishing in outputs/kent/ and a KPI-set
    change report (kpi changes) in outputs/2024-25_2025-26/changes/."""
    _run_folder(root / "kent" / "2024-25-Q2" / "qpr", "qpr", "2024-25-Q2",
                {"index.html": "Quarterly performance report: Q2 2024-25",
                 "growth.html": "Growth &amp; Communities · Quarterly performance report"},
                KENT, [{"kind": "returns", "loaded_at": "2024-11-05T10:30:00.000000Z"}])
    _run_folder(root / "2024-25_2025-26" / "changes", "changes", "2024-25_2025-26",
                {"index.html": "KPI set changes 2024-25 to 2025-26"})
    return root


def test_every_council_under_the_root_is_listed_under_its_own_branded_heading(two_councils):
    library.write(two_councils)
    html = (two_councils / "index.html").read_text(encoding="utf-8")
    assert '<h2 id="council-kent">Kent County Council</h2>' in html
    kent = html[html.index('id="council-kent"'):]
    assert "Q2 2024-25 (kent/2024-25-Q2)" in kent and "Financial year 2024-25" in kent
    assert 'style="--primary: #005ea5"' in html
    assert '<img class="logo" src="data:image/svg+xml;base64,PHN2Zy8+" alt="Kent logo">' in html
    # the data's moment (its latest load), in words, not the run's as_of
    assert '<time datetime="2024-11-05T10:30:00.000000Z">5 November 2024, 10:30 UTC</time>' in kent
    assert "6 publications" in html


def test_a_change_report_has_its_own_heading_not_other_folders(two_councils):
    library.write(two_councils)
    html = (two_councils / "index.html").read_text(encoding="utf-8")
    assert "Other folders" not in html
    section = html[html.index("Changes to the KPI set"):]
    assert "2024-25 to 2025-26 (2024-25_2025-26)" in section
    assert "KPI set changes (changes)" in section


def test_pages_are_listed_by_title_with_section_pages_inside_the_overview_item(two_councils):
    library.write(two_councils)
    html = (two_councils / "index.html").read_text(encoding="utf-8")
    assert '<a href="kent/2024-25-Q2/qpr/growth.html">Growth &amp; Communities</a>' in html

    class Nesting(HTMLParser):
        """Every <ul> sits directly in an <li> or a <td>; each link's <li> is its parent."""

        def __init__(self):
            super().__init__()
            self.stack: list[str] = []
            self.bad: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag == "ul" and self.stack and self.stack[-1] not in ("li", "td"):
                self.bad.append(f"ul in {self.stack[-1]}")
            if tag == "li" and (not self.stack or self.stack[-1] != "ul"):
                self.bad.append("li outside a ul")
            if tag not in ("meta", "img", "br"):
                self.stack.append(tag)

        def handle_endtag(self, tag):
            if tag in self.stack:
                while self.stack.pop() != tag:
                    pass

    p = Nesting()
    p.feed(html)
    assert p.bad == []
    overview = re.search(r'<li><a href="kent/2024-25-Q2/qpr/index.html">Overview</a>\s*<ul>'
                         r'\s*<li><a href="kent/2024-25-Q2/qpr/growth.html">', html)
    assert overview, "the section pages are a list inside the overview's item"


def test_a_councils_period_page_links_back_to_the_library(two_councils):
    kent = two_councils / "kent" / "2024-25-Q2"
    (kent / "qpr.superseded" / "20240101T000000000000Z").mkdir(parents=True)
    _run_folder(kent / "qpr.superseded" / "20240101T000000000000Z", "qpr", "2024-25-Q2",
                {"index.html": "Old"}, KENT)
    library.write(two_councils)
    page = kent / "index.html"
    assert page.is_file()
    for href in hrefs(page):
        assert (page.parent / href).resolve().is_file(), href
    assert "../../index.html" in hrefs(page)


def test_the_change_report_name_is_kpi_sets():
    from kpilib.run.kpi_set import REPORT

    assert library.CHANGES == REPORT


def test_a_library_above_a_councils_folder_follows_its_sign_off(two_councils):
    """outputs/index.html lists outputs/kent/...: a sign-off there updates it too."""
    library.write(two_councils)
    qpr = two_councils / "kent" / "2024-25-Q2" / "qpr"
    sign_off(qpr, "Ann Lee", "Chief Executive", "approved", at="2025-01-10T12:00:00Z")
    said = library.refresh_for(qpr)
    assert f"updated the publication library {two_councils / 'index.html'}" in said
    kent = (two_councils / "index.html").read_text()
    assert "approved by Ann Lee (Chief Executive) on 10 January 2025, 12:00 UTC" in kent
