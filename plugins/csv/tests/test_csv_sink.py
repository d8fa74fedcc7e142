from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import attrs
from ledgerport_csv import CsvSink

from ledgerport import Entry, RunInfo

RUN = RunInfo(
    source="x",
    source_title="X",
    account="acc",
    since=datetime(2024, 1, 1, tzinfo=UTC),
    until=datetime(2024, 2, 1, tzinfo=UTC),
)


def entry(n: int, **kw: object) -> Entry:
    base: dict[str, object] = {
        "source": "x",
        "account": "acc",
        "entry_id": f"e{n}",
        "asset": "ETH",
        "amount": Decimal("1"),
        "timestamp": datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
    }
    return Entry(**{**base, **kw})  # type: ignore[arg-type]


def test_rows_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    out.write_text("stale content from an earlier run\n")
    sink = CsvSink(str(out), attrs.evolve(RUN, replace=True), None)
    sink.write_entries(
        [
            entry(
                1,
                amount=Decimal("-1.000000000000000001"),
                fee=Decimal("1E-18"),
                balance=Decimal("2E+1"),
                kind="withdrawal",
                sub_account="MAIN",
                group_id="g-1",
                description="line\nbreak",
            ),
            entry(2, amount=Decimal("-0"), balance=Decimal("0E-8"), asset="1INCH", kind="trade"),
        ]
    )
    sink.commit()
    sink.close()
    assert out.read_bytes() == (
        b"source,account,entry_id,timestamp,asset,amount,fee,balance,kind,sub_account,group_id,description\n"
        b"x,acc,e1,2024-01-02T03:04:05.678Z,ETH,-1.000000000000000001,0.000000000000000001,20,withdrawal,MAIN,g-1,line\\nbreak\n"
        b"x,acc,e2,2024-01-02T03:04:05.678Z,1INCH,0,0,0.00000000,trade,,,\n"
    )


def test_a_commit_puts_rows_on_disk_before_close(tmp_path: Path) -> None:
    """A new file's first commit is on disk beside it; it takes its name once the state has recorded
    that commit (at the next commit, or at close)."""
    out = tmp_path / "o.csv"
    sink = CsvSink(str(out), RUN, None)
    sink.write_entries([entry(1)])
    sink.commit()
    assert (tmp_path / ".o.csv.ledgerport-new").read_text().splitlines()[1].startswith("x,acc,e1,")
    sink.commit()
    assert out.read_text().splitlines()[1].startswith("x,acc,e1,")
    sink.write_entries([entry(2, timestamp=datetime(2024, 1, 3, 1, tzinfo=timezone(timedelta(0))))])
    sink.commit()
    sink.write_entries([entry(3)])  # a window that failed before its commit: dropped at close
    sink.close()
    assert out.read_text().splitlines()[2:] == ["x,acc,e2,2024-01-03T01:00:00.000Z,ETH,1,0,,other,,,"]
