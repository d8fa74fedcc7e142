"""ledgerport: exchange and custodian ledgers into books an accountant can use.

This is the one public namespace: everything a user, an embedding program or a plugin author needs
is importable from here. Names resolve on first use, so `ledgerport --help` and a plugin's import
stay fast; `from ledgerport import Entry` works as usual, and type checkers see every name.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Account",
    "AccountResult",
    "AppendFile",
    "AuthenticationError",
    "BadRecordError",
    "Chart",
    "Config",
    "ConfigError",
    "Connector",
    "CostBooks",
    "DemoSource",
    "Entry",
    "FileSink",
    "Holding",
    "JournalBuilder",
    "JournalSettings",
    "JournalTextSink",
    "Kind",
    "LedgerportError",
    "Lot",
    "LotChange",
    "LotSettings",
    "MissingPriceError",
    "NoSettings",
    "OpenLot",
    "Page",
    "PageRequest",
    "PluginError",
    "Posting",
    "PriceBook",
    "Progress",
    "Rate",
    "RateBudget",
    "RateLimitedError",
    "Reconciled",
    "Registry",
    "RetryPolicy",
    "RunInfo",
    "SandboxRequest",
    "SandboxResponse",
    "SandboxServer",
    "Secret",
    "Session",
    "Sidecar",
    "Sink",
    "SinkType",
    "SourceError",
    "StateError",
    "Stream",
    "SyncContext",
    "SyncReport",
    "SyncRequest",
    "Transaction",
    "TransientError",
    "Window",
    "__version__",
    "cell",
    "exact",
    "filtering",
    "format_decimal",
    "format_iso_ms",
    "from_ms",
    "hookimpl",
    "json_response",
    "json_text",
    "parse_decimal",
    "parse_instant",
    "plain",
    "price_quotient",
    "register_secret",
    "sidecar_path",
    "sync",
    "sync_accounts",
    "to_ms",
    "write_daily_prices",
]

_HOMES = {
    "Account": "engine.config",
    "AccountResult": "engine.accounts",
    "sync_accounts": "engine.accounts",
    "Config": "engine.config",
    "Connector": "sdk.connector",
    "DemoSource": "sdk.connector",
    "Holding": "sdk.connector",
    "NoSettings": "sdk.connector",
    "Session": "sdk.connector",
    "SyncContext": "sdk.connector",
    "filtering": "sdk.connector",
    "Page": "sdk.paging",
    "PageRequest": "sdk.paging",
    "RateBudget": "sdk.paging",
    "Window": "sdk.paging",
    "Stream": "sdk.stream",
    "Progress": "engine.reader",
    "SyncRequest": "engine.request",
    "SyncReport": "engine.sync",
    "Reconciled": "engine.holdings",
    "sync": "engine.sync",
    "AuthenticationError": "errors",
    "BadRecordError": "errors",
    "ConfigError": "errors",
    "LedgerportError": "errors",
    "MissingPriceError": "errors",
    "PluginError": "errors",
    "RateLimitedError": "errors",
    "SourceError": "errors",
    "StateError": "errors",
    "TransientError": "errors",
    "hookimpl": "sdk.hookspecs",
    "Chart": "books",
    "CostBooks": "books",
    "Lot": "books",
    "LotChange": "books",
    "LotSettings": "books",
    "OpenLot": "books",
    "JournalBuilder": "books",
    "Posting": "books",
    "Transaction": "books",
    "PriceBook": "books.prices",
    "Rate": "books.prices",
    "Entry": "model.entry",
    "Kind": "model.entry",
    "exact": "model.money",
    "format_decimal": "model.money",
    "parse_decimal": "model.money",
    "format_iso_ms": "model.times",
    "from_ms": "model.times",
    "parse_instant": "model.times",
    "to_ms": "model.times",
    "JournalSettings": "sdk.journalfile",
    "JournalTextSink": "sdk.journalfile",
    "price_quotient": "sdk.journalfile",
    "AppendFile": "sdk.outputfile",
    "FileSink": "sdk.outputfile",
    "Registry": "engine.plugins",
    "RetryPolicy": "sdk.retry",
    "SandboxRequest": "sdk.sandbox",
    "SandboxResponse": "sdk.sandbox",
    "SandboxServer": "sdk.sandbox",
    "json_response": "sdk.sandbox",
    "write_daily_prices": "sdk.sandbox",
    "cell": "sdk.textsafe",
    "plain": "sdk.textsafe",
    "json_text": "sdk.textsafe",
    "Secret": "secret",
    "register_secret": "secret",
    "RunInfo": "sdk.sink",
    "Sidecar": "sdk.sidecar",
    "sidecar_path": "sdk.sidecar",
    "Sink": "sdk.sink",
    "SinkType": "sdk.sink",
}


def __getattr__(name: str) -> Any:
    module = _HOMES.get(name)
    if module is None:
        raise AttributeError(f"module 'ledgerport' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:
    from .books import Chart, CostBooks, JournalBuilder, Lot, LotChange, LotSettings, OpenLot, Posting, Transaction
    from .books.prices import PriceBook, Rate
    from .engine.accounts import AccountResult, sync_accounts
    from .engine.config import Account, Config
    from .engine.holdings import Reconciled
    from .engine.plugins import Registry
    from .engine.reader import Progress
    from .engine.request import SyncRequest
    from .engine.sync import SyncReport, sync
    from .errors import (
        AuthenticationError,
        BadRecordError,
        ConfigError,
        LedgerportError,
        MissingPriceError,
        PluginError,
        RateLimitedError,
        SourceError,
        StateError,
        TransientError,
    )
    from .model.entry import Entry, Kind
    from .model.money import exact, format_decimal, parse_decimal
    from .model.times import format_iso_ms, from_ms, parse_instant, to_ms
    from .sdk.connector import Connector, DemoSource, Holding, NoSettings, Session, SyncContext, filtering
    from .sdk.hookspecs import hookimpl
    from .sdk.journalfile import JournalSettings, JournalTextSink, price_quotient
    from .sdk.outputfile import AppendFile, FileSink
    from .sdk.paging import Page, PageRequest, RateBudget, Window
    from .sdk.retry import RetryPolicy
    from .sdk.sandbox import SandboxRequest, SandboxResponse, SandboxServer, json_response, write_daily_prices
    from .sdk.sidecar import Sidecar, sidecar_path
    from .sdk.sink import RunInfo, Sink, SinkType
    from .sdk.stream import Stream
    from .sdk.textsafe import cell, json_text, plain
    from .secret import Secret, register_secret
