"""Start-up cost paid by every kpi process: one optional import deferred until it is used.

``import nbformat`` (and so papermill, nbconvert and every ``kpi`` command) imports
jsonschema, whose format checkers import ``rfc3987_syntax`` when it is installed (nbformat
asks for ``jsonschema[format-nongpl]``).  That module compiles about 35 Earley parsers with
lark as it is imported: about 0.9 s of CPU in every process, for the ``iri`` and
``iri-reference`` formats, which no notebook schema uses (upstream: python-jsonschema/
jsonschema#1428).  :func:`defer_iri_syntax` puts a stand-in in ``sys.modules`` whose
``is_valid_syntax`` (the one name jsonschema takes) and every other attribute import the
real module on first use, so those checks still give the real module's answers; until
then nothing is compiled.  It is installed when kpilib is imported.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types

MODULE = "rfc3987_syntax"
_lock = threading.Lock()


class _Deferred(types.ModuleType):
    """Stands in for ``rfc3987_syntax`` until something uses it."""

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(_real(), name)


def _real() -> types.ModuleType:
    with _lock:
        module = sys.modules.get(MODULE)
        if isinstance(module, _Deferred):
            del sys.modules[MODULE]
            try:
                module = importlib.import_module(MODULE)
            except BaseException:
                sys.modules[MODULE] = _STAND_IN
                raise
        return module


def is_valid_syntax(*args, **kwargs):
    """``rfc3987_syntax.is_valid_syntax``, imported on first call."""
    return _real().is_valid_syntax(*args, **kwargs)


_STAND_IN = _Deferred(MODULE, "kpilib.startup: rfc3987_syntax, imported on first use")
_STAND_IN.is_valid_syntax = is_valid_syntax


def defer_iri_syntax() -> bool:
    """Put the stand-in in place, if ``rfc3987_syntax`` is installed and not yet imported.
    True when the stand-in is (now) in place."""
    if isinstance(sys.modules.get(MODULE), _Deferred):
        return True
    if MODULE in sys.modules:
        return False
    try:
        spec = importlib.util.find_spec(MODULE)
    except (ImportError, ValueError):
        return False
    if spec is None:
        return False
    # the real module's spec and path: find_spec and imports of its submodules work as usual
    _STAND_IN.__spec__, _STAND_IN.__loader__ = spec, spec.loader
    _STAND_IN.__file__ = spec.origin
    if spec.submodule_search_locations is not None:
        _STAND_IN.__path__ = list(spec.submodule_search_locations)
    sys.modules[MODULE] = _STAND_IN
    return True
