"""Windows, page requests, reading answers (every code, whatever the HTTP status) and settings."""

from __future__ import annotations

import itertools
import logging
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import httpx
import pytest
from ledgerport_kucoin import KucoinConnector, Settings, answers, paging

import ledgerport
from ledgerport import (
    AuthenticationError,
    ConfigError,
    Page,
    PageRequest,
    RateBudget,
    RateLimitedError,
    Secret,
    SourceError,
    TransientError,
    Window,
    to_ms,
)

SETTINGS = Settings(api_key=Secret("k"), api_secret=Secret("s"), api_passphrase=Secret("p"))
REQUEST = PageRequest(path=paging.LEDGERS_PATH)
NOW = datetime(2024, 6, 1, tzinfo=UTC)


def params(request: PageRequest) -> dict[str, str]:
    return dict(request.params)


def test_windows_tile_the_range_and_their_requests_cover_both_edges_within_24_hours() -> None:
    since, until = datetime(2024, 1, 1, 5, 30, tzinfo=UTC), datetime(2024, 1, 3, 0, 0, 0, 250, tzinfo=UTC)
    windows = paging.plan(since, until, now=NOW)
    assert windows[0].start == since and windows[-1].end == until
    assert all(a.end == b.start for a, b in itertools.pairwise(windows))
    assert len(windows) == 2 and all(w.end - w.start <= paging.WINDOW for w in windows)
    month = paging.plan(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC), now=NOW)
    assert len(month) == 32, "the fewest windows under 24 h: one more than the days"
    for window in windows:
        query = params(paging.first_request(SETTINGS, window))
        start_at, end_at = int(query["startAt"]), int(query["endAt"])
        assert start_at < to_ms(window.start)  # an entry on the start edge is inside even if startAt is exclusive
        assert end_at >= to_ms(window.end)  # and the last owned millisecond even if endAt is exclusive
        assert end_at - start_at <= paging.MAX_SPAN_MS
    assert int(params(paging.first_request(SETTINGS, windows[-1]))["endAt"]) == to_ms(until) + 1


def test_a_range_older_than_a_year_is_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="ledgerport.kucoin"):
        paging.plan(NOW - timedelta(days=30), NOW, now=NOW)
        assert caplog.text == ""
        paging.plan(NOW - timedelta(days=400), NOW, now=NOW)
    assert "more than a year ago; KuCoin serves about one year" in caplog.text


@pytest.mark.parametrize(
    ("now", "first_day"),  # a year back falls on midnight exactly, within a day, and a day later in UTC
    [
        (NOW, datetime(2023, 6, 3, tzinfo=UTC)),
        (NOW + timedelta(hours=13, microseconds=7), datetime(2023, 6, 3, tzinfo=UTC)),
        (datetime(2024, 6, 1, 23, 30, tzinfo=timezone(timedelta(hours=-5))), datetime(2023, 6, 4, tzinfo=UTC)),
    ],
)
def test_history_starts_at_the_first_midnight_kucoin_still_serves_and_is_not_warned_about(
    now: datetime, first_day: datetime, caplog: pytest.LogCaptureFixture
) -> None:
    start = paging.history_start(now)
    assert start == first_day and start.tzinfo is UTC
    assert now - paging.HISTORY < start <= now - paging.HISTORY + timedelta(days=1)
    with caplog.at_level(logging.WARNING, logger="ledgerport.kucoin"):
        paging.plan(start, now, now=now + timedelta(minutes=5))  # planned a little later, as a sync does
    assert caplog.text == ""


def test_filters_and_page_size_go_on_every_request_and_pages_run_to_total_page() -> None:
    settings = Settings(
        api_key=Secret("k"),
        api_secret=Secret("s"),
        api_passphrase=Secret("p"),
        currency=("BTC", "1INCH"),
        direction="in",
        biz_type="TRADE_EXCHANGE",
        page_size=10,
    )
    window = Window(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, 12, tzinfo=UTC))
    first = paging.first_request(settings, window)
    assert [name for name, _ in first.params] == [
        "currency",
        "direction",
        "bizType",
        "startAt",
        "endAt",
        "currentPage",
        "pageSize",
    ]
    assert params(first) == {
        "currency": "BTC,1INCH",
        "direction": "in",
        "bizType": "TRADE_EXCHANGE",
        "startAt": "1704067199999",
        "endAt": "1704110400000",
        "currentPage": "1",
        "pageSize": "10",
    }
    assert (first.path, first.cost, first.pool) == (paging.LEDGERS_PATH, paging.PAGE_WEIGHT, "management")
    second = paging.following_request(settings, window, Page(request=first, records=[], cursor=(1, 3)))
    assert second is not None and params(second)["currentPage"] == "2"
    assert paging.following_request(settings, window, Page(request=first, records=[], cursor=(3, 3))) is None
    assert paging.following_request(settings, window, Page(request=first, records=[], cursor=(1, 0))) is None


def answer(status: int, body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def test_a_page_and_its_rate_budget_are_read() -> None:
    data = {"currentPage": 2, "pageSize": 10, "totalNum": 25, "totalPage": 3, "items": [{"id": "a"}]}
    page = answers.read(
        REQUEST,
        answer(
            200, {"code": "200000", "data": data}, **{"gw-ratelimit-remaining": "1990", "gw-ratelimit-reset": "29500"}
        ),
    )
    assert (page.records, page.cursor, page.budget) == ([{"id": "a"}], (2, 3, 25), RateBudget(1990, 29.5))


@pytest.mark.parametrize("status", [200, 401, 403])
@pytest.mark.parametrize(
    ("code", "cause"),
    [
        ("400001", "header is missing"),
        ("400002", "KC-API-TIMESTAMP"),
        ("400003", "API key was not found"),
        ("400004", "passphrase is wrong"),
        ("400005", "signature was refused"),
        ("400006", "allow list"),
        ("400007", "General permission"),
        ("411100", "frozen"),
    ],
)
def test_refusals_are_authentication_errors_even_with_http_200(status: int, code: str, cause: str) -> None:
    with pytest.raises(AuthenticationError, match=f"authentication failed: .*{cause}.*code {code}"):
        answers.read(REQUEST, answer(status, {"code": code, "msg": "refused"}))


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (200, {"code": "400100", "msg": "Parameter error"}, SourceError, "code 400100: Parameter error, HTTP 200"),
        (400, {"code": "400100", "msg": "pageSize"}, SourceError, "code 400100"),
        (200, {"code": "500000", "msg": "Internal"}, TransientError, "code 500000"),
        (503, {"code": "999999"}, TransientError, "HTTP 503"),
        (200, {"code": "429000", "msg": "Too Many Requests"}, RateLimitedError, "rate limit"),
        (200, {"data": {}}, SourceError, "code None"),
        (200, {"code": "200000", "data": {"items": []}}, SourceError, "unexpected answer"),
    ],
)
def test_every_answer_is_checked_by_its_code(status: int, body: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message) as info:
        answers.read(REQUEST, answer(status, body))
    assert type(info.value) is error


def test_an_html_error_page_from_a_proxy_is_transient() -> None:
    page = httpx.Response(502, text="<html>Bad Gateway</html>", headers={"content-type": "text/html"})
    with pytest.raises(TransientError, match="HTTP 502 with an error page"):
        answers.read(REQUEST, page)


def test_429_waits_for_the_reset_in_milliseconds() -> None:
    with pytest.raises(RateLimitedError) as info:
        answers.read(REQUEST, answer(429, {"code": "429000"}, **{"gw-ratelimit-reset": "1250"}))
    assert info.value.retry_after == 1.25
    html = httpx.Response(429, text="<html>slow down</html>", headers={"gw-ratelimit-reset": "40"})
    with pytest.raises(RateLimitedError) as info:
        answers.read(REQUEST, html)
    assert info.value.retry_after == 0.04


def unreachable(**fields: Any) -> ledgerport.SyncRequest:
    """A request to a port nothing listens on: any request sent would fail, so a ConfigError came first."""
    return ledgerport.SyncRequest(
        source="kucoin",
        since=NOW - timedelta(days=1),
        until=NOW,
        sinks=["csv:-"],
        base_url="http://127.0.0.1:9",
        **fields,
    )


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("kucoin.currency=" + ",".join(f"C{i}" for i in range(11)), "at most 10 currencies at once, got 11"),
        ("kucoin.page_size=501", "10 to 500 entries, got 501"),
        ("kucoin.page_size=9", "10 to 500 entries, got 9"),
        ("kucoin.key_version=1", "version must be 2 or 3, got 1"),
        ("kucoin.direction=both", "expected 'in' or 'out'"),
    ],
)
def test_invalid_settings_are_refused_before_any_request(option: str, message: str, registry: Any) -> None:
    env = {"KUCOIN_API_KEY": "k", "KUCOIN_API_SECRET": "s", "KUCOIN_API_PASSPHRASE": "p"}
    with pytest.raises(ConfigError, match=message):
        ledgerport.sync(unreachable(options=[option]), env=env, registry=registry)


def test_missing_credentials_name_their_environment_variables(registry: Any) -> None:
    with pytest.raises(ConfigError, match=r"KUCOIN_API_KEY.*KUCOIN_API_SECRET.*KUCOIN_API_PASSPHRASE"):
        ledgerport.sync(unreachable(), env={}, registry=registry)


def test_the_filters_are_the_settings_that_choose_entries() -> None:
    filters = {field.name for field in attrs.fields(Settings) if field.metadata.get("filter")}
    assert filters == {"currency", "direction", "biz_type"}
    assert (SETTINGS.currency, SETTINGS.direction, SETTINGS.biz_type) == ((), None, None)


def test_the_connector_is_registered_with_the_public_api_as_default(registry: Any) -> None:
    connector = registry.connector("kucoin")
    assert connector is KucoinConnector
    assert (connector.name, connector.title, connector.default_base_url, connector.settings_class) == (
        "kucoin",
        "KuCoin",
        "https://api.kucoin.com",
        Settings,
    )
    assert not connector.needs_account
    # version 3 is what the official SDK sends; 2 still works
    assert Settings(api_key=Secret("k"), api_secret=Secret("s"), api_passphrase=Secret("p")).key_version == 3
    assert Settings(api_key=Secret("k"), api_secret=Secret("s"), api_passphrase=Secret("p"), key_version=2)
