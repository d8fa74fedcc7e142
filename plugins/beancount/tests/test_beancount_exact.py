"""Issue 15: numbers bean-check must accept whatever their digits: whole-number trades, and holdings
of more than beancount's 28 significant digits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from ledgerport_beancount import BeancountSink

from ledgerport import Entry, Kind, SinkType
from ledgerport.testing import bean_check, run_sink

SINK = SinkType(name="beancount", description="", open=BeancountSink)
T0 = datetime(2024, 3, 1, 10, tzinfo=UTC)


def _leg(
    entry_id: str, minutes: int, asset: str, amount: str, balance: str, kind: Kind = Kind.TRADE, group: str = ""
) -> Entry:
    return Entry(
        source="kucoin",
        account="default",
        entry_id=entry_id,
        timestamp=T0 + timedelta(minutes=minutes),
        asset=asset,
        amount=Decimal(amount),
        balance=Decimal(balance),
        kind=kind,
        sub_account="TRADE",
        group_id=group,
    )


def test_a_whole_number_trade_balances_in_beancount(tmp_path: Path) -> None:
    """`-55 USDT @@ 100 XRP` failed: beancount's unit price 100/55 in 28 digits leaves 1E-26 XRP and an
    integer gives it no tolerance. The XRP amounts are padded just enough; a trade that divides
    exactly is written as before."""
    entries = [
        _leg("d", 0, "USDT", "100", "100", Kind.DEPOSIT),
        _leg("s", 1, "USDT", "-55", "45", group="t1"),
        _leg("b", 1, "XRP", "100", "100", group="t1"),
        _leg("s2", 2, "USDT", "-40", "5", group="t2"),
        _leg("b2", 2, "KCS", "4", "4", group="t2"),
    ]
    path = tmp_path / "whole.beancount"
    run_sink(SINK, path, entries)
    bean_check(path)
    text = path.read_text(encoding="utf-8")
    assert "  Assets:Demo:Trade  -55 USDT @@ 100 XRP\n" in text
    assert "  Assets:Demo:Trade  100.0000000000000000000000000 XRP\n" in text
    assert "  Assets:Demo:Trade  -40 USDT @@ 4 KCS\n  Assets:Demo:Trade  4 KCS\n" in text  # 4/40 ends


def test_a_holding_beyond_28_digits_is_booked_exactly_and_left_out_of_the_assertions(tmp_path: Path) -> None:
    """10^12 PEPE with 18 decimals has 31 significant digits: beancount sums it in 28 and would fail its
    own balance check; the amounts are written exactly, the holding is not asserted."""
    pepe = "1000000000000.000000000000000001"
    entries = [
        _leg("d", 0, "PEPE", pepe, pepe, Kind.DEPOSIT),
        _leg("s", 1, "PEPE", "-0.000000000000000001", "1000000000000", group="t1"),
        _leg("b", 1, "USDT", "0.5", "0.5", group="t1"),
    ]
    path = tmp_path / "pepe.beancount"
    run_sink(SINK, path, entries)
    bean_check(path)
    text = path.read_text(encoding="utf-8")
    assert f"  Assets:Demo:Trade  {pepe} PEPE\n" in text
    assert not [line for line in text.splitlines() if " balance " in line and line.endswith(" PEPE")]
    assert [line for line in text.splitlines() if " balance " in line and line.endswith(" USDT")]
