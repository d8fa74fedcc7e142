"""The ledger sink's books at cost (`--cost-basis`), checked by hledger and ledger-cli themselves:
both accept the journal strictly, their realized gains are the lot engine's, and each holding's
cost (`bal -B`) is the cost of its open lots, to the cent."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from ledgerport_ledger import LedgerSink

from ledgerport import LotSettings, Posting, RunInfo, SinkType, Transaction
from ledgerport.books import Chart, Disposal, LotBook, OpeningLot, PriceBook, Rate
from ledgerport.model.entry import Entry, Kind
from ledgerport.testing import (
    assert_golden,
    cost_basis_example,
    hledger,
    ledger,
    run_sink,
    sample_entries,
    sample_opening_lots,
    sample_prices,
)

GOLDEN = Path(__file__).parent / "golden" / "cost-fifo-wallet.journal"
SINK = SinkType(name="ledger", description="", open=LedgerSink)
TITLE = "Demo"
GAINS = "Income:Realized-Gains"
SETTINGS = [
    LotSettings(method=method, pool=pool)  # type: ignore[arg-type]
    for method in ("fifo", "lifo", "hifo", "average")
    for pool in ("wallet", "universal")
]
_FINE_USD = re.compile(r"\d\.\d{3,} USD\b")


def _finer_than_cents(text: str) -> list[str]:
    """The lines, but the commodity declarations' display formats and the market prices (`P`: an
    annotation, not money posted), with a USD amount finer than a cent."""
    return [line for line in text.splitlines() if _FINE_USD.search(line) and not line.startswith(("    format ", "P "))]


def _describe(settings: LotSettings) -> str:
    return f"{settings.method}-{settings.pool}"


def _write(
    path: Path,
    settings: LotSettings,
    entries: list[Entry] | None = None,
    prices: PriceBook | None = None,
    opening: list[OpeningLot] | None = None,
) -> Path:
    run_sink(
        SINK,
        path,
        sample_entries() if entries is None else entries,
        prices=sample_prices() if prices is None else prices,
        cost_basis=settings,
        opening=sample_opening_lots() if opening is None else opening,
    )
    return path


def _engine_gains(settings: LotSettings, entries: list[Entry], prices: PriceBook, opening: list[OpeningLot]) -> Decimal:
    engine = LotBook(settings, prices, opening=opening, holding=lambda e: Chart().holding(e, TITLE))
    return sum((b.gain for b in engine.apply(entries) if isinstance(b, Disposal)), Decimal(0))


def _hledger_usd(path: Path, *query: str) -> dict[str, Decimal]:
    """Per account, hledger's balance at cost (`bal -B`) in USD."""
    out = hledger(path, "balance", "-B", "-O", "csv", "--layout=bare", "-N", *query)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert all(row["commodity"] in ("USD", "") for row in rows), out
    return {row["account"]: Decimal(row["balance"]) for row in rows}


def _ledger_usd(path: Path, *query: str) -> dict[str, Decimal]:
    """Per account, ledger's balance at cost (`bal -B`, its basis report) in USD."""
    out = ledger(
        path,
        "balance",
        "-B",
        "--flat",
        "--no-total",
        "--balance-format",
        "%(account)\t%(quantity(scrub(display_total)))\t%(commodity(scrub(display_total)))\n",
        *query,
    )
    result = {}
    for line in out.splitlines():
        account, quantity, commodity = line.split("\t")
        assert commodity == "USD", out
        result[account] = Decimal(quantity)
    return result


def _both_accept(path: Path) -> None:
    hledger(path, "check", "-s")
    ledger(path, "balance")


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    return _write(tmp_path / "fifo.journal", LotSettings(method="fifo"))


def test_fifo_wallet_books_match_the_golden_file(fifo: Path) -> None:
    _both_accept(fifo)
    assert_golden(fifo, GOLDEN)


@pytest.mark.parametrize("settings", SETTINGS, ids=_describe)
def test_both_tools_accept_the_books_at_cost_strictly(tmp_path: Path, settings: LotSettings) -> None:
    path = _write(tmp_path / "books.journal", settings)
    _both_accept(path)
    text = path.read_text()
    assert " @ " not in text, "costs are totals (@@), never a rounded unit cost"
    assert not _finer_than_cents(text), "every cost, proceeds and gain is in cents"


@pytest.mark.parametrize("settings", SETTINGS, ids=_describe)
def test_realized_gains_in_both_tools_are_the_lot_engines(tmp_path: Path, settings: LotSettings) -> None:
    path = _write(tmp_path / "books.journal", settings)
    gains = _engine_gains(settings, sample_entries(), sample_prices(), sample_opening_lots())
    assert gains, "the sample must realize some gain or loss"
    assert _hledger_usd(path, f"^{GAINS}$").get(GAINS, Decimal(0)) == -gains
    assert _ledger_usd(path, f"^{GAINS}$").get(GAINS, Decimal(0)) == -gains
    # the gain tags of the disposals add up to the same figure
    tagged = sum((Decimal(m) for m in re.findall(r"; gain: (-?[\d.]+) USD", path.read_text())), Decimal(0))
    assert tagged == gains


@pytest.mark.parametrize("method", ["fifo", "lifo", "hifo", "average"])
def test_each_holdings_cost_is_the_cost_of_its_open_lots(tmp_path: Path, method: str) -> None:
    settings = LotSettings(method=method)  # type: ignore[arg-type]
    path = _write(tmp_path / "books.journal", settings)
    engine = LotBook(
        settings, sample_prices(), opening=sample_opening_lots(), holding=lambda e: Chart().holding(e, TITLE)
    )
    engine.apply(sample_entries())
    per_holding: dict[str, Decimal] = defaultdict(Decimal)
    per_asset: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for lot in engine.open_lots():
        assert not lot.in_transit
        per_holding[lot.holding] += lot.cost
        per_asset[(lot.holding, lot.asset)] += lot.cost
    assert _hledger_usd(path, "^Assets:") == per_holding
    assert _ledger_usd(path, "^Assets:") == per_holding
    for (holding, asset), cost in per_asset.items():
        held = _hledger_usd(path, f"^{holding}$", f"cur:^{asset}$")
        assert held.get(holding, Decimal(0)) == cost, (holding, asset)


def _entry(entry_id: str, day: int, sub: str, asset: str, amount: str, kind: Kind, group: str = "") -> Entry:
    return Entry(
        source="demo",
        account="main",
        entry_id=entry_id,
        timestamp=datetime(2024, 1, day, 12, tzinfo=UTC),
        asset=asset,
        amount=Decimal(amount),
        kind=kind,
        sub_account=sub,
        group_id=group,
    )


def _opening(asset: str, quantity: str, cost: str) -> list[OpeningLot]:
    return [
        OpeningLot(
            acquired=datetime(2023, 6, 1, tzinfo=UTC),
            sub_account="MAIN",
            asset=asset,
            quantity=Decimal(quantity),
            cost=Decimal(cost),
        )
    ]


def test_the_issues_example_a_5000_gain_btc_at_zero_and_usdt_at_45000(tmp_path: Path) -> None:
    entries, prices, opening = cost_basis_example()
    path = _write(tmp_path / "example.journal", LotSettings(), entries, prices, opening)
    _both_accept(path)
    for report in (_hledger_usd, _ledger_usd):
        books = report(path)
        assert books[GAINS] == Decimal(-5000), report
        assert books.get("Assets:Demo:Main", Decimal(0)) == 0, report
        assert books["Assets:Demo:Trade"] == Decimal(45000), report
    btc = _hledger_usd(path, "^Assets:Demo:", "cur:^BTC$")
    assert btc.get("Assets:Demo:Main", Decimal(0)) == btc.get("Assets:Demo:Trade", Decimal(0)) == 0
    assert _hledger_usd(path, "^Assets:Demo:Trade$", "cur:^USDT$") == {"Assets:Demo:Trade": Decimal(45000)}
    text = path.read_text()
    assert "Assets:Demo:Trade  -1 BTC @@ 40000 USD" in text  # the opening lot's cost, as given
    assert "; proceeds: 45000.00 USD" in text
    assert "; gain: 5000.00 USD" in text
    assert f"{GAINS}  -5000.00 USD" in text


def test_a_unit_cost_that_does_not_terminate_balances_in_both_tools(tmp_path: Path) -> None:
    """3 BTC for 10000 USD is 3333.33... a unit: sold in parts, each part's total cost is in cents
    and the last takes the rest, so both tools balance every transaction to the cent."""
    entries = [_entry("d1", 1, "MAIN", "BTC", "3", Kind.DEPOSIT)]
    prices = PriceBook()
    for n, (sold, got) in enumerate((("0.5", "2000"), ("1", "3500.01"), ("1.5", "5999.99")), start=2):
        entries += [
            _entry(f"s{n}", n, "MAIN", "BTC", f"-{sold}", Kind.TRADE, f"o{n}"),
            _entry(f"u{n}", n, "MAIN", "USDT", got, Kind.TRADE, f"o{n}"),
        ]
        prices.add("USDT", "USD", date(2024, 1, n), Rate(Decimal(1)))
    opening = _opening("BTC", "3", "10000")
    for method in ("fifo", "average"):
        settings = LotSettings(method=method)  # type: ignore[arg-type]
        path = _write(tmp_path / f"{method}.journal", settings, entries, prices, opening)
        _both_accept(path)
        text = path.read_text()
        assert "-0.5 BTC @@ 1666.67 USD" in text
        assert not _finer_than_cents(text)
        gains = _engine_gains(settings, entries, prices, opening)
        assert gains == Decimal("1500.00")
        for report in (_hledger_usd, _ledger_usd):
            books = report(path)
            assert books[GAINS] == -gains
            assert books.get("Assets:Demo:Main", Decimal(0)) == Decimal("11500.00")  # the USDT, at cost
        assert _hledger_usd(path, "^Assets:Demo:Main$", "cur:^BTC$").get("Assets:Demo:Main", Decimal(0)) == 0


def _run(tmp_path: Path) -> RunInfo:
    return RunInfo(
        source="demo",
        source_title=TITLE,
        account="main",
        since=datetime(2024, 3, 1, tzinfo=UTC),
        until=datetime(2024, 3, 3, tzinfo=UTC),
        cost_basis=LotSettings(),
    )


def _transaction(txn_id: str, day: int, *postings: Posting) -> Transaction:
    transaction = Transaction(
        txn_id=txn_id,
        timestamp=datetime(2024, 3, 1, tzinfo=UTC) + timedelta(days=day),
        source="demo",
        account="main",
        kind=Kind.ADJUSTMENT,
        description="crafted",
        postings=postings,
        entry_ids=(txn_id,),
    )
    assert not transaction.imbalance()
    return transaction


def _costed(account: str, quantity: str, cost: str, **extra: object) -> Posting:
    return Posting(
        account=account,
        commodity="BTC",
        quantity=Decimal(quantity),
        cost=Decimal(cost),
        cost_commodity="USD",
        **extra,  # type: ignore[arg-type]
    )


def test_a_cost_against_the_quantitys_sign_gets_its_own_posting(tmp_path: Path) -> None:
    """Neither tool takes a negative cost (ledger: "A posting's cost may not be negative"), nor
    weighs a zero quantity: such a cost is a home-currency posting of the same holding."""
    path = tmp_path / "crafted.journal"
    sink = LedgerSink(str(path), _run(tmp_path), None)
    usd = "Equity:Opening-Balances"
    sink.write_transactions(
        [
            _transaction(
                "a",
                0,
                _costed("Assets:Demo:Main", "1", "10.00"),
                Posting(account=usd, commodity="USD", quantity=Decimal("-10.00")),
            ),
            _transaction(
                "b",
                1,
                _costed("Assets:Demo:Main", "0", "5.00"),
                Posting(account=usd, commodity="USD", quantity=Decimal("-5.00")),
            ),
            _transaction(
                "c",
                1,
                _costed("Assets:Demo:Main", "0.5", "-3.00"),
                Posting(account=usd, commodity="USD", quantity=Decimal("3.00")),
            ),
            _transaction("d", 1, _costed("Assets:Demo:Main", "0.000001", "0.00")),
        ]
    )
    sink.commit()
    sink.close()
    _both_accept(path)
    text = path.read_text()
    assert "Assets:Demo:Main  0.5 BTC @@ 0.00 USD\n    Assets:Demo:Main  -3.00 USD\n" in text
    assert "0 BTC @@" not in text
    assert "0.000001 BTC @@ 0.00 USD" in text
    assert _hledger_usd(path, "^Assets") == _ledger_usd(path, "^Assets") == {"Assets:Demo:Main": Decimal("12.00")}


def test_lot_ids_proceeds_and_gains_are_tags_no_text_escapes(tmp_path: Path) -> None:
    path = tmp_path / "tags.journal"
    sink = LedgerSink(str(path), _run(tmp_path), None)
    hostile = "x, evil: 1\n2024-03-01 * forged\n    Assets:X  1 BTC"
    sink.write_transactions(
        [
            _transaction(
                "a",
                0,
                _costed("Assets:Demo:Main", "1", "10.00", lot_ids=("e1",)),
                Posting(account="Equity:X", commodity="USD", quantity=Decimal("-10.00")),
            ),
            _transaction(
                "b",
                1,
                _costed(
                    "Assets:Demo:Main",
                    "-1",
                    "-10.00",
                    lot_ids=("e1", hostile),
                    value=Decimal("12.00"),
                    gain=Decimal("2.00"),
                ),
                Posting(account="Assets:Demo:Cash", commodity="USD", quantity=Decimal("12.00")),
                Posting(account=GAINS, commodity="USD", quantity=Decimal("-2.00")),
            ),
        ]
    )
    sink.commit()
    sink.close()
    _both_accept(path)
    text = path.read_text()
    assert "forged" not in "".join(line for line in text.splitlines(keepends=True) if not line.startswith("    ;"))
    (tag,) = [line for line in text.splitlines() if line.startswith("    ; lots: e1 ")]
    assert "," not in tag
    assert "; proceeds: 12.00 USD\n    ; gain: 2.00 USD\n" in text
    tags = hledger(path, "tags")
    assert set(tags.split()) == {"entry_ids", "lots", "proceeds", "gain"}


def test_a_zero_cost_lot_for_a_shortfall_is_written_at_zero_and_both_tools_take_it(tmp_path: Path) -> None:
    entries = [
        _entry("s1", 1, "MAIN", "BTC", "-1", Kind.TRADE, "o1"),
        _entry("s2", 1, "MAIN", "USDT", "40000", Kind.TRADE, "o1"),
    ]
    prices = PriceBook()
    prices.add("USDT", "USD", date(2024, 1, 1), Rate(Decimal(1)))
    settings = LotSettings(on_missing_lots="zero")
    path = _write(tmp_path / "zero.journal", settings, entries, prices, [])
    _both_accept(path)
    text = path.read_text()
    assert re.search(r"Assets:Demo:Main  1 BTC @@ 0(\.00)? USD\n", text), text
    assert re.search(r"Assets:Demo:Main  -1 BTC @@ 0(\.00)? USD", text), text
    for report in (_hledger_usd, _ledger_usd):
        books = report(path)
        assert books[GAINS] == Decimal(-40000)
        assert books["Assets:Demo:Main"] == Decimal(40000)
