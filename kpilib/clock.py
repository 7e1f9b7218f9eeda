"""Moments in time as kpilib writes them: ISO 8601, UTC, microseconds, a ``Z``.

``2024-03-08T09:00:00.000000Z`` sorts lexically, so stored moments compare as
text.  Used by the store (load times), parameters (``as_of``) and the runner
(the run's start); kept apart from all of them.  Machine files (manifests, CSV,
records) keep these; what a person reads says :func:`human_moment`, and a page's
"data as of" is :func:`data_moment`, the data's moment, never the run's clock.
"""

from __future__ import annotations

import datetime as dt
import re

from kpilib.errors import MomentError, shown

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?")


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).strftime(TIMESTAMP_FORMAT)


def normalise_timestamp(value: str | dt.datetime | dt.date) -> str:
    """An ISO-8601 time as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC (naive = UTC).

    A date alone means its midnight (start of the day).
    """
    if isinstance(value, (bool, int, float)):  # YAML's reading of an unquoted number
        raise MomentError(f"{shown(repr(value))} is a number, not an ISO-8601 time (expected "
                          "e.g. 2024-03-10 or 2024-03-10T12:00:00.000000Z, quoted)")
    if isinstance(value, dt.datetime):
        t = value
    elif isinstance(value, dt.date):
        t = dt.datetime(value.year, value.month, value.day)
    else:
        try:
            t = dt.datetime.fromisoformat(str(value).strip())
        except (ValueError, OverflowError):
            raise MomentError(
                f"{shown(repr(value))} is not an ISO-8601 time (expected e.g. 2024-03-10, "
                f"2024-03-10T12:00 or 2024-03-10T12:00:00.000000Z)"
            ) from None
    if t.tzinfo is not None:
        try:
            t = t.astimezone(dt.UTC).replace(tzinfo=None)
        except OverflowError:  # 9999-12-31T23:00-12:00 is in the year 10000 in UTC
            raise MomentError(f"{shown(str(value))} is outside the years 1 to 9999 in UTC; "
                              "expected a moment such as 2024-03-10T12:00:00Z") from None
    return t.strftime(TIMESTAMP_FORMAT)


def just_after(ts: str) -> str:
    t = dt.datetime.strptime(ts, TIMESTAMP_FORMAT) + dt.timedelta(microseconds=1)
    return t.strftime(TIMESTAMP_FORMAT)


def human_moment(iso) -> str:
    """``2026-12-07T18:03:12.130853Z`` -> ``7 December 2026, 18:03 UTC``; a date alone ->
    ``7 December 2026`` (no locale involved); anything else as it is."""
    m = _ISO.match(str(iso or ""))
    if not m or not 1 <= int(m.group(2)) <= 12:
        return str(iso or "")
    y, mo, d, hh, mm = m.groups()
    day = f"{int(d)} {MONTHS[int(mo) - 1]} {y}"
    return day if hh is None else f"{day}, {hh}:{mm} UTC"


def data_moment(as_of: str | None, sources=()) -> str:
    """The moment of the data a report read: the latest ``loaded_at`` of its ``sources``
    (the loads it read, none after ``as_of``), else ``as_of`` (``""``: unknown).  Never
    the run's clock: a report run in December of data loaded in April is data as of April."""
    loaded = []
    for s in sources or ():
        at = s.get("loaded_at") if isinstance(s, dict) else None
        if at:
            try:
                loaded.append(normalise_timestamp(str(at)))
            except MomentError:
                continue
    bound = None
    if as_of:
        try:
            bound = normalise_timestamp(as_of)
        except MomentError:
            bound = None
    loaded = [t for t in loaded if bound is None or t <= bound]
    return max(loaded) if loaded else str(as_of or "")
