"""Issue 9's "done when": two months of the KuCoin sandbox into the postings, sql and koinly sinks.

Every entry is in the database exactly once, also after an identical second run and after a run
whose state file is gone (refused until --fresh, then the sql sink upserts); the holdings' postings
add up to the ledger's exact signed sum in the CSV file and in the database; the Koinly file has one row per economic
event, and its amounts add up to the ledger too. The same sql sink against a real PostgreSQL.
"""

from __future__ import annotations

import contextlib
import csv
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from ledgerport_kucoin.mapping import counter_of, kind_of, parse_context
from ledgerport_kucoin.sandbox import KucoinSandbox
from ledgerport_sql.testing import create_database, require_postgres

import ledgerport
from ledgerport import exact

SINCE = datetime(2024, 1, 1, tzinfo=UTC)
UNTIL = datetime(2024, 3, 1, tzinfo=UTC)
PLUGINS = {"LEDGERPORT_PLUGINS": "kucoin,postings,sql,taxtools"}
HOLDINGS = "Assets:KuCoin:"
OWN = tuple(f"{HOLDINGS}{name}" for name in ("Staking", "Earn", "Lending", "Voting"))
"""KuCoin's sub-accounts without a ledger: the books keep what the ledgers' rows moved there."""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[tuple[KucoinSandbox, str]]:
    sandbox = KucoinSandbox(seed=11, start=SINCE, days=60, per_day=30, rate_limit=None)  # pacing is tested elsewhere
    with sandbox.serve() as server:
        yield sandbox, server.url


def sync(
    sandbox: tuple[KucoinSandbox, str], sinks: list[str], state: Path, fresh: bool = False
) -> ledgerport.SyncReport:
    exchange, url = sandbox
    request = ledgerport.SyncRequest(
        source="kucoin", since=SINCE, until=UNTIL, base_url=url, sinks=sinks, state=state, fresh=fresh
    )
    return ledgerport.sync(request, registry=ledgerport.Registry.load(env=PLUGINS), env=exchange.credentials.env())


@pytest.fixture(scope="module")
def truth(sandbox: tuple[KucoinSandbox, str]) -> list[dict[str, Any]]:
    return sandbox[0].expected(SINCE, UNTIL)


def signed_sums(rows: list[dict[str, Any]]) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    with exact():
        for row in rows:
            amount = Decimal(row["amount"])
            sums[row["currency"]] += amount if row["direction"] == "in" else -amount
    return dict(sums)


def kept_in_own(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows that move coins between the owner's own sub-accounts, one of which has no ledger."""
    return [r for r in rows if counter_of(r["bizType"], kind_of(r["bizType"]))]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


@pytest.fixture(scope="module")
def books(sandbox: tuple[KucoinSandbox, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three runs into the same outputs: a first, an identical second, and one without the state file."""
    out = tmp_path_factory.mktemp("data-sinks")
    sinks = [f"postings:{out / 'p.csv'}", f"sql:sqlite:///{out / 'k.db'}", f"koinly:{out / 'k-koinly.csv'}"]
    state = out / "state.db"
    first = sync(sandbox, sinks, state)
    assert first.entries > 1000
    files = {name: (out / name).read_bytes() for name in ("p.csv", "k-koinly.csv")}
    assert sync(sandbox, sinks, state).entries == 0, "a second identical run has nothing to fetch"
    assert {name: (out / name).read_bytes() for name in files} == files
    state.unlink()
    with pytest.raises(ledgerport.StateError, match=r"p\.csv already exists .* the state has no record of writing it"):
        sync(sandbox, sinks, state)  # files the (new) state did not create are never overwritten
    assert {name: (out / name).read_bytes() for name in files} == files
    assert sync(sandbox, sinks, state, fresh=True).entries == first.entries
    assert {name: (out / name).read_bytes() for name in files} == files, "outputs start over and come out the same"
    return out


def sqlite_rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return connection.execute(sql).fetchall()


def test_the_database_holds_every_entry_exactly_once(books: Path, truth: list[dict[str, Any]]) -> None:
    ids = [row[0] for row in sqlite_rows(books / "k.db", "SELECT entry_id FROM entries")]
    assert len(ids) == len(truth)
    assert set(ids) == {row["id"] for row in truth}


def test_holdings_in_the_postings_file_and_the_database_sum_to_the_ledger(
    books: Path, truth: list[dict[str, Any]]
) -> None:
    expected = signed_sums(truth)
    in_file: dict[str, Decimal] = defaultdict(Decimal)
    in_db: dict[str, Decimal] = defaultdict(Decimal)
    with exact():
        for row in read_csv(books / "p.csv"):
            if row["account"].startswith(HOLDINGS) and not row["account"].startswith(OWN):
                in_file[row["commodity"]] += Decimal(row["quantity"])
        for account, commodity, quantity in sqlite_rows(
            books / "k.db", f"SELECT account, commodity, quantity FROM postings WHERE account LIKE '{HOLDINGS}%'"
        ):
            if not account.startswith(OWN):
                in_db[commodity] += Decimal(quantity)
    assert dict(in_file) == expected
    assert dict(in_db) == expected
    assert "1INCH" in expected


def test_the_koinly_file_has_one_row_per_economic_event_with_exact_amounts(
    books: Path, truth: list[dict[str, Any]]
) -> None:
    rows = read_csv(books / "k-koinly.csv")
    internal = {
        txn_id
        for (txn_id,) in sqlite_rows(
            books / "k.db",
            f"SELECT txn_id FROM postings GROUP BY txn_id HAVING MIN(account LIKE '{HOLDINGS}%') = 1",
        )
    }
    events = {txn_id for (txn_id,) in sqlite_rows(books / "k.db", "SELECT txn_id FROM transactions")}
    assert internal, "the sandbox funds its sub-accounts with paired transfers"
    assert sorted(row["Description"].rsplit("[", 1)[1].rstrip("]") for row in rows) == sorted(events - internal)
    net: dict[str, Decimal] = defaultdict(Decimal)
    with exact():
        for row in rows:
            for column, sign in (("Received", 1), ("Sent", -1), ("Fee", -1)):
                if row[f"{column} Amount"]:
                    net[row[f"{column} Currency"]] += sign * Decimal(row[f"{column} Amount"])
    assert kept_in_own(truth), "the sandbox stakes, subscribes to Earn and lends coins out"
    assert dict(net) == signed_sums([r for r in truth if r not in kept_in_own(truth)])  # Koinly: one wallet
    fills = {
        parse_context(r["context"]).get("tradeId") or parse_context(r["context"])["orderId"]
        for r in truth
        if "symbol" in parse_context(r["context"])
    }
    assert sum(1 for row in rows if row["Sent Amount"] and row["Received Amount"]) == len(fills)
    chain = {parse_context(r["context"]).get("txId") for r in truth} - {None}
    assert {row["TxHash"] for row in rows if row["TxHash"]} == chain


@pytest.mark.postgres
def test_the_sql_sink_against_postgresql(
    sandbox: tuple[KucoinSandbox, str], truth: list[dict[str, Any]], tmp_path: Path
) -> None:
    with contextlib.ExitStack() as stack:
        url = create_database(require_postgres(stack), "kucoin_books")
        state = tmp_path / "state.db"
        sync(sandbox, [f"sql:{url}"], state)
        state.unlink()
        sync(sandbox, [f"sql:{url}"], state)
        with psycopg.connect(url) as connection:
            (count,) = connection.execute("SELECT COUNT(*) FROM entries").fetchone()  # type: ignore[misc]
            entry_sums = dict(connection.execute("SELECT asset, SUM(amount) FROM entries GROUP BY asset").fetchall())
            holdings = dict(
                connection.execute(
                    "SELECT commodity, SUM(quantity) FROM postings WHERE account LIKE %s AND NOT account = ANY(%s) "
                    "GROUP BY commodity",
                    (HOLDINGS + "%", list(OWN)),
                ).fetchall()
            )
    assert count == len(truth)
    assert entry_sums == holdings == signed_sums(truth)
