"""Conversions of more than two assets (issue 15): priced by fair value in one of their assets, so they
balance exactly and leave nothing in the trading account; bean-check, hledger and ledger accept them."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

import ledgerport
from ledgerport import Chart, Entry, JournalBuilder, Kind, PriceBook, Rate
from ledgerport.testing import bean_check, hledger, ledger, run_sink

T0 = datetime(2024, 3, 1, 12, tzinfo=UTC)
DAY = date(2024, 3, 1)


def leg(entry_id: str, asset: str, amount: str, group: str = "c1") -> Entry:
    return Entry(
        source="demo",
        account="main",
        entry_id=entry_id,
        timestamp=T0,
        asset=asset,
        amount=Decimal(amount),
        kind=Kind.TRADE,
        sub_account="MAIN",
        group_id=group,
        category="Convert to KCS",
    )


def prices(**per_unit: str) -> PriceBook:
    book = PriceBook()
    for asset, price in per_unit.items():
        book.add(asset, "USD", DAY, Rate(Decimal(price)))
    return book


CONVERT_TO_KCS = [
    leg("a", "DOGE", "-12.5"),
    leg("b", "SHIB", "-1000000"),
    leg("c", "XRP", "-3"),
    leg("d", "KCS", "0.25"),
]
"""Dust worth $1.25 + $0.60 + $1.50 = $3.35, converted into 0.25 KCS."""
DUST_PRICES = {"DOGE": "0.1", "SHIB": "0.0000006", "XRP": "0.5", "KCS": "13"}


def build(entries: list[Entry], book: PriceBook | None) -> ledgerport.Transaction:
    (transaction,) = JournalBuilder(Chart(), "Demo", prices=book, home_currency="USD").build(entries)
    return transaction


def test_dust_converted_into_kcs_is_priced_in_kcs_by_fair_value_shares() -> None:
    trade = build(CONVERT_TO_KCS, prices(**DUST_PRICES))
    assert [(p.commodity, p.quantity, p.price, p.price_commodity) for p in trade.postings] == [
        ("DOGE", Decimal("-12.5"), Decimal("0.09328358"), "KCS"),  # 0.25 × 1.25 / 3.35
        ("SHIB", Decimal("-1000000"), Decimal("0.04477612"), "KCS"),  # 0.25 × 0.60 / 3.35
        ("XRP", Decimal("-3"), Decimal("0.11194030"), "KCS"),  # the rest: 0.25 − the two above
        ("KCS", Decimal("0.25"), None, None),
    ]
    assert trade.imbalance() == {}
    assert not any("Trading" in p.account for p in trade.postings)


def test_one_asset_into_several_prices_each_received_in_what_was_given() -> None:
    split = [leg("a", "USDT", "-100"), leg("b", "BTC", "0.001"), leg("c", "ETH", "0.02")]
    trade = build(split, prices(USDT="1", BTC="40000", ETH="3000"))  # $40 and $60 of the 100 USDT
    assert [(p.commodity, p.price) for p in trade.postings] == [
        ("USDT", None),
        ("BTC", Decimal("40.00000000")),
        ("ETH", Decimal("60.00000000")),
    ]
    assert trade.imbalance() == {}


def test_several_on_each_side_are_priced_in_the_largest_asset_given() -> None:
    swap = [leg("a", "BTC", "-0.01"), leg("b", "USDT", "-50"), leg("c", "ETH", "0.1"), leg("d", "KCS", "10")]
    trade = build(swap, prices(BTC="40000", USDT="1", ETH="3000", KCS="15"))
    # BTC ($400) is the numeraire: USDT given is worth 0.00125 BTC; ETH and KCS share 0.01125 BTC 300:150
    assert [(p.commodity, p.price, p.price_commodity) for p in trade.postings] == [
        ("BTC", None, None),
        ("USDT", Decimal("0.00125000"), "BTC"),
        ("ETH", Decimal("0.00750000"), "BTC"),
        ("KCS", Decimal("0.00375000"), "BTC"),
    ]
    assert trade.imbalance() == {}


def test_without_a_price_the_conversion_balances_against_trading_and_a_warning_names_the_asset(
    caplog: pytest.LogCaptureFixture,
) -> None:
    book = prices(DOGE="0.1", XRP="0.5", KCS="13")
    with caplog.at_level(logging.WARNING):
        trade = build(CONVERT_TO_KCS, book)
    assert trade.imbalance() == {}
    assert {p.commodity for p in trade.postings if p.account == "Equity:Demo:Trading"} == {"DOGE", "SHIB", "XRP", "KCS"}
    assert "trade demo:main:a is not priced by fair value: no price for SHIB in USD on 2024-03-01" in caplog.text
    assert build(CONVERT_TO_KCS, None).postings[-1].account == "Equity:Demo:Trading"  # no price book at all


def test_prices_implied_by_the_windows_own_trades_price_its_conversions() -> None:
    """The dust's prices come from the window's plain trades, learned before the conversion is priced."""
    window = [
        *(leg(f"s{a}", a, f"-{q}", group=f"sell-{a}") for a, q in (("DOGE", "10"), ("SHIB", "1000000"), ("XRP", "2"))),
        *(leg(f"u{a}", "USD", u, group=f"sell-{a}") for a, u in (("DOGE", "1"), ("SHIB", "0.6"), ("XRP", "1"))),
        leg("kcs", "KCS", "-1", group="sell-KCS"),
        leg("ukcs", "USD", "13", group="sell-KCS"),
        *CONVERT_TO_KCS,
    ]
    transactions = JournalBuilder(Chart(), "Demo", prices=PriceBook(), home_currency="USD").build(window)
    (convert,) = [t for t in transactions if len(t.postings) == 4]
    assert [p.price for p in convert.postings] == [
        Decimal("0.09328358"),
        Decimal("0.04477612"),
        Decimal("0.11194030"),
        None,
    ]


@pytest.mark.parametrize("whole", [False, True], ids=["decimals", "whole-numbers"])
def test_bean_check_hledger_and_ledger_accept_a_conversion_of_four_assets(whole: bool, tmp_path: Path) -> None:
    installed = ledgerport.Registry.load(env={"LEDGERPORT_PLUGINS": "beancount,ledger"})
    entries = (
        [leg("a", "DOGE", "-13"), leg("b", "SHIB", "-1000000"), leg("c", "XRP", "-3"), leg("d", "KCS", "1")]
        if whole
        else CONVERT_TO_KCS
    )
    book = prices(**DUST_PRICES)
    beancount, journal = tmp_path / "c.beancount", tmp_path / "c.journal"
    run_sink(installed.sink_type("beancount"), beancount, entries, prices=book)
    run_sink(installed.sink_type("ledger"), journal, entries, prices=book)
    bean_check(beancount)
    hledger(journal, "check", "-s")
    ledger(journal, "bal")
    assert "Trading" not in beancount.read_text() and "Trading" not in journal.read_text()
