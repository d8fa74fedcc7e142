"""The HF ledgers, paged by a `lastId` cursor: HF spot (/api/v1/hf/accounts/ledgers, accountType
TRADE_HF) and HF margin (/api/v3/hf/margin/account/ledgers, MARGIN_V2 and ISOLATED_V2).

Both answer a bare list, newest first by createdAt then id; the next page is asked with the last
(smallest) id of this one, and a page shorter than `limit` is the last. `limit` is at most 200. A
`startAt`..`endAt` span over 3 × 24 h is silently replaced by the last 72 h, so a span is never
sent over 24 h (the connector's windows already are shorter). Both count in the Spot pool, weight
2. The docs can be read as serving only the last 72 h: older windows are warned about.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar

import httpx

from ledgerport import Entry, Page, PageRequest, Window

from .. import answers, paging
from ..records import ledger_entry
from .base import KucoinStream

__all__ = ["MAX_LIMIT", "HfMarginLedger", "HfSpotLedger"]

MAX_LIMIT = 200
WEIGHT = 2
POOL = "spot"


class _CursorLedger(KucoinStream):
    path: ClassVar[str]
    prefix: ClassVar[str]
    retention = timedelta(hours=72)

    @property
    def limit(self) -> int:
        return min(self.settings.page_size, MAX_LIMIT)

    def _request(self, window: Window, last_id: str | None) -> PageRequest:
        params: list[tuple[str, str]] = []
        if self.settings.currency:
            params.append(("currency", ",".join(self.settings.currency)))
        if self.settings.direction:
            params.append(("direction", self.settings.direction))
        if last_id is not None:
            params.append(("lastId", last_id))
        start, end = paging.bounds(window)
        params += [("limit", str(self.limit)), ("startAt", str(start)), ("endAt", str(end))]
        return PageRequest(path=self.path, params=tuple(params), cost=WEIGHT, pool=POOL)

    def first_request(self, window: Window) -> PageRequest:
        self.begin(window)
        return self._request(window, None)

    def next_request(self, window: Window, page: Page) -> PageRequest | None:
        self.count_outside(window, page.records)
        if len(page.records) < self.limit:
            return None
        last = page.records[-1].get("id")
        return self._request(window, str(last)) if last is not None else None

    def read_page(self, request: PageRequest, response: httpx.Response) -> Page:
        page = answers.read_cursor_ledger(request, response)
        self.check_moved(request, page.records)
        return page

    def row_ms(self, record: Mapping[str, Any]) -> int | None:
        value = record.get("createdAt")
        if isinstance(value, str) and value.isdigit():
            return int(value)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def map_record(self, record: Mapping[str, Any]) -> list[Entry]:
        return [ledger_entry(record, self.account, self.prefix, self.warned)]


class HfSpotLedger(_CursorLedger):
    """The HF ("Pro") spot account's ledger: string ids and times, a real running balance."""

    name = "hf-spot"
    path = "/api/v1/hf/accounts/ledgers"
    prefix = "hf"


class HfMarginLedger(_CursorLedger):
    """The HF cross and isolated margin ledger: integer ids and times, a real running balance."""

    name = "hf-margin"
    path = "/api/v3/hf/margin/account/ledgers"
    prefix = "margin"
