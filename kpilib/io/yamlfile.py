"""Reading the small YAML files a user writes (parameter sets, council settings), safely.

Bounded in size and time whatever the file holds: at most ``max_bytes``,
UTF-8, and no aliases (``*name``), so a 700-byte file of nested aliases cannot
expand to gigabytes.  A key given twice in one mapping is refused (naming the file, the key
and both lines): YAML would silently keep the last.  Every way a file can be wrong is a
:class:`ParamsError` (or the caller's subclass) naming the file, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from kpilib.errors import ParamsError
from kpilib.rules.names import did_you_mean

MAX_BYTES = 64 * 1024


class _NoAliasLoader(yaml.SafeLoader):
    """A safe loader that refuses aliases instead of expanding them."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in this file", event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            first: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key, line = self.construct_object(key_node, deep=True), key_node.start_mark.line
                try:
                    if key in first:
                        raise DuplicateKey(key, line + 1, first[key])
                    first[key] = line + 1
                except TypeError:  # an unhashable key: the base loader says so
                    continue
        return super().construct_mapping(node, deep=deep)


class DuplicateKey(yaml.YAMLError):
    def __init__(self, key, line: int, first: int):
        super().__init__(f"line {line}: key {str(key)[:80]!r} is given twice (first on line "
                         f"{first}); give each key once (YAML would silently keep the last)")


def read_yaml(path: str | Path, what: str, error=ParamsError, max_bytes: int = MAX_BYTES):
    """The YAML document in ``path``: ``what`` names the file in messages."""
    p = Path(path)
    try:
        if p.is_dir():
            raise error(f"{p}: is a folder; expected a {what} file")
        with open(p, "rb") as f:
            data = f.read(max_bytes + 1)
    except FileNotFoundError:
        raise error(f"no {what} file {str(p)!r}") from None
    except OSError as e:
        raise error(f"{p}: cannot be read ({e.strerror or e})") from None
    if len(data) > max_bytes:
        raise error(f"{p}: larger than {max_bytes // 1024} KB; a {what} file is a few lines")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise error(f"{p}: not UTF-8 text (byte {e.start}); save it as UTF-8") from None
    try:
        return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 (a SafeLoader)
    except DuplicateKey as e:
        raise error(f"{p}: {e}") from None
    except yaml.YAMLError as e:
        raise error(f"{p}: not valid YAML: {_short(str(e))}") from None


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def unknown_keys(raw: dict, keys) -> list[str]:
    """A problem line per key of ``raw`` not in ``keys``, with the closest valid key."""
    return [f"unknown key '{key}'{did_you_mean(key, keys)}; allowed keys: {', '.join(keys)}"
            for key in raw if key not in keys]
