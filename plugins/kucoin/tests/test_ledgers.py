"""Issue 13's done-when: every ledger a 2026 account has, read from the sandbox over HTTP by the CLI, each entry
once, the holdings equal to the sandbox's ground truth, every internal move one transfer, and the
reconciliation in the `--json` summary; with a ledger hidden, the holdings that differ are named."""

from __future__ import annotations

import csv
import json
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ledgerport_kucoin.sandbox import KucoinSandbox

from ledgerport.cli import cli

Serve = Callable[..., tuple[KucoinSandbox, str]]
DAYS = 60
PREFIX = {"classic": "", "hf-spot": "hf:", "hf-margin": "margin:", "futures": "futures:", "uta-funding": "uta:"}
PREFIX["uta-unified"] = "uta:"


def identity(stream: str, row: dict[str, Any]) -> str:
    """The entry id the connector gives a sandbox row of `stream`."""
    return PREFIX[stream] + str(row["offset"] if stream == "futures" else row["id"])


def recent(serve: Serve, **options: Any) -> tuple[KucoinSandbox, str]:
    """A sandbox whose 60 days end today, as a live account's do, so a sync reaches the present."""
    today = datetime.now(UTC).date()
    return serve(seed=33, start=today - timedelta(days=DAYS), days=DAYS, per_day=12, **options)


def sync(url: str, sandbox: KucoinSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> Any:
    """`ledgerport sync kucoin --json` from the history start to now, into CSV and a ledger journal."""
    for name, value in sandbox.credentials.env().items():
        monkeypatch.setenv(name, value)
    args = ["-v", "sync", "kucoin", "--base-url", url, "--no-state", "--json", *extra]
    args += ["--sink", f"csv:{tmp_path / 'out.csv'}", "--sink", f"ledger:{tmp_path / 'out.journal'}"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{") :])
    with (tmp_path / "out.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return report, rows, (tmp_path / "out.journal").read_text(encoding="utf-8")


@pytest.fixture
def plugins(only_plugins: Callable[[str], None]) -> None:
    only_plugins("kucoin,csv,ledger")


def test_done_when_every_ledger_once_holdings_exact_moves_one_transfer_and_zero_reconciliation(
    serve: Serve, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plugins: None, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox, url = recent(serve, account="multi")
    with caplog.at_level(logging.INFO, logger="ledgerport.kucoin"):
        report, rows, journal = sync(url, sandbox, tmp_path, monkeypatch)
    assert report["streams"] == ["classic", "hf-spot", "hf-margin", "futures"]
    assert "an HF account: reading classic, hf-spot, hf-margin, futures" in caplog.text
    # every entry of every stream, exactly once, and nothing else (the futures Pending row is not booked)
    since, until = datetime.fromisoformat(report["since"]), datetime.fromisoformat(report["until"])
    expected = Counter(
        identity(s, row) for s in PREFIX if not s.startswith("uta") for row in sandbox.rows(s, since, until)
    )
    written = Counter(row["entry_id"] for row in rows)
    assert written == expected and set(written.values()) == {1}
    by_stream = Counter(re.sub(r":.*", "", e) if ":" in e else "classic" for e in written)
    assert min(by_stream.values()) > 50 and set(by_stream) == {"classic", "hf", "margin", "futures"}
    # per-holding totals equal the sandbox's ground truth to the last unit
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in rows:
        totals[(row["sub_account"], row["asset"])] += Decimal(row["amount"])
    truth = sandbox.holdings()
    assert {key: value for key, value in totals.items() if value} == {k: v for k, v in truth.items() if v}
    assert {"TRADE_HF", "MARGIN_V2", "ISOLATED_V2", "FUTURES", "MAIN"} <= {sub for sub, _ in totals}
    # every internal move between ledgers is one transfer in the journal
    transactions = re.findall(r"; entry_ids: (.*)\n", journal)
    assert len(sandbox.moves) >= 3 * 40
    for move in sandbox.moves:
        pair = {PREFIX[move.out[0]] + move.out[1], PREFIX[move.into[0]] + move.into[1]}
        assert set(pair) in [set(ids.split(",")) for ids in transactions if pair & set(ids.split(","))], move
    # the reconciliation: every holding the exchange reports, for both outputs, with no difference
    reconciled = report["reconciliation"]
    assert {(r["sub_account"], r["asset"]) for r in reconciled} == set(truth)
    assert [r for r in reconciled if Decimal(r["difference"])] == []
    # each opening proves something: zero at the history start, or an HF ledger's running balance
    openings = {(r["sub_account"], r["opening"]) for r in reconciled}
    assert {opening for _, opening in openings} == {"history", "running"}
    assert {sub for sub, opening in openings if opening == "running"} == {"TRADE_HF", "MARGIN_V2", "ISOLATED_V2"}


@pytest.mark.parametrize(("hidden", "differ"), [("hf-margin", {"MARGIN_V2", "ISOLATED_V2"}), ("futures", {"FUTURES"})])
def test_a_hidden_ledger_shows_as_the_holdings_that_do_not_reconcile(
    hidden: str,
    differ: set[str],
    serve: Serve,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    plugins: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sandbox, url = recent(serve, account="multi", hide=hidden)
    with caplog.at_level(logging.WARNING):
        report, _, _ = sync(url, sandbox, tmp_path, monkeypatch)
    wrong = {(r["sub_account"], r["asset"]) for r in report["reconciliation"] if Decimal(r["difference"])}
    assert wrong and {sub for sub, _ in wrong} == differ
    for sub, asset in wrong:
        assert f"kucoin: {sub} {asset} does not reconcile" in caplog.text


def test_a_unified_account_is_read_from_its_ledger_exactly_once(
    serve: Serve, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plugins: None
) -> None:
    sandbox, url = recent(serve, account="unified")
    report, rows, journal = sync(url, sandbox, tmp_path, monkeypatch)
    assert report["streams"] == ["uta-funding", "uta-unified"]
    since, until = datetime.fromisoformat(report["since"]), datetime.fromisoformat(report["until"])
    expected = [identity(s, row) for s in ("uta-funding", "uta-unified") for row in sandbox.rows(s, since, until)]
    assert sorted(row["entry_id"] for row in rows) == sorted(expected) and len(set(expected)) == len(expected) > 100
    assert {row["sub_account"] for row in rows} == {"FUNDING", "UNIFIED"}
    assert all(row["balance"] for row in rows)  # the unified ledger's running balance is carried
    transactions = [set(ids.split(",")) for ids in re.findall(r"; entry_ids: (.*)\n", journal)]
    for move in sandbox.moves:
        assert {"uta:" + move.out[1], "uta:" + move.into[1]} in transactions
