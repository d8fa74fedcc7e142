"""Issue 15: a sync that starts mid-history opens each holding at what it held, not at zero.

The KuCoin HF ledgers carry running balances: a journal that starts ten days into the account gets
one opening-balance transaction per holding (balance − amount of its first entry) against
`Equity:Opening-Balances`, so its balances follow the source's and the journals assert them.
"""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from ledgerport_kucoin.sandbox import KucoinSandbox

import ledgerport
from ledgerport.testing import bean_check, hledger, ledger

SINCE = datetime(2024, 1, 1, tzinfo=UTC)
PLUGINS = {"LEDGERPORT_PLUGINS": "kucoin,csv,beancount,ledger"}
RUNNING = ("Assets:KuCoin:Trade-hf", "Assets:KuCoin:Margin-v2")
"""The HF ledgers' holdings: they carry running balances (the classic ledger's is deprecated)."""


def _sync(out: Path, since: datetime) -> None:
    sandbox = KucoinSandbox(seed=11, start=SINCE, days=20, per_day=20, account="multi")
    with sandbox.serve() as server:
        request = ledgerport.SyncRequest(
            source="kucoin",
            since=since,
            until=SINCE + timedelta(days=20),
            base_url=server.url,
            sinks=[f"beancount:{out / 'books.beancount'}", f"ledger:{out / 'books.journal'}"],
        )
        ledgerport.sync(request, env=sandbox.credentials.env(), registry=ledgerport.Registry.load(env=PLUGINS))


def test_a_journal_starting_mid_history_opens_each_holding_at_its_running_balance(tmp_path: Path) -> None:
    (late := tmp_path / "late").mkdir()
    (whole := tmp_path / "whole").mkdir()
    _sync(late, SINCE + timedelta(days=10))
    _sync(whole, SINCE)
    text = (late / "books.beancount").read_text(encoding="utf-8")
    openings = re.findall(r'"opening balance: (\S+) held before entry', text)
    assert openings, "the HF holdings were not empty ten days in"
    assert "Equity:Opening-Balances" in text
    bean_check(late / "books.beancount")
    hledger(late / "books.journal", "check", "-s")
    ledger(late / "books.journal", "--pedantic", "bal")
    # the late books end where the whole ones do, for every holding with a running balance
    late_balances = _balances(late / "books.journal")
    whole_balances = _balances(whole / "books.journal")
    running = {key: amount for key, amount in late_balances.items() if key[0] in RUNNING}
    assert running and all(whole_balances.get(key) == amount for key, amount in running.items())
    # and they assert the source's balances, which a journal without openings could not
    assert text.count(" balance ") > 0


def _balances(path: Path) -> dict[tuple[str, str], Decimal]:
    """Each holding account's balance per commodity, as hledger reports it (CSV)."""
    balances: dict[tuple[str, str], Decimal] = {}
    for account, amounts in csv.reader(hledger(path, "bal", "Assets", "--flat", "-N", "-O", "csv").splitlines()[1:]):
        for amount in filter(None, (a.strip() for a in amounts.split(","))):
            number, _, commodity = amount.rpartition(" ")
            balances[(account, commodity.strip('"'))] = Decimal(number)
    return balances
