"""Books at cost: a window's transactions rewritten from the lot engine's bookings, in the home currency.

The journal builder says how quantities moved; with cost basis on, every holding of another asset
than the home currency is carried at what its lots cost. A posting of such a holding then weighs its
cost (what it adds, or the cost of the lots it takes away); what the holding's counterpart gets is
money: the fair value of income and of what a withdrawal gave away, the cost of a deposit, the value
of a fee; and the gain of every disposal goes to the chart's gains account. Each transaction still
balances, now in the home currency, to the cent. One object serves every journal sink, so their
gains agree by construction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from ..errors import PluginError
from ..model.entry import Entry, Kind
from ..model.money import exact, format_decimal
from .chart import Chart
from .lots import Acquisition, Disposal, Expense, Lot, LotBook, LotChange, LotEvent, LotSettings, Move, OpenLot
from .opening import OpeningLot
from .prices import PriceBook
from .transactions import Posting, Transaction

__all__ = ["CostBooks"]

_ZERO = Decimal(0)
Key = tuple[str, str]


class _Holding:
    """What one transaction's bookings did to one holding of one asset."""

    def __init__(self) -> None:
        self.quantity = _ZERO
        self.cost = _ZERO
        self.proceeds: Decimal | None = None
        self.gain: Decimal | None = None
        self.lot_ids: list[str] = []

    def add(self, quantity: Decimal, cost: Decimal, lot_ids: Iterable[str]) -> None:
        self.quantity += quantity
        self.cost += cost
        self.lot_ids += [i for i in lot_ids if i not in self.lot_ids]

    def dispose(self, disposal: Disposal) -> None:
        self.add(-disposal.quantity, -disposal.cost, (use.lot_id for use in disposal.uses))
        self.proceeds = (self.proceeds or _ZERO) + disposal.proceeds
        self.gain = (self.gain or _ZERO) + disposal.gain


class CostBooks:
    """The lots of one book and the transactions they cost.

    `state` is what `state()` returned at the end of the book's last window (None: a new book);
    `opening` the lots held before the book's first entry. Lots are held per holding account of
    `chart`, so a wallet pool is what the books call one holding.
    """

    def __init__(
        self,
        settings: LotSettings,
        prices: PriceBook,
        chart: Chart,
        source_title: str,
        *,
        opening: Iterable[OpeningLot] = (),
        state: Mapping[str, Any] | None = None,
    ) -> None:
        self.settings = settings
        self._chart = chart
        self._title = source_title
        self.lots = LotBook(
            settings, prices, opening=opening, state=state, holding=lambda entry: chart.holding(entry, source_title)
        )

    def state(self) -> dict[str, Any]:
        return self.lots.state()

    def open_lots(self) -> list[OpenLot]:
        return self.lots.open_lots()

    def cost(self, entries: Sequence[Entry], transactions: Sequence[Transaction]) -> list[Transaction]:
        """The window's transactions at cost, in the order the lot engine booked them (a book that
        keeps lots itself must see a lot opened before it is used). A lot the holding had before
        the range comes first, as its own opening transaction."""
        with exact():
            events = self.lots.apply_events(entries)
            by_id = {entry.entry_id: entry for entry in entries}
            owner = {entry_id: t for t in transactions for entry_id in t.entry_ids}
            ordered: dict[str, Transaction] = {}
            booked: dict[str, list[LotEvent]] = defaultdict(list)
            for event in events:
                transaction = owner[event.entry_ids[0]]
                ordered.setdefault(transaction.txn_id, transaction)
                booked[transaction.txn_id].append(event)
            result: list[Transaction] = []
            for txn_id, transaction in ordered.items():
                result += self._costed(transaction, booked[txn_id], by_id)
            return result

    def _costed(
        self, transaction: Transaction, events: list[LotEvent], by_id: Mapping[str, Entry]
    ) -> list[Transaction]:
        if not any(event.bookings for event in events):
            return [transaction]
        chart, title, home = self._chart, self._title, self.settings.home_currency
        entries = [by_id[i] for i in transaction.entry_ids]
        accounts = {chart.holding(entry, title) for entry in entries}
        held: dict[Key, _Holding] = defaultdict(_Holding)
        money: dict[str, Decimal] = defaultdict(Decimal)
        changes = [change for event in events for change in event.changes]
        before: list[Transaction] = []
        gain = _ZERO
        for event in events:
            trade = self._two_sided([by_id[i] for i in event.entry_ids])
            for booking in event.bookings:
                entry = by_id[booking.entry_ids[0]]
                if isinstance(booking, Acquisition):
                    if booking.prior:
                        before.append(self._prior(transaction, entry, booking))
                        continue
                    held[(booking.holding, booking.asset)].add(booking.quantity, booking.cost, (booking.lot_id,))
                    if not trade:
                        earned = booking.origin == "income"
                        account = chart.earned(entry, title) if earned else chart.counterpart(entry, title)
                        money[account] -= booking.cost
                elif isinstance(booking, Disposal):
                    held[(booking.holding, booking.asset)].dispose(booking)
                    gain += booking.gain
                    if not (booking.fee or trade):
                        money[chart.counterpart(entry, title)] += booking.proceeds
                elif isinstance(booking, Move):
                    sign = 1 if booking.direction == "in" else -1
                    lots = (use.lot_id for use in booking.uses)
                    held[(booking.holding, booking.asset)].add(sign * booking.quantity, sign * booking.cost, lots)
                    money[chart.counterpart(entry, title)] -= sign * booking.cost
                elif isinstance(booking, Expense):
                    money[chart.fee(entry, title) if booking.fee else chart.counterpart(entry, title)] += booking.value
        postings = self._holdings(transaction, accounts, held, changes, home)
        postings += [Posting(account=a, commodity=home, quantity=q) for a, q in money.items() if q]
        if gain:
            postings.append(Posting(account=chart.gain(entries[0], title), commodity=home, quantity=-gain))
        costed = attrs.evolve(transaction, postings=tuple(postings))
        if costed.imbalance():
            raise PluginError(f"cost basis: transaction {transaction.txn_id} does not balance: {costed.imbalance()}")
        return [*before, costed]

    def _two_sided(self, legs: list[Entry]) -> bool:
        """A trade that gives and receives balances within itself; a one-sided one (only a leg out,
        or only in) is worth what it moved, against the trade's counterpart account."""
        if not self.lots.is_trade(legs):
            return False
        moved: dict[Key, Decimal] = defaultdict(Decimal)
        for leg in legs:
            moved[(self._chart.holding(leg, self._title), leg.asset)] += leg.amount + leg.fee
        return any(q < 0 for q in moved.values()) and any(q > 0 for q in moved.values())

    def _holdings(
        self,
        transaction: Transaction,
        accounts: set[str],
        held: Mapping[Key, _Holding],
        changes: Sequence[LotChange],
        home: str,
    ) -> list[Posting]:
        """One posting per holding and commodity: cash as it moved, other assets at the cost their lots moved."""
        moved: dict[Key, list[Any]] = {}
        for posting in transaction.postings:
            if posting.account in accounts:
                row = moved.setdefault((posting.account, posting.commodity), [_ZERO, None])
                row[0] += posting.quantity
                row[1] = posting.balance if posting.balance is not None else row[1]
        unmatched = set(held) - set(moved)
        if unmatched:
            raise PluginError(
                f"cost basis: transaction {transaction.txn_id} booked lots of {sorted(unmatched)} it does not move"
            )
        postings = []
        for (account, commodity), (quantity, balance) in moved.items():
            if commodity == home:
                postings.append(Posting(account=account, commodity=commodity, quantity=quantity, balance=balance))
                continue
            booked = held.get((account, commodity), _Holding())
            if booked.quantity != quantity:
                raise PluginError(
                    f"cost basis: transaction {transaction.txn_id}: {account} moves {format_decimal(quantity)} "
                    f"{commodity}, but its lots moved {format_decimal(booked.quantity)}"
                )
            postings.append(
                Posting(
                    account=account,
                    commodity=commodity,
                    quantity=quantity,
                    balance=balance,
                    cost=booked.cost,
                    cost_commodity=home,
                    value=booked.proceeds,
                    gain=booked.gain,
                    lot_ids=tuple(booked.lot_ids),
                    lots=tuple(c for c in changes if _lot(c).holding == account and _lot(c).asset == commodity),
                )
            )
        return postings

    def _prior(self, transaction: Transaction, entry: Entry, booking: Acquisition) -> Transaction:
        """A lot the holding held before the range (opening lots) or had to be given (a zero-cost lot)."""
        home = self.settings.home_currency
        lot = Lot(
            lot_id=booking.lot_id,
            holding=booking.holding,
            asset=booking.asset,
            quantity=booking.quantity,
            cost=booking.cost,
            acquired=booking.acquired,
            seq=0,
        )
        what = "a zero-cost lot for a shortfall" if booking.origin == "missing" else "held before the range"
        return attrs.evolve(
            transaction,
            txn_id=f"{transaction.txn_id}:lot:{booking.lot_id}",
            kind=Kind.ADJUSTMENT,
            description=f"opening lot {booking.lot_id}: {format_decimal(booking.quantity)} {booking.asset}, {what}",
            postings=(
                Posting(
                    account=booking.holding,
                    commodity=booking.asset,
                    quantity=booking.quantity,
                    cost=booking.cost,
                    cost_commodity=home,
                    lot_ids=(booking.lot_id,),
                    lots=(LotChange(before=None, after=lot),),
                ),
                Posting(
                    account=self._chart.opening_balance(entry, self._title), commodity=home, quantity=-booking.cost
                ),
            ),
            entry_ids=(entry.entry_id,),
        )


def _lot(change: LotChange) -> Lot:
    lot = change.before or change.after
    assert lot is not None
    return lot
