"""Issue 15: `--timezone` dates the books in the company's own zone.

A KuCoin deposit at 2024-01-01T02:00Z is on 2023-12-31 in New York: every book (beancount, ledger,
IIF, QBO, postings) dates it so with `--timezone America/New_York`, and on 2024-01-01 without; the
timestamps in the entries stay UTC.
"""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from ledgerport_kucoin.sandbox import KucoinSandbox

import ledgerport
from ledgerport import ConfigError, write_daily_prices
from ledgerport.testing import bean_check, hledger, ledger

DEPOSIT = {
    "id": "65a00000000000000000tz01",
    "currency": "KCS",
    "amount": "3.5",
    "fee": "0",
    "balance": "3.5",
    "accountType": "MAIN",
    "bizType": "Deposit",
    "direction": "in",
    "createdAt": 1704074400000,  # 2024-01-01T02:00:00Z
    "context": "",
}
SINKS = {
    "beancount": "books.beancount",
    "ledger": "books.journal",
    "iif": "books.iif",
    "qbo": "books.qbo.csv",
    "postings": "postings.csv",
    "csv": "entries.csv",
}
PLUGINS = {"LEDGERPORT_PLUGINS": "kucoin,csv,beancount,ledger,quickbooks,postings"}


def _sync(out: Path, **fields: object) -> None:
    sandbox = KucoinSandbox(seed=17, start=datetime(2023, 12, 30, tzinfo=UTC), days=4, extra_records=[DEPOSIT])
    prices = write_daily_prices(
        out / "prices.csv",
        {"BTC": "42000", "ETH": "2300", "USDT": "1", "1INCH": "0.45", "KCS": "10", "XRP": "0.6"},
        datetime(2023, 12, 30).date(),
        4,
    )
    with sandbox.serve() as server:
        request = ledgerport.SyncRequest(
            source="kucoin",
            since=datetime(2023, 12, 31, tzinfo=UTC),
            until=datetime(2024, 1, 2, tzinfo=UTC),
            base_url=server.url,
            sinks=[f"{name}:{out / target}" for name, target in SINKS.items()],
            prices=[prices],
            **fields,
        )
        ledgerport.sync(request, env=sandbox.credentials.env(), registry=ledgerport.Registry.load(env=PLUGINS))


def dates(out: Path) -> dict[str, str]:
    """The date each book gives the deposit, as the book writes it."""
    found: dict[str, str] = {}
    for name in ("beancount", "ledger"):
        (block,) = [b for b in (out / SINKS[name]).read_text(encoding="utf-8").split("\n\n") if DEPOSIT["id"] in b]
        found[name] = re.search(r"^(\d{4}-\d\d-\d\d) ", block.lstrip("\n"), re.M).group(1)  # type: ignore[union-attr]
    (line,) = [
        x
        for x in (out / SINKS["iif"]).read_text(encoding="utf-8").splitlines()
        if DEPOSIT["id"] in x and x.startswith("TRNS")
    ]
    found["iif"] = line.split("\t")[2]
    with (out / SINKS["qbo"]).open(newline="", encoding="utf-8") as handle:
        found["qbo"] = {
            row["Journal Date"] for row in csv.DictReader(handle) if DEPOSIT["id"] in ",".join(row.values())
        }.pop()
    with (out / SINKS["postings"]).open(newline="", encoding="utf-8") as handle:
        found["postings"] = {row["date"] for row in csv.DictReader(handle) if DEPOSIT["id"] in row["txn_id"]}.pop()
    with (out / SINKS["csv"]).open(newline="", encoding="utf-8") as handle:
        found["entry"] = next(row["timestamp"] for row in csv.DictReader(handle) if row["entry_id"] == DEPOSIT["id"])
    return found


def test_done_when_new_york_books_a_0200z_new_years_deposit_on_new_years_eve(tmp_path: Path) -> None:
    (utc := tmp_path / "utc").mkdir()
    (new_york := tmp_path / "ny").mkdir()
    _sync(utc)
    _sync(new_york, timezone="America/New_York")
    stamp = "2024-01-01T02:00:00.000Z"
    assert dates(utc) == {
        "beancount": "2024-01-01",
        "ledger": "2024-01-01",
        "iif": "01/01/2024",
        "qbo": "01/01/2024",
        "postings": "2024-01-01",
        "entry": stamp,
    }
    assert dates(new_york) == {
        "beancount": "2023-12-31",
        "ledger": "2023-12-31",
        "iif": "12/31/2023",
        "qbo": "12/31/2023",
        "postings": "2023-12-31",
        "entry": stamp,
    }
    bean_check(new_york / SINKS["beancount"])
    hledger(new_york / SINKS["ledger"], "check", "-s")
    ledger(new_york / SINKS["ledger"], "--pedantic", "bal")


def test_an_unknown_time_zone_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="timezone 'America/New_Yrok': not an IANA time zone name"):
        _sync(tmp_path, timezone="America/New_Yrok")
