"""The beancount sink's journal, checked by the real bean-check."""

from __future__ import annotations

from pathlib import Path

import pytest
from ledgerport_beancount import BeancountSink, beancount_commodity

from ledgerport import SinkType
from ledgerport.testing import assert_golden, bean_check, run_sink, sample_entries

GOLDEN = Path(__file__).parent / "golden" / "sample.beancount"
SINK = SinkType(name="beancount", description="", open=BeancountSink)


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    path = tmp_path / "sample.beancount"
    run_sink(SINK, path, sample_entries())
    return path


def test_bean_check_accepts_it_and_it_matches_the_golden_file(journal: Path) -> None:
    bean_check(journal)
    assert_golden(journal, GOLDEN)


def test_end_of_day_balances_are_asserted_exactly_on_the_next_day(journal: Path) -> None:
    text = journal.read_text()
    assert "2024-03-02 balance Assets:Demo:Main  0.5000000000000000000 BTC\n" in text
    assert "2024-03-03 balance Assets:Demo:Main  0.2999000000000000000 BTC\n" in text
    assert "USDC\n" not in text.split("balance")[-1], "USDC started with a balance the books lack"
    journal.write_text(text.replace("Main  0.5000000000000000000 BTC", "Main  0.5000000000000000010 BTC"))
    with pytest.raises(AssertionError, match="Balance failed for 'Assets:Demo:Main'"):
        bean_check(journal)


def test_renamed_commodities_keep_their_original_name(journal: Path) -> None:
    text = journal.read_text()
    assert '1970-01-01 commodity X1INCH\n  name: "1INCH"\n' in text
    assert '1970-01-01 commodity XSTETH\n  name: "stETH"\n' in text
    assert "1970-01-01 commodity BTC\n" in text


@pytest.mark.parametrize(
    ("given", "taken", "expected"),
    [
        ("BTC", set(), "BTC"),
        ("1INCH", set(), "X1INCH"),
        ("stETH", {"XSTETH"}, "XSTETH-2"),
        ("a b/c", set(), "XA-B-C"),
        ("B", set(), "B"),
        ("USDT.e", set(), "XUSDT.E"),
    ],
)
def test_commodity_renames_are_valid_and_distinct(given: str, taken: set[str], expected: str) -> None:
    assert beancount_commodity(given, taken) == expected
