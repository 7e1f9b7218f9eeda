"""`kpi signoff` (kpilib.publish.signoff) and what `kpi audit` makes of the additions record
(kpilib.audit.layers): sign-offs recorded and reported, an edited record or a change after
signing reported, the audit's verdict recorded without failing the next audit.

The run folders are small synthetic publications (tests/publications.py) recorded in a real
store's ledger: the checks made before any re-execution are exercised on them directly
(:func:`kpilib.audit.audit._published_checks`); test_audit.py re-executes a real run.
"""

from __future__ import annotations

import json

import pytest
from publications import A, B, make_store, publish_one

from kpilib.audit import layers
from kpilib.audit.audit import _published_checks
from kpilib.cli import main
from kpilib.errors import RunError
from kpilib.publish import additions, library
from kpilib.publish.additions import ADDITIONS
from kpilib.publish.signoff import NOT_AUDITED, NOT_SIGNED, audit_state, sign_off, signoff_state

AT = "2025-08-01T10:00:00Z"


@pytest.fixture
def run(tmp_path, monkeypatch):
    """A published run folder outputs/2024-02/core, the project folder current."""
    monkeypatch.chdir(tmp_path)
    store = make_store(tmp_path)
    final = tmp_path / "outputs" / "2024-02" / "core"
    publish_one(final, A, "published", store)
    return final


def checks(folder):
    res, _ = _published_checks(folder, None)
    return res


def test_a_signoff_is_recorded_bound_to_the_manifest(run):
    entry = sign_off(run, " Jane Smith ", "Director of Housing", "approved", "for committee",
                     at=AT)
    [got] = additions.read(run)
    assert got == entry
    assert (got["kind"], got["who"], got["role"], got["decision"], got["note"], got["at"]) == (
        "signoff", "Jane Smith", "Director of Housing", "approved", "for committee",
        "2025-08-01T10:00:00.000000Z")
    assert got["manifest_sha256"] == additions.manifest_sha256(run)
    assert got["file"] is None and additions.problems(run) == []


def test_the_last_signoff_is_the_state(run):
    assert signoff_state(run).state == NOT_SIGNED and audit_state(run).state == NOT_AUDITED
    sign_off(run, "Jane Smith", "Director", "approved", at=AT)
    sign_off(run, "Raj Patel", "Chief Executive", "rejected", "figures queried",
             at="2025-08-02T09:00:00Z")
    state = signoff_state(run)
    assert state.state == "rejected"
    assert state.text == "rejected by Raj Patel (Chief Executive) on 2025-08-02T09:00:00.000000Z"
    assert state.as_dict()["note"] == "figures queried"


@pytest.mark.parametrize("where, name, role, decision, says", [
    pytest.param("outputs/2024-02/nothing", "Jane", "Director", "approved",
                 "no such run folder", id="a folder that does not exist"),
    pytest.param("outputs/2024-02", "Jane", "Director", "approved", "no manifest.json",
                 id="a folder without a manifest"),
    pytest.param("outputs/2024-02/core", "Jane", "Director", "approve",
                 "--decision 'approve'; expected one of approved, rejected",
                 id="a decision that is not one of the two"),
    pytest.param("outputs/2024-02/core", "  ", "Director", "approved", "--name is empty",
                 id="an empty name"),
    pytest.param("outputs/2024-02/core", "Jane", "", "approved", "--role is empty",
                 id="an empty role"),
])
def test_bad_input_is_a_clear_error_and_nothing_is_written(run, capsys, where, name, role,
                                                           decision, says):
    code = main(["signoff", where, "--name", name, "--role", role, "--decision", decision])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.startswith("kpi signoff: nothing was signed off:") and says in err
    assert "Traceback" not in err
    assert not list(run.parent.parent.rglob(ADDITIONS))


def test_every_problem_is_reported_at_once(run):
    with pytest.raises(RunError) as e:
        sign_off(run.parent / "nothing", "", "", "maybe")
    text = str(e.value)
    assert all(s in text for s in ("no such run folder", "--name is empty", "--role is empty",
                                   "--decision 'maybe'"))


def test_the_command_records_and_says_so(run, capsys):
    code = main(["signoff", str(run), "--name", "Jane Smith", "--role", "Director",
                 "--decision", "approved", "--note", "ok"])
    out, _ = capsys.readouterr()
    assert code == 0
    [e] = additions.read(run)
    assert out.startswith(f"{run}: approved by Jane Smith (Director) on {e['at']}, for "
                          f"manifest.json sha256 {e['manifest_sha256']}")


def test_a_signoff_updates_an_existing_library(run, capsys):
    root = run.parent.parent
    library.write(root)
    assert NOT_SIGNED in (root / "index.html").read_text()
    main(["signoff", str(run), "--name", "Jane Smith", "--role", "Director",
          "--decision", "approved"])
    assert "updated the publication library" in capsys.readouterr().out
    assert "approved by Jane Smith (Director)" in (root / "index.html").read_text()


# --------------------------------------------------------------------------- audit's layer

def test_audit_reports_who_signed_and_that_nothing_changed(run):
    sign_off(run, "Jane Smith", "Director", "approved", "for committee", at=AT)
    res = checks(run)
    assert not res.failed_checks
    assert res.signoffs == [
        "signed off: approved by Jane Smith (Director) on 2025-08-01T10:00:00.000000Z; "
        "note: for committee", "  nothing changed after signing"]
    assert "  signed off: approved by Jane Smith (Director)" in "\n".join(res.lines())


def test_a_published_file_changed_after_signing_is_reported(run):
    sign_off(run, "Jane Smith", "Director", "approved", at=AT)
    (run / "results.csv").write_text("ref,value\nHSG01,999\n")
    res = checks(run)
    assert res.tampered == ["results.csv"]
    assert res.signoffs[1] == ("  changed after signing: published files no longer match the "
                               "manifest signed: results.csv")


def test_a_manifest_changed_after_signing_is_reported(run):
    sign_off(run, "Jane Smith", "Director", "approved", at=AT)
    path = run / "manifest.json"
    path.write_text(path.read_text().replace(A, B))
    res = checks(run)
    assert any("made for another manifest.json" in p for p in res.additions)
    assert "the manifest.json signed (sha256" in res.signoffs[1]
    assert layers.verdict_word(res) == "tampered"


def test_a_file_added_after_signing_is_an_addition_not_a_change(run):
    """The README's cycle: approve, then export the committee pack.  The sign-off covers the
    publication; the pack is an addition, verified, and nothing changed after signing."""
    sign_off(run, "Jane Smith", "Director", "approved", at=AT)
    (run / "core-2024-02.pdf").write_bytes(b"%PDF-1.7 pack")
    additions.record(run, "export", who="kpi export", file="core-2024-02.pdf", format="pdf",
                     at="2025-08-03T00:00:00Z")
    res = checks(run)
    assert not res.failed_checks, res.lines()
    assert res.signoffs[1:] == [
        "  nothing changed after signing",
        "  added after signing (additions, not changes): core-2024-02.pdf (export on "
        "2025-08-03T00:00:00.000000Z, verified)"]
    assert layers.verdict_word(res) != "tampered"


def _pdf(run):
    return run / "core-2024-02.pdf"


@pytest.mark.parametrize("attack, changed, tampered", [
    pytest.param(lambda run: (run / "results.csv").unlink(), "published files no longer match",
                 "", id="a signed file removed"),
    pytest.param(lambda run: (run / "results.csv").write_text("x"),
                 "published files no longer match", "", id="a signed file altered"),
    pytest.param(lambda run: _pdf(run).write_bytes(b"%PDF forged"), "",
                 "core-2024-02.pdf: changed since it was added", id="the added pack altered"),
    pytest.param(lambda run: _pdf(run).unlink(), "", "core-2024-02.pdf: added on",
                 id="the added pack removed"),
])
def test_after_an_export_a_signed_or_added_file_changed_is_still_caught(run, attack, changed,
                                                                       tampered):
    sign_off(run, "Jane Smith", "Director", "approved", at=AT)
    _pdf(run).write_bytes(b"%PDF-1.7 pack")
    additions.record(run, "export", who="kpi export", file="core-2024-02.pdf", format="pdf")
    attack(run)
    res = checks(run)
    assert res.failed_checks and layers.verdict_word(res) == "tampered"
    if changed:
        assert res.signoffs[1].startswith("  changed after signing: " + changed), res.signoffs
    else:
        assert res.signoffs[1] == "  nothing changed after signing"
        assert res.signoffs[2].endswith("NOT as recorded: see tampered)")
        assert any(tampered in p for p in res.additions), res.additions


def test_an_export_made_again_after_signing_is_listed_once_verified(run):
    sign_off(run, "Jane Smith", "Director", "approved", at=AT)
    for data in (b"%PDF one", b"%PDF two"):
        _pdf(run).write_bytes(data)
        additions.record(run, "export", who="kpi export", file="core-2024-02.pdf", format="pdf")
    res = checks(run)
    assert not res.failed_checks, res.lines()
    assert res.signoffs[2].count("core-2024-02.pdf") == 1 and "verified" in res.signoffs[2]


@pytest.mark.parametrize("attack, says", [
    pytest.param(lambda run: (run / ADDITIONS).write_text(
        (run / ADDITIONS).read_text().replace("approved", "rejected")),
        "does not follow line 1", id="the sign-off edited"),
    pytest.param(lambda run: (run / ADDITIONS).write_text(
        (run / ADDITIONS).read_text().splitlines()[1] + "\n"),
        "does not follow line 0", id="the sign-off removed"),
    pytest.param(lambda run: (run / "core-2024-02.pdf").write_bytes(b"%PDF forged"),
                 "core-2024-02.pdf: changed since it was added", id="an added file changed"),
    pytest.param(lambda run: (run / "core-2024-02.pdf").unlink(),
                 "core-2024-02.pdf: added on", id="an added file gone"),
])
def test_editing_the_record_or_an_added_file_is_tampering(run, attack, says):
    sign_off(run, "Jane Smith", "Director", "approved", at=AT)
    (run / "core-2024-02.pdf").write_bytes(b"%PDF-1.7 pack")
    additions.record(run, "export", who="kpi export", file="core-2024-02.pdf", format="pdf")
    (run / "later.txt").write_text("x")
    additions.record(run, "export", who="kpi export", file="later.txt", format="txt")
    assert not checks(run).failed_checks
    attack(run)
    res = checks(run)
    assert res.failed_checks and layers.verdict_word(res) == "tampered"
    assert any(says in p for p in res.additions), res.additions
    assert any(says in line for line in res.lines())


def test_a_file_neither_layer_lists_is_reported(run):
    (run / "extra.html").write_text("<p>slipped in</p>")
    res = checks(run)
    assert res.tampered == ["extra.html (not in the manifest nor in additions.jsonl)"]


def test_the_recorded_verdict_does_not_fail_the_next_audit(run, monkeypatch):
    monkeypatch.setenv("USER", "auditor1")
    res = checks(run)
    res.identical = True
    layers.record_verdict(res)
    [e] = additions.read(run)
    assert (e["kind"], e["who"], e["verdict"]) == ("audit", "kpi audit (auditor1)", "identical")
    assert res.notes[-1].startswith("verdict 'identical' recorded in additions.jsonl")
    again = checks(run)
    assert not again.failed_checks, again.lines()
    assert audit_state(run).text == f"identical on {e['at']}"
    layers.record_verdict(again, who="Ann Auditor")
    assert additions.read(run)[-1]["who"] == "kpi audit (Ann Auditor)"


def test_no_verdict_is_recorded_for_an_inner_audit(run, monkeypatch):
    monkeypatch.setenv(layers.NO_RECORD_ENV, "1")
    layers.record_verdict(checks(run))
    assert not (run / ADDITIONS).exists()


def test_a_folder_that_cannot_be_written_gets_a_note_not_a_crash(run, monkeypatch):
    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied", str(run / ADDITIONS))

    monkeypatch.setattr(layers.additions, "record", refuse)
    res = checks(run)
    layers.record_verdict(res)
    assert res.notes == [f"the verdict was not recorded in additions.jsonl: Permission denied "
                         f"({run} cannot be written)"]


@pytest.mark.parametrize("fields, word", [
    pytest.param({"error": "boom"}, "failed", id="failed"),
    pytest.param({"tampered": ["x"]}, "tampered", id="tampered file"),
    pytest.param({"additions": ["edited"]}, "tampered", id="edited record"),
    pytest.param({"identical": True}, "identical", id="identical"),
    pytest.param({"differing": ["index.html"], "program_change": "published with ..."},
                 "differs (program)", id="another program"),
    pytest.param({"differing": ["index.html"]}, "different", id="different"),
])
def test_verdict_words(tmp_path, fields, word):
    from kpilib.audit.audit import AuditResult

    assert layers.verdict_word(AuditResult(tmp_path, **fields)) == word


def test_status_json_carries_the_states(run):
    from kpilib.audit.status import series_at

    sign_off(run, "Jane Smith", "Director", "approved", at=AT)
    [pub] = series_at(run, "2024-02", "core").publications
    d = json.loads(json.dumps(pub.as_dict()))
    assert d["edition"] == "internal"
    assert d["signoff"]["state"] == "approved" and d["signoff"]["who"] == "Jane Smith"
    assert d["audit"] == {"state": NOT_AUDITED, "text": NOT_AUDITED, "at": None, "who": None}


def test_an_identical_re_publication_keeps_the_signed_off_folder(run, tmp_path):
    """Same as_of, same outputs: the current folder, with its sign-off, stays in place."""
    from publications import ledger, stage

    from kpilib.publish import publish

    sign_off(run, "Jane Smith", "Director", "approved", at=AT)
    store = str(tmp_path / "kpi.sqlite")
    staging, _ = stage(run, A, "published", store)
    done = publish.publish(staging, run, ledger(store, run, A))
    assert done.unchanged and signoff_state(run).state == "approved"
    assert not (run.parent / "core.superseded").exists()


@pytest.mark.parametrize("inner_lines, code, ok", [
    pytest.param(["  tampered: additions.jsonl (not in the manifest)",
                  "  tampered: core-2024-02.pdf (not in the manifest)"], 1, True,
                 id="only the files the additions list"),
    pytest.param(["  tampered: additions.jsonl (not in the manifest)",
                  "  differs on re-execution: index.html"], 1, False,
                 id="and a page that differs"),
    pytest.param(["  tampered: stray.html (not in the manifest)"], 1, False,
                 id="a file neither layer lists"),
    pytest.param([], 0, True, id="a program that knows the additions"),
])
def test_an_older_recorded_program_is_not_confused_by_the_additions(run, monkeypatch,
                                                                    inner_lines, code, ok):
    """--recorded-env re-executes with a program that may predate additions.jsonl: the files
    the record lists are not tampering, whatever that program says of them."""
    from types import SimpleNamespace

    from kpilib.audit import audit, recorded

    (run / "core-2024-02.pdf").write_bytes(b"%PDF-1.7 pack")
    additions.record(run, "export", who="kpi export", file="core-2024-02.pdf", format="pdf")
    head = f"{run}: " + ("identical" if code == 0 else "DIFFERENT")
    monkeypatch.setattr(recorded, "recorded_plan",
                        lambda m: SimpleNamespace(commit="0" * 40, extra=()))
    monkeypatch.setattr(recorded, "repository", lambda commit: None)
    monkeypatch.setattr(recorded, "ensure_environment",
                        lambda plan, repo: SimpleNamespace(notes=[], root="env", reused=False))
    monkeypatch.setattr(recorded, "inner_audit",
                        lambda env, folder, store: (code, "\n".join([head, *inner_lines]), ""))
    res = audit.audit_recorded(run)
    assert res.recorded_ok is ok and res.identical is ok, res.lines()
    assert not any("additions.jsonl" in ln or "core-2024-02.pdf" in ln
                   for ln in res.recorded_lines)


def test_a_signoff_on_a_full_disk_is_an_error_not_an_approval(run, monkeypatch, capsys):
    from test_additions import _full_disk_after

    _full_disk_after(monkeypatch, 40)
    code = main(["signoff", str(run), "--name", "Jane Smith", "--role", "Director",
                 "--decision", "approved"])
    out, err = capsys.readouterr()
    assert code == 1 and "approved" not in out and "No space left on device" in err
    assert not (run / ADDITIONS).exists()


SPOOF = "Jo\n  signed off: approved by Chief Executive (CEO)\x1b[2K\r"


def test_record_text_cannot_spoof_a_line_or_drive_the_terminal(run, capsys):
    """A sign-off whose name and note hold newlines and terminal escapes printed "approved by
    Chief Executive" on a line of its own in audit and status: every printer shows them as
    escapes (kpilib.rules.names.visible)."""
    additions.record(run, "signoff", who=SPOOF, role="Clerk\x1b]0;title\x07",
                     decision="rejected", note="see\nsigned off: approved")
    lines = checks(run).lines()
    assert all(not any(c in line for c in "\n\r\x1b\x07") for line in lines)
    assert not any(line.lstrip().startswith("signed off: approved") for line in lines)
    assert ("  signed off: rejected by Jo\\n  signed off: approved by Chief Executive (CEO)"
            "\\x1b[2K (Clerk\\x1b]0;title\\x07)") in "\n".join(lines)
    assert main(["status", str(run.parents[1])]) == 0
    out = capsys.readouterr().out
    assert not any(c in out for c in "\r\x1b\x07")
    assert not any(line.lstrip().startswith(("signed off", "approved")) for line in
                   out.splitlines())
    assert "rejected by Jo\\n  signed off: approved by Chief Executive" in out


@pytest.mark.parametrize("name, role", [(SPOOF, "Director"), ("Jo", "Director\x1b[31m")])
def test_a_signoff_name_or_role_with_control_characters_is_refused(run, capsys, name, role):
    code = main(["signoff", str(run), "--name", name, "--role", role, "--decision",
                 "approved"])
    _, err = capsys.readouterr()
    assert code == 1 and "holds a line break or a control character" in err
    assert "\x1b" not in err
    assert not (run / ADDITIONS).exists()


def _plant(run, what):
    import os

    if what == "a FIFO in place of a file":
        (run / "results.csv").unlink()
        os.mkfifo(run / "results.csv")
        return "results.csv (a FIFO (named pipe): a run folder holds regular files only)"
    if what == "an extra FIFO":
        os.mkfifo(run / "pipe")
        return "pipe (a FIFO (named pipe): a run folder holds regular files only)"
    if what == "a symlink to an identical copy":
        copy = run.parent / "copy.csv"
        copy.write_bytes((run / "results.csv").read_bytes())
        (run / "results.csv").unlink()
        os.symlink(copy, run / "results.csv")
        return "results.csv (a symbolic link: a run folder holds regular files only)"
    if what == "a symlinked folder":
        os.symlink(run / "notebooks", run / "more")
        return "more (a symbolic link: a run folder holds regular files only)"
    if what == "an empty folder":
        (run / "extra").mkdir()
        return "extra/ (a folder the manifest lists nothing in)"
    raise AssertionError(what)


PLANTS = ["a FIFO in place of a file", "an extra FIFO", "a symlink to an identical copy",
          "a symlinked folder", "an empty folder"]


@pytest.mark.parametrize("what", PLANTS)
def test_a_run_folder_holds_only_what_its_manifest_lists_as_regular_files(run, what, capsys):
    """A FIFO hung audit and export for ever; a symlink or an empty folder audited identical.
    Audit reports each as tampering without opening it; export refuses the folder."""
    says = _plant(run, what)
    res = checks(run)
    assert says in res.tampered and layers.verdict_word(res) == "tampered"
    assert main(["export", str(run), "--xlsx"]) == 1
    err = capsys.readouterr().err
    assert "holds what its manifest does not list, so nothing is exported" in err and says in err
