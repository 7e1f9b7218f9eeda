"""Signed manifests (kpilib/publish/signing.py): a council key vouches for a run, and every way of
forging, swapping or dropping the signature fails the audit.

The verdicts are tried on a small folder first (fast); then a real run signed by `kpi run` is
audited with `kpi audit`, as a forger would attack it.
"""

from __future__ import annotations

import json
import os
import shutil
import stat

import pytest

from kpilib.cli import main
from kpilib.publish.signing import (
    SIGNATURE,
    Signer,
    SigningError,
    SigningSettings,
    generate_key,
    verify_run,
)
from kpilib.settings.council import CouncilError, load_signing


def keypair(tmp_path, name="council"):
    private = tmp_path / "keys" / f"{name}.pem"
    public, fp = generate_key(private)
    return private, public, fp


@pytest.fixture
def signed(tmp_path):
    """A folder with a manifest signed by the council's key; the council's settings."""
    private, public, fp = keypair(tmp_path)
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "manifest.json").write_text('{"as_of": "2025-06-30T00:00:00.000000Z"}\n')
    settings = SigningSettings(private, (public,), True, "council.yaml")
    Signer(settings).sign(folder)
    return folder, settings, fp


def test_keygen_writes_a_private_key_only_its_owner_can_read(tmp_path):
    private, public, fp = keypair(tmp_path)
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    assert private.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert public.name == "council.pub" and public.read_text().startswith("-----BEGIN PUBLIC KEY")
    assert len(fp) == 64
    with pytest.raises(SigningError, match="never overwrites"):
        generate_key(private)


def test_keygen_never_writes_one_key_over_the_other(tmp_path, capsys):
    """``kpi keygen keys/x.pub`` wrote the private key, then its public key over it."""
    keys = tmp_path / "keys"
    assert main(["keygen", str(keys / "x.pub")]) == 1
    assert "the private key may not be named *.pub" in capsys.readouterr().err
    assert not keys.exists() or not any(keys.iterdir())


def test_keygen_never_writes_through_a_link(tmp_path, capsys):
    keys = tmp_path / "keys"
    keys.mkdir()
    os.symlink(tmp_path / "elsewhere.pub", keys / "council.pub")  # a dangling link
    assert main(["keygen", str(keys / "council.pem")]) == 1
    assert "already exists" in capsys.readouterr().err
    assert not (tmp_path / "elsewhere.pub").exists() and not (keys / "council.pem").exists()


def test_keygen_leaves_no_half_pair(tmp_path, monkeypatch):
    """The public key cannot be written: the private key written just before is removed."""
    real = os.open

    def refuse_pub(path, *a, **k):
        if str(path).endswith(".pub"):
            raise OSError(28, "No space left on device")
        return real(path, *a, **k)

    monkeypatch.setattr(os, "open", refuse_pub)
    with pytest.raises(SigningError, match="No space left on device"):
        generate_key(tmp_path / "keys" / "council.pem")
    monkeypatch.undo()
    assert list((tmp_path / "keys").iterdir()) == []


def test_a_valid_signature_names_the_key(signed):
    folder, settings, fp = signed
    v = verify_run(folder, settings)
    assert v.ok and v.line == f"signature valid (key {fp[:16]})"


def _flip_a_byte(folder, _settings, _tmp):
    data = bytearray((folder / "manifest.json").read_bytes())
    data[5] ^= 1
    (folder / "manifest.json").write_bytes(bytes(data))


def _sign_with_another_key(folder, _settings, tmp):
    other, _, _ = keypair(tmp, "forger")
    Signer(SigningSettings(other)).sign(folder)


def _claim_the_councils_key(folder, settings, tmp):
    """The forger signs with their key but writes the council's fingerprint in the record."""
    honest = json.loads((folder / SIGNATURE).read_text())
    _sign_with_another_key(folder, settings, tmp)
    forged = json.loads((folder / SIGNATURE).read_text())
    (folder / SIGNATURE).write_text(json.dumps({**forged, "key": honest["key"]}))


def _remove(folder, _settings, _tmp):
    (folder / SIGNATURE).unlink()


def _damage(folder, _settings, _tmp):
    (folder / SIGNATURE).write_text("not json")


@pytest.mark.parametrize("forge, message", [
    (_flip_a_byte, "does not match manifest.json"),
    (_sign_with_another_key, "which is not one of the council's public keys"),
    (_claim_the_councils_key, "does not match manifest.json"),
    (_remove, "not signed, but council.yaml requires a signature"),
    (_damage, "manifest.json.sig is damaged"),
], ids=["manifest byte changed", "signed by another key", "another key claiming the council's",
        "signature removed where required", "signature file damaged"])
def test_a_forged_signature_fails(signed, tmp_path, forge, message):
    folder, settings, _ = signed
    forge(folder, settings, tmp_path)
    v = verify_run(folder, settings)
    assert v is not None and not v.ok
    assert message in v.line


def test_an_unsigned_run_passes_where_no_signature_is_required(signed):
    folder, settings, _ = signed
    (folder / SIGNATURE).unlink()
    assert verify_run(folder, SigningSettings(public_keys=settings.public_keys)) is None


def test_a_signature_without_public_keys_cannot_be_verified(signed):
    folder, _, fp = signed
    v = verify_run(folder, SigningSettings(source="council.yaml"))
    assert v.ok and "cannot be verified" in v.line and fp[:16] in v.line
    v = verify_run(folder, SigningSettings(required=True, source="council.yaml"))
    assert not v.ok


@pytest.mark.parametrize("text, message", [
    ("signing_key: [a]\n", "key 'signing_key': expected the path of a private key file"),
    ("public_keys: {a: 1}\n", "key 'public_keys': expected a list of public key files"),
    ("require_signature: maybe\n", "key 'require_signature': expected true or false"),
    ("signing_keys: k.pem\n", "did you mean 'signing_key'?"),
], ids=["key not a path", "public keys not a list", "required not a boolean", "misspelt key"])
def test_bad_signing_settings_are_council_errors(tmp_path, text, message):
    p = tmp_path / "council.yaml"
    p.write_text(text)
    with pytest.raises(CouncilError, match="invalid council settings") as e:
        load_signing(p)
    assert message in str(e.value)


def test_settings_paths_are_relative_to_the_settings_file(tmp_path):
    (tmp_path / "councils").mkdir()
    p = tmp_path / "councils" / "kent.yaml"
    p.write_text("signing_key: keys/kent.pem\n")
    s = load_signing(p)
    assert s.key == tmp_path / "councils" / "keys" / "kent.pem"
    assert s.public_keys == (tmp_path / "councils" / "keys" / "kent.pub",)
    assert not s.required


# --------------------------------------------------------------------------- through kpi


@pytest.fixture(scope="module")
def published_signed(tmp_path_factory, test_store):
    """A project whose council signs its runs, with the demo's Feb 2024 core report
    published once for the module (each test audits a copy)."""
    project = tmp_path_factory.mktemp("signed")
    shutil.copyfile(test_store, project / "kpi.sqlite")
    (project / "p.yaml").write_text('period: "2024-02"\nreport: core\nstore: kpi.sqlite\n'
                                    'as_of: "2025-06-30T00:00:00Z"\n')
    (project / "council.yaml").write_text("name: Test Council\nsigning_key: keys/council.pem\n"
                                          "require_signature: true\n")
    cwd = os.getcwd()
    os.chdir(project)
    try:
        assert main(["keygen"]) == 0
        assert main(["run", "p.yaml", "--quiet"]) == 0
    finally:
        os.chdir(cwd)
    return project


@pytest.fixture
def project(published_signed, tmp_path, monkeypatch):
    dest = tmp_path / "project"
    shutil.copytree(published_signed, dest)
    monkeypatch.chdir(dest)
    return dest


def audit(capsys):
    code = main(["audit", "outputs/2024-02/core"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out


@pytest.mark.slow
def test_a_signed_run_audits_with_a_valid_signature(project, capsys):
    run = project / "outputs" / "2024-02" / "core"
    assert (run / SIGNATURE).is_file()
    assert SIGNATURE not in json.loads((run / "manifest.json").read_text())["outputs"]
    assert "council.pem" not in (run / "manifest.json").read_text()  # the key is never recorded
    capsys.readouterr()
    code, out = audit(capsys)
    assert code == 0, out
    assert "outputs/2024-02/core: identical" in out and "  signature valid (key " in out


@pytest.mark.slow
@pytest.mark.parametrize("forge, message", [
    (_remove, "signature: not signed, but council.yaml requires a signature"),
    (_sign_with_another_key, "which is not one of the council's public keys"),
], ids=["signature removed where required", "signed by another key"])
def test_a_forged_signature_fails_the_audit(project, capsys, tmp_path, forge, message):
    forge(project / "outputs" / "2024-02" / "core", None, tmp_path)
    code, out = audit(capsys)
    assert code == 1
    assert "outputs/2024-02/core: DIFFERENT" in out and message in out


def test_a_run_with_an_unreadable_signing_key_stops_before_anything_runs(project, capsys):
    (project / "keys" / "council.pem").write_text("not a key")
    before = sorted(p.name for p in (project / "outputs" / "2024-02").iterdir())
    code = main(["run", "p.yaml", "--quiet", "--output-dir", "elsewhere"])
    out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in err
    assert "signing_key" in err and "not an unencrypted PEM private key" in err
    assert not (project / "elsewhere").exists()
    assert sorted(p.name for p in (project / "outputs" / "2024-02").iterdir()) == before
