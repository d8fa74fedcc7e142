"""ledgerport connector `kucoin`: KuCoin account ledgers (Spot/Margin), GET /api/v1/accounts/ledgers.

The plugin registers one class, `KucoinConnector` (in `connector`), which only wires the modules that
do the work: signing in `auth`, windows and page requests in `paging`, answers in `answers`, records
in `mapping`, the ledgers read in `streams`, settings in `settings`. `ledgerport_kucoin.sandbox` is a
local KuCoin-compatible server for tests, demos and trying the connector without an account.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ledgerport import Connector, hookimpl

from .connector import KucoinConnector
from .settings import Settings

__all__ = ["KucoinConnector", "Settings"]


@hookimpl
def register_connectors(register: Callable[[type[Connector[Any]]], None]) -> None:
    register(KucoinConnector)
