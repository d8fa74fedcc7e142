"""1Konto's instants: `2023-05-12T21:38:21.6200000Z`, seven fractional digits (100 ns ticks).

Python's `datetime` holds microseconds and 3.11's `fromisoformat` refuses seven digits, so this is
a small exact parser of its own. Digits past the sixth are truncated (toward the past), never
rounded: an event keeps the window its full-precision instant falls in, because window edges have
whole microseconds. The record's own text, every digit, stays in `Entry.raw`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_INSTANT = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d\d):(\d\d))?",
    re.ASCII,
)


def parse_event_time(text: object) -> datetime:
    """An aware UTC datetime from 1Konto's form; no offset means UTC. Raises ValueError with the reason."""
    match = _INSTANT.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"not an ISO 8601 UTC date-time: {text!r}")
    year, month, day, hour, minute, second, fraction, _, sign, off_h, off_m = match.groups()
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    try:
        instant = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, UTC)
    except ValueError as exc:
        raise ValueError(f"not a valid date-time: {text!r} ({exc})") from None
    if sign:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        instant = instant - offset if sign == "+" else instant + offset
    return instant


def format_query_time(instant: datetime) -> str:
    """The form 1Konto writes, for `startTimeUtc` and `endTimeUtc`: UTC, seven digits, `Z`."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
