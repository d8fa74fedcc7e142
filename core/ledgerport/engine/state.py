"""The state store: per output, what it holds, which parts of time are finished and where its file ends.

An output is one sink target fed from one source and account. It is what makes a sync exactly once
across runs and crashes. After every window the sinks commit their output (and return a checkpoint,
e.g. a byte offset), and only then is the window recorded here, in one SQLite transaction for all
outputs. A crash before that leaves output beyond the recorded checkpoint, which the sink cuts off
when it is opened again; the window is then fetched again.

Each output also records its *identity*: the base URL and the connector settings that decide which
entries it holds. A run with another identity is refused, because continuing would silently mix
two selections. And it records which recent entries it holds that a source may still add to
(those within the lookback of the moment they were fetched), so the next run can read that
stretch again and write only what is new there.

The state is a SQLite file (the embedded default) or, for workers on several machines, a
PostgreSQL database (`postgresql://user@host:port/db`); `statedb` holds what differs between them.
Several processes may share one state; each output is claimed by one process at a time (an
advisory lock on a file, a row lock in PostgreSQL). Nothing secret is stored.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs

from ..errors import ConfigError, StateError
from ..sdk.paging import Window
from .statedb import connect, is_database_url

__all__ = ["Committed", "OutputKey", "OutputRecord", "StateStore", "Unsettled", "default_state_path"]

_VERSION = 3
_SCHEMA = """
CREATE TABLE IF NOT EXISTS outputs (
    id {key},
    source TEXT NOT NULL,
    account TEXT NOT NULL,
    sink TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    identity TEXT NOT NULL,
    checkpoint TEXT,
    settled_us {integer},
    books TEXT,
    lots TEXT,
    UNIQUE (source, account, sink)
);
CREATE TABLE IF NOT EXISTS windows (
    output_id {integer} NOT NULL REFERENCES outputs (id) ON DELETE CASCADE,
    start_us {integer} NOT NULL,
    end_us {integer} NOT NULL,
    entries {integer} NOT NULL,
    committed_at TEXT NOT NULL,
    PRIMARY KEY (output_id, start_us)
);
CREATE TABLE IF NOT EXISTS unsettled (
    output_id {integer} NOT NULL REFERENCES outputs (id) ON DELETE CASCADE,
    entry_id TEXT NOT NULL,
    at_us {integer} NOT NULL,
    PRIMARY KEY (output_id, entry_id)
)
"""
"""Written for either backend: `{key}` and `{integer}` are its SQL types."""
_COLUMNS = {
    "outputs": "id, source, account, sink, fingerprint, identity, checkpoint, settled_us, books, lots",
    "windows": "output_id, start_us, end_us, entries, committed_at",
    "unsettled": "output_id, entry_id, at_us",
}
"""Every column of the state, parents first: what a copy of it carries."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _us(instant: datetime) -> int:
    delta = instant - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _instant(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def default_state_path() -> Path | str:
    """`$LEDGERPORT_STATE` (a path, or a `postgresql://` URL kept as it is), else the XDG state
    directory (`$XDG_STATE_HOME`, default `~/.local/state`)."""
    explicit = os.environ.get("LEDGERPORT_STATE")
    if explicit:
        return explicit if is_database_url(explicit) else Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "ledgerport" / "state.db"


@attrs.frozen
class OutputKey:
    """Which output of which source and account a state row is about; `sink` is `NAME:TARGET`, resolved."""

    source: str
    account: str
    sink: str

    def describe(self) -> str:
        return f"{self.sink} (from {self.source}, account {self.account})"


@attrs.frozen
class Unsettled:
    """The newest stretch of an output that its source may still add to, and the entries it already holds there."""

    since: datetime
    until: datetime
    entry_ids: frozenset[str]


@attrs.frozen
class Committed:
    """What one window did to one output: its new checkpoint, the entries written as (id, time), and
    what its books hold per holding since (`holdings.Holdings.state()`), and with books at cost, its
    lots (`books.CostBooks.state()`)."""

    key: OutputKey
    checkpoint: Any
    entries: Sequence[tuple[str, datetime]]
    books: Mapping[str, Any] | None = None
    lots: Mapping[str, Any] | None = None


@attrs.frozen
class OutputRecord:
    """What the state holds about one output, for `ledgerport state`: the parts of time it covers,
    the entries written there, when a window was last committed, and the identity it was synced with."""

    key: OutputKey
    fingerprint: str
    identity: Mapping[str, Any]
    covered: Sequence[Window]
    windows: int
    entries: int
    last_run: datetime | None
    unsettled: Unsettled | None


def fingerprint(identity: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


def _differences(held: Mapping[str, Any], wanted: Mapping[str, Any]) -> str:
    def show(value: Any) -> str:
        if value is None or value == []:
            return "(not set)"
        return ",".join(map(str, value)) if isinstance(value, list) else str(value)

    names = sorted(set(held) | set(wanted), key=lambda name: (name != "base_url", name))
    return "; ".join(
        f"{name} was {show(held.get(name))}, now {show(wanted.get(name))}"
        for name in names
        if held.get(name) != wanted.get(name)
    )


class StateStore:
    """The state (a file path, or a `postgresql://` URL), opened by one sync; the outputs it claims
    are locked until it closes. A path is resolved, so a state file reached through a symlink is
    locked and keyed as itself."""

    def __init__(self, location: str | Path) -> None:
        self._db = connect(location)
        try:
            self._prepare()
        except BaseException:
            self._db.close()
            raise

    def _prepare(self) -> None:
        """Sets the schema up, or migrates it, in one transaction that one process runs at a time."""
        if self._db.version() == _VERSION:
            return
        where = self._db.where
        with self._transaction():
            for statement in self._db.prepare():
                self._db.execute(statement)
            version = self._db.version()  # again: another process may have set it up meanwhile
            if version == 0 and self._db.tables():
                raise StateError(
                    f"{where} was written by an earlier ledgerport and cannot be read; "
                    "move it away (the outputs will then be written anew with --fresh)"
                )
            if version > _VERSION:
                raise StateError(f"{where} was written by a newer ledgerport (version {version})")
            if version == 2:  # version 3 keeps each output's lots (books at cost) beside its checkpoint
                self._db.execute("ALTER TABLE outputs ADD COLUMN lots TEXT")
            for statement in _SCHEMA.format(key=self._db.key, integer=self._db.integer).split(";"):
                self._db.execute(statement)
            self._db.set_version(_VERSION)

    @property
    def where(self) -> str:
        """The state as messages name it: `the state file PATH`, `the state database URL` (no password)."""
        return self._db.where

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def claim(self, keys: Iterable[OutputKey]) -> None:
        """Locks every output for this process, or refuses naming the process that holds one."""
        for key in keys:
            holder = self._db.claim((key.source, key.account, key.sink))
            if holder is not None:
                raise ConfigError(f"{key.describe()} is being synced by {holder}; wait for it to finish")

    def _row(self, key: OutputKey, columns: str) -> Any:
        return self._db.execute(
            f"SELECT {columns} FROM outputs WHERE source = ? AND account = ? AND sink = ?", attrs.astuple(key)
        ).fetchone()

    def check_identity(self, key: OutputKey, identity: Mapping[str, Any]) -> None:
        """Refuses to continue an output that was synced with another base URL or other filters."""
        row = self._row(key, "fingerprint, identity")
        if row is None or row[0] == fingerprint(identity) or not self.covered(key):
            return
        raise ConfigError(
            f"{key.describe()} was synced with other settings ({_differences(json.loads(row[1]), identity)}); "
            "re-run with the same settings, or with --fresh to write it anew"
        )

    def checkpoint(self, key: OutputKey) -> Any:
        """The output's last committed checkpoint, or None when it has none (a fresh output)."""
        row = self._row(key, "checkpoint")
        return None if row is None or row[0] is None else json.loads(row[0])

    def books(self, key: OutputKey) -> Any:
        """What the output's books hold per holding, as last committed (None for a fresh output)."""
        row = self._row(key, "books")
        return None if row is None or row[0] is None else json.loads(row[0])

    def lots(self, key: OutputKey) -> Any:
        """The output's lots as last committed (None: not kept at cost, or a fresh output)."""
        row = self._row(key, "lots")
        return None if row is None or row[0] is None else json.loads(row[0])

    def save_books(self, key: OutputKey, books: Mapping[str, Any]) -> None:
        """Keeps what a reconciliation learnt (opening balances derived from the source's balances)."""
        with self._transaction():
            self._db.execute(
                "UPDATE outputs SET books = ? WHERE source = ? AND account = ? AND sink = ?",
                (json.dumps(books), *attrs.astuple(key)),
            )

    def covered(self, key: OutputKey) -> list[Window]:
        """The finished parts of time for this output, merged into disjoint windows, oldest first."""
        merged: list[list[int]] = []
        for start, end in self._db.execute(
            "SELECT start_us, end_us FROM windows JOIN outputs ON outputs.id = output_id "
            "WHERE source = ? AND account = ? AND sink = ? ORDER BY start_us",
            attrs.astuple(key),
        ):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        return [Window(_instant(a), _instant(b)) for a, b in merged]

    def unsettled(self, key: OutputKey) -> Unsettled | None:
        """The stretch at the end of the output that was fetched within the lookback of its end, if any."""
        row = self._row(key, "id, settled_us")
        covered = self.covered(key)
        if row is None or row[1] is None or not covered or _us(covered[-1].end) <= row[1]:
            return None
        ids = frozenset(r[0] for r in self._db.execute("SELECT entry_id FROM unsettled WHERE output_id = ?", (row[0],)))
        return Unsettled(_instant(row[1]), covered[-1].end, ids)

    def commit(self, window: Window, committed: Iterable[Committed], *, settled: datetime) -> None:
        """Records `window` as finished for each output, all or nothing.

        `settled` is the instant before which the source can no longer add entries (the commit time
        less the lookback); where the window is the output's newest and ends after it, the entries
        from `settled` on are remembered for the next run's second look.
        """
        now = datetime.now(UTC).isoformat()
        settled_us = min(_us(settled), _us(window.end))
        self._db.still_claimed()
        with self._transaction():
            for item in committed:
                row = self._row(item.key, "id")
                if row is None:
                    raise StateError(f"{item.key.describe()}: not registered in {self._db.where}")
                output_id = row[0]
                newest = self._db.execute(
                    "SELECT coalesce(max(end_us), 0) FROM windows WHERE output_id = ?", (output_id,)
                ).fetchone()[0] <= _us(window.end)
                self._db.execute(
                    "UPDATE outputs SET checkpoint = ?, books = coalesce(?, books), lots = coalesce(?, lots) "
                    "WHERE id = ?",
                    (
                        json.dumps(item.checkpoint),
                        None if item.books is None else json.dumps(item.books),
                        None if item.lots is None else json.dumps(item.lots),
                        output_id,
                    ),
                )
                self._db.execute(
                    "INSERT INTO windows VALUES (?, ?, ?, ?, ?) ON CONFLICT (output_id, start_us) DO UPDATE SET "
                    "end_us = excluded.end_us, entries = excluded.entries, committed_at = excluded.committed_at",
                    (output_id, _us(window.start), _us(window.end), len(item.entries), now),
                )
                if newest:
                    self._settle(output_id, settled_us, item.entries)

    def _settle(self, output_id: int, settled_us: int, entries: Sequence[tuple[str, datetime]]) -> None:
        self._db.execute("UPDATE outputs SET settled_us = ? WHERE id = ?", (settled_us, output_id))
        self._db.execute("DELETE FROM unsettled WHERE output_id = ? AND at_us < ?", (output_id, settled_us))
        self._db.executemany(
            "INSERT INTO unsettled VALUES (?, ?, ?) "
            "ON CONFLICT (output_id, entry_id) DO UPDATE SET at_us = excluded.at_us",
            [(output_id, entry_id, _us(at)) for entry_id, at in entries if _us(at) >= settled_us],
        )

    def register(self, key: OutputKey, identity: Mapping[str, Any]) -> None:
        """Records an output and its identity before its first window (after `check_identity` allowed it)."""
        with self._transaction():
            self._db.execute(
                "INSERT INTO outputs (source, account, sink, fingerprint, identity) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (source, account, sink) DO UPDATE SET "
                "fingerprint = excluded.fingerprint, identity = excluded.identity",
                (*attrs.astuple(key), fingerprint(identity), json.dumps(identity, sort_keys=True)),
            )

    def forget(self, keys: Sequence[OutputKey]) -> None:
        """Drops what is known about these outputs, so their next sync starts them afresh."""
        with self._transaction():
            for key in keys:
                self._db.execute(
                    "DELETE FROM outputs WHERE source = ? AND account = ? AND sink = ?", attrs.astuple(key)
                )

    def outputs(self) -> list[OutputRecord]:
        """Every output the state knows, in (source, account, sink) order."""
        rows = self._db.execute(
            "SELECT source, account, sink, fingerprint, identity, count(start_us), "
            "CAST(coalesce(sum(entries), 0) AS BIGINT), max(committed_at) "
            "FROM outputs LEFT JOIN windows ON outputs.id = output_id "
            "GROUP BY outputs.id ORDER BY source, account, sink"
        ).fetchall()
        records = []
        for source, account, sink, print_, identity, windows, entries, last in rows:
            key = OutputKey(source, account, sink)
            records.append(
                OutputRecord(
                    key=key,
                    fingerprint=print_,
                    identity=json.loads(identity),
                    covered=self.covered(key),
                    windows=windows,
                    entries=entries,
                    last_run=datetime.fromisoformat(last) if last else None,
                    unsettled=self.unsettled(key),
                )
            )
        return records

    def copy_to(self, path: str | Path) -> None:
        """A consistent copy of the whole state, file or database, into a new state file: for a dry
        run to commit into instead of this one."""
        with StateStore(Path(path)) as copy, self._db.snapshot(), copy._transaction():
            for table, columns in _COLUMNS.items():
                rows = self._db.execute(f"SELECT {columns} FROM {table}").fetchall()
                places = ", ".join("?" for _ in columns.split(","))
                copy._db.executemany(f"INSERT INTO {table} ({columns}) VALUES ({places})", rows)

    def _transaction(self) -> contextlib.AbstractContextManager[None]:
        return self._db.transaction()
