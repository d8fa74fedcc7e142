"""The price book: the price files, prices implied by trades, the lookup order and its clear failure."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from ledgerport import (
    Chart,
    ConfigError,
    JournalBuilder,
    MissingPriceError,
    PluginError,
    PriceBook,
    Rate,
)
from ledgerport.cli import cli
from ledgerport.engine.config import Books, load_config
from ledgerport.testing import sample_entries

DAY = date(2024, 3, 1)


def book_from(tmp_path: Path, text: str, **options: object) -> PriceBook:
    path = tmp_path / "prices.csv"
    path.write_text(text)
    book = PriceBook(**options)  # type: ignore[arg-type]
    book.load(path)
    return book


def value(book: PriceBook, asset: str, currency: str, day: date, quantity: str = "1", places: int = 8) -> Decimal:
    return book.rate(asset, currency, day).convert(Decimal(quantity), places)


def test_a_currency_is_worth_one_of_itself_and_an_empty_book_knows_nothing_else() -> None:
    book = PriceBook()
    assert value(book, "USD", "USD", DAY, "12.345", 2) == Decimal("12.34")
    with pytest.raises(MissingPriceError) as caught:
        book.rate("ETH", "USD", DAY)
    message = str(caught.value)
    assert "ETH" in message and "USD" in message and "2024-03-01" in message
    assert "2024-03-01,ETH,USD,PRICE" in message
    assert (caught.value.asset, caught.value.currency, caught.value.day) == ("ETH", "USD", DAY)


def test_same_day_then_the_latest_earlier_day_within_the_limit(tmp_path: Path) -> None:
    book = book_from(
        tmp_path,
        "date,asset,currency,price\n2024-02-27,BTC,USD,39000\n2024-02-28,BTC,USD,40000\n2024-03-01,BTC,USD,41000.5\n",
        max_age_days=3,
    )
    assert value(book, "BTC", "USD", date(2024, 3, 1)) == Decimal("41000.5")
    assert value(book, "BTC", "USD", date(2024, 2, 29)) == Decimal(40000)
    assert value(book, "BTC", "USD", date(2024, 3, 4)) == Decimal("41000.5")
    with pytest.raises(MissingPriceError, match="BTC in USD on 2024-03-05: none that day or in the 3 days before"):
        book.rate("BTC", "USD", date(2024, 3, 5))
    with pytest.raises(MissingPriceError, match="2024-02-26"):
        book.rate("BTC", "USD", date(2024, 2, 26))


def test_a_price_is_read_both_ways_exactly(tmp_path: Path) -> None:
    book = book_from(tmp_path, "date,asset,currency,price\n2024-03-01,USD,EUR,0.9\n")
    rate = book.rate("EUR", "USD", DAY)
    assert rate == Rate(Decimal(1), Decimal("0.9"))
    # 9 EUR are exactly 10 USD; a rounded 1/0.9 would not give that
    assert rate.convert(Decimal(9), 28) == Decimal(10)


def test_one_hop_through_another_currency_takes_the_freshest_route(tmp_path: Path) -> None:
    book = book_from(
        tmp_path,
        "date,asset,currency,price\n2024-03-01,ETH,USDT,3000.5\n2024-03-01,USDT,USD,0.999\n"
        "2024-02-25,ETH,BTC,0.05\n2024-02-25,BTC,USD,50000\n",
    )
    assert value(book, "ETH", "USD", DAY) == Decimal("2997.4995")
    assert value(book, "USD", "ETH", DAY, "2997.4995") == Decimal(1)


def test_prices_implied_by_trades_and_their_inverse() -> None:
    book = PriceBook()
    book.learn(JournalBuilder(Chart(), "Demo").build(sample_entries()))
    # t1 sold 0.1 BTC for 4000 USDT; t2 sold 1000 USDT for 0.500000000000000001 ETH
    assert value(book, "BTC", "USDT", DAY) == Decimal(40000)
    assert value(book, "USDT", "BTC", DAY, "4000") == Decimal("0.1")
    assert value(book, "ETH", "USDT", DAY, "0.500000000000000001") == Decimal(1000)
    assert value(book, "ETH", "USDT", date(2024, 3, 2), "0.25", 2) == Decimal("500.00")


def test_a_quoted_price_wins_over_an_implied_one_of_the_same_day_but_not_over_a_fresher_one(tmp_path: Path) -> None:
    book = book_from(tmp_path, "date,asset,currency,price\n2024-03-01,BTC,USDT,39000\n2024-02-29,ETH,USDT,2000\n")
    book.learn(JournalBuilder(Chart(), "Demo").build(sample_entries()))
    assert value(book, "BTC", "USDT", DAY) == Decimal(39000)
    assert value(book, "ETH", "USDT", DAY, "0.500000000000000001") == Decimal(1000)


def test_the_hook_answers_last_once_per_price_and_never_as_a_float() -> None:
    asked: list[tuple[str, str, date]] = []

    def lookup(asset: str, currency: str, day: date) -> Decimal | None:
        asked.append((asset, currency, day))
        return {"BTC": Decimal(42000), "BAD": 1.5}.get(asset)  # type: ignore[return-value]

    book = PriceBook(fallback=lookup)
    assert value(book, "BTC", "USD", DAY, "0.5") == Decimal(21000)
    assert value(book, "BTC", "USD", DAY) == Decimal(42000)
    with pytest.raises(MissingPriceError, match="no price plugin knows one"):
        book.rate("XYZ", "USD", DAY)
    with pytest.raises(MissingPriceError):
        book.rate("XYZ", "USD", DAY)
    assert asked == [("BTC", "USD", DAY), ("XYZ", "USD", DAY)]
    with pytest.raises(PluginError, match="lookup_price for BAD in USD on 2024-03-01: expected a decimal string"):
        book.rate("BAD", "USD", DAY)


def test_a_file_price_is_found_before_the_hook_is_asked(tmp_path: Path) -> None:
    book = book_from(
        tmp_path,
        "date,asset,currency,price\n2024-02-28,BTC,USD,40000\n",
        fallback=lambda *args: pytest.fail("the hook must not be asked"),
    )
    assert value(book, "BTC", "USD", DAY) == Decimal(40000)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("day,asset,currency,price\n", r"line 1: the header must be date,asset,currency,price"),
        (
            "date,asset,currency,price\n2024-03-01,BTC,USD,40000\n2024-3-1,BTC,USD,1\n",
            r"line 3: field 'date': not a YYYY-MM-DD date: '2024-3-1'",
        ),
        ("date,asset,currency,price\n2024-03-01,BTC,USD,4O000\n", r"line 2: field 'price': not a number: '4O000'"),
        ("date,asset,currency,price\n2024-03-01,BTC,USD,0\n", r"line 2: field 'price': a price must be positive"),
        ("date,asset,currency,price\n2024-03-01,,USD,1\n", r"line 2: field 'asset' is empty"),
        ("date,asset,currency,price\n2024-03-01,BTC\n", r"line 2: field 'currency' is empty"),
    ],
)
def test_a_bad_price_file_names_the_file_the_line_and_the_field(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=rf"prices file .*prices\.csv: {message}"):
        book_from(tmp_path, text)


def test_a_missing_price_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read prices file .*nope\.csv: No such file"):
        PriceBook().load(tmp_path / "nope.csv")


def test_conversion_is_exact_and_rounds_once_half_to_even() -> None:
    rate = Rate(Decimal("3000.123456789012345678"), Decimal("0.999999999999999999"))
    assert rate.convert(Decimal("0.000000000000000001"), 2) == Decimal("0.00")
    # 22 exact digits: 3000123456789012345678 / 0.999999999999999999 is ...348678.12
    assert rate.convert(Decimal(1000000000000000000), 0) == Decimal(3000123456789012348678)
    assert rate.convert(Decimal(1), 2) == Decimal("3000.12")
    assert Rate(Decimal("0.5")).convert(Decimal("0.05"), 2) == Decimal("0.02")
    assert Rate(Decimal("0.5")).convert(Decimal("0.07"), 2) == Decimal("0.04")
    assert Rate(Decimal("1.5")).then(Rate(Decimal(2), Decimal(3))) == Rate(Decimal("3.0"), Decimal(3))
    with pytest.raises(ValueError, match="positive"):
        Rate(Decimal(0))


def test_books_in_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[books]\nhome_currency = "EUR"\nprices = ["a.csv", "b.csv"]\nmax_age_days = 2\n')
    assert load_config(path).books == Books(home_currency="EUR", prices=("a.csv", "b.csv"), max_age_days=2)


def test_the_cli_reports_a_bad_price_file_before_syncing(
    plugin_path: Path, exchange: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "p.csv"
    bad.write_text("date,asset,currency,price\n2024-01-01,BTC,USD,1e\n")
    result = CliRunner().invoke(
        cli,
        [
            "sync",
            "testexchange",
            "--base-url",
            exchange,
            "--since",
            "2024-01-01",
            "--until",
            "2024-01-02",
            "--sink",
            f"csv:{tmp_path / 'o.csv'}",
            "--prices",
            str(bad),
            "--home-currency",
            "EUR",
            "--no-state",
        ],
        env={"TESTEXCHANGE_TOKEN": "x"},
    )
    assert result.exit_code == 1
    assert f"error: prices file {bad}: line 2: field 'price': not a number: '1e'" in result.stderr
