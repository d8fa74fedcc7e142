"""The ledgers a KuCoin account is read from, one `Stream` each.

A stream only wires the modules that know its endpoint: requests from `paging`, answers from
`answers`, entries from `mapping`. The classic ledger is the only one for now; KuCoin's HF spot
and futures ledgers, which have endpoints of their own, are to join it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from ledgerport import Entry, Page, PageRequest, Stream, Window

from . import answers, paging
from .mapping import to_entry
from .settings import Settings

__all__ = ["ClassicLedger"]


class ClassicLedger(Stream):
    """GET /api/v1/accounts/ledgers, the Spot/Margin ledger; its entry ids are KuCoin's, unprefixed."""

    name = "classic"

    def __init__(self, settings: Settings, account: str) -> None:
        self.settings = settings
        self.account = account

    def first_request(self, window: Window) -> PageRequest:
        return paging.first_request(self.settings, window)

    def next_request(self, window: Window, page: Page) -> PageRequest | None:
        return paging.following_request(self.settings, window, page)

    def read_page(self, request: PageRequest, response: httpx.Response) -> Page:
        return answers.read(request, response)

    def map_record(self, record: Mapping[str, Any]) -> list[Entry]:
        return [to_entry(record, self.account)]
