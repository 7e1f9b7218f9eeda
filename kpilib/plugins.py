"""Registries of the things that vary: report types, export formats, load kinds.

Each is a :class:`Registry`, found the same way (:meth:`Registry.discover`, once, on first
use), as papermill finds its engines and nbconvert its exporters:

1. kpilib's own registrations (the modules named in ``builtins``);
2. the registry's entry-point group of installed packages (``kpilib.report_types``,
   ``kpilib.exports``, ``kpilib.load_kinds``): an entry point names a module (importing it
   registers) or an object (registered as it is loaded);
3. the modules named in the registry's environment variable (comma-separated), e.g. a
   council's own report type kept in its project.

A name is registered once: registering a different object under a taken name is an error
naming both registrations (where each came from), unless ``replace=True`` (a council's own
variant of a built-in).  Registering the same object again is harmless.  A registry may
check each object as it is registered (``check``): a bad declaration fails at registration,
naming what is wrong, not when a run first uses it.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import os
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from importlib import metadata
from typing import Any

from kpilib.errors import KpiError


class PluginError(KpiError):
    """An unknown name, a name registered twice, or a declaration that does not hold."""


def import_path_key() -> tuple:
    """The import path as a cache key for what is installed: each folder with its
    modification time (installing or removing a package, or adding a folder to the path,
    changes it)."""
    key = []
    for entry in sys.path:
        try:
            key.append((entry, os.stat(entry or ".").st_mtime_ns))
        except OSError:
            key.append((entry, None))
    return tuple(key)


def entry_points(group: str) -> list:
    """The entry points of ``group`` installed now: every package's read once per process and
    import path (:func:`import_path_key`), so that registries do not each scan them."""
    return list(_installed_entry_points(import_path_key()).select(group=group))


@functools.lru_cache(maxsize=4)
def _installed_entry_points(_where: tuple):
    return metadata.entry_points()


class Registry(Mapping):
    """Name -> object, for one kind of plug-in.  A read-only mapping (discovering on first
    use); :meth:`register` adds to it."""

    def __init__(self, what: str, group: str, env_var: str | None = None,
                 builtins: tuple[str, ...] | Callable[[], tuple[str, ...]] = (),
                 check: Callable[[Any], None] | None = None,
                 error: type[KpiError] = PluginError, kind: type | None = None,
                 name_of: Callable[[Any], str] | None = None):
        self.what, self.group, self.env_var, self.builtins = what, group, env_var, builtins
        self.kind = kind  # what an entry point may give besides a module
        self.check, self.error = check, error
        self.name_of = name_of or (lambda obj: obj.name)
        self._items: dict[str, Any] = {}
        self._origins: dict[str, str] = {}
        self._lock = threading.RLock()
        self._discovered = False
        self._loading: str | None = None  # where the registrations now arriving come from

    # ---------------------------------------------------------------- registering
    def register(self, obj: Any, replace: bool = False, origin: str | None = None) -> Any:
        """Add ``obj`` under its name (see the module for the rules); returns ``obj``."""
        name = self.name_of(obj)
        origin = origin or self._loading or _caller()
        with self._lock:
            old = self._items.get(name)
            if old is not None and old != obj and not replace:
                raise self.error(
                    f"{self.what} {name!r} is registered twice: by {self._origins[name]} and "
                    f"by {origin}; rename one (or register the second with replace=True to "
                    "replace the first on purpose)")
            if self.check is not None:
                self.check(obj)
            self._items[name] = obj
            self._origins[name] = origin
        return obj

    def __setitem__(self, name: str, obj: Any) -> None:
        """Replace a registration on purpose (tests patch a format this way)."""
        if self.name_of(obj) != name:
            raise self.error(f"{self.what} {self.name_of(obj)!r} set as {name!r}")
        self.register(obj, replace=True)

    def __delitem__(self, name: str) -> None:
        self.unregister(name)

    def unregister(self, name: str) -> None:
        with self._lock:
            self._items.pop(name, None)
            self._origins.pop(name, None)

    def origin(self, name: str) -> str:
        """Where ``name`` was registered (a module, an entry point, the environment)."""
        self.discover()
        return self._origins[name]

    # ---------------------------------------------------------------- discovering
    def discover(self) -> None:
        """Import every registration (see the module), once."""
        with self._lock:
            if self._discovered:
                return
            self._discovered = True
            for module in self.builtins() if callable(self.builtins) else self.builtins:
                importlib.import_module(module)
            for ep in sorted(entry_points(self.group), key=lambda e: e.name):
                self._load(ep.value, f"entry point {ep.name!r} ({ep.value}) of {self.group}",
                           ep.load)
            if self.env_var:
                for name in [m.strip() for m in os.environ.get(self.env_var, "").split(",")
                             if m.strip()]:
                    self._load(name, f"${self.env_var} ({name})",
                               lambda n=name: importlib.import_module(n))

    def _load(self, name: str, where: str, load: Callable[[], Any]) -> None:
        before, self._loading = self._loading, where
        try:
            try:
                obj = load()
            except ImportError as e:
                raise self.error(f"{self.what} module {name!r} (from {where}) cannot be "
                                 f"imported: {e}") from None
            if isinstance(obj, type(sys)):  # a module: importing it registered what it has
                return
            if self.kind is not None and not isinstance(obj, self.kind):
                raise self.error(f"{where} gives {type(obj).__name__} {obj!r}; expected a "
                                 f"{self.kind.__name__} or a module that registers one")
            self.register(obj)
        finally:
            self._loading = before

    def rediscover(self) -> None:
        """Forget that discovery ran (tests; a new ``$ENV_VAR``): the next use runs it."""
        with self._lock:
            self._discovered = False

    # ---------------------------------------------------------------- reading
    def get(self, name: str, what: str | None = None) -> Any:
        """The object called ``name``; a clear error listing the choices otherwise."""
        self.discover()
        try:
            return self._items[name]
        except (KeyError, TypeError):
            known = list(self._items)
            close = difflib.get_close_matches(str(name), known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise self.error(f"{name!r} is not a {what or self.what}{hint}; expected one of "
                             f"{', '.join(known)}") from None

    def __getitem__(self, name: str) -> Any:
        self.discover()
        return self._items[name]

    def __iter__(self) -> Iterator[str]:
        self.discover()
        return iter(list(self._items))

    def __len__(self) -> int:
        self.discover()
        return len(self._items)

    def __contains__(self, name: object) -> bool:
        self.discover()
        return name in self._items


def _caller() -> str:
    """The module that called ``register`` (through at most the registry's own wrappers)."""
    frame = sys._getframe(2)
    here = {__name__, "kpilib.registry"}
    while frame is not None and frame.f_globals.get("__name__") in here:
        frame = frame.f_back
    return f"module {frame.f_globals.get('__name__', '?')}" if frame else "an unknown module"
