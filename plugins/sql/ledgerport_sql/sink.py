"""The `sql` sink: each window upserted into the database in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledgerport import Entry, RunInfo, Sink, StateError, Transaction

from .database import Database
from .rows import entry_row, posting_rows, transaction_row
from .schema import ENTRIES, POSTINGS, TRANSACTIONS
from .target import parse_target

__all__ = ["SqlSink"]


class SqlSink(Sink):
    """Holds one window's entries and transactions and writes them all in `commit()`, in one database transaction.

    Rows are upserted on the source's ids, so a window written again (after a crash between the database's
    commit and the state file's, or a sync without its state file) replaces itself instead of adding
    duplicates. The checkpoint is the database's id: reopened with a checkpoint from another database (a
    deleted file, another server), the sink refuses, since the state would skip windows this one lacks.
    """

    needs_transactions = True

    def __init__(self, target: str, run: RunInfo, settings: object, checkpoint: Any = None) -> None:
        self._db = Database(parse_target(target))
        recorded = (checkpoint or {}).get("database_id")
        if recorded is not None and recorded != self._db.database_id:
            self._db.close()
            raise StateError(
                f"sql: the state records windows written to database {recorded}, but this one is "
                f"{self._db.database_id} (recreated or replaced?); sync again with --fresh to fill it"
            )
        self._entries: list[Entry] = []
        self._transactions: list[Transaction] = []

    def write_entries(self, entries: Sequence[Entry]) -> None:
        self._entries.extend(entries)

    def write_transactions(self, transactions: Sequence[Transaction]) -> None:
        self._transactions.extend(transactions)

    def commit(self) -> dict[str, str]:
        with self._db.named():
            return self._write()

    def _write(self) -> dict[str, str]:
        db, dialect = self._db, self._db.dialect
        txn_of = {entry_id: t.txn_id for t in self._transactions for entry_id in t.entry_ids}
        db.begin()
        db.execute_many(
            TRANSACTIONS.upsert(dialect), (TRANSACTIONS.params(dialect, transaction_row(t)) for t in self._transactions)
        )
        db.execute_many(
            POSTINGS.upsert(dialect),
            (POSTINGS.params(dialect, row) for t in self._transactions for row in posting_rows(t)),
        )
        db.execute_many(
            f"DELETE FROM postings WHERE txn_id = {dialect.param} AND line > {dialect.param}",
            ((t.txn_id, len(t.postings)) for t in self._transactions),
        )
        db.execute_many(
            ENTRIES.upsert(dialect),
            (ENTRIES.params(dialect, entry_row(e, txn_of.get(e.entry_id))) for e in self._entries),
        )
        db.commit()
        self._entries.clear()
        self._transactions.clear()
        return {"database_id": db.database_id}

    def close(self) -> None:
        self._db.close()
