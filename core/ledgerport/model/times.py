"""Time handling: every instant is an aware `datetime` in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

__all__ = ["format_iso_ms", "from_ms", "parse_instant", "to_ms"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_instant(text: str) -> datetime:
    """A date (midnight UTC) or an ISO 8601 date-time; one without an offset is taken as UTC."""
    text = text.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a date or ISO 8601 date-time: {text!r}") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def from_ms(ms: int) -> datetime:
    """Epoch milliseconds to UTC, exactly (no float division)."""
    return _EPOCH + timedelta(milliseconds=ms)


def to_ms(instant: datetime) -> int:
    """UTC to epoch milliseconds, exactly; sub-millisecond parts are truncated toward the past."""
    delta = instant - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def format_iso_ms(instant: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a `Z`, the form every sink writes."""
    return instant.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"
