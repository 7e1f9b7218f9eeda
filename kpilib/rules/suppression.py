"""Small-number suppression for public editions (pure: no I/O, no pandas).

A public edition withholds small counts (reporting-rules.md, "Public editions"):

* **primary**: a count (a numerator, a denominator, or the value of a ``count`` KPI) from
  just above 0 to below the council's ``threshold`` (default 5: 1 to 4) is withheld and
  shown as ``<5``; zero is shown;
* **secondary**: in every *group* (a total and the parts it is made of: a KPI's total and
  its breakdowns in one period or column, or a quarter's or year's figure and the periods
  it adds up) no withheld figure may be worked out from the others, so a group never has
  exactly one withheld member: the smallest non-zero part still shown is withheld too
  (the total, where no part can be), until every group has none or at least two.

:func:`secondary` works on any keys; :mod:`kpilib.reports.public` applies it to a report.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

EDITIONS = ("internal", "public")
DEFAULT_EDITION = "internal"
DEFAULT_THRESHOLD = 5
WITHHELD = "withheld"  # how a withheld figure that is not a small count reads
SECONDARY_NOTE = "withheld to protect others"  # how a page explains a secondary figure
TRAVEL_WITHHELD = "Comparison withheld (a figure it compares is withheld)"
COMMENTARY_WITHHELD = ("Commentary withheld from this public edition: it states a figure "
                       "that is withheld.")


@dataclass(frozen=True)
class Suppression:
    """A council's suppression settings (``council.yaml``, key ``suppression``)."""

    threshold: int = DEFAULT_THRESHOLD  # counts above 0 and below it are withheld

    @property
    def mark(self) -> str:
        """How a withheld small count reads: ``<5``."""
        return f"<{self.threshold}"

    def small(self, x) -> bool:
        """A count that is withheld by itself: above 0 and below the threshold."""
        return x is not None and x == x and 0 < abs(float(x)) < self.threshold

    def record(self) -> dict:
        """What the manifest records of the rules a public edition applied."""
        return {"threshold": self.threshold,
                "primary": f"counts above 0 and below {self.threshold} are shown as {self.mark}; "
                           "zero is shown",
                "derived": "a percentage or rate whose numerator or denominator is withheld "
                           "is withheld",
                "secondary": "where a withheld figure could be worked out from a published "
                             "total and its other published parts (breakdowns, or the "
                             "columns and chart points a quarter or year adds up from), the "
                             "smallest non-zero part shown is withheld too, else the total",
                "rag_travel_spc": "a withheld figure has no RAG status, a comparison with "
                                  "it is withheld, and a series with a withheld point has no "
                                  "SPC chart",
                "commentary": "commentary marked internal, or printing a withheld figure, "
                              "is not shown"}


Group = tuple[Hashable, Sequence[Hashable]]  # (total, its parts)


def primary(values: Mapping[Hashable, float | None], counts: Iterable[Hashable],
            settings: Suppression) -> set:
    """The keys among ``counts`` whose value is a small count."""
    return {k for k in counts if settings.small(values.get(k))}


def secondary(values: Mapping[Hashable, float | None], groups: Iterable[Group],
              withheld: Iterable[Hashable]) -> set:
    """``withheld`` grown until no group has exactly one withheld member.

    A member of a group without a value (``None`` or NaN: not shown at all) does not
    count.  The figure withheld next is the group's smallest non-zero part still shown
    (the first in the group's order among equals), else its total.  Deterministic.
    """
    out = set(withheld)
    groups = [(t, list(parts)) for t, parts in groups]

    def has(k) -> bool:
        return _has(values, k)

    changed = True
    while changed:
        changed = False
        for total, parts in groups:
            members = [k for k in (total, *parts) if has(k)]
            if sum(k in out for k in members) != 1:
                continue
            more = _next(values, total, parts, out)
            if more is None:
                continue
            out.add(more)
            changed = True
    return out


def determined(values: Mapping[Hashable, float | None], groups: Iterable[Group],
               withheld: Iterable[Hashable]) -> list:
    """The withheld keys that the groups *taken together* give away: each group is a
    linear equation (its total minus its parts is 0) over the withheld members (the others
    are known), and a withheld key is determined when the equations combine to give it
    alone (its unit vector is in their row space; exact, in integers).  A group with
    none, or at least two, withheld members can still determine one in combination with
    others: ``a + b``, ``a + c`` and ``b + c`` all published give ``a``.  In the order the
    keys first appear in ``groups``.  Deterministic."""
    hidden = set(withheld)
    order: dict = {}
    rows = []
    for total, parts in groups:
        row: dict = {}
        for k, c in ((total, 1), *((p, -1) for p in parts)):
            if k in hidden and _has(values, k):
                order.setdefault(k, len(order))
                row[k] = row.get(k, 0) + c
        if any(row.values()):
            rows.append({k: c for k, c in row.items() if c})
    reduced: dict = {}  # pivot key -> its row, fully reduced (integers, no common factor)
    for row in rows:
        for key, other in reduced.items():
            if key in row:
                row = _eliminate(row, other, key)
        if not row:
            continue
        key = min(row, key=order.__getitem__)
        for other_key, other in list(reduced.items()):
            if key in other:
                reduced[other_key] = _eliminate(other, row, key)
        reduced[key] = row
    return sorted((k for k, row in reduced.items() if set(row) == {k}),
                  key=order.__getitem__)


def _eliminate(row: dict, pivot: dict, key) -> dict:
    """``row`` with ``key`` eliminated by ``pivot`` (integer rows), divided by the greatest
    common divisor of what is left."""
    a, b = pivot[key], row[key]
    out = {k: a * row.get(k, 0) - b * pivot.get(k, 0) for k in row.keys() | pivot.keys()}
    out = {k: c for k, c in out.items() if c}
    g = math.gcd(*out.values()) if out else 1
    return {k: c // g for k, c in out.items()}


def protect(values: Mapping[Hashable, float | None], groups: Iterable[Group],
            withheld: Iterable[Hashable]) -> set:
    """:func:`secondary`, then, while the groups taken together still determine a withheld
    key (:func:`determined`), one more figure withheld: in the first group holding the
    first such key that has a non-zero member still shown (else the first group holding any
    withheld figure that has one), its smallest such part, else its total (as
    :func:`secondary` chooses); until none is determined or nothing is left to withhold.
    Deterministic."""
    groups = [(t, list(parts)) for t, parts in groups]
    out = secondary(values, groups, withheld)
    while True:
        gone = determined(values, groups, out)
        if not gone:
            return out
        holding = [g for g in groups if gone[0] in (g[0], *g[1])]
        linked = [g for g in groups if any(k in out for k in (g[0], *g[1]))]
        more = next((m for t, parts in (*holding, *linked)
                     if (m := _next(values, t, parts, out)) is not None), None)
        if more is None:
            return out
        out = secondary(values, groups, out | {more})


def _has(values, k) -> bool:
    """Whether key ``k`` has a value (``None`` or NaN: not shown at all)."""
    v = values.get(k)
    return v is not None and v == v


def _next(values, total, parts, out) -> Hashable | None:
    """The member of a group :func:`secondary` withholds next: its smallest non-zero part
    still shown (first among equals), else its total (if shown and not zero)."""
    def has(k) -> bool:
        return _has(values, k)

    shown = [(abs(float(values[k])), i, k) for i, k in enumerate(parts)
             if has(k) and k not in out and float(values[k]) != 0]
    if shown:
        return min(shown, key=lambda t: t[:2])[2]
    if has(total) and total not in out and float(values[total]) != 0:
        return total
    return None


def tilings(whole: Sequence[Hashable], spans: Mapping[Hashable, Sequence[Hashable]]) -> list:
    """Every way of adding up ``whole`` (a sequence of periods, in order) from ``spans``
    (key -> the periods it adds up): lists of keys whose periods are disjoint, each inside
    ``whole``, none the whole itself, together exactly ``whole``; in order.

    A quarter shown beside its three months is two ways of adding up the year to date
    (the quarter, or its months) and each is a *group* of :func:`secondary`: a figure
    published nowhere is never a member, so no group relies on it staying unknown.
    """
    order = {p: i for i, p in enumerate(whole)}
    inside = {}  # the first period of each span inside ``whole`` -> [(key, its periods)]
    for key, ps in spans.items():
        ps = tuple(ps)
        if ps and len(ps) < len(order) and all(p in order for p in ps) \
                and len(set(ps)) == len(ps):
            inside.setdefault(min(ps, key=order.__getitem__), []).append((key, set(ps)))
    out: list = []

    def extend(left: set, chosen: list) -> None:
        if not left:
            out.append(list(chosen))
            return
        first = min(left, key=order.__getitem__)
        for key, ps in inside.get(first, ()):
            if ps <= left:
                extend(left - ps, [*chosen, key])

    extend(set(order), [])
    return out


def printed_forms(x: float, decimals: int = 2) -> set[str]:
    """Every way a page could print ``x``: with 0 to ``decimals`` (at least 2) decimal
    places, with and without thousands separators, and exactly (``100``, ``100.0``,
    ``100.00``, ``1,234``); a unit sign or ``out of`` around it does not matter, as
    :func:`states` matches the number alone."""
    v = float(x)
    out = {f"{v:.6f}".rstrip("0").rstrip(".")}
    for d in range(max(2, decimals) + 1):
        out |= {f"{v:.{d}f}", f"{v:,.{d}f}"}
    return {s for s in out if s not in ("", "-0")}


_ENTITIES = {"amp": "&", "nbsp": " ", "lt": "<", "gt": ">", "percnt": "%", "comma": ",",
             "period": ".", "quot": '"', "apos": "'"}


def _unescape(text: str) -> str:
    """HTML character references as the reader sees them (``&#49;`` is ``1``)."""
    def one(m: re.Match) -> str:
        name = m.group(1)
        if name[0] == "#":
            try:
                code = int(name[2:], 16) if name[1:2] in "xX" and len(name) > 2 else int(name[1:])
                return chr(code)
            except (ValueError, OverflowError):
                return m.group(0)
        return _ENTITIES.get(name.lower(), m.group(0))
    return re.sub(r"&(#[xX]?[0-9a-fA-F]+|[A-Za-z]+);?", one, text)


def states(text: str, forms: Iterable[str]) -> bool:
    """Whether ``text`` (HTML or plain) prints one of ``forms`` as a number of its own:
    ``2`` is in "2 out of 2" and "(2)" but not in "2025", "12" or "2.5"."""
    plain = _unescape(re.sub(r"<[^>]*>", " ", text or ""))
    for f in forms:
        if re.search(rf"(?<![\d.,])(?<![\d][.,]){re.escape(f)}(?![\d])(?![.,]\d)", plain):
            return True
    return False


def recoverable(values: Mapping[Hashable, float | None], groups: Iterable[Group],
                withheld: set) -> list:
    """The withheld keys that a group gives away (its only withheld member): empty after
    :func:`secondary`.  For checks and tests."""
    out = []
    for total, parts in groups:
        members = [k for k in (total, *parts) if values.get(k) is not None
                   and values[k] == values[k]]
        hidden = [k for k in members if k in withheld]
        if len(hidden) == 1:
            out.append(hidden[0])
    return out
