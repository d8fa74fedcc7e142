"""Entries, transactions and postings as rows of their tables, in the tables' column order."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ledgerport import Entry, OpenLot, Transaction, format_decimal

__all__ = ["entry_row", "lot_rows", "posting_rows", "transaction_row"]


def _json_value(value: Any) -> Any:
    """Raw records may hold exact decimals and instants (1Konto's are parsed that way): keep them as text."""
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _raw(raw: Mapping[str, Any] | None) -> str | None:
    return None if raw is None else json.dumps(dict(raw), default=_json_value, ensure_ascii=False, sort_keys=True)


def entry_row(entry: Entry, txn_id: str | None) -> tuple[Any, ...]:
    return (
        entry.source,
        entry.account,
        entry.entry_id,
        entry.timestamp,
        entry.asset,
        entry.amount,
        entry.fee,
        entry.balance,
        entry.kind.value,
        entry.category,
        entry.sub_account,
        entry.group_id,
        entry.description,
        ",".join(entry.tags),
        txn_id,
        _raw(entry.raw),
    )


def transaction_row(transaction: Transaction) -> tuple[Any, ...]:
    return (
        transaction.txn_id,
        transaction.source,
        transaction.account,
        transaction.timestamp,
        transaction.date,
        transaction.kind.value,
        transaction.description,
    )


def posting_rows(transaction: Transaction) -> list[tuple[Any, ...]]:
    """Lines count from 1 in the transaction's posting order, which is stable for the same entries."""
    return [
        (
            transaction.txn_id,
            line,
            p.account,
            p.commodity,
            p.quantity,
            p.price,
            p.price_commodity,
            p.balance,
            p.cost,
            p.cost_commodity,
            p.value,
            p.gain,
            ",".join(p.lot_ids) if p.cost is not None or p.lot_ids else None,
        )
        for line, p in enumerate(transaction.postings, start=1)
    ]


def lot_rows(source: str, account: str, lots: Sequence[OpenLot], home_currency: str) -> list[tuple[Any, ...]]:
    """The open lots of one run, numbered from 1 in the lot engine's order."""
    return [
        (
            source,
            account,
            line,
            lot.holding,
            lot.asset,
            lot.quantity,
            lot.acquired,
            lot.cost,
            home_currency,
            lot.lot_id,
            lot.in_transit,
        )
        for line, lot in enumerate(lots, start=1)
    ]
