"""The iif and qbo sinks over the sample ledger: balanced entries in cents, memos, numbers, golden files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from ledgerport_quickbooks import IifSettings, IifSink, QboSink, Settings
from ledgerport_quickbooks.numbers import JournalNumbers, default_prefix

from ledgerport import Chart, Entry, JournalBuilder, Kind, MissingPriceError, PriceBook, RunInfo, SinkType, StateError
from ledgerport.sdk.outputfile import pending_path
from ledgerport.testing import assert_golden, run_sink, sample_entries

GOLDEN = Path(__file__).parent / "golden"
SINKS = {
    "iif": SinkType(name="iif", description="", open=IifSink, settings=IifSettings),
    "qbo": SinkType(name="qbo", description="", open=QboSink, settings=Settings),
}
SUFFIX = {"iif": "iif", "qbo": "csv"}
P = default_prefix("demo", "main")
"""The sample's journal-number prefix: `P + "240301001"` is its first entry."""
# ETH has no price here: it is valued through USDT, at the price trade t2 implies
PRICES = """\
date,asset,currency,price
2024-03-01,BTC,USD,40123.45
2024-03-01,USDT,USD,0.9998
2024-03-01,1INCH,USD,0.4321
2024-03-02,stETH,USD,3500
2024-03-02,KCS,USD,10.05
2024-03-02,USDC,USD,1
"""


def entries() -> list[Entry]:
    """The sample ledger, and on day 3 a fill split over two holdings: its 2.01 USDT are two lines of 1.005 USDT,
    and at 0.9998 each rounds to 1.00 while the BTC side is 2.01, so the entry needs a rounding line."""
    day3 = sample_entries()[0].timestamp + timedelta(days=2)
    legs = [("e17", "MAIN", "USDT", "1.005"), ("e18", "TRADE", "USDT", "1.005"), ("e19", "TRADE", "BTC", "-0.00005")]
    return [
        *sample_entries(),
        *(
            Entry(
                source="demo",
                account="main",
                entry_id=i,
                timestamp=day3,
                asset=asset,
                amount=Decimal(amount),
                kind=Kind.TRADE,
                category="Trade_Exchange",
                sub_account=sub,
                group_id="t9",
                description="split fill",
            )
            for i, sub, asset, amount in legs
        ),
    ]


def prices(tmp_path: Path, text: str = PRICES) -> PriceBook:
    path = tmp_path / "prices.csv"
    path.write_text(text)
    book = PriceBook()
    book.load(path)
    return book


@pytest.fixture(params=["iif", "qbo"])
def fmt(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def written(fmt: str, tmp_path: Path) -> Path:
    path = tmp_path / f"sample.{SUFFIX[fmt]}"
    run_sink(SINKS[fmt], path, entries(), prices=prices(tmp_path), settings=SINKS[fmt].settings())
    return path


def test_every_entry_balances_to_the_cent_and_the_file_matches_the_golden_one(
    fmt: str, written: Path, readers: dict[str, Callable[[Path], dict]], balanced: Callable[[dict], None]
) -> None:
    journals = readers[fmt](written)
    balanced(journals)
    assert len(journals) == 13  # 16 transactions, less e13 (dust: worth 0.00)
    assert_golden(written, GOLDEN / f"sample.{SUFFIX[fmt]}")


def test_values_are_quantity_times_price_and_the_memo_keeps_quantity_and_source_ids(
    fmt: str, written: Path, readers: dict[str, Callable[[Path], dict]]
) -> None:
    journals = readers[fmt](written)
    assert journals[P + "240301001"] == [
        ("Assets:Demo:Main", Decimal("40123.45"), "1 BTC; id demo:main:e01; entries e01; Deposit BTC"),
        ("Equity:Demo:External", Decimal("-40123.45"), "-1 BTC; id demo:main:e01; entries e01; Deposit BTC"),
    ]
    # a trade is valued at what was traded: 4000 USDT at 0.9998, on both sides
    trade = journals[P + "240301003"]
    assert trade[0] == (
        "Assets:Demo:Trade",
        Decimal("-3999.20"),
        "-0.1 BTC @@ 4000 USDT; id demo:main:e04; entries e04,e05; Trade_Exchange BTC",
    )
    # ETH one day later: 0.25 ETH at 1000 USDT per 0.500000000000000001 ETH, at 0.9998 USD per USDT
    assert journals[P + "240302004"][0][:2] == ("Assets:Demo:Trade", Decimal("-499.90"))
    assert "0.25 ETH; id demo:main:e15; entries e15" in journals[P + "240302004"][0][2]
    assert not [memo for lines in journals.values() for _, _, memo in lines if "e13" in memo]


def test_a_rounding_line_takes_up_the_cents_rounding_leaves(
    fmt: str, tmp_path: Path, readers: dict[str, Callable[[Path], dict]], balanced: Callable[[dict], None]
) -> None:
    path = tmp_path / f"r.{SUFFIX[fmt]}"
    settings = attrs.evolve(SINKS[fmt].settings(), rounding_account="Expenses:Crypto Rounding")
    run_sink(SINKS[fmt], path, entries(), prices=prices(tmp_path), settings=settings)
    journals = readers[fmt](path)
    balanced(journals)
    split = journals[P + "240303001"]
    assert [(account, amount) for account, amount, _ in split] == [
        ("Assets:Demo:Main", Decimal("1.00")),
        ("Assets:Demo:Trade", Decimal("1.00")),
        ("Assets:Demo:Trade", Decimal("-2.01")),
        ("Expenses:Crypto Rounding", Decimal("0.01")),
    ]
    assert split[-1][2] == "rounding to USD cents; id demo:main:e17; entries e17,e18,e19"
    rounded = [lines for lines in journals.values() if any(a == "Expenses:Crypto Rounding" for a, _, _ in lines)]
    assert rounded == [split]


def run_info(book: PriceBook) -> RunInfo:
    first = sample_entries()[0].timestamp
    return RunInfo(
        source="demo", source_title="Demo", account="main", since=first, until=first + timedelta(days=2), prices=book
    )


def test_a_missing_price_names_asset_and_day_and_the_window_writes_nothing(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"m.{SUFFIX[fmt]}"
    book = prices(tmp_path, "".join(line for line in PRICES.splitlines(keepends=True) if ",KCS," not in line))
    checkpoint = run_sink(SINKS[fmt], path, sample_entries()[:10], prices=book)
    committed = path.read_text()
    day2 = JournalBuilder(Chart(), "Demo").build(sample_entries()[10:])
    sink = SINKS[fmt].open(str(path), run_info(book), None, checkpoint)
    with pytest.raises(MissingPriceError, match="no price for KCS in USD on 2024-03-02") as caught:
        sink.write_transactions(day2)
    sink.close()
    assert (caught.value.asset, caught.value.day) == ("KCS", date(2024, 3, 2))
    assert path.read_text() == committed, "the entries of the day before KCS's must not be half-written"


def test_a_crashed_runs_tail_is_cut_off_when_the_sink_reopens(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"c.{SUFFIX[fmt]}"
    book = prices(tmp_path)
    checkpoint = run_sink(SINKS[fmt], path, entries()[:10], prices=book)
    assert checkpoint["state"]["numbers"] == {"240301": 7}
    committed = path.read_text()
    # what a run killed while appending its next commit leaves: the start of its pending record
    with path.open("a") as file:
        file.write("TRNS\tGENERAL JOURNAL\t03/02/2024\thalf a li")
    Path(pending_path(str(path))).write_text(
        "TRNS\tGENERAL JOURNAL\t03/02/2024\thalf a li" + "the rest of that commit\n", encoding="utf-8"
    )
    SINKS[fmt].open(str(path), run_info(book), None, checkpoint).close()
    assert path.read_text() == committed
    path.write_text("")
    with pytest.raises(StateError, match="changed outside ledgerport"):
        SINKS[fmt].open(str(path), run_info(book), None, checkpoint)


def test_iif_declares_each_account_and_its_parents_once_before_use(tmp_path: Path) -> None:
    path = tmp_path / "a.iif"
    run_sink(SINKS["iif"], path, entries(), prices=prices(tmp_path))
    rows = path.read_text().splitlines()
    declared = [row.split("\t")[1] for row in rows if row.startswith("ACCNT\t")]
    assert len(declared) == len(set(declared))
    assert declared[:3] == ["Assets", "Assets:Demo", "Assets:Demo:Main"]
    assert "ACCNT\tLiabilities:Demo:Loans\tOCLIAB" in rows and "ACCNT\tExpenses:Rounding\tEXP" in rows
    used = {row.split("\t")[3] for row in rows if row.startswith(("TRNS\t", "SPL\t"))}
    assert used <= set(declared)
    for account in used:  # declared before its first use
        first_use = next(
            i for i, row in enumerate(rows) if row.startswith(("TRNS\t", "SPL\t")) and f"\t{account}\t" in row
        )
        assert rows.index(next(r for r in rows if r.startswith(f"ACCNT\t{account}\t"))) < first_use
    quiet = tmp_path / "q.iif"
    run_sink(SINKS["iif"], quiet, entries(), prices=prices(tmp_path), settings=IifSettings(declare_accounts=False))
    text = quiet.read_text()
    assert "!ACCNT" not in text and "\nACCNT\t" not in text
    assert text.startswith("!TRNS\t") and text.count("!TRNS\t") == 1


def test_journal_numbers_are_short_per_day_and_never_repeat() -> None:
    day = date(2024, 3, 1)
    for numbers, first, tenth, after in (
        (JournalNumbers(prefix="H5"), "H5240301001", "H524030100A", "H5240301010"),
        (JournalNumbers(), "240301-0001", "240301-000A", "240301-0010"),  # a file begun before prefixes
    ):
        issued = [numbers.next(day) for _ in range(40)]
        assert issued[0] == first and issued[9] == tenth and issued[35] == after
        century = numbers.next(date(1924, 3, 1))  # a century apart, the same YYMMDD: still unique
        assert century not in issued and century.endswith("15")
        assert JournalNumbers(numbers.counts, numbers.prefix).next(day).endswith("16")
        assert all(len(n) == 11 for n in issued)
