"""The `koinly` sink: Koinly's universal CSV, appended window by window."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import Any

from ledgerport import Entry, FileSink, Kind, RunInfo, Transaction, cell, format_decimal

from .events import Amount, KoinlyRow, koinly_rows

__all__ = ["DATE_FORMAT", "HEADER", "KoinlySink", "render"]

DATE_FORMAT = "%Y-%m-%d %H:%M:%S UTC"
"""Koinly's documented `YYYY-MM-DD HH:MM UTC` with the seconds: Koinly takes a row whose date, currency
and amount equal an imported one's as a duplicate, so two equal fills in one minute need them."""

HEADER = (
    "Date",
    "Sent Amount",
    "Sent Currency",
    "Received Amount",
    "Received Currency",
    "Fee Amount",
    "Fee Currency",
    "Net Worth Amount",
    "Net Worth Currency",
    "Label",
    "Description",
    "TxHash",
)


def _amount(amount: Amount | None) -> tuple[str, str]:
    return ("", "") if amount is None else (format_decimal(amount.quantity), cell(amount.currency))


def render(row: KoinlyRow) -> tuple[str, ...]:
    """Koinly's date form with the seconds (`2024-03-01 09:30:15 UTC`), so fills in one minute stay
    apart; net worth is left to Koinly's own prices. Text cells go through `ledgerport.cell` (no control
    characters, no formulas); amounts are left alone."""
    return (
        row.timestamp.strftime(DATE_FORMAT),
        *_amount(row.sent),
        *_amount(row.received),
        *_amount(row.fee),
        "",
        "",
        cell(row.label),
        cell(row.description),
        cell(row.tx_hash),
    )


class KoinlySink(FileSink):
    """Needs both the entries (for their fees, categories and raw records) and the transactions (which
    entries form one event); the engine hands a window's entries over before its transactions."""

    name = "koinly"
    needs_transactions = True

    def __init__(self, target: str, run: RunInfo, settings: object, checkpoint: Any = None) -> None:
        super().__init__(target, run, settings, checkpoint)
        self._writer = csv.writer(self.file, lineterminator="\n")
        self._entries: dict[str, Entry] = {}
        if self.fresh:
            self._writer.writerow(HEADER)

    def write_entries(self, entries: Sequence[Entry]) -> None:
        self._entries = {entry.entry_id: entry for entry in entries}

    def write_transactions(self, transactions: Sequence[Transaction]) -> None:
        """Rows for the source's events only: a transaction the books derived (an opening balance, an
        opening lot, the leg of a move into a sub-account the source keeps no ledger of) is none, and
        Koinly works out balances and cost itself from the whole history."""
        for transaction in transactions:
            if not all(i in self._entries for i in transaction.entry_ids):
                continue
            entries = [self._entries[i] for i in transaction.entry_ids]
            if transaction.kind is Kind.ADJUSTMENT and entries[0].kind is not Kind.ADJUSTMENT:
                continue  # an opening lot the cost books put before the entry that needed it
            self._writer.writerows(render(row) for row in koinly_rows(transaction, entries))
