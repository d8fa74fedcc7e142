from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from ledgerport import format_decimal, format_iso_ms, from_ms, parse_decimal, parse_instant, to_ms


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("10.00059547", "10.00059547"),
        ("0.000000000000000001", "0.000000000000000001"),
        ("1E-7", "0.0000001"),
        ("-2.50", "-2.50"),
        (" 3 ", "3"),
        (7, "7"),
        (Decimal("1.0"), "1.0"),
        ("123456789012345678901234567890.123456789012345678", "123456789012345678901234567890.123456789012345678"),
    ],
)
def test_parse_then_format_keeps_every_digit_in_plain_notation(given: object, expected: str) -> None:
    assert format_decimal(parse_decimal(given)) == expected


@pytest.mark.parametrize("given", [0.1, True, None, "abc", "", "NaN", "Infinity", "1,5"])
def test_parse_decimal_refuses_floats_and_non_numbers(given: object) -> None:
    with pytest.raises(ValueError):
        parse_decimal(given)


def test_format_decimal_has_no_negative_zero_and_no_exponent() -> None:
    assert format_decimal(Decimal("-0.000")) == "0.000"
    assert format_decimal(Decimal("1E+3")) == "1000"
    assert format_decimal(Decimal("-1.2E-10")) == "-0.00000000012"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-01", datetime(2024, 1, 1, tzinfo=UTC)),
        ("2024-01-01T12:00:00", datetime(2024, 1, 1, 12, tzinfo=UTC)),
        ("2024-01-01T12:00:00Z", datetime(2024, 1, 1, 12, tzinfo=UTC)),
        ("2024-01-01T14:00:00+02:00", datetime(2024, 1, 1, 12, tzinfo=UTC)),
    ],
)
def test_parse_instant_gives_utc(text: str, expected: datetime) -> None:
    parsed = parse_instant(text)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


def test_parse_instant_refuses_garbage() -> None:
    with pytest.raises(ValueError, match="not a date"):
        parse_instant("yesterday")


def test_milliseconds_round_trip_exactly() -> None:
    for ms in (0, 1, 1629101692950, 1704067199999, -1):
        assert to_ms(from_ms(ms)) == ms
    assert to_ms(datetime(2024, 1, 1, 0, 0, 0, 999, tzinfo=UTC)) == 1704067200000


def test_format_iso_ms_is_utc_with_milliseconds() -> None:
    instant = datetime(2024, 1, 1, 13, 5, 6, 7890, tzinfo=timezone(timedelta(hours=1)))
    assert format_iso_ms(instant) == "2024-01-01T12:05:06.007Z"
