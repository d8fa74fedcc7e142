"""The sandbox's HTTP contract: 1Konto's login, ledger and Get Account endpoints, with expiring tokens,
a cap on `max`, short pages and injected faults, all deterministic. Serve it with `ledgerport.SandboxServer`."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from itertools import islice
from typing import Any
from urllib.parse import unquote

import attrs

from ledgerport import SandboxRequest, SandboxResponse, json_response

from ..api import ACCOUNT_PATH, DEFAULT_LOGIN_PATH, EVENT_TYPES, LEDGER_PATH, password_digest
from ..eventtime import parse_event_time
from .ledger import Ledger, to_ticks
from .tokens import TokenIssuer

_LEDGER_PREFIX = LEDGER_PATH.partition("{")[0]
_ACCOUNT_PREFIX = ACCOUNT_PATH.partition("{")[0]
_NO_TICKS = (-(2**63), 2**63 - 1)

# The two error shapes of 1Konto's docs, one for each fault the sandbox injects.
_FAULT_BODIES: dict[int, Any] = {
    500: {"status": 500, "error": "internal server error"},
    503: {"status": 503, "error": "ledger service unavailable, try again later"},
    424: {"errors": ["ledger store did not answer in time"], "status": "failedDependency", "httpStatusCode": 424},
}


HOSTILE = ("ignores-page", "seconds", "duplicates", "endless", "huge", "echo", "echo-login", "wrong-balance")
"""The ways `Sandbox(hostile=...)` misbehaves, as servers have been seen to:

- `ignores-page`: serves from the window's first transaction whatever `startAtOrdering` asks;
- `seconds`: `eventTime` as epoch seconds (a JSON number) where an ISO 8601 instant is documented;
- `duplicates`: every page repeats its first transaction's id with another amount;
- `endless`: every page brings new ids at orderings past the one asked for;
- `huge`: pads every ledger page with 65 MiB of blanks;
- `echo`: answers every ledger request with a 500 whose message quotes the request's headers;
- `echo-login`: answers the login with a 500 whose message quotes the request's body;
- `wrong-balance`: Get Account reports BTC's `locked` one satoshi (1E-8) more than the ledger holds,
  as an account whose ledger misses a transaction does: the reconciliation must show the difference.
"""
WRONG_BALANCE = ("BTC", Decimal("1E-8"))
"""The asset `hostile="wrong-balance"` misreports, and by how much."""
HUGE_PADDING = 65 * 1024 * 1024


class TickingClock:
    """A clock that moves `step` seconds each time it is read (once per request): token expiry at
    exact, repeatable points of a sync, however fast the machine is."""

    def __init__(self, step: float) -> None:
        self.step = step
        self.now = 0.0

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@attrs.frozen(kw_only=True)
class Faults:
    """Failures to inject into ledger requests: `script` gives the status of the first ones (0 serves
    normally), then a seeded `error_rate` of them fail with 503 or 424. `corrupt` replaces fields of
    the named transactions (`None` removes the field), to serve malformed records."""

    error_rate: float = 0.0
    seed: int = 0
    script: tuple[int, ...] = ()
    corrupt: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)


@attrs.define
class Stats:
    """What the sandbox served, for tests and demos to check the client's behaviour against."""

    logins: int = 0
    refused_logins: int = 0
    refused_tokens: int = 0
    tokens_refused: set[str] = attrs.Factory(set)
    """The distinct tokens refused: requests in flight at once may meet one expiry together."""
    pages: int = 0
    short_pages: int = 0
    split_orderings: int = 0
    account_requests: int = 0
    faults: dict[int, int] = attrs.Factory(dict)


def _error(status: int, message: str) -> SandboxResponse:
    return json_response({"status": status, "error": message}, status=status)


def _encode(record: Mapping[str, Any]) -> str:
    """A flat record as JSON, a Decimal as a JSON number at full precision (never through float)."""
    return (
        "{"
        + ",".join(
            f"{json.dumps(key)}:{format(value, 'f') if isinstance(value, Decimal) else json.dumps(value)}"
            for key, value in record.items()
        )
        + "}"
    )


class _BadQuery(Exception):
    pass


def _int(query: Mapping[str, str], name: str, minimum: int) -> int | None:
    if name not in query:
        return None
    try:
        value = int(query[name])
    except ValueError:
        raise _BadQuery(f"{name} must be an integer, got {query[name]!r}") from None
    if value < minimum:
        raise _BadQuery(f"{name} must be at least {minimum}, got {value}")
    return value


def _ticks(query: Mapping[str, str], name: str, default: int) -> int:
    if name not in query:
        return default
    try:
        return to_ticks(parse_event_time(query[name]))
    except ValueError as exc:
        raise _BadQuery(f"{name}: {exc}") from None


class Sandbox:
    """A 1Konto server for one account's `ledger`: a handler for `ledgerport.SandboxServer`.

    `max_cap` caps `max`; every `short_every`-th page (0: none) comes back a quarter short although
    more remain, as the real API may. Tokens last `token_lifetime` seconds of `clock`. `hostile`
    (`HOSTILE`) makes it lie or misbehave, for the tests of what the client refuses to believe.
    Get Account reports the balances of the transactions up to `wall_clock()` (now, by default).
    `latency_ms` delays every answer, outside the lock, so the delays of requests in flight overlap
    as a real server's round trips do.
    """

    def __init__(
        self,
        ledger: Ledger,
        *,
        user: str,
        password: str,
        login_path: str = DEFAULT_LOGIN_PATH,
        token_lifetime: float = 86_400.0,
        max_cap: int = 100,
        short_every: int = 3,
        faults: Faults = Faults(),
        clock: Callable[[], float] = time.monotonic,
        hostile: str = "",
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        latency_ms: float = 0.0,
    ) -> None:
        if hostile not in ("", *HOSTILE):
            raise ValueError(f"hostile must be one of {HOSTILE}, not {hostile!r}")
        self.hostile = hostile
        self.ledger = ledger
        self.stats = Stats()
        self._user = user
        self._digest = password_digest(password)
        self._login_path = login_path
        self._tokens = TokenIssuer(token_lifetime)
        self._max_cap = max_cap
        self._short_every = short_every
        self._faults = faults
        self._script = list(faults.script)
        self._rng = random.Random(faults.seed)
        self._clock = clock
        self._wall_clock = wall_clock
        self._latency = latency_ms / 1000
        self._lock = threading.Lock()

    def __call__(self, request: SandboxRequest) -> SandboxResponse:
        if self._latency:
            time.sleep(self._latency)
        with self._lock:
            now = self._clock()
            if request.method == "POST" and request.path == self._login_path:
                return self._login(request, now)
            if request.method == "GET" and request.path.startswith(_LEDGER_PREFIX):
                return self._ledger(request, now)
            if request.method == "GET" and request.path.startswith(_ACCOUNT_PREFIX):
                return self._account(request, now)
            return _error(404, f"no such endpoint: {request.method} {request.path}")

    def _login(self, request: SandboxRequest, now: float) -> SandboxResponse:
        if self.hostile == "echo-login":  # as real servers sometimes do: the client must not repeat it
            return _error(500, f"upstream failed; request was {request.body.decode(errors='replace')}")
        try:
            body = json.loads(request.body)
            user, digest = body["user"], body["password"]
        except (ValueError, KeyError, TypeError):
            return _error(400, 'expected {"user": ..., "password": ...}')
        if user != self._user or digest != self._digest:
            self.stats.refused_logins += 1
            return _error(401, "invalid user or password")
        self.stats.logins += 1
        return json_response({"token": self._tokens.issue(user, now)})

    def _fault(self) -> int:
        if self._script:
            return self._script.pop(0)
        if self._faults.error_rate and self._rng.random() < self._faults.error_rate:
            return self._rng.choice((503, 424))
        return 0

    def _refused(self, request: SandboxRequest, now: float) -> SandboxResponse | None:
        """The injected fault or the 401 a request to the ledger or Get Account meets first, if any."""
        fault = self._fault()
        if fault:
            self.stats.faults[fault] = self.stats.faults.get(fault, 0) + 1
            return json_response(_FAULT_BODIES.get(fault, {"status": fault, "error": "injected"}), status=fault)
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        problem = self._tokens.problem(token, now) if scheme == "Bearer" else "missing bearer token"
        if problem:
            self.stats.refused_tokens += 1
            self.stats.tokens_refused.add(token)
            return _error(401, problem)
        return None

    def _account(self, request: SandboxRequest, now: float) -> SandboxResponse:
        """Get Account: `{"account": {..., "balances": {ASSET: {"free", "locked", ...}}}, "status": "OK", ...}`."""
        refused = self._refused(request, now)
        if refused is not None:
            return refused
        account = unquote(request.path[len(_ACCOUNT_PREFIX) :])
        if account != self.ledger.account:
            return _error(404, "Account ID Not Found")  # the docs' words, not the ledger route's
        self.stats.account_requests += 1
        held = self.ledger.holdings(to_ticks(self._wall_clock()))
        if self.hostile == "wrong-balance":
            asset, extra = WRONG_BALANCE
            free, locked = held[asset]
            held[asset] = (free, locked + extra)
        balances = ",".join(
            f'{json.dumps(asset)}:{{"free":{free:f},"locked":{locked:f},"limit":0,'
            f'"pendingDeposit":0,"available":{free:f}}}'
            for asset, (free, locked) in held.items()
        )
        body = (
            f'{{"account":{{"accountId":{json.dumps(account)},"type":"trading","name":"sandbox account",'
            f'"balances":{{{balances}}},"sources":[]}},"status":"OK","httpStatusCode":200}}'
        )
        return SandboxResponse(body=body.encode())

    def _ledger(self, request: SandboxRequest, now: float) -> SandboxResponse:
        refused = self._refused(request, now)
        if refused is not None:
            return refused
        account = unquote(request.path[len(_LEDGER_PREFIX) :])
        if account != self.ledger.account:
            return _error(404, f"account {account!r} not found")
        if self.hostile == "echo":
            return _error(500, f"upstream failed; request was {dict(request.headers)}")
        try:
            page = self._page(request.query)
        except _BadQuery as exc:
            return _error(400, str(exc))
        if self.hostile == "huge":
            return attrs.evolve(page, body=page.body + b" " * HUGE_PADDING)
        return page

    def _page(self, query: Mapping[str, str]) -> SandboxResponse:
        asked = _int(query, "max", 1)
        if asked is None:
            raise _BadQuery("max is required")
        kind = query.get("type")
        if kind is not None and kind not in EVENT_TYPES:
            raise _BadQuery(f"type must be one of {', '.join(EVENT_TYPES)}")
        ordering = _int(query, "startAtOrdering", 0)
        span = self.ledger.span(
            _ticks(query, "startTimeUtc", _NO_TICKS[0]),
            _ticks(query, "endTimeUtc", _NO_TICKS[1]),
            None if self.hostile in ("ignores-page", "endless") else ordering,
        )
        size = min(asked, self._max_cap)
        self.stats.pages += 1
        if self._short_every and self.stats.pages % self._short_every == 0 and size >= 4:
            size -= size // 4
            self.stats.short_pages += 1
        asset = query.get("asset")
        matching = (i for i in span if self.ledger.matches(i, asset, kind)) if asset or kind else iter(span)
        chosen = list(islice(matching, size + 1))
        if len(chosen) > size:
            orderings = self.ledger.orderings
            self.stats.split_orderings += orderings[chosen[size - 1]] == orderings[chosen[size]]
            chosen = chosen[:size]
        corrupt = self._faults.corrupt
        if self.hostile in ("seconds", "duplicates", "endless"):
            records = [_encode(row) for row in self._misbehave([self.ledger.record(i) for i in chosen], ordering or 0)]
        else:
            records = [self._corrupted(i) if corrupt else self.ledger.record_json(i) for i in chosen]
        return SandboxResponse(body=f"[{','.join(records)}]".encode())

    def _misbehave(self, rows: list[dict[str, Any]], ordering: int) -> list[dict[str, Any]]:
        """A page's records as a hostile server serves them (see `HOSTILE`)."""
        if not rows:
            return rows
        if self.hostile == "seconds":
            return [{**row, "eventTime": to_ticks(parse_event_time(row["eventTime"])) // 10**7} for row in rows]
        if self.hostile == "duplicates":
            return [*rows, {**rows[0], "amount": rows[0]["amount"] + 1000}]
        return [  # endless: fresh ids at fresh orderings past the one asked for, however far it is
            {**row, "ordering": ordering + n + 1, "transactionId": f"{row['transactionId']}-{ordering + n + 1}"}
            for n, row in enumerate(rows)
        ]

    def _corrupted(self, index: int) -> str:
        overrides = self._faults.corrupt.get(self.ledger.transaction_id(index))
        if overrides is None:
            return self.ledger.record_json(index)
        record = {**self.ledger.record(index), **overrides}
        return _encode({key: value for key, value in record.items() if value is not None})
