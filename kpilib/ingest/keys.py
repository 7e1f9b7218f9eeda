"""kpilib's built-in status and travel keys, read from the shipped ``kpilib/keys/builtin.yaml``.

The built-in schemes (``tolerance``, ``floor``, ``graded``, ``trust``; arrows ``nnc``,
``trust``, ``graded``) are written in the same language a council writes its own keys in
(:mod:`kpilib.rules.keyspec`); a council's ``council.yaml`` adds to them
(:mod:`kpilib.run.council`).
"""

from __future__ import annotations

import functools
from importlib import resources

import yaml

from kpilib.rules.keyspec import KeySet, parse_keys

BUILTIN = "builtin.yaml"


@functools.cache
def builtin_keys() -> KeySet:
    """The shipped keys (read and checked once per process)."""
    text = resources.files("kpilib").joinpath("keys", BUILTIN).read_text(encoding="utf-8")
    keys, problems = parse_keys(yaml.safe_load(text))
    if problems:  # a broken package, never a user's mistake
        raise RuntimeError("kpilib/keys/builtin.yaml: " + "; ".join(problems))
    return keys
