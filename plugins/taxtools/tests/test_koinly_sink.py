"""The koinly sink: Koinly's universal CSV, one row per economic event, exact, labelled."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from ledgerport_taxtools import HEADER, Amount, KoinlySink, koinly_rows, label, render, tx_hash
from ledgerport_taxtools.labels import KOINLY_TAGS

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
    ) == ("2024-03-01 09:50:00 UTC", "0.1", "BTC", "4000", "USDT", "4", "USDT", "")
    withdrawal = by_event["demo:main:e12"]
    assert (withdrawal["Sent Amount"], withdrawal["Fee Amount"], withdrawal["TxHash"]) == ("0.2000", "0.0001", HASH)
    assert by_event["demo:main:e13"]["Received Amount"] == "0.000000000000000007"
    assert {event: row["Label"] for event, row in by_event.items() if row["Label"]} == {
        "demo:main:e08": "reward",
        "demo:main:e09": "margin loan",
        "demo:main:e10": "margin fee",
        "demo:main:e13": "reward",
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
        # Koinly documents `reward` for staking rewards; it has no `staking` tag any more
        (Kind.REWARD, "1", "Soft Staking Profits", "MAIN", "reward"),
        (Kind.REWARD, "1", "Staking Profits", "MAIN", "reward"),
        (Kind.REWARD, "1", "Mining Income", "MAIN", "mining"),
        (Kind.REWARD, "1", "Referral Bonus", "MAIN", "reward"),
        (Kind.REWARD, "-1", "KuCoin Bonus", "MAIN", ""),
        (Kind.FEE, "1", "Fee Rebate", "MAIN", "fee refund"),
        (Kind.FEE, "-1", "KCS Pay Fees", "MAIN", "cost"),
        (Kind.FEE, "-1", "Liquidation Fees", "MARGIN", "margin fee"),
        (Kind.FEE, "-1", "Liquidation Fees", "MAIN", "margin fee"),
        # lending interest and Earn profits are income; margin interest an expense
        (Kind.INTEREST, "1", "Lending interest", "MAIN", "lending interest"),
        (Kind.INTEREST, "1", "KuCoin Earn Profits", "MAIN", "lending interest"),
        (Kind.INTEREST, "1", "Hold to Earn Earnings", "MAIN", "lending interest"),
        (Kind.INTEREST, "1", "Staking interest", "MAIN", "reward"),
        (Kind.INTEREST, "-1", "Interest", "MAIN", "loan fee"),
        (Kind.INTEREST, "-1", "Margin Interest", "MAIN", "margin fee"),
        (Kind.INTEREST, "-1", "Interest", "MARGIN", "margin fee"),
        (Kind.INTEREST, "-1", "LIABILITY_INTEREST", "UNIFIED", "margin fee"),
        (Kind.INTEREST, "-1", "Interest", "ISOLATED_V2", "margin fee"),
        (Kind.LOAN, "1", "Loans", "MAIN", "loan"),
        (Kind.LOAN, "1", "Borrowings", "MARGIN", "margin loan"),
        (Kind.LOAN, "-1", "Lendings", "MAIN", ""),
        # repayments: Koinly's documented list has no tag for them, so none (a plain disposal/acquisition)
        (Kind.REPAYMENT, "-1", "Debt Repayment", "MARGIN", ""),
        (Kind.REPAYMENT, "1", "Loans Repaid", "MAIN", ""),
        # a liquidation is a forced sale: a trade, which Koinly taxes untagged
        (Kind.TRADE, "-1", "LIQUIDATION", "MARGIN_V2", ""),
        (Kind.TRADE, "-1", "Liquidation Takeover", "MARGIN", ""),
        (Kind.TRANSFER, "-1", "Staking", "MAIN", ""),
        (Kind.TRANSFER, "1", "Redemption", "MAIN", ""),
        (Kind.DEPOSIT, "1", "Deposit", "MAIN", ""),
        (Kind.WITHDRAWAL, "-1", "Withdrawal", "MAIN", ""),
        # 1Konto's event types
        (Kind.DEPOSIT, "1", "deposit", "", ""),
        (Kind.WITHDRAWAL, "-1", "withdrawal", "", ""),
        (Kind.TRANSFER, "-1", "transferSent", "", ""),
        (Kind.TRANSFER, "1", "transferReceived", "", ""),
        (Kind.ADJUSTMENT, "1", "manual", "", ""),
        (Kind.ADJUSTMENT, "1", "initialBalances", "", ""),
        (Kind.OTHER, "1", "order", "", ""),
        (Kind.OTHER, "1", "someNewType", "", ""),
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
    assert tx_hash(raw, "kucoin") == expected, "a KuCoin hash without a suffix is kept whole"


def test_every_label_is_one_of_koinlys_documented_tags() -> None:
    categories = ("", "Staking Profits", "Airdrop/Fork", "Mining Income", "Margin Interest", "Liquidation Fees", "x")
    for kind in Kind:
        for category in categories:
            for sub in ("MAIN", "MARGIN", ""):
                for amount in ("1", "-1"):
                    entry = _entry("1", "BTC", amount, kind=kind, category=category, sub_account=sub)
                    assert label(entry, incoming=entry.amount > 0) in KOINLY_TAGS | {""}


@pytest.mark.parametrize(
    ("source", "value", "expected"),
    [
        ("kucoin", f"{HASH}@0x8d5c0d8e3b0f9c2b1a7e6f5d4c3b2a1908f7e6d5@eth", HASH),
        (
            "kucoin",
            "2C24A6D5B3E7D5B6AA6534025B9B107AC910309A98825BF5581E25BEC94AD83B@e8902757998fc352e6c9d8890d18a71c",
            "2C24A6D5B3E7D5B6AA6534025B9B107AC910309A98825BF5581E25BEC94AD83B",
        ),
        ("kucoin", " 0xab @addr@trx ", "0xab"),
        ("kucoin", "@addr@eth", ""),
        ("onekonto", "0xab@addr@eth", "0xab@addr@eth"),
        ("", "0xab@addr@eth", "0xab@addr@eth"),
    ],
)
def test_kucoins_address_and_chain_suffix_is_dropped_for_kucoin_only(source: str, value: str, expected: str) -> None:
    context = f'{{"orderId": "o1", "txId": "{value}"}}'
    assert tx_hash({"context": context}, source) == expected
    withdrawal = attrs.evolve(
        _entry("w", "ETH", "-1", "0.01", kind=Kind.WITHDRAWAL), source=source or "x", raw={"context": context}
    )
    (row,) = koinly_rows(_txn(Kind.WITHDRAWAL, [withdrawal]), [withdrawal])
    assert row.tx_hash == (expected if source else value)


def test_the_date_keeps_its_seconds_so_two_fills_in_one_minute_stay_apart() -> None:
    rows = []
    for second, trade_id in ((5, "t1"), (41, "t2")):
        legs = [
            attrs.evolve(
                _entry(f"{trade_id}a", "BTC", "-0.1", kind=Kind.TRADE),
                timestamp=datetime(2024, 5, 1, 12, 0, second, tzinfo=UTC),
            ),
            attrs.evolve(
                _entry(f"{trade_id}b", "USDT", "6000", kind=Kind.TRADE),
                timestamp=datetime(2024, 5, 1, 12, 0, second, tzinfo=UTC),
            ),
        ]
        rows += [render(row) for row in koinly_rows(_txn(Kind.TRADE, legs), legs)]
    assert [r[0] for r in rows] == ["2024-05-01 12:00:05 UTC", "2024-05-01 12:00:41 UTC"]
    assert rows[0][1:5] == rows[1][1:5], "equal fills: only the date tells them apart"
    datetime.strptime(rows[0][0], "%Y-%m-%d %H:%M:%S UTC")


def test_a_crashed_runs_tail_is_cut_off_when_the_sink_reopens(tmp_path: Path) -> None:
    path = tmp_path / "k.csv"
    checkpoint = run_sink(SINK, path, entries()[:11])
    committed = path.read_text()
    # what a run killed while appending its next commit leaves: the start of its pending record
    with path.open("a") as file:
        file.write("2024-03-02 09:30:00 UTC,200,US")
    Path(pending_path(str(path))).write_text(
        "2024-03-02 09:30:00 UTC,200,US" + "the rest of that commit\n", encoding="utf-8"
    )
    KoinlySink(str(path), RUN, None, checkpoint).close()
    assert path.read_text() == committed
    path.write_text("")
    with pytest.raises(StateError, match="changed outside ledgerport"):
        KoinlySink(str(path), RUN, None, checkpoint)
