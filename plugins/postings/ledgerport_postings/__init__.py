"""The `postings` sink: the double-entry postings as data, one row each, in CSV or JSON Lines."""

from __future__ import annotations

from collections.abc import Callable

from ledgerport import SinkType, hookimpl

from .formats import writer_for
from .rows import COLUMNS, PostingRow, posting_rows
from .sink import PostingsSink

__all__ = ["COLUMNS", "PostingRow", "PostingsSink", "posting_rows", "writer_for"]


@hookimpl
def register_sinks(register: Callable[[SinkType], None]) -> None:
    register(
        SinkType(
            name="postings",
            description="One row per posting of the books, as CSV (.csv) or JSON Lines (.jsonl), exact decimals.",
            open=PostingsSink,
            demo_target="{path}.postings.csv",
        )
    )
