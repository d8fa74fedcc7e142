"""What a connector is and the values the engine and its hooks pass between them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

__all__ = ["Connector", "NoSettings", "Page", "PageRequest", "RateBudget", "SyncContext", "Window"]


@attrs.frozen
class NoSettings:
    """Settings class of a connector or sink that takes none."""


@attrs.frozen(kw_only=True)
class Connector:
    """A source of ledger entries, registered by a plugin through `register_connectors`.

    Its behaviour lives in the plugin's implementations of the auth, paging and mapping hooks,
    which recognise it by `name`. `title` is how books name the source (`KuCoin` in
    `Assets:KuCoin:Main`). `settings` is an attrs class; the engine fills it from the config
    file, the environment (a field's `metadata={"env": "NAME"}`) and `--set`, in that order.
    """

    name: str
    description: str
    title: str = attrs.field(default=attrs.Factory(lambda self: self.name.capitalize(), takes_self=True))
    settings: type = NoSettings
    default_base_url: str | None = None
    needs_account: bool = False


@attrs.frozen(kw_only=True)
class SyncContext:
    """Everything a hook needs to know about the sync it serves; the same object for the whole run."""

    connector: Connector
    settings: Any
    since: datetime
    until: datetime
    base_url: str
    account: str

    @property
    def source(self) -> str:
        return self.connector.name


@attrs.frozen
class Window:
    """A half-open slice `[start, end)` of the sync's range, fetched and committed as one unit.

    Windows tile the range, and an entry belongs to the window its timestamp falls in, so an entry
    a source repeats on a boundary is kept once even when both neighbouring windows return it.
    """

    start: datetime
    end: datetime

    def owns(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


@attrs.frozen(kw_only=True)
class PageRequest:
    """One HTTP request for one page; `params` keep their order because signatures cover the query as sent.

    `cost` is what the request takes from the source's rate budget (KuCoin calls it weight).
    """

    path: str
    method: str = "GET"
    params: tuple[tuple[str, str], ...] = ()
    json: Any = None
    cost: int = 1


@attrs.frozen
class RateBudget:
    """What the source says is left of its rate budget, and in how many seconds it refills."""

    remaining: int
    reset_after: float


@attrs.frozen(kw_only=True)
class Page:
    """One decoded answer: its raw records, whatever the connector needs to ask for the next one, and
    the rate budget the source reported, which the engine uses to pace the requests that follow."""

    request: PageRequest
    records: Sequence[Mapping[str, Any]]
    cursor: Any = None
    budget: RateBudget | None = None
