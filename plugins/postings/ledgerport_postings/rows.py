"""A transaction's postings as flat rows: the columns both file formats share."""

from __future__ import annotations

import attrs

from ledgerport import Transaction, format_decimal, format_iso_ms

__all__ = ["COLUMNS", "PostingRow", "posting_rows"]

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
        )
        for posting in transaction.postings
    ]
