"""The `postings` sink: one row per posting of the books, appended window by window."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledgerport import FileSink, RunInfo, Transaction

from .formats import writer_for
from .rows import posting_rows

__all__ = ["PostingsSink"]


class PostingsSink(FileSink):
    """Writes the transactions' postings; crash safety and resuming are `FileSink`'s commits and cut-backs."""

    name = "postings"
    needs_transactions = True

    def __init__(self, target: str, run: RunInfo, settings: object, checkpoint: Any = None) -> None:
        writer = writer_for(target)
        super().__init__(target, run, settings, checkpoint)
        self._writer = writer(self.file)
        if self.fresh:
            self._writer.header()

    def write_transactions(self, transactions: Sequence[Transaction]) -> None:
        self._writer.write(row for transaction in transactions for row in posting_rows(transaction))
