"""Funnel plots: bodies' proportions and rates against control limits by denominator
(reporting rules 7.13).

Pure and stdlib only.  The method is Spiegelhalter's (D. J. Spiegelhalter, "Funnel plots
for comparing institutional performance", Statistics in Medicine 24 (2005) 1185-1202),
as used for NHS and public health comparisons (the Public Health England / OHID
"Technical Briefing 2: statistical process control methods in public health
intelligence" and its funnel plot tools):

* the **target** is the group's pooled figure: the sum of the numerators over the sum of
  the denominators (not the mean of the bodies' figures);
* a body with denominator ``n`` is compared with the distribution its numerator would have
  if its true figure were the target: **binomial** ``Bin(n, target)`` for a proportion
  (``kind="proportion"``: a percentage of people, cases...), **Poisson**
  ``Poisson(n × target)`` for a rate per population (``kind="rate"``: events per
  person, the denominator a population or person-years);
* the limits are the exact quantiles of that distribution at ``p`` = 0.025 and 0.975
  (the **95%** limits, about 2 standard deviations) and 0.001 and 0.999 (the **99.8%**
  limits, about 3 standard deviations), made continuous by Spiegelhalter's interpolation
  (his appendix A.1.1): with ``r_p`` the smallest count whose cumulative probability
  ``F(r_p)`` is at least ``p``, ``α = (F(r_p) − p) / (F(r_p) − F(r_p − 1))`` and the
  limit is ``(r_p − α) / n``.  (Byar's approximation, which PHE's tools also offer for
  Poisson counts, is close to these exact limits and is not used.)
* a body is **outside** a limit when its figure is strictly above the upper or strictly
  below the lower; above or below the 99.8% limits it is an **outlier** (named on the
  pages), between the 95% and 99.8% limits it is an "alert" (Spiegelhalter's terms).

A binomial's denominator is rounded to a whole number (people are counted in wholes).
Cumulative probabilities are sums over the mean ± 8 standard deviations, the terms
computed outward from the mode's (``math.lgamma``), so a limit costs about 16 standard
deviations' worth of terms, however large the denominator.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

KINDS = ("proportion", "rate")
P95 = (0.025, 0.975)  # two-sided 95%: about 2 SD
P998 = (0.001, 0.999)  # two-sided 99.8%: about 3 SD
CURVE_POINTS = 40  # denominators the limit lines are drawn through by default


class FunnelError(ValueError):
    """Points a funnel cannot be drawn from (named body and what is wrong)."""


@dataclass(frozen=True)
class Limits:
    """The control limits at one denominator, as figures (numerator / denominator)."""

    denominator: float
    lower95: float
    upper95: float
    lower998: float
    upper998: float


@dataclass(frozen=True)
class FunnelPoint:
    """One body's figure and where it lies."""

    body: str
    numerator: float
    denominator: float
    figure: float  # numerator / denominator
    limits: Limits
    outside: str  # "above_998", "above_95", "below_95", "below_998" or "" (within)

    @property
    def outlier(self) -> str:
        """``above`` / ``below`` (the 99.8% limits), or ``""``."""
        return self.outside[:5] if self.outside.endswith("998") else ""


@dataclass(frozen=True)
class FunnelResult:
    """A group's funnel: its target, each body's point, and the limit lines."""

    kind: str
    target: float
    points: tuple[FunnelPoint, ...]  # in body-code order
    curve: tuple[Limits, ...]  # the limits at increasing denominators

    @property
    def outliers(self) -> tuple[tuple[str, str], ...]:
        """(body, ``above``/``below``) of every body beyond the 99.8% limits."""
        return tuple((p.body, p.outlier) for p in self.points if p.outlier)


def _window(kind: str, n: float, p: float) -> tuple[int, list[float]]:
    """(first count, probabilities of the counts from it) over the mean ± 8 standard
    deviations and 12 counts (the mass beyond is below 1e-14): from the mode's
    probability (``math.lgamma``) outward by the ratio of successive terms."""
    mean = n * p
    sd = math.sqrt(mean * (1 - p) if kind == "proportion" else mean)
    top = int(n) if kind == "proportion" else math.inf
    lo = max(0, int(mean - 8 * sd) - 12)
    hi = int(min(top, mean + 8 * sd + 12))
    mode = min(max(int(math.floor(mean)), lo), hi)
    if kind == "proportion":
        log_mode = (math.lgamma(n + 1) - math.lgamma(mode + 1) - math.lgamma(n - mode + 1)
                    + mode * math.log(p) + (n - mode) * math.log1p(-p))
        odds = p / (1 - p)

        def up(k):  # P(k + 1) / P(k)
            return (n - k) / (k + 1) * odds
    else:
        log_mode = mode * math.log(mean) - mean - math.lgamma(mode + 1)

        def up(k):
            return mean / (k + 1)
    probs = [0.0] * (hi - lo + 1)
    probs[mode - lo] = math.exp(log_mode)
    for k in range(mode, hi):
        probs[k + 1 - lo] = probs[k - lo] * up(k)
    for k in range(mode - 1, lo - 1, -1):
        probs[k - lo] = probs[k + 1 - lo] / up(k)
    return lo, probs


def _quantiles(kind: str, qs: Sequence[float], n: float, p: float) -> list[float]:
    """Spiegelhalter's interpolated ``qs`` quantiles of the count (as counts, never below
    0): for each ``q`` the smallest ``r`` with ``F(r) >= q``, less ``α = (F(r) − q) /
    P(r)``."""
    if (kind == "proportion" and (p <= 0 or p >= 1)) or n * p <= 0:
        return [n * min(max(p, 0.0), 1.0)] * len(qs)  # no variation
    lo, probs = _window(kind, n, p)
    out = []
    for q in qs:
        total, r = 0.0, lo
        for prob in probs:
            total += prob
            if total >= q:
                break
            r += 1
        r = min(r, lo + len(probs) - 1)
        step = probs[r - lo]
        out.append(max(0.0, r - ((total - q) / step if step > 0 else 0.0)))
    return out


def limits(kind: str, target: float, denominator: float) -> Limits:
    """The 95% and 99.8% control limits (as figures) at ``denominator`` around ``target``
    (a proportion 0-1, or a rate per unit of denominator)."""
    _check_kind(kind)
    n = float(round(denominator)) if kind == "proportion" else float(denominator)
    if n <= 0:
        raise FunnelError(f"denominator {denominator!r}: expected a number above 0")
    lo95, hi95, lo998, hi998 = (c / n for c in _quantiles(
        kind, (P95[0], P95[1], P998[0], P998[1]), n, target))
    return Limits(float(denominator), lo95, hi95, lo998, hi998)


def _where(figure: float, lim: Limits) -> str:
    if figure > lim.upper998:
        return "above_998"
    if figure < lim.lower998:
        return "below_998"
    if figure > lim.upper95:
        return "above_95"
    if figure < lim.lower95:
        return "below_95"
    return ""


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise FunnelError(f"kind {kind!r}: expected one of {', '.join(KINDS)}")


def curve_denominators(low: float, high: float, count: int = CURVE_POINTS) -> list[float]:
    """``count`` denominators spread evenly on a log scale from ``low`` to ``high``."""
    if high <= low or count < 2:
        return [float(low)]
    ratio = (high / low) ** (1 / (count - 1))
    return [low * ratio ** i for i in range(count - 1)] + [float(high)]


def funnel(points: Sequence[tuple[str, float, float]], kind: str = "proportion",
           at: Sequence[float] | None = None, target: float | None = None) -> FunnelResult:
    """The funnel of ``points`` (body, numerator, denominator): the pooled target (or
    ``target``), each body's limits at its own denominator and where it lies, and the
    limit lines at the denominators ``at`` (default: :data:`CURVE_POINTS` from half the
    smallest denominator to the largest, even on a log scale).  :class:`FunnelError`
    names a body whose figures cannot be placed (no points, a denominator not above 0, a
    negative numerator, a proportion's numerator above its denominator)."""
    _check_kind(kind)
    if not points:
        raise FunnelError("no bodies with a numerator and denominator")
    problems = []
    for body, num, den in points:
        if not den > 0:
            problems.append(f"{body}: denominator {den!r}: expected a number above 0")
        elif not num >= 0:
            problems.append(f"{body}: numerator {num!r}: expected a number 0 or above")
        elif kind == "proportion" and num > den:
            problems.append(f"{body}: numerator {num!r} is above its denominator {den!r}: a "
                            "proportion is at most 1")
    if problems:
        raise FunnelError("; ".join(problems))
    if target is None:
        target = math.fsum(p[1] for p in points) / math.fsum(p[2] for p in points)
    placed = []
    for body, num, den in sorted(points, key=lambda p: p[0]):
        lim = limits(kind, target, den)
        figure = num / den
        placed.append(FunnelPoint(body, float(num), float(den), figure, lim,
                                  _where(figure, lim)))
    if at is None:
        dens = [p[2] for p in points]
        at = curve_denominators(max(min(dens) / 2, 1.0), max(dens))
    return FunnelResult(kind, target, tuple(placed),
                        tuple(limits(kind, target, d) for d in sorted(at)))
