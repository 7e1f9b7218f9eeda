"""Store: the append-only data store (SQLAlchemy Core; SQLite by default).

The only stage besides ``ingest`` (which reads files) that touches I/O: every
load is recorded, nothing is updated in place, and every read is "as of" a
moment.
"""

from kpilib.store.database import (
    RETURNS_FRAME_COLUMNS,
    REVISION_COLUMNS,
    LoadResult,
    Snapshot,
    Store,
    open_store,
    sqlite_path,
    store_url,
)

__all__ = ["RETURNS_FRAME_COLUMNS", "REVISION_COLUMNS", "LoadResult", "Snapshot", "Store",
           "open_store", "sqlite_path", "store_url"]
