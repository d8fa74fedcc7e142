"""The state store: per source, account and sink, which parts of time are finished and where each sink's output ends.

It is what makes a sync exactly once across runs and crashes. After every window the sinks commit
their output (and return a checkpoint, e.g. a byte offset), and only then is the window recorded
here, in one SQLite transaction for all sinks. A crash before that leaves output beyond the
recorded checkpoint, which the sink cuts off when it is opened again; the window is then fetched
again. Nothing secret is stored: keys are source, account and sink target.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import attrs

from ..sdk.connector import Window
from ..errors import ConfigError

__all__ = ["SinkKey", "StateStore", "default_state_path"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sinks (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    account TEXT NOT NULL,
    sink TEXT NOT NULL,
    checkpoint TEXT,
    UNIQUE (source, account, sink)
);
CREATE TABLE IF NOT EXISTS windows (
    sink_id INTEGER NOT NULL REFERENCES sinks (id) ON DELETE CASCADE,
    start_us INTEGER NOT NULL,
    end_us INTEGER NOT NULL,
    entries INTEGER NOT NULL,
    committed_at TEXT NOT NULL,
    PRIMARY KEY (sink_id, start_us)
);
"""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _us(instant: datetime) -> int:
    delta = instant - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _instant(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def default_state_path() -> Path:
    """`$LEDGERPORT_STATE`, else the XDG state directory (`~/.local/state/ledgerport/state.db`)."""
    explicit = os.environ.get("LEDGERPORT_STATE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "ledgerport" / "state.db"


@attrs.frozen
class SinkKey:
    """Which output of which source and account a state row is about."""

    source: str
    account: str
    sink: str


class StateStore:
    """One state file, held exclusively for the duration of a sync so two runs cannot interleave."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock: IO[bytes] = open(f"{self.path}.lock", "wb")  # noqa: SIM115 (released in close())
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise ConfigError(f"another ledgerport sync is using the state file {self.path}") from None
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = FULL")
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()
        self._lock.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _sink_id(self, key: SinkKey) -> int | None:
        row = self._db.execute(
            "SELECT id FROM sinks WHERE source = ? AND account = ? AND sink = ?", attrs.astuple(key)
        ).fetchone()
        return None if row is None else int(row[0])

    def checkpoint(self, key: SinkKey) -> Any:
        """The sink's last committed checkpoint, or None when it has none (a fresh output)."""
        row = self._db.execute(
            "SELECT checkpoint FROM sinks WHERE source = ? AND account = ? AND sink = ?", attrs.astuple(key)
        ).fetchone()
        return None if row is None or row[0] is None else json.loads(row[0])

    def covered(self, key: SinkKey) -> list[Window]:
        """The finished parts of time for this sink, merged into disjoint windows, oldest first."""
        sink_id = self._sink_id(key)
        if sink_id is None:
            return []
        merged: list[list[int]] = []
        for start, end in self._db.execute(
            "SELECT start_us, end_us FROM windows WHERE sink_id = ? ORDER BY start_us", (sink_id,)
        ):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        return [Window(_instant(a), _instant(b)) for a, b in merged]

    def commit(self, window: Window, committed: Iterable[tuple[SinkKey, Any, int]]) -> None:
        """Record `window` as finished for each (sink, checkpoint, entries written), all or nothing."""
        now = datetime.now(UTC).isoformat()
        with self._transaction():
            for key, checkpoint, entries in committed:
                self._db.execute(
                    "INSERT INTO sinks (source, account, sink, checkpoint) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (source, account, sink) DO UPDATE SET checkpoint = excluded.checkpoint",
                    (*attrs.astuple(key), json.dumps(checkpoint)),
                )
                self._db.execute(
                    "INSERT OR REPLACE INTO windows VALUES (?, ?, ?, ?, ?)",
                    (self._sink_id(key), _us(window.start), _us(window.end), entries, now),
                )

    def forget(self, keys: Sequence[SinkKey]) -> None:
        """Drop what is known about these sinks, so their next sync starts their output afresh."""
        with self._transaction():
            for key in keys:
                self._db.execute(
                    "DELETE FROM sinks WHERE source = ? AND account = ? AND sink = ?", attrs.astuple(key)
                )

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
