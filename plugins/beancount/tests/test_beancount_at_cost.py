"""The beancount sink at cost: bean-check books every lot itself and verifies every realized gain.

The gains are checked against the core's lot engine, the remaining inventory at cost against the open
lots the sink was handed, and the file is booked a second time by beancount's own FIFO and HIFO.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import pytest
from beancount import loader
from beancount.core import data
from ledgerport_beancount import BeancountSink

from ledgerport import ConfigError, LotSettings, SinkType
from ledgerport.books import Chart, Disposal, LotBook, OpeningLot, OpenLot, PriceBook, Rate
from ledgerport.model.entry import Entry, Kind
from ledgerport.testing import (
    assert_golden,
    bean_check,
    cost_basis_example,
    run_sink,
    sample_entries,
    sample_opening_lots,
    sample_prices,
)

GOLDEN = Path(__file__).parent / "golden" / "sample-at-cost-fifo.beancount"
GAINS = "Income:Realized-Gains"
METHODS = ("fifo", "lifo", "hifo", "average")
CENT = Decimal("0.01")
_REDUCTION = re.compile(r"^(  \S+  -\S+ \S+ )\{[^{}]*\}", re.MULTILINE)


class _Recording(BeancountSink):
    """The sink, remembering the open lots it was handed last and the symbols it chose."""

    lots: ClassVar[list[OpenLot]] = []
    symbols: ClassVar[dict[str, str]] = {}

    def write_lots(self, lots: Sequence[OpenLot]) -> None:
        _Recording.lots = list(lots)
        _Recording.symbols = dict(self.commodities)


SINK = SinkType(name="beancount", description="", open=_Recording)


def _write(
    path: Path,
    entries: list[Entry],
    method: str,
    prices: PriceBook,
    opening: Sequence[OpeningLot] = (),
    pool: str = "wallet",
) -> Path:
    settings = LotSettings(method=method, pool=pool)  # type: ignore[arg-type]
    run_sink(SINK, path, entries, prices=prices, cost_basis=settings, opening=opening)
    return path


def _sample(tmp_path: Path, method: str) -> Path:
    return _write(
        tmp_path / f"sample-{method}.beancount", sample_entries(), method, sample_prices(), sample_opening_lots()
    )


def _load(path: Path) -> list[data.Transaction]:
    entries, errors, _ = loader.load_file(str(path))
    assert not errors, errors
    return [e for e in entries if isinstance(e, data.Transaction)]


def _file_gains(path: Path) -> dict[str, Decimal]:
    """Per txn_id, the realized gain the file's explicit gain postings book (income is negative)."""
    gains: dict[str, Decimal] = {}
    for transaction in _load(path):
        posted = [p.units.number for p in transaction.postings if p.account == GAINS]
        if posted:
            gains[transaction.meta["txn_id"]] = -sum(posted, Decimal(0))
    return gains


def _engine_gains(entries: list[Entry], method: str, prices: PriceBook, opening: Sequence[OpeningLot] = ()) -> Decimal:
    """The realized gains of the core's lot engine, run on its own over the whole range."""
    settings = LotSettings(method=method)  # type: ignore[arg-type]
    engine = LotBook(settings, prices, opening=opening, holding=lambda e: Chart().holding(e, "Demo"))
    return sum((b.gain for b in engine.apply(entries) if isinstance(b, Disposal)), Decimal(0))


def _inventory(path: Path) -> dict[tuple[str, str, str | None], list[Decimal]]:
    """What beancount holds at cost after booking the file: per (account, commodity, lot label),
    [units, cost]; a commodity without cost (the home currency) is left out."""
    held: dict[tuple[str, str, str | None], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for transaction in _load(path):
        for posting in transaction.postings:
            if posting.cost is None:
                continue
            row = held[(posting.account, posting.units.currency, posting.cost.label)]
            row[0] += posting.units.number
            row[1] += posting.units.number * posting.cost.number
    return held


def _assert_inventory_is_the_open_lots(path: Path) -> None:
    lots = _Recording.lots
    assert lots and not any(lot.in_transit for lot in lots)
    expected: dict[tuple[str, str, str | None], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for lot in lots:
        row = expected[(lot.holding, _Recording.symbols[lot.asset], lot.lot_id)]
        row[0] += lot.quantity
        row[1] += lot.cost
    held = {k: v for k, v in _inventory(path).items() if v[0]}
    assert set(held) == set(expected)
    for key, (units, cost) in expected.items():
        assert held[key][0] == units, key
        assert held[key][1].quantize(CENT) == cost, key


def _rebooked(path: Path, method: str, at_least: int = 5) -> Path:
    """The file with every reduction's lot left for beancount to choose (`{}`) by `method`."""
    text = _REDUCTION.sub(r"\1{}", path.read_text())
    assert text.count("{}") >= at_least
    out = path.with_name(f"{path.stem}-rebooked-{method}.beancount")
    out.write_text(f'option "booking_method" "{method}"\n' + text)
    return out


# -- the sample ledger at cost ----------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_bean_check_accepts_the_sample_at_cost_and_books_the_engines_gains(tmp_path: Path, method: str) -> None:
    path = _sample(tmp_path, method)
    bean_check(path)
    gains = _file_gains(path)
    assert gains, "the sample realizes gains"
    assert sum(gains.values(), Decimal(0)) == _engine_gains(
        sample_entries(), method, sample_prices(), sample_opening_lots()
    )
    _assert_inventory_is_the_open_lots(path)


def test_the_sample_at_cost_matches_the_golden_file(tmp_path: Path) -> None:
    path = _sample(tmp_path, "fifo")
    assert_golden(path, GOLDEN)


def test_lots_carry_their_total_cost_date_and_id_and_disposals_their_fair_value(tmp_path: Path) -> None:
    text = _sample(tmp_path, "fifo").read_text()
    assert "option" not in text  # beancount ignores an included file's options: the books must not need one
    assert '  Assets:Demo:Trade  0.5 BTC {{20000.00 USD, 2024-03-01, "e01"}}\n  Assets:Demo:Main  0.00 USD\n' in text
    assert '  Assets:Demo:Main  1 BTC {{40000.00 USD, 2024-03-01, "e01"}}\n' in text
    assert '  Assets:Demo:Trade  -0.1 BTC {40000 USD, 2024-03-01, "e01"} @ 40000 USD\n' in text
    assert '  Assets:Demo:Main  1 KCS {{5.50 USD, 2023-01-05, "opening:2"}}\n' in text
    assert "  Income:Realized-Gains  -4.50 USD\n" in text
    # a lot whose per-unit cost does not end goes out whole and its rest comes back in at its total
    assert '  Assets:Demo:Trade  -3996 USDT {1.001001001001001001001001001 USD, 2024-03-01, "e05"} @ 1 USD\n' in text
    assert '  Assets:Demo:Trade  2995.5 USDT {{2998.50 USD, 2024-03-01, "e05"}}\n' in text


@pytest.mark.parametrize(("method", "booking"), [("fifo", "FIFO"), ("hifo", "HIFO")])
def test_beancounts_own_booking_picks_the_same_lots(tmp_path: Path, method: str, booking: str) -> None:
    path = _sample(tmp_path, method)
    rebooked = _rebooked(path, booking)
    bean_check(rebooked)
    assert _file_gains(rebooked) == _file_gains(path)
    _assert_inventory_is_the_open_lots(rebooked)


def test_balance_assertions_still_check_the_units(tmp_path: Path) -> None:
    path = _sample(tmp_path, "fifo")
    text = path.read_text()
    assert "2024-03-03 balance Assets:Demo:Main  0.2999000000000000000 BTC\n" in text
    path.write_text(text.replace("Main  0.2999000000000000000 BTC", "Main  0.2999000000000000010 BTC"))
    with pytest.raises(AssertionError, match="Balance failed for 'Assets:Demo:Main'"):
        bean_check(path)


def test_a_wrong_gain_is_refused_by_bean_check(tmp_path: Path) -> None:
    path = _sample(tmp_path, "fifo")
    path.write_text(
        path.read_text().replace("  Income:Realized-Gains  -4.50 USD\n", "  Income:Realized-Gains  -4.49 USD\n")
    )
    with pytest.raises(AssertionError, match="does not balance"):
        bean_check(path)


# -- scenarios -----------------------------------------------------------------------------------------


def _entry(entry_id: str, day: int, sub: str, asset: str, amount: str, kind: Kind, group: str = "") -> Entry:
    return Entry(
        source="kucoin",
        account="default",
        entry_id=entry_id,
        timestamp=datetime(2024, 1, day, 12, tzinfo=UTC),
        asset=asset,
        amount=Decimal(amount),
        kind=kind,
        sub_account=sub,
        group_id=group,
    )


def _trade(entry_id: str, day: int, sub: str, give: tuple[str, str], get: tuple[str, str]) -> list[Entry]:
    return [
        _entry(f"{entry_id}a", day, sub, give[1], f"-{give[0]}", Kind.TRADE, entry_id),
        _entry(f"{entry_id}b", day, sub, get[1], get[0], Kind.TRADE, entry_id),
    ]


def _thirds() -> tuple[list[Entry], PriceBook]:
    """3 BTC bought for 10,000 USD (3,333.33… a unit), one moved to MAIN, the rest sold 1 and 1; and
    7 ETH bought for 1,000 USD sold in four parts, the last taking what is left."""
    entries = [
        *_trade("b1", 1, "TRADE", ("10000", "USD"), ("3", "BTC")),
        *_trade("b2", 1, "TRADE", ("1000", "USD"), ("7", "ETH")),
        _entry("m1", 2, "TRADE", "BTC", "-1", Kind.TRANSFER),
        _entry("m2", 2, "MAIN", "BTC", "1", Kind.TRANSFER),
        *_trade("s1", 3, "TRADE", ("1", "BTC"), ("4000", "USD")),
        *_trade("s2", 3, "TRADE", ("0.5", "ETH"), ("90", "USD")),
        *_trade("s3", 4, "TRADE", ("1", "BTC"), ("4100", "USD")),
        *_trade("s4", 4, "TRADE", ("1.25", "ETH"), ("200", "USD")),
        *_trade("s5", 5, "MAIN", ("1", "BTC"), ("3900", "USD")),
        *_trade("s6", 5, "TRADE", ("2", "ETH"), ("333.33", "USD")),
        *_trade("s7", 6, "TRADE", ("3.25", "ETH"), ("500", "USD")),
    ]
    prices = PriceBook()
    for day in range(1, 7):
        prices.add("BTC", "USD", date(2024, 1, day), Rate(Decimal(4000)))
        prices.add("ETH", "USD", date(2024, 1, day), Rate(Decimal(150)))
    return entries, prices


@pytest.mark.parametrize("method", METHODS)
def test_a_per_unit_cost_that_does_not_end_books_the_engines_gains_exactly(tmp_path: Path, method: str) -> None:
    entries, prices = _thirds()
    path = _write(tmp_path / f"thirds-{method}.beancount", entries, method, prices)
    bean_check(path)
    gains = _file_gains(path)
    assert sum(gains.values(), Decimal(0)) == _engine_gains(entries, method, prices)
    # 3 BTC for 10,000.00: the lots cost 3,333.33, then 3,333.34 (half of 6,666.67, to even), then 3,333.33
    btc = sum((g for t, g in gains.items() if ":s1" in t or ":s3" in t or ":s5" in t), Decimal(0))
    assert btc == Decimal("12000.00") - Decimal("10000.00")
    eth = sum((g for t, g in gains.items() if t.split(":")[-1] in {"s2a", "s4a", "s6a", "s7a"}), Decimal(0))
    assert eth == Decimal("1123.33") - Decimal("1000.00")
    assert not {k: v for k, v in _inventory(path).items() if v[0]}, "everything was sold"


def test_the_issues_example_books_the_5000_gain_and_leaves_only_usdt_at_cost(tmp_path: Path) -> None:
    entries, prices, opening = cost_basis_example()
    path = _write(tmp_path / "example.beancount", entries, "fifo", prices, opening)
    bean_check(path)
    assert sum(_file_gains(path).values(), Decimal(0)) == Decimal("5000.00")
    held = _inventory(path)
    for account in ("Assets:Demo:Main", "Assets:Demo:Trade"):
        btc = [v for (a, c, _), v in held.items() if a == account and c == "BTC"]
        assert btc and all(units == 0 and cost == 0 for units, cost in btc), account
    usdt = {k: v for k, v in held.items() if k[1] == "USDT"}
    assert list(usdt.values()) == [[Decimal(45000), Decimal(45000)]]
    text = path.read_text()
    assert '  Assets:Demo:Main  1 BTC {{40000 USD, 2023-06-01, "opening:2"}}\n' in text


def test_an_average_pool_that_grows_at_its_own_unit_cost_is_one_lot(tmp_path: Path) -> None:
    entries = [
        *_trade("b1", 1, "TRADE", ("100", "USD"), ("1", "BTC")),
        *_trade("b2", 1, "TRADE", ("100", "USD"), ("1", "BTC")),
        *_trade("b3", 2, "TRADE", ("500", "USD"), ("1", "BTC")),
        *_trade("s1", 3, "TRADE", ("2", "BTC"), ("900", "USD")),
    ]
    prices = PriceBook()
    path = _write(tmp_path / "average.beancount", entries, "average", prices)
    bean_check(path)
    assert sum(_file_gains(path).values(), Decimal(0)) == _engine_gains(entries, "average", prices)
    _assert_inventory_is_the_open_lots(path)


# -- what beancount cannot hold ------------------------------------------------------------------------


def test_a_universal_pool_is_refused_naming_the_wallet_pool(tmp_path: Path) -> None:
    path = tmp_path / "universal.beancount"
    with pytest.raises(ConfigError, match=r'lot_pool = "universal".*lot_pool = "wallet"'):
        _write(path, sample_entries(), "fifo", sample_prices(), sample_opening_lots(), pool="universal")
    assert not path.exists()


def test_without_cost_basis_nothing_is_held_at_cost(tmp_path: Path) -> None:
    path = tmp_path / "plain.beancount"
    checkpoint: Any = run_sink(SinkType(name="beancount", description="", open=BeancountSink), path, sample_entries())
    assert checkpoint is not None
    text = path.read_text()
    assert "{" not in text and "option" not in text


def test_lots_of_one_day_stay_in_fifo_order_when_one_comes_back_in(tmp_path: Path) -> None:
    """Beancount's FIFO sorts by the lot's date alone and keeps lots of one day in the order they
    entered the account; a lot partly sold at a unit cost that does not end goes out whole and its rest
    comes back in last. The day's later lots then go out and back in behind it, so beancount's own FIFO
    still takes the lots ledgerport took."""
    entries = [
        *_trade("b1", 1, "TRADE", ("10000", "USD"), ("3", "BTC")),
        *_trade("b2", 1, "TRADE", ("5000", "USD"), ("1", "BTC")),
        *_trade("s1", 2, "TRADE", ("1", "BTC"), ("4000", "USD")),
        *_trade("s2", 3, "TRADE", ("1", "BTC"), ("4000", "USD")),
    ]
    path = _write(tmp_path / "same-day.beancount", entries, "fifo", PriceBook())
    bean_check(path)
    text = path.read_text()
    assert '  Assets:Demo:Trade  -1 BTC {5000 USD, 2024-01-01, "b2b"}\n' in text
    assert '  Assets:Demo:Trade  1 BTC {{5000 USD, 2024-01-01, "b2b"}}\n' in text
    rebooked = _rebooked(path, "FIFO", at_least=2)
    bean_check(rebooked)
    assert _file_gains(rebooked) == _file_gains(path)
    _assert_inventory_is_the_open_lots(rebooked)


def test_an_older_lot_arriving_among_lots_of_its_day_is_put_before_them(tmp_path: Path) -> None:
    """A transfer brings a piece of MAIN's first lot of the day into TRADE, which already holds a later
    lot of that day: beancount would put the piece last, so TRADE's lots of that day (and older) go out
    and come back in in acquisition order, and beancount's FIFO then sells the piece first, as ledgerport."""
    entries = [
        *_trade("b1", 1, "MAIN", ("10000", "USD"), ("3", "BTC")),
        *_trade("b2", 1, "TRADE", ("5000", "USD"), ("1", "BTC")),
        _entry("m1", 2, "MAIN", "BTC", "-1", Kind.TRANSFER),
        _entry("m2", 2, "TRADE", "BTC", "1", Kind.TRANSFER),
        *_trade("s1", 3, "TRADE", ("1.5", "BTC"), ("6000", "USD")),
    ]
    path = _write(tmp_path / "arrival.beancount", entries, "fifo", PriceBook())
    bean_check(path)
    assert '  Assets:Demo:Trade  -1 BTC {5000 USD, 2024-01-01, "b2b"}\n' in path.read_text()
    rebooked = _rebooked(path, "FIFO", at_least=3)
    bean_check(rebooked)
    assert _file_gains(rebooked) == _file_gains(path)
    _assert_inventory_is_the_open_lots(rebooked)
