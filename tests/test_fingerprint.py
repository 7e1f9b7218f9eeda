"""The inputs fingerprint of a publication (kpilib/publish/fingerprint.py) and what `kpi run` does
with it: an identical re-run publishes nothing (a default as_of that reads the same loads is
the same run), a changed one over a signed publication is refused unless
--supersede-signed, and a sign-off made while a run executes is still respected.

Comparisons are tested on manifests directly; the signed cases on synthetic publications
(tests/publications.py); one real cycle through `kpi run`, `kpi signoff`, `kpi load` and
`kpi status` at the end.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
from publications import A, B, make_store, publish_one, stage

from kpilib.cli import main
from kpilib.errors import RunError
from kpilib.publish import fingerprint, publish
from kpilib.publish import manifest as manifest_module
from kpilib.publish.fingerprint import Current, SignedPublication, current, decide, differences
from kpilib.publish.signoff import sign_off

AT = "2025-08-01T10:00:00Z"
BASE = {
    "manifest_format": 2,
    "parameters": {"period": "2024-02", "report": "core", "store": "kpi.sqlite",
                   "as_of": A, "loads_through": 7, "edition": "internal",
                   "output_dir": "outputs", "council": None, "self_contained": False},
    "edition": {"name": "internal"}, "as_of": A,
    "run": {"recorded_at": A, "seconds": 3.2},
    "data": {"catalogue_sha256": "c1", "returns_sha256": "r1", "returns_rows": 10,
             "sources": [{"kind": "returns", "source_file": "r.csv", "sha256": "f1",
                          "loaded_at": "2024-03-01T00:00:00.000000Z"}]},
    "council": {"sha256": "s1"}, "code": {"kpilib_version": "1.0", "commit": "abc"},
    "environment": {"python": "3.12", "packages": {"pandas": "2.2"}},
    "notebooks": {"core/overview.ipynb": "n1"}, "templates": {}, "pages": [{"file": "index.html"}],
    "outputs": {"index.html": "o1"},
}


def changed(path: str, value):
    m = copy.deepcopy(BASE)
    *parents, last = path.split(":")
    node = m
    for p in parents:
        node = node[p]
    node[last] = value
    return m


@pytest.mark.parametrize("path, value, differs", [
    pytest.param("parameters:as_of", B, [], id="another as_of (the run's moment)"),
    pytest.param("as_of", B, [], id="the manifest's as_of"),
    pytest.param("parameters:loads_through", 9, [], id="a later load of something else"),
    pytest.param("run:recorded_at", B, [], id="when it was recorded"),
    pytest.param("parameters:params_file", "params/2023-24.yaml", [],
                 id="another parameter file naming the same run (a year's)"),
    pytest.param("outputs:index.html", "o2", [], id="outputs (made by the run, not inputs)"),
    pytest.param("data:returns_sha256", "r2", ["data.returns_sha256"], id="a revised return"),
    pytest.param("data:sources", [], ["data.sources"], id="other loads in effect"),
    pytest.param("parameters:edition", "public", ["parameters.edition"], id="edition"),
    pytest.param("code:commit", "def", ["code"], id="another program"),
    pytest.param("environment:packages", {"pandas": "3.0"}, ["environment"], id="packages"),
    pytest.param("council:sha256", "s2", ["council"], id="council settings or keys"),
    pytest.param("notebooks:core/overview.ipynb", "n2", ["notebooks"], id="a notebook"),
    pytest.param("templates", {"project:templates/x": "t"}, ["templates"], id="a template"),
    pytest.param("pages", [], ["pages"], id="the pages"),
])
def test_what_the_fingerprint_covers(path, value, differs):
    other = changed(path, value)
    assert differences(BASE, other) == differs
    assert (fingerprint.fingerprint(BASE) == fingerprint.fingerprint(other)) == (not differs)


# --------------------------------------------------------------------------- against a folder


@pytest.fixture
def published(tmp_path, monkeypatch):
    """A synthetic publication outputs/2024-02/core recorded in a store's ledger."""
    monkeypatch.chdir(tmp_path)
    store = make_store(tmp_path)
    final = tmp_path / "outputs" / "2024-02" / "core"
    publish_one(final, A, "published", store)
    return final


def manifest_of(folder):
    return json.loads((folder / "manifest.json").read_text())


def test_the_same_inputs_at_another_as_of_publish_nothing(published):
    m = manifest_of(published)
    again = {**m, "as_of": B, "parameters": {**m["parameters"], "as_of": B}}
    cur = current(published, again, lambda sha: True)
    assert cur.unchanged and cur.signed is None
    note = decide(cur)
    assert note.startswith(f"unchanged, verified: {published} already publishes these inputs")
    assert "--force" in note
    assert decide(cur, force=True) == ""


@pytest.mark.parametrize("spoil, problem", [
    pytest.param(lambda f: (f / "index.html").write_text("forged"),
                 "its files no longer match its manifest", id="a published file altered"),
    pytest.param(lambda f: (f / "index.html").unlink(),
                 "its files no longer match its manifest", id="a published file removed"),
    pytest.param(None, "not in the store's ledger", id="not in the ledger"),
])
def test_a_publication_that_cannot_be_trusted_never_stands_for_a_run(published, spoil,
                                                                     problem):
    if spoil:
        spoil(published)
    cur = current(published, manifest_of(published), lambda sha: spoil is not None)
    assert not cur.unchanged and problem in cur.problem
    assert decide(cur) == ""  # published again: the evidence is kept as superseded


def _unreadable(monkeypatch):
    real = manifest_module.sha256_file

    def refuse(path):
        if Path(path).name == "index.html":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)
    monkeypatch.setattr(manifest_module, "sha256_file", refuse)


@pytest.mark.parametrize("spoil, problem", [
    pytest.param(lambda f, mp: (f / "extra.html").write_text("x"),
                 "its files no longer match its manifest (not in its manifest: extra.html)",
                 id="a file added"),
    pytest.param(lambda f, mp: (f / "link.html").symlink_to(f / "index.html"),
                 "it holds what a publication does not: link.html (a symbolic link",
                 id="a link added"),
    pytest.param(lambda f, mp: _unreadable(mp),
                 "a file's hash cannot be computed (Permission denied: ",
                 id="a file that cannot be read"),
])
def test_doubt_about_the_files_means_executing(published, monkeypatch, spoil, problem):
    spoil(published, monkeypatch)
    cur = current(published, manifest_of(published), lambda sha: True)
    assert cur.problem.startswith(problem) and not cur.unchanged
    assert decide(cur) == ""


def test_a_ledger_row_elsewhere_is_doubt(published):
    """The manifest is in the ledger, but not as the current publication of this place."""
    cur = current(published, manifest_of(published), lambda sha: "the store's ledger says: "
                  "rolled back: ...")
    assert cur.problem.startswith("the store's ledger says: rolled back") and not cur.unchanged


def test_nothing_published_yet_is_no_comparison(tmp_path):
    assert current(tmp_path / "outputs" / "2024-02" / "core", BASE) is None
    assert decide(None) == ""


def test_an_identical_rerun_of_a_signed_publication_says_so(published):
    sign_off(published, "Jane Smith", "Director", "approved", at=AT)
    cur = current(published, manifest_of(published), lambda sha: True)
    assert decide(cur) == (f"unchanged, verified: {published} (signed off: approved by "
                           "Jane Smith (Director) on 2025-08-01T10:00:00.000000Z) already "
                           f"publishes these inputs ({fingerprint.VERIFIED}); nothing was "
                           "published")


@pytest.mark.parametrize("last, signed", [
    pytest.param(["approved"], True, id="approved"),
    pytest.param(["rejected"], False, id="rejected"),
    pytest.param(["approved", "rejected"], False, id="approved then rejected"),
    pytest.param(["rejected", "approved"], True, id="rejected then approved"),
])
def test_signed_means_the_latest_signoff_approves(published, last, signed):
    for d in last:
        sign_off(published, "Jane Smith", "Director", d, at=AT)
    other = {**manifest_of(published), "data": {"returns_sha256": "revised"}}
    cur = current(published, other, lambda sha: True)
    if not signed:
        assert decide(cur) == ""
        return
    with pytest.raises(SignedPublication) as e:
        decide(cur)
    text = str(e.value)
    assert text.startswith(f"{published} is a signed publication (signed off: approved by "
                           "Jane Smith (Director)")
    assert "this run's inputs differ: data.returns_sha256" in text
    assert "supersede a signed publication" in text and "--supersede-signed" in text
    assert decide(cur, supersede_signed=True) == ""


def test_force_over_a_signed_publication_still_needs_supersede_signed(published):
    sign_off(published, "Jane Smith", "Director", "approved", at=AT)
    cur = current(published, manifest_of(published), lambda sha: True)
    with pytest.raises(SignedPublication, match="--force was given"):
        decide(cur, force=True)
    assert decide(cur, force=True, supersede_signed=True) == ""


def test_a_signoff_made_while_the_run_executed_stops_the_publication(published, tmp_path):
    """The check before executing saw no sign-off; the guard, under the publication lock,
    sees the one made meanwhile: nothing is published, the signed folder is untouched."""
    store = make_store(tmp_path / "other")
    before = sorted(p.name for p in published.parent.iterdir())
    staging, _ = stage(published, B, "new", store)
    sign_off(published, "Jane Smith", "Director", "approved", at=AT)
    with pytest.raises(SignedPublication, match="was signed off while this run was executing"):
        publish.publish(staging, published, None, fingerprint.guard(False))
    publish.discard(staging)
    assert sorted(p.name for p in published.parent.iterdir()) == before
    assert manifest_of(published)["as_of"] == A
    assert fingerprint.guard(True) is None


def test_the_refusal_is_a_run_error_the_cli_reports():
    """kpi run turns a RunError into a message and exit code 1, never a traceback."""
    assert issubclass(SignedPublication, RunError)
    assert Current(Path("x"), BASE, ["code"]).unchanged is False
    assert Current(Path("x"), BASE, [], "its manifest is not in the ledger").unchanged is False


# --------------------------------------------------------------------------- a real cycle


def kpi(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


REVISED = "ref,period,breakdown,value,numerator,denominator,status,commentary\n" \
          "AFL17,2024-02,,261,,,,<p>Restated.</p>\n"


def test_the_monthly_cycle_with_a_signed_publication(tmp_path, test_store, capsys,
                                                      monkeypatch):
    """Run (default as_of), approve, run again with the same data: nothing is published and
    the signed one stays current; a revision loaded: refused without --supersede-signed,
    then published with it, the signed one kept as superseded with its sign-off."""
    shutil.copyfile(test_store, tmp_path / "kpi.sqlite")
    (tmp_path / "p.yaml").write_text('period: "2024-02"\nreport: core\nstore: kpi.sqlite\n')
    monkeypatch.chdir(tmp_path)
    run = tmp_path / "outputs" / "2024-02" / "core"
    assert kpi(capsys, "run", "p.yaml", "--quiet")[0] == 0
    first = (run / "manifest.json").read_bytes()
    assert kpi(capsys, "signoff", run, "--name", "Jane Smith", "--role", "Director",
               "--decision", "approved")[0] == 0

    code, out, err = kpi(capsys, "run", "p.yaml", "--quiet")  # a new as_of, the same loads
    assert code == 0, err
    assert "unchanged, verified: outputs/2024-02/core (signed off: approved by Jane Smith " \
           "(Director) " \
           "on " in out and "already publishes these inputs" in out
    assert (run / "manifest.json").read_bytes() == first
    assert not (run.parent / "core.superseded").exists()
    code, out, err = kpi(capsys, "run", "p.yaml", "--quiet", "--force")
    assert code == 1 and "--force was given" in err and "Traceback" not in err
    assert (run / "manifest.json").read_bytes() == first

    (tmp_path / "rev.csv").write_text(REVISED)
    assert kpi(capsys, "load", "returns", "rev.csv", "--store", "kpi.sqlite")[0] == 0
    code, out, err = kpi(capsys, "run", "p.yaml", "--quiet")
    assert code == 1 and "is a signed publication" in err, out + err
    assert "data.returns_sha256" in err and "--supersede-signed" in err
    assert (run / "manifest.json").read_bytes() == first
    assert not (run.parent / "core.superseded").exists()

    code, out, err = kpi(capsys, "run", "p.yaml", "--quiet", "--supersede-signed")
    assert code == 0, err
    [kept] = list((run.parent / "core.superseded").iterdir())
    assert (kept / "manifest.json").read_bytes() == first
    code, out, err = kpi(capsys, "status", "--json")
    assert code == 0, err
    [pub] = json.loads(out)["publications"]
    assert pub["current"]["signoff"]["state"] == "not signed off"
    assert [s["signoff"]["state"] for s in pub["superseded"]] == ["approved"]
    html = (tmp_path / "outputs" / "index.html").read_text(encoding="utf-8")
    assert "approved by Jane Smith (Director)" in html  # the superseded one, listed as such


# --------------------------------------------------------------------------- never stale

TARGETS = "ref,period,target\nAFL17,2024-02,250\n"
OVERRIDES = "ref,period,status,reason,by\nAFL17,2024-02,Amber,Judged on the trend,Director\n"


def _load(kind: str, name: str, text: str):
    def step(capsys):
        Path(name).write_text(text, encoding="utf-8")
        code, out, err = kpi(capsys, "load", kind, name, "--store", "kpi.sqlite")
        assert code == 0, err
    return step


def _catalogue(capsys):
    """The 2023-24 catalogue loaded again with one target changed."""
    import csv

    from kpilib.demo.generator import write_demo_files

    write_demo_files("demo")
    path = Path("demo/catalogue-2023-24.csv")
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    [row] = [r for r in rows if r["ref"] == "AFL17"]
    row["target"] = str(float(row["target"] or 0) + 1)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    code, out, err = kpi(capsys, "load", "catalogue", path, "--store", "kpi.sqlite")
    assert code == 0, err


def _write(name: str, text: str | Path):
    def step(capsys):
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        data = text.read_bytes() if isinstance(text, Path) else text.encode("utf-8")
        Path(name).write_bytes(data)
    return step


PACKAGE = Path(fingerprint.__file__).resolve().parents[1]
# (what changes, the change, what the run must name) in the order a test walks them
INPUTS = [
    ("a return", _load("returns", "rev.csv", REVISED),
     ["new load returns rev.csv (loaded ", "the returns rows it reads"]),
    ("a target", _load("targets", "targets.csv", TARGETS),
     ["new load targets targets.csv (loaded ", "the targets rows it reads"]),
    ("an override", _load("overrides", "overrides.csv", OVERRIDES),
     ["new load overrides overrides.csv (loaded "]),
    ("the catalogue", _catalogue,
     ["new load catalogue catalogue-2023-24.csv (loaded ", "the catalogue rows it reads"]),
    ("a council setting", _write("council.yaml", "footer: Performance team\n"),
     ["council settings council.yaml: footer changed"]),
    ("the council's keys", _write("council.yaml", "footer: Performance team\n"
                                                   "spc:\n  min_points: 10\n"),
     ["council settings council.yaml changed (its keys, report shape"]),
    ("a template override", _write("templates/fragments/badges.html.j2",
                                   PACKAGE / "templates/fragments/badges.html.j2"),
     ["template project:templates/fragments/badges.html.j2 added"]),
    ("a project notebook", _write("notebooks/core/overview.ipynb",
                                  PACKAGE / "notebooks/overview.ipynb"),
     ["notebook "]),
    ("the parameters", _write("p.yaml", 'period: "2024-02"\nreport: core\nstore: kpi.sqlite\n'
                                        "pdf: false\nedition: internal\noutput_dir: outputs\n"
                                        "council: council.yaml\n"),
     ["parameter council: None -> 'council.yaml'"]),
]


@pytest.mark.slow
def test_reuse_never_publishes_a_stale_report(tmp_path, test_store, capsys, monkeypatch):
    """Each kind of input changed in turn: the run executes again and names what changed;
    with nothing changed it is 'unchanged, verified' and executes nothing; a file tampered
    with is doubt (executed again, saying why); the reused publication audits identical,
    and audit re-executes it (it never reuses)."""
    from kpilib.run import runner

    shutil.copyfile(test_store, tmp_path / "kpi.sqlite")
    (tmp_path / "p.yaml").write_text('period: "2024-02"\nreport: core\nstore: kpi.sqlite\n')
    monkeypatch.chdir(tmp_path)
    run = tmp_path / "outputs" / "2024-02" / "core"
    assert kpi(capsys, "run", "p.yaml", "--quiet")[0] == 0
    executed = []
    real = runner.execute_report
    monkeypatch.setattr(runner, "execute_report",
                        lambda prep, *a, **k: (executed.append(prep.final), real(prep, *a, **k))[1])
    for what, change, named in INPUTS:
        before = (run / "manifest.json").read_bytes()
        change(capsys)
        code, out, err = kpi(capsys, "run", "p.yaml", "--quiet")
        assert code == 0, f"{what}: {err}"
        assert "unchanged" not in out and len(executed) == 1, f"{what} was not noticed: {out}"
        [said] = [ln for ln in out.splitlines() if ln.startswith("  re-executed: ")]
        assert all(n in said for n in named), f"{what}: {said}"
        assert (run / "manifest.json").read_bytes() != before
        executed.clear()

    code, out, err = kpi(capsys, "run", "p.yaml", "--quiet")
    assert code == 0 and not executed, err
    assert "unchanged, verified: outputs/2024-02/core already publishes these inputs" in out

    (run / "results.csv").write_text("tampered\n")
    code, out, err = kpi(capsys, "run", "p.yaml", "--quiet")
    assert code == 0 and len(executed) == 1, err
    assert ("re-executed: the current publication cannot be reused: its files no longer match "
            "its manifest (altered: results.csv)") in out
    executed.clear()
    assert "unchanged, verified" in kpi(capsys, "run", "p.yaml", "--quiet")[1]

    monkeypatch.setattr(fingerprint, "current", lambda *a: pytest.fail("audit compared"))
    code, out, err = kpi(capsys, "audit", run)
    assert code == 0 and f"{run}: identical" in out, out + err
    assert len(executed) == 1 and executed[0] != run  # re-executed, in a folder of its own
