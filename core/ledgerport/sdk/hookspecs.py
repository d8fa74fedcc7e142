"""The hooks plugins implement: registration, and what is really cross-cutting. Keyword calls only.

A connector's own behaviour is not a hook: it is the connector class a plugin registers
(`ledgerport.Connector`). The plugin author's guide (docs/plugin-hooks.md) documents each hook.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from ..model.entry import Entry
    from .connector import Connector, SyncContext
    from .sink import SinkType

__all__ = ["hookimpl", "hookspec"]

hookspec = pluggy.HookspecMarker("ledgerport")
hookimpl = pluggy.HookimplMarker("ledgerport")


@hookspec
def register_connectors(register: Callable[[type[Connector[Any]]], None]) -> None:
    """Call `register(MyConnector)` once for each connector class the plugin provides."""


@hookspec
def register_sinks(register: Callable[[SinkType], None]) -> None:
    """Call `register(SinkType(...))` once for each sink the plugin provides."""


@hookspec(firstresult=True)
def process_entries(ctx: SyncContext, entries: list[Entry]) -> list[Entry]:  # type: ignore[empty-body]
    """Enrich, filter or re-map the entries of one window before they reach the sinks.

    Every implementation is a wrapper, and the wrappers form a chain around the core, which
    answers with the window's entries; a plain implementation would silently replace the others'
    result, so the registry refuses one:

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
