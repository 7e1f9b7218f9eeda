"""A council's report shapes (``report_shape:`` in ``council.yaml``): which optional pages a
report type publishes, whether a first quarter's table also shows the previous quarter, and
whether each KPI repeats its directorate.  Read with the rest of the settings
(:mod:`kpilib.settings.council`); every problem of the file is reported at once."""

from __future__ import annotations

from dataclasses import dataclass

from kpilib import registry
from kpilib.rules.names import did_you_mean

KEY = "report_shape"
FIELDS = ("pages", "previous_period", "directorate")


@dataclass(frozen=True)
class Shape:
    """One report type's shape: ``pages`` the optional pages it publishes (None: every one
    the type has), ``previous_period`` a first quarter's table shows last year's Q4 too,
    ``directorate`` each KPI says its directorate."""

    pages: tuple[str, ...] | None = None
    previous_period: bool = False
    directorate: bool = True

    def keeps(self, page: str) -> bool:
        return self.pages is None or page in self.pages


DEFAULT = Shape()


def parse_shape(raw: dict) -> tuple[dict[str, Shape], list[str]]:
    """The report shapes of a settings mapping, by report type, and every problem found."""
    section = raw.get(KEY) or {}
    if not isinstance(section, dict):
        return {}, [f"key '{KEY}': expected report type: shape pairs"]
    problems, shapes = [], {}
    for name, body in section.items():
        where = f"{KEY}.{name}"
        if name not in registry.names():
            problems.append(f"key '{where}': not a report type"
                            f"{did_you_mean(name, registry.names())}; expected one of "
                            f"{', '.join(registry.names())}")
            continue
        if not isinstance(body, dict):
            problems.append(f"key '{where}': expected pages, previous_period and directorate")
            continue
        problems += [f"key '{where}': unknown key '{k}'{did_you_mean(k, FIELDS)}; allowed keys: "
                     f"{', '.join(FIELDS)}" for k in body if k not in FIELDS]
        optional = [stem for stem, _, _ in registry.get(name).extra_pages]
        pages = body.get("pages")
        if pages is not None:
            if not isinstance(pages, list) or any(p not in optional for p in pages):
                problems.append(f"key '{where}.pages': {pages!r}; expected a list of the {name} "
                                f"report's optional pages ({', '.join(optional) or 'none'})")
                pages = None
            else:
                pages = tuple(p for p in optional if p in pages)  # the type's own order
        flags = {}
        for flag in ("previous_period", "directorate"):
            v = body.get(flag, getattr(DEFAULT, flag))
            if not isinstance(v, bool):
                problems.append(f"key '{where}.{flag}': expected true or false, got {v!r}")
                v = getattr(DEFAULT, flag)
            flags[flag] = v
        if flags["previous_period"] and "quarter" not in registry.get(name).periods:
            problems.append(f"key '{where}.previous_period': the {name} report has no quarters")
        shapes[name] = Shape(pages, **flags)
    return shapes, problems
