"""Refusals beyond the classic ones: the older rate-limit code, a numeric clock-skew code, restricted accounts and
regions, and a refused signature on a query that is more likely the culprit than the secret."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from ledgerport_kucoin import Settings, answers
from ledgerport_kucoin.auth import KucoinAuth

from ledgerport import AuthenticationError, PageRequest, RateLimitedError, Secret, SourceError

PLAIN = PageRequest(path="/api/v1/accounts/ledgers", params=(("startAt", "1"), ("endAt", "2")))
COMMA = PageRequest(path="/api/v1/accounts/ledgers", params=(("currency", "BTC,ETH"), ("startAt", "1")))


def answer(status: int, body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def test_200002_is_waited_out_like_429000() -> None:
    with pytest.raises(RateLimitedError, match="code 200002") as info:
        answers.read(
            PLAIN, answer(200, {"code": "200002", "msg": "Too many requests"}, **{"gw-ratelimit-reset": "900"})
        )
    assert info.value.retry_after == 0.9


def test_a_numeric_clock_skew_code_is_recovered_from_with_the_servers_time() -> None:
    settings = Settings(api_key=Secret("k"), api_secret=Secret("s"), api_passphrase=Secret("p"))
    auth = KucoinAuth(settings, "https://api.kucoin.com", clock=lambda: 1_700_000_000.0)
    flow = auth.sync_auth_flow(httpx.Request("GET", "https://api.kucoin.com/api/v1/accounts"))
    first = next(flow).headers["KC-API-TIMESTAMP"]
    time_request = flow.send(httpx.Response(401, json={"code": 400002, "msg": "KC-API-TIMESTAMP Invalid"}))
    assert time_request.url.path == "/api/v1/timestamp"
    again = flow.send(httpx.Response(200, json={"code": "200000", "data": 1_700_000_090_000}))
    assert (first, again.headers["KC-API-TIMESTAMP"]) == ("1700000000000", "1700000090000")
    with pytest.raises(AuthenticationError, match=r"KC-API-TIMESTAMP.*code 400002"):
        answers.read(PLAIN, answer(401, {"code": 400002, "msg": "Invalid"}))


def test_a_restricted_account_or_region_gets_its_cause() -> None:
    with pytest.raises(AuthenticationError, match="identity verification not completed, or a country or region"):
        answers.read(PLAIN, answer(200, {"code": "400303", "msg": "restricted"}))
    blocked = httpx.Response(
        403, text="<html>The request could not be satisfied</html>", headers={"content-type": "text/html"}
    )
    with pytest.raises(SourceError, match="KuCoin blocks access from some countries and regions"):
        answers.read(PLAIN, blocked)


def test_a_refused_signature_blames_the_secret_only_when_the_query_is_plain() -> None:
    refused = {"code": "400005", "msg": "Invalid KC-API-SIGN"}
    with pytest.raises(AuthenticationError, match="the API secret is probably wrong"):
        answers.read(PLAIN, answer(401, refused))
    with pytest.raises(AuthenticationError) as info:
        answers.read(COMMA, answer(401, refused))
    assert "secret is probably wrong" not in str(info.value)
    assert "currency=BTC,ETH" in str(info.value) and "the query what KuCoin read differently" in str(info.value)
