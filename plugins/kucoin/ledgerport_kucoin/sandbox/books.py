"""The sandbox's other ledgers: HF spot, HF margin, futures and the Unified Trading Account, with the internal
moves that join them to the classic ledger, generated from the seed, rows shaped like the official spec's.

Every amount is made in minimal units and written as text, so the ground truth is exact. Each ledger
keeps its rows oldest first with running balances per holding; `Rows.between` answers a time range.
An internal move is one row in each of two ledgers, the second 1–4 ms after the first, as KuCoin
books them: MAIN → TRADE_HF, TRADE_HF → futures, TRADE_HF → MARGIN_V2 (and FUNDING → UNIFIED in a
unified account). Moves fall between 01:00 and 11:00 UTC, well inside the connector's windows.
"""

from __future__ import annotations

import bisect
import json
import random
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal

import attrs

from .ledger import DAY_MS, DEMO_PLACES, PLACES, QUIET_WEEKDAYS, Row, _amount, demo_fill

__all__ = ["Move", "Multi", "Rows", "Unified", "futures_json"]

HOUR_MS = 3_600_000
SPOT_PAIRS = (("BTC", "USDT"), ("ETH", "USDT"), ("KCS", "USDT"))
FUTURES_CURRENCIES = {"USDT": "USDT", "BTC": "XBT"}
"""What the futures ledger calls the spot currencies that move to it."""
FUTURES_PLACES = 8
"""Futures amounts are JSON numbers; the sandbox gives them at most 8 decimals, as KuCoin's examples."""


@attrs.define
class Rows:
    """One ledger's rows, oldest first, with a time key to bisect on."""

    time: Callable[[Row], int]
    rows: list[Row] = attrs.field(factory=list)
    keys: list[int] = attrs.field(factory=list)

    def seal(self) -> None:
        self.rows.sort(key=lambda row: (self.time(row), int(row["id"] if "id" in row else row["offset"])))
        self.keys = [self.time(row) for row in self.rows]

    def between(self, lo: int, hi: int) -> list[Row]:
        """Rows with `lo <= time <= hi`, oldest first."""
        return self.rows[bisect.bisect_left(self.keys, lo) : bisect.bisect_right(self.keys, hi)]


@attrs.frozen
class Move:
    """An internal move: (ledger, id) of the row that left and of the row that arrived."""

    out: tuple[str, str]
    into: tuple[str, str]


def _days(start_ms: int, days: int) -> Iterator[tuple[int, int]]:
    for index in range(days):
        if index % 7 not in QUIET_WEEKDAYS:
            yield index, start_ms + index * DAY_MS


class _Running:
    """Running balances per (sub-account, currency), in minimal units."""

    def __init__(self) -> None:
        self.units: dict[tuple[str, str], int] = {}

    def apply(self, sub: str, currency: str, units: int) -> int:
        key = (sub, currency)
        self.units[key] = self.units.get(key, 0) + units
        return self.units[key]


class Multi:
    """An HF account with margin and futures: its HF spot, HF margin and futures ledgers, and the classic legs
    of its moves (for the classic ledger to include)."""

    def __init__(self, *, seed: int, start_ms: int, days: int, demo: bool = False) -> None:
        self.rng = random.Random(f"kucoin-sandbox-multi:{seed}")
        self.places: Mapping[str, int] = DEMO_PLACES if demo else PLACES
        self.hf = Rows(lambda row: int(row["createdAt"]))
        self.margin = Rows(lambda row: int(row["createdAt"]))
        self.futures = Rows(lambda row: int(row["time"]))
        self.classic_legs: list[Row] = []
        self.moves: list[Move] = []
        self._next_id = 254062248624417
        self._offset = 51352430
        events: list[tuple[int, int, Callable[[], None]]] = []
        self.demo = demo
        if demo:
            events = _DemoMulti(self).schedule(seed, start_ms, days)
        for index, midnight in () if demo else _days(start_ms, days):
            rng = random.Random(f"kucoin-sandbox-multi:{seed}:{index}")
            for _ in range(6):
                ms = midnight + rng.randrange(DAY_MS)
                events.append((ms, len(events), self._trader(rng, ms)))
            for _ in range(2):
                ms = midnight + rng.randrange(DAY_MS)
                events.append((ms, len(events), self._margin_trader(rng, ms)))
            for _ in range(2):
                ms = midnight + rng.randrange(DAY_MS)
                events.append((ms, len(events), self._pnl(rng, ms)))
            for kind in ("main-hf", "hf-futures", "hf-margin"):
                ms = midnight + HOUR_MS + rng.randrange(10 * HOUR_MS)
                events.append((ms, len(events), self._mover(rng, ms, kind, index == 0)))
        events.sort()
        self._balances = _Running()
        for _, _, make in events:
            make()
        for rows in (self.hf, self.margin, self.futures):
            rows.seal()

    def holdings(self) -> dict[tuple[str, str], Decimal]:
        """Every holding of these ledgers at the end, as the connector names them (futures XBT is BTC)."""
        found = {}
        for (sub, currency), units in self._balances.units.items():
            places = FUTURES_PLACES if sub == "FUTURES" else self.places[currency]
            found[(sub, currency)] = Decimal(units).scaleb(-places)
        return found

    def _id(self) -> int:
        self._next_id += 1 + self.rng.randrange(3)
        return self._next_id

    def _hf_row(
        self, ms: int, sub: str, currency: str, biz: str, units: int, fee: int, context: str, hf: bool = True
    ) -> Row:
        """A row of the HF spot (`hf`, string id and time) or HF margin ledger; `units` the signed balance change."""
        places = self.places[currency]
        balance = self._balances.apply(sub, currency, units)
        ident = self._id()
        head: Row = {"id": str(ident) if hf else ident, "currency": currency, "amount": _amount(abs(units), places)}
        head["fee"] = _amount(fee, places)
        if hf:  # the spec's HF spot example has `tax` after `fee`, its HF margin example last
            head["tax"] = "0"
        row: Row = {
            **head,
            "balance": _amount(balance, places),
            "accountType": sub,
            "bizType": biz,
            "direction": "in" if units >= 0 else "out",
            "createdAt": str(ms) if hf else ms,
            "context": context,
        }
        if not hf:
            row["tax"] = _amount(0, places)
        (self.hf if hf else self.margin).rows.append(row)
        return row

    def _trader(self, rng: random.Random, ms: int) -> Callable[[], None]:
        def trade() -> None:
            base, quote = rng.choice(SPOT_PAIRS)
            size, funds = rng.randrange(1, 10 ** (PLACES[base] - 1)), rng.randrange(1, 10 ** (PLACES[quote] + 1))
            order, trade_id = f"{rng.getrandbits(96):024x}", str(rng.randrange(10**16))
            context = json.dumps({"symbol": f"{base}-{quote}", "orderId": order, "tradeId": trade_id})
            buy = rng.random() < 0.5
            got, gave = (base, quote) if buy else (quote, base)
            got_units, gave_units = (size, funds) if buy else (funds, size)
            fee = got_units // 1000
            self._hf_row(ms, "TRADE_HF", gave, "TRADE_EXCHANGE", -gave_units, 0, context)
            self._hf_row(ms, "TRADE_HF", got, "TRADE_EXCHANGE", got_units - fee, fee, context)
            if rng.random() < 0.3:
                refund = fee // 4
                self._hf_row(ms + 1, "TRADE_HF", got, "RETURNED_FEES", refund, 0, context)
            if rng.random() < 0.2:
                self._hf_row(ms + 2, "TRADE_HF", "KCS", "DEDUCTION_FEES", -rng.randrange(1, 10**6), 0, context)

        return trade

    def _margin_trader(self, rng: random.Random, ms: int) -> Callable[[], None]:
        def trade() -> None:
            sub, biz = ("MARGIN_V2", "MARGIN_EXCHANGE") if rng.random() < 0.7 else ("ISOLATED_V2", "ISOLATED_EXCHANGE")
            size, funds = rng.randrange(1, 10 ** (PLACES["BTC"] - 2)), rng.randrange(1, 10 ** PLACES["USDT"])
            context = json.dumps({"symbol": "BTC-USDT", "orderId": f"{rng.getrandbits(96):024x}"})
            buy = rng.random() < 0.5
            self._hf_row(ms, sub, "BTC", biz, size if buy else -size, 0, context, hf=False)
            self._hf_row(ms, sub, "USDT", biz, -funds if buy else funds, 0, context, hf=False)

        return trade

    def _futures_row(self, ms: int, currency: str, kind: str, units: int, remark: str) -> Row:
        """`amount` and `fee` as the JSON-number text KuCoin sends, a small one in exponent form."""
        self._offset += 1 + self.rng.randrange(5)
        self._balances.apply("FUTURES", "BTC" if currency == "XBT" else currency, units)
        amount = Decimal(units).scaleb(-FUTURES_PLACES)
        if self.demo:  # cents, as a real account's transfers and PNL
            amount = amount.quantize(Decimal("0.01"))
            assert amount.scaleb(FUTURES_PLACES) == units, "the demo's futures amounts are whole cents"
        text = (
            f"{amount:f}"
            if self.demo
            else f"{amount:.4e}"
            if 0 < abs(units) < 10**4 and amount == Decimal(f"{amount:.4e}")
            else f"{amount:f}"
        )
        row: Row = {
            "time": ms,
            "type": kind,
            "amount": text,
            "fee": "0.0" if self.rng.random() < 0.8 else None,
            "accountEquity": "20.0",
            "status": "Completed",
            "remark": remark,
            "offset": self._offset,
            "currency": currency,
        }
        self.futures.rows.append(row)
        return row

    def _pnl(self, rng: random.Random, ms: int) -> Callable[[], None]:
        def pnl() -> None:
            units = rng.choice((rng.randrange(1, 10**4), rng.randrange(1, 10**9))) * rng.choice((1, -1))
            self._futures_row(ms, "USDT", "RealisedPNL", units, "XBTUSDTM")

        return pnl

    def _mover(self, rng: random.Random, ms: int, kind: str, first_day: bool) -> Callable[[], None]:
        def move() -> None:
            later = ms + 1 + rng.randrange(4)
            if kind == "main-hf":
                currency = rng.choice(("USDT", "BTC", "ETH", "KCS"))
                units = 10 ** (PLACES[currency] + (4 if first_day else 0)) // rng.randrange(1, 9)
                leg = _classic_transfer(self._id(), ms, currency, units)
                self.classic_legs.append(leg)
                into = self._hf_row(later, "TRADE_HF", currency, "TRANSFER", units, 0, "{}")
                self.moves.append(Move(("classic", leg["id"]), ("hf-spot", into["id"])))
            elif kind == "hf-futures":
                currency = rng.choice(("USDT", "BTC"))
                spot_units = rng.randrange(1, 10 ** (PLACES[currency] + 1))
                units = spot_units * 10 ** (FUTURES_PLACES - PLACES[currency])
                out = self._hf_row(ms, "TRADE_HF", currency, "TRANSFER", -spot_units, 0, "{}")
                into = self._futures_row(
                    later,
                    FUTURES_CURRENCIES[currency],
                    "TransferIn",
                    units,
                    "Transferred from High-Frequency Trading Account",
                )
                self.moves.append(Move(("hf-spot", out["id"]), ("futures", str(into["offset"]))))
            else:
                currency = rng.choice(("USDT", "BTC"))
                units = rng.randrange(1, 10 ** PLACES[currency])
                out = self._hf_row(ms, "TRADE_HF", currency, "TRANSFER", -units, 0, "{}")
                into = self._hf_row(later, "MARGIN_V2", currency, "TRANSFER", units, 0, "{}", hf=False)
                self.moves.append(Move(("hf-spot", out["id"]), ("hf-margin", str(into["id"]))))

        return move


def _classic_transfer(ident: int, ms: int, currency: str, units: int, places: int | None = None) -> Row:
    """The classic ledger's leg of a move out of MAIN; its balance is run by the classic ledger (`_units`)."""
    places = PLACES[currency] if places is None else places
    return {
        "id": f"mv{ident:022x}",
        "currency": currency,
        "amount": _amount(units, places),
        "fee": _amount(0, places),
        "balance": None,
        "accountType": "MAIN",
        "bizType": "Transfer",
        "direction": "out",
        "createdAt": ms,
        "context": "",
        "_units": units,
    }


class _DemoMulti:
    """The demo's HF, margin and futures ledgers: a real person's, every amount sized from what the holding
    has when it happens. The first day moves part of what MAIN received to TRADE_HF, and from there to
    futures and margin; every second week tops TRADE_HF up from MAIN. Trades then spend part of what is
    held, futures PNL moves the futures balance by a few percent and never below zero."""

    FIRST: tuple[tuple[str, str], ...] = (("USDT", "900"), ("BTC", "0.02"), ("ETH", "0.3"))
    TOP_UP = "300"

    def __init__(self, multi: Multi) -> None:
        self.multi = multi

    def units(self, currency: str, text: str) -> int:
        return int(Decimal(text).scaleb(self.multi.places[currency]))

    def held(self, sub: str, currency: str) -> int:
        return self.multi._balances.units.get((sub, currency), 0)

    def schedule(self, seed: int, start_ms: int, days: int) -> list[tuple[int, int, Callable[[], None]]]:
        events: list[tuple[int, int, Callable[[], None]]] = []
        for index, midnight in _days(start_ms, days):
            rng = random.Random(f"kucoin-sandbox-multi-demo:{seed}:{index}")
            if index == 0:
                for currency, amount in self.FIRST:
                    ms = midnight + HOUR_MS + rng.randrange(HOUR_MS)
                    events.append((ms, len(events), self.main_to_hf(rng, ms, currency, self.units(currency, amount))))
                for make in (self.hf_to_futures, self.hf_to_margin):
                    ms = midnight + 3 * HOUR_MS + rng.randrange(2 * HOUR_MS)
                    events.append((ms, len(events), make(rng, ms)))
            elif index % 14 == 0:
                ms = midnight + HOUR_MS + rng.randrange(10 * HOUR_MS)
                events.append((ms, len(events), self.main_to_hf(rng, ms, "USDT", self.units("USDT", self.TOP_UP))))
            for _ in range(3):
                ms = midnight + 6 * HOUR_MS + rng.randrange(DAY_MS - 6 * HOUR_MS)
                events.append((ms, len(events), self.spot_trade(rng, ms)))
            ms = midnight + 6 * HOUR_MS + rng.randrange(DAY_MS - 6 * HOUR_MS)
            events.append((ms, len(events), self.margin_trade(rng, ms)))
            ms = midnight + 6 * HOUR_MS + rng.randrange(DAY_MS - 6 * HOUR_MS)
            events.append((ms, len(events), self.pnl(rng, ms)))
        return events

    def main_to_hf(self, rng: random.Random, ms: int, currency: str, units: int) -> Callable[[], None]:
        def move() -> None:
            multi = self.multi
            leg = _classic_transfer(multi._id(), ms, currency, units, multi.places[currency])
            multi.classic_legs.append(leg)
            into = multi._hf_row(ms + 1 + rng.randrange(4), "TRADE_HF", currency, "TRANSFER", units, 0, "{}")
            multi.moves.append(Move(("classic", leg["id"]), ("hf-spot", into["id"])))

        return move

    def hf_to_futures(self, rng: random.Random, ms: int) -> Callable[[], None]:
        def move() -> None:
            multi = self.multi
            units = self.units("USDT", "250")
            out = multi._hf_row(ms, "TRADE_HF", "USDT", "TRANSFER", -units, 0, "{}")
            into = multi._futures_row(
                ms + 1 + rng.randrange(4),
                "USDT",
                "TransferIn",
                units * 10 ** (FUTURES_PLACES - multi.places["USDT"]),
                "Transferred from High-Frequency Trading Account",
            )
            multi.moves.append(Move(("hf-spot", out["id"]), ("futures", str(into["offset"]))))

        return move

    def hf_to_margin(self, rng: random.Random, ms: int) -> Callable[[], None]:
        def move() -> None:
            multi = self.multi
            units = self.units("USDT", "300")
            out = multi._hf_row(ms, "TRADE_HF", "USDT", "TRANSFER", -units, 0, "{}")
            into = multi._hf_row(ms + 1 + rng.randrange(4), "MARGIN_V2", "USDT", "TRANSFER", units, 0, "{}", hf=False)
            multi.moves.append(Move(("hf-spot", out["id"]), ("hf-margin", str(into["id"]))))

        return move

    def spot_trade(self, rng: random.Random, ms: int) -> Callable[[], None]:
        def trade() -> None:
            multi = self.multi
            base, quote = rng.choice(SPOT_PAIRS)
            fill = demo_fill(rng, base, quote, self.held("TRADE_HF", base), self.held("TRADE_HF", quote), multi.places)
            if fill is None:
                return
            buy, size, funds, fee = fill
            context = json.dumps(
                {
                    "symbol": f"{base}-{quote}",
                    "orderId": f"{rng.getrandbits(96):024x}",
                    "tradeId": str(rng.randrange(10**16)),
                }
            )
            multi._hf_row(ms, "TRADE_HF", base, "TRADE_EXCHANGE", size if buy else -size, 0, context)
            multi._hf_row(ms, "TRADE_HF", quote, "TRADE_EXCHANGE", -(funds + fee) if buy else funds - fee, fee, context)
            if fee >= 4 and rng.random() < 0.3:
                multi._hf_row(ms + 1, "TRADE_HF", quote, "RETURNED_FEES", fee // 4, 0, context)
            kcs = self.units("KCS", "0.0125")
            if rng.random() < 0.2 and self.held("TRADE_HF", "KCS") >= kcs:
                multi._hf_row(ms + 2, "TRADE_HF", "KCS", "DEDUCTION_FEES", -kcs, 0, context)

        return trade

    def margin_trade(self, rng: random.Random, ms: int) -> Callable[[], None]:
        def trade() -> None:
            multi = self.multi
            fill = demo_fill(
                rng, "BTC", "USDT", self.held("MARGIN_V2", "BTC"), self.held("MARGIN_V2", "USDT"), multi.places
            )
            if fill is None:
                return
            buy, size, funds, fee = fill
            context = json.dumps({"symbol": "BTC-USDT", "orderId": f"{rng.getrandbits(96):024x}"})
            multi._hf_row(ms, "MARGIN_V2", "BTC", "MARGIN_EXCHANGE", size if buy else -size, 0, context, hf=False)
            usdt = -(funds + fee) if buy else funds - fee
            multi._hf_row(ms, "MARGIN_V2", "USDT", "MARGIN_EXCHANGE", usdt, fee, context, hf=False)

        return trade

    def pnl(self, rng: random.Random, ms: int) -> Callable[[], None]:
        def pnl() -> None:
            held = self.held("FUTURES", "USDT")
            cents = held * rng.randint(2, 30) // 1000 // 10**6  # 0.2–3 % of the balance, in whole cents
            if cents <= 0:
                return
            sign = 1 if rng.random() < 0.5 else -1
            self.multi._futures_row(ms, "USDT", "RealisedPNL", sign * cents * 10**6, "XBTUSDTM")

        return pnl


class Unified:
    """A Unified Trading Account's ledger: FUNDING and UNIFIED rows, `ts` in nanoseconds, real balances."""

    def __init__(self, *, seed: int, start_ms: int, days: int) -> None:
        self.rows = Rows(lambda row: int(row["ts"]) // 1_000_000)
        self.moves: list[Move] = []
        self._balances = _Running()
        self._id = 10_000_000
        for index, midnight in _days(start_ms, days):
            rng = random.Random(f"kucoin-sandbox-unified:{seed}:{index}")
            if index == 0:
                for currency in ("USDT", "BTC"):
                    self._row(rng, midnight, "FUNDING", currency, "DEPOSIT", 10 ** (PLACES[currency] + 5))
            ms = midnight + HOUR_MS + rng.randrange(10 * HOUR_MS)
            currency = rng.choice(("USDT", "BTC"))
            units = rng.randrange(1, 10 ** (PLACES[currency] + 1))
            out = self._row(rng, ms, "FUNDING", currency, "TRANSFER", -units)
            into = self._row(rng, ms + 1 + rng.randrange(4), "UNIFIED", currency, "TRANSFER", units)
            self.moves.append(Move(("uta-funding", out["id"]), ("uta-unified", into["id"])))
            for _ in range(4):
                at = midnight + rng.randrange(DAY_MS)
                business = rng.choice(("SPOT_EXCHANGE", "FUNDING_FEE", "LIABILITY_INTEREST", "KCS_DEDUCTION_FEES"))
                change = rng.randrange(1, 10 ** PLACES["USDT"]) * (1 if business == "SPOT_EXCHANGE" else -1)
                self._row(rng, at, "UNIFIED", "USDT", business, change)
        self.rows.seal()

    def holdings(self) -> dict[tuple[str, str], Decimal]:
        return {key: Decimal(units).scaleb(-PLACES[key[1]]) for key, units in self._balances.units.items()}

    def _row(self, rng: random.Random, ms: int, sub: str, currency: str, business: str, units: int) -> Row:
        places = PLACES[currency]
        balance = self._balances.apply(sub, currency, units)
        self._id += 1 + rng.randrange(3)
        row: Row = {
            "id": str(self._id),
            "accountType": sub,
            "currency": currency,
            "direction": "IN" if units >= 0 else "OUT",
            "businessType": business,
            "amount": _amount(abs(units), places),
            "fee": _amount(0, places),
            "tax": _amount(0, places),
            "balance": _amount(balance, places),
            "remark": "",
            "ts": str(ms * 1_000_000 + rng.randrange(1_000_000)),
        }
        self.rows.rows.append(row)
        return row


def futures_json(row: Row) -> bytes:
    """A futures row as KuCoin writes it: `amount` and `fee` are JSON numbers, not strings."""
    fields: list[str] = []
    for name, value in row.items():
        if name in ("amount", "fee", "accountEquity") and value is not None:
            fields.append(f'"{name}":{value}')
        else:
            fields.append(f"{json.dumps(name)}:{json.dumps(value)}")
    return ("{" + ",".join(fields) + "}").encode()
