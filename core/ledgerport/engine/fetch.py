"""Fetching one page: send it, let its reader decode it, retry what is worth retrying, pace each rate pool."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from urllib.parse import urlencode

import attrs
import httpx

from ..errors import LedgerportError, RateLimitedError, SourceError, TransientError
from ..sdk.paging import Page, PageRequest, RateBudget
from ..sdk.retry import RetryPolicy

__all__ = ["DEFAULT_DEADLINE", "DEFAULT_MAX_BYTES", "FetchStats", "Fetcher", "Reader"]

log = logging.getLogger(__name__)

Reader = Callable[[PageRequest, httpx.Response], Page]

DEFAULT_DEADLINE = 120.0
"""Seconds one request may take in all, answer included, however steadily its bytes trickle in (the
engine gives four times its per-read timeout)."""
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
"""The largest answer read: a page is kilobytes; an answer beyond this is a broken or hostile server."""


@attrs.define
class FetchStats:
    requests: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    paced: int = 0
    waited: float = 0.0


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class Fetcher:
    """The sync's one way to the source; it is also the `Session` a connector probes through."""

    def __init__(
        self,
        client: httpx.Client,
        source: str,
        policy: RetryPolicy,
        sleep: Callable[[float], None] = time.sleep,
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
        self._budgets: dict[str, tuple[RateBudget, float]] = {}
        self.stats = FetchStats()

    def _pace(self, request: PageRequest) -> None:
        """Waits for the pool's budget to refill when what is left would not pay for the next request."""
        known = self._budgets.get(request.pool)
        if known is None:
            return
        if known[0].remaining >= request.cost:
            log.debug(
                "%s: pool %s has %d of its budget left, enough for %s (cost %d): no pause",
                self._source,
                request.pool,
                known[0].remaining,
                request.path,
                request.cost,
            )
            return
        budget, seen_at = self._budgets.pop(request.pool)
        delay = min(budget.reset_after - (time.monotonic() - seen_at), self._policy.max_wait)
        if delay > 0:
            log.info(
                "%s: rate budget of pool %s spent, pausing %.2fs until it refills", self._source, request.pool, delay
            )
            self.stats.paced += 1
            self.stats.waited += delay
            self._sleep(delay)

    def _own(self, error: Exception) -> str:
        """The error's message without the source's name, which connectors often start it with."""
        return str(error).removeprefix(f"{self._source}: ")

    def fetch(self, request: PageRequest, read: Reader) -> Page:
        failures = 0
        waits = 0
        while True:
            self._pace(request)
            try:
                page = self._attempt(request, read)
                if page.budget is not None:
                    self._budgets[request.pool] = (page.budget, time.monotonic())
                    log.debug(
                        "%s: pool %s: %d of its budget left, refilled in %.2fs",
                        self._source,
                        request.pool,
                        page.budget.remaining,
                        page.budget.reset_after,
                    )
                return page
            except RateLimitedError as exc:
                waits += 1
                if waits > self._policy.rate_limit_waits:
                    raise SourceError(
                        f"{self._source}: still rate limited after {waits - 1} waits: {self._own(exc)}"
                    ) from None
                delay = self._policy.wait(exc.retry_after, waits)
                self.stats.rate_limit_waits += 1
                log.info("%s: rate limited, waiting %.2fs", self._source, delay)
            except TransientError as exc:
                failures += 1
                if failures >= self._policy.attempts:
                    raise SourceError(f"{self._source}: gave up after {failures} attempts: {self._own(exc)}") from None
                delay = self._policy.wait(exc.retry_after, failures)
                self.stats.retries += 1
                log.warning("%s: %s; retry %d in %.2fs", self._source, self._own(exc), failures, delay)
            self.stats.waited += delay
            self._sleep(delay)

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
        self.stats.requests += 1
        query = f"?{urlencode(request.params)}" if request.params else ""  # filters and bounds; never headers or body
        log.debug(
            "%s: request %d: %s %s%s (pool %s, cost %d)",
            self._source,
            self.stats.requests,
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
            log.debug("%s: request %d failed: %s", self._source, self.stats.requests, type(exc).__name__)
            raise TransientError(f"{request.path}: {type(exc).__name__}: {exc}") from None
        log.debug(
            "%s: request %d: HTTP %d, %d bytes in %.3fs",
            self._source,
            self.stats.requests,
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
