"""The sandbox's ledger: deterministic generated data shaped like KuCoin's, and range queries over it.

The first day opens with deposits and transfers that fund every currency and account type, so
balances start at zero and agree with the amounts from the first entry on. Every active day has
entries exactly on midnight, noon (a window edge of the connector) and the
last millisecond; a burst of trade legs sharing one millisecond (long enough to straddle pages);
and a mix that walks through every bizType spelling, so a few days cover them all. Days 3 and 4 of
every week are quiet, a 48 h gap. Tickers include `1INCH`; ETH has 18 decimals. Balances run per
currency and account type, so they agree with the amounts.

`GeneratedLedger(demo=True)` is the demo's account instead (`_DemoBuilder`): a few deposits, then
trades and moves sized from what each holding has, never below zero, at `DEMO_PLACES`.

Days are generated in order on first use and kept newest first with their JSON pre-serialised,
so serving a page is a bisect and a slice, and a million entries cost seconds once, not per request.
"""

from __future__ import annotations

import bisect
import json
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

import attrs

from ledgerport import Kind, to_ms

from ..mapping import BIZ_TYPES, REQUEST_CODES, biz_key

__all__ = ["DAY_MS", "DEMO_PLACES", "DEMO_PRICES", "PLACES", "QUIET_WEEKDAYS", "GeneratedLedger", "Row"]

DAY_MS = 86_400_000
HOUR = 3_600_000
QUIET_WEEKDAYS = (3, 4)
"""Days `d` of the ledger with `d % 7` in here have no entries."""

PLACES = {"BTC": 8, "ETH": 18, "USDT": 6, "1INCH": 8, "KCS": 8, "XRP": 6}
DEMO_PLACES = {"BTC": 8, "ETH": 8, "USDT": 6, "1INCH": 4, "KCS": 4, "XRP": 4}
"""The precision of the demo's amounts (`GeneratedLedger(demo=True)`), as a real account's look."""
DEMO_PRICES = {"BTC": Decimal("42123.45"), "ETH": Decimal("2300.5"), "KCS": Decimal("10.12"), "USDT": Decimal(1)}
"""What the demo's trades pay, give or take 3 %, in USDT: the prices of the demo's price file."""
DEMO_PAIRS = (("BTC", "USDT"), ("ETH", "USDT"), ("KCS", "USDT"), ("ETH", "BTC"))
PAIRS = (("BTC", "USDT"), ("ETH", "USDT"), ("1INCH", "USDT"), ("ETH", "BTC"), ("KCS", "USDT"))
BURST_FILLS = 7
TRADE_KEYS = frozenset({"tradeexchange", "exchange", "margintrade", "marginexchange"})
"""Order fills, which come as two legs; other trades (Buy Crypto, Convert to KCS) are one entry here."""
KINDS: Mapping[str, Kind] = {
    **dict(BIZ_TYPES),
    **dict(REQUEST_CODES),
    "trade exchange": Kind.TRADE,
    "sub_account_transfer": Kind.TRANSFER,
}
SPELLINGS = tuple(KINDS)
"""Every bizType the connector knows, in the spellings KuCoin uses and two it might."""
TRADES = frozenset(name for name in KINDS if biz_key(name) in TRADE_KEYS)

DIRECTIONS: Mapping[str, tuple[str, ...]] = {
    **{name: ("in",) for name, kind in KINDS.items() if kind in (Kind.REWARD, Kind.DEPOSIT)},
    **{name: ("out",) for name, kind in KINDS.items() if kind is Kind.WITHDRAWAL},
    "KCS Pay Fees": ("out",),
    "Liquidation Fees": ("out",),
    "Debt Repayment": ("out",),
    "Lendings": ("out",),
    "Send red envelope": ("out",),
    "Staking": ("out",),
    "Public Offering Purchase": ("in",),
}
"""Directions that follow from the bizType; any other goes either way (transfers, trades, ...)."""

ACCOUNT_TYPES: Mapping[str, str] = {
    "Margin Trade": "MARGIN",
    "MARGIN_EXCHANGE": "MARGIN",
    "Borrowings": "MARGIN",
    "Debt Repayment": "MARGIN",
    "Liquidation Fees": "MARGIN",
    "Transfer": "CONTRACT",
}

Row = dict[str, Any]

_compact = json.JSONEncoder(separators=(",", ":")).encode
"""One encoder for every row: `json.dumps` with options would build a new one per call."""


def _amount(units: int, places: int) -> str:
    """Integer minimal units as KuCoin's decimal text, at the asset's full precision."""
    whole, frac = divmod(abs(units), 10**places)
    return f"{'-' if units < 0 else ''}{whole}.{frac:0{places}d}"


def _malformed(row: Row, rng: random.Random) -> Row:
    """One of the corruptions a connector must name: a non-numeric amount, no timestamp, a bad direction."""
    broken = dict(row)
    damage = rng.randrange(3)
    if damage == 0:
        broken["amount"] = broken["amount"].replace(".", ",")
    elif damage == 1:
        del broken["createdAt"]
    else:
        broken["direction"] = "sideways"
    return broken


@attrs.frozen
class Day:
    """One generated day, newest first, with the serialised form of each row and a key to bisect on."""

    rows: Sequence[Row]
    wire: Sequence[bytes]
    keys: Sequence[int]

    def between(self, lo: int, hi: int) -> tuple[int, int]:
        """The slice of rows with `lo <= createdAt <= hi`."""
        return bisect.bisect_left(self.keys, -hi), bisect.bisect_right(self.keys, -lo)


class GeneratedLedger:
    """`days` days of entries from `start` (midnight UTC), about `per_day` on each active day."""

    def __init__(
        self,
        *,
        seed: int,
        start: datetime,
        days: int,
        per_day: int,
        malformed: float = 0.0,
        extra: Iterable[Row] = (),
        demo: bool = False,
    ) -> None:
        self.seed, self.start, self.days, self.per_day, self.malformed = seed, start, days, per_day, malformed
        self.demo = demo
        """A real person's account (`_DemoBuilder`) instead of every edge case in bulk (`_Builder`)."""
        self.places = DEMO_PLACES if demo else PLACES
        self.start_ms = to_ms(start)
        self.malformed_ids: set[str] = set()
        self._days: list[Day] = []
        self._balances: dict[tuple[str, str], int] = {}
        self._spelling = 0
        self._extra: dict[int, list[Row]] = {}
        for row in extra:
            index = (row["createdAt"] - self.start_ms) // DAY_MS
            if not 0 <= index < days:
                raise ValueError(f"extra record {row.get('id')!r} is outside the sandbox's {days} days")
            self._extra.setdefault(index, []).append(dict(row))

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.days)

    def day(self, index: int) -> Day:
        while len(self._days) <= index:
            self._days.append(self._generate(len(self._days)))
        return self._days[index]

    def _day_range(self, lo: int, hi: int) -> range:
        first = max((lo - self.start_ms) // DAY_MS, 0)
        last = min((hi - self.start_ms) // DAY_MS, self.days - 1)
        return range(last, first - 1, -1)

    def query(self, lo: int, hi: int, keep: Callable[[Row], bool] | None = None) -> list[bytes]:
        """Serialised rows with `lo <= createdAt <= hi`, newest first (both bounds inclusive)."""
        found: list[bytes] = []
        for index in self._day_range(lo, hi):
            day = self.day(index)
            i, j = day.between(lo, hi)
            if keep is None:
                found += day.wire[i:j]
            else:
                found += (wire for row, wire in zip(day.rows[i:j], day.wire[i:j], strict=True) if keep(row))
        return found

    def rows(self, since: datetime, until: datetime) -> list[Row]:
        """The ground truth of `[since, until)`, oldest first: every row as generated, malformed ones included."""
        lo, hi = to_ms(since), to_ms(until) - 1
        found: list[Row] = []
        for index in reversed(self._day_range(lo, hi)):
            day = self.day(index)
            i, j = day.between(lo, hi)
            found += reversed(day.rows[i:j])
        return found

    def balances(self) -> dict[tuple[str, str], Decimal]:
        """Every (currency, accountType) balance at the end of the last day, exactly."""
        self.day(self.days - 1)
        return {key: Decimal(units).scaleb(-self.places[key[0]]) for key, units in self._balances.items()}

    def _generate(self, index: int) -> Day:
        rng = random.Random(f"kucoin-sandbox:{self.seed}:{index}")
        builder = _DemoBuilder if self.demo else _Builder
        rows = [] if index % 7 in QUIET_WEEKDAYS else builder(self, index, rng).build()
        rows += self._extra.get(index, ())
        rows.sort(key=lambda row: (row["createdAt"], row["id"]))
        for row in rows:
            if "_units" in row:
                self._settle(row)
        rows.reverse()
        wire = []
        for row in rows:
            sent = row
            if self.malformed and rng.random() < self.malformed:
                self.malformed_ids.add(row["id"])
                sent = _malformed(row, rng)
            wire.append(_compact(sent).encode())
        return Day(rows=rows, wire=wire, keys=[-row["createdAt"] for row in rows])

    def _settle(self, row: Row) -> None:
        """Runs the balance of the row's holding, in minimal units so it stays exact."""
        places = self.places[row["currency"]]
        key = (row["currency"], row["accountType"])
        units = int(row.pop("_units"))
        balance = self._balances.get(key, 0) + (units if row["direction"] == "in" else -units)
        self._balances[key] = balance
        row["balance"] = _amount(balance, places)

    def next_spelling(self) -> str:
        """Walks through every spelling in turn, across days, so a short range still covers them all."""
        name = SPELLINGS[self._spelling % len(SPELLINGS)]
        self._spelling += 1
        return name


class _Builder:
    """The rows of one active day, before balances."""

    def __init__(self, ledger: GeneratedLedger, index: int, rng: random.Random) -> None:
        self.ledger, self.index, self.rng = ledger, index, rng
        self.midnight = ledger.start_ms + index * DAY_MS
        self.rows: list[Row] = []

    def build(self) -> list[Row]:
        rng, midnight = self.rng, self.midnight
        if self.index == 0:
            self.fund(midnight)
        for edge in (midnight, midnight + DAY_MS // 2, midnight + DAY_MS - 1):
            self.event(edge, self.ledger.next_spelling())
        self.burst(midnight + rng.randrange(DAY_MS))
        while len(self.rows) < self.ledger.per_day:
            self.event(midnight + rng.randrange(DAY_MS), self.ledger.next_spelling())
        return self.rows

    def _id(self) -> str:
        return f"{self.ledger.seed % 0x10000:04x}{self.index:06x}{len(self.rows):014x}"

    def row(
        self, ms: int, currency: str, account: str, biz: str, direction: str, units: int, fee: int, context: str
    ) -> None:
        places = PLACES[currency]
        self.rows.append(
            {
                "id": self._id(),
                "currency": currency,
                "amount": _amount(units, places),
                "fee": _amount(fee, places),
                "balance": None,
                "accountType": account,
                "bizType": biz,
                "direction": direction,
                "createdAt": ms,
                "context": context,
                "_units": units,
            }
        )

    def fund(self, ms: int) -> None:
        """The account's first movements: a deposit of every currency, then transfers from MAIN to each
        other account type, so every balance starts at zero and a sync from the start holds it all."""
        for currency, places in PLACES.items():
            units = 10 ** (places + 7)
            self.row(ms, currency, "MAIN", "Deposit", "in", 4 * units, 0, "")
            for account in ("TRADE", "MARGIN", "CONTRACT"):
                self.row(ms, currency, "MAIN", "Transfer", "out", units, 0, "")
                self.row(ms, currency, account, "Transfer", "in", units, 0, "")

    def units(self, currency: str) -> int:
        places = PLACES[currency]
        return self.rng.randrange(1, 10 ** (places + 2))

    def event(self, ms: int, biz: str) -> None:
        if biz in TRADES:
            self.fill(ms, biz, self._hex(), self.rng.random() < 0.9)
            return
        rng = self.rng
        currency = rng.choice(tuple(PLACES))
        direction = rng.choice(DIRECTIONS.get(biz, ("in", "out")))
        account = ACCOUNT_TYPES.get(biz, "MAIN")
        units = self.units(currency)
        kind = KINDS[biz]
        fee = units // 500 if kind is Kind.WITHDRAWAL else 0
        self.row(ms, currency, account, biz, direction, units, fee, self.context(kind, biz))

    def context(self, kind: Kind, biz: str) -> str:
        """As KuCoin fills it: order and chain ids for deposits and withdrawals (or nothing), loan ids for
        loans, those lent out coming back ("Loans Repaid") included."""
        rng = self.rng
        if kind in (Kind.DEPOSIT, Kind.WITHDRAWAL):
            if rng.random() < 0.3:
                return ""
            return json.dumps({"orderId": self._hex(), "txId": f"0x{rng.getrandbits(128):032x}"})
        if kind in (Kind.LOAN, Kind.REPAYMENT) or biz_key(biz) == "loansrepaid":
            return json.dumps({"borrowerUserId": self._hex(), "loanRepayDetailNo": self._hex()})
        return ""

    def _hex(self) -> str:
        return f"{self.rng.getrandbits(96):024x}"

    def burst(self, ms: int) -> None:
        """One order filled BURST_FILLS times in the same millisecond: legs that straddle page boundaries."""
        order = self._hex()
        for _ in range(BURST_FILLS):
            self.fill(ms, "Trade_Exchange", order, True)

    def fill(self, ms: int, biz: str, order: str, with_trade_id: bool) -> None:
        """Both legs of one fill: same millisecond, same tradeId; the quote leg carries the fee."""
        rng = self.rng
        base, quote = rng.choice(PAIRS)
        context: dict[str, str] = {"symbol": f"{base}-{quote}", "orderId": order}
        if with_trade_id:
            context["tradeId"] = self._hex()
        text = repr(context) if rng.random() < 0.15 else json.dumps(context)
        account = ACCOUNT_TYPES.get(biz, "TRADE")
        size, funds = self.units(base), self.units(quote)
        fee = funds // 1000
        buy = rng.random() < 0.5
        self.row(ms, base, account, biz, "in" if buy else "out", size, 0, text)
        self.row(ms, quote, account, biz, "out" if buy else "in", funds + fee if buy else funds - fee, fee, text)


def _units_of(value: Decimal, places: int) -> int:
    """`value` in minimal units, rounded down (an amount sized from a balance never exceeds it)."""
    return int(value.scaleb(places).to_integral_value(ROUND_DOWN))


def demo_fill(
    rng: random.Random, base: str, quote: str, held_base: int, held_quote: int, places: Mapping[str, int]
) -> tuple[bool, int, int, int] | None:
    """A fill sized from what is held: (buy, base units, quote units, fee units in the quote), or None when
    neither side holds 20 USDT's worth. A buy spends 5–30 % of the quote held (fee included), a sell
    gives 5–40 % of the base held; the price is the demo's, give or take 3 %; the fee is 0.1 %."""
    price = DEMO_PRICES[base] / DEMO_PRICES[quote] * (1 + Decimal(rng.randint(-300, 300)).scaleb(-4))
    worth = {
        base: Decimal(held_base).scaleb(-places[base]) * DEMO_PRICES[base],
        quote: Decimal(held_quote).scaleb(-places[quote]) * DEMO_PRICES[quote],
    }
    can_buy, can_sell = worth[quote] >= 20, worth[base] >= 20
    if not (can_buy or can_sell):
        return None
    buy = can_buy and (not can_sell or rng.random() < 0.5)
    if buy:
        spend = Decimal(held_quote).scaleb(-places[quote]) * Decimal(rng.randint(5, 30)).scaleb(-2)
        size = _units_of(spend / price, places[base])
    else:
        size = _units_of(
            Decimal(held_base).scaleb(-places[base]) * Decimal(rng.randint(5, 40)).scaleb(-2), places[base]
        )
    funds = _units_of(Decimal(size).scaleb(-places[base]) * price, places[quote])
    fee = funds // 1000
    if size <= 0 or funds <= fee or (buy and funds + fee > held_quote) or (not buy and size > held_base):
        return None
    return buy, size, funds, fee


class _DemoBuilder:
    """One day of a real person's account: a few deposits on the first day, then trades, transfers,
    deposits, withdrawals and a bonus now and then, each sized from what the holding has at that
    moment, so no balance ever goes below zero. The moves out of MAIN that the other ledgers bring
    (`extra`) are set aside beforehand: nothing spends what a later move takes."""

    WITHDRAWAL_FEES: Mapping[str, str] = {"USDT": "1", "BTC": "0.0002", "ETH": "0.002", "KCS": "0.05"}

    def __init__(self, ledger: GeneratedLedger, index: int, rng: random.Random) -> None:
        self.ledger, self.index, self.rng = ledger, index, rng
        self.midnight = ledger.start_ms + index * DAY_MS
        self.rows: list[Row] = []
        self.held: dict[tuple[str, str], int] = dict(ledger._balances)
        self.moves = sorted(
            (row["createdAt"], row["id"], (row["currency"], row["accountType"]), row["_units"], row["direction"])
            for rows in ledger._extra.values()
            for row in rows
            if "_units" in row
        )

    def build(self) -> list[Row]:
        rng = self.rng
        if self.index == 0:
            self.fund(self.midnight)
        for ms in sorted(self.midnight + HOUR + rng.randrange(DAY_MS - HOUR) for _ in range(self.ledger.per_day)):
            self.event(ms)
        return self.rows

    def _settled(self, key: tuple[str, str], ms: int) -> int:
        """What the holding can spend at `ms`: its balance with every earlier move out taken, less every later one."""
        units = self.held.get(key, 0)
        for at, _, moved, amount, direction in self.moves:
            if moved == key and at >= self.midnight:
                if at < ms:
                    units += amount if direction == "in" else -amount
                elif direction == "out":
                    units -= amount
        return max(units, 0)

    def _id(self) -> str:
        return f"{self.ledger.seed % 0x10000:04x}{self.index:06x}{len(self.rows):014x}"

    def _hex(self) -> str:
        return f"{self.rng.getrandbits(96):024x}"

    def row(self, ms: int, currency: str, account: str, biz: str, units: int, fee: int, context: str) -> None:
        """One row; `units` the signed change of the holding, fee included."""
        places = self.ledger.places[currency]
        key = (currency, account)
        self.held[key] = self.held.get(key, 0) + units
        self.rows.append(
            {
                "id": self._id(),
                "currency": currency,
                "amount": _amount(abs(units), places),
                "fee": _amount(fee, places),
                "balance": None,
                "accountType": account,
                "bizType": biz,
                "direction": "in" if units >= 0 else "out",
                "createdAt": ms,
                "context": context,
                "_units": abs(units),
            }
        )

    def units(self, currency: str, text: str) -> int:
        return _units_of(Decimal(text), self.ledger.places[currency])

    def fund(self, ms: int) -> None:
        """The account's first day: three deposits to MAIN, then part of each moved to TRADE to trade with."""
        for currency, amount, to_trade in (("USDT", "4850", "1200"), ("BTC", "0.085", "0.03"), ("ETH", "1.42", "0.5")):
            chain = json.dumps({"orderId": self._hex(), "txId": f"0x{self.rng.getrandbits(128):032x}"})
            self.row(ms, currency, "MAIN", "Deposit", self.units(currency, amount), 0, chain)
            moved = self.units(currency, to_trade)
            self.row(ms + 60_000, currency, "MAIN", "Transfer", -moved, 0, "")
            self.row(ms + 60_000, currency, "TRADE", "Transfer", moved, 0, "")

    def event(self, ms: int) -> None:
        draw = self.rng.random()
        if draw < 0.62 or not self.other(ms, draw):
            self.trade(ms)

    def trade(self, ms: int) -> None:
        rng, places = self.rng, self.ledger.places
        base, quote = rng.choice(DEMO_PAIRS)
        fill = demo_fill(
            rng, base, quote, self._settled((base, "TRADE"), ms), self._settled((quote, "TRADE"), ms), places
        )
        if fill is None:
            return
        buy, size, funds, fee = fill
        context = json.dumps({"symbol": f"{base}-{quote}", "orderId": self._hex(), "tradeId": self._hex()})
        self.row(ms, base, "TRADE", "Trade_Exchange", size if buy else -size, 0, context)
        self.row(ms, quote, "TRADE", "Trade_Exchange", -(funds + fee) if buy else funds - fee, fee, context)

    def other(self, ms: int, draw: float) -> bool:
        """A deposit, withdrawal, transfer or bonus; False when the holding it needs has too little."""
        rng = self.rng
        if draw < 0.65:  # a deposit every ten days or so
            amount = Decimal(rng.randint(100, 1500)) if rng.random() < 0.8 else Decimal(rng.randint(25, 400)).scaleb(-2)
            chain = json.dumps({"orderId": self._hex(), "txId": f"0x{rng.getrandbits(128):032x}"})
            self.row(ms, "USDT", "MAIN", "Deposit", self.units("USDT", str(amount)), 0, chain)
            return True
        if draw < 0.71:
            self.row(
                ms,
                "KCS",
                "MAIN",
                "KuCoin Bonus",
                self.units("KCS", str(Decimal(rng.randint(5, 150)).scaleb(-2))),
                0,
                "",
            )
            return True
        currency = rng.choice(("USDT", "BTC", "ETH", "KCS"))
        if draw < 0.79:
            held = self._settled((currency, "MAIN"), ms)
            fee = self.units(currency, self.WITHDRAWAL_FEES[currency])
            units = held * rng.randint(10, 40) // 100
            if units <= 10 * fee:
                return False
            chain = json.dumps({"orderId": self._hex(), "txId": f"0x{rng.getrandbits(128):032x}"})
            self.row(ms, currency, "MAIN", "Withdrawal", -units, fee, chain)
            return True
        if draw < 0.95:
            source, target = ("MAIN", "TRADE") if rng.random() < 0.6 else ("TRADE", "MAIN")
            units = self._settled((currency, source), ms) * rng.randint(20, 60) // 100
            if units <= 0:
                return False
            self.row(ms, currency, source, "Transfer", -units, 0, "")
            self.row(ms, currency, target, "Transfer", units, 0, "")
            return True
        units = self.units("KCS", str(Decimal(rng.randint(1, 80)).scaleb(-3)))
        if self._settled(("KCS", "TRADE"), ms) < units:
            return False
        self.row(ms, "KCS", "TRADE", "KCS Pay Fees", -units, 0, "")
        return True
