"""The sql sink with cost basis on: cost, value, gain and lots on every posting, and a `lots` table replaced in
the window's own database transaction, on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import psycopg
import pytest
from ledgerport_sql import SqlSink, parse_target
from ledgerport_sql.dialect import SQLITE
from ledgerport_sql.schema import MIGRATIONS

from ledgerport import LotSettings, RunInfo, SinkType, exact
from ledgerport.books import Chart, CostBooks, JournalBuilder, OpenLot
from ledgerport.model.entry import Entry
from ledgerport.testing import run_sink, sample_entries, sample_opening_lots, sample_prices

SINK = SinkType(name="sql", description="", open=SqlSink)
METHODS = ["fifo", "lifo", "hifo", "average"]
GAINS = "Income:Realized-Gains"
LOTS = "SELECT holding, asset, quantity, acquired, cost, cost_currency, lot_id, in_transit FROM lots ORDER BY line"


def query(target: str, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    parsed = parse_target(target)
    if parsed.dialect == "sqlite":
        with contextlib.closing(sqlite3.connect(parsed.where)) as connection:
            return connection.execute(sql.replace("%s", "?"), params).fetchall()
    with psycopg.connect(parsed.where) as connection:
        return connection.execute(sql, params).fetchall()


def decimal(value: Any) -> Decimal | None:
    """SQLite hands back the TEXT the sink wrote, PostgreSQL a Decimal from NUMERIC: both exact."""
    if value is None:
        return None
    assert isinstance(value, str | Decimal), f"{value!r} is not exact"
    return Decimal(value)


def lots_as_read(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows of the lots table as Python values, whichever database they came from."""
    return [
        (
            holding,
            asset,
            decimal(quantity),
            acquired if isinstance(acquired, datetime) else datetime.fromisoformat(acquired),
            decimal(cost),
            currency,
            lot_id,
            bool(in_transit),
        )
        for holding, asset, quantity, acquired, cost, currency, lot_id, in_transit in rows
    ]


def expected(lots: Sequence[OpenLot]) -> list[tuple[Any, ...]]:
    return [(x.holding, x.asset, x.quantity, x.acquired, x.cost, "USD", x.lot_id, x.in_transit) for x in lots]


def costed_run(target: str, settings: LotSettings, entries: list[Entry] | None = None) -> Any:
    entries = entries or sample_entries()
    return run_sink(
        SINK,
        target,  # type: ignore[arg-type]
        entries,
        prices=sample_prices(),
        cost_basis=settings,
        opening=sample_opening_lots(),
    )


def core_books(settings: LotSettings, entries: list[Entry]) -> tuple[CostBooks, list[Any]]:
    chart = Chart()
    books = CostBooks(settings, sample_prices(), chart, "Demo", opening=sample_opening_lots())
    return books, books.cost(entries, JournalBuilder(chart, "Demo").build(entries))


@pytest.mark.parametrize("pool", ["wallet", "universal"])
@pytest.mark.parametrize("method", METHODS)
def test_gains_costs_and_lots_are_the_cores(target: str, method: str, pool: str) -> None:
    settings = LotSettings(method=method, pool=pool)  # type: ignore[arg-type]
    costed_run(target, settings)
    books, transactions = core_books(settings, sample_entries())
    rows = query(target, "SELECT account, commodity, quantity, cost, cost_currency, gain FROM postings")
    where = (lambda holding: "") if pool == "universal" else (lambda holding: holding)
    with exact():
        gains = sum((decimal(r[5]) or Decimal(0) for r in rows), Decimal(0))
        core = -sum((p.quantity for t in transactions for p in t.postings if p.account == GAINS), Decimal(0))
        assert gains == core
        carried: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for account, commodity, _, cost, currency, _ in rows:
            if cost is not None:
                assert currency == "USD"
                carried[(where(account), commodity)] += decimal(cost) or Decimal(0)
        held: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for lot in books.open_lots():
            held[(where(lot.holding), lot.asset)] += lot.cost
    assert {k: v for k, v in carried.items() if v} == {k: v for k, v in held.items() if v}
    assert lots_as_read(query(target, LOTS)) == expected(books.open_lots())
    assert query(target, "SELECT DISTINCT source, account FROM lots") == [("demo", "main")]


def test_each_posting_carries_its_cost_value_gain_and_lots(target: str) -> None:
    costed_run(target, LotSettings(method="fifo"))
    _, transactions = core_books(LotSettings(method="fifo"), sample_entries())
    rows = query(target, "SELECT txn_id, line, cost, cost_currency, value, gain, lot_ids FROM postings")
    found = {(r[0], r[1]): (decimal(r[2]), r[3], decimal(r[4]), decimal(r[5]), r[6]) for r in rows}
    want = {
        (t.txn_id, line): (
            p.cost,
            p.cost_commodity,
            p.value,
            p.gain,
            ",".join(p.lot_ids) if p.cost is not None else None,
        )
        for t in transactions
        for line, p in enumerate(t.postings, start=1)
    }
    assert found == want
    assert found[("demo:main:e04", 1)] == (Decimal("-4000.00"), "USD", Decimal("4000.00"), Decimal("0.00"), "e01")


def test_without_cost_basis_the_cost_columns_are_null_and_there_are_no_lots(target: str) -> None:
    run_sink(SINK, target, sample_entries(), prices=sample_prices())  # type: ignore[arg-type]
    assert query(target, "SELECT COUNT(*) FROM postings WHERE cost IS NOT NULL OR lot_ids IS NOT NULL") == [(0,)]
    assert query(target, "SELECT COUNT(*) FROM lots") == [(0,)]


def _run(settings: LotSettings) -> RunInfo:
    first = min(e.timestamp.date() for e in sample_entries())
    return RunInfo(
        source="demo",
        source_title="Demo",
        account="main",
        since=datetime.combine(first, datetime.min.time(), UTC),
        until=datetime.combine(first + timedelta(days=2), datetime.min.time(), UTC),
        prices=sample_prices(),
        cost_basis=settings,
    )


def test_a_crash_or_a_window_written_again_neither_duplicates_nor_loses_lots(target: str) -> None:
    settings = LotSettings(method="fifo")
    entries = sample_entries()
    day = min(e.timestamp.date() for e in entries)
    first = [e for e in entries if e.timestamp.date() == day]
    second = [e for e in entries if e.timestamp.date() != day]
    checkpoint = costed_run(target, settings, first)
    after_first = query(target, LOTS)
    books, _ = core_books(settings, first)
    assert lots_as_read(after_first) == expected(books.open_lots())
    state, chart = books.state(), Chart()

    def second_window() -> tuple[SqlSink, CostBooks]:
        sink = SqlSink(target, _run(settings), None, checkpoint)
        books = CostBooks(settings, sample_prices(), chart, "Demo", opening=sample_opening_lots(), state=state)
        sink.write_entries(second)
        sink.write_transactions(books.cost(second, JournalBuilder(chart, "Demo").build(second)))
        sink.write_lots(books.open_lots())
        return sink, books

    sink, _ = second_window()
    sink.close()  # died before its commit: the window's lots roll back with its rows
    assert query(target, LOTS) == after_first
    for _ in range(2):  # committed, then written again after a crash before the state recorded it
        sink, books = second_window()
        sink.commit()
        sink.close()
        assert lots_as_read(query(target, LOTS)) == expected(books.open_lots())
    full, _ = core_books(settings, entries)
    assert lots_as_read(query(target, LOTS)) == expected(full.open_lots())
    assert query(target, "SELECT COUNT(*) FROM lots") == [(len(full.open_lots()),)]


def test_another_accounts_lots_are_left_alone(target: str) -> None:
    costed_run(target, LotSettings(method="fifo"))
    others = [attrs.evolve(e, account="other") for e in sample_entries()]
    costed_run(target, LotSettings(method="lifo"), others)
    counts = dict(query(target, "SELECT account, COUNT(*) FROM lots GROUP BY account"))
    assert counts == {"main": len(core_books(LotSettings(), sample_entries())[0].open_lots()), "other": counts["other"]}
    assert counts["other"] > 0


def test_a_version_1_database_is_migrated_and_keeps_its_rows(tmp_path: Any) -> None:
    path = tmp_path / "old.db"
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
        for statement in MIGRATIONS[0](SQLITE):
            connection.execute(statement)
        connection.execute("INSERT INTO schema_version VALUES (1, '2024-01-01T00:00:00+00:00')")
        connection.execute("INSERT INTO ledgerport_database VALUES ('feed')")
        connection.execute("INSERT INTO transactions VALUES ('t', 's', 'a', 'x', 'd', 'trade', 'old')")
        connection.execute("INSERT INTO postings VALUES ('t', 1, 'Assets:X', 'BTC', '1', NULL, NULL, NULL)")
    target = f"sqlite:///{path}"
    SqlSink(target, None, None, {"database_id": "feed"}).close()  # type: ignore[arg-type]
    assert query(target, "SELECT version FROM schema_version ORDER BY version") == [(1,), (2,)]
    assert query(target, "SELECT account, quantity, cost, lot_ids FROM postings") == [("Assets:X", "1", None, None)]
    costed_run(target, LotSettings())
    assert query(target, "SELECT COUNT(*) FROM lots")[0][0] > 0
