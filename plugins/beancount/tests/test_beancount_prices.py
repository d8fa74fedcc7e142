"""`prices = true`: the day's price of each commodity the books post, as beancount `price` directives
(issue 15), so that `convert(position, 'USD')` values the holdings at the run's price book."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from beancount import loader
from beancount.core import convert, prices, realization
from ledgerport_beancount import BeancountSink

from ledgerport import JournalSettings, LotSettings, SinkType
from ledgerport.books import PriceBook, Rate
from ledgerport.model.entry import Entry, Kind
from ledgerport.sdk.journalfile import PRICE_HORIZON_DAYS
from ledgerport.testing import bean_check, run_sink, run_windows, sample_entries, sample_opening_lots, sample_prices

SINK = SinkType(name="beancount", description="", open=BeancountSink)
MARCH_1, MARCH_2 = date(2024, 3, 1), date(2024, 3, 2)


def _load(path: Path) -> tuple[list[Any], Any]:
    entries, errors, _ = loader.load_file(str(path))
    assert not errors, errors
    return entries, prices.build_price_map(entries)


def _price_lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if " price " in line]


def _entry(entry_id: str, when: datetime, asset: str, amount: str, kind: Kind = Kind.TRADE, group: str = "") -> Entry:
    return Entry(
        source="demo",
        account="main",
        entry_id=entry_id,
        timestamp=when,
        asset=asset,
        amount=Decimal(amount),
        kind=kind,
        sub_account="MAIN",
        group_id=group,
    )


def test_each_day_and_commodity_gets_the_books_price_once_and_convert_values_the_holdings(tmp_path: Path) -> None:
    books = tmp_path / "books.beancount"
    run_sink(SINK, books, sample_entries(), prices=sample_prices())
    bean_check(books)
    lines = _price_lines(books)
    assert "2024-03-01 price BTC  40000 USD" in lines
    assert "2024-03-01 price X1INCH  0.4 USD" in lines  # the declared rename
    assert "2024-03-02 price XSTETH  2100 USD" in lines
    assert len(lines) == len(set(lines)) == 10  # 4 commodities posted on March 1, 6 on March 2
    assert not [line for line in lines if " price USD " in line]  # never the home currency
    entries, price_map = _load(books)
    assert prices.get_price(price_map, ("BTC", "USD"), MARCH_1) == (MARCH_1, Decimal(40000))
    assert prices.get_price(price_map, ("X1INCH", "USD"), MARCH_2) == (MARCH_1, Decimal("0.4"))
    main = realization.get(realization.realize(entries), "Assets:Demo:Main")
    value = main.balance.reduce(convert.convert_position, "USD", price_map)
    # 0.2999 BTC × 40000 + 250.000000000000000001 1INCH × 0.4 + 7E-18 stETH × 2100 − 1 KCS × 10 + 10 USDC × 1
    assert value.get_currency_units("USD").number == Decimal("12096.0000000000000147004")
    assert not [p for p in value if p.units.currency != "USD"], "every holding has a price"


def test_a_ratio_that_does_not_terminate_is_written_to_28_significant_digits(tmp_path: Path) -> None:
    """100 XRP for 55 USDT with XRP at 1 USD: the book prices USDT at 100/55 USD, 1.8181…"""
    when = datetime(2024, 3, 1, 12, tzinfo=UTC)
    entries = [
        _entry("x1", when, "USDT", "-55", group="t1"),
        _entry("x2", when, "XRP", "100", group="t1"),
    ]
    book = PriceBook()
    book.add("XRP", "USD", MARCH_1, Rate(Decimal(1)))
    books = tmp_path / "books.beancount"
    run_sink(SINK, books, entries, prices=book)
    bean_check(books)
    assert _price_lines(books) == [
        "2024-03-01 price USDT  1.818181818181818181818181818 USD",
        "2024-03-01 price XRP  1 USD",
    ]
    _, price_map = _load(books)
    assert prices.get_price(price_map, ("USDT", "USD"), MARCH_1)[1] == Decimal("1.818181818181818181818181818")


def test_no_price_in_the_book_writes_none_and_no_error(tmp_path: Path) -> None:
    book = PriceBook()
    book.add("BTC", "USD", MARCH_1, Rate(Decimal(40000)))  # within the book's 7 days: March 2 too
    books = tmp_path / "books.beancount"
    run_sink(SINK, books, sample_entries(), prices=book)
    bean_check(books)
    # USDT through the BTC-USDT trade (one hop); ETH, bought for USDT, would take two: no price
    assert _price_lines(books) == [
        "2024-03-01 price BTC  40000 USD",
        "2024-03-01 price USDT  1 USD",
        "2024-03-02 price USDT  1 USD",
        "2024-03-02 price BTC  40000 USD",
    ]
    plain = tmp_path / "plain.beancount"
    run_sink(SINK, plain, sample_entries())  # no price in USD at all: the file is what it always was
    assert not _price_lines(plain)


def test_prices_false_writes_the_same_books_without_the_price_lines(tmp_path: Path) -> None:
    on, off = tmp_path / "on.beancount", tmp_path / "off.beancount"
    run_sink(SINK, on, sample_entries(), prices=sample_prices())
    run_sink(SINK, off, sample_entries(), prices=sample_prices(), settings=JournalSettings(prices=False))
    assert not _price_lines(off)
    # the price lines, and the home currency's declaration they need (no posting here is in USD)
    kept = [line for line in on.read_text().splitlines(keepends=True) if " price " not in line]
    kept.remove("1970-01-01 commodity USD\n")
    assert off.read_text() == "".join(kept)


def test_at_cost_the_prices_are_written_too_and_bean_check_accepts_them(tmp_path: Path) -> None:
    books = tmp_path / "books.beancount"
    opening = sample_opening_lots()
    run_sink(SINK, books, sample_entries(), prices=sample_prices(), cost_basis=LotSettings(), opening=opening)
    bean_check(books)
    lines = _price_lines(books)
    assert len(lines) == len(set(lines)) == 10
    _, price_map = _load(books)
    assert prices.get_price(price_map, ("ETH", "USD"), MARCH_2) == (MARCH_2, Decimal(2000))


def test_a_day_written_in_several_windows_gets_its_prices_once_and_the_bytes_of_one_window(tmp_path: Path) -> None:
    entries = sample_entries()
    one, parts = tmp_path / "one.beancount", tmp_path / "parts.beancount"
    days = sorted({e.timestamp.date() for e in entries})
    run_windows(SINK, one, [[e for e in entries if e.timestamp.date() == d] for d in days], prices=sample_prices())
    times = sorted({e.timestamp for e in entries})  # a window (a reopened sink) per moment, so per transaction
    run_windows(SINK, parts, [[e for e in entries if e.timestamp == t] for t in times], prices=sample_prices())
    assert parts.read_bytes() == one.read_bytes()
    bean_check(parts)
    lines = _price_lines(parts)
    assert len(lines) == len(set(lines)) == 10


def test_a_late_entry_repeats_no_price_and_a_backfill_gets_its_own(tmp_path: Path) -> None:
    def trade(n: int, when: datetime) -> list[Entry]:
        return [
            _entry(f"b{n}", when, "BTC", "-0.1", group=f"t{n}"),
            _entry(f"u{n}", when, "USDT", "4000", group=f"t{n}"),
        ]

    book = PriceBook()
    start = datetime(2024, 1, 1, 12, tzinfo=UTC)
    for n in range(80):
        book.add("BTC", "USD", (start + timedelta(days=n)).date(), Rate(Decimal(40000 + n)))
    later = start + timedelta(days=70)
    books = tmp_path / "books.beancount"
    checkpoint = run_windows(
        SINK,
        books,
        [
            trade(1, later),
            trade(2, later + timedelta(days=1)),
            trade(3, later - timedelta(hours=2)),  # late, on a day already priced
            trade(4, later - timedelta(days=1)),  # late, on a day not priced yet
            trade(5, start),  # a backfill of an old gap
            trade(6, start + timedelta(hours=1)),  # the backfill goes on, on the same day
        ],
        prices=book,
    )
    btc = [line for line in _price_lines(books) if " BTC " in line]
    assert btc == [
        "2024-03-11 price BTC  40070 USD",
        "2024-03-12 price BTC  40071 USD",
        "2024-03-10 price BTC  40069 USD",
        "2024-01-01 price BTC  40000 USD",
    ]
    bean_check(books)
    state = json.loads(json.dumps(checkpoint["state"]))
    assert state["prices"]["BTC"] == ["2024-03-11", "2024-03-12", "2024-03-10", "2024-01-01"]  # in the order written


def test_the_state_keeps_a_bounded_stretch_of_days(tmp_path: Path) -> None:
    start = datetime(2024, 1, 1, 12, tzinfo=UTC)
    book = PriceBook()
    windows = []
    for n in range(90):
        day = start + timedelta(days=n)
        book.add("BTC", "USD", day.date(), Rate(Decimal(40000)))
        windows.append([_entry(f"d{n}", day, "BTC", "0.001", Kind.DEPOSIT)])
    books = tmp_path / "books.beancount"
    checkpoint = run_windows(SINK, books, windows, prices=book)
    assert len(_price_lines(books)) == 90
    assert len(checkpoint["state"]["prices"]["BTC"]) == PRICE_HORIZON_DAYS + 1
