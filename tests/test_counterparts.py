"""Moves into sub-accounts the source keeps no ledger of (issue 15): KuCoin's Staking, Earn, lending out.

One ledger row says the coins left MAIN for Staking; the books keep them, in `Assets:KuCoin:Staking`,
with their lots and cost, not in `Equity:External`, and Koinly sees no event."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from ledgerport import Chart, CostBooks, Entry, JournalBuilder, Kind, LotSettings, PriceBook, Rate
from ledgerport.books.counterparts import with_counterparts


def row(entry_id: str, day: int, amount: str, kind: Kind, **kw: str) -> Entry:
    return Entry(
        source="kucoin",
        account="default",
        entry_id=entry_id,
        timestamp=datetime(2024, 1, day, tzinfo=UTC),
        asset="ETH",
        amount=Decimal(amount),
        kind=kind,
        sub_account="MAIN",
        **kw,
    )


ROWS = [
    row("buy", 1, "2", Kind.DEPOSIT),
    row("stake", 2, "-1.5", Kind.TRANSFER, category="Staking", counter_sub_account="STAKING"),
    row("back", 9, "1.5", Kind.TRANSFER, category="Redemption", counter_sub_account="STAKING"),
]


def test_the_books_move_the_coins_to_the_sub_account_and_back() -> None:
    journal = with_counterparts(ROWS)
    assert [e.entry_id for e in journal] == ["buy", "stake", "stake:STAKING", "back", "back:STAKING"]
    transactions = JournalBuilder(Chart(), "KuCoin").build(journal)
    moves = [[(p.account, p.quantity) for p in t.postings] for t in transactions[1:]]
    assert moves == [
        [("Assets:KuCoin:Main", Decimal("-1.5")), ("Assets:KuCoin:Staking", Decimal("1.5"))],
        [("Assets:KuCoin:Staking", Decimal("-1.5")), ("Assets:KuCoin:Main", Decimal("1.5"))],
    ]
    alone = ROWS[:1]
    assert with_counterparts(alone) is alone, "a window without such a move is handed on as it is"


def test_at_cost_the_lots_go_to_staking_with_their_cost_and_date_and_no_gain() -> None:
    prices = PriceBook()
    for day in (1, 2, 9):
        prices.add("ETH", "USD", date(2024, 1, day), Rate(Decimal(2000 + 100 * day)))
    chart = Chart()
    books = CostBooks(LotSettings(), prices, chart, "KuCoin")
    journal = with_counterparts(ROWS[:2])
    staked = books.cost(journal, JournalBuilder(chart, "KuCoin").build(journal))[-1]
    assert [(p.account, p.quantity, p.cost) for p in staked.postings] == [
        ("Assets:KuCoin:Main", Decimal("-1.5"), Decimal("-3150.00")),  # 1.5 of the lot bought at 2100
        ("Assets:KuCoin:Staking", Decimal("1.5"), Decimal("3150.00")),
    ]
    assert {(lot.holding, lot.quantity, lot.acquired.date()) for lot in books.open_lots()} == {
        ("Assets:KuCoin:Main", Decimal("0.5"), date(2024, 1, 1)),
        ("Assets:KuCoin:Staking", Decimal("1.5"), date(2024, 1, 1)),
    }


def test_a_counter_sub_account_belongs_to_a_transfer_into_another_sub_account() -> None:
    with pytest.raises(ValueError, match="counter_sub_account is the other side of a transfer"):
        row("x", 1, "1", Kind.REWARD, counter_sub_account="STAKING")
    with pytest.raises(ValueError, match="counter_sub_account"):
        row("x", 1, "1", Kind.TRANSFER, counter_sub_account="MAIN")
