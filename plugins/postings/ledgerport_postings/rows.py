"""A transaction's postings as flat rows: the columns both file formats share."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import attrs

from ledgerport import OpenLot, Transaction, format_decimal, format_iso_ms

__all__ = ["COLUMNS", "COST_COLUMNS", "LOT_COLUMNS", "LotRow", "PostingRow", "lot_rows", "posting_rows"]

COLUMNS = (
    "txn_id",
    "date",
    "timestamp",
    "source",
    "account",
    "commodity",
    "quantity",
    "price",
    "price_commodity",
    "entry_ids",
    "kind",
    "description",
)
COST_COLUMNS = ("cost", "cost_currency", "value", "gain", "lot_ids")
"""Added after `COLUMNS` when the books are kept at cost (`--cost-basis`), and only then."""
LOT_COLUMNS = ("holding", "asset", "quantity", "acquired", "cost", "cost_currency", "lot_id", "in_transit")
"""The lots file's columns: one row per open lot."""


def _number(value: Decimal | None) -> str | None:
    return None if value is None else format_decimal(value)


@attrs.frozen(kw_only=True)
class PostingRow:
    """One posting with its transaction's context repeated, so each row stands on its own in a query.

    Numbers are plain-notation text: exact at any precision, in CSV and JSON alike.
    """

    txn_id: str
    date: str
    timestamp: str
    source: str
    account: str
    commodity: str
    quantity: str
    price: str | None
    price_commodity: str | None
    entry_ids: tuple[str, ...]
    kind: str
    description: str
    cost: str | None = None
    cost_currency: str | None = None
    value: str | None = None
    gain: str | None = None
    lot_ids: tuple[str, ...] = ()


def posting_rows(transaction: Transaction) -> list[PostingRow]:
    return [
        PostingRow(
            txn_id=transaction.txn_id,
            date=transaction.date.isoformat(),
            timestamp=format_iso_ms(transaction.timestamp),
            source=transaction.source,
            account=posting.account,
            commodity=posting.commodity,
            quantity=format_decimal(posting.quantity),
            price=None if posting.price is None else format_decimal(posting.price),
            price_commodity=posting.price_commodity,
            entry_ids=transaction.entry_ids,
            kind=transaction.kind.value,
            description=transaction.description,
            cost=_number(posting.cost),
            cost_currency=posting.cost_commodity,
            value=_number(posting.value),
            gain=_number(posting.gain),
            lot_ids=posting.lot_ids,
        )
        for posting in transaction.postings
    ]


@attrs.frozen(kw_only=True)
class LotRow:
    """One open lot: where it is held (the holding it left, while `in_transit`), what it cost in the home
    currency, and when it was acquired (ISO 8601, UTC)."""

    holding: str
    asset: str
    quantity: str
    acquired: str
    cost: str
    cost_currency: str
    lot_id: str
    in_transit: bool


def lot_rows(lots: Iterable[OpenLot], home_currency: str) -> list[LotRow]:
    return [
        LotRow(
            holding=lot.holding,
            asset=lot.asset,
            quantity=format_decimal(lot.quantity),
            acquired=lot.acquired.isoformat(),
            cost=format_decimal(lot.cost),
            cost_currency=home_currency,
            lot_id=lot.lot_id,
            in_transit=lot.in_transit,
        )
        for lot in lots
    ]
