"""The council's place among its peers in ``council.yaml`` (reporting rules 7.5):
``body`` (its own official code, e.g. ``E06000061``), ``benchmark_group`` (the group of
``kpi load groups`` its KPIs are compared within) and ``benchmark_groups`` (a KPI's own
group, ``ref: group``, for a KPI compared within another group, as LGBF's family groups are
chosen per service).  All optional: without ``body`` no page shows peers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kpilib.rules.names import REF
from kpilib.rules.peers import BODY_CODE, BODY_EXPECTED

KEYS = ("body", "benchmark_group", "benchmark_groups")


@dataclass(frozen=True)
class PeerSettings:
    body: str = ""  # the council's own code; empty: no peers on the pages
    group: str = ""  # the default group
    groups: dict = field(default_factory=dict)  # ref -> group

    def group_of(self, ref: str) -> str:
        return self.groups.get(ref, self.group)

    @property
    def active(self) -> bool:
        return bool(self.body and (self.group or self.groups))


def _text(raw: dict, key: str, problems: list[str]) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if not isinstance(value, str) or not value.strip():
        problems.append(f"key '{key}': expected text, got {value!r}")
        return ""
    return value.strip()


def parse_peers(raw: dict) -> tuple[PeerSettings, list[str]]:
    """The peer settings of a settings mapping, and every problem found."""
    problems: list[str] = []
    body = _text(raw, "body", problems)
    if body and not BODY_CODE.match(body):
        problems.append(f"key 'body': {body!r}: {BODY_EXPECTED}")
        body = ""
    group = _text(raw, "benchmark_group", problems)
    groups = raw.get("benchmark_groups") or {}
    if not isinstance(groups, dict) or not all(
            isinstance(r, str) and REF.match(r) and isinstance(g, str) and g.strip()
            for r, g in groups.items()):
        problems.append("key 'benchmark_groups': expected KPI ref: group pairs, e.g. "
                        "CS-05: LGBF family group (children)")
        groups = {}
    if (group or groups) and not body:
        problems.append("key 'benchmark_group': a group needs the council's own code in "
                        "'body' (e.g. body: E06000061), to place the council among it")
    return PeerSettings(body, group, {r: g.strip() for r, g in groups.items()}), problems
