"""The sandbox's request handling: routes, the ledger endpoint's parameter rules, paging and envelopes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime

import attrs

from ledgerport import SandboxRequest, SandboxResponse, SandboxServer, json_response

from ..auth import TIME_PATH
from ..mapping import biz_key
from ..paging import LEDGERS_PATH, MAX_SPAN_MS, PAGE_WEIGHT
from ..settings import MAX_CURRENCIES, PAGE_SIZES
from .gateway import Credentials, FaultDraw, Faults, RateLimit, WeightBudget
from .ledger import GeneratedLedger, Row

__all__ = ["KucoinSandbox", "SandboxStats"]

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


class _Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message


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


class KucoinSandbox:
    """A KuCoin-compatible GET /api/v1/accounts/ledgers (and GET /api/v1/timestamp) over generated data.

    `handle` is the `ledgerport.SandboxServer` handler; `serve()` starts one. `clock_offset_ms` shifts
    the sandbox's clock, to make a client's timestamps look skewed. Parameter errors (400100) come
    with HTTP 200, as KuCoin sends some errors, so a client has to read `code`; signature errors with 401.
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
    ) -> None:
        self.ledger = GeneratedLedger(
            seed=seed,
            start=_midnight(start),
            days=days,
            per_day=per_day,
            malformed=faults.malformed,
            extra=extra_records,
        )
        self.credentials = credentials
        self.weight = weight
        self.clock_offset_ms = 0
        self.stats = SandboxStats()
        self._budget = WeightBudget(rate_limit) if rate_limit else None
        self._faults = FaultDraw(faults)
        self._ledger_lock = threading.Lock()

    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.clock_offset_ms

    def serve(self, port: int = 0) -> SandboxServer:
        """A `SandboxServer` for this sandbox on 127.0.0.1, not yet started (use it as a context manager)."""
        return SandboxServer(self.handle, port)

    def expected(self, since: datetime, until: datetime) -> list[Row]:
        """Ground truth: the rows a sync of `[since, until)` must write, oldest first."""
        with self._ledger_lock:
            return self.ledger.rows(since, until)

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        self.stats.requests += 1
        if request.method == "GET" and request.path == TIME_PATH:
            return json_response({"code": "200000", "msg": "success", "data": self.now_ms()})
        if request.method != "GET" or request.path != LEDGERS_PATH:
            return json_response({"code": "404000", "msg": "Url Not Found"}, status=404)
        bad_gateway, delay = self._faults.next()
        if bad_gateway:
            self.stats.bad_gateways += 1
            return SandboxResponse(status=502, body=BAD_GATEWAY, content_type="text/html")
        if delay:
            self.stats.delayed += 1
            time.sleep(delay)
        headers: tuple[tuple[str, str], ...] = ()
        if self._budget is not None:
            granted, headers = self._budget.take(self.weight)
            if not granted:
                self.stats.rate_limited += 1
                return json_response({"code": "429000", "msg": "Too Many Requests"}, status=429, headers=headers)
        code = self.credentials.check(request.method, request.target, request.body, request.headers, self.now_ms())
        if code is not None:
            self.stats.refused += 1
            return json_response({"code": code, "msg": MESSAGES[code]}, status=401, headers=headers)
        try:
            body = self._page(request.query)
        except _Refused as refusal:
            return json_response({"code": refusal.code, "msg": refusal.message}, headers=headers)
        self.stats.pages += 1
        return SandboxResponse(body=body, headers=headers)

    def _page(self, query: Mapping[str, str]) -> bytes:
        lo, hi = _window(query)
        size = _integer(query, "pageSize", 50)
        if size not in PAGE_SIZES:
            raise _Refused("400100", "pageSize must be between 10 and 500")
        number = max(_integer(query, "currentPage", 1), 1)
        with self._ledger_lock:
            rows = self.ledger.query(lo, hi, _filter(query))
        total = len(rows)
        pages = -(-total // size)
        items = b",".join(rows[(number - 1) * size : number * size])
        head = (
            f'{{"code":"200000","data":{{"currentPage":{number},"pageSize":{size},'
            f'"totalNum":{total},"totalPage":{pages},"items":['
        )
        return head.encode() + items + b"]}}"


def _integer(query: Mapping[str, str], name: str, default: int) -> int:
    text = query.get(name)
    if text is None or text == "":
        return default
    if not text.lstrip("-").isdigit():
        raise _Refused("400100", f"{name} must be an integer")
    return int(text)


def _window(query: Mapping[str, str]) -> tuple[int, int]:
    """startAt..endAt, both inclusive, at most 24 h; one bound alone means 24 h from it, none the last 24 h."""
    start = _integer(query, "startAt", -1)
    end = _integer(query, "endAt", -1)
    if start < 0 and end < 0:
        end = int(time.time() * 1000)
    if start < 0:
        start = end - MAX_SPAN_MS
    elif end < 0:
        end = start + MAX_SPAN_MS
    if end - start > MAX_SPAN_MS:
        raise _Refused("400100", "the time range between startAt and endAt cannot exceed 24 hours")
    if end < start:
        raise _Refused("400100", "endAt must not be before startAt")
    return start, end


def _filter(query: Mapping[str, str]) -> Callable[[Row], bool] | None:
    """The currency, direction and bizType filters as one predicate, or None when there are none."""
    tests: list[Callable[[Row], bool]] = []
    if query.get("currency"):
        currencies = frozenset(query["currency"].split(","))
        if len(currencies) > MAX_CURRENCIES:
            raise _Refused("400100", f"currency: at most {MAX_CURRENCIES} currencies")
        tests.append(lambda row: row["currency"] in currencies)
    if query.get("direction"):
        direction = query["direction"]
        if direction not in ("in", "out"):
            raise _Refused("400100", "direction must be in or out")
        tests.append(lambda row: row["direction"] == direction)
    if query.get("bizType"):
        keys = FILTERS.get(query["bizType"])
        if keys is None:
            raise _Refused("400100", f"bizType {query['bizType']!r} is not supported")
        tests.append(lambda row: biz_key(row["bizType"]) in keys)
    if not tests:
        return None
    return lambda row: all(test(row) for test in tests)
