"""One 1Konto transaction to one canonical entry: kind and sign from the event, exact amount and time.

The sign comes from the event, never from the number (1Konto's own example shows a trade's source
leg with a positive amount): the absolute amount goes in for deposit, transferReceived,
initialBalances and a trade's destination leg, out for withdrawal, transferSent and a trade's
source leg. `manual`, `invalid` and unknown events keep the sign they were sent with; `invalid`
and unknown eventTypes become `other` with a warning, never dropped.

An `order` is an order placed, not a trade settled: what it buys or sells settles as the two legs
of a `trade` event, and until then the funds it reserves stay in the account (Get Account counts
a holding as free + locked, so reserving moves nothing out). Its entry therefore changes no holding:
`other`, tagged `order`, amount 0, the reserved amount in its description. Booking the amount would
count every trade twice; reconciliation with Get Account would show it if 1Konto ever moved funds
on an order row.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

from ledgerport import BadRecordError, Entry, Kind, format_decimal, parse_decimal

from .api import NAME
from .eventtime import parse_event_time

log = logging.getLogger("ledgerport.onekonto")

IN, OUT, OWN = 1, -1, 0

# eventType -> (kind, direction, description, tags); trades are signed by their subEventType.
_EVENTS: dict[str, tuple[Kind, int, str, tuple[str, ...]]] = {
    "deposit": (Kind.DEPOSIT, IN, "deposit", ()),
    "withdrawal": (Kind.WITHDRAWAL, OUT, "withdrawal", ()),
    "transferSent": (Kind.TRANSFER, OUT, "transfer sent", ()),
    "transferReceived": (Kind.TRANSFER, IN, "transfer received", ()),
    "manual": (Kind.ADJUSTMENT, OWN, "manual adjustment", ()),
    "initialBalances": (Kind.ADJUSTMENT, IN, "opening balance", ("opening-balance",)),
    "order": (Kind.OTHER, OWN, "order placed", ("order",)),
}
_TRADE_LEGS = {"source": OUT, "destination": IN}


def _bad(record_id: str | None, field: str, reason: str) -> BadRecordError:
    return BadRecordError(source=NAME, record_id=record_id, field=field, reason=reason)


def _record_id(record: Any) -> str:
    if not isinstance(record, dict):
        raise _bad(None, "transactionId", f"expected a JSON object, got {type(record).__name__}")
    record_id = record.get("transactionId")
    if type(record_id) is int:
        return str(record_id)
    if not isinstance(record_id, str) or not record_id:
        raise _bad(None, "transactionId", f"missing or empty: {record_id!r}")
    return record_id


def _classify(record: dict[str, Any], record_id: str) -> tuple[Kind, int, str, tuple[str, ...], str]:
    """Kind, direction, description, tags and group id of a record, from its eventType."""
    event = record.get("eventType")
    if not isinstance(event, str):
        raise _bad(record_id, "eventType", f"missing or not a string: {event!r}")
    if event == "trade":
        leg = record.get("subEventType")
        if leg not in _TRADE_LEGS:
            raise _bad(record_id, "subEventType", f"a trade leg must be 'source' or 'destination', got {leg!r}")
        ordering = record.get("ordering")
        if type(ordering) is not int:
            raise _bad(record_id, "ordering", f"not an integer: {ordering!r}")
        return Kind.TRADE, _TRADE_LEGS[leg], f"trade {leg}", (), f"ordering:{ordering}"
    known = _EVENTS.get(event)
    if known is not None:
        return (*known, "")
    log.warning("%s: transaction %s has eventType %r: kept as 'other' with its own sign", NAME, record_id, event)
    return Kind.OTHER, OWN, event, (), ""


def _event_time(record: dict[str, Any], record_id: str) -> datetime:
    try:
        return parse_event_time(record.get("eventTime"))
    except ValueError as exc:
        raise _bad(record_id, "eventTime", str(exc)) from None


def event_time(record: Any) -> datetime:
    """When a record happened, in UTC, as its entry has it; raises BadRecordError naming the record."""
    return _event_time(record, _record_id(record))


def to_entry(record: Any, account: str) -> Entry:
    """The canonical entry for one record; raises BadRecordError naming the record and the field."""
    record_id = _record_id(record)
    try:
        amount: Decimal = parse_decimal(record["amount"])
    except KeyError:
        raise _bad(record_id, "amount", "missing") from None
    except ValueError as exc:
        raise _bad(record_id, "amount", str(exc)) from None
    timestamp = _event_time(record, record_id)
    asset = record.get("asset")
    if not isinstance(asset, str) or not asset:
        raise _bad(record_id, "asset", f"missing or empty: {asset!r}")
    kind, direction, description, tags, group_id = _classify(record, record_id)
    if direction != OWN:  # copy_*: exact at any length, where abs() and - would round to 28 digits
        amount = amount.copy_abs() if direction == IN else amount.copy_abs().copy_negate()
    if "order" in tags:
        description = f"order placed: {format_decimal(amount.copy_abs())} {asset} reserved, not settled"
        amount -= amount  # 0, at the record's own precision
    return Entry(
        source=NAME,
        account=account,
        entry_id=record_id,
        timestamp=timestamp,
        asset=asset,
        amount=amount,
        kind=kind,
        category=record["eventType"],
        group_id=group_id,
        description=description,
        tags=tags,
        raw=record,
    )
