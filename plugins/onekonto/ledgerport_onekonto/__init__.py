"""The `onekonto` connector: 1Konto's account ledger (GET /api/v1/accounting/ledger/{accountId}).

The hooks only wire the modules that do the work: `auth` (login and bearer token), `paging`
(windows, requests, pages), `mapping` (records to entries), `settings`. `sandbox` is a
1Konto-compatible server for tests, demos and benchmarks. See docs/plugins/onekonto.md.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from ledgerport import Connector, Entry, Page, PageRequest, SyncContext, Window, hookimpl

from . import mapping, paging
from .api import NAME
from .auth import LoginAuth
from .settings import Settings

if TYPE_CHECKING:
    from ledgerport.engine.demo import DemoSource

__all__ = ["NAME", "Settings"]


def _ours(ctx: SyncContext) -> bool:
    return ctx.connector.name == NAME


@hookimpl
def register_connectors(register: Callable[[Connector], None]) -> None:
    register(
        Connector(
            name=NAME,
            description="1Konto account ledger: every transaction once, exact amounts.",
            title="1Konto",
            settings=Settings,
            default_base_url=None,
            needs_account=True,
        )
    )


@hookimpl
def connector_auth(ctx: SyncContext) -> httpx.Auth | None:
    return LoginAuth(ctx.base_url, ctx.settings) if _ours(ctx) else None


@hookimpl
def plan_windows(ctx: SyncContext, since: datetime, until: datetime) -> list[Window] | None:
    """Also where the settings are checked: the engine plans before it sends anything."""
    if not _ours(ctx):
        return None
    ctx.settings.check()
    return paging.plan(since, until, timedelta(hours=ctx.settings.window_hours))


@hookimpl
def next_request(ctx: SyncContext, window: Window, page: Page | None) -> PageRequest | None:
    if not _ours(ctx) or (page is not None and page.cursor is None):
        return None
    return paging.request_for(ctx, window, page.cursor if page is not None else None)


@hookimpl
def read_page(ctx: SyncContext, request: PageRequest, response: httpx.Response) -> Page | None:
    return paging.read(request, response) if _ours(ctx) else None


@hookimpl
def map_record(ctx: SyncContext, record: Any) -> list[Entry] | None:
    return [mapping.to_entry(record, ctx.account)] if _ours(ctx) else None


@hookimpl
def demo_source(stack: contextlib.ExitStack[None], workdir: Path) -> DemoSource:
    from .sandbox.demo import start_demo  # the sandbox is imported for the demo only

    return start_demo(stack, workdir)
