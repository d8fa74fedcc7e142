"""The `csv` sink: one row per canonical entry, exact decimals, ready for a spreadsheet or a script."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from typing import Any

from ledgerport import AppendFile, Entry, RunInfo, Sink, SinkType, format_decimal, format_iso_ms, hookimpl

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
    """Writes the header, then each window's rows; a commit makes them durable (see `AppendFile`).
    `-` writes to standard output, which cannot be cut back, so it is not resumable."""

    def __init__(self, target: str, run: RunInfo, settings: object, checkpoint: Any = None) -> None:
        self._out = AppendFile(target, checkpoint and checkpoint["offset"], "csv")
        self.resumable = self._out.resumable
        self._writer = csv.writer(self._out.file, lineterminator="\n")
        if self._out.fresh:
            self._writer.writerow(HEADER)

    def write_entries(self, entries: Sequence[Entry]) -> None:
        self._writer.writerows(map(_row, entries))

    def commit(self) -> dict[str, int] | None:
        offset = self._out.commit()
        return None if offset is None else {"offset": offset}

    def close(self) -> None:
        self._out.close()


@hookimpl
def register_sinks(register: Callable[[SinkType], None]) -> None:
    register(SinkType(name="csv", description="One CSV row per ledger entry, exact decimals.", open=CsvSink,
                      demo_target="{path}.csv"))
