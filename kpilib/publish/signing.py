"""Signed manifests: a council's ed25519 key vouches for what it published.

A council that wants tamper evidence beyond the store's ledger of publications
(which whoever can write the store could also rewrite) names keys in its
``council.yaml``::

    signing_key: keys/council.pem        # the private key: every kpi run signs with it
    public_keys: [keys/council.pub]      # what kpi audit verifies with (default: the .pub
                                         # beside signing_key)
    require_signature: true              # kpi audit fails a run that is not validly signed

Paths are relative to the settings file.  ``kpi keygen`` writes a key pair
(:func:`generate_key`: the private key PEM with mode 0600, the public key
beside it).  A signed run holds ``manifest.json.sig`` beside ``manifest.json``:
the ed25519 signature over the manifest's exact bytes and the fingerprint of
the key that made it.  Like the manifest, the signature is not among the
manifest's own ``outputs`` (it is written after them); audit verifies it
(:func:`verify_run`).  The private key's path and contents are never recorded
anywhere in a run folder.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from kpilib.errors import KpiError
from kpilib.io import outpaths
from kpilib.publish.manifest import MANIFEST, SIGNATURE
from kpilib.settings.signing import SigningSettings

ALGORITHM = "ed25519"
MAX_KEY_BYTES = 16 * 1024


class SigningError(KpiError):
    """A key cannot be made, read or used."""


@dataclass
class Verdict:
    """What audit makes of a run's signature: ``ok`` False fails the audit."""

    ok: bool
    line: str  # "signature valid (key 1a2b...)" or what is wrong
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- keys


def _crypto():
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return serialization, ed25519, InvalidSignature


def fingerprint(public_key) -> str:
    """SHA-256 of the raw 32-byte public key, in hex (shown shortened to 16 digits)."""
    serialization, _, _ = _crypto()
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def public_path(private: Path) -> Path:
    """Where ``kpi keygen`` puts the public key of ``private``: ``keys/council.pem`` ->
    ``keys/council.pub``."""
    return Path(private).with_suffix(".pub")


def generate_key(private: Path) -> tuple[Path, str]:
    """Write a new ed25519 key pair: ``private`` (PEM, PKCS#8, mode 0600) and its public key
    (PEM) at :func:`public_path`.  Never overwrites a file.  Returns the public key's path
    and the key's fingerprint."""
    serialization, ed25519, _ = _crypto()
    private, public = Path(private), public_path(private)
    if private.suffix == public.suffix or private.name == public.name:
        raise SigningError(f"{private}: the private key may not be named *{public.suffix}, "
                           f"the name of its public key (which kpi keygen writes beside it, "
                           f"{public}): name the private key e.g. {private.with_suffix('.pem')}")
    for p in (private, public):
        if os.path.lexists(p):
            raise SigningError(f"{p} already exists: kpi keygen never overwrites a key "
                               "(move it away first, or choose another path)")
        try:
            outpaths.output_file(p, "key file")
        except outpaths.OutputPathError as e:
            raise SigningError(str(e)) from None
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    pub = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    made: list[Path] = []
    try:
        private.parent.mkdir(parents=True, exist_ok=True)
        for path, data, mode in ((private, pem, 0o600), (public, pub, 0o644)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
            made.append(path)
            with os.fdopen(fd, "wb") as f:
                os.fchmod(f.fileno(), mode)
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
    except OSError as e:
        for path in made:  # all or nothing: no private key without its public key
            path.unlink(missing_ok=True)
        raise SigningError(f"cannot write the key pair at {private}: "
                           f"{e.strerror or e}") from None
    return public, fingerprint(key.public_key())


def _read_key(path: Path, what: str) -> bytes:
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_KEY_BYTES + 1)
    except FileNotFoundError:
        raise SigningError(f"{what} {path}: no such file") from None
    except OSError as e:
        raise SigningError(f"{what} {path}: cannot be read ({e.strerror or e})") from None
    if len(data) > MAX_KEY_BYTES:
        raise SigningError(f"{what} {path}: larger than {MAX_KEY_BYTES} bytes; not a key")
    return data


def load_private_key(path: Path):
    serialization, ed25519, _ = _crypto()
    data = _read_key(path, "signing_key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as e:
        raise SigningError(f"signing_key {path}: not an unencrypted PEM private key ({e})") \
            from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise SigningError(f"signing_key {path}: expected an ed25519 key (kpi keygen makes one)")
    return key


def load_public_key(path: Path):
    serialization, ed25519, _ = _crypto()
    data = _read_key(path, "public key")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as e:
        raise SigningError(f"public key {path}: not a PEM public key ({e})") from None
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise SigningError(f"public key {path}: expected an ed25519 key")
    return key


# --------------------------------------------------------------------------- sign and verify


class Signer:
    """Signs run folders with one private key (loaded once, before anything runs)."""

    def __init__(self, settings: SigningSettings):
        self.key = load_private_key(settings.key)
        self.fingerprint = fingerprint(self.key.public_key())

    def sign(self, folder: Path, manifest_name: str = MANIFEST) -> None:
        data = (Path(folder) / manifest_name).read_bytes()
        record = {"algorithm": ALGORITHM, "key": self.fingerprint, "signed": manifest_name,
                  "signature": base64.b64encode(self.key.sign(data)).decode("ascii")}
        text = json.dumps(record, indent=2, sort_keys=True) + "\n"
        (Path(folder) / SIGNATURE).write_text(text, encoding="utf-8")


def signer(settings: SigningSettings) -> Signer | None:
    """The signer of a council's settings, or ``None`` when it names no signing key."""
    return Signer(settings) if settings.key else None


def _read_signature(path: Path) -> tuple[str, bytes]:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        key, sig = record["key"], base64.b64decode(record["signature"], validate=True)
        if record.get("algorithm") != ALGORITHM or not isinstance(key, str):
            raise ValueError("not an ed25519 signature record")
        return key, sig
    except (OSError, ValueError, KeyError, TypeError, binascii.Error,
            UnicodeDecodeError) as e:
        raise SigningError(f"{SIGNATURE} is damaged ({type(e).__name__}: {e})") from None


def verify_run(folder: Path, settings: SigningSettings,
               manifest_name: str = MANIFEST) -> Verdict | None:
    """The verdict on ``folder``'s signature, ``None`` when there is nothing to say (no
    signature and none required)."""
    _, _, invalid = _crypto()
    sig_path = Path(folder) / SIGNATURE
    if not sig_path.exists():
        if settings.required:
            return Verdict(False, f"not signed, but {settings.source} requires a signature "
                                  f"({SIGNATURE} is missing)")
        return None
    keys, warnings = {}, []
    for p in settings.public_keys:
        try:
            k = load_public_key(p)
        except SigningError as e:
            warnings.append(str(e))
            continue
        keys[fingerprint(k)] = k
    try:
        fp, sig = _read_signature(sig_path)
    except SigningError as e:
        return Verdict(False, f"INVALID: {e}", warnings)
    if not keys:
        where = settings.source or "no council.yaml"
        line = (f"cannot be verified: signed by key {fp[:16]}, but {where} names no public "
                "key (public_keys)")
        return Verdict(not settings.required, line, warnings)
    key = keys.get(fp)
    if key is None:
        return Verdict(False, f"INVALID: signed by key {fp[:16]}, which is not one of the "
                              f"council's public keys ({', '.join(k[:16] for k in keys)})",
                       warnings)
    try:
        key.verify(sig, (Path(folder) / manifest_name).read_bytes())
    except invalid:
        return Verdict(False, f"INVALID: the signature by key {fp[:16]} does not match "
                              f"{manifest_name}: the manifest or its signature was changed "
                              "after signing", warnings)
    return Verdict(True, f"signature valid (key {fp[:16]})", warnings)
