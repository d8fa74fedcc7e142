"""Signing the query as KuCoin verifies it (decoded), against vectors from the official SDK's own signer, and a
sync with a comma in its query against the sandbox, which checks signatures the way KuCoin does.

The vectors were computed with kucoin-universal-sdk 1.3.2 (PyPI), outside the project, by its own
transport (`DefaultTransport.process_request`, which signs `raw_url` = path + "?" + the un-encoded
`key=value&...` and sends `urlencode(...)`) and signer (`KcSigner`), its clock fixed with a mock:

    uv venv /tmp/kcsdk && VIRTUAL_ENV=/tmp/kcsdk uv pip install kucoin-universal-sdk==1.3.2
    opt = ClientOptionBuilder().set_key("sandbox-key").set_secret("sandbox-secret")
              .set_passphrase("sandbox-passphrase").set_spot_endpoint("https://api.kucoin.com").build()
    transport = DefaultTransport(opt, "test")
    with mock.patch("kucoin_universal_sdk.internal.infra.default_signer.time.time", return_value=1704200000.123):
        request = transport.process_request(GetSpotLedgerReq(currency="BTC,ETH", start_at=1704153600000,
                      end_at=1704239999999, current_page=1, page_size=500), False, "/api/v1/accounts/ledgers",
                      "https://api.kucoin.com", "GET", False)
        request.url, request.headers["KC-API-SIGN"], request.headers["KC-API-PASSPHRASE"]

(and the same with `biz_type="Sub-account transfer"` and with no filter).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from ledgerport_kucoin import Settings, paging
from ledgerport_kucoin.auth import KucoinAuth, signed_target
from ledgerport_kucoin.sandbox import KucoinSandbox

from ledgerport import Secret, Window, from_ms
from ledgerport.cli import cli

SDK_TIMESTAMP = "1704200000123"
SDK_PASSPHRASE = "Qo0+NGP0Y5xTzNTlFICsAj5wBb70xj/Y11kvHEP7BXk="
LEDGER = "/api/v1/accounts/ledgers"
BOUNDS = "startAt=1704153600000&endAt=1704239999999&currentPage=1&pageSize=500"
SDK_VECTORS = [
    # (settings, the URL the SDK sends, KC-API-SIGN the SDK computes)
    ({"currency": ("BTC", "ETH")}, f"currency=BTC%2CETH&{BOUNDS}", "pIb9Cpye/WjNshYwuANXZ8ukQuPt/IcFU7oH8pg/PLA="),
    (
        {"biz_type": "Sub-account transfer"},
        f"bizType=Sub-account+transfer&{BOUNDS}",
        "R2VsRpm8OMuin4NMhYjVLeSCq+Y6z73QkHEkXQ5bdvg=",
    ),
    ({}, BOUNDS, "OtMSY7N1ONblfAlWFcpCKfRJ/1jzBFKvyspqA1MgjF8="),
]
WINDOW = Window(from_ms(1704153600001), from_ms(1704239999999))
"""Asked as startAt = start − 1 ms, endAt = end: the bounds of the SDK's request."""


def sandbox_settings(**changes: Any) -> Settings:
    values: dict[str, Any] = {
        "api_key": Secret("sandbox-key"),
        "api_secret": Secret("sandbox-secret"),
        "api_passphrase": Secret("sandbox-passphrase"),
        **changes,
    }
    return Settings(**values)


@pytest.mark.parametrize(("changes", "sdk_query", "sdk_signature"), SDK_VECTORS, ids=["comma", "space", "plain"])
def test_requests_are_signed_as_the_official_sdk_signs_them(
    changes: dict[str, Any], sdk_query: str, sdk_signature: str
) -> None:
    settings = sandbox_settings(**changes)
    page = paging.first_request(settings, WINDOW)
    request = httpx.Client(base_url="https://api.kucoin.com").build_request("GET", page.path, params=list(page.params))
    signed = next(KucoinAuth(settings, "https://api.kucoin.com", clock=lambda: 1704200000.123).sync_auth_flow(request))
    assert signed.headers["KC-API-TIMESTAMP"] == SDK_TIMESTAMP and signed.headers["KC-API-KEY-VERSION"] == "3"
    assert (signed.headers["KC-API-SIGN"], signed.headers["KC-API-PASSPHRASE"]) == (sdk_signature, SDK_PASSPHRASE)
    # the wire carries the encoded form (httpx writes a space as %20, the SDK as +: KuCoin decodes both)
    path, _, query = request.url.raw_path.decode().partition("?")
    assert path == LEDGER and signed_target(path, query) == signed_target(path, sdk_query)
    assert "," not in query and " " not in query


def test_the_sandbox_checks_the_signature_over_the_decoded_query(
    serve: Callable[..., tuple[KucoinSandbox, str]],
) -> None:
    sandbox, url = serve(days=2)
    params = {"currency": "BTC,ETH", "startAt": "1704067200000", "endAt": "1704070800000"}
    with httpx.Client(base_url=url, auth=KucoinAuth(sandbox_settings(), url)) as client:
        assert client.get(LEDGER, params=params).json()["code"] == "200000"
    # the old way, signed over the percent-encoded text, is what KuCoin refuses with 400005
    request = httpx.Request("GET", url + LEDGER, params=params)
    timestamp = str(sandbox.now_ms())
    message = f"{timestamp}GET{request.url.raw_path.decode()}".encode()
    signature = base64.b64encode(hmac.new(b"sandbox-secret", message, hashlib.sha256).digest()).decode()
    passphrase = base64.b64encode(hmac.new(b"sandbox-secret", b"sandbox-passphrase", hashlib.sha256).digest()).decode()
    headers = {
        "KC-API-KEY": "sandbox-key",
        "KC-API-SIGN": signature,
        "KC-API-TIMESTAMP": timestamp,
        "KC-API-PASSPHRASE": passphrase,
        "KC-API-KEY-VERSION": "3",
    }
    refused = httpx.get(str(request.url), headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (401, "400005")


def test_a_sync_with_a_currency_list_works_against_the_sandbox(
    serve: Callable[..., tuple[KucoinSandbox, str]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    only_plugins: Callable[[str], None],
) -> None:
    sandbox, url = serve(seed=8, days=4)
    for name, value in sandbox.credentials.env().items():
        monkeypatch.setenv(name, value)
    only_plugins("kucoin,csv")
    out = tmp_path / "out.csv"
    args = ["sync", "kucoin", "--base-url", url, "--since", "2024-01-01", "--until", "2024-01-05", "--no-state"]
    result = CliRunner().invoke(cli, [*args, "--set", "kucoin.currency=BTC,ETH", "--sink", f"csv:{out}"])
    assert result.exit_code == 0, result.output
    since, until = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 5, tzinfo=UTC)
    expected = [row["id"] for row in sandbox.expected(since, until) if row["currency"] in ("BTC", "ETH")]
    lines = out.read_text(encoding="utf-8").splitlines()[1:]
    assert [line.split(",")[2] for line in lines] == expected and len(expected) > 20
    assert sandbox.stats.refused == 0
