"""The `onekonto` connector: 1Konto's account ledger (GET /api/v1/accounting/ledger/{accountId}).

The classes only wire the modules that do the work: `auth` (login and bearer token), `paging`
(windows, requests, pages), `mapping` (records to entries), `balances` (Get Account, for
reconciliation), `settings`. `sandbox` is a
1Konto-compatible server for tests, demos and benchmarks. See docs/plugins/onekonto.md.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from ledgerport import (
    Connector,
    DemoSource,
    Entry,
    Holding,
    Page,
    PageRequest,
    Session,
    Stream,
    SyncContext,
    Window,
    hookimpl,
)

from . import balances, mapping, paging
from .api import NAME
from .auth import LoginAuth
from .settings import Settings

__all__ = ["NAME", "LedgerStream", "OneKontoConnector", "Settings"]


class LedgerStream(Stream):
    """The account's ledger, window by window, each page resuming at the last ordering of the one before."""

    name = "ledger"

    def __init__(self, settings: Settings, account: str) -> None:
        self.settings, self.account = settings, account

    def first_request(self, window: Window) -> PageRequest:
        return paging.request_for(self.settings, self.account, window, None)

    def next_request(self, window: Window, page: Page) -> PageRequest | None:
        return None if page.cursor is None else paging.request_for(self.settings, self.account, window, page.cursor)

    def read_page(self, request: PageRequest, response: httpx.Response) -> Page:
        return paging.read(request, response)

    def map_record(self, record: Any) -> list[Entry]:
        return [mapping.to_entry(record, self.account)]


class OneKontoConnector(Connector[Settings]):
    """Login and bearer token, epoch-aligned windows of `window_hours`, one ledger stream."""

    name = NAME
    title = "1Konto"
    description = "1Konto account ledger: every transaction once, exact amounts, reconciled with Get Account."
    default_base_url = None
    needs_account = True

    def __init__(self, settings: Settings, context: SyncContext) -> None:
        super().__init__(settings, context)
        settings.check()

    def auth(self) -> httpx.Auth:
        return LoginAuth(self.context.base_url, self.settings)

    def plan_windows(self, since: datetime, until: datetime) -> list[Window]:
        return paging.plan(since, until, timedelta(hours=self.settings.window_hours))

    def streams(self, session: Session) -> list[Stream]:
        return [LedgerStream(self.settings, self.context.account)]

    def balances(self, session: Session) -> Sequence[Holding] | None:
        """Get Account's balances, free + locked per asset, for a sync that reaches the present."""
        return balances.balances(self.settings, self.context.account, session)

    def history_start(self, session: Session) -> datetime:
        """The time of the ledger's first transaction; now for an empty ledger, which has nothing to sync."""
        page = session.fetch(paging.first_transaction(self.settings, self.context.account), paging.read)
        return mapping.event_time(page.records[0]) if page.records else datetime.now(UTC)

    @classmethod
    def demo(cls, stack: contextlib.ExitStack[None], workdir: Path) -> DemoSource:
        from .sandbox.demo import start_demo  # the sandbox is imported for the demo only

        return start_demo(stack, workdir)


@hookimpl
def register_connectors(register: Callable[[type[Connector[Any]]], None]) -> None:
    register(OneKontoConnector)
