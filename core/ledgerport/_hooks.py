"""A typed facade over `pm.hook` for one sync: keyword calls only, and a clear error when nobody answers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pluggy

from .sdk.connector import Page, PageRequest, SyncContext, Window
from .errors import PluginError
from .model.entry import Entry


class ConnectorHooks:
    def __init__(self, pm: pluggy.PluginManager, ctx: SyncContext) -> None:
        self._hook = pm.hook
        self._ctx = ctx
        self._mapper: Callable[[Any], Any] | None = None
        self._mapper_unknown = True

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
        """Called once per record, so after the first answer the answering implementation is called
        directly, without pluggy's dispatch: the plugin that owns a connector maps all its records.
        A wrapper around the hook turns this off, since it must see every call."""
        if self._mapper is not None:
            entries = self._mapper(record)
            if entries is not None:
                return entries
        elif self._mapper_unknown:
            self._mapper_unknown = False
            self._mapper = self._owner("map_record", record=record)
        return self._answer("map_record", self._hook.map_record(ctx=self._ctx, record=record))

    def _owner(self, name: str, **kwargs: Any) -> Callable[[Any], Any] | None:
        """The implementation that answers this connector's `name` calls, as a one-argument function."""
        impls = getattr(self._hook, name).get_hookimpls()
        if any(impl.hookwrapper or impl.wrapper for impl in impls):
            return None
        arguments = {"ctx": self._ctx, **kwargs}
        for impl in reversed(impls):
            try:
                answered = impl.function(**{n: arguments[n] for n in impl.argnames}) is not None
            except Exception:
                answered = True  # refusing this record is an answer too; the real call raises it again
            if answered:
                (variable,) = kwargs
                fixed = {n: arguments[n] for n in impl.argnames if n != variable}
                function = impl.function
                return lambda value: function(**fixed, **{variable: value})
        return None

    def process_entries(self, entries: list[Entry]) -> list[Entry]:
        return self._answer("process_entries", self._hook.process_entries(ctx=self._ctx, entries=entries))

    def lookup_price(self, asset: str, currency: str, day: date) -> Decimal | None:
        return self._hook.lookup_price(asset=asset, currency=currency, day=day)
