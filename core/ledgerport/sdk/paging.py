"""The values that travel between the engine and a stream: windows of time, requests, pages, rate budgets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

__all__ = ["Page", "PageRequest", "RateBudget", "Window"]

DEFAULT_POOL = "default"


@attrs.frozen
class Window:
    """A half-open slice `[start, end)` of the sync's range, fetched and committed as one unit.

    Windows tile the range, and an entry belongs to the window its timestamp falls in, so an entry
    a source repeats on a boundary is kept once even when both neighbouring windows return it.
    """

    start: datetime
    end: datetime

    def owns(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


@attrs.frozen(kw_only=True)
class PageRequest:
    """One HTTP request; `params` keep their order because signatures cover the query as sent.

    `path` is relative to the sync's base URL, or an absolute URL for a source with several hosts.
    `cost` is what the request takes from the rate budget of its `pool` (KuCoin calls it weight,
    and counts it per pool: Spot, Futures, Management); requests of one pool pace against that
    pool's budget only.
    """

    path: str
    method: str = "GET"
    params: tuple[tuple[str, str], ...] = ()
    json: Any = None
    cost: int = 1
    pool: str = DEFAULT_POOL


@attrs.frozen
class RateBudget:
    """What the source says is left of a pool's rate budget, and in how many seconds it refills."""

    remaining: int
    reset_after: float


@attrs.frozen(kw_only=True)
class Page:
    """One decoded answer: its raw records, whatever the stream needs to ask for the next one, and
    the rate budget the source reported, which paces the requests of the same pool that follow."""

    request: PageRequest
    records: Sequence[Mapping[str, Any]]
    cursor: Any = None
    budget: RateBudget | None = None
