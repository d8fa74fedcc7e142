"""Mapping one ledger item: signs and fees, bizType matching, context parsing, and malformed fields."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from ledgerport_kucoin.mapping import kind_of, parse_context, to_entry

from ledgerport import BadRecordError, Kind

# The seed page's bizType table, as printed there, plus `Exchange` from live spot data.
SEED_TABLE = """Assets Transferred in After Upgrading|Deposit|Withdrawal|Transfer|Trade_Exchange|Vote for Coin|
KuCoin Bonus|Referral Bonus|Rewards|Distribution|Airdrop/Fork|Other rewards|Fee Rebate|Buy Crypto|Sell Crypto|
Public Offering Purchase|Send red envelope|Open red envelope|Staking|LockDrop Vesting|Staking Profits|Redemption|
Refunded Fees|KCS Pay Fees|Margin Trade|Loans|Borrowings|Debt Repayment|Loans Repaid|Lendings|Pool transactions|
Instant Exchange|Sub-account transfer|Liquidation Fees|Soft Staking Profits|Voting Earnings|Redemption of Voting|
Convert to KCS|Exchange"""
CODES = [
    "DEPOSIT",
    "WITHDRAW",
    "TRANSFER",
    "SUB_TRANSFER",
    "TRADE_EXCHANGE",
    "MARGIN_EXCHANGE",
    "KUCOIN_BONUS",
    "BROKER_TRANSFER",
]


def item(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "611a1e7c6a053300067a88d9",
        "currency": "ETH",
        "amount": "1.000000000000000001",
        "fee": "0.000000000000000001",
        "balance": "12.500000000000000000",
        "accountType": "TRADE",
        "bizType": "Trade_Exchange",
        "direction": "out",
        "createdAt": 1629101692950,
        "context": '{"symbol":"ETH-USDT","orderId":"o-1","tradeId":"t-1"}',
    }
    return {**base, **changes}


def test_an_outgoing_trade_leg_keeps_every_digit_and_the_fee_inside_the_amount() -> None:
    entry = to_entry(item(), "acc")
    assert (entry.source, entry.account, entry.entry_id) == ("kucoin", "acc", "611a1e7c6a053300067a88d9")
    assert entry.timestamp == datetime(2021, 8, 16, 8, 14, 52, 950000, tzinfo=UTC)
    assert (entry.asset, entry.amount, entry.fee, entry.balance) == (
        "ETH",
        Decimal("-1.000000000000000001"),
        Decimal("0.000000000000000001"),
        None,  # the classic balance is deprecated ("no actual use"): checked, not carried
    )
    assert (entry.kind, entry.sub_account, entry.group_id) == (Kind.TRADE, "TRADE", "t-1")
    assert entry.description == "Trade_Exchange ETH-USDT"
    assert entry.raw == item()


def test_an_incoming_entry_is_positive() -> None:
    entry = to_entry(item(direction="in", bizType="Deposit", context="", currency="1INCH", amount="250"), "acc")
    assert (entry.amount, entry.kind, entry.group_id, entry.description, entry.asset) == (
        Decimal(250),
        Kind.DEPOSIT,
        "",
        "Deposit",
        "1INCH",
    )


@pytest.mark.parametrize("name", [n.strip() for n in SEED_TABLE.replace("\n", "").split("|")] + CODES)
def test_every_documented_biz_type_and_code_is_known(name: str, caplog: pytest.LogCaptureFixture) -> None:
    kind = kind_of(name)
    assert kind is not Kind.OTHER or name == "Vote for Coin"
    assert caplog.records == []


@pytest.mark.parametrize(
    ("spelling", "kind"),
    [
        ("Sub-account transfer", Kind.TRANSFER),
        ("SUB_ACCOUNT_TRANSFER", Kind.TRANSFER),
        ("sub account transfer", Kind.TRANSFER),
        ("SUB_TRANSFER", Kind.TRANSFER),
        ("trade exchange", Kind.TRADE),
        ("TRADE-EXCHANGE", Kind.TRADE),
        ("exchange", Kind.TRADE),
        ("WITHDRAW", Kind.WITHDRAWAL),
        ("withdrawal", Kind.WITHDRAWAL),
        ("Loans Repaid", Kind.TRANSFER),
        ("Borrowings", Kind.LOAN),
        ("KCS Pay Fees", Kind.FEE),
        ("airdrop fork", Kind.REWARD),
        ("Staking Profits", Kind.REWARD),
    ],
)
def test_biz_types_match_whatever_the_case_and_separators(spelling: str, kind: Kind) -> None:
    assert kind_of(spelling) is kind


def test_an_unknown_biz_type_is_kept_as_other_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="ledgerport.kucoin"):
        entry = to_entry(item(bizType="Quantum Yield Farming"), "acc")
    assert entry.kind is Kind.OTHER and entry.description == "Quantum Yield Farming ETH-USDT"
    assert "unknown bizType 'Quantum Yield Farming' (record 611a1e7c6a053300067a88d9)" in caplog.text


@pytest.mark.parametrize(
    ("context", "parsed"),
    [
        ("", {}),
        (None, {}),
        ('{"orderId":"o-9","txId":"0xabc"}', {"orderId": "o-9", "txId": "0xabc"}),
        (
            "{'symbol': '1INCH-USDT', 'orderId': 'o-2', 'tradeId': 't-2'}",
            {"symbol": "1INCH-USDT", "orderId": "o-2", "tradeId": "t-2"},
        ),
        ("not json at all", {}),
        ("[1, 2]", {}),
    ],
)
def test_context_is_read_tolerantly(context: Any, parsed: dict[str, str]) -> None:
    assert parse_context(context) == parsed


def test_legs_group_by_trade_id_else_order_id() -> None:
    quoted = to_entry(item(context="{'symbol': 'BTC-USDT', 'orderId': 'o-2', 'tradeId': 't-2'}"), "acc")
    order_only = to_entry(item(context='{"symbol":"BTC-USDT","orderId":"o-3"}'), "acc")
    assert (quoted.group_id, order_only.group_id) == ("t-2", "o-3")


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"amount": "12,5"}, "amount", "not a number: '12,5'"),
        ({"amount": 1.5}, "amount", "expected a decimal string, got float"),
        ({"createdAt": "yesterday"}, "createdAt", "expected epoch milliseconds"),
        ({"createdAt": None}, "createdAt", "expected epoch milliseconds"),
        ({"direction": "sideways"}, "direction", "expected 'in' or 'out', got 'sideways'"),
        ({"currency": ""}, "currency", "expected a non-empty string"),
        ({"fee": "NaN"}, "fee", "not a finite number"),
    ],
)
def test_a_malformed_field_names_the_record_and_the_field(changes: dict[str, Any], field: str, reason: str) -> None:
    with pytest.raises(BadRecordError, match=reason) as info:
        to_entry(item(**changes), "acc")
    assert (info.value.source, info.value.record_id, info.value.field) == ("kucoin", "611a1e7c6a053300067a88d9", field)


@pytest.mark.parametrize("missing", ["id", "amount", "direction", "createdAt", "bizType", "balance", "accountType"])
def test_a_missing_field_is_named(missing: str) -> None:
    record = item()
    del record[missing]
    with pytest.raises(BadRecordError, match=f"field '{missing}': missing") as info:
        to_entry(record, "acc")
    assert info.value.record_id == (None if missing == "id" else "611a1e7c6a053300067a88d9")
