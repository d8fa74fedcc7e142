"""The `csv` sink: one row per canonical entry, exact decimals, ready for a spreadsheet or a script.

Every text cell goes through `ledgerport.cell`: control characters are escaped, and a cell starting
with `= + - @` gets a leading `'` so a spreadsheet shows it instead of running it. The numbers
(amount, fee, balance) are left alone.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from typing import Any

from ledgerport import Entry, FileSink, RunInfo, SinkType, cell, format_decimal, format_iso_ms, hookimpl

HEADER = (
    "source",
    "account",
    "entry_id",
    "timestamp",
    "asset",
    "amount",
    "fee",
    "balance",
    "kind",
    "sub_account",
    "group_id",
    "description",
)


def _row(entry: Entry) -> tuple[str, ...]:
    return (
        cell(entry.source),
        cell(entry.account),
        cell(entry.entry_id),
        format_iso_ms(entry.timestamp),
        cell(entry.asset),
        format_decimal(entry.amount),
        format_decimal(entry.fee),
        "" if entry.balance is None else format_decimal(entry.balance),
        entry.kind.value,
        cell(entry.sub_account),
        cell(entry.group_id),
        cell(entry.description),
    )


class CsvSink(FileSink):
    """Writes the header, then each window's rows; a commit makes them durable (see `FileSink`).
    `-` writes to standard output, which cannot be cut back, so it is not resumable."""

    name = "csv"

    def __init__(self, target: str, run: RunInfo, settings: object, checkpoint: Any = None) -> None:
        super().__init__(target, run, settings, checkpoint)
        self._writer = csv.writer(self.file, lineterminator="\n")
        if self.fresh:
            self._writer.writerow(HEADER)

    def write_entries(self, entries: Sequence[Entry]) -> None:
        self._writer.writerows(map(_row, entries))


@hookimpl
def register_sinks(register: Callable[[SinkType], None]) -> None:
    register(
        SinkType(
            name="csv",
            description="One CSV row per ledger entry, exact decimals.",
            open=CsvSink,
            demo_target="{path}.csv",
        )
    )
