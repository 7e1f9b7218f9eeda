"""``kpi keygen``: make the key pair that signs manifests."""

from __future__ import annotations

from pathlib import Path


def add(sub, common) -> None:
    p = sub.add_parser("keygen", help="make an ed25519 key pair that signs every run's manifest")
    p.add_argument("key", nargs="?", type=Path, default=Path("keys/council.pem"), metavar="PATH",
                   help="the private key file to write (default keys/council.pem); the public "
                        "key goes beside it (keys/council.pub)")
    p.set_defaults(func=cmd_keygen)


def cmd_keygen(args) -> int:
    from kpilib.publish.signing import generate_key

    public, fp = generate_key(args.key)
    print(f"wrote the private key {args.key} (mode 0600: keep it secret, never commit it) and "
          f"the public key {public}; key {fp[:16]}")
    print(f"to sign every run, add to council.yaml:\n  signing_key: {args.key}\n"
          f"  public_keys: [{public}]\n  require_signature: true")
    return 0
