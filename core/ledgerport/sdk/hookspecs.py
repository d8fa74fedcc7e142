"""The hooks plugins implement. Every hook is called with keyword arguments only.

Connector hooks (`connector_auth`, `plan_windows`, `next_request`, `read_page`, `map_record`) are
`firstresult`: each plugin answers for its own connectors (it checks `ctx.connector.name`) and
returns None for the others. `process_entries` is for every plugin: wrap it to enrich, filter or
re-map the entries of any connector; `lookup_price` is for price-source plugins. The plugin
author's guide (docs/plugin-hooks.md) documents each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import contextlib
    from pathlib import Path

    import httpx

    from .connector import Connector, Page, PageRequest, SyncContext, Window
    from ..engine.demo import DemoSource
    from ..model.entry import Entry
    from .sink import SinkType

hookspec = pluggy.HookspecMarker("ledgerport")
hookimpl = pluggy.HookimplMarker("ledgerport")


@hookspec
def register_connectors(register: Callable[[Connector], None]) -> None:
    """Call `register(Connector(...))` once for each connector the plugin provides."""


@hookspec
def register_sinks(register: Callable[[SinkType], None]) -> None:
    """Call `register(SinkType(...))` once for each sink the plugin provides."""


@hookspec(firstresult=True)
def connector_auth(ctx: SyncContext) -> httpx.Auth | None:
    """Return the `httpx.Auth` that signs or authorizes every request of this sync.

    An auth flow may send requests of its own (a login, a server-time probe) and retry once after
    reading the answer, which is how token expiry and clock skew are recovered from.
    """


@hookspec(firstresult=True)
def plan_windows(ctx: SyncContext, since: datetime, until: datetime) -> Iterable[Window] | None:
    """Split `[since, until)` into the windows the source can be asked for, oldest first.

    The windows must tile the range without gaps or overlaps. The core's default is one window.
    """


@hookspec(firstresult=True)
def next_request(ctx: SyncContext, window: Window, page: Page | None) -> PageRequest | None:
    """The request for the first page of `window` (when `page` is None) or the one after `page`.

    Return None when the window is exhausted. The engine also stops a window whose page brought
    no record it had not already seen, so a cursor that stops moving cannot loop forever.
    """


@hookspec(firstresult=True)
def read_page(ctx: SyncContext, request: PageRequest, response: httpx.Response) -> Page | None:
    """Decode one answer into a `Page`, or raise.

    Raise `RateLimitedError` or `TransientError` for what is worth retrying, `AuthenticationError`
    for refused credentials, and `SourceError` for anything else. Any other exception counts as
    transient on a 5xx answer and as a `SourceError` otherwise.
    """


@hookspec(firstresult=True)
def map_record(ctx: SyncContext, record: Any) -> Sequence[Entry] | None:
    """Turn one raw record into canonical entries (usually one), or raise `BadRecordError`."""


@hookspec(firstresult=True)
def process_entries(ctx: SyncContext, entries: list[Entry]) -> list[Entry] | None:
    """Enrich, filter or re-map the entries of one window before they reach the sinks.

    The core answers with `entries` unchanged. Implement it as a wrapper to change that result:

        @hookimpl(wrapper=True)
        def process_entries(ctx, entries):
            result = yield
            return [attrs.evolve(e, tags=e.tags + ("reviewed",)) for e in result]
    """


@hookspec(firstresult=True)
def lookup_price(asset: str, currency: str, day: date) -> Decimal | None:
    """The price of one unit of `asset` in `currency` on `day` (UTC), or None if the plugin has none.

    Asked only when the price book has no price of its own for that day or the days before, and
    none through another currency; each answer is kept for the rest of the run.
    """


@hookspec
def demo_source(stack: contextlib.ExitStack[None], workdir: Path) -> DemoSource | None:
    """Start this plugin's sandbox for `ledgerport demo` and say how to sync from it.

    Enter the running server into `stack`, so it stops when the demo ends, and write any file the
    sync needs (a `--prices` file) into `workdir`. Every plugin with a sandbox answers.
    """
