"""The futures ledger, GET /api/v1/transaction-history on the futures host (Futures pool, weight 2).

Rows `{time, type, amount, fee, accountEquity, status, remark, offset, currency}` with signed JSON
numbers, read exactly (`answers.read_futures`). Paged newest first (`forward=false`) by the `offset`
of the last row, while `hasMore`. The first row may be the running funding period (`status:
Pending`, `offset: -1`): not final, so not booked, and never a cursor. The currency filter is applied
here (the endpoint takes one currency at a time), as is the direction, by the amount's sign.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from ledgerport import Entry, Page, PageRequest, Window

from .. import answers, paging
from ..hosts import futures_url
from ..records import futures_entry, is_pending
from .base import KucoinStream

__all__ = ["FuturesLedger"]

PATH = "/api/v1/transaction-history"
MAX_COUNT = 50
"""The documented default page size; the spec gives no maximum."""
WEIGHT = 2
POOL = "futures"


class FuturesLedger(KucoinStream):
    """Futures PnL, funding, deposits, withdrawals and transfers; ids are `futures:<offset>`."""

    name = "futures"
    retention = paging.HISTORY
    cursor = "offset"

    def __init__(self, *args: Any, base_url: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._url = futures_url(base_url, PATH)
        self.currencies: set[str] = set()
        """The futures currencies met, as the ledger names them, whose balances are asked at the end."""

    def _request(self, window: Window, offset: int | None) -> PageRequest:
        start, end = paging.bounds(window)
        params = [("startAt", str(start)), ("endAt", str(end)), ("forward", "false"), ("maxCount", str(MAX_COUNT))]
        if offset is not None:
            params.append(("offset", str(offset)))
        return PageRequest(path=self._url, params=tuple(params), cost=WEIGHT, pool=POOL)

    def first_request(self, window: Window) -> PageRequest:
        self.begin(window)
        return self._request(window, None)

    def next_request(self, window: Window, page: Page) -> PageRequest | None:
        self.count_outside(window, page.records)
        final = [row for row in page.records if not is_pending(row)]
        if not page.cursor or not final:
            return None
        offset = final[-1].get("offset")
        return self._request(window, int(offset)) if offset is not None else None

    def read_page(self, request: PageRequest, response: httpx.Response) -> Page:
        page = answers.read_futures(request, response)
        self.check_moved(request, page.records)
        return page

    def row_key(self, record: Any) -> str | None:
        """A final row's `offset`; the running period's row is no row of the ledger yet."""
        if not isinstance(record, Mapping) or is_pending(record) or record.get("offset") is None:
            return None
        return str(record["offset"])

    def row_ms(self, record: Mapping[str, Any]) -> int | None:
        value = record.get("time")
        return int(value) if value is not None and not is_pending(record) and value == int(value) else None

    def map_record(self, record: Mapping[str, Any]) -> list[Entry]:
        if is_pending(record):
            return []
        entry = futures_entry(record, self.account, self.warned)
        self.currencies.add(str(record["currency"]))
        wanted = self.settings.currency
        if wanted and entry.asset not in wanted and str(record["currency"]) not in wanted:
            return []
        if self.settings.direction and (entry.amount > 0) != (self.settings.direction == "in"):
            return []
        return [entry]
