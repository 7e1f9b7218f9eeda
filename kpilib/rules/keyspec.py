"""The language of status and travel keys: plain mappings (YAML) to keys, checked whole.

``parse_keys(raw)`` reads the ``status_keys``, ``travel_keys`` and ``default_keys`` of a
settings mapping (``council.yaml``, or kpilib's shipped ``kpilib/keys/builtin.yaml``) and
returns a :class:`KeySet` and the list of every problem found: an unknown field (with the
closest one suggested), a colour that fails contrast, an unknown status or reference, a
case that no band rates (a gap), a band that never applies (an overlap), a status that
no band gives and that is not judgement-only.  Pure: no files are read here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from kpilib.rules.keycheck import check_status_key
from kpilib.rules.keys import (
    OUTCOMES,
    RESERVED,
    SPC_KINDS,
    ZERO,
    Band,
    Margin,
    Status,
    StatusKey,
    TravelCondition,
)
from kpilib.rules.names import did_you_mean
from kpilib.rules.peers import PEER_REFERENCE
from kpilib.rules.travel import BASELINES, WHEN, Comparison, Outcome, TravelKey, clashes

ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
MIN_CONTRAST = 4.5
MARKERS = ("circle", "square", "diamond", "cross", "x", "triangle-up", "triangle-down",
           "star", "hexagon", "circle-open", "square-open", "diamond-open",
           "triangle-up-open", "triangle-down-open", "star-open")
BUILT_IN_REFERENCES = ("target", "floor", "baseline")
ROLLING = re.compile(r"^rolling_average_([1-9][0-9]?)$")
# The statuses every key may use without declaring them (reserved states and activity
# indicators' ranges), with the look the pages always gave them.
STANDARD = (
    Status("Data missing", "?", "#3d3d3d", marker="circle-open"),
    Status("Target under review", "◐", "#6b6b6b", marker="diamond"),
    Status("Tracking", "○", "#00706c", marker="square"),
    Status("Not due", "…", "#595959", marker="hexagon", words="not yet due"),
    Status("Carried over", "↷", "#1d4f91", marker="diamond-open",
           words="carried over to the next report"),
    Status("Incomplete", "◔", "#6d4c41", marker="star-open",
           words="missing a period, so not rated"),
)
DEFAULT_RESERVED = {"no_value": "Data missing", "review": "Target under review",
                    "no_target": "Tracking", "not_due": "Not due",
                    "carried_over": "Carried over", "incomplete": "Incomplete"}
STATUS_FIELDS = ("label", "symbol", "colour", "text_colour", "marker", "action", "judgement",
                 "meets", "words")
KEY_FIELDS = ("name", "statuses", "reserved", "bands", "default_tolerance", "min_history",
              "references", "comparators")
BAND_FIELDS = ("status", "reference", "figure", "within", "beyond", "short_of", "travel",
               "spc")
TRAVEL_FIELDS = ("name", "comparisons")
COMPARISON_FIELDS = ("id", "label", "baseline", "no_change", "ceiling", "ytd_restart",
                     "none_words", "outcomes")
OUTCOME_FIELDS = ("when", "symbol", "words", "within", "meets", "misses")


@dataclass(frozen=True)
class KeySet:
    """Every key a council can use, by id, and the defaults for empty catalogue cells."""

    status: dict = field(default_factory=dict)  # id -> StatusKey
    travel: dict = field(default_factory=dict)  # id -> TravelKey
    default_status: str = "tolerance"
    default_travel: str = "nnc"

    def status_key(self, ident: str) -> StatusKey:
        """The status key ``ident`` (empty: the default); an unknown id is a ValueError."""
        return _find(self.status, ident or self.default_status, "status")

    def travel_key(self, ident: str) -> TravelKey:
        """The travel key ``ident`` (empty: the default); an unknown id is a ValueError."""
        return _find(self.travel, ident or self.default_travel, "travel")

    @property
    def uses_comparators(self) -> bool:
        """Whether a key compares with other bodies' figures (kpi load comparators)."""
        return any(k.comparators for k in self.status.values())

    def merged(self, other: KeySet) -> KeySet:
        """``other``'s keys added to (or replacing) these, with ``other``'s defaults."""
        return KeySet({**self.status, **other.status}, {**self.travel, **other.travel},
                      other.default_status, other.default_travel)


def _find(table: dict, ident: str, kind: str):
    if ident not in table:
        raise ValueError(f"unknown {kind} key {ident!r} (expected one of {', '.join(table)})")
    return table[ident]


def _luminance(colour: str) -> float:
    def ch(c: int) -> float:
        s = c / 255.0
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _unknown(where: str, raw: dict, allowed: tuple[str, ...]) -> list[str]:
    return [f"{where}: unknown field {k!r}{did_you_mean(k, allowed)}; expected one of "
            f"{', '.join(allowed)}" for k in raw if k not in allowed]


def _opened(where: str, ident: str, raw, expected: str, problems: list[str]) -> bool:
    """Whether a key's id and body can be read at all (else its problems are added)."""
    if not ID.match(str(ident)):
        problems.append(f"{where}: a key id is lower-case letters, digits, '-' and '_'")
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected a mapping with {expected}")
        return False
    return True


def _number(x) -> float | None:
    if isinstance(x, bool) or not isinstance(x, int | float):
        return None
    return float(x)


def parse_margin(raw, where: str, problems: list[str]) -> Margin | None:
    """``0``, ``tolerance``, ``{percent: 5}``, ``{absolute: 2}`` or both with ``take:
    smaller|larger``."""
    if raw == 0 and not isinstance(raw, bool):
        return ZERO
    if raw == "tolerance":
        return Margin(tolerance=True)
    if not isinstance(raw, dict):
        problems.append(f"{where}: {raw!r} is not a margin; expected 0, tolerance, "
                        "{percent: N}, {absolute: N} or both with take: smaller|larger")
        return None
    problems += _unknown(where, raw, ("percent", "absolute", "take"))
    pct, ab = raw.get("percent"), raw.get("absolute")
    m = Margin(_number(pct) if pct is not None else None,
               _number(ab) if ab is not None else None, str(raw.get("take") or ""))
    for name, given, got in (("percent", pct, m.percent), ("absolute", ab, m.absolute)):
        if given is not None and (got is None or got < 0):
            problems.append(f"{where}.{name}: {given!r} is not a number of 0 or more")
    if pct is None and ab is None:
        problems.append(f"{where}: give percent, absolute or both")
    both = pct is not None and ab is not None
    if both and m.take not in ("smaller", "larger"):
        problems.append(f"{where}.take: with both percent and absolute, say which applies: "
                        "smaller or larger")
    if not both and m.take:
        problems.append(f"{where}.take: only with both percent and absolute")
    return m


def _flag(raw: dict, name: str, where: str, problems: list[str]) -> bool:
    v = raw.get(name, False)
    if not isinstance(v, bool):
        problems.append(f"{where}.{name}: expected true or false, got {v!r}")
        return False
    return v


def parse_status(raw, where: str, problems: list[str]) -> Status | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected a mapping with label, symbol and colour")
        return None
    problems += _unknown(where, raw, STATUS_FIELDS)
    label, symbol = str(raw.get("label") or "").strip(), str(raw.get("symbol") or "").strip()
    colour = str(raw.get("colour") or "").strip()
    for name, v in (("label", label), ("symbol", symbol), ("colour", colour)):
        if not v:
            problems.append(f"{where}.{name}: required")
    if colour and not HEX.match(colour):
        problems.append(f"{where}.colour: {colour!r} is not a colour; expected #rrggbb")
        colour = ""
    text = str(raw.get("text_colour") or "").strip()
    if text and not HEX.match(text):
        problems.append(f"{where}.text_colour: {text!r} is not a colour; expected #rrggbb")
        text = ""
    if colour and not text:  # white text where it reads, else black
        text = "#ffffff" if contrast(colour, "#ffffff") >= MIN_CONTRAST else "#000000"
    if colour and text and (ratio := contrast(colour, text)) < MIN_CONTRAST:
        problems.append(f"{where}.colour: {text} text on {colour} has a contrast of "
                        f"{ratio:.2f}:1; WCAG AA needs at least {MIN_CONTRAST}:1")
    marker = str(raw.get("marker") or "circle")
    if marker not in MARKERS:
        problems.append(f"{where}.marker: {marker!r}; expected one of {', '.join(MARKERS)}")
    return Status(label, symbol, colour.lower(), text.lower(), marker,
                  _flag(raw, "action", where, problems), _flag(raw, "judgement", where, problems),
                  _flag(raw, "meets", where, problems), str(raw.get("words") or "").strip())


def _reference_ok(name: str, declared: tuple[str, ...]) -> bool:
    return (name in BUILT_IN_REFERENCES or name in declared or bool(ROLLING.match(name))
            or bool(PEER_REFERENCE.match(name)))


def parse_band(raw, where: str, labels: set[str], declared: tuple[str, ...],
               problems: list[str]) -> Band | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected a mapping with a status and its conditions")
        return None
    problems += _unknown(where, raw, BAND_FIELDS)
    status = str(raw.get("status") or "").strip()
    if status not in labels:
        problems.append(f"{where}.status: {status!r} is not a status of the key; expected one "
                        f"of {', '.join(sorted(labels))}")
    ref = str(raw.get("reference") or "target")
    if not _reference_ok(ref, declared):
        problems.append(f"{where}.reference: unknown reference value {ref!r}; expected "
                        f"{', '.join(BUILT_IN_REFERENCES)}, rolling_average_N, peer_median, "
                        "peer_mean, quartile_1-3, rank_N or one the key "
                        f"declares in references or comparators "
                        f"({', '.join(declared) or 'none declared'})")
    figure = str(raw.get("figure") or "")
    if figure and (figure == "target" or not _reference_ok(figure, declared)):
        problems.append(f"{where}.figure: {figure!r}; expected a reference value the key "
                        "declares (a forecast compared with the target), or nothing (the value)")
    margins = {n: parse_margin(raw[n], f"{where}.{n}", problems) if n in raw else None
               for n in ("within", "beyond", "short_of")}
    travel = None
    if "travel" in raw:
        travel = _travel_condition(raw["travel"], f"{where}.travel", problems)
    spc = raw.get("spc") or []
    spc = [spc] if isinstance(spc, str) else spc
    if not isinstance(spc, list) or any(s not in SPC_KINDS for s in spc):
        problems.append(f"{where}.spc: {raw.get('spc')!r}; expected a list of "
                        f"{', '.join(SPC_KINDS)}")
        spc = []
    return Band(status, ref, figure, margins["within"], margins["beyond"], margins["short_of"],
                travel, tuple(spc))


def _baseline(raw, where: str, problems: list[str]) -> tuple[str, int]:
    if isinstance(raw, dict) and set(raw) == {"rolling_average"}:
        n = raw["rolling_average"]
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 60:
            problems.append(f"{where}.rolling_average: expected a number of periods, 1 to 60")
            return "rolling_average", 1
        return "rolling_average", n
    name = str(raw or "previous_period")
    if name not in BASELINES or name == "rolling_average":
        problems.append(f"{where}: {raw!r} is not a baseline; expected one of previous_period, "
                        "same_period_last_year, previous_year_end or {rolling_average: N}")
    return name, 0


def _travel_condition(raw, where: str, problems: list[str]) -> TravelCondition | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected a mapping with baseline and outcome")
        return None
    problems += _unknown(where, raw, ("baseline", "outcome"))
    baseline, n = _baseline(raw.get("baseline"), f"{where}.baseline", problems)
    outs = raw.get("outcome") or []
    outs = [outs] if isinstance(outs, str) else outs
    if not outs or not isinstance(outs, list) or any(o not in OUTCOMES for o in outs):
        problems.append(f"{where}.outcome: {raw.get('outcome')!r}; expected one or more of "
                        f"{', '.join(OUTCOMES)}")
        outs = []
    return TravelCondition(baseline, tuple(outs), n)


def parse_status_key(ident: str, raw, problems: list[str]) -> StatusKey | None:
    where = f"status_keys.{ident}"
    if not _opened(where, ident, raw, "statuses and bands", problems):
        return None
    before = len(problems)
    problems += _unknown(where, raw, KEY_FIELDS)
    declared = raw.get("references") or []
    if not isinstance(declared, list) or not all(isinstance(r, str) and ID.match(r)
                                                 for r in declared):
        problems.append(f"{where}.references: expected a list of names (lower case), the "
                        "reference values loaded with targets (kpi load targets)")
        declared = []
    clash = [r for r in declared if r in BUILT_IN_REFERENCES or ROLLING.match(r)
             or PEER_REFERENCE.match(r)]
    if clash:
        problems.append(f"{where}.references: {', '.join(clash)} is built in; do not declare it")
    comparators = raw.get("comparators") or {}
    if not isinstance(comparators, dict) or not all(
            isinstance(n, str) and ID.match(n) and isinstance(g, str) and g.strip()
            for n, g in comparators.items()):
        problems.append(f"{where}.comparators: expected name: comparator group pairs (a "
                        "lower-case name, and a group of kpi load comparators, e.g. "
                        "england: England average)")
        comparators = {}
    taken = [n for n in comparators if n in declared or n in BUILT_IN_REFERENCES
             or ROLLING.match(n)]
    if taken:
        problems.append(f"{where}.comparators: {', '.join(taken)} is already a reference name")
    declared = [*declared, *comparators]
    raw_statuses = raw.get("statuses") or []
    if not isinstance(raw_statuses, list) or not raw_statuses:
        problems.append(f"{where}.statuses: expected a list of statuses")
        raw_statuses = []
    own = [s for i, r in enumerate(raw_statuses)
           if (s := parse_status(r, f"{where}.statuses[{i + 1}]", problems)) is not None]
    seen: set[str] = set()
    for s in own:
        if s.label in seen:
            problems.append(f"{where}.statuses: {s.label!r} is listed twice")
        seen.add(s.label)
    statuses = (*own, *(s for s in STANDARD if s.label not in seen))
    labels = {s.label for s in statuses}
    reserved = dict(DEFAULT_RESERVED)
    raw_reserved = raw.get("reserved") or {}
    if not isinstance(raw_reserved, dict):
        problems.append(f"{where}.reserved: expected state: status pairs")
        raw_reserved = {}
    problems += _unknown(f"{where}.reserved", raw_reserved, RESERVED)
    for state, label in raw_reserved.items():
        if state in RESERVED:
            if str(label) not in labels:
                problems.append(f"{where}.reserved.{state}: {label!r} is not a status of the "
                                f"key; expected one of {', '.join(sorted(labels))}")
            reserved[state] = str(label)
    min_history = raw.get("min_history", 0)
    if isinstance(min_history, bool) or not isinstance(min_history, int) or min_history < 0:
        problems.append(f"{where}.min_history: expected a whole number of periods")
        min_history = 0
    if min_history and "too_little_history" not in raw_reserved:
        problems.append(f"{where}.reserved.too_little_history: min_history needs the status "
                        "a KPI with too little history gets")
    tol = Margin(percent=5.0)
    if "default_tolerance" in raw:
        tol = parse_margin(raw["default_tolerance"], f"{where}.default_tolerance",
                           problems) or tol
    raw_bands = raw.get("bands") or []
    if not isinstance(raw_bands, list) or not raw_bands:
        problems.append(f"{where}.bands: expected a list of bands (first match wins)")
        raw_bands = []
    bands = [b for i, r in enumerate(raw_bands)
             if (b := parse_band(r, f"{where}.bands[{i + 1}]", labels, tuple(declared),
                                 problems)) is not None]
    name = str(raw.get("name") or ident)
    key = StatusKey(str(ident), name, tuple(statuses), tuple(bands), reserved, tol,
                    min_history, tuple(r for r in declared if r not in comparators),
                    {n: str(g).strip() for n, g in comparators.items()})
    if len(problems) == before:
        problems += check_status_key(key, where, STANDARD)
    return key


def parse_travel_key(ident: str, raw, problems: list[str]) -> TravelKey | None:
    where = f"travel_keys.{ident}"
    if not _opened(where, ident, raw, "comparisons", problems):
        return None
    problems += _unknown(where, raw, TRAVEL_FIELDS)
    comps = raw.get("comparisons") or []
    if not isinstance(comps, list) or not comps or len(comps) > 2:
        problems.append(f"{where}.comparisons: expected one or two comparisons")
        comps = comps[:2] if isinstance(comps, list) else []
    parsed = [c for i, r in enumerate(comps)
              if (c := _comparison(r, f"{where}.comparisons[{i + 1}]", problems)) is not None]
    return TravelKey(str(ident), str(raw.get("name") or ident), tuple(parsed))


def _comparison(raw, where: str, problems: list[str]) -> Comparison | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected a mapping with a baseline and outcomes")
        return None
    problems += _unknown(where, raw, COMPARISON_FIELDS)
    baseline, n = _baseline(raw.get("baseline"), f"{where}.baseline", problems)
    no_change, relative = None, False
    if raw.get("no_change") not in (None, "none"):
        no_change = parse_margin(raw["no_change"], f"{where}.no_change", problems)
        relative = no_change is not None and no_change.absolute is None and \
            no_change.percent is not None
    ceiling = raw.get("ceiling")
    if ceiling is not None and _number(ceiling) is None:
        problems.append(f"{where}.ceiling: expected a number (the best performance)")
        ceiling = None
    restart = str(raw.get("ytd_restart") or "")
    if restart not in ("", "previous_year_end"):
        problems.append(f"{where}.ytd_restart: expected previous_year_end or nothing")
    outcomes = []
    for i, o in enumerate(raw.get("outcomes") or []):
        w = f"{where}.outcomes[{i + 1}]"
        if not isinstance(o, dict):
            problems.append(f"{w}: expected a mapping with when, symbol and words")
            continue
        problems += _unknown(w, o, OUTCOME_FIELDS)
        when = str(o.get("when") or "")
        if when not in WHEN:
            problems.append(f"{w}.when: {when!r}; expected one of {', '.join(WHEN)}")
        if not str(o.get("symbol") or "").strip() or not str(o.get("words") or "").strip():
            problems.append(f"{w}: a symbol and the words shown beside it are required")
        within = parse_margin(o["within"], f"{w}.within", problems) if "within" in o else None
        meets = str(o.get("meets") or "")
        if meets and not _reference_ok(meets, ()):
            problems.append(f"{w}.meets: unknown reference value {meets!r}")
        misses = str(o.get("misses") or "")
        if misses and not _reference_ok(misses, ()):
            problems.append(f"{w}.misses: unknown reference value {misses!r}")
        outcomes.append(Outcome(when, str(o.get("symbol") or "").strip(),
                                str(o.get("words") or "").strip(), within, meets, misses))
    if not outcomes:
        problems.append(f"{where}.outcomes: expected a list of outcomes")
    for when in OUTCOMES:
        if not any(o.when == when and o.within is None and not o.meets and not o.misses
                   for o in outcomes):
            problems.append(f"{where}.outcomes: a KPI that got {when} matches no outcome; add "
                            f"one with when: {when} and no other condition")
    ident = str(raw.get("id") or baseline)
    return Comparison(ident, str(raw.get("label") or ""), tuple(outcomes), baseline, n,
                      no_change, relative, None if ceiling is None else float(ceiling),
                      restart, str(raw.get("none_words") or "").strip()
                      or "No previous value to compare")


def parse_keys(raw: dict, base: KeySet | None = None) -> tuple[KeySet, list[str]]:
    """The keys of a settings mapping added to ``base`` (kpilib's built-in keys), and every
    problem found."""
    problems: list[str] = []
    status, travel = {}, {}
    for name, parse, out in (("status_keys", parse_status_key, status),
                             ("travel_keys", parse_travel_key, travel)):
        section = raw.get(name) or {}
        if not isinstance(section, dict):
            problems.append(f"{name}: expected id: key pairs")
            continue
        for ident, body in section.items():
            key = parse(str(ident), body, problems)
            if key is not None:
                out[str(ident)] = key
    base = base or KeySet()
    keys = KeySet({**base.status, **status}, {**base.travel, **travel},
                  base.default_status, base.default_travel)
    defaults = raw.get("default_keys") or {}
    if not isinstance(defaults, dict):
        problems.append("default_keys: expected status: <key id> and travel: <key id>")
        defaults = {}
    problems += _unknown("default_keys", defaults, ("status", "travel"))
    for kind, table in (("status", keys.status), ("travel", keys.travel)):
        ident = defaults.get(kind)
        if ident is None:
            continue
        if str(ident) not in table:
            problems.append(f"default_keys.{kind}: {ident!r} is not a {kind} key; expected one "
                            f"of {', '.join(table)}")
        else:
            keys = replace(keys, **{f"default_{kind}": str(ident)})
    if base.travel:  # a council's settings: its own keys and its default are used together
        together = [keys.travel[k] for k in dict.fromkeys([*travel, keys.default_travel])
                    if k in keys.travel]
        problems += [f"travel_keys: {c}" for c in clashes(together)]
    else:  # kpilib's own keys: each alone (a council chooses among them)
        problems += [f"travel_keys: {c}" for key in travel.values() for c in clashes([key])]
    return keys, list(dict.fromkeys(problems))
