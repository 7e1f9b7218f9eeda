"""Where a store is and what its database says: URLs, SQLite file paths, database errors as
one-line :class:`~kpilib.errors.StoreError` messages."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from kpilib.errors import StoreError


def store_url(url_or_path: str | Path) -> str:
    """A SQLAlchemy URL: a URL passes through, a plain path becomes ``sqlite:///path``."""
    s = str(url_or_path)
    return s if "://" in s else f"sqlite:///{s}"


def sqlite_path(url_or_path: str | Path) -> Path | None:
    """The database file of a SQLite store; ``None`` for other databases and in-memory SQLite."""
    try:
        url = sa.engine.make_url(store_url(url_or_path))
    except sa.exc.ArgumentError as e:
        raise StoreError(f"{str(url_or_path)!r} is not a store: expected a SQLite file path "
                         f"or a SQLAlchemy URL ({e})") from None
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if url.query.get("uri") in ("true", "1") and url.database.startswith("file:"):
        # sqlite:///file:path?mode=ro&uri=true: a URI filename, e.g. a read-only store
        name = url.database[len("file:"):].split("?")[0]
        return None if name in ("", ":memory:") or "memory" in url.query.get("mode", "") \
            else Path(name)
    return Path(url.database)



def store_error(url: str, e: sa.exc.DBAPIError, consequence: str = "") -> StoreError:
    """A database error as a one-line :class:`StoreError` saying what to do."""
    detail = str(getattr(e, "orig", None) or e).strip().splitlines()[0][:200]
    low = detail.lower()
    if "locked" in low or "busy" in low:
        what = (f"the store {url} is busy: another load is writing to it; try again in a "
                "moment")
    elif "readonly" in low or "read-only" in low or "permission denied" in low:
        what = f"the store {url} is read-only ({detail}): use a store you can write to"
    elif "not a database" in low or "malformed" in low or "corrupt" in low:
        what = f"the store {url} is damaged or not a kpilib store ({detail})"
    elif "full" in low:
        what = f"the store {url}: the disk is full ({detail})"
    else:
        what = f"the store {url}: {detail}"
    return StoreError(f"{what}; {consequence}" if consequence else what)


def inside(path: Path, base: Path) -> bool:
    return path == base or base in path.parents


def resolved_store(store: str, project: Path) -> Path | str:
    """A store's database file resolved from ``project``, or the URL itself (not a file)."""
    try:
        path = sqlite_path(store)
    except StoreError:
        return store
    return (project / path).resolve() if path is not None else store


def project_store(named: str, project: Path) -> tuple[str | None, str]:
    """The manifest's store when it is a SQLite file inside ``project``, else ``None`` and
    why it is not trusted."""
    where = resolved_store(named, project)
    if isinstance(where, str):
        return None, (f"the manifest names store {named!r}, not a file of this project "
                      f"folder ({project}): not opened on the manifest's word")
    if not inside(where, project.resolve()):
        return None, (f"the manifest names store {named!r} ({where}), outside this project "
                      f"folder ({project}): not opened on the manifest's word")
    return named, ""
