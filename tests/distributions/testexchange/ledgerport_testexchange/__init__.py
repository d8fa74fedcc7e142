"""A made-up exchange: daily windows, numbered pages, a token header, both window bounds inclusive.

It also quotes prices (`lookup_price`) for the assets it lists, as a price-source plugin would.

`sandbox(...)` is its server side, to be served by `ledgerport.SandboxServer` on 127.0.0.1.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import httpx

from ledgerport import (
    AuthenticationError,
    BadRecordError,
    Connector,
    Entry,
    Page,
    PageRequest,
    RateBudget,
    RateLimitedError,
    SandboxRequest,
    SandboxResponse,
    Secret,
    SourceError,
    SyncContext,
    Window,
    from_ms,
    hookimpl,
    json_response,
    parse_decimal,
    to_ms,
)

NAME = "testexchange"
PRICES = {("BTC", "USD"): Decimal("42000.5"), ("1INCH", "USD"): Decimal("0.25")}


@attrs.frozen
class Settings:
    token: Secret = attrs.field(metadata={"env": "TESTEXCHANGE_TOKEN"})
    page_size: int = 3


class TokenAuth(httpx.Auth):
    def __init__(self, token: Secret) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["X-Token"] = self._token.reveal()
        yield request


def _ours(ctx: SyncContext) -> bool:
    return ctx.connector.name == NAME


@hookimpl
def register_connectors(register: Callable[[Connector], None]) -> None:
    register(Connector(name=NAME, description="The tests' made-up exchange.", settings=Settings))


@hookimpl
def connector_auth(ctx: SyncContext) -> httpx.Auth | None:
    return TokenAuth(ctx.settings.token) if _ours(ctx) else None


@hookimpl
def plan_windows(ctx: SyncContext, since: datetime, until: datetime) -> list[Window] | None:
    if not _ours(ctx):
        return None
    edges = [since]
    while edges[-1] + timedelta(days=1) < until:
        edges.append(edges[-1] + timedelta(days=1))
    return [Window(a, b) for a, b in zip(edges, [*edges[1:], until], strict=True)]


@hookimpl
def next_request(ctx: SyncContext, window: Window, page: Page | None) -> PageRequest | None:
    if not _ours(ctx):
        return None
    number = 1 if page is None else page.cursor["page"] + 1
    if page is not None and number > page.cursor["pages"]:
        return None
    return PageRequest(
        path="/ledger",
        params=(
            ("from", str(to_ms(window.start))),
            ("to", str(to_ms(window.end))),
            ("page", str(number)),
            ("size", str(ctx.settings.page_size)),
        ),
    )


@hookimpl
def read_page(ctx: SyncContext, request: PageRequest, response: httpx.Response) -> Page | None:
    if not _ours(ctx):
        return None
    if response.status_code == 401:
        raise AuthenticationError(f"{NAME}: the token was refused: {response.json()['error']}")
    if response.status_code == 429:
        raise RateLimitedError(f"{NAME}: too many requests", retry_after=float(response.headers["Retry-After"]))
    body = response.json()
    if response.status_code != 200:
        raise SourceError(f"{NAME}: {body}")
    budget = None
    if "X-Budget-Remaining" in response.headers:
        budget = RateBudget(int(response.headers["X-Budget-Remaining"]), float(response.headers["X-Budget-Reset"]))
    return Page(
        request=request, records=body["rows"], cursor={"page": body["page"], "pages": body["pages"]}, budget=budget
    )


@hookimpl
def map_record(ctx: SyncContext, record: dict[str, Any]) -> list[Entry] | None:
    if not _ours(ctx):
        return None
    record_id = record.get("id")

    def bad(field: str, reason: str) -> BadRecordError:
        return BadRecordError(source=NAME, record_id=record_id, field=field, reason=reason)

    try:
        amount = parse_decimal(record["amount"])
    except (KeyError, ValueError) as exc:
        raise bad("amount", str(exc)) from None
    return [
        Entry(
            source=NAME,
            account=ctx.account,
            entry_id=record_id,
            timestamp=from_ms(record["ts"]),
            asset=record["asset"],
            amount=amount,
            fee=parse_decimal(record.get("fee", "0")),
            kind=record.get("kind", "other"),
            description=record.get("note", ""),
        )
    ]


@hookimpl
def lookup_price(asset: str, currency: str, day: date) -> Decimal | None:
    return PRICES.get((asset, currency))


class _Budget:
    """`size` requests per `period` seconds, refilled at fixed intervals, as exchanges count them."""

    def __init__(self, size: int, period: float) -> None:
        self.size, self.period = size, period
        self.left, self.refill_at = size, time.monotonic() + period
        self.refused = 0
        self._lock = threading.Lock()

    def take(self) -> tuple[bool, tuple[tuple[str, str], ...]]:
        with self._lock:
            now = time.monotonic()
            if now >= self.refill_at:
                self.left, self.refill_at = self.size, now + self.period
            granted = self.left > 0
            self.left -= granted
            self.refused += not granted
            reset = f"{max(self.refill_at - now, 0):.3f}"
            return granted, (("X-Budget-Remaining", str(self.left)), ("X-Budget-Reset", reset), ("Retry-After", reset))


def sandbox(
    records: Sequence[dict[str, Any]],
    token: str,
    faults: Iterator[str] | None = None,
    budget: _Budget | None = None,
) -> Callable[[SandboxRequest], SandboxResponse]:
    """The exchange's server side. `faults` yields, per request, "" (serve), "502" or "429";
    `budget` (see `rate_budget`) refuses requests beyond it with 429 and reports what is left."""
    faults = faults or itertools.repeat("")

    def handle(request: SandboxRequest) -> SandboxResponse:
        granted, headers = budget.take() if budget else (True, ())
        if not granted:
            return json_response({"error": "budget spent"}, status=429, headers=headers)
        fault = next(faults)
        if fault == "502":
            return SandboxResponse(status=502, body=b"<html>Bad Gateway</html>", content_type="text/html")
        if fault == "429":
            return json_response({"error": "slow down"}, status=429, headers=(("Retry-After", "0.01"),))
        if request.headers.get("x-token") != token:
            # echoes what it got, as real servers sometimes do: the client must not repeat it
            return json_response({"error": f"bad token {request.headers.get('x-token')!r}"}, status=401)
        lo, hi = int(request.query["from"]), int(request.query["to"])
        size, number = int(request.query["size"]), int(request.query["page"])
        rows = [r for r in records if lo <= r["ts"] <= hi]
        pages = max(1, -(-len(rows) // size))
        page = {"page": number, "pages": pages, "rows": rows[(number - 1) * size : number * size]}
        return json_response(page, headers=headers)

    return handle


def rate_budget(size: int, period: float) -> _Budget:
    return _Budget(size, period)
