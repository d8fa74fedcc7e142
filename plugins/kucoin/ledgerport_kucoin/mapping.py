"""One KuCoin ledger item to one canonical entry.

`amount` includes the fee and is unsigned: `direction` gives the sign. `bizType` arrives as a human
name ("Sub-account transfer"), a request code (SUB_TRANSFER) or a variant ("Exchange"), so it is
matched case- and separator-insensitively against every name of `kinds` too; an unknown one maps to
`other` with one warning per name and sync. The classic `balance` is documented as deprecated ("no
actual use"), so it is checked to be a number but not carried: an entry of this ledger has no
running balance. This is the hot path of a large sync: the lookups are precomputed and each record
costs a few dict hits.
"""

from __future__ import annotations

import ast
import json
import logging
import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from ledgerport import BadRecordError, Entry, Kind, from_ms, parse_decimal

from .kinds import FUTURES_TYPES, LEDGER_CODES, LIVE_NAMES, OWN_SUB_ACCOUNTS, UNIFIED_TYPES

__all__ = ["BIZ_TYPES", "REQUEST_CODES", "biz_key", "counter_of", "kind_of", "parse_context", "to_entry"]

log = logging.getLogger("ledgerport.kucoin")

SOURCE = "kucoin"

BIZ_TYPES: tuple[tuple[str, Kind], ...] = (
    ("Assets Transferred in After Upgrading", Kind.TRANSFER),
    ("Deposit", Kind.DEPOSIT),
    ("Withdrawal", Kind.WITHDRAWAL),
    ("Transfer", Kind.TRANSFER),
    ("Trade_Exchange", Kind.TRADE),
    ("Exchange", Kind.TRADE),
    ("Vote for Coin", Kind.TRANSFER),
    ("KuCoin Bonus", Kind.REWARD),
    ("Referral Bonus", Kind.REWARD),
    ("Rewards", Kind.REWARD),
    ("Distribution", Kind.REWARD),
    ("Airdrop/Fork", Kind.REWARD),
    ("Other rewards", Kind.REWARD),
    ("Fee Rebate", Kind.FEE),
    ("Buy Crypto", Kind.TRADE),
    ("Sell Crypto", Kind.TRADE),
    ("Public Offering Purchase", Kind.TRADE),
    ("Send red envelope", Kind.TRANSFER),
    ("Open red envelope", Kind.TRANSFER),
    ("Staking", Kind.TRANSFER),
    ("LockDrop Vesting", Kind.REWARD),
    ("Staking Profits", Kind.REWARD),
    ("Redemption", Kind.TRANSFER),
    ("Refunded Fees", Kind.FEE),
    ("KCS Pay Fees", Kind.FEE),
    ("Margin Trade", Kind.TRADE),
    ("Loans", Kind.LOAN),
    ("Borrowings", Kind.LOAN),
    ("Debt Repayment", Kind.REPAYMENT),
    ("Loans Repaid", Kind.TRANSFER),
    ("Lendings", Kind.TRANSFER),
    ("Pool transactions", Kind.TRANSFER),
    ("Instant Exchange", Kind.TRADE),
    ("Sub-account transfer", Kind.TRANSFER),
    ("Liquidation Fees", Kind.FEE),
    ("Soft Staking Profits", Kind.REWARD),
    ("Voting Earnings", Kind.REWARD),
    ("Redemption of Voting", Kind.TRANSFER),
    ("Convert to KCS", Kind.TRADE),
)
"""The names KuCoin answers with (the documented table, plus `Exchange` seen in live spot data)."""

REQUEST_CODES: tuple[tuple[str, Kind], ...] = (
    ("DEPOSIT", Kind.DEPOSIT),
    ("WITHDRAW", Kind.WITHDRAWAL),
    ("TRANSFER", Kind.TRANSFER),
    ("SUB_TRANSFER", Kind.TRANSFER),
    ("TRADE_EXCHANGE", Kind.TRADE),
    ("MARGIN_EXCHANGE", Kind.TRADE),
    ("KUCOIN_BONUS", Kind.REWARD),
    ("BROKER_TRANSFER", Kind.TRANSFER),
    ("REFERRAL_BONUS", Kind.REWARD),
)
"""The `bizType` filter codes, which answers use too."""

_SEPARATORS = re.compile(r"[^0-9a-z]+")


def biz_key(biz_type: str) -> str:
    """`Sub-account transfer`, `SUB_ACCOUNT_TRANSFER` and `sub account transfer` all give `subaccounttransfer`."""
    return _SEPARATORS.sub("", biz_type.lower())


_NAMES = (*BIZ_TYPES, *REQUEST_CODES, *LEDGER_CODES, *FUTURES_TYPES, *UNIFIED_TYPES, *LIVE_NAMES)
_BY_KEY: dict[str, Kind] = {biz_key(name): kind for name, kind in reversed(_NAMES)}
"""Reversed, so where two tables share a key the first (the classic table) wins."""
_BY_SPELLING: dict[str, Kind] = {name: _BY_KEY[biz_key(name)] for name, _ in _NAMES}
"""Grows by each known spelling met, so a spelling is normalised once per process, not once per record."""

_COUNTERS: dict[str, str] = {biz_key(name): sub for name, sub in OWN_SUB_ACCOUNTS}
_REPAID = biz_key("Loans Repaid")

_SIGNS = {"in": 1, "out": -1}


def counter_of(biz_type: str, kind: Kind, warned: set[str] | None = None) -> str:
    """The owner's sub-account on the other side of a transfer KuCoin books in one ledger only ("" if none).

    A repaid loan brings its interest back in the same row, which does not say how much: said once
    per sync (`warned`), since the books can only show it where it lands."""
    if kind is not Kind.TRANSFER:
        return ""
    key = biz_key(biz_type)
    if key == _REPAID and warned is not None and _REPAID not in warned:
        warned.add(_REPAID)
        log.warning(
            "kucoin: %r returns lent coins with their interest in one row, which does not say how much is "
            "interest: the interest stays in the LENDING holding (a negative balance once the loan is back) "
            "until it is reclassified as income, and Koinly gets no row for it",
            biz_type,
        )
    return _COUNTERS.get(key, "")


def kind_of(biz_type: str, record_id: str = "", warned: set[str] | None = None) -> Kind:
    """The kind of a business type; an unknown one is `other`, warned about once per name in `warned`
    (a stream's set, so once per sync), or every time without one."""
    kind = _BY_SPELLING.get(biz_type)
    if kind is None:
        kind = _BY_KEY.get(biz_key(biz_type))
        if kind is None:
            if warned is None or biz_type not in warned:
                log.warning("kucoin: unknown bizType %r (record %s) mapped to kind 'other'", biz_type, record_id)
                if warned is not None:
                    warned.add(biz_type)
            return Kind.OTHER
        _BY_SPELLING[biz_type] = kind
    return kind


def parse_context(context: Any) -> Mapping[str, Any]:
    """`context` is a JSON string, an empty one, or single-quoted pseudo-JSON; anything else reads as empty."""
    if isinstance(context, dict):
        return context
    if not context or not isinstance(context, str):
        return {}
    try:
        value = json.loads(context)
    except ValueError:
        try:
            value = ast.literal_eval(context)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return {}
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected a non-empty string, got {value!r}")
    return value


def _millis(value: Any) -> int:
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"expected epoch milliseconds, got {value!r}")
    return value


def to_entry(record: Mapping[str, Any], account: str, warned: set[str] | None = None) -> Entry:
    """The entry of one ledger item; a missing or malformed field raises BadRecordError naming it.

    The common case takes the short road: the fields are read with only the checks that keep it
    exact (text amounts, whole milliseconds), and `Entry` validates the rest. Anything unusual is
    read again field by field, which names what is wrong.
    """
    try:
        return _entry(record, account, warned)
    except (KeyError, ValueError, TypeError, ArithmeticError):
        return _checked_entry(record, account, warned)


def _entry(record: Mapping[str, Any], account: str, warned: set[str] | None) -> Entry:
    entry_id, asset, sub_account = record["id"], record["currency"], record["accountType"]
    biz_type, created, sign = record["bizType"], record["createdAt"], _SIGNS[record["direction"]]
    amount, fee, balance = record["amount"], record["fee"], record["balance"]
    Decimal(balance)  # checked, not carried
    if not (
        type(entry_id) is str
        and entry_id
        and type(asset) is str
        and asset
        and type(sub_account) is str
        and sub_account
        and type(biz_type) is str
        and biz_type
        and type(created) is int
        and created >= 0
        and type(amount) is str
        and type(fee) is str
        and type(balance) is str
    ):
        raise TypeError("not the common case")
    return _build(
        record,
        account,
        entry_id,
        asset,
        sub_account,
        biz_type,
        from_ms(created),
        sign,
        Decimal(amount),
        Decimal(fee),
        warned,
    )


def _checked_entry(record: Mapping[str, Any], account: str, warned: set[str] | None) -> Entry:
    field = "id"
    try:
        entry_id = _text(record["id"])
        field = "direction"
        sign = _SIGNS.get(record["direction"])
        if sign is None:
            raise ValueError(f"expected 'in' or 'out', got {record['direction']!r}")
        field = "amount"
        amount = parse_decimal(record["amount"])
        field = "fee"
        fee = parse_decimal(record["fee"])
        field = "balance"
        parse_decimal(record["balance"])
        field = "createdAt"
        timestamp = from_ms(_millis(record["createdAt"]))
        field = "currency"
        asset = _text(record["currency"])
        field = "accountType"
        sub_account = _text(record["accountType"])
        field = "bizType"
        biz_type = _text(record["bizType"])
    except KeyError:
        raise BadRecordError(source=SOURCE, record_id=_id(record), field=field, reason="missing") from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise BadRecordError(source=SOURCE, record_id=_id(record), field=field, reason=str(exc)) from None
    return _build(record, account, entry_id, asset, sub_account, biz_type, timestamp, sign, amount, fee, warned)


def _build(
    record: Mapping[str, Any],
    account: str,
    entry_id: str,
    asset: str,
    sub_account: str,
    biz_type: str,
    timestamp: datetime,
    sign: int,
    amount: Decimal,
    fee: Decimal,
    warned: set[str] | None,
) -> Entry:
    """A trade's context joins its legs (they share tradeId or orderId) and names its symbol, and a fee
    refund's joins it to its trade; that of an unknown bizType may say what it was. Other contexts stay
    in `raw`, unparsed: most records need none."""
    kind = _BY_SPELLING.get(biz_type) or kind_of(biz_type, entry_id, warned)
    group_id, description = "", biz_type
    if kind is Kind.TRADE or kind is Kind.OTHER or kind is Kind.FEE:
        context = parse_context(record.get("context"))
        group_id = str(context.get("tradeId") or context.get("orderId") or "")
        if context.get("symbol"):
            description = f"{biz_type} {context['symbol']}"
    return Entry(
        source=SOURCE,
        account=account,
        entry_id=entry_id,
        timestamp=timestamp,
        asset=asset,
        amount=amount if sign > 0 else amount.copy_negate(),  # exact at any length; unary minus rounds
        fee=fee,
        kind=kind,
        category=biz_type,
        sub_account=sub_account,
        counter_sub_account=counter_of(biz_type, kind, warned),
        group_id=group_id,
        description=description,
        raw=record,
    )


def _id(record: Mapping[str, Any]) -> str | None:
    value = record.get("id") if isinstance(record, Mapping) else None
    return value if isinstance(value, str) and value else None
