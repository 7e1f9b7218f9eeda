"""A council among its peers: rank, quartile, median and mean of a group's figures
(reporting rules 7.11-7.13 and 3.1).

Pure and stdlib only.  A group's figures are ``{body code: value}`` for one metric and
period; the KPI's polarity says which end is best (``higher``: the highest value ranks
1st).  Ranks are competition ranks: bodies with the same value share the better rank and
the next rank is skipped ("joint 2nd", then 4th).  A body's quartile follows from its rank
among ``n`` bodies: quartile ``q`` is the smallest with ``rank <= q * n / 4`` (1 is the
top quartile; of the 22 Welsh councils ranks 1-5 are the top quartile, of 16 ranks 1-4).
A group of fewer than :data:`MIN_QUARTILE` bodies has no quartiles, and says why.

The reference values status keys compare with (section 3.1) follow from the same rule:
``quartile_Q`` is the figure a body must equal or beat to be in quartile ``Q`` or better
(the figure ranked ``floor(Q * n / 4)``), ``rank_N`` the figure ranked ``N``, so "within 0
of quartile_1" is exactly "in the top quartile" and "within 0 of rank_8" exactly "8th or
better", ties included.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from kpilib.rules.periods import PeriodError, fy_months, parse_fy, parse_period

MIN_QUARTILE = 4  # bodies a group needs for quartiles
BODY_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,19}$")  # ONS GSS codes: E06000061
BODY_EXPECTED = ("expected a body's official code: letters and digits (an ONS GSS code "
                 "such as E06000061), at most 20 characters")
PEER_REFERENCE = re.compile(r"^(?:peer_median|peer_mean|quartile_[123]|rank_([1-9][0-9]{0,2}))$")
QUARTILE_WORDS = {1: "top quartile", 2: "second quartile", 3: "third quartile",
                  4: "bottom quartile"}


PERIOD_EXPECTED = ("expected a month id (2024-02), a quarter id (2024-25-Q3) or a financial "
                   "year (2024-25)")


def period_end(text: str) -> str:
    """The last month of a peer figure's period: a month id, a quarter id or a financial
    year id (national datasets publish by year); :class:`PeriodError` otherwise."""
    try:
        return parse_period(text).months[-1]
    except PeriodError:
        try:
            parse_fy(text)
        except PeriodError:
            raise PeriodError(f"{text!r}: {PERIOD_EXPECTED}") from None
        return fy_months(str(text).strip())[-1]


def median(values) -> float:
    """The middle figure (the mean of the middle two of an even number)."""
    s = sorted(values)
    mid = len(s) // 2
    return float(s[mid]) if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def mean(values) -> float:
    return math.fsum(values) / len(values)


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 22nd..."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def ordered(values: Mapping[str, float], polarity: str) -> list[tuple[str, float]]:
    """(body, value), best first by ``polarity`` (``none``: highest first); equal values in
    body-code order, so the order never depends on the input's."""
    sign = 1 if polarity == "lower" else -1
    return sorted(values.items(), key=lambda bv: (sign * bv[1], bv[0]))


def rank(values: Mapping[str, float], body: str, polarity: str) -> tuple[int, int]:
    """(competition rank of ``body``, how many bodies share its value, itself included)."""
    own = values[body]
    better = sum(1 for v in values.values() if (v > own if polarity != "lower" else v < own))
    return better + 1, sum(1 for v in values.values() if v == own)


def quartile(position: int, n: int) -> int | None:
    """The quartile (1 top, 4 bottom) of rank ``position`` among ``n``; None for n < 4."""
    if n < MIN_QUARTILE:
        return None
    return max(1, math.ceil(4 * position / n))


def no_quartile_reason(n: int) -> str:
    return (f"no quartiles: the group has {n} bod{'y' if n == 1 else 'ies'} with a figure; "
            f"quartiles need at least {MIN_QUARTILE}")


@dataclass(frozen=True)
class Standing:
    """A group's figures for one metric and period, and one body's place among them."""

    n: int
    median: float
    mean: float
    rank: int | None = None  # None: the body has no figure (or it is withheld)
    tied: int = 1
    quartile: int | None = None
    reason: str = ""  # why there is no rank or no quartile

    @property
    def rank_text(self) -> str:
        """``4th of 16``, ``joint 2nd of 16``; or the reason there is none."""
        if self.rank is None:
            return self.reason
        return f"{'joint ' if self.tied > 1 else ''}{ordinal(self.rank)} of {self.n}"

    @property
    def quartile_text(self) -> str:
        if self.quartile is None:
            return self.reason or no_quartile_reason(self.n)
        return QUARTILE_WORDS[self.quartile]


def standing(values: Mapping[str, float], body: str | None, polarity: str,
             why_not: str = "") -> Standing | None:
    """The group's median and mean and ``body``'s rank and quartile (None: no figures).
    ``body`` None (or without a figure): no rank, with ``why_not`` as the reason."""
    if not values:
        return None
    vals = list(values.values())
    med, avg = median(vals), mean(vals)
    if body is None or body not in values:
        return Standing(len(vals), med, avg, reason=why_not or "no figure of the council's own "
                        "for this period")
    if polarity not in ("higher", "lower"):
        return Standing(len(vals), med, avg, reason="not ranked: the KPI has no polarity "
                        "(neither higher nor lower is better)")
    pos, tied = rank(values, body, polarity)
    q = quartile(pos, len(vals))
    return Standing(len(vals), med, avg, pos, tied, q,
                    "" if q is not None else no_quartile_reason(len(vals)))


def references(values: Mapping[str, float], polarity: str,
               names: tuple[str, ...] = ()) -> dict[str, float | None]:
    """The peer reference values ``names`` (``peer_median``, ``peer_mean``, ``quartile_Q``,
    ``rank_N``) of a group's figures; None where the group cannot give one (no figures, no
    polarity for a rank or quartile, fewer than 4 bodies for a quartile, fewer than N
    bodies for ``rank_N``)."""
    out: dict[str, float | None] = dict.fromkeys(names)
    if not values:
        return out
    best = [v for _, v in ordered(values, polarity)]
    n = len(best)
    for name in names:
        if name == "peer_median":
            out[name] = median(best)
        elif name == "peer_mean":
            out[name] = mean(best)
        elif polarity not in ("higher", "lower"):
            continue
        elif name.startswith("quartile_"):
            at = (int(name[-1]) * n) // 4
            out[name] = best[at - 1] if n >= MIN_QUARTILE and at >= 1 else None
        elif name.startswith("rank_"):
            at = int(name[5:])
            out[name] = best[at - 1] if at <= n else None
    return out
