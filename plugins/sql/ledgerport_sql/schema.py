"""The tables, their upserts, and the migrations that create and evolve them, for either dialect."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs

from .dialect import Dialect

__all__ = ["ENTRIES", "LOTS", "MIGRATIONS", "POSTINGS", "SCHEMA_VERSION", "TRANSACTIONS", "Column", "Table"]


@attrs.frozen
class Column:
    name: str
    logical: str
    nullable: bool = False


@attrs.frozen
class Table:
    """A table with a primary key on the source's own ids, so writing a row again updates it in place."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    references: str = ""

    def create(self, dialect: Dialect) -> str:
        lines = [f"{c.name} {dialect.types[c.logical]}{'' if c.nullable else ' NOT NULL'}" for c in self.columns]
        lines.append(f"PRIMARY KEY ({', '.join(self.key)})")
        if self.references:
            lines.append(self.references)
        return f"CREATE TABLE {self.name} (\n    " + ",\n    ".join(lines) + "\n)"

    def upsert(self, dialect: Dialect) -> str:
        names = [c.name for c in self.columns]
        updates = ", ".join(f"{n} = excluded.{n}" for n in names if n not in self.key)
        return (
            f"INSERT INTO {self.name} ({', '.join(names)}) VALUES ({', '.join([dialect.param] * len(names))}) "
            f"ON CONFLICT ({', '.join(self.key)}) DO UPDATE SET {updates}"
        )

    def params(self, dialect: Dialect, row: Sequence[Any]) -> tuple[Any, ...]:
        """The row as the driver takes it; called for every row, so the adapters are looked up once."""
        adapters = _ADAPTERS.get((self.name, dialect.name))
        if adapters is None:
            adapters = _ADAPTERS[(self.name, dialect.name)] = tuple(dialect.adapt.get(c.logical) for c in self.columns)
        return tuple(v if f is None or v is None else f(v) for f, v in zip(adapters, row, strict=True))


_ADAPTERS: dict[tuple[str, str], tuple[Callable[[Any], Any] | None, ...]] = {}

ENTRIES = Table(
    "entries",
    (
        Column("source", "text"),
        Column("account", "text"),
        Column("entry_id", "text"),
        Column("timestamp", "instant"),
        Column("asset", "text"),
        Column("amount", "decimal"),
        Column("fee", "decimal"),
        Column("balance", "decimal", nullable=True),
        Column("kind", "text"),
        Column("category", "text"),
        Column("sub_account", "text"),
        Column("group_id", "text"),
        Column("description", "text"),
        Column("tags", "text"),
        Column("txn_id", "text", nullable=True),
        Column("raw", "text", nullable=True),
    ),
    key=("source", "account", "entry_id"),
)
TRANSACTIONS = Table(
    "transactions",
    (
        Column("txn_id", "text"),
        Column("source", "text"),
        Column("account", "text"),
        Column("timestamp", "instant"),
        Column("date", "date"),
        Column("kind", "text"),
        Column("description", "text"),
    ),
    key=("txn_id",),
)
POSTINGS = Table(
    "postings",
    (
        Column("txn_id", "text"),
        Column("line", "int"),
        Column("account", "text"),
        Column("commodity", "text"),
        Column("quantity", "decimal"),
        Column("price", "decimal", nullable=True),
        Column("price_commodity", "text", nullable=True),
        Column("balance", "decimal", nullable=True),
        # version 2: set when the books are kept at cost (`--cost-basis`), null otherwise
        Column("cost", "decimal", nullable=True),
        Column("cost_currency", "text", nullable=True),
        Column("value", "decimal", nullable=True),
        Column("gain", "decimal", nullable=True),
        Column("lot_ids", "text", nullable=True),
    ),
    key=("txn_id", "line"),
    references="FOREIGN KEY (txn_id) REFERENCES transactions (txn_id)",
)
_POSTINGS_V1 = attrs.evolve(POSTINGS, columns=POSTINGS.columns[:8])
LOTS = Table(
    "lots",
    (
        Column("source", "text"),
        Column("account", "text"),
        Column("line", "int"),
        Column("holding", "text"),
        Column("asset", "text"),
        Column("quantity", "decimal"),
        Column("acquired", "instant"),
        Column("cost", "decimal"),
        Column("cost_currency", "text"),
        Column("lot_id", "text"),
        Column("in_transit", "bool"),
    ),
    key=("source", "account", "line"),
)

SCHEMA_VERSION = "schema_version"


def _version_1(dialect: Dialect) -> list[str]:
    return [
        *(table.create(dialect) for table in (ENTRIES, TRANSACTIONS, _POSTINGS_V1)),
        "CREATE INDEX entries_by_time ON entries (timestamp)",
        "CREATE INDEX entries_by_txn ON entries (txn_id)",
        "CREATE INDEX transactions_by_time ON transactions (timestamp)",
        "CREATE INDEX postings_by_account ON postings (account, commodity)",
        "CREATE TABLE ledgerport_database (database_id TEXT PRIMARY KEY)",
    ]


def _version_2(dialect: Dialect) -> list[str]:
    """Cost basis: the postings' cost, value, gain and lots (null in rows written without), and the open lots."""
    added = [c for c in POSTINGS.columns if c not in _POSTINGS_V1.columns]
    return [
        *(f"ALTER TABLE postings ADD COLUMN {c.name} {dialect.types[c.logical]}" for c in added),
        LOTS.create(dialect),
        "CREATE INDEX lots_by_asset ON lots (asset, holding)",
    ]


MIGRATIONS: tuple[Callable[[Dialect], list[str]], ...] = (_version_1, _version_2)
"""Migration N (from 1) brings the schema from version N-1 to N; only ever append to this list."""
