"""The `postings` sink: one row per posting of the books, appended window by window."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledgerport import AppendFile, RunInfo, Sink, Transaction

from .formats import writer_for
from .rows import posting_rows

__all__ = ["PostingsSink"]


class PostingsSink(Sink):
    """Writes the transactions' postings; crash safety and resuming are `AppendFile`'s commits and cut-backs."""

    needs_transactions = True

    def __init__(self, target: str, run: RunInfo, settings: object, checkpoint: Any = None) -> None:
        writer = writer_for(target)
        self._out = AppendFile(target, checkpoint and checkpoint["offset"], "postings")
        self.resumable = self._out.resumable
        self._writer = writer(self._out.file)
        if self._out.fresh:
            self._writer.header()

    def write_transactions(self, transactions: Sequence[Transaction]) -> None:
        self._writer.write(row for transaction in transactions for row in posting_rows(transaction))

    def commit(self) -> dict[str, int] | None:
        offset = self._out.commit()
        return None if offset is None else {"offset": offset}

    def close(self) -> None:
        self._out.close()
