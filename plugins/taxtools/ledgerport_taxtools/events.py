"""A transaction of the books to Koinly rows: one per economic event.

A trade is one row with both sides, its legs summed per asset. Any other transaction is one row per
entry, in or out by its sign. A transaction whose entries net to zero in every asset with no fee is a
move between the source's own sub-accounts (a paired transfer) and gives no row: Koinly sees the source
as one wallet.

Koinly's amounts exclude the fee: a row changes the holdings by received − sent − fee. A deposit cannot
carry a fee in Koinly, so an incoming entry is received net, as Koinly advises.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import attrs

from ledgerport import Entry, Kind, Transaction, exact

from .labels import label
from .txhash import tx_hash

__all__ = ["Amount", "KoinlyRow", "koinly_rows"]


@attrs.frozen
class Amount:
    """A positive quantity of one currency."""

    quantity: Decimal
    currency: str


@attrs.frozen(kw_only=True)
class KoinlyRow:
    timestamp: datetime
    sent: Amount | None = None
    received: Amount | None = None
    fee: Amount | None = None
    label: str = ""
    description: str = ""
    tx_hash: str = ""


def koinly_rows(transaction: Transaction, entries: Sequence[Entry]) -> list[KoinlyRow]:
    with exact():
        if transaction.kind is Kind.TRADE:
            return _trade(transaction, entries)
        if len(entries) > 1 and not any(e.fee for e in entries) and not any(_net(entries).values()):
            return []
        return [row for entry in entries for row in _single(transaction, entry)]


def _net(entries: Sequence[Entry]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        totals[entry.asset] += entry.amount
    return totals


def _description(transaction: Transaction) -> str:
    return f"{transaction.description} [{transaction.txn_id}]".strip()


def _single(transaction: Transaction, entry: Entry) -> list[KoinlyRow]:
    if entry.counter_sub_account:  # into the owner's own Earn, Staking, Lending: no event
        return []
    row = KoinlyRow(
        timestamp=transaction.timestamp, description=_description(transaction), tx_hash=tx_hash(entry.raw, entry.source)
    )
    if entry.amount > 0:
        return [attrs.evolve(row, received=Amount(entry.amount, entry.asset), label=label(entry, incoming=True))]
    if entry.amount < 0:
        principal = entry.amount + entry.fee
        sent, fee = (-principal, entry.fee) if principal < 0 else (-entry.amount, Decimal(0))
        return [
            attrs.evolve(
                row,
                sent=Amount(sent, entry.asset),
                fee=Amount(fee, entry.asset) if fee else None,
                label=label(entry, incoming=False),
            )
        ]
    return []


def _trade(transaction: Transaction, legs: Sequence[Entry]) -> list[KoinlyRow]:
    """Both sides in one row when one asset went out and one came in; the first fee in the row, any fee in
    another asset as a `cost` row. A trade of more assets is one row per asset moved."""
    principal: dict[str, Decimal] = defaultdict(Decimal)
    fees: dict[str, Decimal] = defaultdict(Decimal)
    for leg in legs:
        principal[leg.asset] += leg.amount + leg.fee
        fees[leg.asset] += leg.fee
    out = [Amount(-q, c) for c, q in principal.items() if q < 0]
    into = [Amount(q, c) for c, q in principal.items() if q > 0]
    fee_amounts = [Amount(f, c) for c, f in fees.items() if f]
    base = KoinlyRow(
        timestamp=transaction.timestamp,
        description=_description(transaction),
        tx_hash=next((h for h in (tx_hash(leg.raw, leg.source) for leg in legs) if h), ""),
    )
    if len(out) <= 1 and len(into) <= 1 and (out or into):
        rows = [
            attrs.evolve(
                base,
                sent=out[0] if out else None,
                received=into[0] if into else None,
                fee=fee_amounts[0] if fee_amounts else None,
            )
        ]
        fee_amounts = fee_amounts[1:]
    else:
        rows = [attrs.evolve(base, sent=a) for a in out] + [attrs.evolve(base, received=a) for a in into]
    return rows + [attrs.evolve(base, sent=fee, label="cost") for fee in fee_amounts]
