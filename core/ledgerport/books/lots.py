"""The lot engine: what each holding cost, and the realized gain of every disposal, in the home currency.

Entries say how quantities moved; an accountant needs what they cost. Every acquisition opens a lot
(quantity, cost, acquisition time, holding); every disposal (a sale, the outgoing leg of a
crypto-to-crypto trade, a fee paid in crypto, a withdrawal to a third party) consumes lots by the
chosen method and realizes proceeds − cost. Own-account transfers move lots with their cost and date.
The engine knows no file format: a sink reads the bookings it returns (keyed by entry id) and the
open lots, and keeps `state()` in its checkpoint so the next run continues with the same lots.

Rounding: lot costs and proceeds are amounts of the home currency at `places` decimals (2: cents).
A fair value is the price book's rate × quantity, rounded once half-to-even. When a disposal or a
transfer takes part of a lot, the part's cost is cost × part ÷ quantity rounded half-to-even to
`places`, and the lot keeps exactly the rest, so the pieces of a lot always add up to its cost and no
cent is made or lost; the last piece of a lot takes exactly what is left. An `average` pool is one
lot per holding (or per asset, `universal`): acquisitions add their exact quantity and cost to it,
disposals take cost × part ÷ pool quantity, rounded as above. Only those divisions round.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal, get_args

import attrs

from ..errors import ConfigError, LedgerportError, MissingPriceError
from ..model.entry import Entry, Kind
from ..model.money import exact, format_decimal
from .opening import OpeningLot, too_fine
from .prices import PriceBook

__all__ = [
    "OPEN_LOT_COLUMNS",
    "Acquisition",
    "BackfillError",
    "Booking",
    "Disposal",
    "Expense",
    "FeeMode",
    "Lot",
    "LotBook",
    "LotChange",
    "LotError",
    "LotEvent",
    "LotSettings",
    "LotUse",
    "Method",
    "MissingLots",
    "Move",
    "OpenLot",
    "Pool",
    "default_holding",
]

Method = Literal["fifo", "lifo", "hifo", "average"]
Pool = Literal["wallet", "universal"]
FeeMode = Literal["basis", "expense"]
MissingLots = Literal["error", "zero"]

STATE_VERSION = 1
OPEN_LOT_COLUMNS = ("holding", "asset", "quantity", "acquired", "cost", "cost_currency", "lot_id", "in_transit")
_ZERO = Decimal(0)
_INCOME = (Kind.REWARD, Kind.INTEREST, Kind.FEE)
"""Kinds whose incoming amount is income in kind (a fee coming *in* is a rebate)."""
_SPENT = (Kind.FEE, Kind.INTEREST)
"""Kinds whose outgoing amount is an expense paid in the asset."""


class LotError(LedgerportError):
    """A disposal needs lots that are not there, or the lot state does not fit the settings."""


class BackfillError(LotError):
    """An entry lands before the last disposal of its asset: the gains written since would change."""


def _check(name: str, value: str, allowed: object) -> None:
    choices = get_args(allowed)
    if value not in choices:
        raise ConfigError(f"books: {name} must be one of {', '.join(choices)}, not {value!r}")


@attrs.frozen(kw_only=True)
class LotSettings:
    """How lots are kept. `fees="basis"` capitalises acquisition fees into the lot and lets disposal
    fees reduce the proceeds (rp2, Koinly, IRS Pub. 544); `fees="expense"` books every fee as an
    expense at its fair value and keeps it out of costs and proceeds."""

    method: Method = "fifo"
    pool: Pool = "wallet"
    fees: FeeMode = "basis"
    on_missing_lots: MissingLots = "error"
    home_currency: str = "USD"
    places: int = 2

    def __attrs_post_init__(self) -> None:
        _check("cost_basis", self.method, Method)
        _check("lot_pool", self.pool, Pool)
        _check("fees", self.fees, FeeMode)
        _check("on_missing_lots", self.on_missing_lots, MissingLots)
        if self.places < 0:
            raise ConfigError(f"books: places must be 0 or more, not {self.places}")


@attrs.frozen(kw_only=True)
class Lot:
    """A quantity acquired at one time for one cost. `seq` orders lots acquired at the same instant;
    a piece split off a lot keeps its id, time and seq, so FIFO after a transfer still sees the original.
    `uid` tells the lots of one pool apart: a piece that arrives in another holding gets a new one,
    so two pieces of one lot moved to the same holding stay two lots."""

    lot_id: str
    holding: str
    asset: str
    quantity: Decimal
    cost: Decimal
    acquired: datetime
    seq: int
    uid: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.lot_id,
            "holding": self.holding,
            "asset": self.asset,
            "quantity": format_decimal(self.quantity),
            "cost": format_decimal(self.cost),
            "acquired": self.acquired.isoformat(),
            "seq": self.seq,
            "uid": self.uid,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Lot:
        return cls(
            lot_id=data["id"],
            holding=data["holding"],
            asset=data["asset"],
            quantity=Decimal(data["quantity"]),
            cost=Decimal(data["cost"]),
            acquired=datetime.fromisoformat(data["acquired"]),
            seq=int(data["seq"]),
            uid=int(data.get("uid", data["seq"])),
        )


@attrs.frozen(kw_only=True)
class LotUse:
    """The part of one lot a disposal or transfer took."""

    lot_id: str
    quantity: Decimal
    cost: Decimal
    acquired: datetime


@attrs.frozen(kw_only=True)
class Acquisition:
    """A lot opened at `when` (an opening lot keeps its own `acquired` date). `origin`: trade, income,
    loan, deposit (at fair value), opening (from the opening-lots file), missing (a zero-cost lot for
    a shortfall). Income's cost is the income. `prior` marks a lot the holding held before the entry
    (an opening lot or a zero-cost lot a disposal needed): books write it as its own opening
    transaction just before the one that uses it."""

    entry_ids: tuple[str, ...]
    when: datetime
    holding: str
    asset: str
    quantity: Decimal
    cost: Decimal
    origin: str
    lot_id: str
    acquired: datetime
    prior: bool = False


@attrs.frozen(kw_only=True)
class Disposal:
    """Lots consumed for `proceeds`; `fee` marks a fee paid in the asset."""

    entry_ids: tuple[str, ...]
    when: datetime
    holding: str
    asset: str
    quantity: Decimal
    proceeds: Decimal
    cost: Decimal
    uses: tuple[LotUse, ...]
    fee: bool = False

    @property
    def gain(self) -> Decimal:
        with exact():
            return self.proceeds - self.cost


@attrs.frozen(kw_only=True)
class Move:
    """Lots leaving a holding for another of the owner's (`out`, then in transit) or arriving (`in`)."""

    entry_ids: tuple[str, ...]
    when: datetime
    holding: str
    asset: str
    direction: Literal["out", "in"]
    quantity: Decimal
    cost: Decimal
    uses: tuple[LotUse, ...]


@attrs.frozen(kw_only=True)
class Expense:
    """A fee (or interest paid) at its fair value, booked as an expense rather than into a lot.
    `fee` is False when the entry itself is the spending (a fee or interest entry), True for the
    fee part of another entry."""

    entry_ids: tuple[str, ...]
    when: datetime
    asset: str
    quantity: Decimal
    value: Decimal
    fee: bool = True


Booking = Acquisition | Disposal | Move | Expense


@attrs.frozen(kw_only=True)
class LotChange:
    """One lot of a holding as it was before an event and as it is after (None: not there).

    What a book that keeps lots itself (beancount) writes: a lot taken whole, a lot opened, or a lot
    that is now smaller (or, in an average pool, larger) at its new cost.
    """

    before: Lot | None
    after: Lot | None


@attrs.frozen(kw_only=True)
class LotEvent:
    """What one event (a trade's legs, or one entry) booked, and how it changed the pools' lots."""

    entry_ids: tuple[str, ...]
    bookings: tuple[Booking, ...]
    changes: tuple[LotChange, ...]


@attrs.frozen(kw_only=True)
class OpenLot:
    """One row of the open-lots report; `in_transit` lots left `holding` and have not arrived yet."""

    holding: str
    asset: str
    quantity: Decimal
    acquired: datetime
    cost: Decimal
    lot_id: str
    in_transit: bool = False

    def row(self, currency: str) -> tuple[str, ...]:
        """The report's columns (OPEN_LOT_COLUMNS) as text: full precision, UTC time; `currency` is
        the home currency the cost is in. A lot in transit is named for the holding it left."""
        return (
            self.holding,
            self.asset,
            format_decimal(self.quantity),
            self.acquired.isoformat(),
            format_decimal(self.cost),
            currency,
            self.lot_id,
            "true" if self.in_transit else "false",
        )


def default_holding(entry: Entry) -> str:
    """Where a lot is held: the source, its account and the sub-account (KuCoin's MAIN, TRADE...)."""
    return f"{entry.source}:{entry.account}:{entry.sub_account or entry.account}"


def _ratio(value: Decimal, part: Decimal, whole: Decimal, places: int) -> Decimal:
    """value × part ÷ whole, rounded once half-to-even to `places`, in integers (no context can round it early)."""
    v_num, v_den = value.as_integer_ratio()
    p_num, p_den = part.as_integer_ratio()
    w_num, w_den = whole.as_integer_ratio()
    numerator, denominator = v_num * p_num * w_den * 10**places, v_den * p_den * w_num
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    units, rest = divmod(numerator, denominator)
    if 2 * rest > denominator or (2 * rest == denominator and units % 2):
        units += 1
    return Decimal(units).scaleb(-places)


def _split(total: Decimal, weights: Sequence[Decimal], places: int) -> list[Decimal]:
    """`total` in parts proportional to `weights`, each rounded, the last taking the exact rest."""
    whole = sum(weights, _ZERO)
    if len(weights) == 1 or not whole:
        return [total] + [_ZERO] * (len(weights) - 1)
    parts = [_ratio(total, weight, whole, places) for weight in weights[:-1]]
    return [*parts, total - sum(parts, _ZERO)]


@attrs.define
class _Batch:
    """Lots sent by one outgoing transfer, waiting for the incoming one."""

    entry_id: str
    asset: str
    quantity: Decimal
    lots: list[Lot]


class LotBook:
    """The lots of one book and the engine that moves them.

    `apply()` takes each window's entries (as the engine hands them over) and returns the bookings;
    `state()` is plain JSON to keep in the sink's checkpoint and to pass back as `state` next run.
    `opening` lots give deposits from outside (and holdings that predate the range) their real cost;
    a deposit beyond them is taken at fair value with one warning per asset. `holding` names where a
    lot is held; the default keeps source, account and sub-account apart. `own_transfer` says which
    entries move coins between the owner's holdings (by default the TRANSFER kind); a sink that pairs
    a withdrawal at one source with the deposit at another marks both so their lots keep their cost.
    """

    def __init__(
        self,
        settings: LotSettings,
        prices: PriceBook,
        *,
        opening: Iterable[OpeningLot] = (),
        state: Mapping[str, Any] | None = None,
        holding: Callable[[Entry], str] = default_holding,
        own_transfer: Callable[[Entry], bool] = lambda entry: entry.kind is Kind.TRANSFER,
    ) -> None:
        self.settings = settings
        self._prices = prices
        self._holding = holding
        self._own = own_transfer
        self.warnings: list[str] = []
        self._pools: dict[tuple[str, str], list[Lot]] = {}
        self._transit: dict[str, list[_Batch]] = {}  # per asset, in the order sent
        self._last_out: dict[str, datetime] = {}
        self._warned: set[str] = set()
        self._seq = 0
        self._log: dict[tuple[str, str, int], list[Lot | None]] = {}
        self._opening: list[OpeningLot] = sorted(opening, key=lambda o: (o.acquired, o.line))
        for row in self._opening:
            if too_fine(row.cost, settings.places):
                raise ConfigError(
                    f"opening lot {row.line} ({row.asset}): cost {format_decimal(row.cost)} has more than "
                    f"{settings.places} decimals, finer than the books keep {settings.home_currency} in"
                )
        if len({row.line for row in self._opening}) < len(self._opening):
            raise ConfigError("opening lots: each needs its own `line` number (its lots are named opening:LINE)")
        if state is not None:
            self._restore(state)

    # -- state -------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Everything the next run needs, as JSON: lots, lots in transit, unused opening lots, the
        time of each asset's last disposal (the backfill guard) and which warnings were given."""
        settings = self.settings
        return {
            "version": STATE_VERSION,
            "method": settings.method,
            "pool": settings.pool,
            "fees": settings.fees,
            "home_currency": settings.home_currency,
            "seq": self._seq,
            "lots": [lot.to_json() for key in sorted(self._pools) for lot in self._pools[key]],
            "transit": [
                {
                    "entry_id": batch.entry_id,
                    "asset": batch.asset,
                    "quantity": format_decimal(batch.quantity),
                    "lots": [lot.to_json() for lot in batch.lots],
                }
                for asset in sorted(self._transit)
                for batch in self._transit[asset]
            ],
            "opening": [
                {
                    "acquired": o.acquired.isoformat(),
                    "sub_account": o.sub_account,
                    "asset": o.asset,
                    "quantity": format_decimal(o.quantity),
                    "cost": format_decimal(o.cost),
                    "line": o.line,
                }
                for o in self._opening
            ],
            "last_out": {asset: when.isoformat() for asset, when in sorted(self._last_out.items())},
            "warned": sorted(self._warned),
        }

    def _restore(self, state: Mapping[str, Any]) -> None:
        """A state kept under other settings would give other gains: refuse it rather than mix two methods."""
        if state.get("version") != STATE_VERSION:
            raise LotError(f"lot state version {state.get('version')!r} is not {STATE_VERSION}: rebuild the book")
        settings = self.settings
        for name, now in (
            ("method", settings.method),
            ("pool", settings.pool),
            ("fees", settings.fees),
            ("home_currency", settings.home_currency),
        ):
            if state[name] != now:
                raise LotError(
                    f"the book's lots were kept with {name} {state[name]!r}, not {now!r}: "
                    "write the book again from its start to change it"
                )
        self._seq = int(state["seq"])
        for data in state["lots"]:
            lot = Lot.from_json(data)
            self._pools.setdefault(self._key(lot.holding, lot.asset), []).append(lot)
        for pool in self._pools.values():
            pool.sort(key=self._order)
        for b in state["transit"]:
            batch = _Batch(b["entry_id"], b["asset"], Decimal(b["quantity"]), [Lot.from_json(x) for x in b["lots"]])
            self._transit.setdefault(batch.asset, []).append(batch)
        self._opening = [
            OpeningLot(
                acquired=datetime.fromisoformat(o["acquired"]),
                sub_account=o["sub_account"],
                asset=o["asset"],
                quantity=Decimal(o["quantity"]),
                cost=Decimal(o["cost"]),
                line=int(o["line"]),
            )
            for o in state["opening"]
        ]
        self._last_out = {asset: datetime.fromisoformat(when) for asset, when in state["last_out"].items()}
        self._warned = set(state["warned"])

    # -- reports -----------------------------------------------------------------------------

    def open_lots(self) -> list[OpenLot]:
        """The lots held now, by holding, asset and acquisition: what an auditor asks for."""
        rows = [(lot, False) for lots in self._pools.values() for lot in lots]
        rows += [(lot, True) for batches in self._transit.values() for batch in batches for lot in batch.lots]
        rows.sort(key=lambda r: (r[1], r[0].holding, r[0].asset, r[0].acquired, r[0].seq))
        return [
            OpenLot(
                holding=lot.holding,
                asset=lot.asset,
                quantity=lot.quantity,
                acquired=lot.acquired,
                cost=lot.cost,
                lot_id=lot.lot_id,
                in_transit=transit,
            )
            for lot, transit in rows
        ]

    # -- applying entries --------------------------------------------------------------------

    def apply(self, entries: Sequence[Entry]) -> list[Booking]:
        """The bookings of one window's entries, in time order (see `apply_events`)."""
        return [booking for event in self.apply_events(entries) for booking in event.bookings]

    def apply_events(self, entries: Sequence[Entry]) -> list[LotEvent]:
        """The events of one window's entries, in time order, each with its bookings and lot changes.
        The legs of a trade (one group id) are one event; at one instant a transfer out goes before
        the rest, so its lots are in transit when the matching transfer in arrives."""
        groups: dict[str, list[Entry]] = {}
        events: list[list[Entry]] = []
        for entry in entries:
            if entry.kind is Kind.TRADE and entry.group_id:
                if entry.group_id not in groups:
                    groups[entry.group_id] = []
                    events.append(groups[entry.group_id])
                groups[entry.group_id].append(entry)
            else:
                events.append([entry])

        def order(event: list[Entry]) -> tuple[datetime, int]:
            sending = len(event) == 1 and self._own(event[0]) and event[0].amount < 0
            return (max(e.timestamp for e in event), 0 if sending else 1)

        done: list[LotEvent] = []
        with exact():
            for event in sorted(events, key=order):
                self._guard(event)
                self._log = {}
                bookings = self._trade(event) if self.is_trade(event) else self._single(event[0])
                changes = tuple(LotChange(before=b, after=a) for b, a in self._log.values() if b != a)
                done.append(
                    LotEvent(entry_ids=tuple(e.entry_id for e in event), bookings=tuple(bookings), changes=changes)
                )
        return done

    def is_trade(self, event: Sequence[Entry]) -> bool:
        """Whether an event's entries are one trade: several legs, or a trade entry that is no own transfer."""
        return len(event) > 1 or (event[0].kind is Kind.TRADE and not self._own(event[0]))

    def _record(self, before: Lot | None, after: Lot | None) -> None:
        """Keeps, per lot, how it was before the event and how it is now."""
        lot = before or after
        assert lot is not None
        key = (lot.holding, lot.asset, lot.uid)
        if key in self._log:
            self._log[key][1] = after
        else:
            self._log[key] = [before, after]

    def _guard(self, event: list[Entry]) -> None:
        when = max(e.timestamp for e in event)
        for entry in event:
            last = self._last_out.get(entry.asset)
            if last is not None and when < last:
                raise BackfillError(
                    f"{entry.source}: entry {entry.entry_id} ({entry.asset} at {when.isoformat()}) lands before the "
                    f"last disposal of {entry.asset} already booked (or lots moved out, at {last.isoformat()}): the "
                    f"gains booked since would change. Write the book again from {when.date().isoformat()} or earlier."
                )

    def _key(self, holding: str, asset: str) -> tuple[str, str]:
        return ("", asset) if self.settings.pool == "universal" else (holding, asset)

    def _where(self, entry: Entry) -> str:
        return "" if self.settings.pool == "universal" else self._holding(entry)

    def _fair(self, asset: str, quantity: Decimal, day: date) -> Decimal:
        if asset == self.settings.home_currency:
            return quantity
        return self._prices.rate(asset, self.settings.home_currency, day).convert(quantity, self.settings.places)

    def _warn(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            self.warnings.append(message)

    # -- lots in and out ---------------------------------------------------------------------

    def _open(self, holding: str, asset: str, lot_id: str, quantity: Decimal, cost: Decimal, when: datetime) -> Lot:
        self._seq += 1
        return Lot(
            lot_id=lot_id,
            holding=holding,
            asset=asset,
            quantity=quantity,
            cost=cost,
            acquired=when,
            seq=self._seq,
            uid=self._seq,
        )

    def _uid(self) -> int:
        self._seq += 1
        return self._seq

    def _add(self, lot: Lot) -> None:
        """Into its pool; an average pool is one lot, so the new quantity and cost are added to it."""
        pool = self._pools.setdefault(self._key(lot.holding, lot.asset), [])
        if self.settings.method == "average" and pool:
            held = pool[0]
            pool[0] = attrs.evolve(
                held,
                quantity=held.quantity + lot.quantity,
                cost=held.cost + lot.cost,
                acquired=min(held.acquired, lot.acquired),
            )
            self._record(held, pool[0])
        else:
            bisect.insort(pool, lot, key=self._order)
            self._record(None, lot)

    def _order(self, lot: Lot) -> tuple[Any, ...]:
        """A pool is kept sorted by this key, so a disposal takes lots from one end without sorting:
        from the front for fifo (earliest first) and hifo (highest cost per unit first, compared
        exactly), from the back for lifo."""
        if self.settings.method == "hifo":
            return (-Fraction(lot.cost) / Fraction(lot.quantity), lot.acquired, lot.seq)
        return (lot.acquired, lot.seq)

    def _cut(self, lots: list[Lot], quantity: Decimal, *, pool: bool = True) -> tuple[list[Lot], Decimal]:
        """Takes up to `quantity` from `lots` in method order, splitting the last lot it touches;
        returns the pieces taken and what is still missing. `lots` keeps what is left, in order.
        Cuts from a pool (not from lots in transit) are recorded as the event's lot changes."""
        if not pool:
            lots.sort(key=self._order)
        backwards = self.settings.method == "lifo"
        taken: list[Lot] = []
        missing = quantity
        whole = 0
        rest: Lot | None = None
        for lot in reversed(lots) if backwards else lots:
            if not missing:
                break
            part = min(lot.quantity, missing)
            missing -= part
            if part == lot.quantity:
                whole += 1
                taken.append(lot)
                if pool:
                    self._record(lot, None)
                continue
            cost = _ratio(lot.cost, part, lot.quantity, self.settings.places)
            taken.append(attrs.evolve(lot, quantity=part, cost=cost))
            rest = attrs.evolve(lot, quantity=lot.quantity - part, cost=lot.cost - cost)
            if pool:
                self._record(lot, rest)
        if backwards:
            del lots[len(lots) - whole :]
        else:
            del lots[:whole]
        if rest is not None:  # the lot cut in part: its cost per unit may have moved by a rounding
            del lots[-1 if backwards else 0]
            bisect.insort(lots, rest, key=self._order)
        return taken, missing

    def _from_opening(self, entry: Entry, asset: str, quantity: Decimal, holding: str) -> tuple[list[Lot], Decimal]:
        """Lots for `quantity` from the opening-lots file: same asset, and the same sub-account in a wallet pool."""
        sub = entry.sub_account or entry.account
        universal = self.settings.pool == "universal"
        taken: list[Lot] = []
        missing = quantity
        for row in list(self._opening):
            if not missing:
                break
            if row.asset != asset or (row.sub_account != sub and not universal):
                continue
            part = min(row.quantity, missing)
            index = self._opening.index(row)
            if part == row.quantity:
                cost = row.cost
                del self._opening[index]
            else:
                cost = _ratio(row.cost, part, row.quantity, self.settings.places)
                self._opening[index] = attrs.evolve(row, quantity=row.quantity - part, cost=row.cost - cost)
            taken.append(self._open(holding, asset, f"opening:{row.line}", part, cost, row.acquired))
            missing -= part
        return taken, missing

    def _consume(self, entry: Entry, asset: str, quantity: Decimal, when: datetime) -> tuple[list[Lot], list[Booking]]:
        """The lots for `quantity` leaving `entry`'s holding: its pool, then opening lots (a holding older
        than the range), then the shortfall rule. Returns the pieces and any zero-cost lot opened."""
        holding = self._where(entry)
        pool = self._pools.setdefault(self._key(holding, asset), [])
        taken, missing = self._cut(pool, quantity)
        opened: list[Booking] = []
        if missing:
            extra, missing = self._from_opening(entry, asset, missing, holding)
            taken += extra
            for lot in extra:
                self._record(lot, None)
                opened.append(self._acquired(entry, lot, "opening", prior=True))
        if missing:
            where = self._holding(entry)
            if self.settings.on_missing_lots == "error":
                held = (quantity - missing).normalize()
                raise LotError(
                    f"{entry.source}: entry {entry.entry_id}: {format_decimal(quantity)} {asset} leave {where} at "
                    f"{when.isoformat()}, but its lots hold only {format_decimal(held)} more: add the lots it "
                    "had before (opening lots), or allow zero-cost lots (on_missing_lots = 'zero')"
                )
            lot = self._open(holding, asset, f"{entry.entry_id}:missing", missing, _ZERO, when)
            taken.append(lot)
            self._record(lot, None)
            opened.append(self._acquired(entry, lot, "missing", prior=True))
            self._warn(
                f"missing:{where}:{asset}",
                f"{where}: {format_decimal(missing)} {asset} left without lots at {when.isoformat()} "
                f"(entry {entry.entry_id}): booked from a zero-cost lot, so its whole proceeds are gain",
            )
        last = self._last_out.get(asset)
        self._last_out[asset] = when if last is None else max(last, when)
        return taken, opened

    def _acquired(
        self, entry: Entry, lot: Lot, origin: str, ids: tuple[str, ...] | None = None, *, prior: bool = False
    ) -> Acquisition:
        return Acquisition(
            entry_ids=ids or (entry.entry_id,),
            when=entry.timestamp,
            holding=self._holding(entry),
            asset=lot.asset,
            quantity=lot.quantity,
            cost=lot.cost,
            origin=origin,
            lot_id=lot.lot_id,
            acquired=lot.acquired,
            prior=prior,
        )

    def _acquire(
        self,
        entry: Entry,
        asset: str,
        quantity: Decimal,
        cost: Decimal,
        origin: str,
        when: datetime,
        ids: tuple[str, ...],
    ) -> Acquisition:
        lot = self._open(self._where(entry), asset, entry.entry_id, quantity, cost, when)
        self._add(lot)
        return self._acquired(entry, lot, origin, ids)

    def _dispose(
        self,
        entry: Entry,
        asset: str,
        quantity: Decimal,
        proceeds: Decimal,
        when: datetime,
        ids: tuple[str, ...],
        *,
        fee: bool = False,
    ) -> list[Booking]:
        if not quantity:
            return []
        taken, opened = self._consume(entry, asset, quantity, when)
        uses = tuple(LotUse(lot_id=t.lot_id, quantity=t.quantity, cost=t.cost, acquired=t.acquired) for t in taken)
        disposal = Disposal(
            entry_ids=ids,
            when=when,
            holding=self._holding(entry),
            asset=asset,
            quantity=quantity,
            proceeds=proceeds,
            cost=sum((u.cost for u in uses), _ZERO),
            uses=uses,
            fee=fee,
        )
        return [*opened, disposal]

    def _spend_fee(
        self, entry: Entry, asset: str, quantity: Decimal, value: Decimal, ids: tuple[str, ...], *, fee: bool = True
    ) -> list[Booking]:
        """A fee paid in an asset: its units are disposed at their fair value, and that value is an expense."""
        when = entry.timestamp
        expense = Expense(entry_ids=ids, when=when, asset=asset, quantity=quantity, value=value, fee=fee)
        if asset == self.settings.home_currency:
            return [expense]
        return [*self._dispose(entry, asset, quantity, value, when, ids, fee=True), expense]

    # -- single entries ----------------------------------------------------------------------

    def _single(self, entry: Entry) -> list[Booking]:
        if entry.asset == self.settings.home_currency or not entry.amount:
            return []
        if self._own(entry):
            return self._send(entry) if entry.amount < 0 else self._receive(entry)
        ids, day, when = (entry.entry_id,), entry.timestamp.date(), entry.timestamp
        principal = entry.amount + entry.fee
        if entry.amount < 0:
            if entry.kind in _SPENT:
                spent = -entry.amount
                return self._spend_fee(entry, entry.asset, spent, self._fair(entry.asset, spent, day), ids, fee=False)
            proceeds = self._fair(entry.asset, -principal, day)
            if self.settings.fees == "basis" or not entry.fee:
                return self._dispose(entry, entry.asset, -entry.amount, proceeds, when, ids)
            return [
                *self._dispose(entry, entry.asset, -principal, proceeds, when, ids),
                *self._spend_fee(entry, entry.asset, entry.fee, self._fair(entry.asset, entry.fee, day), ids),
            ]
        if entry.kind in _INCOME or entry.kind is Kind.LOAN:
            return self._receive_at_value(entry, "income" if entry.kind in _INCOME else "loan")
        return self._deposit(entry, entry.amount)

    def _receive_at_value(self, entry: Entry, origin: str) -> list[Booking]:
        """Income in kind or a loan: a lot at fair value on receipt. A fee taken from what came in is
        capitalised (`basis`: the rest cost the whole value) or an expense (`expense`)."""
        day, ids = entry.timestamp.date(), (entry.entry_id,)
        gross = entry.amount + entry.fee
        value = self._fair(entry.asset, gross, day)
        if self.settings.fees == "basis" or not entry.fee:
            return [self._acquire(entry, entry.asset, entry.amount, value, origin, entry.timestamp, ids)]
        fee_value = _ratio(value, entry.fee, gross, self.settings.places)
        return [
            self._acquire(entry, entry.asset, entry.amount, value - fee_value, origin, entry.timestamp, ids),
            Expense(entry_ids=ids, when=entry.timestamp, asset=entry.asset, quantity=entry.fee, value=fee_value),
        ]

    def _deposit(self, entry: Entry, quantity: Decimal) -> list[Booking]:
        """From outside: the opening lots say what it cost; beyond them, fair value on the day, with a
        warning. A fee the deposit's own entry charged was never in this book's lots: an expense at
        fair value, in either fee mode (there is no purchase here to capitalise it into)."""
        holding = self._where(entry)
        lots, missing = self._from_opening(entry, entry.asset, quantity, holding)
        bookings: list[Booking] = []
        for lot in lots:
            self._add(lot)
            bookings.append(self._acquired(entry, lot, "opening"))
        if missing:
            value = self._fair(entry.asset, missing, entry.timestamp.date())
            bookings.append(
                self._acquire(entry, entry.asset, missing, value, "deposit", entry.timestamp, (entry.entry_id,))
            )
            self._warn(
                f"deposit:{entry.asset}",
                f"{entry.asset}: deposits without opening lots are taken at fair value on the deposit day "
                f"(first: entry {entry.entry_id}, {format_decimal(missing)} {entry.asset} on "
                f"{entry.timestamp.date().isoformat()} at {format_decimal(value)} {self.settings.home_currency}); "
                "give their real cost in an opening-lots file",
            )
        if entry.fee and not self._own(entry):
            value = self._fair(entry.asset, entry.fee, entry.timestamp.date())
            bookings.append(
                Expense(
                    entry_ids=(entry.entry_id,),
                    when=entry.timestamp,
                    asset=entry.asset,
                    quantity=entry.fee,
                    value=value,
                )
            )
        return bookings

    def _send(self, entry: Entry) -> list[Booking]:
        """An own-account transfer out: the moved lots go in transit with their cost and date; a fee is a disposal."""
        moved = -(entry.amount + entry.fee)
        taken, opened = self._consume(entry, entry.asset, moved, entry.timestamp)
        self._transit.setdefault(entry.asset, []).append(_Batch(entry.entry_id, entry.asset, moved, taken))
        bookings: list[Booking] = [*opened, self._move(entry, "out", moved, taken)]
        if entry.fee:
            fee_value = self._fair(entry.asset, entry.fee, entry.timestamp.date())
            bookings += self._spend_fee(entry, entry.asset, entry.fee, fee_value, (entry.entry_id,))
        return bookings

    def _receive(self, entry: Entry) -> list[Booking]:
        """An own-account transfer in takes lots in transit: the latest batch of the same quantity if
        one is waiting (the send a journal pairs it with), else the oldest batches. What no batch covers
        came from outside (a deposit). Arriving pieces are new lots of this holding (a new `uid`)."""
        gross = entry.amount + entry.fee
        waiting = self._transit.get(entry.asset, [])
        same = next((b for b in reversed(waiting) if b.quantity == gross), None)
        arrived: list[Lot] = []
        missing = gross
        holding = self._where(entry)
        emptied: list[_Batch] = []
        for batch in itertools.chain([same] if same else [], (b for b in waiting if b is not same)):
            if not missing:
                break
            pieces, _ = self._cut(batch.lots, min(missing, batch.quantity), pool=False)
            batch.quantity -= sum((p.quantity for p in pieces), _ZERO)
            if not batch.lots:
                emptied.append(batch)
            arrived += [attrs.evolve(p, holding=holding, uid=self._uid()) for p in pieces]
            missing -= sum((p.quantity for p in pieces), _ZERO)
        for batch in emptied:  # the paired send is usually the last one waiting: look from the end
            del waiting[len(waiting) - 1 - next(i for i, b in enumerate(reversed(waiting)) if b is batch)]
        for lot in arrived:
            self._add(lot)
        bookings: list[Booking] = []
        if arrived:
            bookings.append(self._move(entry, "in", gross - missing, arrived))
        if missing:
            bookings += self._deposit(entry, missing)
        if entry.fee:
            fee_value = self._fair(entry.asset, entry.fee, entry.timestamp.date())
            bookings += self._spend_fee(entry, entry.asset, entry.fee, fee_value, (entry.entry_id,))
        return bookings

    def _move(self, entry: Entry, direction: Literal["out", "in"], quantity: Decimal, lots: list[Lot]) -> Move:
        uses = tuple(LotUse(lot_id=x.lot_id, quantity=x.quantity, cost=x.cost, acquired=x.acquired) for x in lots)
        return Move(
            entry_ids=(entry.entry_id,),
            when=entry.timestamp,
            holding=self._holding(entry),
            asset=entry.asset,
            direction=direction,
            quantity=quantity,
            cost=sum((u.cost for u in uses), _ZERO),
            uses=uses,
        )

    # -- trades ------------------------------------------------------------------------------

    def _trade(self, legs: list[Entry]) -> list[Booking]:
        """One trade: what was given is disposed, what was received opens lots, at one value.

        The trade is valued once, so the proceeds of what left equal the cost of what came in and the
        books balance: by its home-currency leg when it has one, else at the fair value of what it
        received, or of what it gave when the price book has no price for what it received (a
        one-sided trade at the fair value of its one side). Legs on the other side share
        that value, in proportion to their fair values when there are several. A fee in a leg's own
        asset is valued at the trade's price, one in a third asset (KCS) at its fair value. Then,
        with `fees="basis"`, a trade that acquires capitalises every fee into its lots, and a sale
        takes the fees off its proceeds; with `fees="expense"` each fee is an expense.
        """
        when = max(leg.timestamp for leg in legs)
        day, ids = when.date(), tuple(leg.entry_id for leg in legs)
        home, places = self.settings.home_currency, self.settings.places
        first: dict[tuple[str, str], Entry] = {}
        principal: dict[tuple[str, str], Decimal] = {}
        fee: dict[tuple[str, str], Decimal] = {}
        for leg in legs:
            key = (self._holding(leg), leg.asset)
            first.setdefault(key, leg)
            principal[key] = principal.get(key, _ZERO) + leg.amount + leg.fee
            fee[key] = fee.get(key, _ZERO) + leg.fee
        given = [k for k, p in principal.items() if p < 0]
        received = [k for k, p in principal.items() if p > 0]

        def fair(keys: list[tuple[str, str]]) -> dict[tuple[str, str], Decimal]:
            return {k: self._fair(k[1], abs(principal[k]), day) for k in keys}

        if any(k[1] == home for k in given):
            other, value = received, fair(given)
        elif any(k[1] == home for k in received) or not given:
            other, value = given, fair(received)
        elif not received:
            other, value = [], fair(given)
        else:
            try:
                other, value = given, fair(received)
            except MissingPriceError:
                other, value = received, fair(given)
        total = sum(value.values(), _ZERO)
        other_home = [k for k in other if k[1] == home]
        other_assets = [k for k in other if k[1] != home]
        for k in other_home:
            value[k] = abs(principal[k])
        share = total - sum((value[k] for k in other_home), _ZERO)
        if len(other_assets) == 1:
            value[other_assets[0]] = share
        elif other_assets:
            weights = [self._fair(k[1], abs(principal[k]), day) for k in other_assets]
            value.update(zip(other_assets, _split(share, weights, places), strict=True))
        fee_value: dict[tuple[str, str], Decimal] = {}
        for k, f in fee.items():
            if not f:
                continue
            if k[1] == home:
                fee_value[k] = f
            elif principal[k]:
                fee_value[k] = _ratio(value[k], f, abs(principal[k]), places)
            else:
                fee_value[k] = self._fair(k[1], f, day)
        lots_in = [k for k in received if k[1] != home]
        out = [k for k in given if k[1] != home]
        third = [k for k in fee_value if not principal[k]]
        bookings: list[Booking] = []
        if self.settings.fees == "basis":
            if lots_in:
                extra = sum((v for k, v in fee_value.items() if k not in lots_in), _ZERO)
                parts = _split(extra, [value[k] for k in lots_in], places)
                costs = {k: value[k] + part for k, part in zip(lots_in, parts, strict=True)}
                proceeds = {k: value[k] + fee_value.get(k, _ZERO) for k in out}
            else:
                reduce = sum((fee_value[k] for k in fee_value if k[1] == home or k in third), _ZERO)
                parts = _split(reduce, [value[k] for k in out], places)
                proceeds = {k: value[k] - part for k, part in zip(out, parts, strict=True)}
                costs = {}
            for k in out:
                bookings += self._dispose(first[k], k[1], abs(principal[k]) + fee[k], proceeds[k], when, ids)
            for k in third:
                if k[1] != home:
                    bookings += self._dispose(first[k], k[1], fee[k], fee_value[k], when, ids, fee=True)
            for k in lots_in:
                net = principal[k] - fee[k]
                bookings.append(self._acquire(first[k], k[1], net, costs[k], "trade", when, ids))
            return bookings
        for k in out:
            bookings += self._dispose(first[k], k[1], abs(principal[k]), value[k], when, ids)
        for k, v in fee_value.items():
            if k not in lots_in:
                bookings += self._spend_fee(first[k], k[1], fee[k], v, ids)
        for k in lots_in:
            net, cut = principal[k] - fee[k], fee_value.get(k, _ZERO)
            bookings.append(self._acquire(first[k], k[1], net, value[k] - cut, "trade", when, ids))
            if cut:
                bookings.append(Expense(entry_ids=ids, when=when, asset=k[1], quantity=fee[k], value=cut))
        return bookings
