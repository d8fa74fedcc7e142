"""`prices = true`: the day's market price of each commodity the journal posts, as `P` lines (issue
15), so that `hledger bal -V` / `-X USD` and `ledger bal -X USD` value the holdings at the run's
price book; both tools still accept the journal strictly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from ledgerport_ledger import LedgerSink

from ledgerport import JournalSettings, LotSettings, SinkType
from ledgerport.books import PriceBook, Rate
from ledgerport.model.entry import Entry, Kind
from ledgerport.sdk.journalfile import PRICE_HORIZON_DAYS
from ledgerport.testing import (
    hledger,
    ledger,
    run_sink,
    run_windows,
    sample_entries,
    sample_opening_lots,
    sample_prices,
)

SINK = SinkType(name="ledger", description="", open=LedgerSink)
MAIN_IN_USD = Decimal("12096.0000000000000147004")
"""Assets:Demo:Main of `sample_entries()` at `sample_prices()`: 0.2999 BTC × 40000 + 250.000000000000000001
1INCH × 0.4 + 7E-18 stETH × 2100 − 1 KCS × 10 + 10 USDC × 1."""
SHOWN = MAIN_IN_USD.quantize(Decimal("1E-18"))
"""What both tools show of it: USD is displayed with the 18 decimals the sink declares."""


def _price_lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.startswith("P ")]


def _both_accept(path: Path) -> None:
    hledger(path, "check", "-s")
    ledger(path, "balance")


def _usd(report: str, account: str) -> Decimal:
    """The USD amount of `account` in a flat balance report (`--flat`, `-N`)."""
    for line in report.splitlines():
        amount, _, name = line.strip().partition("  ")
        if name.strip() == account:
            number, _, commodity = amount.partition(" ")
            assert commodity == "USD", line
            return Decimal(number)
    raise AssertionError(f"{account} not in:\n{report}")


def _entry(entry_id: str, when: datetime, asset: str, amount: str, group: str = "") -> Entry:
    return Entry(
        source="demo",
        account="main",
        entry_id=entry_id,
        timestamp=when,
        asset=asset,
        amount=Decimal(amount),
        kind=Kind.TRADE,
        sub_account="MAIN",
        group_id=group,
    )


def test_each_day_and_commodity_gets_a_p_line_once_and_both_tools_value_the_holdings(tmp_path: Path) -> None:
    books = tmp_path / "books.journal"
    run_sink(SINK, books, sample_entries(), prices=sample_prices())
    _both_accept(books)
    lines = _price_lines(books)
    assert "P 2024-03-01 23:59:59 BTC 40000 USD" in lines
    assert 'P 2024-03-01 23:59:59 "1INCH" 0.4 USD' in lines  # quoted as the postings quote it
    assert "P 2024-03-02 23:59:59 stETH 2100 USD" in lines
    assert len(lines) == len(set(lines)) == 10  # 4 commodities posted on March 1, 6 on March 2
    assert not [line for line in lines if line.split()[3] == "USD"]  # never the home currency
    main = "Assets:Demo:Main"
    assert _usd(hledger(books, "bal", "-V", "--flat", "-N", f"^{main}$"), main) == SHOWN
    assert _usd(hledger(books, "bal", "-X", "USD", "--flat", "-N", f"^{main}$"), main) == SHOWN
    assert _usd(ledger(books, "bal", "-X", "USD", "--flat", "--no-total", f"^{main}$"), main) == SHOWN
    prices = hledger(books, "prices", "cur:BTC")  # hledger reads the day (it ignores the time)
    assert prices.splitlines() == ["P 2024-03-01 BTC 40000 USD", "P 2024-03-02 BTC 40000 USD"]


def test_a_ratio_that_does_not_terminate_is_written_to_28_significant_digits(tmp_path: Path) -> None:
    """100 XRP for 55 USDT with XRP at 1 USD: the book prices USDT at 100/55 USD, 1.8181…"""
    when = datetime(2024, 3, 1, 12, tzinfo=UTC)
    book = PriceBook()
    book.add("XRP", "USD", when.date(), Rate(Decimal(1)))
    books = tmp_path / "books.journal"
    run_sink(
        SINK, books, [_entry("x1", when, "USDT", "-55", "t1"), _entry("x2", when, "XRP", "100", "t1")], prices=book
    )
    _both_accept(books)
    assert _price_lines(books) == [
        "P 2024-03-01 23:59:59 USDT 1.818181818181818181818181818 USD",
        "P 2024-03-01 23:59:59 XRP 1 USD",
    ]
    # −55 USDT × 1.818181818181818181818181818 = −99.99999999999999999999999999, shown at 18 decimals
    report = hledger(books, "bal", "-V", "--flat", "-N", "^Assets", "cur:USDT")
    assert _usd(report, "Assets:Demo:Main") == Decimal(-100)


def test_no_price_in_the_book_writes_none_and_prices_false_none_at_all(tmp_path: Path) -> None:
    book = PriceBook()
    book.add("BTC", "USD", date(2024, 3, 1), Rate(Decimal(40000)))
    some, off = tmp_path / "some.journal", tmp_path / "off.journal"
    run_sink(SINK, some, sample_entries(), prices=book)
    _both_accept(some)
    assert {line.split()[3] for line in _price_lines(some)} == {"BTC", "USDT"}  # USDT through the BTC trade
    run_sink(SINK, off, sample_entries(), prices=sample_prices(), settings=JournalSettings(prices=False))
    assert not _price_lines(off)
    plain = tmp_path / "plain.journal"
    run_sink(SINK, plain, sample_entries())
    assert off.read_bytes() == plain.read_bytes()


def test_at_cost_both_tools_accept_the_prices_and_value_at_them(tmp_path: Path) -> None:
    books = tmp_path / "books.journal"
    opening = sample_opening_lots()
    run_sink(SINK, books, sample_entries(), prices=sample_prices(), cost_basis=LotSettings(), opening=opening)
    _both_accept(books)
    assert len(_price_lines(books)) == 10
    main = "Assets:Demo:Main"  # and the 1 KCS the opening lot brings (10 USD): at cost, no holding goes below 0
    assert _usd(hledger(books, "bal", "-V", "--flat", "-N", f"^{main}$"), main) == SHOWN + 10
    assert _usd(ledger(books, "bal", "-X", "USD", "--flat", "--no-total", f"^{main}$"), main) == SHOWN + 10


def test_a_day_written_in_several_windows_gets_its_prices_once_and_the_bytes_of_one_window(tmp_path: Path) -> None:
    entries = sample_entries()
    one, parts = tmp_path / "one.journal", tmp_path / "parts.journal"
    days = sorted({e.timestamp.date() for e in entries})
    run_windows(SINK, one, [[e for e in entries if e.timestamp.date() == d] for d in days], prices=sample_prices())
    times = sorted({e.timestamp for e in entries})  # a window (a reopened sink) per moment, so per transaction
    run_windows(SINK, parts, [[e for e in entries if e.timestamp == t] for t in times], prices=sample_prices())
    assert parts.read_bytes() == one.read_bytes()
    _both_accept(parts)
    lines = _price_lines(parts)
    assert len(lines) == len(set(lines)) == 10


def test_a_late_entry_repeats_no_p_line_a_backfill_gets_its_own_and_the_state_stays_bounded(tmp_path: Path) -> None:
    def trade(n: int, when: datetime) -> list[Entry]:
        return [_entry(f"b{n}", when, "BTC", "-0.1", f"t{n}"), _entry(f"u{n}", when, "USDT", "4000", f"t{n}")]

    book = PriceBook()
    start = datetime(2024, 1, 1, 12, tzinfo=UTC)
    for n in range(120):
        book.add("BTC", "USD", (start + timedelta(days=n)).date(), Rate(Decimal(40000 + n)))
    later = start + timedelta(days=70)
    books = tmp_path / "books.journal"
    windows = [trade(n, later + timedelta(days=n)) for n in range(1, 40)]
    windows += [trade(40, later + timedelta(hours=2)), trade(41, later), trade(42, start)]  # late, late, backfill
    checkpoint = run_windows(SINK, books, windows, prices=book)
    _both_accept(books)
    btc = [line.split()[4] for line in _price_lines(books) if " BTC " in line]
    assert btc == [str(40071 + n) for n in range(39)] + ["40070", "40000"]
    kept = checkpoint["state"]["prices"]["BTC"]  # the 32 days to April 19, then the late ones
    newest = [(date(2024, 3, 19) + timedelta(days=n)).isoformat() for n in range(PRICE_HORIZON_DAYS + 1)]
    assert kept == [*newest, "2024-03-11", "2024-01-01"]
    assert len(kept) <= 2 * (PRICE_HORIZON_DAYS + 1)
