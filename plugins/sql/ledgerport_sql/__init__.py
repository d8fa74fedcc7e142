"""The `sql` sink: entries, transactions and postings in SQLite or PostgreSQL, exact and upserted per window."""

from __future__ import annotations

from collections.abc import Callable

from ledgerport import SinkType, hookimpl

from .schema import ENTRIES, POSTINGS, TRANSACTIONS
from .sink import SqlSink
from .target import Target, parse_target

__all__ = ["ENTRIES", "POSTINGS", "TRANSACTIONS", "SqlSink", "Target", "parse_target"]


@hookimpl
def register_sinks(register: Callable[[SinkType], None]) -> None:
    register(
        SinkType(
            name="sql",
            description="Entries, transactions and postings in SQLite (sqlite:///PATH) or PostgreSQL (postgresql://...).",
            open=SqlSink,
            demo_target="sqlite:///{path}.db",
        )
    )
