"""The postings sink with cost basis on: cost, value, gain and lots per posting, and the open lots in a file
beside the output that is replaced at each commit and put back at a checkpoint after a crash."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from ledgerport_postings import LOT_COLUMNS, PostingsSink, lot_rows, lots_path

from ledgerport import ConfigError, LotSettings, Posting, RunInfo, SinkType, StateError, exact
from ledgerport.books import Chart, CostBooks, JournalBuilder
from ledgerport.model.entry import Entry
from ledgerport.sdk.outputfile import pending_path, staging_path
from ledgerport.testing import assert_golden, run_sink, sample_entries, sample_opening_lots, sample_prices

GOLDEN = Path(__file__).parent / "golden"
SINK = SinkType(name="postings", description="", open=PostingsSink)
METHODS = ["fifo", "lifo", "hifo", "average"]
GAINS = "Income:Realized-Gains"


def read_csv(path: Path | str) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def read_jsonl(path: Path | str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


def costed_run(path: Path, settings: LotSettings, entries: list[Entry] | None = None) -> Any:
    return run_sink(
        SINK,
        path,
        entries or sample_entries(),
        prices=sample_prices(),
        cost_basis=settings,
        opening=sample_opening_lots(),
    )


def core_books(settings: LotSettings, entries: list[Entry] | None = None) -> tuple[CostBooks, list[Any]]:
    """What the core books on the same entries in one pass: the figures the file must carry."""
    entries = entries or sample_entries()
    chart = Chart()
    books = CostBooks(settings, sample_prices(), chart, "Demo", opening=sample_opening_lots())
    return books, books.cost(entries, JournalBuilder(chart, "Demo").build(entries))


def core_gains(transactions: list[Any]) -> Decimal:
    return -sum((p.quantity for t in transactions for p in t.postings if p.account == GAINS), Decimal(0))


def expected_lots(books: CostBooks) -> list[dict[str, str]]:
    """The core's open lots as the CSV lots file spells them."""
    return [
        {c: ("true" if v else "false") if isinstance(v, bool) else v for c, v in zip(LOT_COLUMNS, row, strict=True)}
        for row in ([getattr(r, c) for c in LOT_COLUMNS] for r in lot_rows(books.open_lots(), "USD"))
    ]


def day_windows() -> tuple[list[Entry], list[Entry]]:
    entries = sample_entries()
    first = min(e.timestamp.date() for e in entries)
    return [e for e in entries if e.timestamp.date() == first], [e for e in entries if e.timestamp.date() != first]


@pytest.mark.parametrize("pool", ["wallet", "universal"])
@pytest.mark.parametrize("method", METHODS)
def test_gains_costs_and_lots_are_the_cores(tmp_path: Path, method: str, pool: str) -> None:
    settings = LotSettings(method=method, pool=pool)  # type: ignore[arg-type]
    path = tmp_path / "p.csv"
    costed_run(path, settings)
    books, transactions = core_books(settings)
    rows = read_csv(path)
    where = (lambda holding: "") if pool == "universal" else (lambda holding: holding)
    with exact():
        gains = sum((Decimal(r["gain"]) for r in rows if r["gain"]), Decimal(0))
        assert gains == core_gains(transactions)
        assert gains == -sum((Decimal(r["quantity"]) for r in rows if r["account"] == GAINS), Decimal(0))
        carried: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for row in rows:
            if row["cost"]:
                assert row["cost_currency"] == "USD"
                carried[(where(row["account"]), row["commodity"])] += Decimal(row["cost"])
        held: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for lot in books.open_lots():
            held[(where(lot.holding), lot.asset)] += lot.cost
    assert {k: v for k, v in carried.items() if v} == {k: v for k, v in held.items() if v}
    assert read_csv(lots_path(str(path))) == expected_lots(books)


@pytest.mark.parametrize("method", METHODS)
def test_every_transaction_balances_in_the_home_currency(tmp_path: Path, method: str) -> None:
    path = tmp_path / "p.jsonl"
    costed_run(path, LotSettings(method=method))  # type: ignore[arg-type]
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    with exact():
        for row in read_jsonl(path):
            posting = Posting(
                account=row["account"],
                commodity=row["commodity"],
                quantity=Decimal(row["quantity"]),
                price=None if row["price"] is None else Decimal(row["price"]),
                price_commodity=row["price_commodity"],
                cost=None if row["cost"] is None else Decimal(row["cost"]),
                cost_commodity=row["cost_currency"],
            )
            commodity, amount = posting.weight
            totals[row["txn_id"]][commodity] += amount
    assert {txn: {c: t for c, t in sums.items() if t} for txn, sums in totals.items()} == {txn: {} for txn in totals}
    assert all(set(sums) <= {"USD"} for sums in totals.values())


@pytest.mark.parametrize("name", ["cost-fifo.csv", "cost-fifo.jsonl"])
def test_fifo_matches_the_golden_files(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    costed_run(path, LotSettings(method="fifo"))
    assert_golden(path, GOLDEN / name)
    lots = lots_path(name)
    assert_golden(tmp_path / lots, GOLDEN / lots)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, lots]), "no temporary file is left behind"


def test_csv_and_jsonl_carry_the_same_costs_and_lots(tmp_path: Path) -> None:
    settings = LotSettings(method="hifo")
    costed_run(tmp_path / "p.csv", settings)
    costed_run(tmp_path / "p.jsonl", settings)

    def as_csv(lines: list[dict[str, Any]]) -> list[dict[str, str]]:
        return [
            {
                k: ",".join(v)
                if isinstance(v, list)
                else ("true" if v else "false")
                if isinstance(v, bool)
                else ""
                if v is None
                else v
                for k, v in line.items()
            }
            for line in lines
        ]

    assert as_csv(read_jsonl(tmp_path / "p.jsonl")) == read_csv(tmp_path / "p.csv")
    assert as_csv(read_jsonl(tmp_path / "p.lots.jsonl")) == read_csv(tmp_path / "p.lots.csv")


def test_without_cost_basis_there_are_no_cost_columns_and_no_lots_file(tmp_path: Path) -> None:
    run_sink(SINK, tmp_path / "p.csv", sample_entries(), prices=sample_prices())
    assert_golden(tmp_path / "p.csv", GOLDEN / "sample.csv")
    assert [p.name for p in tmp_path.iterdir()] == ["p.csv"]


def _run(settings: LotSettings, entries: list[Entry], *, replace: bool = False) -> RunInfo:
    first = min(e.timestamp.date() for e in entries)
    return RunInfo(
        source="demo",
        source_title="Demo",
        account="main",
        since=datetime.combine(first, datetime.min.time(), UTC),
        until=datetime.combine(first + timedelta(days=2), datetime.min.time(), UTC),
        prices=sample_prices(),
        cost_basis=settings,
        replace=replace,
    )


def test_a_crash_after_a_commit_the_state_never_recorded_puts_back_the_last_committed_lots(tmp_path: Path) -> None:
    settings = LotSettings(method="fifo")
    path, lots = tmp_path / "p.csv", Path(lots_path(str(tmp_path / "p.csv")))
    first, second = day_windows()
    checkpoint = costed_run(path, settings, first)
    committed, committed_lots = path.read_text(), lots.read_text()
    chart = Chart()
    books = CostBooks(settings, sample_prices(), chart, "Demo", opening=sample_opening_lots())
    books.cost(first, JournalBuilder(chart, "Demo").build(first))
    state = books.state()
    run = _run(settings, sample_entries())

    def second_window() -> Any:
        sink = PostingsSink(str(path), run, None, checkpoint)
        books = CostBooks(settings, sample_prices(), chart, "Demo", opening=sample_opening_lots(), state=state)
        sink.write_transactions(books.cost(second, JournalBuilder(chart, "Demo").build(second)))
        sink.write_lots(books.open_lots())
        return sink

    sink = second_window()
    sink.commit()  # durable, but the run dies before the state records this checkpoint ...
    sink.close()
    # ... leaving the pending record of that commit, which a clean close removes
    Path(pending_path(str(path))).write_bytes(path.read_bytes()[len(committed.encode()) :])
    assert lots.read_text() != committed_lots
    PostingsSink(str(path), run, None, checkpoint).close()
    assert (path.read_text(), lots.read_text()) == (committed, committed_lots)

    sink = second_window()
    sink.close()  # failed before its commit: the lots of the last commit stay
    assert (path.read_text(), lots.read_text()) == (committed, committed_lots)

    sink = second_window()
    sink.commit()
    sink.close()
    costed_run(tmp_path / "full.csv", settings)
    assert path.read_text() == (tmp_path / "full.csv").read_text()
    assert lots.read_text() == (tmp_path / "full.lots.csv").read_text()
    assert read_csv(lots) == expected_lots(core_books(settings)[0])


def test_the_lots_file_keeps_its_staging_name_until_a_commit_is_recorded(tmp_path: Path) -> None:
    settings = LotSettings(method="fifo")
    path = tmp_path / "p.csv"
    first, _ = day_windows()
    chart = Chart()
    books = CostBooks(settings, sample_prices(), chart, "Demo", opening=sample_opening_lots())
    sink = PostingsSink(str(path), _run(settings, first), None)
    sink.write_transactions(books.cost(first, JournalBuilder(chart, "Demo").build(first)))
    sink.write_lots(books.open_lots())
    sink.commit()
    lots = Path(lots_path(str(path)))
    assert not lots.exists() and Path(staging_path(str(lots))).exists()
    sink.close()
    assert lots.exists() and not Path(staging_path(str(lots))).exists()
    assert read_csv(lots) == expected_lots(books)


def test_a_lots_file_ledgerport_did_not_write_is_never_replaced_unless_fresh(tmp_path: Path) -> None:
    settings = LotSettings(method="fifo")
    path = tmp_path / "p.csv"
    lots = Path(lots_path(str(path)))
    lots.write_text("my own notes\n")
    with pytest.raises(StateError, match="--fresh"):
        PostingsSink(str(path), _run(settings, sample_entries()), None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.lots.csv"], "nothing is created for a refused target"
    assert lots.read_text() == "my own notes\n"
    sink = PostingsSink(str(path), _run(settings, sample_entries(), replace=True), None)
    sink.write_lots([])
    sink.commit()
    sink.close()
    assert lots.read_text() == ",".join(LOT_COLUMNS) + "\n"


def test_a_file_cannot_switch_cost_basis_mid_file(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    first, _ = day_windows()
    plain = run_sink(SINK, path, first, prices=sample_prices())
    with pytest.raises(StateError, match="without cost basis"):
        PostingsSink(str(path), _run(LotSettings(), sample_entries()), None, plain)
    costed = costed_run(tmp_path / "c.csv", LotSettings(), first)
    with pytest.raises(StateError, match="written at cost"):
        PostingsSink(str(tmp_path / "c.csv"), attrs.evolve(_run(LotSettings(), first), cost_basis=None), None, costed)


def test_standard_output_stays_refused_with_cost_basis_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The format follows the extension, so `-` has none; and a lots file needs a name to sit beside."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"\.csv \(CSV\) or \.jsonl"):
        PostingsSink("-", _run(LotSettings(), sample_entries()), None)
    assert not list(tmp_path.iterdir())
