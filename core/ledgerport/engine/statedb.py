"""Where the state lives: a SQLite file (the embedded default) or a PostgreSQL database that workers
on several machines share.

`state.StateStore` holds the logic once, in SQL both engines read alike (`?` placeholders,
`INSERT ... ON CONFLICT`); a backend supplies only what differs between them: connecting, the
integer types of the schema, where the schema version is kept, and how an output is claimed by one
process. Either backend turns its driver's errors into `StateError`s that name the state, so a lost
connection or a locked file reads as what it is, not as a driver's traceback.
"""

from __future__ import annotations

import abc
import contextlib
import fcntl
import hashlib
import json
import os
import socket
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs, urlsplit, urlunsplit

from ..errors import StateError

if TYPE_CHECKING:
    import psycopg

__all__ = ["Backend", "Rows", "connect", "is_database_url"]

BUSY_TIMEOUT_SECONDS = 60.0
_SCHEMES = ("postgresql", "postgres")
_PG_SCHEMA = "ledgerport_state"
"""The PostgreSQL schema the state's tables live in, so a database may hold other tables (the books
of the sql sink, say) beside them without a clash of names such as `outputs`."""

_KEEPALIVES = {"keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}
"""TCP keepalives (seconds, probes) for both ends of a connection to PostgreSQL: libpq's parameters
and the server's `tcp_...` settings have the same names."""

ClaimKey = tuple[str, str, str]
"""(source, account, sink): an output, as the backend sees it."""


class Rows(Protocol):
    """What a query returns, with either driver."""

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


def is_database_url(location: str | Path) -> bool:
    """A `postgresql://` (or libpq's `postgres://`) URL, rather than the path of a state file."""
    return isinstance(location, str) and urlsplit(location).scheme in _SCHEMES


def connect(location: str | Path) -> Backend:
    """The backend for a state location; a path is resolved, so a state file reached through a
    symlink is locked and keyed as itself."""
    if is_database_url(location):
        return PostgresBackend(str(location))
    return SqliteBackend(Path(location).resolve())


class Backend(abc.ABC):
    """One connection to the state, and the claims on the outputs this process syncs."""

    where: str
    """The state as messages name it: `the state file PATH`, `the state database URL`."""
    integer: str
    """The SQL type of a 64-bit integer (microseconds since 1970 do not fit 32 bits)."""
    key: str
    """The SQL of an `outputs.id` column the database numbers itself."""

    @abc.abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows: ...

    @abc.abstractmethod
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    @abc.abstractmethod
    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """One transaction that writers take one at a time, as far as the database needs them to."""

    @abc.abstractmethod
    def version(self) -> int:
        """The schema version the state was written with; 0 for one not set up yet."""

    @abc.abstractmethod
    def set_version(self, version: int) -> None: ...

    @abc.abstractmethod
    def tables(self) -> set[str]:
        """The tables the state holds, to tell a state that is not set up from one of another layout."""

    def prepare(self) -> list[str]:
        """Run first in the transaction that sets up or migrates the schema: the statements the
        backend needs beyond the store's own tables."""
        return []

    @abc.abstractmethod
    def claim(self, key: ClaimKey) -> str | None:
        """Claims an output for this process until `close`; if another holds it, who that is."""

    def still_claimed(self) -> None:
        """Raises if the claims may have been lost while the run went on (nothing can lose a file lock)."""

    @abc.abstractmethod
    def snapshot(self) -> contextlib.AbstractContextManager[None]:
        """A transaction whose reads all see the state as it was at one moment."""

    @abc.abstractmethod
    def close(self) -> None: ...


class SqliteBackend(Backend):
    """A state file: WAL mode, so readers and one writer at a time share it across processes, and
    each output claimed by an `flock` on its own file in `STATE.locks/` that names its holder."""

    integer = "INTEGER"
    key = "INTEGER PRIMARY KEY"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = f"the state file {path}"
        self._locks: list[IO[bytes]] = []
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._errors():
            self._db = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS)
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = FULL")
            self._db.execute("PRAGMA foreign_keys = ON")

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise StateError(f"cannot use {self.where}: {exc}") from None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        with self._errors():
            return self._db.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._errors():
            self._db.executemany(sql, rows)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        self.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.execute("ROLLBACK")
            raise
        self.execute("COMMIT")

    def version(self) -> int:
        return int(self.execute("PRAGMA user_version").fetchone()[0])

    def set_version(self, version: int) -> None:
        self.execute(f"PRAGMA user_version = {int(version)}")

    def tables(self) -> set[str]:
        return {row[0] for row in self.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def claim(self, key: ClaimKey) -> str | None:
        folder = Path(f"{self.path}.locks")
        folder.mkdir(exist_ok=True)
        name = hashlib.sha256(json.dumps(key).encode()).hexdigest()[:32]
        lock: IO[bytes] = open(folder / f"{name}.lock", "a+b")  # noqa: SIM115 (closed in close())
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().decode(errors="replace").strip() or "another process"
            lock.close()
            return holder
        lock.truncate(0)
        lock.write(f"ledgerport process {os.getpid()}, since {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC".encode())
        lock.flush()
        self._locks.append(lock)
        return None

    def snapshot(self) -> contextlib.AbstractContextManager[None]:
        return self.transaction()  # no writer gets in meanwhile

    def close(self) -> None:
        self._db.close()
        for lock in self._locks:
            lock.close()
        self._locks.clear()


def _public(url: str) -> str:
    """The URL without its password, wherever it was put, for messages."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")
    host = netloc[2]
    user = netloc[0].partition(":")[0]
    query = "&".join(p for p in parts.query.split("&") if p and p.partition("=")[0] != "password")
    return urlunsplit(parts._replace(netloc=f"{user}@{host}" if user else host, query=query))


def _pg(sql: str) -> str:
    """The store's `?` placeholders as psycopg's (the store's SQL holds no other `?` or `%`)."""
    return sql.replace("?", "%s")


def _refuse_password(url: str) -> None:
    parts = urlsplit(url)
    if parts.password is not None or "password" in parse_qs(parts.query):
        raise StateError(
            f"the state URL {_public(url)} must not hold a password (a command line is visible to "
            "every user of the machine, in `ps`): give it in PGPASSWORD or ~/.pgpass, as libpq reads them"
        )


class PostgresBackend(Backend):
    """A PostgreSQL database, in the schema `ledgerport_state`, for workers on several machines.

    Each output is claimed with a row-level lock: a second connection holds one transaction for the
    whole run, in which `SELECT ... FOR UPDATE SKIP LOCKED` locks the output's row of `claims`, so the
    server releases it when the run ends, however it ends (the connection closes, or the machine dies
    and the server's TCP keepalives find it gone). Who holds a claim is told by `claimants`, which each
    claiming connection fills in before it locks anything: the lock's transaction, found through
    the row's `xmax` in `pg_locks`, leads to the backend process and so to its holder.
    The lock is on its own table, not on `outputs`: the store updates and deletes those rows on its
    other connection, which would wait on a lock held by its own process.
    """

    integer = "BIGINT"
    key = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"

    def __init__(self, url: str) -> None:
        _refuse_password(url)
        try:
            import psycopg
            import psycopg.conninfo
        except ImportError:
            raise StateError(
                f"a PostgreSQL state ({_public(url)}) needs psycopg: pip install 'ledgerport[postgresql]'"
            ) from None
        self._psycopg = psycopg
        self.where = f"the state database {_public(url)}"
        # libpq's defaults beneath what the URL says: keepalives, so a run notices a server gone away
        self._params: dict[str, Any] = {
            "application_name": "ledgerport",
            "connect_timeout": 30,
            "keepalives": 1,
            **_KEEPALIVES,
            **psycopg.conninfo.conninfo_to_dict(url),
        }
        self._claims: psycopg.Connection[Any] | None = None
        self._db = self._connect()

    def _connect(self) -> psycopg.Connection[Any]:
        with self._errors():
            connection = self._psycopg.connect(**self._params, autocommit=True)
            connection.execute(f"SET search_path TO {_PG_SCHEMA}")
            return connection

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except self._psycopg.Error as exc:
            raise StateError(f"cannot use {self.where}: {str(exc).strip()}") from None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        with self._errors():
            return self._db.execute(_pg(sql), params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._errors():
            self._db.cursor().executemany(_pg(sql), rows)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self._errors(), self._db.transaction():
            yield

    def prepare(self) -> list[str]:
        # one process sets the schema up at a time: CREATE ... IF NOT EXISTS is not safe side by side
        return [
            f"SELECT pg_advisory_xact_lock(hashtext('{_PG_SCHEMA}'))",
            f"CREATE SCHEMA IF NOT EXISTS {_PG_SCHEMA}",
            "CREATE TABLE IF NOT EXISTS state_version (version INTEGER NOT NULL)",
            "CREATE TABLE IF NOT EXISTS claims "
            "(source TEXT, account TEXT, sink TEXT, PRIMARY KEY (source, account, sink))",
            "CREATE TABLE IF NOT EXISTS claimants (backend INTEGER PRIMARY KEY, holder TEXT NOT NULL)",
        ]

    def version(self) -> int:
        if not self.execute("SELECT to_regclass('state_version') IS NOT NULL").fetchone()[0]:
            return 0
        row = self.execute("SELECT max(version) FROM state_version").fetchone()
        return int(row[0] or 0)

    def set_version(self, version: int) -> None:
        self.execute("DELETE FROM state_version")
        self.execute("INSERT INTO state_version VALUES (?)", (version,))

    def tables(self) -> set[str]:
        rows = self.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_name <> ALL (?)",
            (_PG_SCHEMA, ["state_version", "claims", "claimants"]),
        )
        return {row[0] for row in rows}

    def _claiming(self) -> psycopg.Connection[Any]:
        """The connection whose transaction holds the claims, its holder recorded (and committed)
        before it takes any."""
        if self._claims is None:
            holder = (
                f"ledgerport process {os.getpid()} on {socket.gethostname()}, "
                f"since {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC"
            )
            claims = self._connect()
            with self._errors():
                claims.execute("SET idle_in_transaction_session_timeout = 0")  # it idles in its transaction all run
                # and the server's side of the keepalives: a dead worker's claims end within about a minute
                for name, value in _KEEPALIVES.items():
                    claims.execute(f"SET tcp_{name} = {value}")
                claims.execute(
                    "INSERT INTO claimants VALUES (pg_backend_pid(), %s) "
                    "ON CONFLICT (backend) DO UPDATE SET holder = excluded.holder",
                    (holder,),
                )
                claims.autocommit = False
            self._claims = claims
        return self._claims

    def claim(self, key: ClaimKey) -> str | None:
        claims = self._claiming()
        # committed first, so that a second claimant finds the row to lock rather than waiting on an insert
        self.execute("INSERT INTO claims VALUES (?, ?, ?) ON CONFLICT DO NOTHING", key)
        where = "WHERE source = ? AND account = ? AND sink = ?"
        with self._errors():
            # SKIP LOCKED rather than NOWAIT: a row held elsewhere is an empty answer, not an error that
            # would abort the transaction holding this run's other claims; either way nothing waits
            if claims.execute(_pg(f"SELECT 1 FROM claims {where} FOR UPDATE SKIP LOCKED"), key).fetchone():
                return None
        row = self.execute(
            "SELECT holder FROM claimants JOIN pg_locks ON pg_locks.pid = claimants.backend "
            "WHERE pg_locks.locktype = 'transactionid' AND pg_locks.mode = 'ExclusiveLock' "
            f"AND pg_locks.granted AND pg_locks.transactionid = (SELECT xmax FROM claims {where})",
            key,
        ).fetchone()
        return "another process" if row is None else str(row[0])

    def still_claimed(self) -> None:
        if self._claims is None:
            return
        try:
            self._claims.execute("SELECT 1")
        except self._psycopg.Error:
            raise StateError(
                f"lost the connection to {self.where} that held this run's claims on its outputs; "
                "what was committed stays: run the same command again"
            ) from None

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        with self.transaction():
            self.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield

    def close(self) -> None:
        self._db.close()
        if self._claims is not None:
            with contextlib.suppress(self._psycopg.Error):
                self._claims.rollback()  # the claims end here
                self._claims.execute("DELETE FROM claimants WHERE backend = pg_backend_pid()")
                self._claims.commit()
            self._claims.close()
            self._claims = None
