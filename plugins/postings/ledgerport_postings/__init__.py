"""The `postings` sink: the double-entry postings as data, one row each, in CSV or JSON Lines."""

from __future__ import annotations

from collections.abc import Callable

from ledgerport import SinkType, hookimpl

from .formats import writer_for
from .rows import COLUMNS, COST_COLUMNS, LOT_COLUMNS, LotRow, PostingRow, lot_rows, posting_rows
from .sink import PostingsSink, lots_path

__all__ = [
    "COLUMNS",
    "COST_COLUMNS",
    "LOT_COLUMNS",
    "LotRow",
    "PostingRow",
    "PostingsSink",
    "lot_rows",
    "lots_path",
    "posting_rows",
    "writer_for",
]


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
