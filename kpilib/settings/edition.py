"""Editions of a report run: ``internal`` (every figure) or ``public`` (small numbers
withheld, :mod:`kpilib.reports.public`), and the council's suppression settings.

A parameter set's ``edition: public`` publishes to ``<output_dir>/<period>/<report>-public/``,
its own run folder beside the internal one (own manifest, ledger row, superseded
publications and audit).  The council settings file may hold::

    suppression:
      threshold: 5    # counts above 0 and below this are shown as <5 (default 5)

read by :func:`parse_suppression` (every problem at once, naming the file and key), and::

    editions: [internal, public]   # what a year's run publishes (default [internal])

read by :func:`parse_editions`: the editions a council publishes, which a parameter set
of a whole financial year (:mod:`kpilib.run.year`) runs for every period.
"""

from __future__ import annotations

from pathlib import Path

from kpilib.rules.suppression import DEFAULT_EDITION, EDITIONS, Suppression

KEY = "suppression"
SETTINGS = {"threshold": "a whole number, 2 or more: counts above 0 and below it are withheld "
                         "(default 5)"}
MAX_THRESHOLD = 1_000_000_000
PUBLIC_SUFFIX = "-public"
EDITIONS_KEY = "editions"


def folder_name(report: str, edition: str = DEFAULT_EDITION) -> str:
    """The run folder of a report's edition: ``core``, ``core-public``."""
    return report + PUBLIC_SUFFIX if edition == "public" else report


def edition_problem(edition, where: str = "key 'edition'") -> str | None:
    """Why ``edition`` is not an edition (None when it is one)."""
    if edition in EDITIONS:
        return None
    return (f"{where}: {edition!r} is not an edition; expected one of {', '.join(EDITIONS)} "
            "(public: small numbers withheld)")


def parse_suppression(raw: dict, path: Path) -> tuple[Suppression, list[str]]:
    """The suppression settings of a council settings mapping, and every problem in them."""
    block = raw.get(KEY)
    if block is None:
        return Suppression(), []
    if not isinstance(block, dict):
        return Suppression(), [f"key '{KEY}': expected a mapping (threshold: 5), got {block!r}"]
    problems = [f"key '{KEY}.{k}': not a setting; expected one of {', '.join(SETTINGS)}"
                for k in block if k not in SETTINGS]
    threshold = block.get("threshold", Suppression().threshold)
    if isinstance(threshold, bool) or not isinstance(threshold, int) \
            or not 2 <= threshold <= MAX_THRESHOLD:
        problems.append(f"key '{KEY}.threshold': expected {SETTINGS['threshold']}, got "
                        f"{threshold!r}")
        threshold = Suppression().threshold
    return Suppression(threshold), problems


def parse_editions(raw: dict) -> tuple[tuple[str, ...], list[str]]:
    """``editions:`` of a council settings mapping (default ``[internal]``): the editions the
    council publishes, in the order given, and every problem in them."""
    value = raw.get(EDITIONS_KEY)
    default = (DEFAULT_EDITION,)
    if value is None:
        return default, []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        return default, [f"key '{EDITIONS_KEY}': expected a list of editions, e.g. [internal, "
                         f"public], got {value!r}"]
    problems = [p for v in value
                if (p := edition_problem(v, f"key '{EDITIONS_KEY}'")) is not None]
    problems += [f"key '{EDITIONS_KEY}': {v!r} is listed twice" for i, v in enumerate(value)
                 if v in value[:i] and v in EDITIONS]
    chosen = tuple(dict.fromkeys(v for v in value if v in EDITIONS))
    return (chosen or default), problems
