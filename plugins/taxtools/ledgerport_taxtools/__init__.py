"""Sinks for crypto tax tools: `koinly` writes Koinly's universal CSV, one row per economic event."""

from __future__ import annotations

from collections.abc import Callable

from ledgerport import SinkType, hookimpl

from .events import Amount, KoinlyRow, koinly_rows
from .labels import label
from .sink import HEADER, KoinlySink, render
from .txhash import tx_hash

__all__ = ["HEADER", "Amount", "KoinlyRow", "KoinlySink", "koinly_rows", "label", "render", "tx_hash"]


@hookimpl
def register_sinks(register: Callable[[SinkType], None]) -> None:
    register(
        SinkType(
            name="koinly",
            description="Koinly's universal CSV: one row per trade, deposit, withdrawal or reward, labelled.",
            open=KoinlySink,
            demo_target="{path}.koinly.csv",
        )
    )
