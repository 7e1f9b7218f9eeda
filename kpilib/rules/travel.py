"""Direction of travel as data (reporting rules section 5).  Pure functions over plain values.

A *travel key* (``travel_keys:`` in ``council.yaml``; kpilib's own schemes are shipped in
the same language, ``kpilib/keys/builtin.yaml``) is a list of comparisons.  Each compares
the current period's value with a *baseline* (the previous period, the same period last
year, the previous year end, a rolling average of N periods), decides whether the KPI got
``better``, stayed the ``same`` or got ``worse`` (by its polarity, with a no-change
threshold: none, a percentage of the baseline or an absolute amount; optionally "at best"
on a ceiling), and then gives the first of its outcomes that matches: a symbol and the
words shown beside it, so that a report never relies on the arrow (or its colour) alone.
The first comparison is the KPI's direction of travel; a second is shown beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from kpilib.rules.keys import Margin, _r, margin

NO_TRAVEL = "n/a"
NO_TRAVEL_WORDS = "No previous value to compare"
BASELINES = ("previous_period", "same_period_last_year", "previous_year_end",
             "rolling_average")
WHEN = ("better", "same", "worse", "at_best")
# A KPI with no polarity: what the number did, whatever the key.  Double arrows, which no
# key may give (reserved): a single arrow means better or worse wherever a key gives it.
NO_POLARITY = {"⇑": "Rose (no polarity)", "⇓": "Fell (no polarity)", "⇔": "No change (no polarity)"}
# What a symbol means, by the outcome it is given for: one meaning per council (section 5).
MEANING = {"better": "better", "at_best": "better", "same": "the same", "worse": "worse"}


@dataclass(frozen=True)
class Outcome:
    """One row of a comparison's key: ``when`` the KPI got better/same/worse (or is at
    best), and optionally only ``within`` a margin of the baseline or when it still
    ``meets`` a reference value, or only when it ``misses`` one that exists (so that words
    saying "not on target" are never given to a KPI with no target); ``symbol`` may hold
    ``{arrow}`` (the arrow of the number's own movement, ↑ or ↓)."""

    when: str
    symbol: str
    words: str
    within: Margin | None = None
    meets: str = ""  # a reference value the current value is on or better than
    misses: str = ""  # a reference value that exists and the current value is worse than

    def shown(self, rose: bool) -> str:
        return self.symbol.replace("{arrow}", "↑" if rose else "↓")


@dataclass(frozen=True)
class Comparison:
    """One comparison of a travel key."""

    id: str
    label: str
    outcomes: tuple[Outcome, ...]
    baseline: str = "previous_period"
    periods: int = 0  # rolling_average: how many periods
    no_change: Margin | None = None  # None: any change counts
    relative: bool = False  # no_change in percent of the baseline, compared as a ratio
    ceiling: float | None = None  # "at best": a value on it is at best performance
    ytd_restart: str = ""  # "previous_year_end": a cumulative KPI's first period compares
    #                        with last year's last (else it has no travel)
    none_words: str = NO_TRAVEL_WORDS

    def pairs(self) -> list[tuple[str, str]]:
        """Every (symbol, words) the comparison can show (both arrows of ``{arrow}``)."""
        out = []
        for o in self.outcomes:
            for rose in (True, False):
                out.append((o.shown(rose), o.words))
        return list(dict.fromkeys(out))


@dataclass(frozen=True)
class TravelKey:
    id: str
    name: str
    comparisons: tuple[Comparison, ...]


def outcome(current: float, baseline: float, polarity: str, no_change: Margin | None = None,
            relative: bool = False) -> str:
    """``better``, ``same`` or ``worse`` from ``baseline`` to ``current`` (polarity
    ``higher`` or ``lower``)."""
    gain = _r(margin(current, baseline, polarity))  # > 0 improved, < 0 worse
    if no_change is None:
        return "same" if gain == 0 else ("better" if gain > 0 else "worse")
    if relative:
        if baseline == 0:
            rel = 0.0 if gain == 0 else (1.0 if gain > 0 else -1.0)
        else:
            rel = _r(gain / abs(baseline))
        limit = (no_change.percent or 0.0) / 100.0
        return "better" if rel > limit else ("worse" if rel < -limit else "same")
    limit = _r(no_change.allowance(baseline))
    return "better" if gain > limit else ("worse" if -gain > limit else "same")


def compare(comp: Comparison, current: float | None, baseline: float | None, polarity: str,
            references: dict | None = None) -> tuple[str, str]:
    """(symbol, words) of ``comp`` from ``baseline`` to ``current``."""
    if current is None or baseline is None:
        return NO_TRAVEL, comp.none_words
    if polarity not in ("higher", "lower"):
        c, p = _r(current), _r(baseline)
        symbol = "⇔" if c == p else ("⇑" if c > p else "⇓")
        return symbol, NO_POLARITY[symbol]
    rose = _r(current) > _r(baseline)
    result = outcome(current, baseline, polarity, comp.no_change, comp.relative)
    at_best = comp.ceiling is not None and _r(current) == _r(comp.ceiling)
    for o in comp.outcomes:
        if o.when == "at_best":
            if not at_best:
                continue
        elif o.when != result:
            continue
        if o.within is not None and not _near(o.within, current, baseline, polarity):
            if not (o.meets and _meets(current, (references or {}).get(o.meets), polarity)):
                continue
        elif o.within is None and o.meets and not _meets(
                current, (references or {}).get(o.meets), polarity):
            continue
        if o.misses and not _misses(current, (references or {}).get(o.misses), polarity):
            continue
        return o.shown(rose), o.words
    return NO_TRAVEL, comp.none_words


def _near(m: Margin, current: float, baseline: float, polarity: str) -> bool:
    gain = _r(margin(current, baseline, polarity))
    return -gain <= _r(m.allowance(baseline))


def _meets(value: float, reference, polarity: str) -> bool:
    if reference is None or isinstance(reference, str):
        return False
    return _r(margin(value, reference, polarity)) >= 0


def _misses(value: float, reference, polarity: str) -> bool:
    if reference is None or isinstance(reference, str):
        return False  # no reference value: nothing is missed
    return _r(margin(value, reference, polarity)) < 0


def meanings(key: TravelKey) -> list[tuple[str, str, str]]:
    """(symbol, meaning, words) of every symbol ``key`` can show."""
    return [(o.shown(rose), MEANING.get(o.when, o.when), o.words)
            for c in key.comparisons for o in c.outcomes for rose in (True, False)]


def clashes(keys) -> list[str]:
    """Every symbol the travel keys ``keys`` (used together by one council) give two
    meanings: better in one, worse or the same in another (the words may qualify a meaning,
    "Worse, but on target", never change it); and any key that gives one of the
    no-polarity arrows, which only say what the number did."""
    seen: dict[str, tuple[str, str]] = {s: ("what the number did", "KPIs with no polarity")
                                        for s in NO_POLARITY}
    out = []
    for key in keys:
        for symbol, meaning, words in meanings(key):
            had = seen.setdefault(symbol, (meaning, key.id))
            if had[0] != meaning:
                out.append(f"{symbol} means {meaning} in travel key {key.id!r} ({words!r}) but "
                           f"{had[0]} in {had[1]!r}: within one council a symbol has one "
                           "meaning; give one of them another symbol")
                seen[symbol] = (meaning, key.id)
    return list(dict.fromkeys(out))
