"""What audit trusts (kpilib/audit/anchors.py): the auditor's store and council settings,
never those a run folder's manifest names outside the auditor's project folder."""

from __future__ import annotations

from kpilib.audit.anchors import anchor


def _manifest(store="data/kpi.sqlite", council=None):
    return {"parameters": {"store": store, "council": council, "period": "2024-02",
                           "report": "core"}}


def test_a_store_and_council_of_the_project_folder_are_the_auditors(tmp_path):
    (tmp_path / "council.yaml").write_text("name: X\n")
    a = anchor(_manifest("data/kpi.sqlite", "councils/kent.yaml"), project=tmp_path)
    assert (a.store, a.council, a.untrusted, a.error) == ("data/kpi.sqlite",
                                                          "councils/kent.yaml", [], "")
    a = anchor(_manifest(str(tmp_path / "data" / "kpi.sqlite")), project=tmp_path)
    assert (a.store, a.council, a.untrusted) == (str(tmp_path / "data" / "kpi.sqlite"),
                                                 "council.yaml", [])
    a = anchor(_manifest(), store=f"sqlite:///{tmp_path}/data/kpi.sqlite", project=tmp_path)
    assert a.untrusted == []  # the same file, named as a URL


def test_a_store_outside_the_project_or_a_url_is_never_opened_on_the_manifests_word(tmp_path):
    for named in ("/elsewhere/evil.sqlite", "../evil.sqlite", "postgresql://evil/kpi"):
        a = anchor(_manifest(named), project=tmp_path)
        assert a.store is None and "not opened on the manifest's word" in a.error, named
    a = anchor(_manifest("/elsewhere/evil.sqlite"), store="kpi.sqlite", project=tmp_path)
    assert a.store == "kpi.sqlite" and not a.error
    assert a.untrusted == ["the manifest names store '/elsewhere/evil.sqlite', not the store "
                           "audited against (kpi.sqlite): the run was not published from it"]


def test_council_settings_outside_the_project_are_never_trusted(tmp_path):
    (tmp_path / "council.yaml").write_text("require_signature: true\n")
    a = anchor(_manifest(council="/forger/council.yaml"), project=tmp_path)
    assert a.council == "council.yaml"
    assert "names council settings '/forger/council.yaml', outside this project" \
        in a.untrusted[0]
    a = anchor(_manifest(council="councils/kent.yaml"), council="councils/surrey.yaml",
               project=tmp_path)
    assert a.council == "councils/surrey.yaml" and "not those audited with" in a.untrusted[0]
    assert anchor(_manifest(), council="c.yaml", project=tmp_path).untrusted == []


def test_the_re_execution_names_the_settings_as_the_run_did(tmp_path):
    (tmp_path / "council.yaml").write_text("name: X\n")
    assert anchor(_manifest(), project=tmp_path).run_council is None  # found as runs find it
    assert anchor(_manifest(), council="council.yaml", project=tmp_path).run_council is None
    assert anchor(_manifest(council="councils/kent.yaml"), project=tmp_path).run_council == \
        "councils/kent.yaml"
    assert anchor(_manifest(council="/forger/c.yaml"), project=tmp_path).run_council is None
