"""The connector's pure parts: instants, mapping, error answers, windows and the paging cursor."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx
import pytest
from ledgerport_onekonto.errors import describe, error_for
from ledgerport_onekonto.eventtime import format_query_time, parse_event_time
from ledgerport_onekonto.mapping import event_time, to_entry
from ledgerport_onekonto.paging import Resume, first_transaction, plan, resume_after
from ledgerport_onekonto.settings import Settings

from ledgerport import (
    AuthenticationError,
    BadRecordError,
    Kind,
    RateLimitedError,
    Secret,
    SourceError,
    TransientError,
    Window,
    format_decimal,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-05-12T21:38:21.6200000Z", datetime(2023, 5, 12, 21, 38, 21, 620000, UTC)),
        ("2023-05-12T21:38:21.0000001Z", datetime(2023, 5, 12, 21, 38, 21, 0, UTC)),
        ("2023-12-31T23:59:59.9999999Z", datetime(2023, 12, 31, 23, 59, 59, 999999, UTC)),  # truncated, not rounded
        ("2023-05-12T21:38:21Z", datetime(2023, 5, 12, 21, 38, 21, tzinfo=UTC)),
        ("2023-05-12T21:38:21.5Z", datetime(2023, 5, 12, 21, 38, 21, 500000, UTC)),
        ("2023-05-12T21:38:21.6200000", datetime(2023, 5, 12, 21, 38, 21, 620000, UTC)),
        ("2023-05-12T23:38:21.6200000+02:00", datetime(2023, 5, 12, 21, 38, 21, 620000, UTC)),
        ("2023-05-12T00:08:21.1234567-01:30", datetime(2023, 5, 12, 1, 38, 21, 123456, UTC)),
    ],
)
def test_event_times_parse_exactly_to_utc(text: str, expected: datetime) -> None:
    parsed = parse_event_time(text)
    assert parsed == expected and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text", ["2023-05-12 21:38:21Z", "2023-13-12T21:38:21.6200000Z", "2023-05-12T21:38:21.Z", "", None, 1683927501]
)
def test_bad_event_times_are_refused(text: Any) -> None:
    with pytest.raises(ValueError, match="not a"):
        parse_event_time(text)


def test_query_times_use_the_apis_seven_digit_form() -> None:
    instant = datetime(2024, 1, 2, 3, 4, 5, 678901, timezone(timedelta(hours=1)))
    assert format_query_time(instant) == "2024-01-02T02:04:05.6789010Z"
    assert parse_event_time(format_query_time(instant)) == instant


def record(event: str, amount: str, **extra: Any) -> dict[str, Any]:
    return {
        "ordering": 81329,
        "accountId": "test123",
        "transactionId": f"id-{event}",
        "asset": "BTC",
        "amount": Decimal(amount),
        "eventType": event,
        "eventTime": "2023-05-12T21:38:36.9430000Z",
        **extra,
    }


@pytest.mark.parametrize(
    ("event", "extra", "kind", "shown", "signed"),
    [
        ("deposit", {}, Kind.DEPOSIT, "76.0", "76.0"),
        ("deposit", {}, Kind.DEPOSIT, "-76.0", "76.0"),
        ("withdrawal", {}, Kind.WITHDRAWAL, "0.5", "-0.5"),
        ("withdrawal", {}, Kind.WITHDRAWAL, "-0.5", "-0.5"),
        ("transferSent", {}, Kind.TRANSFER, "150.0", "-150.0"),
        ("transferReceived", {}, Kind.TRANSFER, "150.0", "150.0"),
        ("trade", {"subEventType": "source"}, Kind.TRADE, "1.0", "-1.0"),
        ("trade", {"subEventType": "destination"}, Kind.TRADE, "-1.0", "1.0"),
        ("manual", {}, Kind.ADJUSTMENT, "0.00000025", "0.00000025"),
        ("manual", {}, Kind.ADJUSTMENT, "-0.00000025", "-0.00000025"),
        ("initialBalances", {}, Kind.ADJUSTMENT, "12.000000000000000001", "12.000000000000000001"),
        ("order", {}, Kind.OTHER, "-3", "0"),
    ],
)
def test_kind_and_sign_come_from_the_event(
    event: str, extra: dict[str, str], kind: Kind, shown: str, signed: str
) -> None:
    raw = record(event, shown, **extra)
    entry = to_entry(raw, "test123")
    assert (entry.kind, format_decimal(entry.amount), entry.entry_id, entry.account) == (
        kind,
        signed,
        f"id-{event}",
        "test123",
    )
    assert entry.timestamp == datetime(2023, 5, 12, 21, 38, 36, 943000, UTC)
    assert entry.raw is raw and entry.sub_account == ""
    assert entry.group_id == ("ordering:81329" if event == "trade" else "")


def test_an_opening_balance_says_so() -> None:
    entry = to_entry(record("initialBalances", "5"), "a")
    assert (entry.description, entry.tags) == ("opening balance", ("opening-balance",))


def test_signs_stay_exact_beyond_the_decimal_context() -> None:
    shown = "123456789012345678901234567890.123456789012345678"
    assert format_decimal(to_entry(record("withdrawal", shown), "a").amount) == "-" + shown


@pytest.mark.parametrize("event", ["invalid", "staking"])
def test_invalid_and_unknown_events_are_kept_as_other_with_a_warning(
    event: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="ledgerport.onekonto"):
        entry = to_entry(record(event, "-2.5"), "a")
    assert (entry.kind, entry.amount, entry.description) == (Kind.OTHER, Decimal("-2.5"), event)
    assert f"id-{event} has eventType '{event}'" in caplog.text


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"amount": 1.5}, "amount", "expected a decimal string, got float"),
        ({"amount": True}, "amount", "expected a decimal string"),
        ({"amount": "NaN"}, "amount", "not a finite number"),
        ({"eventTime": "yesterday"}, "eventTime", "not an ISO 8601"),
        ({"asset": ""}, "asset", "missing or empty"),
        ({"eventType": None}, "eventType", "missing or not a string"),
        ({"subEventType": None}, "subEventType", "must be 'source' or 'destination'"),
        ({"ordering": "81329"}, "ordering", "not an integer"),
    ],
)
def test_malformed_records_name_id_and_field(change: dict[str, Any], field: str, reason: str) -> None:
    with pytest.raises(BadRecordError, match=reason) as info:
        to_entry({**record("trade", "1", subEventType="source"), **change}, "a")
    assert (info.value.source, info.value.record_id, info.value.field) == ("onekonto", "id-trade", field)


def test_a_records_event_time_is_its_entrys_timestamp() -> None:
    raw = record("deposit", "1", eventTime="2023-05-12T23:38:21.6200009+02:00")
    assert event_time(raw) == to_entry(raw, "a").timestamp == datetime(2023, 5, 12, 21, 38, 21, 620000, UTC)
    with pytest.raises(BadRecordError, match="record 'id-deposit': field 'eventTime': not an ISO 8601"):
        event_time({**raw, "eventTime": "yesterday"})


def test_a_record_that_is_no_object_or_has_no_id_is_refused() -> None:
    with pytest.raises(BadRecordError, match="a record without an id: field 'transactionId': expected a JSON object"):
        to_entry([1, 2], "a")
    with pytest.raises(BadRecordError, match="field 'transactionId': missing or empty: ''"):
        to_entry({**record("deposit", "1"), "transactionId": ""}, "a")
    assert to_entry({**record("deposit", "1"), "transactionId": 42}, "a").entry_id == "42"


def answer(status: int, body: bytes, **headers: str) -> httpx.Response:
    return httpx.Response(status, content=body, headers=headers)


@pytest.mark.parametrize(
    ("status", "body", "kind", "message"),
    [
        (503, b'{"status": 503, "error": "maintenance"}', TransientError, "/p: HTTP 503: maintenance"),
        (
            424,
            b'{"errors": ["db timeout", {"message": "cache miss"}], "status": "failedDependency", '
            b'"httpStatusCode": 424}',
            TransientError,
            "/p: HTTP 424: failedDependency: db timeout; cache miss",
        ),
        (502, b"<html>\n Bad   Gateway</html>", TransientError, "/p: HTTP 502: <html> Bad Gateway</html>"),
        (400, b'{"status": 400, "error": "max is required"}', SourceError, "onekonto: /p: HTTP 400: max is required"),
        (403, b'{"status": 403, "error": "nope"}', AuthenticationError, "onekonto: /p: HTTP 403: nope"),
        (404, b"", SourceError, "onekonto: /p: HTTP 404: Not Found"),
    ],
)
def test_error_answers_of_both_shapes_become_clear_errors(status: int, body: bytes, kind: type, message: str) -> None:
    error = error_for(answer(status, body), "/p")
    assert type(error) is kind and str(error) == message


def test_rate_limits_carry_retry_after() -> None:
    error = error_for(answer(429, b'{"status": 429, "error": "slow down"}', **{"Retry-After": "2.5"}), "/p")
    assert isinstance(error, RateLimitedError) and error.retry_after == 2.5


def test_a_long_body_is_cut() -> None:
    assert describe(answer(500, b"x" * 1000)) == "x" * 200 + "..."


def test_windows_are_epoch_aligned_clipped_and_tile_the_range() -> None:
    since, until = datetime(2024, 1, 1, 9, tzinfo=UTC), datetime(2024, 1, 3, 1, tzinfo=UTC)
    assert plan(since, until, timedelta(days=1)) == [
        Window(since, datetime(2024, 1, 2, tzinfo=UTC)),
        Window(datetime(2024, 1, 2, tzinfo=UTC), datetime(2024, 1, 3, tzinfo=UTC)),
        Window(datetime(2024, 1, 3, tzinfo=UTC), until),
    ]
    assert plan(since, since + timedelta(minutes=1), timedelta(days=7)) == [Window(since, since + timedelta(minutes=1))]
    edge = datetime(2024, 1, 2, tzinfo=UTC)
    assert plan(edge, edge + timedelta(days=2), timedelta(days=1))[0] == Window(edge, edge + timedelta(days=1))


def test_the_first_transaction_is_asked_for_without_time_bounds_but_with_the_filters() -> None:
    settings = Settings(user="u", password=Secret("p"), max=40, asset="ETH", type="trade")
    request = first_transaction(settings, "ACC/7 main")
    assert request.path == "/api/v1/accounting/ledger/ACC%2F7%20main"
    assert request.params == (("max", "1"), ("asset", "ETH"), ("type", "trade"))


def test_the_cursor_counts_the_records_of_the_last_ordering() -> None:
    assert resume_after([]) is None
    assert resume_after([{"ordering": 5}]) == Resume(5, 1)
    assert resume_after([{"ordering": 3}, {"ordering": 5}, {"ordering": 5}]) == Resume(5, 2)
    assert resume_after([{"ordering": 5}, {"ordering": 5}, {"ordering": 5}]) == Resume(5, 3)
    with pytest.raises(BadRecordError, match="record 'x': field 'ordering': not an integer: None"):
        resume_after([{"transactionId": "x"}])


def test_an_order_placed_reserves_funds_and_moves_none() -> None:
    """What an order buys or sells settles as a trade's two legs; the order row itself changes no
    holding (Get Account's total is free + locked), so booking its amount would count the trade twice."""
    entry = to_entry(record("order", "1.50000000"), "test123")
    assert (entry.kind, entry.amount, entry.tags) == (Kind.OTHER, Decimal("0E-8"), ("order",))
    assert entry.description == "order placed: 1.50000000 BTC reserved, not settled"
