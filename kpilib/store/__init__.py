"""Store: the append-only data store (SQLAlchemy Core; SQLite by default).

The only stage besides ``ingest`` (which reads files) that touches I/O: every
load is recorded, nothing is updated in place, and every read is "as of" a
moment.
"""

from kpilib.store.annotations import ANNOTATIONS  # registers its table and kind
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
from kpilib.store.extras import COMPARATORS, PROGRAMMES  # registers their tables and kinds
from kpilib.store.judgement import OVERRIDES, RULE_READS, TARGETS, reads_for_keys  # likewise
from kpilib.store.kinds import LOAD_KINDS, LoadKind
from kpilib.store.ledger import (  # registers its tables
    additions_of,
    publications_of,
    record_addition,
    record_publication,
)
from kpilib.store.peers import PEER_READS  # registers bodies, groups and benchmarks

__all__ = ["ANNOTATIONS", "COMPARATORS", "LOAD_KINDS", "OVERRIDES", "PEER_READS", "PROGRAMMES",
           "RULE_READS", "TARGETS",
           "reads_for_keys", "LoadKind",
           "RETURNS_FRAME_COLUMNS", "REVISION_COLUMNS", "LoadResult", "Snapshot", "Store",
           "open_store", "publications_of", "record_publication", "additions_of",
           "record_addition", "sqlite_path", "store_url"]
