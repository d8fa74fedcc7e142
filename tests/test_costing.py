"""Books at cost (`CostBooks`): every transaction balances in the home currency, cost follows the lots,
and the gain postings are the lot engine's gains."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from ledgerport.books import (
    Chart,
    CostBooks,
    Disposal,
    JournalBuilder,
    LotBook,
    LotSettings,
    OpeningLot,
    PriceBook,
    Rate,
    Transaction,
)
from ledgerport.model.entry import Entry, Kind
from ledgerport.testing import cost_basis_example, sample_entries, sample_opening_lots, sample_prices

TITLE = "Demo"
SETTINGS = [
    LotSettings(method=method, pool=pool, fees=fees)  # type: ignore[arg-type]
    for method in ("fifo", "lifo", "hifo", "average")
    for pool in ("wallet", "universal")
    for fees in ("basis", "expense")
]


def _describe(settings: LotSettings) -> str:
    return f"{settings.method}-{settings.pool}-{settings.fees}"


def _costed(
    settings: LotSettings, entries: list[Entry], prices: PriceBook, opening: list[OpeningLot]
) -> tuple[CostBooks, list[Transaction]]:
    chart = Chart()
    books = CostBooks(settings, prices, chart, TITLE, opening=opening)
    transactions = books.cost(entries, JournalBuilder(chart, TITLE).build(entries))
    return books, transactions


@pytest.mark.parametrize("settings", SETTINGS, ids=_describe)
def test_every_costed_transaction_balances_and_its_gains_are_the_lot_engines(settings: LotSettings) -> None:
    entries = sample_entries()
    _, transactions = _costed(settings, entries, sample_prices(), sample_opening_lots())
    engine = LotBook(
        settings, sample_prices(), opening=sample_opening_lots(), holding=lambda e: Chart().holding(e, TITLE)
    )
    gains = sum((b.gain for b in engine.apply(entries) if isinstance(b, Disposal)), Decimal(0))
    posted = Decimal(0)
    for transaction in transactions:
        assert not transaction.imbalance(), transaction.txn_id
        posted -= sum((p.quantity for p in transaction.postings if p.account == "Income:Realized-Gains"), Decimal(0))
    assert posted == gains
    assert {e.entry_id for e in entries} <= {i for t in transactions for i in t.entry_ids}


@pytest.mark.parametrize("settings", SETTINGS, ids=_describe)
def test_the_cost_each_holding_carries_is_the_cost_of_its_open_lots(settings: LotSettings) -> None:
    books, transactions = _costed(settings, sample_entries(), sample_prices(), sample_opening_lots())
    carried: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    held: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for transaction in transactions:
        for posting in transaction.postings:
            if posting.cost is not None:
                carried[(posting.account, posting.commodity)] += posting.cost
                held[(posting.account, posting.commodity)] += posting.quantity
    lots: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for lot in books.open_lots():
        lots[("" if settings.pool == "universal" else lot.holding, lot.asset)] += lot.cost
    if settings.pool == "universal":
        per_asset: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for (_, asset), cost in carried.items():
            per_asset[("", asset)] += cost
        carried = per_asset
    assert {k: v for k, v in carried.items() if v} == {k: v for k, v in lots.items() if v}


def _entry(entry_id: str, day: int, sub: str, asset: str, amount: str, kind: Kind, group: str = "") -> Entry:
    return Entry(
        source="kucoin",
        account="default",
        entry_id=entry_id,
        timestamp=datetime(2024, 1, day, tzinfo=UTC),
        asset=asset,
        amount=Decimal(amount),
        kind=kind,
        sub_account=sub,
        group_id=group,
    )


def test_the_issues_example_books_main_and_trade_btc_at_zero_usdt_at_its_value_and_a_5000_gain() -> None:
    entries, prices, opening = cost_basis_example()
    _, transactions = _costed(LotSettings(), entries, prices, opening)
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for transaction in transactions:
        for posting in transaction.postings:
            totals[(posting.account, posting.commodity)] += posting.weight[1]
    assert ("Assets:Demo:Main", "BTC") in totals
    assert totals[("Assets:Demo:Main", "BTC")] == 0
    assert totals[("Assets:Demo:Trade", "BTC")] == 0
    assert totals[("Assets:Demo:Trade", "USDT")] == Decimal(45000)
    assert totals[("Income:Realized-Gains", "USD")] == Decimal(-5000)
    assert totals[("Equity:Demo:External", "USD")] == Decimal(-40000)


def test_a_holding_older_than_the_range_gets_its_own_opening_transaction_before_the_sale() -> None:
    entries = [
        _entry("s1", 3, "TRADE", "BTC", "-0.5", Kind.TRADE, "o1"),
        _entry("s2", 3, "TRADE", "USDT", "20000", Kind.TRADE, "o1"),
    ]
    prices = PriceBook()
    prices.add("USDT", "USD", date(2024, 1, 3), Rate(Decimal(1)))
    opening = [
        OpeningLot(
            acquired=datetime(2023, 6, 1, tzinfo=UTC),
            sub_account="TRADE",
            asset="BTC",
            quantity=Decimal(1),
            cost=Decimal(30000),
        )
    ]
    _, transactions = _costed(LotSettings(), entries, prices, opening)
    first, sale = transactions
    assert first.kind is Kind.ADJUSTMENT
    assert [(p.account, p.quantity, p.commodity, p.cost) for p in first.postings] == [
        ("Assets:Demo:Trade", Decimal("0.5"), "BTC", Decimal(15000)),
        ("Equity:Opening-Balances", Decimal(-15000), "USD", None),
    ]
    (btc,) = [p for p in sale.postings if p.commodity == "BTC"]
    assert (btc.cost, btc.value, btc.gain, btc.lot_ids) == (
        Decimal(-15000),
        Decimal(20000),
        Decimal(5000),
        ("opening:0",),
    )
