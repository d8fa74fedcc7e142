"""The sandbox's ledger: deterministic seeded transactions, stored in columns so a million stay cheap.

Times are 100 ns ticks since the epoch (1Konto's seven fractional digits); orderings rise with time,
with gaps, and both legs of a trade share one; amounts are exact integers of each asset's smallest
unit (18 decimals for ETH and 1INCH). Each transaction's true signed change of its holding (`delta`)
is the ground truth tests compare a sync's output with; what the API shows as `amount` follows from
it (directional events may show either sign; the direction is the event's).
"""

from __future__ import annotations

import json
import random
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

import attrs

TICKS_PER_SECOND = 10_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TICKS_PER_DAY = 86_400 * TICKS_PER_SECOND

ASSETS = (("BTC", 8), ("ETH", 18), ("USD", 2), ("USDC", 6), ("1INCH", 18))

# (eventType, subEventType, direction of the true change: +1 in, -1 out, 0 the shown amount's own sign)
EVENTS = (
    ("initialBalances", None, 1),
    ("deposit", None, 1),
    ("withdrawal", None, -1),
    ("transferSent", None, -1),
    ("transferReceived", None, 1),
    ("trade", "source", -1),
    ("trade", "destination", 1),
    ("manual", None, 0),
    ("order", None, 0),
    ("invalid", None, 0),
)
_INITIAL, _TRADE_SOURCE, _TRADE_DESTINATION, _ORDER = 0, 5, 6, 8
"""An order reserves funds and moves none (its trade settles as the two legs): its true change is 0."""
# Cumulative weights of the events drawn after the opening balances; a trade brings two legs.
_DRAW = ((1, 0.14), (2, 0.24), (3, 0.29), (4, 0.34), (_TRADE_SOURCE, 0.86), (7, 0.94), (8, 0.998), (9, 1.0))


def to_ticks(instant: datetime) -> int:
    return (instant - _EPOCH) // timedelta(microseconds=1) * 10


def tick_text(ticks: int) -> str:
    """`2023-05-12T21:38:21.6200000Z`: 1Konto's form, all seven digits."""
    seconds, fraction = divmod(ticks, TICKS_PER_SECOND)
    return (_EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.") + f"{fraction:07d}Z"


@attrs.frozen(kw_only=True)
class Transaction:
    """One transaction as ground truth: what the API serves, and the true signed change `delta`."""

    ordering: int
    transaction_id: str
    asset: str
    amount: Decimal
    event_type: str
    sub_event_type: str | None
    event_time: str
    timestamp: datetime
    delta: Decimal


class Ledger:
    """One account's transactions in ascending ordering (and so time), with the queries the API answers."""

    def __init__(self, account: str, places: Sequence[int] | None = None) -> None:
        self.account = account
        self.places = tuple(places) if places is not None else tuple(p for _, p in ASSETS)
        """Each asset's decimals in `units`: `ASSETS`' full precision unless a ledger (the demo's) says fewer."""
        self.orderings = array("q")
        self.ticks = array("q")
        self.events = bytearray()
        self.assets = bytearray()
        self.units: list[int] = []
        self._account_json = json.dumps(account)

    def __len__(self) -> int:
        return len(self.orderings)

    def _append(self, ordering: int, ticks: int, event: int, asset: int, units: int) -> None:
        self.orderings.append(ordering)
        self.ticks.append(ticks)
        self.events.append(event)
        self.assets.append(asset)
        self.units.append(units)

    def transaction_id(self, index: int) -> str:
        event = self.events[index]
        suffix = "sd"[event - _TRADE_SOURCE] if event in (_TRADE_SOURCE, _TRADE_DESTINATION) else ""
        return f"{self.orderings[index]:010x}{suffix}"

    def _decimal(self, index: int, units: int) -> Decimal:
        return Decimal(f"{units}E-{self.places[self.assets[index]]}")  # exact, where scaleb rounds to 28 digits

    def shown_amount(self, index: int) -> Decimal:
        """What the API shows: a directional event's size, with a minus on some withdrawals and
        transfers sent (the direction is the event's, whatever the sign); the own sign otherwise."""
        units = self.units[index]
        direction = EVENTS[self.events[index]][2]
        if direction == 0:
            return self._decimal(index, units)
        shown = -abs(units) if direction < 0 and self.orderings[index] % 3 == 0 else abs(units)
        return self._decimal(index, shown)

    def record_json(self, index: int) -> str:
        """One transaction as the API writes it, the amount a JSON number at full precision."""
        event, sub_event, _ = EVENTS[self.events[index]]
        sub = f',"subEventType":"{sub_event}"' if sub_event else ""
        return (
            f'{{"ordering":{self.orderings[index]},"accountId":{self._account_json},'
            f'"transactionId":"{self.transaction_id(index)}","asset":"{ASSETS[self.assets[index]][0]}",'
            f'"amount":{format(self.shown_amount(index), "f")},"eventType":"{event}"{sub},'
            f'"eventTime":"{tick_text(self.ticks[index])}"}}'
        )

    def record(self, index: int) -> dict[str, Any]:
        """The record exactly as served, decoded with exact decimals."""
        return json.loads(self.record_json(index), parse_float=Decimal)

    def transaction(self, index: int) -> Transaction:
        event, sub_event, _ = EVENTS[self.events[index]]
        ticks = self.ticks[index]
        return Transaction(
            ordering=self.orderings[index],
            transaction_id=self.transaction_id(index),
            asset=ASSETS[self.assets[index]][0],
            amount=self.shown_amount(index),
            event_type=event,
            sub_event_type=sub_event,
            event_time=tick_text(ticks),
            timestamp=_EPOCH + timedelta(microseconds=ticks // 10),
            delta=self._decimal(index, 0 if self.events[index] == _ORDER else self.units[index]),
        )

    def __iter__(self) -> Iterator[Transaction]:
        return map(self.transaction, range(len(self)))

    def between(self, since: datetime, until: datetime) -> list[Transaction]:
        """Ground truth for a sync of `[since, until)`: the transactions whose full-precision time is in it."""
        lo, hi = bisect_left(self.ticks, to_ticks(since)), bisect_left(self.ticks, to_ticks(until))
        return [self.transaction(i) for i in range(lo, hi)]

    def span(self, start_ticks: int, end_ticks: int, start_ordering: int | None) -> range:
        """Indices with `start_ticks <= ticks <= end_ticks` (both inclusive) and ordering >= `start_ordering`."""
        lo = bisect_left(self.ticks, start_ticks)
        if start_ordering is not None:
            lo = max(lo, bisect_left(self.orderings, start_ordering))
        return range(lo, max(lo, bisect_right(self.ticks, end_ticks)))

    def _totals(self, until_ticks: int | None) -> list[int]:
        """Each asset's signed sum, in its smallest units, of the transactions at or before `until_ticks`."""
        end = len(self) if until_ticks is None else bisect_right(self.ticks, until_ticks)
        totals = [0] * len(ASSETS)
        for index in range(end):
            if self.events[index] != _ORDER:
                totals[self.assets[index]] += self.units[index]
        return totals

    def holdings(self, until_ticks: int | None = None) -> dict[str, tuple[Decimal, Decimal]]:
        """What Get Account reports per asset: (free, locked), whose sum is the exact signed sum of
        every transaction at or before `until_ticks` (all of them by default), opening balances included.

        Some of a holding is locked (a quarter of BTC's, USD's and 1INCH's when positive), so a client
        that takes `free` for the total does not reconcile. Every asset of `ASSETS` is reported.
        """
        report = {}
        for asset, total in enumerate(self._totals(until_ticks)):
            locked = total // 4 if asset % 2 == 0 and total > 0 else 0
            report[ASSETS[asset][0]] = (self._units(asset, total - locked), self._units(asset, locked))
        return report

    def balances(self, until_ticks: int | None = None) -> dict[str, Decimal]:
        """Each asset's exact total at `until_ticks` (free + locked): the ground truth of a reconciliation."""
        return {ASSETS[a][0]: self._units(a, total) for a, total in enumerate(self._totals(until_ticks))}

    def _units(self, asset: int, units: int) -> Decimal:
        return Decimal(f"{units}E-{self.places[asset]}")

    def matches(self, index: int, asset: str | None, event_type: str | None) -> bool:
        return (asset is None or ASSETS[self.assets[index]][0] == asset) and (
            event_type is None or EVENTS[self.events[index]][0] == event_type
        )


def _units(rng: random.Random, asset: int) -> int:
    """A random size with every digit of the asset's precision in use, up to about 100 whole units."""
    return rng.randrange(1, 100 * 10 ** ASSETS[asset][1])


def generate_ledger(*, account: str = "ACC-1", seed: int = 1, since: datetime, until: datetime, events: int) -> Ledger:
    """`events` seeded events in `[since, until)` after one opening balance per asset at `since`.

    Some events fall exactly on midnight (window edges) and some share an instant; trades bring two
    legs. Same arguments, same ledger: tests and benchmarks can rely on it.
    """
    rng = random.Random(seed)
    lo, hi = to_ticks(since), to_ticks(until)
    instants = [rng.randrange(lo, hi) for _ in range(events)]
    for i in range(7, events, 37):
        instants[i] = instants[i - 1]  # several events in one instant
    midnights = range(lo - lo % _TICKS_PER_DAY + _TICKS_PER_DAY, hi, _TICKS_PER_DAY)[:events]
    instants[len(instants) - len(midnights) :] = midnights  # some events exactly on window edges
    instants.sort()
    ledger = Ledger(account)
    ordering = 81_000 + rng.randrange(1_000)
    for asset in range(len(ASSETS)):
        ordering += rng.randint(1, 3)
        ledger._append(ordering, lo, _INITIAL, asset, _units(rng, asset))
    for ticks in instants:
        ordering += rng.randint(1, 4)
        draw = rng.random()
        event = next(code for code, limit in _DRAW if draw < limit)
        asset = rng.randrange(len(ASSETS))
        if event == _TRADE_SOURCE:
            bought = (asset + rng.randrange(1, len(ASSETS))) % len(ASSETS)
            ledger._append(ordering, ticks, _TRADE_SOURCE, asset, -_units(rng, asset))
            ledger._append(ordering, ticks, _TRADE_DESTINATION, bought, _units(rng, bought))
            continue
        units = _units(rng, asset)
        direction = EVENTS[event][2]
        signed = -units if direction < 0 or (direction == 0 and rng.random() < 0.5) else units
        ledger._append(ordering, ticks, event, asset, signed)
    return ledger


DEMO_PLACES = (8, 8, 2, 6, 6)
"""The demo's decimals per asset of `ASSETS` (BTC, ETH, USD, USDC, 1INCH): as a real account shows them."""
DEMO_PRICES = (Decimal("42123.45"), Decimal("2300.5"), Decimal(1), Decimal("1.0001"), Decimal("0.4567"))
"""What the demo's trades pay, give or take 2 %, in USD: the prices of the demo's price file."""
_DEMO_FUNDING = ((2, "2500"), (0, "0.065"), (3, "1800"), (1, "0.75"))
_DEPOSIT, _WITHDRAWAL, _SENT, _RECEIVED, _MANUAL = 1, 2, 3, 4, 7


def generate_demo_ledger(
    *, account: str = "DEMO-1", seed: int = 1, since: datetime, until: datetime, events: int
) -> Ledger:
    """A real person's account for `ledgerport demo`: four deposits in its first hours, then `events`
    trades, deposits, withdrawals, transfers and adjustments, each sized from what the holding has at
    that moment, so no holding ever goes below zero; amounts at `DEMO_PLACES`. Same arguments, same ledger.
    """
    rng = random.Random(f"onekonto-demo:{seed}")
    lo, hi = to_ticks(since), to_ticks(until)
    hour = 3600 * TICKS_PER_SECOND
    ledger = Ledger(account, DEMO_PLACES)
    held = [0] * len(ASSETS)
    ordering = 81_000 + rng.randrange(1_000)

    def append(ticks: int, event: int, asset: int, units: int) -> None:
        held[asset] += units
        ledger._append(ordering, ticks, event, asset, units)

    def units(asset: int, value: Decimal) -> int:
        return int(value.scaleb(DEMO_PLACES[asset]).to_integral_value(ROUND_DOWN))

    def worth(asset: int) -> Decimal:
        return Decimal(held[asset]).scaleb(-DEMO_PLACES[asset]) * DEMO_PRICES[asset]

    def share(asset: int, low: int, high: int) -> int:
        return held[asset] * rng.randint(low, high) // 100

    for step, (asset, amount) in enumerate(_DEMO_FUNDING):
        ordering += rng.randint(1, 3)
        append(lo + hour + step * 600 * TICKS_PER_SECOND, _DEPOSIT, asset, units(asset, Decimal(amount)))
    for ticks in sorted(rng.randrange(lo + 2 * hour, hi) for _ in range(events)):
        ordering += rng.randint(1, 4)
        draw = rng.random()
        holding = [asset for asset in range(len(ASSETS)) if worth(asset) >= 20] or [2]
        asset = rng.choice(holding)
        if draw < 0.66:  # a trade: part of one holding for another asset, 0.2 % fee taken
            bought = rng.choice([other for other in range(len(ASSETS)) if other != asset])
            sold = share(asset, 5, 35)
            price = DEMO_PRICES[bought] * (1 + Decimal(rng.randint(-200, 200)).scaleb(-4))
            value = Decimal(sold).scaleb(-DEMO_PLACES[asset]) * DEMO_PRICES[asset] * Decimal("0.998")
            got = units(bought, value / price)
            if sold > 0 and got > 0:
                append(ticks, _TRADE_SOURCE, asset, -sold)
                append(ticks, _TRADE_DESTINATION, bought, got)
        elif draw < 0.68 or held[asset] == 0:  # a deposit of cash, now and then
            cash = rng.choice((2, 3))
            append(ticks, _DEPOSIT, cash, units(cash, Decimal(rng.randint(50, 1200))))
        elif draw < 0.73:
            append(ticks, _WITHDRAWAL, asset, -share(asset, 10, 30))
        elif draw < 0.81:
            append(ticks, _SENT, asset, -share(asset, 5, 20))
        elif draw < 0.94:
            append(ticks, _RECEIVED, asset, share(asset, 2, 10))
        else:  # a correction of a few parts in a thousand, either way
            append(ticks, _MANUAL, asset, held[asset] * rng.randint(1, 5) // 1000 * rng.choice((1, -1)))
    return ledger
