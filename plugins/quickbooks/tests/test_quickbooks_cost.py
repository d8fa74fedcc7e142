"""Books at cost (issue 14): holdings per asset carried at the cost of their lots, realized gains on the
chart's gains account, and the period-end adjustment to fair value (`fair_value_at`), in IIF and QBO."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from ledgerport_quickbooks import IifSettings, IifSink, QboSink, Settings
from ledgerport_quickbooks.fairvalue import ADJUSTMENT
from ledgerport_quickbooks.numbers import default_prefix

from ledgerport import ConfigError, Entry, Kind, MissingPriceError, PluginError, RunInfo, SinkType
from ledgerport.books import (
    Chart,
    CostBooks,
    Disposal,
    JournalBuilder,
    LotBook,
    LotSettings,
    PriceBook,
    Rate,
)
from ledgerport.testing import (
    assert_golden,
    cost_basis_example,
    run_sink,
    sample_entries,
    sample_opening_lots,
    sample_prices,
)

GOLDEN = Path(__file__).parent / "golden"
SINKS = {
    "iif": SinkType(name="iif", description="", open=IifSink, settings=IifSettings),
    "qbo": SinkType(name="qbo", description="", open=QboSink, settings=Settings),
}
SUFFIX = {"iif": "iif", "qbo": "csv"}
P = default_prefix("demo", "main")
METHODS = ("fifo", "lifo", "hifo", "average")
GAINS = "Income:Realized-Gains"
UNREALIZED = "Income:Unrealized-Gains"
Journals = dict[str, list[tuple[str, Decimal, str]]]


@pytest.fixture(params=["iif", "qbo"])
def fmt(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def write(fmt: str, path: Path, method: str = "fifo", entries: list[Entry] | None = None, **kw: object) -> object:
    kw.setdefault("prices", sample_prices())
    kw.setdefault("opening", sample_opening_lots())
    kw.setdefault("settings", SINKS[fmt].settings())
    return run_sink(SINKS[fmt], path, entries or sample_entries(), cost_basis=LotSettings(method=method), **kw)  # type: ignore[arg-type]


def balances(journals: Journals) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for lines in journals.values():
        for account, amount, _ in lines:
            totals[account] += amount
    return dict(totals)


def open_lot_costs(method: str = "fifo", prices: PriceBook | None = None) -> dict[str, Decimal]:
    """The cost of the open lots of each holding and asset, from the core's own books of the sample ledger."""
    chart, entries = Chart(), sample_entries()
    books = CostBooks(
        LotSettings(method=method),  # type: ignore[arg-type]
        prices or sample_prices(),
        chart,
        "Demo",
        opening=sample_opening_lots(),
    )
    books.cost(entries, JournalBuilder(chart, "Demo").build(entries))
    lots: dict[str, Decimal] = defaultdict(Decimal)
    for lot in books.open_lots():
        assert not lot.in_transit
        lots[f"{lot.holding}:{lot.asset}"] += lot.cost
    return {a: v for a, v in lots.items() if v}


@pytest.mark.parametrize("method", METHODS)
def test_every_entry_at_cost_balances_and_fifo_matches_the_golden_file(
    method: str,
    fmt: str,
    tmp_path: Path,
    readers: dict[str, Callable[[Path], Journals]],
    balanced: Callable[[Journals], None],
) -> None:
    path = tmp_path / f"cost.{SUFFIX[fmt]}"
    write(fmt, path, method)
    journals = readers[fmt](path)
    balanced(journals)
    assert not [a for lines in journals.values() for a, _, _ in lines if a == "Expenses:Rounding"], (
        "no rounding at cost"
    )
    if method == "fifo":
        assert_golden(path, GOLDEN / f"cost-fifo.{SUFFIX[fmt]}")


@pytest.mark.parametrize("method", METHODS)
def test_the_realized_gains_are_the_lot_engines_to_the_cent(
    method: str, fmt: str, tmp_path: Path, readers: dict[str, Callable[[Path], Journals]]
) -> None:
    path = tmp_path / f"gains.{SUFFIX[fmt]}"
    write(fmt, path, method)
    engine = LotBook(
        LotSettings(method=method),  # type: ignore[arg-type]
        sample_prices(),
        opening=sample_opening_lots(),
        holding=lambda e: Chart().holding(e, "Demo"),
    )
    gains = sum((b.gain for b in engine.apply(sample_entries()) if isinstance(b, Disposal)), Decimal(0))
    assert gains  # the sample realizes gains and losses
    assert -balances(readers[fmt](path))[GAINS] == gains


@pytest.mark.parametrize("method", METHODS)
def test_each_assets_holding_is_carried_at_the_cost_of_its_open_lots(
    method: str, fmt: str, tmp_path: Path, readers: dict[str, Callable[[Path], Journals]]
) -> None:
    path = tmp_path / f"held.{SUFFIX[fmt]}"
    write(fmt, path, method)
    held = {a: v for a, v in balances(readers[fmt](path)).items() if a.startswith("Assets:") and v}
    assert held == open_lot_costs(method)
    assert held["Assets:Demo:Trade:BTC"] == Decimal("16000.00") and "Assets:Demo:Trade" not in held


def _entry(entry_id: str, day: int, sub: str, asset: str, amount: str, kind: Kind, group: str = "") -> Entry:
    return Entry(
        source="kucoin",
        account="default",
        entry_id=entry_id,
        timestamp=datetime(2024, 1, day, tzinfo=UTC),
        asset=asset,
        amount=Decimal(amount),
        kind=kind,
        sub_account=sub,
        group_id=group,
    )


def test_the_issues_example_books_both_btc_holdings_at_zero_usdt_at_45000_and_a_5000_gain(
    fmt: str, tmp_path: Path, readers: dict[str, Callable[[Path], Journals]], balanced: Callable[[Journals], None]
) -> None:
    entries, prices, opening = cost_basis_example()
    path = tmp_path / f"issue.{SUFFIX[fmt]}"
    write(fmt, path, entries=entries, prices=prices, opening=opening, source_title="KuCoin")
    journals = readers[fmt](path)
    balanced(journals)
    totals = balances(journals)
    assert totals == {
        "Assets:KuCoin:Main:BTC": Decimal("0.00"),
        "Assets:KuCoin:Trade:BTC": Decimal("0.00"),
        "Assets:KuCoin:Trade:USDT": Decimal("45000.00"),
        "Equity:KuCoin:External": Decimal("-40000.00"),
        GAINS: Decimal("-5000.00"),
    }
    # the transfer moves the lot at its cost, whatever BTC was worth that day
    (transfer,) = [lines for lines in journals.values() if any("entries t1,t2" in memo for _, _, memo in lines)]
    assert [(a, v) for a, v, _ in transfer] == [
        ("Assets:KuCoin:Main:BTC", Decimal("-40000.00")),
        ("Assets:KuCoin:Trade:BTC", Decimal("40000.00")),
    ]


def test_a_chart_that_names_the_asset_in_its_holdings_gets_no_second_asset_component(
    fmt: str, tmp_path: Path, readers: dict[str, Callable[[Path], Journals]]
) -> None:
    path = tmp_path / f"chart.{SUFFIX[fmt]}"
    write(fmt, path, chart=Chart(holdings="Assets:{source}:{sub_account}:{asset}"))
    held = {a for a in balances(readers[fmt](path)) if a.startswith("Assets:")}
    assert "Assets:Demo:Trade:Btc" in held and not [a for a in held if a.count(":") > 3]


def test_without_cost_basis_one_warning_says_postings_are_valued_at_market(
    fmt: str, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ledgerport_quickbooks.sink._warned", set())
    with caplog.at_level(logging.WARNING):
        run_sink(SINKS[fmt], tmp_path / f"m.{SUFFIX[fmt]}", sample_entries(), prices=sample_prices())
    warned = [r.getMessage() for r in caplog.records if "without --cost-basis" in r.getMessage()]
    assert warned == [
        f"{fmt}: without --cost-basis every posting is valued at market on its day: holdings are "
        "not carried at cost and no gain is realized"
    ]


# --- fair value at period end -------------------------------------------------------------------

DAY1, DAY2 = date(2024, 3, 1), date(2024, 3, 2)


def adjustments(journals: Journals) -> list[tuple[str, list[tuple[str, Decimal, str]]]]:
    return [(n, lines) for n, lines in journals.items() if any(ADJUSTMENT in a for a, _, _ in lines)]


def expected_adjustments(day: date, prices: PriceBook) -> dict[str, Decimal]:
    """Fair value − cost per holding, from the core's open lots after the entries up to `day`."""
    chart = Chart()
    entries = [e for e in sample_entries() if e.timestamp.date() <= day]
    books = CostBooks(LotSettings(), prices, chart, "Demo", opening=sample_opening_lots())
    books.cost(entries, JournalBuilder(chart, "Demo").build(entries))
    held: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for lot in books.open_lots():
        held[(lot.holding, lot.asset)][0] += lot.quantity
        held[(lot.holding, lot.asset)][1] += lot.cost
    return {
        f"{holding}:{asset}:{ADJUSTMENT}": change
        for (holding, asset), (quantity, cost) in held.items()
        if (change := prices.rate(asset, "USD", day).convert(quantity, 2) - cost)
    }


@pytest.mark.parametrize("day", [DAY1, DAY2], ids=["before-a-later-transaction", "at-the-end-of-the-run"])
def test_the_fair_value_adjustment_is_fair_value_less_cost_and_the_holdings_stay_at_cost(
    day: date,
    fmt: str,
    tmp_path: Path,
    readers: dict[str, Callable[[Path], Journals]],
    balanced: Callable[[Journals], None],
) -> None:
    prices = sample_prices()
    prices.add("BTC", "USD", DAY2, Rate(Decimal(41000)))  # BTC rises on day 2: the withdrawal gains too
    path = tmp_path / f"fv.{SUFFIX[fmt]}"
    settings = SINKS[fmt].settings(fair_value_at=day.isoformat())
    write(fmt, path, prices=prices, settings=settings)
    journals = readers[fmt](path)
    balanced(journals)
    ((number, lines),) = adjustments(journals)
    assert number == f"{P}{day:%y%m%d}{'008' if day == DAY1 else '007'}", "the day's last entry"
    assert all(a == UNREALIZED or a.endswith(f":{ADJUSTMENT}") for a, _, _ in lines)
    expected = expected_adjustments(day, prices)
    assert expected and {a: v for a, v, _ in lines if a != UNREALIZED} == expected
    assert balances({number: lines})[UNREALIZED] == -sum(expected.values())
    order = list(journals)
    where = order.index(number)
    assert all(n[2:8] <= f"{day:%y%m%d}" for n in order[:where]) and all(
        n[2:8] > f"{day:%y%m%d}" for n in order[where + 1 :]
    )
    if day == DAY2:
        assert order[-1] == number  # written at the end of a run whose range covers day 2
        assert expected["Assets:Demo:Main:BTC:Fair-Value-Adjustment"] == Decimal("299.90")
    # the holdings themselves are still at the cost of their open lots
    held = {a: v for a, v in balances(journals).items() if a.startswith("Assets:") and ADJUSTMENT not in a and v}
    assert held == open_lot_costs(prices=prices)


def run_info(prices: PriceBook, until: datetime) -> RunInfo:
    return RunInfo(
        source="demo",
        source_title="Demo",
        account="main",
        since=datetime(2024, 3, 1, tzinfo=UTC),
        until=until,
        prices=prices,
        cost_basis=LotSettings(),
    )


def reopen(fmt: str, path: Path, settings: Settings, checkpoint: object, until: datetime) -> object:
    """A run with nothing new to write: it commits and closes."""
    sink = SINKS[fmt].open(str(path), run_info(sample_prices(), until), settings, checkpoint)
    sink.write_transactions([])
    checkpoint = sink.commit()
    sink.close()
    return checkpoint


def test_the_adjustment_is_written_once_across_runs(
    fmt: str, tmp_path: Path, readers: dict[str, Callable[[Path], Journals]]
) -> None:
    settings = SINKS[fmt].settings(fair_value_at=DAY1.isoformat())
    # day 1 alone: the run covers the whole day, so the adjustment ends the file, past the last commit
    first = tmp_path / f"day1.{SUFFIX[fmt]}"
    checkpoint = write(
        fmt, first, entries=[e for e in sample_entries() if e.timestamp.date() == DAY1], settings=settings
    )
    after_day1 = first.read_text()
    assert len(adjustments(readers[fmt](first))) == 1
    # a run that reaches no further cuts that tail off and writes it anew: once, the same bytes
    reopen(fmt, first, settings, checkpoint, datetime(2024, 3, 2, tzinfo=UTC))
    assert first.read_text() == after_day1
    # both days, a run a day: the second cuts the first's tail off and writes it before its first
    # transaction, committed; later runs never write it again
    path = tmp_path / f"once.{SUFFIX[fmt]}"
    checkpoint = write(fmt, path, settings=settings)
    assert path.read_text().startswith(after_day1)
    assert len(adjustments(readers[fmt](path))) == 1
    whole = path.read_text()
    reopen(fmt, path, settings, checkpoint, datetime(2024, 3, 9, tzinfo=UTC))
    assert path.read_text() == whole


def test_fair_value_at_needs_cost_basis_and_a_day_the_file_has_not_passed(fmt: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="fair_value_at: expected a day as YYYY-MM-DD, not '1 March'"):
        SINKS[fmt].settings(fair_value_at="1 March")
    settings = SINKS[fmt].settings(fair_value_at=DAY1.isoformat())
    with pytest.raises(ConfigError, match="fair_value_at needs books at cost"):
        run_sink(SINKS[fmt], tmp_path / f"n.{SUFFIX[fmt]}", sample_entries(), prices=sample_prices(), settings=settings)
    path = tmp_path / f"late.{SUFFIX[fmt]}"
    checkpoint = write(fmt, path)
    before = path.read_text()
    run = run_info(sample_prices(), datetime(2024, 3, 4, tzinfo=UTC))
    with pytest.raises(
        PluginError, match=r"fair_value_at 2024-03-01 lies before what .* holds already \(up to 2024-03-02\)"
    ):
        SINKS[fmt].open(str(path), run, settings, checkpoint)
    assert path.read_text() == before


def test_a_missing_fair_value_price_stops_the_window_that_needs_it_and_is_only_logged_at_a_runs_end(
    fmt: str, tmp_path: Path, caplog: pytest.LogCaptureFixture, readers: dict[str, Callable[[Path], Journals]]
) -> None:
    late = date(2024, 3, 20)  # more than a week after the sample's last prices: none is found
    settings = SINKS[fmt].settings(fair_value_at=late.isoformat())
    path = tmp_path / f"p.{SUFFIX[fmt]}"
    checkpoint = write(fmt, path, settings=settings)
    committed = path.read_text()
    with caplog.at_level(logging.WARNING):
        reopen(fmt, path, settings, checkpoint, datetime(2024, 3, 21, tzinfo=UTC))
    assert path.read_text() == committed
    assert "the fair-value adjustment of 2024-03-20 is not written: no price for " in caplog.text
    later = Entry(
        source="demo",
        account="main",
        entry_id="e99",
        timestamp=datetime(2024, 3, 21, 12, tzinfo=UTC),
        asset="USD",
        amount=Decimal(5),
        kind=Kind.DEPOSIT,
        sub_account="MAIN",
    )
    (transaction,) = JournalBuilder(Chart(), "Demo").build([later])
    sink = SINKS[fmt].open(
        str(path), run_info(sample_prices(), datetime(2024, 3, 22, tzinfo=UTC)), settings, checkpoint
    )
    with pytest.raises(MissingPriceError, match="on 2024-03-20"):
        sink.write_transactions([transaction])
    sink.close()
    assert path.read_text() == committed, "nothing of the window is written"


def test_a_fair_value_day_before_the_files_range_is_logged_and_not_written(
    fmt: str, tmp_path: Path, caplog: pytest.LogCaptureFixture, readers: dict[str, Callable[[Path], Journals]]
) -> None:
    path = tmp_path / f"early.{SUFFIX[fmt]}"
    with caplog.at_level(logging.WARNING):
        write(fmt, path, settings=SINKS[fmt].settings(fair_value_at="2024-02-01"))
    assert not adjustments(readers[fmt](path))
    warned = [r for r in caplog.records if "fair_value_at 2024-02-01 is before the range" in r.getMessage()]
    assert len(warned) == 1, "once: the day is marked done"
