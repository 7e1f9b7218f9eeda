"""kpilib's built-in status and travel keys, read from the shipped ``kpilib/keys/builtin.yaml``.

The built-in schemes (``tolerance``, ``floor``, ``graded``, ``trust``; arrows ``nnc``,
``trust``, ``graded``) are written in the same language a council writes its own keys in
(:mod:`kpilib.rules.keyspec`); a council's ``council.yaml`` adds to them
(:mod:`kpilib.settings.council`).
"""

from __future__ import annotations

import functools
from importlib import resources

import pandas as pd
import yaml

from kpilib.errors import Problem
from kpilib.ingest.contracts import KEY_COLUMNS
from kpilib.rules.keyspec import ID as KEY_ID
from kpilib.rules.keyspec import KeySet, parse_keys
from kpilib.rules.names import did_you_mean
from kpilib.rules.travel import clashes

BUILTIN = "builtin.yaml"


@functools.cache
def builtin_keys() -> KeySet:
    """The shipped keys (read and checked once per process)."""
    text = resources.files("kpilib").joinpath("keys", BUILTIN).read_text(encoding="utf-8")
    keys, problems = parse_keys(yaml.safe_load(text))
    if problems:  # a broken package, never a user's mistake
        raise RuntimeError("kpilib/keys/builtin.yaml: " + "; ".join(problems))
    return keys


def key_problems(name: str, df: pd.DataFrame, keys: KeySet) -> list[Problem]:
    """A ``rag_scheme`` or ``travel_scheme`` that names no key the council has."""
    out = []
    for col, kind in KEY_COLUMNS.items():
        table = keys.status if kind == "status" else keys.travel
        for row in df.index[(df[col] != "") & ~df[col].isin(list(table))]:
            if not KEY_ID.match(df.at[row, col]):
                continue  # the schema has said it
            out.append(Problem(name, int(row), col, df.at[row, col],
                               f"unknown {kind} key{did_you_mean(df.at[row, col], table)}: "
                               "expected one of "
                               f"{', '.join(table)}, or a key the council's settings define "
                               f"({kind}_keys in council.yaml)"))
    return out + _clash_problems(name, df, keys)


def _clash_problems(name: str, df: pd.DataFrame, keys: KeySet) -> list[Problem]:
    """The first row whose travel key gives a symbol another meaning than a key the same
    catalogue (or the council's default, for its empty cells) already gives it: one meaning
    per council (reporting rules, section 5)."""
    used = [keys.default_travel] if (df["travel_scheme"] == "").any() else []
    for row in df.index:
        ident = df.at[row, "travel_scheme"]
        if ident not in keys.travel or ident in used:
            continue
        found = clashes([keys.travel[k] for k in used if k in keys.travel]
                        + [keys.travel[ident]])
        if found:
            return [Problem(name, int(row), "travel_scheme", ident,
                            f"{found[0]}; expected a travel key whose symbols mean what "
                            "they mean in the keys this catalogue already uses "
                            f"({', '.join(used)})")]
        used.append(ident)
    return []
