"""ledgerport: exchange and custodian ledgers into books an accountant can use.

The public API is re-exported here. Names resolve on first use, so `ledgerport --help` and a
plugin's import stay fast; `from ledgerport import Entry` works as usual.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Config": "config",
    "Connector": "connector",
    "NoSettings": "connector",
    "Page": "connector",
    "PageRequest": "connector",
    "RateBudget": "connector",
    "SyncContext": "connector",
    "Window": "connector",
    "Progress": "engine",
    "SyncReport": "engine",
    "sync": "engine",
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
    "hookimpl": "hookspecs",
    "Chart": "journal",
    "JournalBuilder": "journal",
    "Posting": "journal",
    "Transaction": "journal",
    "Entry": "model",
    "Kind": "model",
    "exact": "money",
    "format_decimal": "money",
    "AppendFile": "outputfile",
    "FileSink": "outputfile",
    "parse_decimal": "money",
    "Registry": "plugins",
    "PriceBook": "prices",
    "Rate": "prices",
    "RetryPolicy": "retry",
    "SandboxRequest": "sandbox",
    "SandboxResponse": "sandbox",
    "SandboxServer": "sandbox",
    "json_response": "sandbox",
    "write_daily_prices": "sandbox",
    "Secret": "secret",
    "RunInfo": "sink",
    "Sink": "sink",
    "SinkType": "sink",
    "format_iso_ms": "times",
    "from_ms": "times",
    "parse_instant": "times",
    "to_ms": "times",
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
    from .config import Config
    from .connector import Connector, NoSettings, Page, PageRequest, RateBudget, SyncContext, Window
    from .engine import Progress, SyncReport, sync
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
    from .hookspecs import hookimpl
    from .journal import Chart, JournalBuilder, Posting, Transaction
    from .model import Entry, Kind
    from .money import exact, format_decimal, parse_decimal
    from .outputfile import AppendFile, FileSink
    from .plugins import Registry
    from .prices import PriceBook, Rate
    from .retry import RetryPolicy
    from .sandbox import SandboxRequest, SandboxResponse, SandboxServer, json_response, write_daily_prices
    from .secret import Secret
    from .sink import RunInfo, Sink, SinkType
    from .times import format_iso_ms, from_ms, parse_instant, to_ms
