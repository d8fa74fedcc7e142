"""What a connector is: a class a plugin registers, instantiated once per sync, that reads one or more streams.

A connector knows its source: how to authorize requests, which ledgers (streams) an account has, how
to cut a range into the windows the engine commits, where the source's history starts, and how to
start a sandbox for `ledgerport demo`. Each stream knows one endpoint: its paging and its records.
The engine drives both; neither knows about sinks or state.
"""

from __future__ import annotations

import abc
import contextlib
import typing
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import attrs

from .paging import Page, PageRequest, Window
from .stream import Stream

if typing.TYPE_CHECKING:
    import httpx

__all__ = ["Connector", "DemoSource", "Holding", "NoSettings", "Session", "SyncContext", "filtering"]


@attrs.frozen
class NoSettings:
    """Settings class of a connector or sink that takes none."""


@attrs.frozen(kw_only=True)
class SyncContext:
    """What a connector, its streams and the `process_entries` hook know of the sync they serve.

    `title` is how books name the source (`KuCoin` in `Assets:KuCoin:Main`). The range is not here:
    a run may fetch different parts of time for different outputs, each through `plan_windows`.
    """

    source: str
    title: str
    account: str
    base_url: str


class Session(Protocol):
    """The engine's side of the wire, for a connector's own requests (an account probe, a first record).

    `fetch` sends `request` with the sync's auth, retries and rate-budget pacing, and returns what
    `read` decodes from the answer; probes count in the run's request figures like any page.
    """

    def fetch(self, request: PageRequest, read: typing.Callable[[PageRequest, httpx.Response], Page]) -> Page: ...


@attrs.frozen(kw_only=True)
class DemoSource:
    """A running sandbox, as `Connector.demo` offers it for `ledgerport demo`: how to sync from it."""

    connector: str
    base_url: str
    env: Mapping[str, str]
    since: datetime
    until: datetime
    account: str | None = None
    prices: tuple[Path, ...] = ()


@attrs.frozen
class Holding:
    """One balance as the source reports it now: what a sync reaching the present is reconciled with."""

    sub_account: str
    asset: str
    balance: Decimal


def filtering(**kwargs: Any) -> Any:
    """An `attrs.field` for a setting that decides *which* entries a sync returns (a currency or type filter).

    The engine keeps these settings' values with each output's state and refuses to continue an
    output with other values, since the result would silently be a mix of two selections.
    """
    metadata = {**kwargs.pop("metadata", {}), "filter": True}
    return attrs.field(metadata=metadata, **kwargs)


SettingsT = TypeVar("SettingsT")


def _settings_class(cls: type) -> type | None:
    """The `S` of `class X(Connector[S])`, looked up along the bases so a subclass inherits it."""
    for klass in cls.__mro__:
        for base in klass.__dict__.get("__orig_bases__", ()):
            if typing.get_origin(base) is Connector:
                (argument,) = typing.get_args(base)
                return argument if isinstance(argument, type) else None
    return None


class Connector(abc.ABC, Generic[SettingsT]):
    """A source of ledger entries. Subclass `Connector[MySettings]` and register the class.

    Class attributes describe it: `name` (what `ledgerport sync NAME` takes), `description`,
    `title` (default: the name capitalized), `default_base_url` and `needs_account`. The settings
    class is the type argument; the engine builds it from the config file, the environment (a
    field's `metadata={"env": "NAME"}`) and `--set`, and passes it to the constructor with the
    sync's context. Validate settings in `__init__` by raising `ConfigError` naming the field.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    title: ClassVar[str]
    default_base_url: ClassVar[str | None] = None
    needs_account: ClassVar[bool] = False
    settings_class: ClassVar[type] = NoSettings

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        settings = _settings_class(cls)
        if settings is not None:
            cls.settings_class = settings
        if "name" in cls.__dict__ and "title" not in cls.__dict__:
            cls.title = cls.name.capitalize()

    def __init__(self, settings: SettingsT, context: SyncContext) -> None:
        self.settings = settings
        self.context = context

    def auth(self) -> httpx.Auth | None:
        """The `httpx.Auth` that signs or authorizes every request of this sync, or None.

        An auth flow may send requests of its own (a login, a server-time probe) and retry once after
        reading the answer, which is how token expiry and clock skew are recovered from.
        """
        return None

    @abc.abstractmethod
    def streams(self, session: Session) -> Sequence[Stream]:
        """The ledgers this account has, read in this order in every window.

        Called once per sync, when the first window is fetched; a connector that must ask the source
        which ledgers an account has (an optional futures ledger) does so through `session`.
        """

    def plan_windows(self, since: datetime, until: datetime) -> Sequence[Window]:
        """Cut `[since, until)` into the windows the engine fetches and commits one at a time, oldest first.

        The windows must tile the range. Each one is committed once for every stream, so a crash
        costs at most one window; a stream may ask for a window in smaller slices of its own.
        """
        return [Window(since, until)]

    def balances(self, session: Session) -> Sequence[Holding] | None:
        """Every holding the source reports now (sub-account, asset, total balance), or None if it reports none.

        Asked at the end of a sync whose range reaches the present; the engine compares each holding
        with the books and reports the differences. Use the same `sub_account` and `asset` spelling
        the streams give their entries.
        """
        return None

    def history_start(self, session: Session) -> datetime | None:
        """Where this source's history starts, for a first sync without `--since`; None if unknown."""
        return None

    @classmethod
    def demo(cls, stack: contextlib.ExitStack[Any], workdir: Path) -> DemoSource | None:
        """Start this connector's sandbox for `ledgerport demo` and say how to sync from it, or None.

        Enter the running server into `stack`, so it stops when the demo ends, and write any file the
        sync needs (a `--prices` file) into `workdir`.
        """
        return None
