"""A typed facade over `pm.hook` for one sync: keyword calls only, and a clear error when nobody answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pluggy

from .connector import Page, PageRequest, SyncContext, Window
from .errors import PluginError
from .model import Entry


class ConnectorHooks:
    def __init__(self, pm: pluggy.PluginManager, ctx: SyncContext) -> None:
        self._hook = pm.hook
        self._ctx = ctx

    def _answer(self, name: str, result: Any) -> Any:
        if result is None:
            raise PluginError(f"no plugin implements {name} for connector {self._ctx.source!r}")
        return result

    def auth(self) -> httpx.Auth | None:
        return self._hook.connector_auth(ctx=self._ctx)

    def plan_windows(self, since: datetime, until: datetime) -> list[Window]:
        return list(self._answer("plan_windows", self._hook.plan_windows(ctx=self._ctx, since=since, until=until)))

    def first_request(self, window: Window) -> PageRequest:
        return self._answer("next_request", self._hook.next_request(ctx=self._ctx, window=window, page=None))

    def next_request(self, window: Window, page: Page) -> PageRequest | None:
        return self._hook.next_request(ctx=self._ctx, window=window, page=page)

    def read_page(self, request: PageRequest, response: httpx.Response) -> Page:
        return self._answer("read_page", self._hook.read_page(ctx=self._ctx, request=request, response=response))

    def map_record(self, record: Any) -> Sequence[Entry]:
        return self._answer("map_record", self._hook.map_record(ctx=self._ctx, record=record))

    def process_entries(self, entries: list[Entry]) -> list[Entry]:
        return self._answer("process_entries", self._hook.process_entries(ctx=self._ctx, entries=entries))

    def lookup_price(self, asset: str, currency: str, day: date) -> Decimal | None:
        return self._hook.lookup_price(asset=asset, currency=currency, day=day)
