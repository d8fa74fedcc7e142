"""The connector class beyond its stream: where a first sync starts, its demo, and what it imports."""

from __future__ import annotations

import contextlib
import logging
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from ledgerport_kucoin import KucoinConnector, paging
from ledgerport_kucoin.discovery import PROBES
from ledgerport_kucoin.sandbox import KucoinSandbox

import ledgerport
from ledgerport import DemoSource

Serve = Callable[..., tuple[KucoinSandbox, str]]


def test_a_first_sync_without_since_starts_where_kucoin_history_does_without_a_warning(
    serve: Serve, run: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    today = datetime.now(UTC).date()
    sandbox, url = serve(seed=21, start=today - timedelta(days=3), days=3, rate_limit=None)
    with caplog.at_level(logging.WARNING, logger="ledgerport.kucoin"):
        report, rows = run(sandbox, url, None, None)
    # the one warning a sync of these rows gives: a repaid loan's interest is not split out (mapping.counter_of)
    assert [
        r.getMessage() for r in caplog.records if "returns lent coins with their interest" not in r.getMessage()
    ] == []
    since, until = report.since, report.until
    assert since is not None and since.time() == time(0) and since.tzinfo is UTC
    # history_start asked the clock a moment after the sync fixed `until`
    assert until - paging.HISTORY < since <= until - paging.HISTORY + timedelta(days=1, seconds=60)
    assert [row["entry_id"] for row in rows] == [row["id"] for row in sandbox.expected(since, until)]
    assert rows and report.streams == ("classic",)
    # every request a window's, but the account probes and the three for balances (the range reaches the present)
    assert report.windows == report.requests - PROBES - 3 == len(paging.plan(since, until, now=until)) >= 364


def test_the_demo_serves_two_recent_months_with_a_price_file(tmp_path: Path) -> None:
    with contextlib.ExitStack() as stack:
        source = KucoinConnector.demo(stack, tmp_path)
        assert isinstance(source, DemoSource)
        assert source.connector == KucoinConnector.name and source.account is None
        midnight = datetime.combine(datetime.now(UTC).date(), time(0), UTC)
        assert (source.since, source.until) == (midnight - timedelta(days=60), midnight)
        [prices] = source.prices
        assert prices.parent == tmp_path and prices.stat().st_size > 0
        report = ledgerport.sync(
            ledgerport.SyncRequest(
                source=source.connector,
                since=source.since,
                until=source.until,
                base_url=source.base_url,
                sinks=[f"csv:{tmp_path / 'demo.csv'}"],
            ),
            registry=ledgerport.Registry.load(env={"LEDGERPORT_PLUGINS": "kucoin,csv"}),
            env=source.env,
        )
    assert report.entries > 500 and report.windows == len(paging.plan(source.since, source.until))


def test_importing_the_plugin_leaves_the_sandbox_unloaded() -> None:
    """The engine imports every plugin for any command: the server code is for the demo and tests only."""
    code = "import sys, ledgerport_kucoin; print(*sorted(m for m in sys.modules if m.startswith('ledgerport_kucoin')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert "ledgerport_kucoin.streams" in loaded
    assert not [name for name in loaded if name.startswith("ledgerport_kucoin.sandbox")]
