"""The ledger of publications: one append-only row per published run.

Every ``kpi run`` records, in the store it read, the run folder, report,
period, ``as_of``, the SHA-256 of the ``manifest.json`` it published, when,
and who/where (user and host).  ``kpi audit`` looks the manifest's SHA-256 up
here: a manifest edited after publication (a recorded hash changed to match
a forged page) is not in the ledger, and is reported as tampered.

The ``additions`` table anchors each line of a run folder's ``additions.jsonl``
that a command with the store recorded (``kpi audit``, ``kpi signoff``, ``kpi
export``): the manifest it is about, the SHA-256 of the line, its kind and time.
A line removed from the record (the last one too, which the record's own chain
cannot tell), or the lines reordered, no longer matches these rows.
"""

from __future__ import annotations

import getpass
import platform

import pandas as pd
import sqlalchemy as sa

from kpilib.clock import utc_now
from kpilib.errors import StoreError
from kpilib.store.database import Store, metadata

LEDGER_COLUMNS = ("folder", "report", "period", "as_of", "manifest_sha256", "published_at",
                  "user", "host")

publications = sa.Table(
    "publications", metadata,
    sa.Column("publication_id", sa.Integer, primary_key=True, autoincrement=True),
    *(sa.Column(c, sa.Text, nullable=False) for c in LEDGER_COLUMNS),
    sa.Index("ix_publications_manifest", "manifest_sha256"),
)  # fmt: skip


ADDITION_COLUMNS = ("manifest_sha256", "line_sha256", "kind", "at")

additions = sa.Table(
    "additions", metadata,
    sa.Column("addition_id", sa.Integer, primary_key=True, autoincrement=True),
    *(sa.Column(c, sa.Text, nullable=False) for c in ADDITION_COLUMNS),
    sa.Index("ix_additions_manifest", "manifest_sha256"),
)  # fmt: skip


def record_addition(store: Store, manifest_sha256: str, line_sha256: str, kind: str,
                    at: str) -> None:
    """Anchor one line of a run folder's additions record (never updates or deletes)."""
    row = {"manifest_sha256": manifest_sha256, "line_sha256": line_sha256, "kind": kind,
           "at": at}
    try:
        with store.engine.begin() as conn:
            conn.execute(additions.insert().values(**row))
    except sa.exc.SQLAlchemyError as e:
        raise StoreError(f"cannot anchor the addition in store {store}: "
                         f"{getattr(e, 'orig', None) or e}") from e


def additions_of(store: Store, manifest_sha256: str) -> list[dict]:
    """The anchored additions of one manifest, in the order they were recorded."""
    q = sa.select(*(additions.c[c] for c in ADDITION_COLUMNS)).where(
        additions.c.manifest_sha256 == manifest_sha256).order_by(additions.c.addition_id)
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


def _who() -> tuple[str, str]:
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name (a container, a service account)
        user = "unknown"
    return user, platform.node() or "unknown"


def record_publication(store: Store, folder: str, report: str, period: str, as_of: str,
                       manifest_sha256: str) -> dict:
    """Append one publication to the ledger (never updates or deletes)."""
    user, host = _who()
    row = {"folder": folder, "report": report, "period": period, "as_of": as_of,
           "manifest_sha256": manifest_sha256, "published_at": utc_now(), "user": user,
           "host": host}
    try:
        with store.engine.begin() as conn:
            conn.execute(publications.insert().values(**row))
    except sa.exc.SQLAlchemyError as e:
        raise StoreError(f"cannot record the publication in store {store}: "
                         f"{getattr(e, 'orig', None) or e}") from e
    return row


def publications_of(store: Store, manifest_sha256: str | None = None) -> pd.DataFrame:
    """Ledger rows, oldest first; only those of one manifest when its SHA-256 is given."""
    q = sa.select(*(publications.c[c] for c in LEDGER_COLUMNS)).order_by(
        publications.c.publication_id)
    if manifest_sha256 is not None:
        q = q.where(publications.c.manifest_sha256 == manifest_sha256)
    with store.engine.connect() as conn:
        return pd.DataFrame(conn.execute(q).all(), columns=list(LEDGER_COLUMNS))
