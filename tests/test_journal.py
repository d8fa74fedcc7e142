"""The journal builder: every transaction balances, and the holdings add up to the entries exactly."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs
import pytest

from ledgerport import Chart, Entry, JournalBuilder, Kind, Posting, format_decimal
from ledgerport.books import BalanceTracker, account_component
from ledgerport.testing import asset_sums, sample_entries

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def build(entries: list[Entry], chart: Chart | None = None) -> list:  # type: ignore[type-arg]
    return JournalBuilder(chart or Chart(), "Demo").build(entries)


def entry(entry_id: str, asset: str, amount: str, kind: Kind, **kw: object) -> Entry:
    return Entry(
        source="demo",
        account="main",
        entry_id=entry_id,
        timestamp=kw.pop("timestamp", T0),  # type: ignore[arg-type]
        asset=asset,
        amount=Decimal(amount),
        kind=kind,
        **kw,
    )  # type: ignore[arg-type]


def test_holdings_sum_to_the_signed_sum_of_the_entries_and_every_transaction_balances() -> None:
    entries = sample_entries()
    transactions = build(entries)
    holdings: dict[str, Decimal] = defaultdict(Decimal)
    for transaction in transactions:
        assert transaction.imbalance() == {}
        for posting in transaction.postings:
            if posting.account.startswith("Assets:Demo:"):
                holdings[posting.commodity] += posting.quantity
    assert dict(holdings) == asset_sums(entries)
    assert sorted(i for t in transactions for i in t.entry_ids) == sorted(e.entry_id for e in entries)


def test_amounts_beyond_28_digits_stay_exact() -> None:
    huge = "123456789012345678901234567890.123456789012345678"
    [withdrawal] = build([entry("w", "X", f"-{huge}", Kind.WITHDRAWAL, fee=Decimal("0.000000000000000001"))])
    assert [format_decimal(p.quantity) for p in withdrawal.postings] == [
        "-123456789012345678901234567890.123456789012345677",
        "-0.000000000000000001",
        "0.000000000000000001",
        "123456789012345678901234567890.123456789012345677",
    ]


def test_a_two_commodity_trade_is_one_transaction_priced_at_the_total_received() -> None:
    [trade] = build(
        [
            entry("a", "BTC", "-0.1", Kind.TRADE, group_id="t", sub_account="TRADE"),
            entry("b", "USDT", "3996", Kind.TRADE, group_id="t", fee=Decimal("4"), sub_account="TRADE"),
        ]
    )
    assert trade.txn_id == "demo:main:a" and trade.entry_ids == ("a", "b")
    assert trade.postings == (
        Posting(
            account="Assets:Demo:Trade",
            commodity="BTC",
            quantity=Decimal("-0.1"),
            price=Decimal("4000"),
            price_commodity="USDT",
        ),
        Posting(account="Assets:Demo:Trade", commodity="USDT", quantity=Decimal("4000")),
        Posting(account="Assets:Demo:Trade", commodity="USDT", quantity=Decimal("-4")),
        Posting(account="Expenses:Fees:Demo", commodity="USDT", quantity=Decimal("4")),
    )


def test_a_trade_that_cannot_be_priced_balances_against_the_trading_account() -> None:
    [one_leg] = build([entry("a", "ETH", "-0.25", Kind.TRADE, group_id="t")])
    assert [(p.account, p.quantity) for p in one_leg.postings] == [
        ("Assets:Demo:Main", Decimal("-0.25")),
        ("Equity:Demo:Trading", Decimal("0.25")),
    ]
    [three] = build(
        [
            entry("a", "BTC", "-1", Kind.TRADE, group_id="t"),
            entry("b", "ETH", "10", Kind.TRADE, group_id="t"),
            entry("c", "KCS", "1", Kind.TRADE, group_id="t"),
        ]
    )
    assert three.imbalance() == {} and all(p.price is None for p in three.postings)


def test_transfers_pair_only_across_holdings_at_the_same_instant_and_amount() -> None:
    out = entry("o", "BTC", "-0.5", Kind.TRANSFER, sub_account="MAIN")
    into = entry("i", "BTC", "0.5", Kind.TRANSFER, sub_account="TRADE")
    later = attrs.evolve(into, entry_id="l", timestamp=T0 + timedelta(seconds=1))
    [pair] = build([out, into])
    assert [p.account for p in pair.postings] == ["Assets:Demo:Main", "Assets:Demo:Trade"]
    assert len(build([out, later])) == 2, "a transfer in at another instant is not the other side"
    assert all(len(t.postings) == 2 and "External" in t.postings[1].account for t in build([out, later]))


def test_the_two_legs_of_a_move_between_ledgers_a_few_milliseconds_apart_are_one_transfer() -> None:
    out = entry("hf:1", "USDT", "-25.5", Kind.TRANSFER, sub_account="TRADE_HF")
    into = entry(
        "futures:7", "USDT", "25.5", Kind.TRANSFER, sub_account="FUTURES", timestamp=T0 + timedelta(milliseconds=3)
    )
    earlier = attrs.evolve(out, entry_id="hf:0", timestamp=T0 - timedelta(milliseconds=60))
    [pair] = build([out, into])
    assert [(p.account, p.quantity) for p in pair.postings] == [
        ("Assets:Demo:Trade-hf", Decimal("-25.5")),
        ("Assets:Demo:Futures", Decimal("25.5")),
    ]
    assert pair.entry_ids == ("hf:1", "futures:7") and pair.timestamp == into.timestamp
    # of two legs waiting, the nearest in time is the other side; the farther one stays a movement of its own
    paired, single = sorted(build([earlier, out, into]), key=lambda t: len(t.entry_ids), reverse=True)
    assert paired.entry_ids == ("hf:1", "futures:7") and single.entry_ids == ("hf:0",)
    assert len(build([out, attrs.evolve(into, timestamp=T0 + timedelta(milliseconds=101))])) == 2
    same_holding = attrs.evolve(into, sub_account="TRADE_HF")
    assert len(build([out, same_holding])) == 2, "a holding does not transfer to itself"


def test_a_withdrawal_fee_is_its_own_expense_in_the_fees_commodity() -> None:
    [withdrawal] = build([entry("w", "BTC", "-0.2001", Kind.WITHDRAWAL, fee=Decimal("0.0001"))])
    assert [(p.account, p.quantity) for p in withdrawal.postings] == [
        ("Assets:Demo:Main", Decimal("-0.2000")),
        ("Assets:Demo:Main", Decimal("-0.0001")),
        ("Expenses:Fees:Demo", Decimal("0.0001")),
        ("Equity:Demo:External", Decimal("0.2000")),
    ]


def test_the_chart_maps_by_category_then_kind_and_moves_holdings_by_asset() -> None:
    chart = Chart(
        kinds={"reward": "Income:{source}:Bonus"},
        categories={"Staking Profits": "Income:Staking:{source}"},
        assets={"BTC": "Assets:Cold:{sub_account}"},
    )
    staking = entry("s", "ETH", "1", Kind.REWARD, category="Staking Profits")
    bonus = entry("b", "BTC", "1", Kind.REWARD, sub_account="MAIN")
    opening = entry("o", "ETH", "2", Kind.ADJUSTMENT, tags=("opening-balance",))
    accounts = [[p.account for p in t.postings] for t in build([staking, bonus, opening], chart)]
    assert accounts == [
        ["Assets:Cold:Main", "Income:Demo:Bonus"],
        ["Assets:Demo:Main", "Equity:Opening-Balances"],
        ["Assets:Demo:Main", "Income:Staking:Demo"],
    ]
    with pytest.raises(ValueError, match="unknown kinds"):
        Chart(kinds={"lottery": "Income:X"})


def test_a_named_account_gets_its_own_holdings_and_liabilities_and_account_fills_any_template() -> None:
    trade = entry("t", "BTC", "1", Kind.DEPOSIT, sub_account="TRADE")
    loan = entry("l", "USDT", "5", Kind.LOAN, sub_account="MARGIN")
    custodian = entry("c", "EUR", "5", Kind.DEPOSIT)  # no sub-account: held in an account named for it
    named = Chart(named_accounts=True)
    assert [[p.account for p in t.postings] for t in build([trade, loan, custodian], named)] == [
        ["Assets:Demo:Main", "Equity:Demo:External"],
        ["Assets:Demo:Main:Margin", "Liabilities:Demo:Main:Loans"],
        ["Assets:Demo:Main:Trade", "Equity:Demo:External"],
    ]
    assert [p.account for t in build([trade]) for p in t.postings] == ["Assets:Demo:Trade", "Equity:Demo:External"]
    mine = Chart(holdings="Assets:{source}:{account}:{sub_account}:{asset}", fees="Expenses:{account}:Fees")
    assert mine.holding(trade, "Demo") == "Assets:Demo:Main:Trade:Btc"
    assert mine.fee(trade, "Demo") == "Expenses:Main:Fees"
    with pytest.raises(ValueError, match=r"account template 'Assets:\{client\}': 'client'; it may use"):
        Chart(holdings="Assets:{client}").holding(trade, "Demo")


@pytest.mark.parametrize(("given", "expected"), [("MAIN", "Main"), ("acc_1", "Acc-1"), ("1Konto", "1Konto"), ("", "X")])
def test_account_components_are_valid_in_every_format(given: str, expected: str) -> None:
    assert account_component(given) == expected


def test_balance_tracker_asserts_only_what_matches_the_books() -> None:
    tracker = BalanceTracker()

    def posting(quantity: str, balance: str | None) -> Posting:
        return Posting(
            account="A",
            commodity="X",
            quantity=Decimal(quantity),
            balance=None if balance is None else Decimal(balance),
        )

    assert tracker.apply(posting("1", "1"), T0) == Decimal("1")
    assert tracker.apply(posting("2", None), T0) is None
    assert tracker.apply(posting("1", "3.5"), T0) is None and tracker.skipped == 1
    restored = BalanceTracker(tracker.state())
    assert restored.apply(posting("-4", "0"), T0) == Decimal("0")
    assert restored.apply(posting("1", "1"), T0 - timedelta(days=1)) is None, "out of order: stop asserting"
    unanchored = BalanceTracker()
    assert unanchored.apply(posting("10", "110"), T0) is None
    assert unanchored.apply(posting("1", "11"), T0) is None, "the books lack the opening balance"


def test_a_fill_whose_fee_is_paid_in_kcs_as_a_third_leg_is_still_a_priced_conversion() -> None:
    legs = [
        entry("s", "BTC", "-0.1", Kind.TRADE, group_id="f1", sub_account="TRADE"),
        entry("b", "USDT", "4000", Kind.TRADE, group_id="f1", sub_account="TRADE"),
        entry("k", "KCS", "-0.3", Kind.TRADE, group_id="f1", sub_account="TRADE", fee=Decimal("0.3")),
    ]
    (trade,) = build(legs)
    assert [(p.account, p.quantity, p.commodity, p.price, p.price_commodity) for p in trade.postings] == [
        ("Assets:Demo:Trade", Decimal("-0.1"), "BTC", Decimal(4000), "USDT"),
        ("Assets:Demo:Trade", Decimal(4000), "USDT", None, None),
        ("Assets:Demo:Trade", Decimal("-0.3"), "KCS", None, None),
        ("Expenses:Fees:Demo", Decimal("0.3"), "KCS", None, None),
    ]
    assert not any("Trading" in p.account for p in trade.postings)
