"""ledgerport connector `kucoin`: KuCoin account ledgers (Spot/Margin), GET /api/v1/accounts/ledgers.

The hooks below only dispatch: signing is in `auth`, windows and pages in `paging`, answers in
`answers`, records in `mapping`, settings in `settings`; `ledgerport_kucoin.sandbox` is a local
KuCoin-compatible server for tests, demos and trying the connector without an account.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from ledgerport import Connector, Entry, Page, PageRequest, SyncContext, Window, hookimpl

from . import answers, paging
from .auth import KucoinAuth
from .mapping import to_entry
from .settings import Settings

if TYPE_CHECKING:
    from ledgerport.engine.demo import DemoSource

__all__ = ["CONNECTOR", "NAME", "Settings"]

NAME = "kucoin"
CONNECTOR = Connector(
    name=NAME,
    description="KuCoin account ledgers (Spot/Margin).",
    title="KuCoin",
    settings=Settings,
    default_base_url="https://api.kucoin.com",
)


@hookimpl
def register_connectors(register: Callable[[Connector], None]) -> None:
    register(CONNECTOR)


@hookimpl
def connector_auth(ctx: SyncContext) -> httpx.Auth | None:
    return KucoinAuth(ctx.settings, ctx.base_url) if ctx.connector.name == NAME else None


@hookimpl
def plan_windows(ctx: SyncContext, since: datetime, until: datetime) -> list[Window] | None:
    return paging.plan(since, until) if ctx.connector.name == NAME else None


@hookimpl
def next_request(ctx: SyncContext, window: Window, page: Page | None) -> PageRequest | None:
    if ctx.connector.name != NAME:
        return None
    if page is None:
        return paging.first_request(ctx.settings, window)
    return paging.following_request(ctx.settings, window, page)


@hookimpl
def read_page(ctx: SyncContext, request: PageRequest, response: httpx.Response) -> Page | None:
    return answers.read(request, response) if ctx.connector.name == NAME else None


@hookimpl
def map_record(ctx: SyncContext, record: Mapping[str, Any]) -> list[Entry] | None:
    return [to_entry(record, ctx.account)] if ctx.connector.name == NAME else None


@hookimpl
def demo_source(stack: contextlib.ExitStack[None], workdir: Path) -> DemoSource:
    from .sandbox.demo import start_demo  # the sandbox is imported for the demo only

    return start_demo(stack, workdir)
