"""Each stream's requests and checks (limits, cursors, hosts, pools, retention, counts) and the sandbox's pools and
latency, spoken to over HTTP."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from ledgerport_kucoin.auth import KucoinAuth
from ledgerport_kucoin.hosts import futures_url
from ledgerport_kucoin.sandbox import KucoinSandbox, RateLimit
from ledgerport_kucoin.settings import Settings
from ledgerport_kucoin.streams import ClassicLedger, FuturesLedger, HfMarginLedger, HfSpotLedger

from ledgerport import Page, PageRequest, Secret, SourceError, Window, to_ms

SETTINGS = Settings(
    api_key=Secret("sandbox-key"), api_secret=Secret("sandbox-secret"), api_passphrase=Secret("sandbox-passphrase")
)
DAY = Window(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, 23, 59, 59, 998000, tzinfo=UTC))


def params(request: PageRequest) -> dict[str, str]:
    return dict(request.params)


def test_hf_ledgers_ask_at_most_200_rows_under_24_hours_and_page_by_the_last_id() -> None:
    for stream, path, prefix in (
        (HfSpotLedger, "/api/v1/hf/accounts/ledgers", "hf"),
        (HfMarginLedger, "/api/v3/hf/margin/account/ledgers", "margin"),
    ):
        ledger = stream(SETTINGS, "acc")
        first = ledger.first_request(DAY)
        asked = params(first)
        assert (first.path, first.pool, first.cost, asked["limit"]) == (path, "spot", 2, "200")
        assert int(asked["endAt"]) - int(asked["startAt"]) < 24 * 3600 * 1000 and "lastId" not in asked
        rows = [{"id": str(9000 - n), "createdAt": str(to_ms(DAY.start) + n)} for n in range(200)]
        following = ledger.next_request(DAY, Page(request=first, records=rows))
        assert following is not None and params(following)["lastId"] == "8801"
        assert ledger.next_request(DAY, Page(request=first, records=rows[:199])) is None
        assert ledger.map_record({**HF_ROW, "id": "5"})[0].entry_id == f"{prefix}:5"


HF_ROW = {
    "id": "1",
    "currency": "USDT",
    "amount": "1",
    "fee": "0",
    "balance": "1",
    "accountType": "TRADE_HF",
    "bizType": "TRANSFER",
    "direction": "in",
    "createdAt": "1704067200000",
    "context": "{}",
}


def test_the_futures_ledger_is_on_the_futures_host_unless_a_base_url_points_every_host_at_one() -> None:
    assert futures_url("https://api.kucoin.com", "/x") == "https://api-futures.kucoin.com/x"
    assert futures_url("http://127.0.0.1:8080/", "/x") == "http://127.0.0.1:8080/x"
    first = FuturesLedger(SETTINGS, "acc", base_url="https://api.kucoin.com").first_request(DAY)
    assert (first.path, first.pool, first.cost) == (
        "https://api-futures.kucoin.com/api/v1/transaction-history",
        "futures",
        2,
    )
    assert params(first)["forward"] == "false" and "offset" not in params(first)


def test_a_classic_window_that_holds_fewer_rows_than_it_says_stops_the_sync_naming_it() -> None:
    ledger = ClassicLedger(SETTINGS, "acc")
    first = ledger.first_request(DAY)
    rows = [{"id": str(n), "createdAt": to_ms(DAY.start) + n} for n in range(4)]
    with pytest.raises(
        SourceError, match=r"stream classic, window 2024-01-01T00:00:00\+00:00 .*said it holds 5 entries"
    ):
        ledger.next_request(DAY, Page(request=first, records=rows, cursor=(1, 1, 5)))
    ledger.first_request(DAY)
    assert ledger.next_request(DAY, Page(request=first, records=rows, cursor=(1, 1, 4))) is None


def test_rows_outside_the_window_asked_for_are_counted_and_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    ledger = HfSpotLedger(SETTINGS, "acc")
    inside, outside = to_ms(DAY.start), to_ms(DAY.start) - 3_600_000
    rows = [{"id": "2", "createdAt": str(inside)}, {"id": "1", "createdAt": str(outside)}]
    with caplog.at_level(logging.WARNING, logger="ledgerport.kucoin"):
        ledger.next_request(DAY, Page(request=ledger.first_request(DAY), records=rows))
    assert ledger.outside == 1 and "stream hf-spot returned 1 rows outside the window asked for" in caplog.text


def test_a_range_older_than_a_stream_serves_is_warned_about_once_naming_the_stream_and_its_date(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = datetime(2024, 1, 10, tzinfo=UTC)
    ledger = HfSpotLedger(SETTINGS, "acc", now=now)
    with caplog.at_level(logging.WARNING, logger="ledgerport.kucoin"):
        assert ledger.slices(DAY) == [DAY]
        ledger.slices(Window(DAY.end, DAY.end + timedelta(days=1)))
        HfSpotLedger(SETTINGS, "acc", now=now).slices(Window(now - timedelta(hours=24), now))
    assert caplog.text.count("stream hf-spot serves only from about 2024-01-07T00:00:00+00:00 (3 days back)") == 1


def test_each_pool_has_its_own_budget_and_every_answer_can_be_delayed(
    serve: Callable[..., tuple[KucoinSandbox, str]],
) -> None:
    _, url = serve(account="multi", days=2, rate_limit=RateLimit(limit=4, period=30.0), latency_ms=60)
    with httpx.Client(base_url=url, auth=KucoinAuth(SETTINGS, url)) as client:
        span = {"startAt": "1704067200000", "endAt": "1704070800000"}
        started = time.monotonic()
        spot = [client.get("/api/v1/hf/accounts/ledgers", params=span).status_code for _ in range(3)]
        assert time.monotonic() - started >= 3 * 0.06
        management = client.get("/api/v1/accounts/ledgers", params=span)
        futures = client.get("/api/v1/transaction-history", params={**span, "forward": "false"})
    assert spot == [200, 200, 429]  # two pages of weight 2 spend the Spot pool's 4
    assert (management.status_code, futures.status_code) == (200, 200)  # the other pools are untouched
    assert management.headers["gw-ratelimit-remaining"] == "2" and futures.headers["gw-ratelimit-remaining"] == "2"


def test_the_hf_sandbox_refuses_what_kucoin_would_silently_replace(
    serve: Callable[..., tuple[KucoinSandbox, str]],
) -> None:
    _, url = serve(account="multi", days=2)
    with httpx.Client(base_url=url, auth=KucoinAuth(SETTINGS, url)) as client:
        wide = client.get("/api/v1/hf/accounts/ledgers", params={"startAt": "0", "endAt": str(4 * 86_400_000)})
        many = client.get("/api/v1/hf/accounts/ledgers", params={"limit": "201"})
    assert (wide.json()["code"], many.json()["code"]) == ("400100", "400100")


def test_the_sandbox_command_serves_a_chosen_account_with_latency() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "ledgerport_kucoin.sandbox", "--days", "3", "--account", "unified", "--latency", "80"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+", banner)
        assert found and "unified account" in banner
        with httpx.Client(base_url=found.group(), auth=KucoinAuth(SETTINGS, found.group())) as client:
            started = time.monotonic()
            mode = client.get("/api/ua/v2/account/mode").json()
            assert time.monotonic() - started >= 0.08
        assert mode == {"code": "200000", "data": {"selfAccountMode": "UNIFIED"}}
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()  # type: ignore[union-attr]
