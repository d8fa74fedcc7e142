"""The `sql` sink: each window upserted into the database in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledgerport import Entry, OpenLot, RunInfo, Sink, StateError, Transaction

from .database import Database
from .rows import entry_row, lot_rows, posting_rows, transaction_row
from .schema import ENTRIES, LOTS, POSTINGS, TRANSACTIONS
from .target import parse_target

__all__ = ["SqlSink"]


class SqlSink(Sink):
    """Holds one window's entries and transactions and writes them all in `commit()`, in one database transaction.

    Rows are upserted on the source's ids, so a window written again (after a crash between the database's
    commit and the state file's, or a sync without its state file) replaces itself instead of adding
    duplicates. The checkpoint is the database's id: reopened with a checkpoint from another database (a
    deleted file, another server), the sink refuses, since the state would skip windows this one lacks.

    With cost basis on, the postings carry their cost, value, gain and lots, and the `lots` table's rows of
    this run's source and account are replaced by the open lots after the window, in the window's database
    transaction: the open lots are always those of the last window committed.
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
        self._run = run
        self._entries: list[Entry] = []
        self._transactions: list[Transaction] = []
        self._lots: list[OpenLot] | None = None

    def write_entries(self, entries: Sequence[Entry]) -> None:
        self._entries.extend(entries)

    def write_transactions(self, transactions: Sequence[Transaction]) -> None:
        self._transactions.extend(transactions)

    def write_lots(self, lots: Sequence[OpenLot]) -> None:
        self._lots = list(lots)

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
        if self._lots is not None:
            run = self._run
            db.execute(
                f"DELETE FROM lots WHERE source = {dialect.param} AND account = {dialect.param}",
                (run.source, run.account),
            )
            db.execute_many(
                LOTS.upsert(dialect),
                (LOTS.params(dialect, row) for row in lot_rows(run.source, run.account, self._lots, run.home_currency)),
            )
        db.commit()
        self._entries.clear()
        self._transactions.clear()
        self._lots = None
        return {"database_id": db.database_id}

    def close(self) -> None:
        self._db.close()
