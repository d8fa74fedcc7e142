"""A connection to either database, with the schema brought up to date before the first write."""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from ledgerport import ConfigError, StateError

from .dialect import DIALECTS, Dialect
from .schema import MIGRATIONS, SCHEMA_VERSION
from .target import Target

__all__ = ["Database"]


class _Connection(Protocol):
    def cursor(self) -> Any: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def close(self) -> None: ...


def _connect(target: Target) -> _Connection:
    """psycopg is imported only for PostgreSQL, so a SQLite sync does not pay for it."""
    if target.dialect == "sqlite":
        try:
            return sqlite3.connect(target.where, isolation_level=None)
        except sqlite3.Error as error:
            raise ConfigError(f"sql: cannot open the sqlite database {target.where}: {error}") from None
    import psycopg

    try:
        return psycopg.connect(target.where)
    except psycopg.Error as error:
        raise ConfigError(f"sql: cannot connect to the PostgreSQL server: {error}") from None


class Database:
    """One open database. Every change happens between `begin()` and `commit()`, so a crash leaves the last
    committed window and nothing of the next one."""

    def __init__(self, target: Target) -> None:
        self.dialect: Dialect = DIALECTS[target.dialect]
        self._where = target.where if target.dialect == "sqlite" else "the PostgreSQL database"
        self._connection = _connect(target)
        try:
            with self.named():
                self.database_id = self._migrate()
        except BaseException:
            with contextlib.suppress(Exception):
                self.close()
            raise

    @contextlib.contextmanager
    def named(self) -> Iterator[None]:
        """A database error (not a database, disk full, a lost server) says which database it is about."""
        try:
            yield
        except sqlite3.Error as error:
            raise StateError(f"sql: {self._where}: {error}") from None
        except Exception as error:
            if type(error).__module__.startswith("psycopg"):
                raise StateError(f"sql: {self._where}: {error}") from None
            raise

    def begin(self) -> None:
        if self.dialect.begin:
            self.execute(self.dialect.begin)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self._connection.cursor()
        try:
            cursor.execute(sql, tuple(params))
            return list(cursor.fetchall()) if cursor.description else []
        finally:
            cursor.close()

    def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if not rows:
            return
        cursor = self._connection.cursor()
        try:
            cursor.executemany(sql, rows)
        finally:
            cursor.close()

    def commit(self) -> None:
        self._connection.commit()

    def close(self) -> None:
        """Whatever was not committed is rolled back."""
        try:
            self._connection.rollback()
        finally:
            self._connection.close()

    def _migrate(self) -> str:
        """Creates the schema or brings it to the newest version, in one transaction; returns the database's id."""
        p = self.dialect.param
        self.begin()
        if self.dialect.lock:
            self.execute(self.dialect.lock)
        self.execute(
            f"CREATE TABLE IF NOT EXISTS {SCHEMA_VERSION} (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        current = self.execute(f"SELECT COALESCE(MAX(version), 0) FROM {SCHEMA_VERSION}")[0][0]
        if current > len(MIGRATIONS):
            self._connection.rollback()
            raise StateError(
                f"sql: the database has schema version {current}, newer than this ledgerport-sql knows "
                f"({len(MIGRATIONS)}); upgrade ledgerport-sql"
            )
        for version in range(current + 1, len(MIGRATIONS) + 1):
            for statement in MIGRATIONS[version - 1](self.dialect):
                self.execute(statement)
            self.execute(
                f"INSERT INTO {SCHEMA_VERSION} (version, applied_at) VALUES ({p}, {p})",
                (version, datetime.now(UTC).isoformat(timespec="seconds")),
            )
        found = self.execute("SELECT database_id FROM ledgerport_database")
        if not found:
            found = [(uuid.uuid4().hex,)]
            self.execute(f"INSERT INTO ledgerport_database (database_id) VALUES ({p})", found[0])
        self.commit()
        return str(found[0][0])
