"""The koinly sink: Koinly's universal CSV, one row per economic event, exact, labelled."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from ledgerport_taxtools import HEADER, Amount, KoinlySink, koinly_rows, label, tx_hash

from ledgerport import Entry, Kind, RunInfo, SinkType, StateError, Transaction, exact
from ledgerport.sdk.outputfile import pending_path
from ledgerport.testing import assert_golden, asset_sums, run_sink, sample_entries

GOLDEN = Path(__file__).parent / "golden" / "sample.csv"
SINK = SinkType(name="koinly", description="", open=KoinlySink)

RUN = RunInfo(
    source="demo",
    source_title="Demo",
    account="main",
    since=datetime(2024, 3, 1, tzinfo=UTC),
    until=datetime(2024, 3, 3, tzinfo=UTC),
)
HASH = "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060"


def entries() -> list[Entry]:
    """The sample ledger, its withdrawal carrying the raw record KuCoin sends (context as a JSON string)."""
    sample = sample_entries()
    sample[11] = attrs.evolve(sample[11], raw={"id": "e12", "context": f'{{"orderId": "o1", "txId": "{HASH}"}}'})
    return sample


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


@pytest.fixture
def rows(tmp_path: Path) -> list[dict[str, str]]:
    path = tmp_path / "koinly.csv"
    run_sink(SINK, path, entries())
    assert_golden(path, GOLDEN)
    assert path.read_text().splitlines()[0] == ",".join(HEADER)
    return read(path)


def test_one_row_per_economic_event_and_the_rows_add_up_to_the_ledger(rows: list[dict[str, str]]) -> None:
    assert len(rows) == 12, "13 transactions, less the transfer between the source's own sub-accounts"
    net: dict[str, Decimal] = defaultdict(Decimal)
    with exact():
        for row in rows:
            for column, sign in (("Received", 1), ("Sent", -1), ("Fee", -1)):
                if row[f"{column} Amount"]:
                    net[row[f"{column} Currency"]] += sign * Decimal(row[f"{column} Amount"])
    assert dict(net) == asset_sums(entries())


def test_trades_withdrawals_and_rewards(rows: list[dict[str, str]]) -> None:
    by_event = {row["Description"].rsplit("[", 1)[1].rstrip("]"): row for row in rows}
    trade = by_event["demo:main:e04"]
    assert (
        trade["Date"],
        trade["Sent Amount"],
        trade["Sent Currency"],
        trade["Received Amount"],
        trade["Received Currency"],
        trade["Fee Amount"],
        trade["Fee Currency"],
        trade["Label"],
    ) == ("2024-03-01 09:50 UTC", "0.1", "BTC", "4000", "USDT", "4", "USDT", "")
    withdrawal = by_event["demo:main:e12"]
    assert (withdrawal["Sent Amount"], withdrawal["Fee Amount"], withdrawal["TxHash"]) == ("0.2000", "0.0001", HASH)
    assert by_event["demo:main:e13"]["Received Amount"] == "0.000000000000000007"
    assert {event: row["Label"] for event, row in by_event.items() if row["Label"]} == {
        "demo:main:e08": "reward",
        "demo:main:e09": "margin loan",
        "demo:main:e10": "margin fee",
        "demo:main:e11": "loan repayment",
        "demo:main:e13": "staking",
        "demo:main:e14": "cost",
    }
    assert "demo:main:e02" not in by_event


def _entry(entry_id: str, asset: str, amount: str, fee: str = "0", **kw: object) -> Entry:
    return Entry(
        source="x",
        account="a",
        entry_id=entry_id,
        timestamp=datetime(2024, 5, 1, 12, 0, 59, tzinfo=UTC),
        asset=asset,
        amount=Decimal(amount),
        fee=Decimal(fee),
        **kw,
    )  # type: ignore[arg-type]


def _txn(kind: Kind, legs: list[Entry]) -> Transaction:
    return Transaction(
        txn_id="x:a:t",
        timestamp=legs[0].timestamp,
        source="x",
        account="a",
        kind=kind,
        description="d",
        postings=(),
        entry_ids=tuple(e.entry_id for e in legs),
    )


def test_a_trade_with_fees_in_two_assets_puts_the_second_in_a_cost_row() -> None:
    legs = [_entry("1", "BTC", "-1.5", "0.5", kind=Kind.TRADE), _entry("2", "ETH", "19", "1", kind=Kind.TRADE)]
    rows = koinly_rows(_txn(Kind.TRADE, legs), legs)
    assert [(r.sent, r.received, r.fee, r.label) for r in rows] == [
        (Amount(Decimal(1), "BTC"), Amount(Decimal(20), "ETH"), Amount(Decimal("0.5"), "BTC"), ""),
        (Amount(Decimal(1), "ETH"), None, None, "cost"),
    ]


def test_a_trade_of_three_assets_is_one_row_per_asset() -> None:
    legs = [
        _entry("1", "BTC", "-1", kind=Kind.TRADE),
        _entry("2", "ETH", "10", kind=Kind.TRADE),
        _entry("3", "USDT", "5", kind=Kind.TRADE),
    ]
    rows = koinly_rows(_txn(Kind.TRADE, legs), legs)
    assert [(r.sent and r.sent.currency, r.received and r.received.currency) for r in rows] == [
        ("BTC", None),
        (None, "ETH"),
        (None, "USDT"),
    ]


def test_an_unpaired_transfer_is_a_plain_movement_and_a_zero_entry_no_row() -> None:
    out = _entry("1", "BTC", "-1", kind=Kind.TRANSFER)
    assert [(r.sent.quantity, r.label) for r in koinly_rows(_txn(Kind.TRANSFER, [out]), [out])] == [(1, "")]  # type: ignore[union-attr]
    zero = _entry("2", "BTC", "0", kind=Kind.ADJUSTMENT)
    assert koinly_rows(_txn(Kind.ADJUSTMENT, [zero]), [zero]) == []


@pytest.mark.parametrize(
    ("kind", "amount", "category", "sub", "expected"),
    [
        (Kind.REWARD, "1", "Airdrop/Fork", "MAIN", "airdrop"),
        (Kind.REWARD, "1", "Soft Staking Profits", "MAIN", "staking"),
        (Kind.REWARD, "1", "Referral Bonus", "MAIN", "reward"),
        (Kind.FEE, "1", "Fee Rebate", "MAIN", "fee refund"),
        (Kind.INTEREST, "1", "Lending interest", "MAIN", "lending interest"),
        (Kind.INTEREST, "-1", "Interest", "MAIN", "loan fee"),
        (Kind.LOAN, "1", "Loans", "MAIN", "loan"),
        (Kind.LOAN, "-1", "Lendings", "MAIN", ""),
        (Kind.DEPOSIT, "1", "Deposit", "MAIN", ""),
        (Kind.WITHDRAWAL, "-1", "Withdrawal", "MAIN", ""),
    ],
)
def test_labels(kind: Kind, amount: str, category: str, sub: str, expected: str) -> None:
    entry = _entry("1", "BTC", amount, kind=kind, category=category, sub_account=sub)
    assert label(entry, incoming=entry.amount > 0) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ""),
        ({"context": ""}, ""),
        ({"context": '{"orderId": "o", "txId": "0xab"}'}, "0xab"),
        ({"context": {"txId": "0xcd"}}, "0xcd"),
        ({"txHash": " 0xef "}, "0xef"),
        ({"context": "{'symbol': 'BTC-USDT'}"}, ""),
        ({"context": "[1, 2]"}, ""),
    ],
)
def test_tx_hash(raw: dict[str, object] | None, expected: str) -> None:
    assert tx_hash(raw) == expected


def test_a_crashed_runs_tail_is_cut_off_when_the_sink_reopens(tmp_path: Path) -> None:
    path = tmp_path / "k.csv"
    checkpoint = run_sink(SINK, path, entries()[:11])
    committed = path.read_text()
    # what a run killed while appending its next commit leaves: the start of its pending record
    with path.open("a") as file:
        file.write("2024-03-02 09:30 UTC,200,US")
    Path(pending_path(str(path))).write_text(
        "2024-03-02 09:30 UTC,200,US" + "the rest of that commit\n", encoding="utf-8"
    )
    KoinlySink(str(path), RUN, None, checkpoint).close()
    assert path.read_text() == committed
    path.write_text("")
    with pytest.raises(StateError, match="changed outside ledgerport"):
        KoinlySink(str(path), RUN, None, checkpoint)
