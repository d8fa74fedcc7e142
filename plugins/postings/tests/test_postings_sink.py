"""The postings sink: every transaction's postings as rows that balance, in CSV and JSON Lines."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from ledgerport_postings import COLUMNS, PostingsSink

from ledgerport import ConfigError, Posting, RunInfo, SinkType, StateError, exact
from ledgerport.sdk.outputfile import pending_path
from ledgerport.testing import assert_golden, asset_sums, run_sink, sample_entries

GOLDEN = Path(__file__).parent / "golden"
SINK = SinkType(name="postings", description="", open=PostingsSink)

RUN = RunInfo(
    source="demo",
    source_title="Demo",
    account="main",
    since=datetime(2024, 3, 1, tzinfo=UTC),
    until=datetime(2024, 3, 3, tzinfo=UTC),
)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def read_jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def weight(row: dict[str, object]) -> tuple[str, Decimal]:
    """The core's own rule (`Posting.weight`), applied to a row read back from the file."""
    price = row["price"] or None
    posting = Posting(
        account=str(row["account"]),
        commodity=str(row["commodity"]),
        quantity=Decimal(str(row["quantity"])),
        price=None if price is None else Decimal(str(price)),
        price_commodity=str(row["price_commodity"] or "") or None,
    )
    return posting.weight


@pytest.mark.parametrize(("name", "read"), [("sample.csv", read_csv), ("sample.jsonl", read_jsonl)])
def test_rows_match_the_golden_file_and_every_transaction_balances_at_its_prices(
    tmp_path: Path, name: str, read: object
) -> None:
    path = tmp_path / name
    run_sink(SINK, path, sample_entries())
    assert_golden(path, GOLDEN / name)
    rows = read(path)  # type: ignore[operator]
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    with exact():
        for row in rows:
            commodity, amount = weight(row)
            totals[row["txn_id"]][commodity] += amount
    assert len(totals) == 13
    assert {txn: {c: t for c, t in sums.items() if t} for txn, sums in totals.items()} == {txn: {} for txn in totals}


def test_holdings_sum_to_the_exact_signed_sum_of_the_entries(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    run_sink(SINK, path, sample_entries())
    sums: dict[str, Decimal] = defaultdict(Decimal)
    with exact():
        for row in read_csv(path):
            if row["account"].startswith("Assets:Demo:"):
                sums[row["commodity"]] += Decimal(row["quantity"])
    assert dict(sums) == asset_sums(sample_entries())


def test_csv_and_jsonl_carry_the_same_values(tmp_path: Path) -> None:
    run_sink(SINK, tmp_path / "p.csv", sample_entries())
    run_sink(SINK, tmp_path / "p.jsonl", sample_entries())
    lines = read_jsonl(tmp_path / "p.jsonl")
    assert list(lines[0]) == list(COLUMNS)
    as_csv = [
        {k: ",".join(v) if isinstance(v, list) else "" if v is None else v for k, v in line.items()} for line in lines
    ]
    assert as_csv == read_csv(tmp_path / "p.csv")
    assert "0.000000000000000007" in {line["quantity"] for line in lines}


@pytest.mark.parametrize("target", ["p.txt", "p", "-", "p.csv.gz"])
def test_an_unknown_extension_is_a_clear_error(tmp_path: Path, target: str) -> None:
    with pytest.raises(ConfigError, match=r"\.csv \(CSV\) or \.jsonl \(JSON Lines\)"):
        PostingsSink(target if target == "-" else str(tmp_path / target), RUN, None)
    assert not list(tmp_path.iterdir()), "nothing may be created for a target that is refused"


def test_the_extension_is_case_insensitive(tmp_path: Path) -> None:
    PostingsSink(str(tmp_path / "P.JSONL"), RUN, None).close()
    assert (tmp_path / "P.JSONL").read_text() == ""


def test_a_crashed_runs_tail_is_cut_off_when_the_sink_reopens(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    entries = sample_entries()
    checkpoint = run_sink(SINK, path, entries[:11])
    committed = path.read_text()
    # what a run killed while appending its next commit leaves: the start of its pending record
    with path.open("a") as file:
        file.write('{"txn_id": "demo:main:torn", "qua')
    Path(pending_path(str(path))).write_text(
        '{"txn_id": "demo:main:torn", "qua' + "the rest of that commit\n", encoding="utf-8"
    )
    PostingsSink(str(path), RUN, None, checkpoint).close()
    assert path.read_text() == committed
    path.write_text("")
    with pytest.raises(StateError, match="changed outside ledgerport"):
        PostingsSink(str(path), RUN, None, checkpoint)
