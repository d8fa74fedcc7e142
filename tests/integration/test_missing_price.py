"""Issue 15: a missing price stops every sink, unless `--on-missing-price skip` lets the sinks that value
at market (QuickBooks without cost basis) leave that transaction out, into the quarantine file with the
reason, while the others write it."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ledgerport_kucoin.sandbox import KucoinSandbox
from ledgerport_quickbooks.testing import assert_balanced, read_iif

import ledgerport
from ledgerport import MissingPriceError, write_daily_prices

SINCE = datetime(2024, 1, 1, tzinfo=UTC)
UNTIL = SINCE + timedelta(days=3)
PRICED = {"BTC": "42000", "ETH": "2300", "USDT": "1", "1INCH": "0.45", "KCS": "10"}  # no XRP
PLUGINS = {"LEDGERPORT_PLUGINS": "kucoin,csv,quickbooks"}


def _sync(out: Path, **fields: object) -> ledgerport.SyncReport:
    sandbox = KucoinSandbox(seed=5, start=SINCE, days=3)
    prices = write_daily_prices(out / "prices.csv", PRICED, SINCE.date(), 3)
    with sandbox.serve() as server:
        request = ledgerport.SyncRequest(
            source="kucoin",
            since=SINCE,
            until=UNTIL,
            base_url=server.url,
            sinks=[f"csv:{out / 'entries.csv'}", f"iif:{out / 'books.iif'}"],
            prices=[prices],
            quarantine=out / "quarantine.jsonl",
            **fields,
        )
        return ledgerport.sync(request, env=sandbox.credentials.env(), registry=ledgerport.Registry.load(env=PLUGINS))


def test_a_missing_price_stops_the_sync_naming_the_asset_and_day(tmp_path: Path) -> None:
    with pytest.raises(
        MissingPriceError, match=r"no price for XRP in USD on 2024-01-0\d: .*'2024-01-0\d,XRP,USD,PRICE'"
    ):
        _sync(tmp_path)


def test_with_skip_the_valued_sink_sets_the_transaction_aside_and_the_others_write_it(tmp_path: Path) -> None:
    report = _sync(tmp_path, on_missing_price="skip")
    with (tmp_path / "entries.csv").open(newline="", encoding="utf-8") as handle:
        entries = list(csv.DictReader(handle))
    assert len(entries) == report.entries and any(e["asset"] == "XRP" for e in entries)
    aside = [json.loads(line) for line in (tmp_path / "quarantine.jsonl").read_text(encoding="utf-8").splitlines()]
    assert aside and {a["sink"] for a in aside} == {"iif"}
    assert all("no price for XRP in USD" in a["reason"] for a in aside)
    journals = read_iif(tmp_path / "books.iif")
    assert_balanced(journals)
    memos = " ".join(memo for lines in journals.values() for _, _, memo in lines)
    assert all(a["txn_id"] not in memos for a in aside)
    xrp = {e["entry_id"] for e in entries if e["asset"] == "XRP"}
    assert xrp <= {i for a in aside for i in a["entry_ids"]}
    assert report.quarantine == str(tmp_path / "quarantine.jsonl")
