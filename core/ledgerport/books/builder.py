"""Entries to balanced transactions: trade legs joined and priced, transfers paired, fees split out."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta, tzinfo
from decimal import Decimal

import attrs

from ..errors import MissingPriceError, PluginError
from ..model.entry import Entry, Kind
from ..model.money import exact
from .chart import Chart
from .conversions import price_conversion
from .prices import PriceBook
from .transactions import Posting, Transaction, book_date

__all__ = ["JournalBuilder"]

log = logging.getLogger(__name__)

_ZERO = Decimal(0)
TRANSFER_GAP = timedelta(milliseconds=100)
"""How far apart the two legs of one transfer may be booked: KuCoin's ledgers book an internal move's two
rows a few milliseconds apart; a second apart is another movement."""


def _txn_id(first: Entry, key: str) -> str:
    return f"{first.source}:{first.account}:{key}"


@attrs.frozen
class _Conversion:
    """A trade of more than two commodities, priced once the window's own trades have taught the prices."""

    legs: list[Entry]
    postings: list[Posting]
    fees: list[Posting]
    net: dict[str, Decimal]


class JournalBuilder:
    """Builds the transactions of one window's entries (sorted, as the engine hands them over).

    The legs of a trade share a group id and become one transaction; when exactly one commodity
    goes out and one comes in, the outgoing posting carries the total price of what came in (`@@`)
    so strict checkers accept the conversion. Given the run's price book, the builder first teaches
    it the prices the window's trades imply, then prices a conversion of more than two commodities
    by fair value (`books.conversions`); without one, or without a price for one of its assets (a
    warning says which), each commodity balances against the trading account. A transfer out of one
    holding and into another, same asset and amount, at most `TRANSFER_GAP` apart, becomes one
    two-posting transaction: a source with several ledgers books an internal move as one row in
    each, and the two rows' times may differ by a few milliseconds. A fee is its own expense
    posting, in the fee's own commodity.
    """

    def __init__(
        self,
        chart: Chart,
        source_title: str,
        zone: tzinfo | None = None,
        *,
        prices: PriceBook | None = None,
        home_currency: str = "USD",
    ) -> None:
        self._chart = chart
        self._title = source_title
        self._zone = zone
        self._prices = prices
        self._home = home_currency

    def build(self, entries: Sequence[Entry]) -> list[Transaction]:
        with exact():
            return self._build(entries)

    def _build(self, entries: Sequence[Entry]) -> list[Transaction]:
        trades: dict[str, list[Entry]] = defaultdict(list)
        singles: list[Entry] = []
        for entry in entries:
            if entry.kind is Kind.TRADE and entry.group_id:
                trades[entry.group_id].append(entry)
            else:
                singles.append(entry)
        transactions: list[Transaction] = []
        conversions: list[_Conversion] = []
        for legs in trades.values():
            trade = self._trade(legs)
            if isinstance(trade, _Conversion):
                conversions.append(trade)
            else:
                transactions.append(trade)
        transactions += self._singles_and_transfers(singles)
        if self._prices is not None:
            self._prices.learn(transactions)
        transactions += [self._conversion(c) for c in conversions]
        transactions.sort(key=lambda t: (t.timestamp, t.txn_id))
        for transaction in transactions:
            if transaction.imbalance():
                raise PluginError(
                    f"journal: transaction {transaction.txn_id} does not balance: {transaction.imbalance()}"
                )
        return transactions

    def _transaction(self, entries: Sequence[Entry], postings: Sequence[Posting], key: str) -> Transaction:
        """Zero postings are left out, unless all are zero: an entry of 0 still shows in the books.

        `key` is the id of the transaction's first entry, unique for good: a group id is not, since
        the fills of one order may fall in different windows and become two transactions.
        """
        first = entries[0]
        return Transaction(
            txn_id=_txn_id(first, key),
            timestamp=max(e.timestamp for e in entries),
            source=first.source,
            account=first.account,
            kind=first.kind,
            description=first.description,
            postings=tuple(p for p in postings if p.quantity) or tuple(postings)[:1],
            entry_ids=tuple(e.entry_id for e in entries),
            zone=self._zone,
        )

    def _fee(self, entry: Entry) -> list[Posting]:
        """The fee leaves the holding and lands in fees, so the rest of the holding change is the principal."""
        if not entry.fee:
            return []
        return [
            Posting(
                account=self._chart.holding(entry, self._title),
                commodity=entry.asset,
                quantity=-entry.fee,
                balance=entry.balance,
            ),
            Posting(account=self._chart.fee(entry, self._title), commodity=entry.asset, quantity=entry.fee),
        ]

    def _principal(self, entry: Entry) -> Posting:
        return Posting(
            account=self._chart.holding(entry, self._title),
            commodity=entry.asset,
            quantity=entry.amount + entry.fee,
            balance=None if entry.fee else entry.balance,
        )

    def _single(self, entry: Entry) -> Transaction:
        counterpart = Posting(
            account=self._chart.counterpart(entry, self._title),
            commodity=entry.asset,
            quantity=-(entry.amount + entry.fee),
        )
        return self._transaction([entry], [self._principal(entry), *self._fee(entry), counterpart], entry.entry_id)

    def _singles_and_transfers(self, entries: list[Entry]) -> list[Transaction]:
        """Pairs each transfer leg with the nearest waiting opposite leg of another holding within the gap."""
        waiting: dict[tuple[object, ...], list[Entry]] = defaultdict(list)
        result: list[Transaction] = []
        for entry in entries:
            if entry.kind is not Kind.TRANSFER or entry.fee or not entry.amount:
                result.append(self._single(entry))
                continue
            holding = self._chart.holding(entry, self._title)
            candidates = waiting.get((entry.asset, -entry.amount), [])
            partners = [
                p
                for p in candidates
                if abs(p.timestamp - entry.timestamp) <= TRANSFER_GAP and self._chart.holding(p, self._title) != holding
            ]
            if partners:
                partner = min(partners, key=lambda p: abs(p.timestamp - entry.timestamp))
                candidates.remove(partner)
                pair = sorted([partner, entry], key=lambda e: e.amount)
                result.append(self._transaction(pair, [self._principal(e) for e in pair], pair[0].entry_id))
            else:
                waiting[(entry.asset, entry.amount)].append(entry)
        result += [self._single(entry) for rest in waiting.values() for entry in rest]
        return result

    def _trade(self, legs: list[Entry]) -> Transaction | _Conversion:
        """Principal per (holding, commodity), priced when it is a plain two-commodity conversion."""
        principal: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        last_balance: dict[tuple[str, str], Decimal | None] = {}
        fees: list[Posting] = []
        for leg in legs:
            key = (self._chart.holding(leg, self._title), leg.asset)
            principal[key] += leg.amount + leg.fee
            last_balance[key] = None if leg.fee else leg.balance
            fees += self._fee(leg)
        summed: dict[str, Decimal] = defaultdict(Decimal)
        for (_, commodity), quantity in principal.items():
            summed[commodity] += quantity
        # a leg that only pays the fee (KCS) moves no principal: it is no third side of the conversion
        per_commodity = {commodity: quantity for commodity, quantity in summed.items() if quantity}
        out = [c for c, q in per_commodity.items() if q < 0]
        into = [c for c, q in per_commodity.items() if q > 0]
        postings = [
            Posting(account=account, commodity=commodity, quantity=quantity, balance=last_balance[(account, commodity)])
            for (account, commodity), quantity in principal.items()
        ]
        sold = [p for p in postings if p.commodity in out]
        if len(out) == 1 and len(into) == 1 and len(sold) == 1 and len(per_commodity) == 2:
            priced = sold[0]
            postings[postings.index(priced)] = Posting(
                account=priced.account,
                commodity=priced.commodity,
                quantity=priced.quantity,
                price=per_commodity[into[0]],
                price_commodity=into[0],
                balance=priced.balance,
            )
        else:
            return _Conversion(legs, postings, fees, per_commodity)
        return self._transaction(legs, [*postings, *fees], legs[0].entry_id)

    def _conversion(self, trade: _Conversion) -> Transaction:
        legs, postings = trade.legs, trade.postings
        if self._prices is not None:
            day = book_date(max(leg.timestamp for leg in legs), self._zone)
            try:
                priced = price_conversion(postings, trade.net, self._prices, self._home, day)
            except MissingPriceError as exc:
                log.warning(
                    "%s: trade %s is not priced by fair value: %s", self._title, _txn_id(legs[0], legs[0].entry_id), exc
                )
            else:
                if priced is not None:
                    return self._transaction(legs, [*priced, *trade.fees], legs[0].entry_id)
        trading = self._chart.counterpart(legs[0], self._title)
        residue = [Posting(account=trading, commodity=c, quantity=-q) for c, q in trade.net.items()]
        return self._transaction(legs, [*postings, *residue, *trade.fees], legs[0].entry_id)
