"""The `csv` sink: one row per canonical entry, exact decimals, ready for a spreadsheet or a script."""

from __future__ import annotations

import csv
import io
import os
import sys
from collections.abc import Callable, Sequence
from typing import IO

from ledgerport import Entry, RunInfo, Sink, SinkType, format_decimal, format_iso_ms, hookimpl

HEADER = (
    "source", "account", "entry_id", "timestamp", "asset", "amount", "fee",
    "balance", "kind", "sub_account", "group_id", "description",
)


def _row(entry: Entry) -> tuple[str, ...]:
    return (
        entry.source,
        entry.account,
        entry.entry_id,
        format_iso_ms(entry.timestamp),
        entry.asset,
        format_decimal(entry.amount),
        format_decimal(entry.fee),
        "" if entry.balance is None else format_decimal(entry.balance),
        entry.kind.value,
        entry.sub_account,
        entry.group_id,
        entry.description,
    )


class CsvSink(Sink):
    """Writes the header, then each window's rows; a commit flushes them to disk (fsync), so a
    failure later in the run leaves every committed row whole. `-` writes to standard output."""

    def __init__(self, target: str, run: RunInfo, settings: object) -> None:
        if target == "-":
            self._file: IO[str] = sys.stdout
            self._close: Callable[[], None] = sys.stdout.flush
        else:
            self._file = open(target, "w", encoding="utf-8", newline="")  # noqa: SIM115 (closed in close())
            self._close = self._file.close
        self._writer = csv.writer(self._file, lineterminator="\n")
        self._writer.writerow(HEADER)

    def write_entries(self, entries: Sequence[Entry]) -> None:
        self._writer.writerows(map(_row, entries))

    def commit(self) -> None:
        self._file.flush()
        try:
            os.fsync(self._file.fileno())
        except (OSError, io.UnsupportedOperation):
            pass  # a pipe or a terminal has nothing to sync

    def close(self) -> None:
        self.commit()
        self._close()


@hookimpl
def register_sinks(register: Callable[[SinkType], None]) -> None:
    register(SinkType(name="csv", description="One CSV row per ledger entry, exact decimals.", open=CsvSink))
