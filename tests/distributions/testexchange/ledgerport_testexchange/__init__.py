"""A made-up exchange: daily windows, numbered pages, a token header, both window bounds inclusive,
and an optional second ledger (rewards) for the accounts that have one.

It also quotes prices (`lookup_price`) for the assets it lists, as a price-source plugin would.

`sandbox(...)` is its server side, to be served by `ledgerport.SandboxServer` on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import itertools
import json
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
    Holding,
    Page,
    PageRequest,
    RateBudget,
    RateLimitedError,
    SandboxRequest,
    SandboxResponse,
    Secret,
    Session,
    SourceError,
    Stream,
    Window,
    filtering,
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
    asset: str | None = filtering(default=None)


class TokenAuth(httpx.Auth):
    def __init__(self, token: Secret) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["X-Token"] = self._token.reveal()
        yield request


class LedgerStream(Stream):
    """`/ledger`: numbered pages of the ledger; `/rewards` has the same shape and reuses its ids."""

    name = "ledger"
    path = "/ledger"

    def __init__(self, settings: Settings, account: str) -> None:
        self.settings, self.account = settings, account

    def _request(self, window: Window, number: int) -> PageRequest:
        query = (
            ("from", str(to_ms(window.start))),
            ("to", str(to_ms(window.end))),
            ("page", str(number)),
            ("size", str(self.settings.page_size)),
        )
        if self.settings.asset:
            query += (("asset", self.settings.asset),)
        return PageRequest(path=self.path, params=query, pool=self.name)

    def first_request(self, window: Window) -> PageRequest:
        self._served, self._ids = 0, set[str]()
        return self._request(window, 1)

    def next_request(self, window: Window, page: Page) -> PageRequest | None:
        number = page.cursor["page"] + 1
        if number <= page.cursor["pages"]:
            return self._request(window, number)
        if self._served != page.cursor["total"]:  # what the server says it holds, against what it served
            raise SourceError(
                f"{NAME}: {self.path} {window.start.isoformat()} .. {window.end.isoformat()}: the server says it "
                f"holds {page.cursor['total']} rows but served {self._served} in {page.cursor['pages']} pages"
            )
        return None

    def read_page(self, request: PageRequest, response: httpx.Response) -> Page:
        body = _answer(response)
        budget = None
        if "X-Budget-Remaining" in response.headers:
            budget = RateBudget(int(response.headers["X-Budget-Remaining"]), float(response.headers["X-Budget-Reset"]))
        asked = int(dict(request.params)["page"])
        if body["page"] != asked:
            raise SourceError(f"{NAME}: {self.path}: asked for page {asked}, the server answered page {body['page']}")
        ids = {self.entry_id(row) for row in body["rows"]}
        if ids & self._ids:  # numbered pages do not overlap: a server that ignores the number repeats one
            raise SourceError(
                f"{NAME}: {self.path}: page {asked} repeats rows of an earlier page ({min(ids & self._ids)})"
            )
        self._ids |= ids
        self._served += len(body["rows"])
        cursor = {"page": body["page"], "pages": body["pages"], "total": body["total"]}
        return Page(request=request, records=body["rows"], cursor=cursor, budget=budget)

    def entry_id(self, record: dict[str, Any]) -> str:
        return str(record.get("id"))

    def map_record(self, record: dict[str, Any]) -> list[Entry]:
        record_id = self.entry_id(record)

        def bad(field: str, reason: str) -> BadRecordError:
            return BadRecordError(source=NAME, record_id=record_id, field=field, reason=reason)

        try:
            amount = parse_decimal(record["amount"])
        except (KeyError, ValueError) as exc:
            raise bad("amount", str(exc)) from None
        try:
            fee = parse_decimal(record.get("fee", "0"), signed=False)
        except ValueError as exc:
            raise bad("fee", str(exc)) from None
        return [
            Entry(
                source=NAME,
                account=self.account,
                entry_id=record_id,
                timestamp=from_ms(record["ts"]),
                asset=record["asset"],
                amount=amount,
                fee=fee,
                kind=record.get("kind", "other"),
                description=record.get("note", ""),
            )
        ]


class RewardsStream(LedgerStream):
    """An optional ledger: only accounts whose `/features` says `rewards` have one."""

    name = "rewards"
    path = "/rewards"

    def entry_id(self, record: dict[str, Any]) -> str:
        return f"rw-{record.get('id')}"


def _answer(response: httpx.Response) -> Any:
    """The answer's JSON, or the error it stands for; pages and probes alike."""
    if response.status_code == 401:
        raise AuthenticationError(f"{NAME}: the token was refused: {response.json()['error']}")
    if response.status_code == 429:
        raise RateLimitedError(f"{NAME}: too many requests", retry_after=float(response.headers["Retry-After"]))
    body = response.json()
    if response.status_code != 200:
        raise SourceError(f"{NAME}: {body}")
    return body


def _read_json(request: PageRequest, response: httpx.Response) -> Page:
    return Page(request=request, records=[_answer(response)])


class TestExchange(Connector[Settings]):
    """Daily windows, numbered pages, a token header, both window bounds inclusive."""

    name = NAME
    description = "The tests' made-up exchange."

    def auth(self) -> httpx.Auth:
        return TokenAuth(self.settings.token)

    def plan_windows(self, since: datetime, until: datetime) -> list[Window]:
        edges = [since]
        while edges[-1] + timedelta(days=1) < until:
            edges.append(edges[-1] + timedelta(days=1))
        return [Window(a, b) for a, b in zip(edges, [*edges[1:], until], strict=True)]

    def streams(self, session: Session) -> list[Stream]:
        (features,) = session.fetch(PageRequest(path="/features"), _read_json).records
        streams: list[Stream] = [LedgerStream(self.settings, self.context.account)]
        if features.get("rewards"):
            streams.append(RewardsStream(self.settings, self.context.account))
        return streams

    def balances(self, session: Session) -> list[Holding]:
        (answer,) = session.fetch(PageRequest(path="/balances"), _read_json).records
        return [Holding("", row["asset"], parse_decimal(row["balance"])) for row in answer]

    def history_start(self, session: Session) -> datetime | None:
        (first,) = session.fetch(PageRequest(path="/first"), _read_json).records
        return from_ms(first["ts"]) if first else None


@hookimpl
def register_connectors(register: Callable[[type[Connector[Any]]], None]) -> None:
    register(TestExchange)


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


HOSTILE = ("lying-totals", "ignores-page", "says-page-1", "seconds", "endless", "huge", "echo")
"""The ways `sandbox(hostile=...)` misbehaves, as servers have been seen to:

- `lying-totals`: says there is one page fewer than there is (and the true total);
- `ignores-page`: serves page 1 whatever page is asked, under the number asked;
- `says-page-1`: serves the page asked but numbers every answer page 1;
- `seconds`: gives times in seconds where milliseconds are documented;
- `endless`: every page brings new ids and says another page follows;
- `huge`: pads every ledger page with 65 MiB of blanks;
- `echo`: answers every ledger request with a 500 that quotes the request's headers.
"""


def sandbox(
    records: Sequence[dict[str, Any]],
    token: str,
    faults: Iterator[str] | None = None,
    budget: _Budget | dict[str, _Budget] | None = None,
    rewards: Sequence[dict[str, Any]] | None = None,
    hidden: Sequence[dict[str, Any]] = (),
    hostile: str = "",
    latency: float = 0.0,
    in_flight: InFlight | None = None,
) -> Callable[[SandboxRequest], SandboxResponse]:
    """The exchange's server side. `faults` yields, per request, "" (serve), "502" or "429";
    `budget` (see `rate_budget`, one for all or one per path) refuses requests beyond it with 429
    and reports what is left. `rewards`, when given, are served as the account's rewards ledger;
    `hidden` records count in `/balances` but no ledger serves them, as a ledger the client never reads.
    `hostile` is one of `HOSTILE`: a server that lies or misbehaves, for the tests of what the client
    refuses to believe. `latency` (seconds) delays every answer, as a round trip to a real exchange
    does; `in_flight` counts the requests it answers at once."""
    if hostile not in ("", *HOSTILE):
        raise ValueError(f"hostile must be one of {HOSTILE}, not {hostile!r}")
    faults = faults or itertools.repeat("")
    budgets = budget if isinstance(budget, dict) else {}
    endless = itertools.count()
    counting = in_flight or InFlight()

    def handle(request: SandboxRequest) -> SandboxResponse:
        with counting.serving():
            if latency:
                time.sleep(latency)  # outside any lock: the delays of requests in flight overlap
            return answer(request)

    def answer(request: SandboxRequest) -> SandboxResponse:
        pool = budgets.get(request.path) if budgets else budget
        granted, headers = pool.take() if isinstance(pool, _Budget) else (True, ())
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
        if request.path == "/features":
            return json_response({"rewards": rewards is not None})
        if request.path == "/balances":  # what every ledger adds up to, the hidden ones too
            totals: dict[str, Decimal] = {}
            for row in [*records, *(rewards or hidden)]:
                totals[row["asset"]] = totals.get(row["asset"], Decimal(0)) + parse_decimal(row["amount"])
            return json_response([{"asset": a, "balance": str(b)} for a, b in sorted(totals.items())])
        if request.path == "/first":
            return json_response(min(records, key=lambda r: r["ts"]) if records else None)
        if hostile == "echo":
            return json_response({"error": f"upstream failed; request was {dict(request.headers)}"}, status=500)
        served = rewards if request.path == "/rewards" and rewards is not None else records
        lo, hi = int(request.query["from"]), int(request.query["to"])
        size, number = int(request.query["size"]), int(request.query["page"])
        asset = request.query.get("asset")
        rows = [r for r in served if lo <= r["ts"] <= hi and asset in (None, r["asset"])]
        pages = max(1, -(-len(rows) // size))
        shown = 1 if hostile == "ignores-page" else number
        page: dict[str, Any] = {
            "page": 1 if hostile == "says-page-1" else number,
            "pages": max(1, pages - 1) if hostile == "lying-totals" else pages,
            "total": len(rows),
            "rows": rows[(shown - 1) * size : shown * size],
        }
        if hostile == "seconds":
            page["rows"] = [{**row, "ts": row["ts"] // 1000} for row in page["rows"]]
        elif hostile == "endless":
            page["rows"] = [{"id": f"e{next(endless)}", "ts": lo, "asset": "BTC", "amount": "1"} for _ in range(size)]
            page["pages"] = page["total"] = number + 1
        elif hostile == "huge":
            return SandboxResponse(body=json.dumps(page).encode() + b" " * (65 * 1024 * 1024), headers=headers)
        return json_response(page, headers=headers)

    return handle


def rate_budget(size: int, period: float) -> _Budget:
    return _Budget(size, period)


class InFlight:
    """The requests the server is answering at once, and the most it has answered at once: what a
    test of requests in flight asserts on, rather than on time."""

    def __init__(self) -> None:
        self.now = self.most = self.served = 0
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def serving(self) -> Iterator[None]:
        with self._lock:
            self.now += 1
            self.served += 1
            self.most = max(self.most, self.now)
        try:
            yield
        finally:
            with self._lock:
                self.now -= 1
