"""Rows of the HF spot, HF margin, futures and Unified Trading Account ledgers to canonical entries.

Each ledger spells a row its own way (official spec): HF spot sends ids and times as strings, HF
margin as JSON integers, futures sends signed JSON numbers (read as Decimal from their text by
`answers.read_futures`) and the unified ledger times in nanoseconds. What they share: the running
`balance` of the HF and unified ledgers is real and is carried; `amount` is the change of the
holding's balance, its fee already taken (HF sample: amount 1.5976008 + fee 0.0015992 = 1.5992
gross), which is what `Entry.amount` is. Entry ids carry the ledger's prefix, since the ledgers
number their rows independently. A missing or malformed field raises `BadRecordError` naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ledgerport import BadRecordError, Entry, Kind, from_ms, parse_decimal

from .mapping import SOURCE, counter_of, kind_of, parse_context

__all__ = ["FUTURES_ASSETS", "futures_entry", "is_pending", "ledger_entry", "unified_entry"]

FUTURES_ASSETS = {"XBT": "BTC"}
"""The futures ledger names bitcoin XBT; the books use the spot name, so a transfer between the two pairs."""

_SIGNS = {"in": 1, "out": -1, "IN": 1, "OUT": -1}
PENDING = "Pending"


class _Reader:
    """Reads one row's fields, remembering which it is at, so an error names the field."""

    def __init__(self, record: Any, record_id: str | None) -> None:
        if not isinstance(record, Mapping):
            raise BadRecordError(source=SOURCE, record_id=None, field="record", reason="not an object")
        self.record, self.record_id = record, record_id

    def __call__(self, name: str, parse: Callable[[Any], Any]) -> Any:
        if name not in self.record:
            raise BadRecordError(source=SOURCE, record_id=self.record_id, field=name, reason="missing")
        try:
            return parse(self.record[name])
        except (ValueError, TypeError, ArithmeticError, OverflowError) as exc:
            raise BadRecordError(source=SOURCE, record_id=self.record_id, field=name, reason=str(exc)) from None


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected a non-empty string, got {value!r}")
    return value


def _whole(value: Any) -> int:
    """A non-negative integer sent as a string ("1728443957539"), a JSON integer, or an integral Decimal."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value() and value >= 0:
        return int(value)
    raise ValueError(f"expected a whole non-negative number, got {value!r}")


def _sign(value: Any) -> int:
    if value not in _SIGNS:
        raise ValueError(f"expected 'in' or 'out', got {value!r}")
    return _SIGNS[value]


def _number(value: Any) -> Decimal:
    """A decimal string or an exactly-read JSON number; a float is refused, its value is not what was sent."""
    return parse_decimal(value)


def _optional_number(value: Any) -> Decimal:
    return Decimal(0) if value is None else _number(value)


def _fee(value: Any) -> Decimal:
    """A fee, null meaning none; a negative one would be money in, which no documented row has: refused, not
    silently turned around."""
    fee = _optional_number(value)
    if fee < 0:
        raise ValueError(f"expected a fee of zero or more, got {value!r}")
    return fee


def _id_of(record: Any, name: str) -> str | None:
    value = record.get(name) if isinstance(record, Mapping) else None
    return str(value) if value is not None and value != "" else None


def ledger_entry(record: Any, account: str, prefix: str, warned: set[str]) -> Entry:
    """A row of the HF spot or HF margin ledger (they differ in how ids and times are typed, not in fields)."""
    field = _Reader(record, _id_of(record, "id"))
    entry_id = str(field("id", _whole))
    sign = field("direction", _sign)
    amount, fee, balance = field("amount", _number), field("fee", _number), field("balance", _number)
    biz_type = field("bizType", _text)
    kind = kind_of(biz_type, entry_id, warned)
    context = parse_context(record.get("context"))
    description = f"{biz_type} {context['symbol']}" if context.get("symbol") else biz_type
    return Entry(
        source=SOURCE,
        account=account,
        entry_id=f"{prefix}:{entry_id}",
        timestamp=from_ms(field("createdAt", _whole)),
        asset=field("currency", _text),
        amount=amount if sign > 0 else amount.copy_negate(),
        fee=fee,
        balance=balance,
        kind=kind,
        category=biz_type,
        sub_account=field("accountType", _text),
        counter_sub_account=counter_of(biz_type, kind, warned),
        group_id=str(context.get("tradeId") or context.get("orderId") or "") if kind is not Kind.TRANSFER else "",
        description=description,
        raw=record,
    )


def is_pending(record: Any) -> bool:
    """A futures row of the running funding period (`status: Pending`, offset −1): not final, not booked."""
    return isinstance(record, Mapping) and record.get("status") == PENDING


def _described(kind_name: str, record: Mapping[str, Any]) -> str:
    """The row's kind, followed by its `remark` where it has one (futures and UTA rows carry it)."""
    remark = record.get("remark")
    return f"{kind_name} {remark}" if isinstance(remark, str) and remark else kind_name


def futures_entry(record: Any, account: str, warned: set[str]) -> Entry:
    """A completed row of the futures ledger; its `offset` is its identity, its amount signed and exact."""
    field = _Reader(record, _id_of(record, "offset"))
    offset = field("offset", _whole)
    kind_name = field("type", _text)
    currency = field("currency", _text)
    return Entry(
        source=SOURCE,
        account=account,
        entry_id=f"futures:{offset}",
        timestamp=from_ms(field("time", _whole)),
        asset=FUTURES_ASSETS.get(currency, currency),
        amount=field("amount", _number),
        fee=field("fee", _fee),
        kind=kind_of(kind_name, str(offset), warned),
        category=kind_name,
        sub_account="FUTURES",
        description=_described(kind_name, record),
        raw=record,
    )


def _nanoseconds(value: Any) -> datetime:
    """The unified ledger's `ts`: nanoseconds since the epoch, kept to the microsecond a datetime holds."""
    ns = _whole(value)
    return from_ms(ns // 1_000_000) + timedelta(microseconds=ns // 1000 % 1000)


def unified_entry(record: Any, account: str, warned: set[str]) -> Entry:
    """A row of the Unified Trading Account ledger: a positive amount with IN/OUT, a real running balance."""
    field = _Reader(record, _id_of(record, "id"))
    entry_id = field("id", lambda value: _text(str(value)))
    sign = field("direction", _sign)
    amount = field("amount", _number)
    business = field("businessType", _text)
    kind = kind_of(business, entry_id, warned)
    return Entry(
        source=SOURCE,
        account=account,
        entry_id=f"uta:{entry_id}",
        timestamp=field("ts", _nanoseconds),
        asset=field("currency", _text),
        amount=amount if sign > 0 else amount.copy_negate(),
        fee=field("fee", _fee),
        balance=field("balance", _number),
        kind=kind,
        category=business,
        sub_account=field("accountType", _text),
        counter_sub_account=counter_of(business, kind, warned),
        description=_described(business, record),
        raw=record,
    )
