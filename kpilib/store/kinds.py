"""The kinds of file ``kpi load`` stores: a small registry.

``catalogue`` and ``returns`` are the store's own (:mod:`kpilib.store.database`); other
kinds (``programmes``, ``comparators``: :mod:`kpilib.store.extras`) register a
:class:`LoadKind` here and plug into :meth:`Store.load <kpilib.store.database.Store.load>`,
``kpi load <kind>``, :meth:`Store.snapshot` (``extras=``), the manifest's data hashes
and audit, with nothing else changed.  This module imports no other part of the store, so
the store and the kinds it does not know can both use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from kpilib.plugins import PluginError, Registry


@dataclass(frozen=True)
class LoadKind:
    """One kind of file the store loads.

    name : the ``kpi load`` kind and the ``loads.kind`` value.
    help : what the files are, for ``kpi load --help``.
    validate : (path, bytes, catalogue frame of every year) -> (table, row records);
        raises ValidationError with every problem.  None: a built-in kind.
    read : (store, as_of, loads_through) -> (frame, sources): the rows in effect as of a
        moment and the loads they came from.  None: a built-in kind.
    columns, key : the contract columns a run's data fingerprint covers, and their order.
    needs_catalogue : validated against the catalogue (validated again if a catalogue
        load commits while it waits for the write lock).
    needs_keys : ``validate`` also takes the council's keys (a fourth argument; None:
        kpilib's built-in keys), as overrides and targets files are checked against them.
    needs_stored : other load kinds whose rows (as now stored) ``validate`` takes as
        ``stored={kind: frame}`` (a groups file is checked against the loaded bodies);
        validated again if a load of one of them commits while it waits for the lock.
    """

    name: str
    help: str
    validate: Callable | None = None
    read: Callable | None = None
    columns: tuple[str, ...] = ()
    key: tuple[str, ...] = ()
    needs_catalogue: bool = False
    needs_keys: bool = False
    needs_stored: tuple[str, ...] = ()
    recorded_when_empty: bool = True  # False: a run's manifest names the kind only when it
    #                                   read rows of it (so earlier manifests stay as they were)
    by_ref: bool = False  # rows of KPIs (``ref``, ``period``): a report reads those of its
    #                       own refs up to its period, and lists only the loads they are from


KIND = re.compile(r"^[a-z][a-z0-9_]{0,30}$")


def _check(kind: LoadKind) -> None:
    if not KIND.match(str(kind.name)):
        raise PluginError(f"load kind {kind.name!r}: expected a lower-case word (it is the "
                          "command's word, kpi load NAME)")
    if (kind.validate is None) != (kind.read is None) or (
            kind.read is not None and not (kind.columns and kind.key)):
        raise PluginError(f"load kind {kind.name!r}: a kind of its own needs validate, read, "
                          "columns and key")
    if not set(kind.key) <= set(kind.columns):
        raise PluginError(f"load kind {kind.name!r}: key {kind.key} must be among its "
                          f"columns {kind.columns}")


# What ``kpi load`` stores: the store's own catalogue and returns, kpilib's other kinds
# (registered as the store package is imported), a package's through the
# ``kpilib.load_kinds`` entry point, a project's named in $KPILIB_LOAD_KINDS (kpilib.plugins)
LOAD_KINDS = Registry("load kind", "kpilib.load_kinds", "KPILIB_LOAD_KINDS", check=_check,
                      kind=LoadKind, builtins=("kpilib.store",))
LOAD_KINDS.register(LoadKind("catalogue", "KPI catalogue files (one per year)",
                             needs_catalogue=True))  # previous_ref: checked against stored years
LOAD_KINDS.register(LoadKind("returns", "returns files (measured values)",
                             needs_catalogue=True))


def register_load_kind(kind: LoadKind, replace: bool = False) -> LoadKind:
    """Add a kind of file ``kpi load`` stores; a taken name is an error naming both."""
    return LOAD_KINDS.register(kind, replace)


def extra_kinds() -> tuple[str, ...]:
    """The registered kinds beyond the store's own catalogue and returns."""
    return tuple(k for k, v in LOAD_KINDS.items() if v.read is not None)
