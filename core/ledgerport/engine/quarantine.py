"""Where skipped bad records go: one JSON line each, with the reason, so nothing is dropped unseen."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import BadRecordError

__all__ = ["Quarantine"]


class Quarantine:
    """Collects a window's bad records and appends them when the window is committed."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.count = 0
        self._pending: list[str] = []

    def add(self, error: BadRecordError, account: str, record: Mapping[str, Any] | Any) -> None:
        line = {
            "source": error.source,
            "account": account,
            "record_id": error.record_id,
            "field": error.field,
            "reason": error.reason,
            "record": record,
        }
        self._pending.append(json.dumps(line, default=str, ensure_ascii=False))

    def commit(self) -> None:
        if not self._pending:
            return
        with self.path.open("a", encoding="utf-8") as file:
            file.write("\n".join(self._pending) + "\n")
        self.count += len(self._pending)
        self._pending.clear()
