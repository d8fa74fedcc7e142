"""ledgerport: exchange and custodian ledgers into books an accountant can use.

The public API is re-exported here. Names resolve on first use, so `ledgerport --help` and a
plugin's import stay fast; `from ledgerport import Entry` works as usual.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Config": "engine.config",
    "Connector": "sdk.connector",
    "NoSettings": "sdk.connector",
    "Page": "sdk.connector",
    "PageRequest": "sdk.connector",
    "RateBudget": "sdk.connector",
    "SyncContext": "sdk.connector",
    "Window": "sdk.connector",
    "Progress": "engine.sync",
    "SyncReport": "engine.sync",
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
    "JournalBuilder": "books",
    "Posting": "books",
    "Transaction": "books",
    "Entry": "model.entry",
    "Kind": "model.entry",
    "exact": "model.money",
    "format_decimal": "model.money",
    "AppendFile": "sdk.outputfile",
    "JournalTextSink": "sdk.journalfile",
    "FileSink": "sdk.outputfile",
    "parse_decimal": "model.money",
    "Registry": "engine.plugins",
    "PriceBook": "books.prices",
    "Rate": "books.prices",
    "RetryPolicy": "sdk.retry",
    "SandboxRequest": "sdk.sandbox",
    "SandboxResponse": "sdk.sandbox",
    "SandboxServer": "sdk.sandbox",
    "json_response": "sdk.sandbox",
    "write_daily_prices": "sdk.sandbox",
    "Secret": "secret",
    "RunInfo": "sdk.sink",
    "Sink": "sdk.sink",
    "SinkType": "sdk.sink",
    "format_iso_ms": "model.times",
    "from_ms": "model.times",
    "parse_instant": "model.times",
    "to_ms": "model.times",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ledgerport' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:
    from .engine.config import Config
    from .sdk.connector import Connector, NoSettings, Page, PageRequest, RateBudget, SyncContext, Window
    from .engine.sync import Progress, SyncReport, sync
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
    from .sdk.hookspecs import hookimpl
    from .books import Chart, JournalBuilder, Posting, Transaction
    from .model.entry import Entry, Kind
    from .model.money import exact, format_decimal, parse_decimal
    from .sdk.journalfile import JournalTextSink
    from .sdk.outputfile import AppendFile, FileSink
    from .engine.plugins import Registry
    from .books.prices import PriceBook, Rate
    from .sdk.retry import RetryPolicy
    from .sdk.sandbox import SandboxRequest, SandboxResponse, SandboxServer, json_response, write_daily_prices
    from .secret import Secret
    from .sdk.sink import RunInfo, Sink, SinkType
    from .model.times import format_iso_ms, from_ms, parse_instant, to_ms
