"""The signing keys a council's ``council.yaml`` names (``signing_key``, ``public_keys``,
``require_signature``), read and checked; signing and verifying are
:mod:`kpilib.publish.signing`'s."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

KEYS = ("signing_key", "public_keys", "require_signature")


@dataclass(frozen=True)
class SigningSettings:
    """The signing keys a council's settings name (all optional)."""

    key: Path | None = None  # the private key runs are signed with
    public_keys: tuple[Path, ...] = ()  # the keys audit accepts signatures from
    required: bool = False  # audit fails an unsigned run
    source: str = ""  # the settings file

    @property
    def active(self) -> bool:
        return bool(self.key or self.public_keys or self.required)


def parse_signing(raw: dict, path: Path) -> tuple[SigningSettings, list[str]]:
    """The signing settings of a council settings mapping, and every problem in them."""
    problems = []
    base = Path(path).parent
    key = raw.get("signing_key")
    if key is not None and (not isinstance(key, str) or not key.strip()):
        problems.append(f"key 'signing_key': expected the path of a private key file, got "
                        f"{key!r}")
        key = None
    pubs = raw.get("public_keys")
    if pubs is None:
        pubs = [str(Path(key).with_suffix(".pub"))] if key else []
    elif isinstance(pubs, str):
        pubs = [pubs]
    if not isinstance(pubs, list) or not all(isinstance(p, str) and p.strip() for p in pubs):
        problems.append(f"key 'public_keys': expected a list of public key files, got {pubs!r}")
        pubs = []
    required = raw.get("require_signature", False)
    if not isinstance(required, bool):
        problems.append(f"key 'require_signature': expected true or false, got {required!r}")
        required = False
    settings = SigningSettings(base / key.strip() if key else None,
                               tuple(base / p.strip() for p in pubs), required, str(path))
    return settings, problems
