"""The grammar of catalogue ``target`` and ``tolerance`` cells (pure, no I/O).

``target``: a number, empty (tracking), ``review``, or an annual figure with a
monthly profile: ``264 (22 per month)``, ``400 (100 per quarter)`` or twelve
cumulative values ``98 (10.9;20.1;...;98)``.  ``tolerance``: ``5%``, ``5pp``,
a band ``85-90``, ``none``, or empty (the scheme's default).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kpilib.rules.measures import NUMBER

_NUMBER_RE = re.compile(rf"^{NUMBER}$")
_TARGET_RE = re.compile(rf"^({NUMBER})\s*(?:\((.*)\))?$")
TARGET_SHAPE = rf"^(?:|(?i:review)|{NUMBER}\s*(?:\(.*\))?)$"
_PER_RE = re.compile(rf"^({NUMBER})\s+per\s+(month|quarter)$", re.I)
TOLERANCE_RE = re.compile(
    rf"^(?:|({NUMBER})\s*%|({NUMBER})\s*(?i:pp)|({NUMBER})\s*-\s*({NUMBER})|(?i:none))$"
)
TARGET_EXPECTED = (
    "expected a number, empty (tracking only), 'review', or a number with a profile "
    "such as '264 (22 per month)', '400 (100 per quarter)' or '98 (v1;...;v12)'"
)
TOLERANCE_EXPECTED = "expected '5%', '5pp', a band such as '85-90', 'none' or empty"


@dataclass(frozen=True)
class Target:
    """A parsed ``target`` cell (see the target grammar in docs/design.md)."""

    kind: str  # "none" | "review" | "number"
    value: float | None = None
    per_month: float | None = None
    per_quarter: float | None = None
    profile: tuple[float, ...] | None = None  # 12 cumulative values, April first

    @property
    def has_profile(self) -> bool:
        return self.per_month is not None or self.per_quarter is not None or bool(self.profile)


@dataclass(frozen=True)
class Tolerance:
    """A parsed ``tolerance`` cell; ``default`` is an empty cell (the scheme's default)."""

    kind: str  # "percent" | "pp" | "band" | "none" | "default"
    value: float | None = None
    low: float | None = None
    high: float | None = None


def parse_target(text: str) -> Target:
    """Parse a target cell; raise ``ValueError`` saying what was expected."""
    s = str(text).strip()
    if not s or s.lower() == "review":
        return Target("review" if s else "none")
    m = _TARGET_RE.match(s)
    if not m:
        raise ValueError(TARGET_EXPECTED)
    value, inner = float(m.group(1)), m.group(2)
    if inner is None:
        return Target("number", value)
    inner = inner.strip()
    if per := _PER_RE.match(inner):
        field = "per_month" if per.group(2).lower() == "month" else "per_quarter"
        return Target("number", value, **{field: float(per.group(1))})
    parts = [p.strip() for p in inner.split(";")]
    if len(parts) < 2 or not all(_NUMBER_RE.match(p) for p in parts):
        raise ValueError(f"the profile in brackets must be 'N per month', 'N per quarter' or "
                         f"twelve ';'-separated numbers, not {inner!r}")
    if len(parts) != 12:
        raise ValueError(f"a monthly profile needs exactly 12 values (April to March), "
                         f"got {len(parts)}")
    profile = tuple(float(p) for p in parts)
    for i in range(1, 12):
        if profile[i] < profile[i - 1]:
            raise ValueError(f"a monthly profile is cumulative: expected non-decreasing values, "
                             f"but value {i + 1} ({parts[i]}) is below value {i} ({parts[i - 1]})")
    return Target("number", value, profile=profile)


def parse_tolerance(text: str) -> Tolerance:
    """Parse a tolerance cell; raise ``ValueError`` saying what was expected."""
    s = str(text).strip()
    m = TOLERANCE_RE.match(s)
    if not m:
        raise ValueError(TOLERANCE_EXPECTED)
    if not s or s.lower() == "none":
        return Tolerance("none" if s else "default")
    if m.group(1) is not None:
        return Tolerance("percent", float(m.group(1)))
    if m.group(2) is not None:
        return Tolerance("pp", float(m.group(2)))
    low, high = float(m.group(3)), float(m.group(4))
    if not low < high:
        raise ValueError(f"a tolerance band must be low-high with low < high, got {s!r}")
    return Tolerance("band", low=low, high=high)
