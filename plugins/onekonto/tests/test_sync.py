"""The connector end to end through `ledgerport.sync`, over real HTTP to the sandbox on 127.0.0.1."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from ledgerport_onekonto.api import password_digest
from ledgerport_onekonto.sandbox import Faults, Ledger, TickingClock, generate_ledger

from ledgerport import AuthenticationError, BadRecordError, ConfigError, SourceError, format_decimal, format_iso_ms


def test_every_transaction_once_with_exact_amounts_times_and_kinds(kit) -> None:
    served = kit.serve()
    report = kit.sync(served.url)
    rows = kit.rows()
    truth = kit.truth()
    assert any(t.timestamp.hour == t.timestamp.minute == 0 and t.timestamp.day > 1 for t in truth)  # window edges
    assert [r["entry_id"] for r in rows].count(rows[0]["entry_id"]) == 1
    assert len(rows) == len({r["entry_id"] for r in rows}) == len(truth) == report.entries
    got = {r["entry_id"]: (r["amount"], r["timestamp"], r["asset"]) for r in rows}
    assert got == {t.transaction_id: (format_decimal(t.delta), format_iso_ms(t.timestamp), t.asset) for t in truth}
    assert any(len(r["amount"].partition(".")[2]) == 18 for r in rows)
    # the sandbox really capped pages, cut some short and ended some between two legs of a trade
    stats = served.sandbox.stats
    assert stats.short_pages > 0 and stats.split_orderings > 0 and report.windows == 3


def test_without_since_a_fresh_output_starts_at_the_first_transaction(kit) -> None:
    """The ledger's history begins with its first transaction, here mid-day: the first window starts
    exactly there, and the whole ledger is written once, for one request more than a sync from there."""
    first = datetime(2023, 12, 30, 17, 3, 9, 123456, UTC)
    ledger = generate_ledger(account=kit.ACCOUNT, seed=5, since=first, until=kit.UNTIL, events=400)
    served = kit.serve(ledger, short_every=0)  # no short pages: both syncs page alike
    report = kit.sync(served.url, since=None)
    truth = list(ledger)
    assert truth[0].timestamp == first and report.since == first
    assert report.windows == 5  # 12-30 17:03 .. 12-31, then whole days up to 01-04
    rows = kit.rows()
    assert len(rows) == len({r["entry_id"] for r in rows}) == len(truth) == report.entries
    got = {r["entry_id"]: (r["amount"], r["timestamp"], r["asset"]) for r in rows}
    assert got == {t.transaction_id: (format_decimal(t.delta), format_iso_ms(t.timestamp), t.asset) for t in truth}
    given = kit.sync(served.url, since=first, sinks=[f"csv:{kit.out.with_name('given.csv')}"])
    assert kit.rows(kit.out.with_name("given.csv")) == rows
    assert (report.windows, report.requests) == (given.windows, given.requests + 1)  # + the probe


def test_without_since_an_empty_ledger_has_nothing_to_sync(kit) -> None:
    served = kit.serve(Ledger(kit.ACCOUNT))
    report = kit.sync(served.url, since=None)
    assert (report.windows, report.entries, report.requests, served.sandbox.stats.pages) == (0, 0, 1, 1)


def test_kinds_signs_and_trade_groups(kit) -> None:
    kit.sync(kit.serve().url)
    rows = {r["entry_id"]: r for r in kit.rows()}
    expected_kind = {
        "deposit": "deposit",
        "withdrawal": "withdrawal",
        "transferSent": "transfer",
        "transferReceived": "transfer",
        "trade": "trade",
        "manual": "adjustment",
        "initialBalances": "adjustment",
        "order": "other",
        "invalid": "other",
    }
    seen = set()
    for t in kit.truth():
        row = rows[t.transaction_id]
        seen.add(t.event_type)
        assert row["kind"] == expected_kind[t.event_type], t
        assert row["group_id"] == (f"ordering:{t.ordering}" if t.event_type == "trade" else "")
    assert seen == set(expected_kind)
    assert {r["description"] for r in rows.values() if r["kind"] == "adjustment"} >= {"opening balance"}


def test_a_page_boundary_between_the_legs_of_a_trade_loses_nothing(kit) -> None:
    """With max=1 every trade is cut between its legs; continuing past the ordering would drop the
    second leg, and continuing from it with the same max would repeat the first leg forever."""
    served = kit.serve(short_every=0)
    since, until = datetime(2024, 1, 2, tzinfo=UTC), datetime(2024, 1, 2, 12, tzinfo=UTC)
    kit.sync(served.url, since=since, until=until, options=["onekonto.max=1"])
    truth = kit.truth(since, until)
    trades = {t.ordering for t in truth if t.event_type == "trade"}
    assert len(trades) > 10
    assert served.sandbox.stats.split_orderings >= len(trades)
    assert sorted(r["entry_id"] for r in kit.rows()) == sorted(t.transaction_id for t in truth)


def test_filters_pass_through(kit) -> None:
    kit.sync(kit.serve().url, options=["onekonto.asset=ETH", "onekonto.type=trade"])
    expected = {t.transaction_id for t in kit.truth() if t.asset == "ETH" and t.event_type == "trade"}
    assert len(expected) > 20
    assert {r["entry_id"] for r in kit.rows()} == expected


def test_an_output_keeps_the_filters_it_began_with(kit) -> None:
    served, state = kit.serve(), kit.out.with_name("state.db")
    kit.sync(served.url, state=state, options=["onekonto.asset=ETH"])
    changed = r"synced with other settings \(asset was ETH, now BTC; type was \(not set\), now trade\)"
    with pytest.raises(ConfigError, match=changed):
        kit.sync(served.url, state=state, options=["onekonto.asset=BTC", "onekonto.type=trade"])
    assert {r["asset"] for r in kit.rows()} == {"ETH"}


def test_smaller_windows_give_the_same_ledger(kit) -> None:
    report = kit.sync(kit.serve().url, since=datetime(2024, 1, 1, 9, tzinfo=UTC), options=["onekonto.window_hours=5"])
    assert report.windows == 13  # 09:00-13:00, then 5 h steps on epoch-aligned edges (13:00, 18:00, ...)
    expected = {t.transaction_id for t in kit.truth(since=datetime(2024, 1, 1, 9, tzinfo=UTC))}
    assert sorted(r["entry_id"] for r in kit.rows()) == sorted(expected)


def test_token_expiry_mid_sync_logs_in_again_once_per_expiry(kit) -> None:
    # a lifetime of ten requests: wide enough for the requests in flight when a token is replaced
    served = kit.serve(token_lifetime=1.0, clock=TickingClock(0.1))
    kit.sync(served.url)
    stats = served.sandbox.stats
    assert len(stats.tokens_refused) >= 3
    assert stats.logins == 1 + len(stats.tokens_refused), "one login per expiry, however many requests met it"
    assert len(kit.rows()) == len(kit.truth())


def test_a_token_refused_right_after_login_stops_instead_of_looping(kit) -> None:
    served = kit.serve(token_lifetime=0.0)
    with pytest.raises(AuthenticationError, match=r"HTTP 401: token expired.*right after a fresh login"):
        kit.sync(served.url)
    assert (served.sandbox.stats.logins, served.sandbox.stats.refused_tokens) == (2, 2)


def test_a_wrong_password_is_a_clear_error_that_shows_no_secret(kit, caplog: pytest.LogCaptureFixture) -> None:
    served = kit.serve()
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthenticationError) as info:
        kit.sync(served.url, env={"ONEKONTO_USER": kit.USER, "ONEKONTO_PASSWORD": "hunter2-wrong"})
    message = str(info.value)
    assert message.startswith(f"onekonto: login refused for user '{kit.USER}' at /api/v1/identity/jwt (HTTP 401")
    for secret in ("hunter2-wrong", password_digest("hunter2-wrong"), kit.PASSWORD, password_digest(kit.PASSWORD)):
        assert secret not in message and secret not in caplog.text
    assert served.sandbox.stats.refused_logins == 1 and served.sandbox.stats.pages == 0


def test_missing_settings_are_clear(kit) -> None:
    with pytest.raises(ConfigError, match="onekonto has no default base URL: give --base-url"):
        kit.sync(None)
    with pytest.raises(ConfigError, match="onekonto needs an account: give --account"):
        kit.sync("http://127.0.0.1:9", account=None)
    with pytest.raises(ConfigError, match="ONEKONTO_PASSWORD"):
        kit.sync("http://127.0.0.1:9", env={"ONEKONTO_USER": kit.USER})
    with pytest.raises(ConfigError, match=r"connectors\.onekonto\.type: 'trades' is not one of invalid, deposit"):
        kit.sync("http://127.0.0.1:9", options=["onekonto.type=trades"])
    with pytest.raises(ConfigError, match=r"connectors\.onekonto\.max: must be at least 1, got 0"):
        kit.sync("http://127.0.0.1:9", options=["onekonto.max=0"])


def test_both_error_shapes_are_retried_and_read(kit, caplog: pytest.LogCaptureFixture) -> None:
    served = kit.serve(faults=Faults(script=(503, 0, 424, 500)))
    report = kit.sync(served.url)
    assert report.retries == 3 and len(kit.rows()) == len(kit.truth())
    assert "HTTP 503: ledger service unavailable, try again later" in caplog.text
    assert "HTTP 424: failedDependency: ledger store did not answer in time" in caplog.text
    assert "HTTP 500: internal server error" in caplog.text


def test_a_dependency_that_stays_down_gives_up_with_its_message(kit) -> None:
    served = kit.serve(faults=Faults(script=(424,) * 10))
    with pytest.raises(SourceError, match=r"gave up after 6 attempts: .*HTTP 424: failedDependency: ledger store"):
        kit.sync(served.url)
    assert served.sandbox.stats.faults == {424: 6}


def test_a_client_error_is_not_retried(kit) -> None:
    served = kit.serve()
    with pytest.raises(SourceError, match=r"onekonto: /api/v1/accounting/ledger/NOPE: HTTP 404: account 'NOPE' not"):
        kit.sync(served.url, account="NOPE")
    assert served.sandbox.stats.pages == 0 and served.sandbox.stats.logins == 1


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("amount", "12,5", r"field 'amount': not a number: '12,5'"),
        ("amount", None, r"field 'amount': missing"),
        ("eventTime", "2024-01-02T25:00:00.0000000Z", r"field 'eventTime': not a valid date-time"),
        ("subEventType", "sideways", r"field 'subEventType': a trade leg must be 'source' or 'destination'"),
    ],
)
def test_a_malformed_record_names_its_id_and_field(kit, field: str, value: object, match: str) -> None:
    victim = next(t for t in kit.truth() if t.event_type == "trade" and t.timestamp.day == 2 and t.timestamp.hour > 0)
    served = kit.serve(faults=Faults(corrupt={victim.transaction_id: {field: value}}))
    with pytest.raises(BadRecordError, match=rf"onekonto: record '{victim.transaction_id}': {match}") as info:
        kit.sync(served.url)
    assert (info.value.record_id, info.value.field) == (victim.transaction_id, field)
    committed = kit.truth(until=datetime(2024, 1, 2, tzinfo=UTC))  # the windows before the bad record's
    assert {r["entry_id"] for r in kit.rows()} == {t.transaction_id for t in committed}


def test_a_record_without_an_id_is_named_as_such(kit) -> None:
    victim = kit.truth()[40]
    served = kit.serve(faults=Faults(corrupt={victim.transaction_id: {"transactionId": None}}))
    with pytest.raises(BadRecordError, match=r"onekonto: a record without an id: field 'transactionId': missing"):
        kit.sync(served.url)


def test_amounts_never_pass_through_float(kit) -> None:
    victim = kit.truth()[50]
    long = Decimal("-12345678901234567890.123456789012345678901234")  # 44 digits: a float keeps 17, a context 28
    served = kit.serve(faults=Faults(corrupt={victim.transaction_id: {"amount": long, "eventType": "manual"}}))
    kit.sync(served.url)
    row = next(r for r in kit.rows() if r["entry_id"] == victim.transaction_id)
    assert row["amount"] == "-12345678901234567890.123456789012345678901234"
