"""The sandbox's request handling: the gateway's checks, the routes, the classic ledger's parameter rules,
paging and envelopes (the other ledgers' are in `routes`)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import attrs

from ledgerport import SandboxRequest, SandboxResponse, SandboxServer, json_response, to_ms

from ..auth import TIME_PATH, signed_target
from ..mapping import biz_key
from ..paging import LEDGERS_PATH, MAX_SPAN_MS, PAGE_WEIGHT
from ..settings import MAX_CURRENCIES, PAGE_SIZES
from .books import Move, Multi, Unified
from .gateway import Credentials, FaultDraw, Faults, RateLimit, WeightBudget
from .ledger import GeneratedLedger, Row
from .routes import (
    ACCOUNTS_PATH,
    CROSS_PATH,
    FUTURES_PATH,
    HF_PATH,
    ISOLATED_PATH,
    LEDGER_ROUTES,
    MARGIN_PATH,
    MODE_PATH,
    OPENED_PATH,
    OVERVIEW_PATH,
    ROW_MODES,
    UNIFIED_PATH,
    Refused,
    accounts_list,
    cross_margin,
    futures_overview,
    integer,
    isolated_margin,
    misbehave,
)

__all__ = ["HOSTILE", "KucoinSandbox", "SandboxStats"]

BAD_GATEWAY = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
MESSAGES = {
    "400001": "Please check the header of your request for KC-API-KEY, KC-API-SIGN, KC-API-TIMESTAMP, "
    "KC-API-PASSPHRASE",
    "400002": "KC-API-TIMESTAMP Invalid -- Time differs from server time by more than 5 seconds",
    "400003": "KC-API-KEY not exists",
    "400004": "Invalid KC-API-PASSPHRASE",
    "400005": "Invalid KC-API-SIGN",
}
FILTERS: Mapping[str, frozenset[str]] = {
    "DEPOSIT": frozenset({"deposit"}),
    "WITHDRAW": frozenset({"withdrawal", "withdraw"}),
    "TRANSFER": frozenset({"transfer"}),
    "SUB_TRANSFER": frozenset({"subaccounttransfer", "subtransfer"}),
    "TRADE_EXCHANGE": frozenset({"tradeexchange", "exchange"}),
    "MARGIN_EXCHANGE": frozenset({"margintrade", "marginexchange"}),
    "KUCOIN_BONUS": frozenset({"kucoinbonus"}),
    "BROKER_TRANSFER": frozenset({"brokertransfer"}),
}
"""The bizType filter codes and the keys (see `mapping.biz_key`) of the bizTypes each selects."""


@attrs.define
class SandboxStats:
    """What the sandbox answered, for tests and benchmarks to check pacing and retries against."""

    requests: int = 0
    pages: int = 0
    rate_limited: int = 0
    bad_gateways: int = 0
    delayed: int = 0
    refused: int = 0


def _midnight(start: date | datetime) -> datetime:
    if isinstance(start, datetime):
        return start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return datetime(start.year, start.month, start.day, tzinfo=UTC)


ACCOUNTS = ("classic", "multi", "unified")
"""The sandbox's account setups: classic ledger only; HF with margin and futures; a Unified Trading Account."""
STREAMS = ("classic", "hf-spot", "hf-margin", "futures", "uta-funding", "uta-unified")
"""What `hide` may name: that ledger then answers as if it had no rows, while the balances still hold them."""
POOLS = ("management", "spot", "futures")
HOSTILE = ("lying-totals", "ignores-page", "seconds", "duplicates", "endless", "huge", "echo")
"""The ways `KucoinSandbox(hostile=...)` misbehaves, as servers have been seen to (ledger pages only; the
probes and balances stay honest):

- `lying-totals`: the classic ledger says one page fewer than it has, `totalNum` to match;
- `ignores-page`: the classic ledger serves page 1 whatever `currentPage` asks (under the number asked),
  the HF ledgers ignore `lastId`;
- `seconds`: `createdAt` in seconds where milliseconds are documented (classic and HF);
- `duplicates`: every classic and HF page repeats its first row's id with another amount;
- `endless`: every classic and HF page brings new ids and says (or, for HF, looks like) another follows;
- `huge`: pads every ledger page with 65 MiB of blanks;
- `echo`: answers every ledger request with a 500 whose message quotes the request's headers.
"""
HUGE_PADDING = 65 * 1024 * 1024
ROUTES: Mapping[str, tuple[str, int]] = {
    HF_PATH: ("spot", 2),
    MARGIN_PATH: ("spot", 2),
    FUTURES_PATH: ("futures", 2),
    UNIFIED_PATH: ("spot", 2),
    MODE_PATH: ("spot", 2),
    OPENED_PATH: ("spot", 30),
    ACCOUNTS_PATH: ("management", 5),
    CROSS_PATH: ("spot", 15),
    ISOLATED_PATH: ("spot", 15),
    OVERVIEW_PATH: ("futures", 5),
}
"""Each endpoint's rate-limit pool and weight, as the official spec gives them (the classic ledger's is `weight`)."""


class KucoinSandbox:
    """A KuCoin-compatible API over generated data: the five ledgers, the account probes and balances.

    `handle` is the `ledgerport.SandboxServer` handler; `serve()` starts one. `account` chooses the setup
    (`ACCOUNTS`); `hide` one ledger (`STREAMS`) that answers empty, for reconciliation to catch;
    `latency_ms` delays every answer. Each pool (`POOLS`) has its own weight budget: `rate_limit`, unless
    `pool_limits` gives the pool another.
    `hostile` (`HOSTILE`) makes its ledger pages lie or misbehave, for the tests of what the client refuses.
    `clock_offset_ms` shifts the sandbox's clock, to make a client's timestamps look skewed. Parameter
    errors (400100) come with HTTP 200, as KuCoin sends some errors, so a client has to read `code`;
    signature errors with 401. Signatures are checked over the decoded query, as KuCoin does.
    """

    def __init__(
        self,
        *,
        seed: int = 1,
        start: date | datetime = date(2024, 1, 1),
        days: int = 60,
        per_day: int = 40,
        rate_limit: RateLimit | None = RateLimit(),
        weight: int = PAGE_WEIGHT,
        faults: Faults = Faults(),
        credentials: Credentials = Credentials(),
        extra_records: Iterable[Row] = (),
        account: str = "classic",
        hide: str | None = None,
        latency_ms: float = 0.0,
        pool_limits: Mapping[str, RateLimit] | None = None,
        hostile: str = "",
    ) -> None:
        if account not in ACCOUNTS or (hide is not None and hide not in STREAMS):
            raise ValueError(f"account must be one of {ACCOUNTS} and hide one of {STREAMS}")
        if hostile not in ("", *HOSTILE):
            raise ValueError(f"hostile must be one of {HOSTILE}, not {hostile!r}")
        self.hostile = hostile
        midnight = _midnight(start)
        self.account, self.hide, self.latency = account, hide, latency_ms / 1000
        self.multi = Multi(seed=seed, start_ms=to_ms(midnight), days=days) if account == "multi" else None
        self.unified = Unified(seed=seed, start_ms=to_ms(midnight), days=days) if account == "unified" else None
        self.ledger = GeneratedLedger(
            seed=seed,
            start=midnight,
            days=days,
            per_day=per_day,
            malformed=faults.malformed,
            extra=[*extra_records, *(self.multi.classic_legs if self.multi else ())],
        )
        self.credentials = credentials
        self.weight = weight
        self.clock_offset_ms = 0
        self.stats = SandboxStats()
        limits = {pool: rate_limit for pool in POOLS if rate_limit} | dict(pool_limits or {})
        self._budgets = {pool: WeightBudget(limit) for pool, limit in limits.items()}
        self._faults = FaultDraw(faults)
        self._ledger_lock = threading.Lock()

    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.clock_offset_ms

    def serve(self, port: int = 0) -> SandboxServer:
        """A `SandboxServer` for this sandbox on 127.0.0.1, not yet started (use it as a context manager)."""
        return SandboxServer(self.handle, port)

    def expected(self, since: datetime, until: datetime) -> list[Row]:
        """Ground truth: the classic rows a sync of `[since, until)` must write, oldest first."""
        with self._ledger_lock:
            return self.ledger.rows(since, until)

    def rows(self, stream: str, since: datetime, until: datetime) -> list[Row]:
        """Ground truth of any ledger (`STREAMS`): its booked rows in `[since, until)`, oldest first."""
        if stream == "classic":
            return self.expected(since, until)
        lo, hi = to_ms(since), to_ms(until) - 1
        if stream.startswith("uta-"):
            assert self.unified is not None
            sub = stream.removeprefix("uta-").upper()
            return [row for row in self.unified.rows.between(lo, hi) if row["accountType"] == sub]
        assert self.multi is not None
        return {"hf-spot": self.multi.hf, "hf-margin": self.multi.margin, "futures": self.multi.futures}[
            stream
        ].between(lo, hi)

    @property
    def moves(self) -> list[Move]:
        """The internal moves between ledgers, each a row in two of them."""
        return [*(self.multi.moves if self.multi else ()), *(self.unified.moves if self.unified else ())]

    def holdings(self) -> dict[tuple[str, str], Decimal]:
        """Every holding at the end of the generated days, (sub-account, asset) as the connector names them."""
        with self._ledger_lock:
            found = {} if self.unified else self.ledger.balances()
        found = {(sub, asset): units for (asset, sub), units in found.items()}
        if self.multi:
            found.update(self.multi.holdings())
        if self.unified:
            found.update(self.unified.holdings())
        return found

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        self.stats.requests += 1
        if self.latency:
            time.sleep(self.latency)
        if request.method == "GET" and request.path == TIME_PATH:
            return json_response({"code": "200000", "msg": "success", "data": self.now_ms()})
        if request.method != "GET" or (request.path != LEDGERS_PATH and request.path not in ROUTES):
            return json_response({"code": "404000", "msg": "Url Not Found"}, status=404)
        bad_gateway, delay = self._faults.next()
        if bad_gateway:
            self.stats.bad_gateways += 1
            return SandboxResponse(status=502, body=BAD_GATEWAY, content_type="text/html")
        if delay:
            self.stats.delayed += 1
            time.sleep(delay)
        pool, weight = ROUTES.get(request.path, ("management", self.weight))
        headers: tuple[tuple[str, str], ...] = ()
        if pool in self._budgets:
            granted, headers = self._budgets[pool].take(weight)
            if not granted:
                self.stats.rate_limited += 1
                return json_response({"code": "429000", "msg": "Too Many Requests"}, status=429, headers=headers)
        target = signed_target(request.path, request.raw_query)
        code = self.credentials.check(request.method, target, request.body, request.headers, self.now_ms())
        if code is not None:
            self.stats.refused += 1
            return json_response({"code": code, "msg": MESSAGES[code]}, status=401, headers=headers)
        ledger = request.path == LEDGERS_PATH or request.path in LEDGER_ROUTES
        if ledger and self.hostile == "echo":  # as real servers sometimes do: the client must not repeat it
            message = f"upstream failed; request was {dict(request.headers)}"
            return json_response({"code": "500000", "msg": message}, status=500, headers=headers)
        try:
            body = self._answer(request.path, request.query)
        except Refused as refusal:
            return json_response({"code": refusal.code, "msg": refusal.message}, headers=headers)
        if ledger and self.hostile == "huge":
            body += b" " * HUGE_PADDING
        return SandboxResponse(body=body, headers=headers)

    def _answer(self, path: str, query: Mapping[str, str]) -> bytes:
        if path == LEDGERS_PATH:
            self.stats.pages += 1
            return self._page(query)
        if path in LEDGER_ROUTES:
            self.stats.pages += 1
            return LEDGER_ROUTES[path](self, query)
        return _ok(self._probe(path, query))

    def _probe(self, path: str, query: Mapping[str, str]) -> Any:
        """The account-type probes and the balances."""
        if path == MODE_PATH:
            return {"selfAccountMode": "UNIFIED" if self.unified else "CLASSIC"}
        if path == OPENED_PATH:
            return self.multi is not None
        holdings = self.holdings()
        if path == ACCOUNTS_PATH:
            return accounts_list(holdings)
        if path == CROSS_PATH:
            return cross_margin(holdings)
        if path == ISOLATED_PATH:
            return isolated_margin(holdings)
        if self.multi is None:
            raise Refused("400100", "the futures account does not exist")
        return futures_overview(holdings, query.get("currency", "XBT"))

    def _page(self, query: Mapping[str, str]) -> bytes:
        lo, hi = _window(query)
        size = integer(query, "pageSize", 50)
        if size not in PAGE_SIZES:
            raise Refused("400100", "pageSize must be between 10 and 500")
        number = max(integer(query, "currentPage", 1), 1)
        with self._ledger_lock:
            rows = [] if self.hide == "classic" else self.ledger.query(lo, hi, _filter(query))
        total = len(rows)
        pages = -(-total // size)
        shown = 1 if self.hostile == "ignores-page" else number
        page = rows[(shown - 1) * size : shown * size]
        if self.hostile == "lying-totals" and pages > 1:
            pages -= 1
            total = pages * size  # a consistent lie: the counts agree with each other, not with the ledger
        elif self.hostile == "endless":
            page = rows[:size]
            pages, total = number + 1, (number + 1) * size
        if self.hostile in ROW_MODES:
            fresh = [json.loads(row) for row in page]
            page = [_dumps(row) for row in misbehave(self.hostile, fresh, lambda n, row: f"{row['id']}-{number}")]
        items = b",".join(page)
        head = (
            f'{{"code":"200000","data":{{"currentPage":{number},"pageSize":{size},'
            f'"totalNum":{total},"totalPage":{pages},"items":['
        )
        return head.encode() + items + b"]}}"


def _dumps(row: Row) -> bytes:
    return json.dumps(row, separators=(",", ":")).encode()


def _ok(data: Any) -> bytes:
    """The envelope around `data`, or around `data` already encoded (numbers KuCoin sends as JSON numbers)."""
    encoded = data if isinstance(data, bytes) else json.dumps(data).encode()
    return b'{"code":"200000","data":' + encoded + b"}"


def _window(query: Mapping[str, str]) -> tuple[int, int]:
    """startAt..endAt, both inclusive, at most 24 h; one bound alone means 24 h from it, none the last 24 h."""
    start = integer(query, "startAt", -1)
    end = integer(query, "endAt", -1)
    if start < 0 and end < 0:
        end = int(time.time() * 1000)
    if start < 0:
        start = end - MAX_SPAN_MS
    elif end < 0:
        end = start + MAX_SPAN_MS
    if end - start > MAX_SPAN_MS:
        raise Refused("400100", "the time range between startAt and endAt cannot exceed 24 hours")
    if end < start:
        raise Refused("400100", "endAt must not be before startAt")
    return start, end


def _filter(query: Mapping[str, str]) -> Callable[[Row], bool] | None:
    """The currency, direction and bizType filters as one predicate, or None when there are none."""
    tests: list[Callable[[Row], bool]] = []
    if query.get("currency"):
        currencies = frozenset(query["currency"].split(","))
        if len(currencies) > MAX_CURRENCIES:
            raise Refused("400100", f"currency: at most {MAX_CURRENCIES} currencies")
        tests.append(lambda row: row["currency"] in currencies)
    if query.get("direction"):
        direction = query["direction"]
        if direction not in ("in", "out"):
            raise Refused("400100", "direction must be in or out")
        tests.append(lambda row: row["direction"] == direction)
    if query.get("bizType"):
        keys = FILTERS.get(query["bizType"])
        if keys is None:
            raise Refused("400100", f"bizType {query['bizType']!r} is not supported")
        tests.append(lambda row: biz_key(row["bizType"]) in keys)
    if not tests:
        return None
    return lambda row: all(test(row) for test in tests)
