"""The Unified Trading Account ledger, for an account whose mode is UNIFIED.

The official SDK (kucoin-universal-sdk 1.3.2) routes it as GET /api/ua/v2/account/ledger on the
spot host; ccxt and Kucoin.Net used /api/ua/v1. It takes a required `accountType`, so each
unified account type an account has is its own stream. Answers `{lastId, items}`, rows with a
positive `amount`, IN/OUT, a real running `balance` and `ts` in nanoseconds. Paged by `lastId` while
a page is full. The filters this endpoint does not take (currency, direction) are applied here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from ledgerport import Entry, Page, PageRequest, Window

from .. import answers, paging
from ..records import unified_entry
from .base import KucoinStream

__all__ = ["PATH", "UnifiedLedger"]

PATH = "/api/ua/v2/account/ledger"
PAGE_SIZE = 100
WEIGHT = 2
POOL = "spot"


class UnifiedLedger(KucoinStream):
    """One account type (FUNDING, UNIFIED, ...) of a Unified Trading Account; ids are `uta:<id>`."""

    retention = paging.HISTORY

    def __init__(self, *args: Any, account_type: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account_type = account_type
        self.name = f"uta-{account_type.lower()}"  # type: ignore[misc]

    def _request(self, window: Window, last_id: Any) -> PageRequest:
        start, end = paging.bounds(window)
        params = [("accountType", self.account_type), ("startAt", str(start)), ("endAt", str(end))]
        params.append(("pageSize", str(PAGE_SIZE)))
        if last_id is not None:
            params.append(("lastId", str(last_id)))
        return PageRequest(path=PATH, params=tuple(params), cost=WEIGHT, pool=POOL)

    def first_request(self, window: Window) -> PageRequest:
        self.begin(window)
        return self._request(window, None)

    def next_request(self, window: Window, page: Page) -> PageRequest | None:
        self.count_outside(window, page.records)
        if len(page.records) < PAGE_SIZE or page.cursor in (None, ""):
            return None
        return self._request(window, page.cursor)

    def read_page(self, request: PageRequest, response: httpx.Response) -> Page:
        page = answers.read_unified(request, response)
        self.check_moved(request, page.records)
        return page

    def row_ms(self, record: Mapping[str, Any]) -> int | None:
        value = record.get("ts")
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        return value // 1_000_000 if isinstance(value, int) and not isinstance(value, bool) else None

    def map_record(self, record: Mapping[str, Any]) -> list[Entry]:
        entry = unified_entry(record, self.account, self.warned)
        if self.settings.currency and entry.asset not in self.settings.currency:
            return []
        if self.settings.direction and (entry.amount > 0) != (self.settings.direction == "in"):
            return []
        return [entry]
