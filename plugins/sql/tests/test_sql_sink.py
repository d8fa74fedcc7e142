"""The sql sink against SQLite and a real PostgreSQL server: exact, time zone-aware, upserted, one transaction
a window."""

from __future__ import annotations

import contextlib
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from ledgerport_sql import SqlSink, parse_target
from ledgerport_sql.testing import create_database

from ledgerport import ConfigError, Entry, Posting, SinkType, StateError, exact
from ledgerport.testing import asset_sums, run_sink, sample_entries

SINK = SinkType(name="sql", description="", open=SqlSink)


def query(target: str, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    parsed = parse_target(target)
    if parsed.dialect == "sqlite":
        with contextlib.closing(sqlite3.connect(parsed.where)) as connection:
            return connection.execute(sql.replace("%s", "?"), params).fetchall()
    with psycopg.connect(parsed.where) as connection:
        return connection.execute(sql, params).fetchall()


def decimal(value: Any) -> Decimal:
    """SQLite hands back the TEXT the sink wrote, PostgreSQL a Decimal from NUMERIC: both exact."""
    assert isinstance(value, str | Decimal), f"{value!r} is not exact"
    return Decimal(value)


def instant(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def test_entries_round_trip_exactly_with_aware_timestamps(target: str) -> None:
    entries = sample_entries()
    run_sink(SINK, target, entries)  # type: ignore[arg-type]
    rows = query(
        target, "SELECT entry_id, timestamp, asset, amount, fee, balance, kind, txn_id FROM entries ORDER BY entry_id"
    )
    assert [r[0] for r in rows] == [e.entry_id for e in entries]
    for row, entry in zip(rows, entries, strict=True):
        assert instant(row[1]) == entry.timestamp and instant(row[1]).utcoffset() is not None
        assert (row[2], decimal(row[3]), decimal(row[4]), decimal(row[5]), row[6]) == (
            entry.asset,
            entry.amount,
            entry.fee,
            entry.balance,
            entry.kind.value,
        )
        assert str(decimal(row[3])) == str(entry.amount), "digits must survive as written"
    assert {r[0]: r[7] for r in rows}["e03"] == "demo:main:e02", "both legs of a transfer point at its transaction"


def test_holdings_sum_to_the_ledger_and_every_transaction_balances(target: str) -> None:
    run_sink(SINK, target, sample_entries())  # type: ignore[arg-type]
    sums: dict[str, Decimal] = defaultdict(Decimal)
    balance: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    with exact():
        for txn_id, account, commodity, quantity, price, price_commodity in query(
            target, "SELECT txn_id, account, commodity, quantity, price, price_commodity FROM postings"
        ):
            if account.startswith("Assets:Demo:"):
                sums[commodity] += decimal(quantity)
            posting = Posting(
                account=account,
                commodity=commodity,
                quantity=decimal(quantity),
                price=None if price is None else decimal(price),
                price_commodity=price_commodity,
            )
            weight_commodity, weight = posting.weight
            balance[txn_id][weight_commodity] += weight
    assert dict(sums) == asset_sums(sample_entries())
    assert len(balance) == 13
    assert all(not any(totals.values()) for totals in balance.values())


@pytest.mark.postgres
def test_postgresql_sums_exactly_in_sql(postgres: str) -> None:
    target = create_database(postgres, "exact_sums")
    run_sink(SINK, target, sample_entries())  # type: ignore[arg-type]
    sums = dict(query(target, "SELECT asset, SUM(amount) FROM entries GROUP BY asset"))
    assert sums == asset_sums(sample_entries())
    types = dict(
        query(target, "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'entries'")
    )
    assert (types["amount"], types["timestamp"]) == ("numeric", "timestamp with time zone")


def test_a_second_run_upserts_instead_of_duplicating(target: str) -> None:
    entries = sample_entries()
    checkpoint = run_sink(SINK, target, entries)  # type: ignore[arg-type]
    run_sink(SINK, target, entries)  # type: ignore[arg-type]
    run_sink(SINK, target, entries[5:])  # type: ignore[arg-type]
    counts = [query(target, f"SELECT COUNT(*) FROM {table}")[0][0] for table in ("entries", "transactions", "postings")]
    assert counts == [16, 13, 32]
    assert query(target, "SELECT version FROM schema_version ORDER BY version") == [(1,), (2,)]
    assert checkpoint == {"database_id": query(target, "SELECT database_id FROM ledgerport_database")[0][0]}


def test_a_window_not_committed_leaves_nothing(target: str) -> None:
    run_sink(SINK, target, sample_entries()[:3])  # type: ignore[arg-type]
    sink = SqlSink(target, None, None)  # type: ignore[arg-type]
    sink.write_entries(sample_entries()[3:])
    sink.close()
    assert query(target, "SELECT COUNT(*) FROM entries")[0][0] == 3


def test_a_checkpoint_of_another_database_is_refused(target: str) -> None:
    SqlSink(target, None, None).close()  # type: ignore[arg-type]
    with pytest.raises(StateError, match="--fresh"):
        SqlSink(target, None, None, {"database_id": "0" * 32})  # type: ignore[arg-type]


def test_a_newer_schema_is_refused(target: str) -> None:
    SqlSink(target, None, None).close()  # type: ignore[arg-type]
    parsed = parse_target(target)
    stamp = datetime.now(UTC).isoformat()
    if parsed.dialect == "sqlite":
        with contextlib.closing(sqlite3.connect(parsed.where)) as connection, connection:
            connection.execute("INSERT INTO schema_version VALUES (99, ?)", (stamp,))
    else:
        with psycopg.connect(parsed.where) as connection:
            connection.execute("INSERT INTO schema_version VALUES (99, %s)", (stamp,))
    with pytest.raises(StateError, match="schema version 99"):
        SqlSink(target, None, None)  # type: ignore[arg-type]


def test_raw_records_are_kept_as_json_with_exact_numbers(target: str) -> None:
    entry = Entry(
        source="x",
        account="a",
        entry_id="r1",
        timestamp=datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        asset="ETH",
        amount=Decimal("0.000000000000000001"),
        raw={"amount": Decimal("1E-18"), "context": '{"txId": "0xab"}'},
    )
    run_sink(SINK, target, [entry])  # type: ignore[arg-type]
    raw, stamp = query(target, "SELECT raw, timestamp FROM entries")[0]
    assert raw == '{"amount": "0.000000000000000001", "context": "{\\"txId\\": \\"0xab\\"}"}'
    assert instant(stamp) == entry.timestamp, "microseconds are kept"


@pytest.mark.parametrize(
    ("target", "dialect", "where"),
    [
        ("sqlite:///books.db", "sqlite", "books.db"),
        ("sqlite:////var/lib/books.db", "sqlite", "/var/lib/books.db"),
        ("postgresql://me@db.example:5432/books", "postgresql", "postgresql://me@db.example:5432/books"),
        ("postgres://me@db/books", "postgresql", "postgres://me@db/books"),
    ],
)
def test_targets(target: str, dialect: str, where: str) -> None:
    assert (parse_target(target).dialect, parse_target(target).where) == (dialect, where)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("postgresql://me:hunter22@db/books", "PGPASSWORD"),
        ("mysql://me@db/books", "expected sqlite:///PATH or postgresql://"),
        ("books.db", "expected sqlite:///PATH"),
        ("sqlite:///", "name a database file"),
    ],
)
def test_bad_targets_are_clear_errors_that_never_echo_a_password(target: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_target(target)
    assert "hunter22" not in str(caught.value)


def test_an_unreachable_server_is_a_config_error(tmp_path: Any) -> None:
    with pytest.raises(ConfigError, match="cannot connect to the PostgreSQL server"):
        SqlSink("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2", None, None)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="cannot open the sqlite database"):
        SqlSink(f"sqlite:///{tmp_path}/missing/dir/books.db", None, None)  # type: ignore[arg-type]
