"""Audit, tested through the `kpi` command: re-execution proves a published report identical
even after revisions; tampering is caught; revisions since publication are listed."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from kpilib.cli import main
from kpilib.ingest.contracts import CATALOGUE_ADDED
from kpilib.publish.manifest import (
    CATALOGUE_KEY,
    catalogue_columns,
    frame_digest,
    output_hashes,
    read_manifest,
)

ROOT = Path(__file__).resolve().parent.parent
REVISION = """ref,period,breakdown,value,numerator,denominator,status,commentary
AFL17,2024-02,,260,,,,<p>Restated after a data cleanse.</p>
STP44,2024-02,,,31000,31678,,
AFL17,2023-05,,999,,,,<p>Last year's figure restated: shown in the trend chart.</p>
AFL17,2024-03,,999,,,,
STP15,2024-02,,{stp15},,
"""


@pytest.fixture
def workdir(tmp_path, test_store, monkeypatch):
    """A working folder with its own copy of the demo store and a Feb 2024 parameter set."""
    shutil.copyfile(test_store, tmp_path / "kpi.sqlite")
    (tmp_path / "p.yaml").write_text('period: "2024-02"\nreport: core\nstore: kpi.sqlite\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def kpi(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def results(folder):
    return pd.read_csv(Path(folder) / "results.csv", dtype=str, keep_default_na=False)


def value(df, ref, column):
    return df[(df["ref"] == ref) & (df["column"] == column) & (df["breakdown"] == "")].iloc[0]


def test_revised_data_does_not_change_an_earlier_report(workdir, capsys):
    code, out, err = kpi(capsys, "run", "p.yaml")
    assert code == 0, err
    run = workdir / "outputs" / "2024-02" / "core"
    assert "outputs/2024-02/core/index.html" in out
    published = results(run)

    # STP15 is re-sent unchanged: a new load of the same figures is not a revision
    stp15 = value(published, "STP15", "2024-02")
    (workdir / "rev.csv").write_text(REVISION.format(
        stp15=f"{stp15['value']},{stp15['numerator']},{stp15['denominator']}"))
    code, out, err = kpi(capsys, "load", "returns", "rev.csv", "--store", "kpi.sqlite")
    assert code == 0, err

    code, out, err = kpi(capsys, "audit", run)
    assert code == 0, out + err
    assert "identical" in out

    code, out, err = kpi(capsys, "revisions", run)
    assert code == 0, err
    lines = [ln for ln in out.splitlines() if ln.startswith(("AFL17", "STP44", "STP15"))]
    # the table's figures and the trend chart's (2023-05); not March, after the report
    assert sorted(ln.split()[1] for ln in lines) == ["2023-05", "2024-02", "2024-02"], out
    afl17 = next(ln for ln in lines if ln.startswith("AFL17") and "2024-02" in ln)
    assert "2024-02" in afl17 and "260" in afl17 and "rev.csv" in afl17
    assert value(published, "AFL17", "2024-02")["value"] in afl17

    code, out, err = kpi(capsys, "run", "p.yaml")
    assert code == 0, err
    again = results(run)
    assert value(again, "AFL17", "2024-02")["value"] == "260"
    assert value(again, "STP44", "2024-02")["numerator"] == "31000"
    assert value(published, "AFL17", "2024-02")["value"] != "260"


def test_editing_one_byte_of_a_published_page_fails_the_audit(workdir, capsys):
    assert kpi(capsys, "run", "p.yaml")[0] == 0
    run = workdir / "outputs" / "2024-02" / "core"
    page = run / "place-economy.html"
    data = bytearray(page.read_bytes())
    i = data.index(b"Place")
    data[i] = ord("p")
    page.write_bytes(bytes(data))
    code, out, err = kpi(capsys, "audit", run)
    assert code == 1
    assert "place-economy.html" in out
    assert "tampered" in out


def test_edited_results_csv_is_named_with_the_values(workdir, capsys):
    assert kpi(capsys, "run", "p.yaml")[0] == 0
    run = workdir / "outputs" / "2024-02" / "core"
    text = (run / "results.csv").read_text()
    (run / "results.csv").write_text(text.replace("AFL12,,2024-02,", "AFL12,,2024-02,1", 1))
    code, out, _ = kpi(capsys, "audit", run)
    assert code == 1 and "results.csv" in out


def test_manifest_is_the_receipt(workdir, capsys):
    assert kpi(capsys, "run", "p.yaml")[0] == 0
    run = workdir / "outputs" / "2024-02" / "core"
    m = read_manifest(run)
    assert m["parameters"]["period"] == "2024-02" and m["parameters"]["report"] == "core"
    assert m["as_of"].endswith("Z")
    assert len(m["data"]["catalogue_sha256"]) == 64 and len(m["data"]["returns_sha256"]) == 64
    assert {s["source_file"] for s in m["data"]["sources"]} >= {"catalogue-2023-24.csv",
                                                                "returns-2024-02.csv"}
    assert m["code"]["kpilib_version"] and "commit" in m["code"] and "dirty" in m["code"]
    assert m["environment"]["python"] == sys.version.split()[0]
    assert "pandas" in m["environment"]["packages"]
    assert set(m["notebooks"]) == {"kpilib:overview.ipynb", "kpilib:section.ipynb"}
    assert m["outputs"] == output_hashes(run)
    assert "manifest.json" not in m["outputs"]


def test_data_hash_does_not_depend_on_row_order():
    df = pd.DataFrame({"ref": ["A", "B"], "period": ["2024-01", "2024-01"], "breakdown": ["", ""],
                       "value": [1.0, float("nan")]})
    cols = list(df.columns)
    key = ["ref", "period", "breakdown"]
    assert frame_digest(df, cols, key) == frame_digest(df.iloc[::-1], cols, key)
    changed = df.assign(value=[1.5, float("nan")])
    assert frame_digest(df, cols, key) != frame_digest(changed, cols, key)


@pytest.mark.parametrize("fill, same", [
    pytest.param({}, True, id="later columns unused: the fingerprint of a catalogue before them"),
    pytest.param({"decimals": "1"}, False, id="decimals used: fingerprinted"),
    pytest.param({"baseline": "98"}, False, id="baseline used: fingerprinted"),
])
def test_catalogue_fingerprint_of_columns_added_later(catalogue_frame, fill, same):
    """Publications made before decimals and baseline existed still audit as identical."""
    before = catalogue_frame.drop(columns=list(CATALOGUE_ADDED))
    now = catalogue_frame.copy()
    for col, value in fill.items():
        now.loc[0, col] = value
    digest = frame_digest(now, catalogue_columns(now), CATALOGUE_KEY)
    assert (digest == frame_digest(before, list(before.columns), CATALOGUE_KEY)) == same


def test_audit_of_a_whole_tree(workdir, capsys):
    for month in ("2024-01", "2024-02"):
        (workdir / f"{month}.yaml").write_text(
            f'period: "{month}"\nreport: core\nstore: kpi.sqlite\nas_of: "2025-06-30T00:00:00Z"\n')
        assert kpi(capsys, "run", f"{month}.yaml")[0] == 0
    code, out, err = kpi(capsys, "audit", "outputs")
    assert code == 0, out + err
    lines = out.strip().splitlines()
    assert sum(ln.endswith(": identical") for ln in lines) == 2
    assert "2 runs audited: 2 identical" in lines[-1]


def test_audit_of_a_folder_without_a_manifest(workdir, capsys):
    (workdir / "empty").mkdir()
    code, out, err = kpi(capsys, "audit", "empty")
    assert code == 1 and "no run folders" in err


def _clone(src_root: Path, dest: Path, store: Path) -> Path:
    dest.mkdir()
    for part in ("kpilib", "notebooks"):
        shutil.copytree(src_root / part, dest / part,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(store, dest / "kpi.sqlite")
    (dest / "p.yaml").write_text(
        'period: "2024-02"\nreport: core\nstore: kpi.sqlite\nas_of: "2025-06-30T00:00:00Z"\n')
    return dest


def test_two_clones_give_identical_outputs(tmp_path, test_store):
    hashes = []
    for name in ("clone-a", "clone-b"):
        clone = _clone(ROOT, tmp_path / name, test_store)
        env = dict(os.environ, PYTHONPATH=str(clone))
        code = ("import kpilib, sys; from kpilib.cli import main; "
                f"assert kpilib.__file__.startswith({str(clone)!r}), kpilib.__file__; "
                "sys.exit(main(['run', 'p.yaml', '--quiet']))")
        proc = subprocess.run([sys.executable, "-c", code], cwd=clone, env=env,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        hashes.append(output_hashes(clone / "outputs" / "2024-02" / "core"))
    assert hashes[0] == hashes[1]
    assert len(hashes[0]) >= 12
    m = json.loads((tmp_path / "clone-a" / "outputs" / "2024-02" / "core" / "manifest.json")
                   .read_text())
    assert m["outputs"] == hashes[0]


def test_audit_warns_but_passes_when_packages_or_code_changed(workdir, capsys, monkeypatch):
    """The program has moved on since publication (a package upgraded, a new commit): the
    manifest is untouched (an edited manifest is tampering), the audit environment differs."""
    from kpilib.audit import audit as audit_mod

    assert kpi(capsys, "run", "p.yaml")[0] == 0
    run = workdir / "outputs" / "2024-02" / "core"
    m = json.loads((run / "manifest.json").read_text())
    real_env = audit_mod.environment()
    moved_env = {**real_env, "packages": {**real_env["packages"], "pandas": "99.0"}}
    monkeypatch.setattr(audit_mod, "environment", lambda: moved_env)
    monkeypatch.setattr(audit_mod, "git_info", lambda: {"commit": "f" * 40, "dirty": False})
    code, out, _ = kpi(capsys, "audit", run)
    assert code == 0, out
    assert "identical" in out
    pandas_then = m["environment"]["packages"]["pandas"]
    assert f"warning: installed packages differ from the manifest's: pandas {pandas_then} -> " \
           "99.0" in out
    assert "warning: code commit differs: run at " in out and "now ffffffffffff" in out


@pytest.mark.parametrize("found, verdict", [
    ({"differing": ["index.html"]}, "differs; published with kpilib 0.1.0 at commit aaaaaaaaaaaa, "
     "re-executed with kpilib 0.1.0 at commit bbbbbbbbbbbb: re-run with --recorded-env"),
    ({"differing": ["index.html"], "tampered": ["index.html"]}, "DIFFERENT"),
    ({"differing": ["index.html"], "data_changes": ["the returns rows ..."]}, "DIFFERENT"),
    ({"differing": ["index.html"], "signature_failed": "INVALID: ..."}, "DIFFERENT"),
    ({"tampered": ["index.html"]}, "DIFFERENT"),
], ids=["outputs differ, program changed", "tampering comes first", "changed data comes first",
        "a bad signature comes first", "program change alone is not a difference"])
def test_a_changed_program_is_named_only_when_it_explains_the_difference(found, verdict):
    from kpilib.audit.audit import AuditResult

    res = AuditResult(Path("run"), program_change="published with kpilib 0.1.0 at commit "
                      "aaaaaaaaaaaa, re-executed with kpilib 0.1.0 at commit bbbbbbbbbbbb", **found)
    assert res.lines()[0] == f"run: {verdict}"


def test_the_program_change_names_code_packages_and_python(monkeypatch):
    from kpilib.audit import audit as audit_mod

    env = audit_mod.environment()
    commit = "a" * 40
    manifest = {"code": {"kpilib_version": "0.1.0", "commit": commit, "dirty": False},
                "environment": {**env, "packages": {**env["packages"], "pandas": "1.0.0"}}}
    monkeypatch.setattr(audit_mod, "git_info", lambda: {"commit": commit, "dirty": False})
    monkeypatch.setattr(audit_mod, "__version__", "0.1.0")
    assert audit_mod.program_change({**manifest, "environment": env}) == ""
    text = audit_mod.program_change(manifest)
    assert text == (f"published with kpilib 0.1.0 at commit {commit[:12]}, re-executed with "
                    f"kpilib 0.1.0 at commit {commit[:12]} (packages pandas 1.0.0 -> "
                    f"{env['packages']['pandas']})")
    monkeypatch.setattr(audit_mod, "git_info", lambda: {"commit": commit, "dirty": True})
    assert "re-executed with kpilib 0.1.0 at commit aaaaaaaaaaaa with uncommitted changes" in \
        audit_mod.program_change({**manifest, "environment": env})


def test_data_hash_does_not_depend_on_the_sign_of_zero():
    """A value of -0 is stored by SQLite as 0: the rows read back are the same rows."""
    df = pd.DataFrame({"ref": ["A"], "period": ["2024-02"], "breakdown": [""], "value": [-0.0]})
    assert frame_digest(df, list(df.columns), ["ref"]) == \
        frame_digest(df.assign(value=[0.0]), list(df.columns), ["ref"])


def test_audit_verifies_the_additions_and_records_its_verdict(workdir, capsys, monkeypatch):
    """Sign-off and an export added after publication are legitimate; each audit records its
    verdict, which the next audit finds listed; a file neither layer lists is tampering."""
    from kpilib.publish import additions

    monkeypatch.setenv("USER", "auditor1")
    assert kpi(capsys, "run", "p.yaml")[0] == 0
    run = workdir / "outputs" / "2024-02" / "core"
    assert kpi(capsys, "signoff", run, "--name", "Jane Smith", "--role", "Director",
               "--decision", "approved")[0] == 0
    (run / "core-2024-02.pdf").write_bytes(b"%PDF-1.7 pack")
    additions.record(run, "export", who="kpi export", file="core-2024-02.pdf", format="pdf")
    for _ in range(2):
        code, out, err = kpi(capsys, "audit", run)
        assert code == 0, out + err
        assert out.startswith(f"{run}: identical\n")
        assert "  signed off: approved by Jane Smith (Director) on " in out
        assert "    nothing changed after signing\n    added after signing (additions, not " \
               "changes): core-2024-02.pdf (export on " in out
        assert "changed after signing:" not in out
        assert "  note: verdict 'identical' recorded in additions.jsonl" in out
    (run / "stray.html").write_text("<p>slipped in</p>")
    code, out, _ = kpi(capsys, "audit", run, "--who", "Ann Auditor")
    assert code == 1
    assert "  tampered: stray.html (not in the manifest nor in additions.jsonl)" in out
    audits = [e for e in additions.read(run) if e["kind"] == "audit"]
    assert [(e["who"], e["verdict"]) for e in audits] == [
        ("kpi audit (auditor1)", "identical"), ("kpi audit (auditor1)", "identical"),
        ("kpi audit (Ann Auditor)", "tampered")]
    assert additions.problems(run) == []
