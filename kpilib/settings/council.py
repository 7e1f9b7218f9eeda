"""Reading a council's settings file (``council.yaml``).

A council's ``council.yaml`` (in its home folder: :mod:`kpilib.settings.home` says how a run
finds it) sets the council's name, logo, primary colour, footer text and report titles; a
parameter set may name another file (``council: ../shared/council.yaml``).  All
keys are optional; with no file the defaults of
:class:`kpilib.render.branding.Council` apply.  Every problem in the file is
reported at once, and a primary colour that white text cannot be read on
(WCAG AA, 4.5:1) is rejected.  The keys that sign runs (``signing_key``,
``public_keys``, ``require_signature``) are read by :func:`load_signing`
(:mod:`kpilib.publish.signing`); they are not part of the pages' look.  ``spc:`` sets
the points a series needs for an XmR chart on the pages (:func:`parse_spc`); ``body`` and
``benchmark_group(s)`` place the council among its peers (:mod:`kpilib.settings.benchmark`).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from kpilib import registry
from kpilib.errors import ParamsError
from kpilib.ingest.keys import builtin_keys
from kpilib.io.yamlfile import read_yaml, unknown_keys
from kpilib.render.branding import HEX, MIN_CONTRAST, Council, contrast_with_white
from kpilib.rules.keyspec import KeySet, parse_keys
from kpilib.rules.spc import MIN_POINTS
from kpilib.rules.suppression import Suppression
from kpilib.settings.benchmark import KEYS as PEER_KEYS
from kpilib.settings.benchmark import PeerSettings, parse_peers
from kpilib.settings.edition import EDITIONS_KEY, parse_editions, parse_suppression
from kpilib.settings.edition import KEY as SUPPRESSION_KEY
from kpilib.settings.home import SETTINGS as DEFAULT_FILE
from kpilib.settings.shape import DEFAULT as DEFAULT_SHAPE
from kpilib.settings.shape import KEY as SHAPE_KEY
from kpilib.settings.shape import Shape, parse_shape
from kpilib.settings.signing import KEYS as SIGNING_KEYS
from kpilib.settings.signing import SigningSettings, parse_signing

RULE_KEYS = ("status_keys", "travel_keys", "default_keys")  # the council's keys as data
SPC_KEY = "spc"  # spc: {min_points: 12}
KEYS = ("name", "logo", "logo_alt", "primary_colour", "footer", "titles", *SIGNING_KEYS,
        SUPPRESSION_KEY, *RULE_KEYS, SHAPE_KEY, SPC_KEY, *PEER_KEYS, EDITIONS_KEY)
MAX_SPC_POINTS = 1000
LOGO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
              ".gif": "image/gif", ".svg": "image/svg+xml", ".webp": "image/webp"}
MAX_LOGO_BYTES = 512 * 1024
MAX_FILE_BYTES = 64 * 1024


class CouncilError(ParamsError):
    """The council settings file is invalid."""


@dataclass(frozen=True)
class Settings:
    """Everything a settings file sets: the pages' look, the signing keys
    (:mod:`kpilib.publish.signing`) and public editions' suppression."""

    council: Council = field(default_factory=Council)
    signing: SigningSettings = field(default_factory=SigningSettings)
    suppression: Suppression = field(default_factory=Suppression)
    keys: KeySet = field(default_factory=builtin_keys)  # status and travel keys
    shapes: dict = field(default_factory=dict)  # report type -> Shape (run/shape.py)
    spc_min_points: int = MIN_POINTS  # points a series needs for an XmR chart (section 8)
    peers: PeerSettings = field(default_factory=PeerSettings)  # body, benchmark group(s)
    editions: tuple[str, ...] = ("internal",)  # what a year's run publishes (editions:)

    def shape(self, report: str) -> Shape:
        """The shape of a report type's reports (its defaults unless the file sets it)."""
        return self.shapes.get(report, DEFAULT_SHAPE)


def load_settings(path: str | Path | None = None) -> Settings:
    """The settings of ``path``, or of ``./council.yaml`` if ``path`` is None and it exists,
    else the defaults: the file read once and validated as a whole (every problem at once),
    so that a run's look, keys and suppression all come from the same version of it."""
    found = _settings_file(path)
    if found is None:
        return Settings()
    p, raw = found
    return Settings(parse_council(raw, p, hashlib.sha256(p.read_bytes()).hexdigest()),
                    parse_signing(raw, p)[0], parse_suppression(raw, p)[0],
                    parse_keys(raw, builtin_keys())[0], parse_shape(raw)[0], parse_spc(raw)[0],
                    parse_peers(raw)[0], parse_editions(raw)[0])


def load_keys(path: str | Path | None = None) -> KeySet:
    """The status and travel keys a council's KPIs may name: kpilib's built-in keys and the
    settings file's own (``status_keys``, ``travel_keys``, ``default_keys``)."""
    return load_settings(path).keys


def load_council(path: str | Path | None = None) -> Council:
    """The pages' look (:func:`load_settings`)."""
    return load_settings(path).council


def load_signing(path: str | Path | None = None) -> SigningSettings:
    """The signing keys the settings file names (:func:`load_settings`)."""
    return load_settings(path).signing


def load_suppression(path: str | Path | None = None) -> Suppression:
    """The small-number suppression of public editions (``suppression:``, default threshold
    5; :func:`load_settings`)."""
    return load_settings(path).suppression


def parse_spc(raw: dict) -> tuple[int, list[str]]:
    """``spc: {min_points: N}``: the points a KPI's series needs before its pages show
    control limits and icons (default 12), and every problem found."""
    block = raw.get(SPC_KEY)
    if block is None:
        return MIN_POINTS, []
    if not isinstance(block, dict):
        return MIN_POINTS, [f"key '{SPC_KEY}': expected a mapping (min_points: {MIN_POINTS}), "
                            f"got {block!r}"]
    problems = [f"key '{SPC_KEY}.{k}': not a setting; expected min_points"
                for k in block if k != "min_points"]
    n = block.get("min_points", MIN_POINTS)
    if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= MAX_SPC_POINTS:
        problems.append(f"key '{SPC_KEY}.min_points': expected a whole number from 2 to "
                        f"{MAX_SPC_POINTS} (the points a series needs for control limits), "
                        f"got {n!r}")
        n = MIN_POINTS
    return n, problems


def _settings_file(path: str | Path | None) -> tuple[Path, dict] | None:
    """The settings file to read (``path``, or ``./council.yaml`` if it exists) and its
    YAML content ({} for an empty file); None when there is no file to read."""
    if path is None:
        if not Path(DEFAULT_FILE).is_file():
            return None
        path = DEFAULT_FILE
    p = Path(path)
    raw = read_yaml(p, "council settings", CouncilError, MAX_FILE_BYTES)
    return p, {} if raw is None else raw


def parse_council(raw, path: Path, sha256: str = "") -> Council:
    """Validate a settings mapping (every problem at once)."""
    if not isinstance(raw, dict):
        raise CouncilError(f"{path}: expected a mapping of settings, got {type(raw).__name__}")
    problems = unknown_keys(raw, list(KEYS))
    text = {}
    for key in ("name", "footer", "logo_alt"):
        value = raw.get(key)
        if value is not None and not isinstance(value, str | int | float):
            problems.append(f"key '{key}': expected text, got {value!r}")
        elif value is not None:
            text[key] = str(value).strip()
    colour = raw.get("primary_colour")
    if colour is not None:
        colour = str(colour).strip()
        if not HEX.match(colour):
            problems.append(f"key 'primary_colour': {colour!r} is not a colour; expected "
                            "#rrggbb, e.g. #1d3557")
        elif (ratio := contrast_with_white(colour)) < MIN_CONTRAST:
            problems.append(
                f"key 'primary_colour': {colour} gives white text a contrast of "
                f"{ratio:.2f}:1; WCAG AA needs at least {MIN_CONTRAST}:1: choose a darker colour")
    titles = raw.get("titles") or {}
    if not isinstance(titles, dict):
        problems.append(f"key 'titles': expected report type: title pairs, got {titles!r}")
        titles = {}
    for name, title in titles.items():
        if name not in registry.names():
            problems.append(f"key 'titles': {name!r} is not a report type; expected one of "
                            f"{', '.join(registry.names())}")
        elif not isinstance(title, str) or not title.strip():
            problems.append(f"key 'titles': the title of {name!r} must be text")
    problems += parse_signing(raw, path)[1]
    problems += parse_suppression(raw, path)[1]
    problems += parse_keys(raw, builtin_keys())[1]
    problems += parse_shape(raw)[1]
    problems += parse_spc(raw)[1]
    problems += parse_peers(raw)[1]
    problems += parse_editions(raw)[1]
    logo = ""
    if raw.get("logo"):
        try:
            logo = _embed_logo(path.parent / str(raw["logo"]))
        except CouncilError as e:
            problems.append(f"key 'logo': {e}")
    if problems:
        listing = "\n".join(f"  {p}" for p in problems)
        raise CouncilError(f"{path}: invalid council settings:\n{listing}")
    defaults = Council()
    return Council(
        name=text.get("name") or defaults.name,
        primary_colour=(colour or defaults.primary_colour).lower(),
        footer=text.get("footer", ""), logo=logo,
        logo_alt=text.get("logo_alt") or (f"{text['name']} logo" if text.get("name") else
                                          "Council logo"),
        titles={k: v.strip() for k, v in titles.items()}, source=str(path), sha256=sha256)


def _embed_logo(path: Path) -> str:
    """A local image as a ``data:`` URI (pages never fetch anything)."""
    kind = LOGO_TYPES.get(path.suffix.lower())
    if kind is None:
        raise CouncilError(f"{path}: expected an image file ({', '.join(LOGO_TYPES)})")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise CouncilError(f"{path}: cannot be read ({e.strerror or e})") from None
    if len(data) > MAX_LOGO_BYTES:
        raise CouncilError(f"{path}: {len(data)} bytes; a logo is at most {MAX_LOGO_BYTES} "
                           "bytes (it is embedded in every page)")
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"
