"""Fetching one page: send it, let its reader decode it, retry what is worth retrying, pace each rate pool.

One `Fetcher` serves every thread of a sync (windows are read ahead in several at once): what it knows of
each pool's budget, and its counts, are shared under one lock, so a spent pool holds back all its threads.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from urllib.parse import urlencode

import attrs
import httpx

from ..errors import LedgerportError, RateLimitedError, SourceError, TransientError
from ..sdk.paging import Page, PageRequest
from ..sdk.retry import RetryPolicy

__all__ = ["DEFAULT_DEADLINE", "DEFAULT_MAX_BYTES", "Cancelled", "FetchStats", "Fetcher", "Reader"]

log = logging.getLogger(__name__)

Reader = Callable[[PageRequest, httpx.Response], Page]

DEFAULT_DEADLINE = 120.0
"""Seconds one request may take in all, answer included, however steadily its bytes trickle in (the
engine gives four times its per-read timeout)."""
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
"""The largest answer read: a page is kilobytes; an answer beyond this is a broken or hostile server."""


class Cancelled(LedgerportError):
    """The sync is stopping (an error in an earlier window, Ctrl-C, SIGTERM): a request not yet sent is
    not sent, and a wait ends at once. Only threads reading ahead meet it; the sync raises what stopped it."""


@attrs.define
class FetchStats:
    requests: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    paced: int = 0
    waited: float = 0.0


@attrs.define
class _Pool:
    """What the threads of one sync know of one rate pool's budget.

    Requests reserve their cost from `remaining` before they are sent, so threads that start together
    do not all spend the last of it. While it is unknown (before the pool's first answer, after it
    refills) one request, the probe, goes out alone and its answer tells the others what is left, as a
    sync reading one page at a time would learn it. Answers arrive out of order: within what is known,
    one can only lower `remaining`, and one to a request sent before `known_from` says nothing newer.
    """

    remaining: int | None = None
    refill_at: float = 0.0
    known_from: float = 0.0
    paused: bool = False  # the pause for this spent budget is counted and logged
    probing: bool = False
    unpaced: bool = False  # its answers carry no budget: nothing to pace, no probe to wait for
    in_flight: int = 0  # the cost of its requests sent and not yet answered
    waiting: list[int] = attrs.Factory(list)  # the `order` of each request waiting to be sent


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class Fetcher:
    """The sync's one way to the source; it is also the `Session` a connector probes through.

    `sleep` is how it waits (a retry's backoff, a spent budget); without one it waits on its own clock,
    which `cancel()` cuts short.
    """

    def __init__(
        self,
        client: httpx.Client,
        source: str,
        policy: RetryPolicy,
        sleep: Callable[[float], None] | None = None,
        *,
        deadline: float = DEFAULT_DEADLINE,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self._client = client
        self._source = source
        self._policy = policy
        self._sleep = sleep
        self._deadline = deadline
        self._max_bytes = max_bytes
        self._pools: dict[str, _Pool] = {}
        self._lock = threading.Lock()
        self._pool_changed = threading.Condition(self._lock)  # an answer may let waiting threads go
        self._cancelled = threading.Event()
        self.stats = FetchStats()

    def cancel(self) -> None:
        """Every later request and wait raises `Cancelled`; a request already sent is answered first."""
        self._cancelled.set()
        with self._pool_changed:
            self._pool_changed.notify_all()

    def _wait(self, seconds: float) -> None:
        if self._sleep is None:
            self._cancelled.wait(seconds)
        else:
            self._sleep(seconds)
        self._check()

    def _check(self) -> None:
        if self._cancelled.is_set():
            raise Cancelled(f"{self._source}: the sync is stopping")

    def _take(self, request: PageRequest, order: int) -> tuple[bool, float]:
        """Waits until the pool's budget pays for `request` and reserves its cost; whether it goes out as
        the pool's probe, and when. A spent pool is waited out until it refills, by every thread that
        meets it; then the earliest window's requests (lowest `order`) go first."""
        with self._pool_changed:
            pool = self._pools.setdefault(request.pool, _Pool())
            pool.waiting.append(order)
        try:
            while True:
                with self._pool_changed:
                    self._check()
                    now = time.monotonic()
                    if pool.unpaced:
                        pool.in_flight += request.cost
                        return False, now
                    if pool.remaining is not None and now >= pool.refill_at:
                        pool.remaining, pool.paused = None, False  # refilled: the next answer says by how much
                        pool.known_from = now
                    if (pool.remaining is None and pool.probing) or min(pool.waiting) < order:
                        self._pool_changed.wait()
                        continue
                    if pool.remaining is None:
                        pool.probing = True
                        pool.in_flight += request.cost
                        return True, now
                    if pool.remaining >= request.cost:
                        log.debug(
                            "%s: pool %s has %d of its budget left, enough for %s (cost %d): no pause",
                            self._source,
                            request.pool,
                            pool.remaining,
                            request.path,
                            request.cost,
                        )
                        pool.remaining -= request.cost
                        pool.in_flight += request.cost
                        return False, now
                    delay = pool.refill_at - now
                    if not pool.paused:
                        pool.paused = True
                        self.stats.paced += 1
                        self.stats.waited += delay
                        log.info(
                            "%s: rate budget of pool %s spent, pausing %.2fs until it refills",
                            self._source,
                            request.pool,
                            delay,
                        )
                self._wait(delay)
        finally:
            with self._pool_changed:
                pool.waiting.remove(order)
                self._pool_changed.notify_all()

    def _answered(self, request: PageRequest, probe: bool, sent: float, page: Page | None) -> None:
        """What the answer says the pool has left, less what is still in flight (which it may not count)."""
        with self._pool_changed:
            pool = self._pools[request.pool]
            pool.in_flight -= request.cost
            pool.probing = pool.probing and not probe
            if page is not None and page.budget is not None and sent >= pool.known_from:
                budget = page.budget
                left = budget.remaining - pool.in_flight
                if pool.remaining is None:
                    pool.remaining, pool.known_from = left, sent
                    pool.refill_at = time.monotonic() + min(budget.reset_after, self._policy.max_wait)
                else:
                    pool.remaining = min(pool.remaining, left)
                pool.unpaced = False
                log.debug(
                    "%s: pool %s: %d of its budget left, refilled in %.2fs",
                    self._source,
                    request.pool,
                    budget.remaining,
                    budget.reset_after,
                )
            elif page is not None and probe:
                pool.unpaced = True
            self._pool_changed.notify_all()

    def _hold(self, request: PageRequest, seconds: float) -> None:
        """A rate-limit answer: the pool's other threads wait it out too, rather than collect their own."""
        with self._pool_changed:
            pool = self._pools[request.pool]
            pool.remaining, pool.paused = 0, True  # counted as a rate-limit wait, not as a pause
            pool.refill_at = max(pool.refill_at, time.monotonic() + seconds)
            pool.unpaced = False

    def _own(self, error: Exception) -> str:
        """The error's message without the source's name, which connectors often start it with."""
        return str(error).removeprefix(f"{self._source}: ")

    def _send(self, request: PageRequest, read: Reader, order: int) -> Page:
        probe, sent = self._take(request, order)
        page: Page | None = None
        try:
            page = self._attempt(request, read)
            return page
        finally:
            self._answered(request, probe, sent, page)

    def fetch(self, request: PageRequest, read: Reader, *, order: int = -1) -> Page:
        """The page `read` decodes from the answer to `request`. `order` is the place of the window it
        belongs to in the sync: while a pool's budget is short, the earliest window is served first, so
        windows are written as steadily as when they are read one at a time (a connector's own requests
        come before any window's)."""
        failures = 0
        waits = 0
        while True:
            try:
                return self._send(request, read, order)
            except RateLimitedError as exc:
                waits += 1
                if waits > self._policy.rate_limit_waits:
                    raise SourceError(
                        f"{self._source}: still rate limited after {waits - 1} waits: {self._own(exc)}"
                    ) from None
                delay = self._policy.wait(exc.retry_after, waits)
                self._hold(request, delay)
                with self._lock:
                    self.stats.rate_limit_waits += 1
                    self.stats.waited += delay
                log.info("%s: rate limited, waiting %.2fs", self._source, delay)
            except TransientError as exc:
                failures += 1
                if failures >= self._policy.attempts:
                    raise SourceError(f"{self._source}: gave up after {failures} attempts: {self._own(exc)}") from None
                delay = self._policy.wait(exc.retry_after, failures)
                with self._lock:
                    self.stats.retries += 1
                    self.stats.waited += delay
                log.warning("%s: %s; retry %d in %.2fs", self._source, self._own(exc), failures, delay)
            self._wait(delay)

    def _receive(self, request: PageRequest) -> httpx.Response:
        """The whole answer, within the deadline and the size cap. httpx's timeout bounds each read, so a
        server sending a byte every few seconds would hold a sync for ever; the deadline bounds the whole."""
        give_up = time.monotonic() + self._deadline
        with self._client.stream(
            request.method, request.path, params=list(request.params), json=request.json
        ) as response:
            body = bytearray()
            for chunk in response.iter_bytes():  # decoded: the cap holds for what a gzip bomb unpacks to
                body += chunk
                if len(body) > self._max_bytes:
                    raise SourceError(
                        f"{self._source}: {request.path}: the answer is larger than {self._max_bytes:,} bytes; "
                        "no page of a ledger is that large"
                    )
                if time.monotonic() > give_up:
                    raise SourceError(
                        f"{self._source}: {request.path}: the answer did not arrive within {self._deadline:g}s "
                        f"({len(body):,} bytes so far): the server sends it too slowly"
                    )
            decoded = ("content-encoding", "content-length")  # the body below is decoded already
            headers = [(k, v) for k, v in response.headers.multi_items() if k not in decoded]
            whole = httpx.Response(
                response.status_code,
                headers=headers,
                content=bytes(body),
                request=response.request,
                extensions=response.extensions,
            )
            whole.read()
            return whole

    def _attempt(self, request: PageRequest, read: Reader) -> Page:
        with self._lock:
            self.stats.requests += 1
            number = self.stats.requests
        query = f"?{urlencode(request.params)}" if request.params else ""  # filters and bounds; never headers or body
        log.debug(
            "%s: request %d: %s %s%s (pool %s, cost %d)",
            self._source,
            number,
            request.method,
            request.path,
            query,
            request.pool,
            request.cost,
        )
        started = time.monotonic()
        try:
            response = self._receive(request)
        except httpx.TransportError as exc:
            log.debug("%s: request %d failed: %s", self._source, number, type(exc).__name__)
            raise TransientError(f"{request.path}: {type(exc).__name__}: {exc}") from None
        log.debug(
            "%s: request %d: HTTP %d, %d bytes in %.3fs",
            self._source,
            number,
            response.status_code,
            len(response.content),
            time.monotonic() - started,
        )
        try:
            return read(request, response)
        except LedgerportError:
            raise
        except Exception as exc:
            status = response.status_code
            reason = f"{request.path}: HTTP {status}: unreadable answer ({type(exc).__name__}: {exc})"
            if status == 429:
                raise RateLimitedError(reason, retry_after=_retry_after(response)) from None
            if status >= 500:
                raise TransientError(reason, retry_after=_retry_after(response)) from None
            raise SourceError(f"{self._source}: {reason}") from None
