"""The sandbox's own contract, spoken to with plain signed HTTP: what KuCoin does, it does."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from ledgerport_kucoin import Settings
from ledgerport_kucoin.auth import KucoinAuth
from ledgerport_kucoin.mapping import biz_key
from ledgerport_kucoin.sandbox import KucoinSandbox, RateLimit
from ledgerport_kucoin.sandbox.ledger import DAY_MS, SPELLINGS

from ledgerport import Secret, to_ms

LEDGERS = "/api/v1/accounts/ledgers"
JAN1 = to_ms(datetime(2024, 1, 1, tzinfo=UTC))

Client = Callable[..., httpx.Client]


@pytest.fixture
def client(serve: Callable[..., tuple[KucoinSandbox, str]]) -> Iterator[Client]:
    """`client(**sandbox_options)`: an httpx client signing with the sandbox's credentials, and the sandbox."""
    clients: list[httpx.Client] = []

    def start(**options: Any) -> httpx.Client:
        sandbox, url = serve(**options)
        creds = sandbox.credentials
        settings = Settings(
            api_key=Secret(creds.key), api_secret=Secret(creds.secret), api_passphrase=Secret(creds.passphrase)
        )
        clients.append(httpx.Client(base_url=url, auth=KucoinAuth(settings, url)))
        clients[-1].sandbox = sandbox  # type: ignore[attr-defined]
        return clients[-1]

    yield start
    for each in clients:
        each.close()


def page(http: httpx.Client, **params: Any) -> tuple[int, dict[str, Any]]:
    response = http.get(LEDGERS, params=params)
    return response.status_code, response.json()


def test_the_same_seed_gives_the_same_ledger_and_another_seed_another() -> None:
    since, until = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 8, tzinfo=UTC)
    first = KucoinSandbox(seed=5, days=7).expected(since, until)
    assert first == KucoinSandbox(seed=5, days=7).expected(since, until)
    assert first != KucoinSandbox(seed=6, days=7).expected(since, until)


def test_two_weeks_cover_every_shape_the_connector_must_handle() -> None:
    rows = KucoinSandbox(seed=1, days=14).expected(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 15, tzinfo=UTC))
    assert set(SPELLINGS) <= {row["bizType"] for row in rows}
    assert {"Exchange", "TRADE_EXCHANGE", "Sub-account transfer", "SUB_TRANSFER"} <= {row["bizType"] for row in rows}
    assert "1INCH" in {row["currency"] for row in rows}
    assert any(re.fullmatch(r"\d+\.\d{18}", row["amount"]) for row in rows if row["currency"] == "ETH")
    contexts = [row["context"] for row in rows]
    assert "" in contexts and any(c.startswith('{"') for c in contexts) and any(c.startswith("{'") for c in contexts)
    assert any('"orderId"' in c and '"tradeId"' not in c and '"symbol"' in c for c in contexts)  # legs by orderId
    assert max(Counter(row["createdAt"] for row in rows).values()) >= 14
    days = Counter((row["createdAt"] - JAN1) // DAY_MS for row in rows)
    assert [d for d in range(14) if d not in days] == [3, 4, 10, 11]
    edges = {(row["createdAt"] - JAN1) % DAY_MS for row in rows}
    assert {0, DAY_MS // 2, DAY_MS - 1} <= edges
    assert {biz_key(row["bizType"]) for row in rows} >= {"tradeexchange", "subaccounttransfer", "airdropfork"}


def test_pages_come_newest_first_in_the_documented_envelope(client: Client) -> None:
    http = client(days=2)
    status, body = page(http, startAt=JAN1, endAt=JAN1 + DAY_MS - 1, pageSize=10, currentPage=2)
    data = body["data"]
    assert (status, body["code"], data["currentPage"], data["pageSize"]) == (200, "200000", 2, 10)
    assert data["totalPage"] == -(-data["totalNum"] // 10) and len(data["items"]) == 10
    times = [(item["createdAt"], item["id"]) for item in data["items"]]
    assert times == sorted(times, reverse=True)
    assert all(isinstance(item["amount"], str) and isinstance(item["createdAt"], int) for item in data["items"])


def test_both_bounds_are_inclusive(client: Client) -> None:
    http = client(days=2)
    _, at_midnight = page(http, startAt=JAN1 + DAY_MS, endAt=JAN1 + DAY_MS)
    _, before = page(http, startAt=JAN1 + DAY_MS - 1, endAt=JAN1 + DAY_MS - 1)
    assert {item["createdAt"] for item in at_midnight["data"]["items"]} == {JAN1 + DAY_MS}
    assert {item["createdAt"] for item in before["data"]["items"]} == {JAN1 + DAY_MS - 1}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"startAt": JAN1, "endAt": JAN1 + DAY_MS + 1}, "cannot exceed 24 hours"),
        ({"startAt": JAN1, "endAt": JAN1 + DAY_MS, "pageSize": 501}, "pageSize"),
        ({"startAt": JAN1, "endAt": JAN1 + DAY_MS, "pageSize": 9}, "pageSize"),
        ({"startAt": JAN1, "currency": ",".join(f"C{i}" for i in range(11))}, "at most 10"),
    ],
)
def test_parameter_errors_are_400100_sent_with_http_200(client: Client, params: dict[str, Any], message: str) -> None:
    status, body = page(client(days=2), **params)
    assert (status, body["code"]) == (200, "400100") and message in body["msg"]


def test_exactly_24_hours_is_allowed(client: Client) -> None:
    status, body = page(client(days=2), startAt=JAN1, endAt=JAN1 + DAY_MS)
    assert (status, body["code"]) == (200, "200000") and body["data"]["totalNum"] > 0


def test_unsigned_requests_are_refused_and_the_server_time_follows_the_clock_offset(client: Client) -> None:
    http = client(days=2)
    unsigned = httpx.get(str(http.base_url).rstrip("/") + LEDGERS)
    assert (unsigned.status_code, unsigned.json()["code"]) == (401, "400001")
    http.sandbox.clock_offset_ms = -30_000  # type: ignore[attr-defined]
    assert http.get("/api/v1/timestamp").json()["data"] == pytest.approx(time.time() * 1000 - 30_000, abs=2000)


def test_the_weight_budget_is_reported_and_refused_with_429000(client: Client) -> None:
    http = client(days=2, rate_limit=RateLimit(limit=25, period=5.0), weight=10)
    answers = [http.get(LEDGERS, params={"startAt": JAN1}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert [a.headers["gw-ratelimit-remaining"] for a in answers] == ["15", "5", "5"]
    assert answers[2].json() == {"code": "429000", "msg": "Too Many Requests"}
    assert {a.headers["gw-ratelimit-limit"] for a in answers} == {"25"}
    assert 0 < int(answers[2].headers["gw-ratelimit-reset"]) <= 5000


def test_the_sandbox_runs_as_a_command_for_a_user_to_try() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "ledgerport_kucoin.sandbox", "--days", "3"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", banner)
        assert url and "2024-01-01 .. 2024-01-04" in banner
        assert httpx.get(url.group() + "/api/v1/timestamp").json()["code"] == "200000"
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()  # type: ignore[union-attr]
