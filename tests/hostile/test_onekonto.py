"""The 1Konto connector against its own sandbox misbehaving (`Sandbox(hostile=...)`): each way ends in a
clear error naming the window or the record, or in the complete result, never in a partial one
reported as success. 1Konto's answer is a bare array: there are no totals to lie about."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ledgerport_onekonto import OneKontoConnector, Settings
from ledgerport_onekonto.api import password_digest
from ledgerport_onekonto.paging import plan
from ledgerport_onekonto.sandbox import Ledger, Sandbox, generate_ledger
from sample import FAST_RETRY

from ledgerport import (
    BadRecordError,
    Registry,
    SandboxRequest,
    SandboxResponse,
    SandboxServer,
    Secret,
    SourceError,
    SyncContext,
    SyncReport,
    SyncRequest,
    sync,
)

SINCE = datetime(2024, 1, 1, tzinfo=UTC)
UNTIL = datetime(2024, 1, 3, tzinfo=UTC)
ACCOUNT = "ACC-1"
USER, PASSWORD = "ada@example.com", "correct horse battery staple"
ENV = {"ONEKONTO_USER": USER, "ONEKONTO_PASSWORD": PASSWORD}
FIRST = r"2024-01-01T00:00:00\+00:00 \.\. 2024-01-02T00:00:00\+00:00"


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    return generate_ledger(account=ACCOUNT, seed=3, since=SINCE, until=UNTIL, events=200)


@pytest.fixture
def registry() -> Registry:
    return Registry.load(env={"LEDGERPORT_PLUGINS": "onekonto,csv"})


class Recorded:
    """A sandbox's handler that remembers the tokens it issued, to look for them where they must not be."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox, self.tokens = sandbox, list[str]()

    def __call__(self, request: SandboxRequest) -> SandboxResponse:
        response = self.sandbox(request)
        if request.method == "POST" and response.status == 200:
            self.tokens.append(json.loads(response.body)["token"])
        return response


@pytest.fixture
def served(ledger: Ledger) -> Iterator[Callable[..., tuple[Recorded, str]]]:
    servers: list[SandboxServer] = []

    def start(**options: Any) -> tuple[Recorded, str]:
        handler = Recorded(Sandbox(ledger, user=USER, password=PASSWORD, **options))
        servers.append(SandboxServer(handler).start())
        return handler, servers[-1].url

    yield start
    for server in servers:
        server.stop()


def run(registry: Registry, url: str, out: Path, **overrides: Any) -> SyncReport:
    """A sync of `[SINCE, UNTIL)` in pages of 10 into `out`."""
    fields: dict[str, Any] = {
        "source": "onekonto",
        "since": SINCE,
        "until": UNTIL,
        "sinks": [f"csv:{out}"],
        "base_url": url,
        "account": ACCOUNT,
        "retry": FAST_RETRY,
        "options": ["onekonto.max=10"],
        **overrides,
    }
    return sync(SyncRequest(**fields), registry=registry, env=ENV)


def ids(out: Path) -> list[str]:
    return [line.split(",")[2] for line in out.read_text().splitlines()[1:]]


@pytest.mark.parametrize(
    ("hostile", "error"),
    [
        (
            "ignores-page",
            rf"window {FIRST}: asked for transactions from ordering \d+, the server answered ordering \d+",
        ),
        ("seconds", r"record '[^']+': field 'eventTime': not an ISO 8601 UTC date-time: 170406"),
        ("duplicates", r"stream ledger gave entry id '[^']+' twice with different content: .*, then "),
        ("huge", r"/api/v1/accounting/ledger/ACC-1: the answer is larger than 67,108,864 bytes"),
    ],
)
def test_a_lying_ledger_stops_the_sync_before_anything_is_written(
    registry: Registry, served: Callable[..., Any], tmp_path: Path, hostile: str, error: str
) -> None:
    _, url = served(hostile=hostile)
    out = tmp_path / "out.csv"
    with pytest.raises(SourceError, match=error):
        run(registry, url, out)
    assert ids(out) == [], "the first window was refused: nothing of it may be written"


def test_the_same_sandbox_honest_in_pages_of_10_gives_the_complete_result(
    registry: Registry, served: Callable[..., Any], ledger: Ledger, tmp_path: Path
) -> None:
    _, url = served()
    run(registry, url, tmp_path / "out.csv")
    assert sorted(ids(tmp_path / "out.csv")) == sorted(t.transaction_id for t in ledger.between(SINCE, UNTIL))


def test_pages_that_never_end_stop_at_the_cap(
    registry: Registry, served: Callable[..., Any], capped_reader: Callable[..., Any]
) -> None:
    _, url = served(hostile="endless")
    ctx = SyncContext(source="onekonto", title="1Konto", account=ACCOUNT, base_url=url)
    connector = OneKontoConnector(Settings(user=USER, password=Secret(PASSWORD), max=10), ctx)
    read, stats = capped_reader(connector, ctx, registry, plan(SINCE, UNTIL, UNTIL - SINCE)[0], 20)
    with pytest.raises(SourceError, match=r"still brings new entries after 20 pages \(stream ledger\)"):
        read()
    assert stats.requests == 20


def test_a_dripping_server_cannot_keep_a_sync_alive_past_the_deadline(
    registry: Registry, ledger: Ledger, dripping: Callable[..., str], tmp_path: Path
) -> None:
    url = dripping(Sandbox(ledger, user=USER, password=PASSWORD))
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"the answer did not arrive within 1s"):
        run(registry, url, tmp_path / "out.csv", timeout=0.25)
    assert time.monotonic() - started < 5  # the login's answer alone would take over 4 s
    assert ids(tmp_path / "out.csv") == []


@pytest.mark.parametrize(
    ("hostile", "error"),
    [
        ("echo", r"HTTP 500: upstream failed; request was .*'authorization': 'Bearer \*{8}'"),
        ("echo-login", r"jwt: HTTP 500: upstream failed; request was \{.*\"password\":\"\*{8}\"\}"),
    ],
)
def test_an_echoing_server_never_gets_a_secret_into_the_error_logs_or_outputs(
    registry: Registry,
    served: Callable[..., Any],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    no_secret_in: Callable[..., None],
    hostile: str,
    error: str,
) -> None:
    handler, url = served(hostile=hostile)
    out = tmp_path / "out.csv"
    with caplog.at_level(logging.DEBUG), pytest.raises(SourceError, match=error) as info:
        run(registry, url, out)
    assert not isinstance(info.value, BadRecordError)
    no_secret_in([PASSWORD, password_digest(PASSWORD), *handler.tokens], str(info.value), caplog.text, out.read_text())
