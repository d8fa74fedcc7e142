"""Double-entry data: balanced transactions of postings, built from canonical entries."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from decimal import Decimal

import attrs

from ..model.entry import Kind
from .lots import LotChange

__all__ = ["Posting", "Transaction", "book_date"]


def book_date(timestamp: datetime, zone: tzinfo | None) -> date:
    """The day an instant falls on in the books' time zone (None: UTC)."""
    return (timestamp.astimezone(zone) if zone else timestamp).date()


@attrs.frozen(kw_only=True)
class Posting:
    """One leg of a transaction.

    `price` is the *total* price of this posting in `price_commodity` (`@@` in beancount and
    ledger), so a conversion balances exactly with no per-unit rounding. `balance` is the holding's
    balance after this posting as the source reported it, where the journal can assert it.
    """

    account: str
    commodity: str
    quantity: Decimal
    price: Decimal | None = None
    price_commodity: str | None = None
    balance: Decimal | None = None
    cost: Decimal | None = None
    cost_commodity: str | None = None
    value: Decimal | None = None
    gain: Decimal | None = None
    lot_ids: tuple[str, ...] = ()
    lots: tuple[LotChange, ...] = ()

    @property
    def weight(self) -> tuple[str, Decimal]:
        """What the posting contributes to the transaction's balance, and in which commodity."""
        if self.cost is not None and self.cost_commodity is not None:
            return (self.cost_commodity, self.cost)
        if self.price is None or self.price_commodity is None:
            return (self.commodity, self.quantity)
        return (self.price_commodity, self.price if self.quantity >= 0 else -self.price)


@attrs.frozen(kw_only=True)
class Transaction:
    """A balanced set of postings for one economic event (a deposit, a trade with its legs, a transfer).

    `timestamp` is UTC; `zone` is the time zone the books are dated in (`--timezone`), so `date`
    is the company's own day: a year-end cut-off falls where its books say (None: UTC).
    """

    txn_id: str
    timestamp: datetime
    source: str
    account: str
    kind: Kind
    description: str
    postings: tuple[Posting, ...]
    entry_ids: tuple[str, ...]
    zone: tzinfo | None = None

    @property
    def date(self) -> date:
        return book_date(self.timestamp, self.zone)

    def imbalance(self) -> dict[str, Decimal]:
        """Per commodity, what the postings' weights leave over; empty when balanced."""
        totals: dict[str, Decimal] = {}
        for posting in self.postings:
            commodity, amount = posting.weight
            totals[commodity] = totals.get(commodity, Decimal(0)) + amount
        return {commodity: total for commodity, total in totals.items() if total}
