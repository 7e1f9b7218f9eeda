"""Why a run executes: the inputs that differ from the current publication's, named.

:func:`kpilib.publish.fingerprint.differences` says which part of the inputs differs
(``data.returns_sha256``, ``council``, ``templates``); :func:`why` turns that into what a
person can check: which load (file and moment) is new or no longer read, which key of
the council's settings, which template or notebook, which parameter, which program.  Pure:
it reads two manifests (dicts), nothing else.
"""

from __future__ import annotations

FIRST = "nothing was published there before"
MOST = 4  # the most items of one kind named before "and N more"


def _some(items: list[str]) -> str:
    more = f" and {len(items) - MOST} more" if len(items) > MOST else ""
    return ", ".join(items[:MOST]) + more


def _part(m: dict, key: str) -> dict:
    v = m.get(key)
    return v if isinstance(v, dict) else {}


def _load(s: dict) -> str:
    return f"{s.get('kind')} {s.get('source_file')} (loaded {s.get('loaded_at')})"


def _sources(old: dict, new: dict) -> list[str]:
    """Loads in effect now and not then, and then and not now."""
    def keyed(m: dict) -> dict:
        rows = _part(m, "data").get("sources")
        rows = rows if isinstance(rows, list) else []
        return {(r.get("kind"), r.get("source_file"), r.get("sha256"), r.get("loaded_at")): r
                for r in rows if isinstance(r, dict)}

    then, now = keyed(old), keyed(new)
    out = [f"new load {_load(now[k])}" for k in sorted(now, key=str) if k not in then]
    out += [f"load no longer read {_load(then[k])}" for k in sorted(then, key=str)
            if k not in now]
    return out


def _files(old: dict, new: dict, key: str, what: str) -> list[str]:
    a, b = _part(old, key), _part(new, key)
    out = [f"{what} {n} changed" for n in sorted(set(a) & set(b)) if a[n] != b[n]]
    out += [f"{what} {n} added" for n in sorted(set(b) - set(a))]
    out += [f"{what} {n} removed" for n in sorted(set(a) - set(b))]
    return out


def _council(old: dict, new: dict) -> list[str]:
    a, b = _part(old, "council"), _part(new, "council")
    source = b.get("source") or a.get("source") or "the council settings"
    keys = sorted(k for k in set(a) | set(b) if k not in ("sha256", "source")
                  and a.get(k) != b.get(k))
    if keys:
        return [f"council settings {source}: {', '.join(keys)} changed"]
    if a.get("source") != b.get("source"):
        return [f"council settings file {a.get('source')} -> {b.get('source')}"]
    return [f"council settings {source} changed (its keys, report shape, suppression or "
            "signing: the file's SHA-256)"]


def _program(old: dict, new: dict) -> list[str]:
    a, b = _part(old, "code"), _part(new, "code")
    return [f"the program: kpilib {a.get('kpilib_version')} at "
            f"{str(a.get('commit'))[:12]}{' (dirty)' if a.get('dirty') else ''} -> "
            f"{b.get('kpilib_version')} at {str(b.get('commit'))[:12]}"
            f"{' (dirty)' if b.get('dirty') else ''}"]


def _environment(old: dict, new: dict) -> list[str]:
    a, b = _part(old, "environment"), _part(new, "environment")
    pa, pb = _part(a, "packages"), _part(b, "packages")
    out = [f"{n} {pa.get(n, 'absent')} -> {pb.get(n, 'absent')}"
           for n in sorted(set(pa) | set(pb)) if pa.get(n) != pb.get(n)]
    out += [f"{k} {a.get(k)} -> {b.get(k)}" for k in ("python", "implementation", "platform")
            if a.get(k) != b.get(k)]
    return [f"the environment: {_some(out)}"] if out else ["the environment"]


def describe(differs: list[str], old: dict, new: dict) -> list[str]:
    """Each difference of :func:`kpilib.publish.fingerprint.differences` between the current
    publication's manifest ``old`` and the run's ``new``, named."""
    out: list[str] = []
    for d in sorted(differs, key=lambda d: d != "data.sources"):  # the loads first
        if d == "data.sources":
            out += _sources(old, new) or ["the loads in effect"]
        elif d.startswith("data.") and d.endswith("_sha256"):
            kind = d[5:-7]
            out.append(f"the {kind} rows it reads")
        elif d.startswith("data.") and d.endswith("_rows"):
            continue  # said by the hash of the same rows
        elif d.startswith("data."):
            out.append(f"data {d[5:]}")
        elif d.startswith("parameters."):
            k = d[11:]
            out.append(f"parameter {k}: {_part(old, 'parameters').get(k)!r} -> "
                       f"{_part(new, 'parameters').get(k)!r}")
        elif d == "council":
            out += _council(old, new)
        elif d == "templates":
            out += _files(old, new, "templates", "template") or ["the templates"]
        elif d == "notebooks":
            out += _files(old, new, "notebooks", "notebook") or ["the notebooks"]
        elif d == "code":
            out += _program(old, new)
        elif d == "environment":
            out += _environment(old, new)
        elif d == "pages":
            out.append("the pages (the sections the report has)")
        elif d == "edition":
            out.append("the edition's suppression rules")
        else:
            out.append(d)
    return out


def why(cur, new: dict | None, force: bool = False) -> str:
    """Why a run executes, for a person: ``cur`` the publication it replaces
    (:class:`kpilib.publish.fingerprint.Current`, or None), ``new`` the run's prospective
    manifest."""
    if cur is None:
        return FIRST
    if cur.differs:
        return _some(describe(cur.differs, cur.manifest, new or {}))
    if cur.problem:
        return f"the current publication cannot be reused: {cur.problem}"
    return "--force was given" if force else "the inputs are the same"
