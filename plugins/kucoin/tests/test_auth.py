"""Signing: a known-answer vector computed outside Python, the headers on the wire, and refusals end to end."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from ledgerport_kucoin import Settings, paging
from ledgerport_kucoin.auth import KucoinAuth, sign
from ledgerport_kucoin.discovery import PROBES
from ledgerport_kucoin.sandbox import Credentials, KucoinSandbox

from ledgerport import AuthenticationError, Secret, Window
from ledgerport.cli import cli

SECRET = "f03a5284-5c39-4aaa-9b20-dea10bdcf8e3"
TARGET = (
    "/api/v1/accounts/ledgers?currency=BTC%2C1INCH&startAt=1704067199999&endAt=1704110400000&currentPage=2&pageSize=500"
)
# Computed by hand with openssl, not with the code under test:
#   printf '%s' "1700000000123GET$TARGET" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64
#   printf '%s' 'my-passphrase' | openssl dgst -sha256 -hmac "$SECRET" -binary | base64
#   printf '%s' '1700000000123POST/api/v1/orders{"side":"buy"}' | openssl dgst -sha256 -hmac "$SECRET" -binary | base64
SIGNATURE = "f36MSa8HWqy/UnmL6gsbpJfw8k6Oajo7zj9R9T4GIbs="
# What KuCoin verifies is the query decoded, so the request above is signed over SIGNED_TARGET:
#   printf '%s' "1700000000123GET$SIGNED_TARGET" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64
SIGNED_TARGET = (
    "/api/v1/accounts/ledgers?currency=BTC,1INCH&startAt=1704067199999&endAt=1704110400000&currentPage=2&pageSize=500"
)
REQUEST_SIGNATURE = "RemhiWdSfYpRN7UYVy7D2Mw+d/nf/PbaC35Q0KS3kqw="
PASSPHRASE = "sVNmif2caUE5SCRJCgYlwsc6lQaT8d/P6TZ8yPqSYoU="
POST_SIGNATURE = "R82D6r/TJ5XoDdKxn6CvecxTAEWkcoDtxoOKTsrWEN8="

SINCE = datetime(2024, 1, 1, tzinfo=UTC)
UNTIL = datetime(2024, 1, 3, tzinfo=UTC)


def settings(**changes: Any) -> Settings:
    values: dict[str, Any] = {
        "api_key": Secret("key-1"),
        "api_secret": Secret(SECRET),
        "api_passphrase": Secret("my-passphrase"),
        **changes,
    }
    return Settings(**values)


def signed_request(auth: KucoinAuth, request: httpx.Request) -> httpx.Request:
    return next(auth.sync_auth_flow(request))


def test_sign_matches_the_vector_computed_with_openssl() -> None:
    assert sign(SECRET, f"1700000000123GET{TARGET}") == SIGNATURE
    assert sign(SECRET, "my-passphrase") == PASSPHRASE
    assert sign(SECRET, '1700000000123POST/api/v1/orders{"side":"buy"}') == POST_SIGNATURE


@pytest.mark.parametrize("version", [2, 3])
def test_the_request_the_engine_sends_is_signed_over_its_path_and_decoded_query(version: int) -> None:
    page = paging.first_request(
        settings(currency=("BTC", "1INCH"), key_version=version),
        Window(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, 12, tzinfo=UTC)),
    )
    params = [(name, "2" if name == "currentPage" else value) for name, value in page.params]
    client = httpx.Client(base_url="https://api.kucoin.com")
    request = client.build_request(page.method, page.path, params=params)
    auth = KucoinAuth(settings(key_version=version), "https://api.kucoin.com", clock=lambda: 1700000000.123)
    headers = signed_request(auth, request).headers
    assert request.url.raw_path.decode() == TARGET
    assert (headers["KC-API-KEY"], headers["KC-API-TIMESTAMP"], headers["KC-API-KEY-VERSION"]) == (
        "key-1",
        "1700000000123",
        str(version),
    )
    assert (headers["KC-API-SIGN"], headers["KC-API-PASSPHRASE"]) == (REQUEST_SIGNATURE, PASSPHRASE)
    assert sign(SECRET, f"1700000000123GET{SIGNED_TARGET}") == REQUEST_SIGNATURE


def test_a_body_is_part_of_the_signature() -> None:
    auth = KucoinAuth(settings(), "https://api.kucoin.com", clock=lambda: 1700000000.123)
    request = httpx.Request("POST", "https://api.kucoin.com/api/v1/orders", content=b'{"side":"buy"}')
    assert signed_request(auth, request).headers["KC-API-SIGN"] == POST_SIGNATURE


def test_the_secret_shows_nowhere(caplog: pytest.LogCaptureFixture) -> None:
    auth = KucoinAuth(settings(), "https://api.kucoin.com")
    assert SECRET not in repr(auth) and SECRET not in repr(settings()) and "my-passphrase" not in repr(settings())


@pytest.mark.parametrize("version", [2, 3])
def test_key_versions_2_and_3_are_accepted_by_the_sandbox(
    version: int, serve: Callable[..., tuple[KucoinSandbox, str]], run: Callable[..., Any]
) -> None:
    sandbox, url = serve(days=2, credentials=Credentials(version=version))
    report, rows = run(sandbox, url, SINCE, UNTIL)
    assert [row["entry_id"] for row in rows] == [row["id"] for row in sandbox.expected(SINCE, UNTIL)]
    assert report.requests == len(paging.plan(SINCE, UNTIL, now=UNTIL)) + PROBES and sandbox.stats.refused == 0


@pytest.mark.parametrize(
    ("wrong", "cause"),
    [
        ("KUCOIN_API_SECRET", "the API secret is probably wrong"),
        ("KUCOIN_API_PASSPHRASE", "the passphrase is wrong"),
        ("KUCOIN_API_KEY", "the API key was not found"),
    ],
)
def test_refused_credentials_stop_the_sync_naming_the_cause_not_the_secret(
    wrong: str, cause: str, serve: Callable[..., tuple[KucoinSandbox, str]], run: Callable[..., Any]
) -> None:
    sandbox, url = serve(days=2)
    env = {**sandbox.credentials.env(), wrong: "wrong-value-4242"}
    with pytest.raises(AuthenticationError, match=cause) as info:
        run(sandbox, url, SINCE, UNTIL, env=env)
    assert "wrong-value-4242" not in str(info.value) and sandbox.credentials.secret not in str(info.value)
    assert sandbox.stats.refused == 1  # stopped at once, never retried


def test_a_wrong_secret_on_the_command_line_names_the_cause_and_hides_the_secret(
    serve: Callable[..., tuple[KucoinSandbox, str]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
    only_plugins: Callable[[str], None],
) -> None:
    sandbox, url = serve(days=2)
    for name, value in sandbox.credentials.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("KUCOIN_API_SECRET", "wrong-value-4242")
    only_plugins("kucoin,csv")
    result = CliRunner().invoke(
        cli,
        [
            "sync",
            "kucoin",
            "--base-url",
            url,
            "--since",
            "2024-01-01",
            "--until",
            "2024-01-03",
            "--sink",
            f"csv:{tmp_path / 'out.csv'}",
        ],
    )
    assert result.exit_code == 1
    assert "authentication failed: the signature was refused" in result.output
    assert "wrong-value-4242" not in result.output


def test_clock_skew_is_recovered_with_the_servers_time_and_remembered(
    serve: Callable[..., tuple[KucoinSandbox, str]], run: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    sandbox, url = serve(days=2)
    sandbox.clock_offset_ms = 90_000
    report, rows = run(sandbox, url, SINCE, UNTIL)
    assert [row["entry_id"] for row in rows] == [row["id"] for row in sandbox.expected(SINCE, UNTIL)]
    assert sandbox.stats.refused == 1  # only the first request: the offset is kept for the rest
    assert report.retries == 0
    assert "local clock is 90.0s behind the server's" in caplog.text


def test_a_skew_the_server_time_cannot_fix_is_an_authentication_error(
    serve: Callable[..., tuple[KucoinSandbox, str]], run: Callable[..., Any]
) -> None:
    class Drifting(KucoinSandbox):
        def now_ms(self) -> int:
            self.clock_offset_ms += 60_000  # a clock that never agrees with itself
            return super().now_ms()

    sandbox = Drifting(days=2)
    with sandbox.serve() as server, pytest.raises(AuthenticationError, match="KC-API-TIMESTAMP"):
        run(sandbox, server.url, SINCE, UNTIL)
