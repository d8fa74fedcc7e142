"""The ledger sink's journal, checked by both real tools in their strictest modes."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from ledgerport_ledger import LedgerSink, ledger_commodity

from ledgerport import RunInfo, SinkType, StateError
from ledgerport.sdk.outputfile import pending_path
from ledgerport.testing import assert_golden, asset_sums, hledger, ledger, run_sink, sample_entries

GOLDEN = Path(__file__).parent / "golden" / "sample.journal"
SINK = SinkType(name="ledger", description="", open=LedgerSink)

RUN = RunInfo(
    source="demo",
    source_title="Demo",
    account="main",
    since=datetime(2024, 3, 1, tzinfo=UTC),
    until=datetime(2024, 3, 3, tzinfo=UTC),
)


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    path = tmp_path / "sample.journal"
    run_sink(SINK, path, sample_entries())
    return path


def test_both_tools_accept_it_strictly_and_it_matches_the_golden_file(journal: Path) -> None:
    hledger(journal, "check", "-s")
    ledger(journal, "balance")
    assert_golden(journal, GOLDEN)


def test_holdings_per_commodity_equal_the_exact_signed_sum_of_the_entries(journal: Path) -> None:
    rows = csv.DictReader(
        io.StringIO(hledger(journal, "balance", "^Assets:Demo", "-O", "csv", "--layout=bare", "-N", "--depth", "2"))
    )
    assert {row["commodity"]: Decimal(row["balance"]) for row in rows} == asset_sums(sample_entries())


def test_running_balances_are_asserted_and_a_wrong_one_is_caught(journal: Path) -> None:
    text = journal.read_text()
    assert "Assets:Demo:Main  -0.5 BTC = 0.5 BTC" in text
    assert "USDC  = " not in text, "USDC started with a balance the books lack: it must not be asserted"
    journal.write_text(text.replace("-0.5 BTC = 0.5 BTC", "-0.5 BTC = 0.500000000000000001 BTC"))
    with pytest.raises(AssertionError, match="refused"):
        hledger(journal, "check")
    with pytest.raises(AssertionError, match="refused"):
        ledger(journal, "balance")


def test_commodities_with_digits_are_quoted() -> None:
    assert [ledger_commodity(c) for c in ("BTC", "stETH", "1INCH", "USD-T")] == ["BTC", "stETH", '"1INCH"', '"USD-T"']


def test_a_crashed_runs_tail_is_cut_off_when_the_sink_reopens(tmp_path: Path) -> None:
    path = tmp_path / "j.journal"
    entries = sample_entries()
    checkpoint = run_sink(SINK, path, entries[:11])
    committed = path.read_text()
    # what a run killed while appending its next commit leaves: the start of its pending record
    with path.open("a") as file:
        file.write("2024-03-02 (demo:main:torn) half a transac")
    Path(pending_path(str(path))).write_text(
        "2024-03-02 (demo:main:torn) half a transac" + "the rest of that commit\n", encoding="utf-8"
    )
    sink = LedgerSink(str(path), RUN, None, checkpoint)
    sink.close()
    assert path.read_text() == committed
    path.write_text("")
    with pytest.raises(StateError, match="changed outside ledgerport"):
        LedgerSink(str(path), RUN, None, checkpoint)


def test_commodities_the_quoting_spells_alike_stay_apart(tmp_path: Path) -> None:
    sink = LedgerSink(str(tmp_path / "j.journal"), RUN, None)
    assert [sink.symbol(c) for c in ("a;b", 'a"b', "BTC")] == ['"a\'b"', '"a\'b-2"', "BTC"]
    sink.close()
