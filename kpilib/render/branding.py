"""A council's look on its pages: name, logo, primary colour, footer, report titles.

Pure: :class:`Council` holds settings already read (by :mod:`kpilib.settings.council`);
the contrast rule that decides whether a primary colour may be used is here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

DEFAULT_COLOUR = "#1d3557"
DEFAULT_NAME = "Council performance report"
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
MIN_CONTRAST = 4.5  # WCAG 2.2 AA for normal text: white text on the primary colour


def _channel(c: int) -> float:
    s = c / 255
    return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """Relative luminance of a ``#rrggbb`` colour (WCAG 2.2 definition)."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_with_white(colour: str) -> float:
    """The contrast ratio of white text on ``colour`` (1 to 21)."""
    return 1.05 / (luminance(colour) + 0.05)


@dataclass(frozen=True)
class Council:
    """Settings of one council (``council.yaml``); the defaults are kpilib's own."""

    name: str = DEFAULT_NAME
    primary_colour: str = DEFAULT_COLOUR
    footer: str = ""
    logo: str = ""  # a data: URI of the embedded image, or empty
    logo_alt: str = ""
    titles: dict[str, str] = field(default_factory=dict)  # report type -> title
    source: str = ""  # the settings file ("" for the defaults)
    sha256: str = ""  # of the settings file's bytes

    def title(self, report: str, default: str) -> str:
        return self.titles.get(report) or default

    def record(self) -> dict:
        """What the manifest records of these settings (the logo by its hash, not inline)."""
        import hashlib

        return {"source": self.source, "sha256": self.sha256, "name": self.name,
                "primary_colour": self.primary_colour, "footer": self.footer,
                "logo_sha256": hashlib.sha256(self.logo.encode()).hexdigest() if self.logo
                else "", "titles": dict(sorted(self.titles.items()))}
