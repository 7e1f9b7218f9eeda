"""A status key checked whole (pure): gaps, overlaps and unreachable statuses, found by
rating probe values around every threshold of the key, for both polarities, with the other
reference values equal to, worse and better than the target (a group's places, ``quartile_Q``
and ``rank_N``, in their order), every travel outcome, SPC signal and a KPI's own tolerance
(:func:`kpilib.rules.keyspec.parse_status_key` calls it)."""

from __future__ import annotations

from itertools import product

from kpilib.rules.keys import OUTCOMES, SPC_KINDS, Facts, StatusKey, _matches, rate
from kpilib.rules.targets import Tolerance

PROBE_TOLERANCE = 10.0  # the KPI tolerance (percent) a key's check also rates with


def check_status_key(key: StatusKey, where: str, standard=()) -> list[str]:
    """Gaps, overlaps and unreachable statuses (``standard``: the statuses every key has,
    which no band need give), found by rating probe values around every threshold of the
    key, for both polarities, every travel outcome and SPC signal."""
    problems = []
    given: set[str] = set(key.reserved.values())
    first_hits = [0] * len(key.bands)
    for facts, case in _probes(key):
        for i, band in enumerate(key.bands):
            if _matches(band, facts, key):
                first_hits[i] += 1
                given.add(band.status)
                break
        else:
            if rate(key, facts) == "":
                problems.append(f"{where}.bands: {case} matches no band; add a band for it "
                                "or end the bands with one that has no condition")
                break
    for i, n in enumerate(first_hits):
        if n == 0:
            problems.append(f"{where}.bands[{i + 1}] ({key.bands[i].status}) never applies: "
                            "the bands before it take every case it covers")
    for s in key.statuses:
        if s.judgement and any(b.status == s.label for b in key.bands):
            problems.append(f"{where}: {s.label!r} is judgement-only, but a band gives it")
        elif not s.judgement and s.label not in given and s not in standard:
            problems.append(f"{where}: no band or reserved state gives {s.label!r}; give it "
                            "a band, or mark it judgement: true (set only by an override)")
    return problems


def _ranked(refs) -> list[str]:
    """The peer reference values that are places in a group's order (``quartile_Q``,
    ``rank_N``), best first: each is at least as good as the next, whatever the figures."""
    places = [(int(r.rsplit("_", 1)[1]) * (8 if r.startswith("quartile_") else 1), r)
              for r in refs if r.startswith(("quartile_", "rank_"))]
    return [r for _, r in sorted(places)]


def _probes(key: StatusKey):
    """(facts, words) of every case worth rating: values around each threshold."""
    refs = sorted({b.reference for b in key.bands} | {b.figure for b in key.bands if b.figure}
                  | {"target"})
    travel_outcomes = [None, *OUTCOMES] if any(b.travel for b in key.bands) else [None]
    spcs = ["", *SPC_KINDS] if any(b.spc for b in key.bands) else [""]
    for polarity, shift in product(("higher", "lower"), (0.0, -10.0, 10.0)):
        sign = 1.0 if polarity == "higher" else -1.0
        references = {r: 100.0 + (0.0 if r == "target" else sign * shift) for r in refs}
        for i, r in enumerate(_ranked(refs)):  # quartile_1 above quartile_2, rank_8 above
            references[r] -= sign * 5.0 * i  # rank_24: a group's figures are in order
        points = {0.0, 100.0, 1000.0, -1000.0}
        for b in key.bands:
            ref = references.get(b.reference, 100.0)
            for m in (b.within, b.beyond, b.short_of):
                if m is None:
                    continue
                widths = ([key.default_tolerance.allowance(ref), ref * PROBE_TOLERANCE / 100]
                          if m.tolerance else [m.allowance(ref)])
                for a in widths:
                    for edge in (ref - a, ref + a, ref):
                        points |= {edge, edge - 1e-3, edge + 1e-3}
        figures = {b.figure for b in key.bands if b.figure}
        tolerances = [None]  # the key's default_tolerance, and a KPI's own 10%
        if any(m is not None and m.tolerance for b in key.bands
               for m in (b.within, b.beyond, b.short_of)):
            tolerances.append(Tolerance("percent", PROBE_TOLERANCE))
        for value, out, spc, given, tol in product(sorted(points), travel_outcomes, spcs,
                                                   (True, False) if figures else (False,),
                                                   tolerances):
            refs = {**references, **{f: value if given else None for f in figures}}
            facts = Facts(value, polarity, refs, tol,
                          (lambda _c, o=out: o) if out else None, spc, 10**6)
            against = ", ".join(f"{k} {v:g}" for k, v in references.items())
            case = (f"a value of {value:g} against {against}"
                    f" ({polarity} is better{', travel ' + out if out else ''}"
                    f"{', SPC ' + spc if spc else ''})")
            yield facts, case
