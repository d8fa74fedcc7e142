"""The classic ledger, GET /api/v1/accounts/ledgers: MAIN, TRADE, MARGIN and CONTRACT rows.

Pages by `currentPage`/`pageSize` within windows of under 24 h (`paging`), Management pool. Its ids
are KuCoin's, unprefixed, as they always were. Each window's answer says how many rows it holds
(`totalNum`, `totalPage`); once its last page is read, the rows read must be that many, or the sync
stops naming the window: a ledger that miscounts cannot be booked as complete. Totals that undercount
by whole pages agree with what was read, so after a full last page the next is asked too: it must be
empty. A page that repeats only rows of earlier pages (a server ignoring `currentPage`) stops the sync
too (`KucoinStream.check_moved`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

import attrs
import httpx

from ledgerport import Entry, Page, PageRequest, SourceError, Window

from .. import answers, paging
from ..mapping import to_entry
from .base import KucoinStream

__all__ = ["ClassicLedger"]


class ClassicLedger(KucoinStream):
    """GET /api/v1/accounts/ledgers, the Spot/Margin ledger of every account."""

    name = "classic"
    retention = paging.HISTORY
    cursor = "currentPage"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read: dict[Window, int] = {}

    def slices(self, window: Window) -> Sequence[Window]:
        """One slice; the year of retention is warned about once for the whole range, by `paging.plan`."""
        return [window]

    def first_request(self, window: Window) -> PageRequest:
        self._read[window] = 0
        self.begin(window)
        return paging.first_request(self.settings, window)

    def next_request(self, window: Window, page: Page) -> PageRequest | None:
        current, total, count = page.cursor
        read = self._read.get(window, 0) + len(page.records)
        self._read[window] = read
        self.count_outside(window, page.records)
        if current < total:
            return paging.following_request(self.settings, window, page)
        if current > total:  # the page after the last, asked below, and it brought rows
            self._miscounted(window, count, total, f"page {current} brought {len(page.records)} more")
        if read != count or total != -(-count // self.settings.page_size):
            self._miscounted(window, count, total, f"{read} were read on {current}")
        del self._read[window]
        if len(page.records) == self.settings.page_size:
            # A full last page: totals that undercount by whole pages agree with what was read, so the page
            # after it is asked too and must be empty (one request more, for a window whose count is a multiple
            # of the page size).
            return paging.following_request(self.settings, window, attrs.evolve(page, cursor=(current, current + 1)))
        return None

    def _miscounted(self, window: Window, count: int, total: int, found: str) -> NoReturn:
        self._read.pop(window, None)
        raise SourceError(
            f"kucoin: stream classic, window {window.start.isoformat()} .. {window.end.isoformat()}: KuCoin said "
            f"it holds {count} entries on {total} pages, but {found}: the window cannot be booked as complete "
            "(run the sync again; if it persists, report it to KuCoin)"
        )

    def read_page(self, request: PageRequest, response: httpx.Response) -> Page:
        page = answers.read(request, response)
        self.check_moved(request, page.records)
        return page

    def row_ms(self, record: Mapping[str, Any]) -> int | None:
        value = record.get("createdAt")
        return value if isinstance(value, int) else None

    def map_record(self, record: Mapping[str, Any]) -> list[Entry]:
        return [to_entry(record, self.account, self.warned)]
