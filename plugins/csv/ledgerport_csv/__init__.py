"""The `csv` sink: one row per canonical entry, exact decimals, ready for a spreadsheet or a script."""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Callable, Sequence
from typing import IO, Any

from ledgerport import Entry, RunInfo, Sink, SinkType, StateError, format_decimal, format_iso_ms, hookimpl

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


def _reopen(path: str, offset: int) -> IO[str]:
    """Cut the file back to the last committed byte, dropping a torn or uncommitted tail, and append."""
    try:
        size = os.path.getsize(path)
    except FileNotFoundError:
        size = -1
    if size < offset:
        found = "is missing" if size < 0 else f"has {size} bytes"
        raise StateError(
            f"csv:{path}: the state records {offset} committed bytes but the file {found}; it was changed "
            "outside ledgerport. Restore it, or start it over with --fresh."
        )
    os.truncate(path, offset)
    return open(path, "a", encoding="utf-8", newline="")  # noqa: SIM115 (closed in close())


class CsvSink(Sink):
    """Writes the header, then each window's rows. A commit flushes them to disk (fsync) and returns
    the file's length, so a crashed run's uncommitted tail is cut off when the next run opens it.
    `-` writes to standard output, which cannot be cut back, so it is not resumable."""

    def __init__(self, target: str, run: RunInfo, settings: object, checkpoint: Any = None) -> None:
        self.resumable = target != "-"
        if not self.resumable:
            self._file: IO[str] = sys.stdout
            self._close: Callable[[], None] = sys.stdout.flush
        elif checkpoint is not None:
            self._file = _reopen(target, checkpoint["offset"])
            self._close = self._file.close
        else:
            self._file = open(target, "w", encoding="utf-8", newline="")  # noqa: SIM115 (closed in close())
            self._close = self._file.close
        self._writer = csv.writer(self._file, lineterminator="\n")
        if checkpoint is None:
            self._writer.writerow(HEADER)

    def write_entries(self, entries: Sequence[Entry]) -> None:
        self._writer.writerows(map(_row, entries))

    def commit(self) -> dict[str, int] | None:
        self._file.flush()
        if not self.resumable:
            return None
        os.fsync(self._file.fileno())
        return {"offset": os.fstat(self._file.fileno()).st_size}

    def close(self) -> None:
        self._file.flush()
        self._close()


@hookimpl
def register_sinks(register: Callable[[SinkType], None]) -> None:
    register(SinkType(name="csv", description="One CSV row per ledger entry, exact decimals.", open=CsvSink))
