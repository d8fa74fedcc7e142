"""Where skipped bad records (and transactions a sink could not value) go: one JSON line each, with
the reason, so nothing is dropped unseen."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..books.transactions import Transaction
from ..errors import BadRecordError, StateError
from ..sdk.textsafe import json_text

__all__ = ["Quarantine"]


class Quarantine:
    """Collects a window's bad records and appends them, fsynced, when the window is committed.

    A run killed after that but before the state recorded the window reads the window again and
    meets the same records: a line the file already holds is not written twice.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.count = 0
        self._pending: list[str] = []
        try:
            self._held = set(self.path.read_text(encoding="utf-8").splitlines()) if self.path.exists() else set()
        except (OSError, UnicodeDecodeError) as exc:
            raise StateError(f"cannot read the quarantine file {self.path}: {exc}") from None

    def add(self, error: BadRecordError, account: str, record: Mapping[str, Any] | Any) -> None:
        line = {
            "source": error.source,
            "account": account,
            "record_id": error.record_id,
            "field": error.field,
            "reason": error.reason,
            "record": record,
        }
        self._pending.append(json_text(json.dumps(line, default=str, ensure_ascii=False)))
        self.count += 1

    def set_aside(self, sink: str, transaction: Transaction, reason: str) -> None:
        """A transaction a sink could not write (a price it has none for): the others wrote it."""
        line = {
            "source": transaction.source,
            "account": transaction.account,
            "sink": sink,
            "txn_id": transaction.txn_id,
            "entry_ids": list(transaction.entry_ids),
            "date": transaction.date.isoformat(),
            "reason": reason,
        }
        self._pending.append(json_text(json.dumps(line, ensure_ascii=False)))
        self.count += 1

    def commit(self) -> None:
        new = [line for line in dict.fromkeys(self._pending) if line not in self._held]
        self._pending.clear()
        if not new:
            return
        try:
            with self.path.open("a", encoding="utf-8") as file:
                file.write("\n".join(new) + "\n")
                file.flush()
                os.fsync(file.fileno())
        except OSError as exc:
            raise StateError(f"cannot write the quarantine file {self.path}: {exc.strerror}") from None
        self._held.update(new)
