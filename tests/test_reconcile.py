"""A sync that reaches the present compares every holding the source reports with each output's books."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from sample import TOKEN, record
from test_engine import run

from ledgerport import SyncReport
from ledgerport.cli import cli
from ledgerport.engine import plugins

NOW = datetime.now(UTC).replace(microsecond=0)


def ago(minutes: int, rid: str, amount: str, asset: str = "BTC") -> dict[str, object]:
    return record(rid, (NOW - timedelta(minutes=minutes)).replace(tzinfo=None).isoformat(), amount, asset=asset)


LEDGER = [ago(300, "a", "2"), ago(200, "b", "-0.5"), ago(100, "c", "100", asset="USDT"), ago(50, "d", "0.25")]


def rows(report: SyncReport) -> dict[str, tuple[Decimal, Decimal, Decimal, str]]:
    """asset: (books, exchange, difference, how the opening balance is known)."""
    return {r.asset: (r.books, r.exchange, r.difference, r.opening) for r in report.reconciliation}


def d(books: str, exchange: str, difference: str, opening: str) -> tuple[Decimal, Decimal, Decimal, str]:
    return Decimal(books), Decimal(exchange), Decimal(difference), opening


def test_a_full_history_reconciles_to_zero_for_every_holding(
    registry: plugins.Registry, serve: Callable[..., str], tmp_path: Path
) -> None:
    report = run(registry, serve(LEDGER), tmp_path / "out.csv", since=None, until=None, state=tmp_path / "s.db")
    assert rows(report) == {"BTC": d("1.75", "1.75", "0", "history"), "USDT": d("100", "100", "0", "history")}
    assert {r.output for r in report.reconciliation} == {f"csv:{tmp_path / 'out.csv'}"}


def test_a_ledger_that_is_not_read_shows_as_the_holdings_that_differ(
    registry: plugins.Registry, serve: Callable[..., str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    unread = [ago(120, "x1", "3", asset="KCS"), ago(60, "x2", "0.5")]
    with caplog.at_level(logging.WARNING):
        report = run(registry, serve(LEDGER, hidden=unread), tmp_path / "out.csv", since=None, until=None)
    assert rows(report) == {
        "BTC": d("1.75", "2.25", "0.5", "history"),
        "KCS": d("0", "3", "3", "history"),
        "USDT": d("100", "100", "0", "history"),
    }
    warned = [r.getMessage() for r in caplog.records if "does not reconcile" in r.getMessage()]
    assert len(warned) == 2 and any("KCS" in w and "difference 3" in w for w in warned)


def test_a_range_that_ends_in_the_past_is_not_reconciled(
    registry: plugins.Registry, serve: Callable[..., str], tmp_path: Path
) -> None:
    report = run(
        registry, serve(LEDGER), tmp_path / "out.csv", since=NOW - timedelta(hours=6), until=NOW - timedelta(hours=1)
    )
    assert report.reconciliation == ()
    assert report.requests == 2  # the /features probe and one page: no /balances


def test_mid_history_opening_balances_come_from_the_exchange_once_then_gaps_show(
    registry: plugins.Registry, serve: Callable[..., str], tmp_path: Path
) -> None:
    """Without running balances, a sync starting mid-history can only take its opening balances from
    the source; that first comparison proves nothing, but the next run's does."""
    out, state = tmp_path / "out.csv", tmp_path / "s.db"
    hidden: list[dict[str, object]] = []
    url = serve(LEDGER, hidden=hidden)
    first = run(registry, url, out, since=NOW - timedelta(minutes=250), until=None, state=state)
    assert rows(first) == {"BTC": d("1.75", "1.75", "0", "exchange"), "USDT": d("100", "100", "0", "exchange")}
    hidden.append(ago(10, "late-unread", "7", asset="USDT"))  # moves a balance through a ledger nobody reads
    second = run(registry, url, out, since=None, until=None, state=state)
    assert rows(second) == {"BTC": d("1.75", "1.75", "0", "exchange"), "USDT": d("100", "107", "7", "exchange")}


def test_the_json_summary_carries_the_reconciliation_as_exact_text(
    plugin_path: Path, serve: Callable[..., str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TESTEXCHANGE_TOKEN", TOKEN)
    url = serve(LEDGER, hidden=[ago(30, "x", "0.000000000000000001")])
    sync = ["sync", "testexchange", "--base-url", url, "--sink"]
    result = CliRunner().invoke(cli, [*sync, f"csv:{tmp_path / 'o.csv'}", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["reconciliation"][0] == {
        "output": f"csv:{tmp_path / 'o.csv'}",
        "sub_account": "",
        "asset": "BTC",
        "books": "1.75",
        "exchange": "1.750000000000000001",
        "difference": "0.000000000000000001",
        "opening": "history",
    }
    plain = CliRunner().invoke(cli, [*sync, f"csv:{tmp_path / 'p.csv'}"])
    assert "reconciled 2 holdings with testexchange: 1 differ" in plain.stderr
