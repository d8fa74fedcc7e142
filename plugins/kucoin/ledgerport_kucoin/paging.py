"""Windows and page requests for GET /api/v1/accounts/ledgers.

KuCoin refuses a startAt..endAt span over 24 h and does not say whether its bounds are inclusive.
Each window [start, end) is therefore asked for as startAt = start − 1 ms, endAt = end: an entry
exactly on either edge comes back whichever way the server counts, and the engine keeps it only in
the window that owns it. With that padding a window must stay under 24 h, so the range is cut into
the fewest equal windows of at most 24 h − 2 ms (the second millisecond absorbs an `until` with
microseconds): 32 windows for 31 days, where day-aligned 12 h windows would need 62, and every
request counts under a rate budget. Window edges drift off midnight by a few milliseconds a day; nothing
depends on where they fall, only on their tiling the range.

KuCoin serves about a year of ledger history (`HISTORY`): a sync without `--since` starts there
(`history_start`), and a `--since` before it is warned about.
"""

from __future__ import annotations

import itertools
import logging
from datetime import UTC, datetime, time, timedelta

from ledgerport import Page, PageRequest, Window, to_ms

from .settings import Settings

__all__ = [
    "HISTORY",
    "LEDGERS_PATH",
    "MAX_SPAN_MS",
    "PAGE_WEIGHT",
    "POOL",
    "WINDOW",
    "bounds",
    "first_request",
    "following_request",
    "history_start",
    "plan",
]

log = logging.getLogger("ledgerport.kucoin")

LEDGERS_PATH = "/api/v1/accounts/ledgers"
WINDOW = timedelta(hours=24, milliseconds=-2)
MAX_SPAN_MS = 24 * 3600 * 1000
HISTORY = timedelta(days=365)
PAGE_WEIGHT = 2
"""Rate-limit weight of one ledger page, as the official SDK's spec gives it (the older seed page said 10);
pacing follows the budget KuCoin reports after every answer, so a larger real weight costs a wait, not data."""
POOL = "management"
"""KuCoin counts the weight of account endpoints, the ledger among them, in its Management pool;
pacing against that pool's budget leaves the Spot and Futures pools' requests unaffected."""


def plan(since: datetime, until: datetime, now: datetime | None = None) -> list[Window]:
    """The fewest equal windows of at most `WINDOW` tiling `[since, until)`; warns when KuCoin no longer
    serves `since`."""
    if since < (now or datetime.now(UTC)) - HISTORY:
        log.warning(
            "kucoin: --since %s is more than a year ago; KuCoin serves about one year of ledger history, "
            "so older entries may be missing (stream classic serves from about %s; KuCoin support can provide more)",
            since.isoformat(),
            ((now or datetime.now(UTC)) - HISTORY).date().isoformat(),
        )
    count = -(-(until - since) // WINDOW)
    edges = [since + (until - since) * i / count for i in range(count)] + [until]
    return [Window(a, b) for a, b in itertools.pairwise(edges)]


def history_start(now: datetime | None = None) -> datetime:
    """The first UTC midnight after `now − HISTORY`: the oldest day KuCoin surely still serves whole.

    Rounded up to a day, so a first sync starts on a date a user recognises, and strictly after the
    limit, so `plan`, which asks the clock again a moment later, has nothing to warn about.
    """
    oldest = ((now or datetime.now(UTC)) - HISTORY).astimezone(UTC)
    return datetime.combine(oldest.date() + timedelta(days=1), time.min, UTC)


def _ceil_ms(instant: datetime) -> int:
    """Epoch ms rounded up, so an `until` with microseconds still covers its last millisecond."""
    ms = to_ms(instant)
    return ms + 1 if instant.microsecond % 1000 else ms


def bounds(window: Window) -> tuple[int, int]:
    """The `startAt`, `endAt` asked for `window`: one millisecond before it, to its end (see above)."""
    return to_ms(window.start) - 1, _ceil_ms(window.end)


def _request(settings: Settings, window: Window, number: int) -> PageRequest:
    params: list[tuple[str, str]] = []
    if settings.currency:
        params.append(("currency", ",".join(settings.currency)))
    if settings.direction:
        params.append(("direction", settings.direction))
    if settings.biz_type:
        params.append(("bizType", settings.biz_type))
    start, end = bounds(window)
    params += [
        ("startAt", str(start)),
        ("endAt", str(end)),
        ("currentPage", str(number)),
        ("pageSize", str(settings.page_size)),
    ]
    return PageRequest(path=LEDGERS_PATH, params=tuple(params), cost=PAGE_WEIGHT, pool=POOL)


def first_request(settings: Settings, window: Window) -> PageRequest:
    return _request(settings, window, 1)


def following_request(settings: Settings, window: Window, page: Page) -> PageRequest | None:
    """The next page number up to `totalPage`; every page is read, there is no cap on their number."""
    current, total = page.cursor[:2]
    return _request(settings, window, current + 1) if current < total else None
