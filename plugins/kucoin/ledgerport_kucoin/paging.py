"""Windows and page requests for GET /api/v1/accounts/ledgers.

KuCoin refuses a startAt..endAt span over 24 h and does not say whether its bounds are inclusive.
Each window [start, end) is therefore asked for as startAt = start − 1 ms, endAt = end: an entry
exactly on either edge comes back whichever way the server counts, and the engine keeps it only in
the window that owns it. With that padding a day-aligned window must be shorter than 24 h, so windows
are 12 h: midnight stays a window edge and the padded span (12 h + 1 ms) is far inside the limit.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from ledgerport import Page, PageRequest, Window, to_ms

from .settings import Settings

__all__ = ["LEDGERS_PATH", "MAX_SPAN_MS", "PAGE_WEIGHT", "WINDOW", "first_request", "following_request", "plan"]

log = logging.getLogger("ledgerport.kucoin")

LEDGERS_PATH = "/api/v1/accounts/ledgers"
WINDOW = timedelta(hours=12)
MAX_SPAN_MS = 24 * 3600 * 1000
HISTORY = timedelta(days=365)
PAGE_WEIGHT = 10
"""Rate-limit weight of one ledger page: the larger of the documented values (10; newer docs say 2),
so pacing pauses a little early rather than meeting a 429."""


def plan(since: datetime, until: datetime, now: datetime | None = None) -> list[Window]:
    """12 h windows from `since`, the last one cut at `until`; warns when KuCoin no longer serves `since`."""
    if since < (now or datetime.now(UTC)) - HISTORY:
        log.warning(
            "kucoin: --since %s is more than a year ago; KuCoin serves about one year of ledger history, "
            "so older entries may be missing (KuCoin support can provide more)",
            since.isoformat(),
        )
    windows = []
    start = since
    while start < until:
        end = min(start + WINDOW, until)
        windows.append(Window(start, end))
        start = end
    return windows


def _ceil_ms(instant: datetime) -> int:
    """Epoch ms rounded up, so an `until` with microseconds still covers its last millisecond."""
    ms = to_ms(instant)
    return ms + 1 if instant.microsecond % 1000 else ms


def _request(settings: Settings, window: Window, number: int) -> PageRequest:
    params: list[tuple[str, str]] = []
    if settings.currency:
        params.append(("currency", ",".join(settings.currency)))
    if settings.direction:
        params.append(("direction", settings.direction))
    if settings.biz_type:
        params.append(("bizType", settings.biz_type))
    params += [
        ("startAt", str(to_ms(window.start) - 1)),
        ("endAt", str(_ceil_ms(window.end))),
        ("currentPage", str(number)),
        ("pageSize", str(settings.page_size)),
    ]
    return PageRequest(path=LEDGERS_PATH, params=tuple(params), cost=PAGE_WEIGHT)


def first_request(settings: Settings, window: Window) -> PageRequest:
    return _request(settings, window, 1)


def following_request(settings: Settings, window: Window, page: Page) -> PageRequest | None:
    """The next page number up to `totalPage`; every page is read, there is no cap on their number."""
    current, total = page.cursor
    return _request(settings, window, current + 1) if current < total else None
