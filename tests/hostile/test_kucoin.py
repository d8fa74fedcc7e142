"""The KuCoin connector against its own sandbox misbehaving (`KucoinSandbox(hostile=...)`): each way
ends in a clear error naming the window or the record, or in the complete result, never in a partial
one reported as success."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ledgerport_kucoin import KucoinConnector
from ledgerport_kucoin.auth import signed_passphrase
from ledgerport_kucoin.paging import bounds, plan
from ledgerport_kucoin.sandbox import KucoinSandbox
from ledgerport_kucoin.settings import Settings
from sample import FAST_RETRY

from ledgerport import Registry, SandboxServer, Secret, SourceError, SyncContext, SyncReport, SyncRequest, sync

SINCE = datetime(2024, 1, 1, tzinfo=UTC)
UNTIL = datetime(2024, 1, 3, tzinfo=UTC)
WINDOW = r"window 2024-01-01T00:00:00\+00:00 \.\. 2024-01-01T16:00:00\+00:00"


@pytest.fixture
def registry() -> Registry:
    return Registry.load(env={"LEDGERPORT_PLUGINS": "kucoin,csv"})


@pytest.fixture
def served() -> Iterator[Callable[..., tuple[KucoinSandbox, str]]]:
    servers: list[SandboxServer] = []

    def start(**options: Any) -> tuple[KucoinSandbox, str]:
        sandbox = KucoinSandbox(days=3, rate_limit=None, **options)
        servers.append(sandbox.serve().start())
        return sandbox, servers[-1].url

    yield start
    for server in servers:
        server.stop()


def run(registry: Registry, sandbox: KucoinSandbox, url: str, out: Path, **overrides: Any) -> SyncReport:
    """A sync of `[SINCE, UNTIL)` in pages of 10 into `out`."""
    fields: dict[str, Any] = {
        "source": "kucoin",
        "since": SINCE,
        "until": UNTIL,
        "sinks": [f"csv:{out}"],
        "base_url": url,
        "retry": FAST_RETRY,
        "options": ["kucoin.page_size=10"],
        **overrides,
    }
    return sync(SyncRequest(**fields), registry=registry, env=sandbox.credentials.env())


def ids(out: Path) -> list[str]:
    return [line.split(",")[2] for line in out.read_text().splitlines()[1:]]


@pytest.mark.parametrize(
    ("hostile", "options", "error"),
    [
        ("lying-totals", {}, rf"stream classic, {WINDOW}: KuCoin said it holds 50 entries on 5 pages, but page 6"),
        ("ignores-page", {}, rf"stream classic, {WINDOW}: page 2 brings only rows of earlier pages \(currentPage"),
        ("ignores-page", {"account": "multi", "hide": "classic"}, rf"stream hf-spot, {WINDOW}: page 2 brings only"),
        ("seconds", {}, r"entries returned for 2024-01-01T00:00:00\+00:00 \.\. .* lie outside it"),
        ("seconds", {"account": "multi", "hide": "classic"}, r"entries returned for .* lie outside it \(e\.g\. 'hf:"),
        ("duplicates", {}, r"stream classic gave entry id '\w+' twice with different content: .*, then "),
        ("duplicates", {"account": "multi", "hide": "classic"}, r"stream hf-spot gave entry id 'hf:\d+' twice"),
        ("huge", {}, r"/api/v1/accounts/ledgers: the answer is larger than 67,108,864 bytes"),
    ],
)
def test_a_lying_ledger_stops_the_sync_before_anything_is_written(
    registry: Registry, served: Callable[..., Any], tmp_path: Path, hostile: str, options: dict[str, Any], error: str
) -> None:
    sandbox, url = served(hostile=hostile, **options)
    out = tmp_path / "out.csv"
    with pytest.raises(SourceError, match=error):
        run(registry, sandbox, url, out)
    assert ids(out) == [], "the first window was refused: nothing of it may be written"


@pytest.mark.parametrize("account", ["classic", "multi"])
def test_the_same_sandbox_honest_in_pages_of_10_gives_the_complete_result(
    registry: Registry, served: Callable[..., Any], tmp_path: Path, account: str
) -> None:
    sandbox, url = served(account=account)
    run(registry, sandbox, url, tmp_path / "out.csv")
    expected = [row["id"] for row in sandbox.expected(SINCE, UNTIL)]
    if account == "multi":
        expected += [f"hf:{row['id']}" for row in sandbox.rows("hf-spot", SINCE, UNTIL)]
        expected += [f"margin:{row['id']}" for row in sandbox.rows("hf-margin", SINCE, UNTIL)]
        expected += [f"futures:{row['offset']}" for row in sandbox.rows("futures", SINCE, UNTIL)]
    assert sorted(ids(tmp_path / "out.csv")) == sorted(expected)


@pytest.mark.parametrize(("options", "stream"), [({}, "classic"), ({"account": "multi", "hide": "classic"}, "hf-spot")])
def test_pages_that_never_end_stop_at_the_cap(
    registry: Registry,
    served: Callable[..., Any],
    capped_reader: Callable[..., Any],
    options: dict[str, Any],
    stream: str,
) -> None:
    sandbox, url = served(hostile="endless", **options)
    settings = Settings(
        api_key=Secret(sandbox.credentials.key),
        api_secret=Secret(sandbox.credentials.secret),
        api_passphrase=Secret(sandbox.credentials.passphrase),
        page_size=10,
    )
    ctx = SyncContext(source="kucoin", title="KuCoin", account="default", base_url=url)
    read, _ = capped_reader(KucoinConnector(settings, ctx), ctx, registry, plan(SINCE, UNTIL)[0], 20)
    with pytest.raises(SourceError, match=rf"still brings new entries after 20 pages \(stream {stream}\)"):
        read()
    assert sandbox.stats.pages <= 20 + 3  # the cap, and the empty ledgers read before the endless one


def test_a_dripping_server_cannot_keep_a_sync_alive_past_the_deadline(
    registry: Registry, dripping: Callable[..., str], tmp_path: Path
) -> None:
    sandbox = KucoinSandbox(days=3, rate_limit=None)
    url = dripping(sandbox.handle)
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"the answer did not arrive within 1s"):
        run(registry, sandbox, url, tmp_path / "out.csv", timeout=0.25)
    assert time.monotonic() - started < 5  # the first answer alone would take over 4 s
    assert ids(tmp_path / "out.csv") == []


def test_an_echoing_server_never_gets_a_secret_into_the_error_logs_or_outputs(
    registry: Registry,
    served: Callable[..., Any],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    no_secret_in: Callable[..., None],
) -> None:
    sandbox, url = served(hostile="echo")
    credentials = sandbox.credentials
    secrets = [
        credentials.secret,
        credentials.passphrase,
        signed_passphrase(credentials.secret, credentials.passphrase, 3),
    ]
    out = tmp_path / "out.csv"
    with caplog.at_level(logging.DEBUG), pytest.raises(SourceError, match=r"upstream failed; request was") as info:
        run(registry, sandbox, url, out)
    assert "kc-api-passphrase" in str(info.value).lower()  # the echo is quoted, its secrets masked
    no_secret_in(secrets, str(info.value), caplog.text, out.read_text())


def test_a_full_last_page_is_checked_by_asking_the_next_which_an_honest_server_answers_empty(
    registry: Registry, served: Callable[..., Any], tmp_path: Path
) -> None:
    sandbox, url = served()
    served_rows = [len(sandbox.ledger.query(*bounds(window), None)) for window in plan(SINCE, UNTIL)]
    size = served_rows[0]  # the first window fills its one page exactly
    run(registry, sandbox, url, tmp_path / "out.csv", options=[f"kucoin.page_size={size}"])
    assert sorted(ids(tmp_path / "out.csv")) == sorted(row["id"] for row in sandbox.expected(SINCE, UNTIL))
    full = [-(-n // size) + (n % size == 0 and n > 0) for n in served_rows]  # a full last page: one more asked
    assert sandbox.stats.pages == sum(full) and full[0] == 2
