"""Moments in time as kpilib writes them: ISO 8601, UTC, microseconds, a ``Z``.

``2024-03-08T09:00:00.000000Z`` sorts lexically, so stored moments compare as
text.  Used by the store (load times), parameters (``as_of``) and the runner
(the run's start); kept apart from all of them.
"""

from __future__ import annotations

import datetime as dt

from kpilib.errors import MomentError, shown

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

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
