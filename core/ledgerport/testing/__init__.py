"""The test kit for plugin authors (`import ledgerport.testing`).

- `ConnectorConformance`: the standard tests every connector should pass against its own sandbox
  (see `ledgerport.testing.conformance`), and the pytest fixtures of `ledgerport.testing.fixtures`.
- For sinks: `sample_entries()`, a ledger that exercises the books; `run_sink()`, which drives a sink
  as the engine does; `assert_golden()`; and the real accounting tools (`bean_check`, `hledger`,
  `ledger`). Sinks validate what they write with the tools accountants use, never with a parser
  of their own.
- `wait_until()`: tests that run real processes wait for a condition, never for a fixed time.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..books import Chart, CostBooks, JournalBuilder, LotSettings, OpeningLot
from ..books.counterparts import with_counterparts
from ..books.prices import PriceBook, Rate
from ..model.entry import Entry, Kind
from ..sdk.sink import RunInfo, SinkType
from .conformance import ConformanceTarget, ConnectorConformance

__all__ = [
    "UPDATE_GOLDEN",
    "ConformanceTarget",
    "ConnectorConformance",
    "assert_golden",
    "asset_sums",
    "bean_check",
    "cost_basis_example",
    "hledger",
    "ledger",
    "run_sink",
    "run_windows",
    "sample_entries",
    "sample_opening_lots",
    "sample_prices",
    "wait_until",
]

UPDATE_GOLDEN = "LEDGERPORT_UPDATE_GOLDEN"

_START = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


def sample_entries(source: str = "demo", account: str = "main") -> list[Entry]:
    """A two-day ledger with every shape the books must handle, sorted as the engine hands it over:
    a deposit, a transfer between sub-accounts, trades with the fee in either commodity and 18
    decimals, a one-legged trade, a margin loan, repayment and interest, rewards in tickers the
    formats reject as they are (`1INCH`, `stETH`), fees, and a holding whose history starts before
    the range (its running balance cannot be asserted)."""
    rows: list[tuple[int, str, str, str, str, str, Kind, str, str, str]] = [
        # minutes, id, sub-account, asset, amount, fee, kind, group, balance, category
        (0, "e01", "MAIN", "BTC", "1", "0", Kind.DEPOSIT, "", "1", "Deposit"),
        (10, "e02", "MAIN", "BTC", "-0.5", "0", Kind.TRANSFER, "", "0.5", "Transfer"),
        (10, "e03", "TRADE", "BTC", "0.5", "0", Kind.TRANSFER, "", "0.5", "Transfer"),
        (20, "e04", "TRADE", "BTC", "-0.1", "0", Kind.TRADE, "t1", "0.4", "Trade_Exchange"),
        (20, "e05", "TRADE", "USDT", "3996", "4", Kind.TRADE, "t1", "3996", "Trade_Exchange"),
        (30, "e06", "TRADE", "USDT", "-1000.5", "0.5", Kind.TRADE, "t2", "2995.5", "Trade_Exchange"),
        (
            30,
            "e07",
            "TRADE",
            "ETH",
            "0.500000000000000001",
            "0",
            Kind.TRADE,
            "t2",
            "0.500000000000000001",
            "Trade_Exchange",
        ),
        (
            40,
            "e08",
            "MAIN",
            "1INCH",
            "250.000000000000000001",
            "0",
            Kind.REWARD,
            "",
            "250.000000000000000001",
            "KuCoin Bonus",
        ),
        (50, "e09", "MARGIN", "USDT", "500", "0", Kind.LOAN, "", "500", "Borrowings"),
        (60, "e10", "MARGIN", "USDT", "-0.01", "0", Kind.INTEREST, "", "499.99", "Margin Interest"),
        (24 * 60, "e11", "MARGIN", "USDT", "-200", "0", Kind.REPAYMENT, "", "299.99", "Debt Repayment"),
        (24 * 60 + 5, "e12", "MAIN", "BTC", "-0.2001", "0.0001", Kind.WITHDRAWAL, "", "0.2999", "Withdrawal"),
        (
            24 * 60 + 6,
            "e13",
            "MAIN",
            "stETH",
            "0.000000000000000007",
            "0",
            Kind.REWARD,
            "",
            "0.000000000000000007",
            "Staking Profits",
        ),
        (24 * 60 + 7, "e14", "MAIN", "KCS", "-1", "0", Kind.FEE, "", "9", "KCS Pay Fees"),
        (24 * 60 + 8, "e15", "TRADE", "ETH", "-0.25", "0", Kind.TRADE, "t3", "0.250000000000000001", "Trade_Exchange"),
        (24 * 60 + 9, "e16", "MAIN", "USDC", "10", "0", Kind.DEPOSIT, "", "110", "Deposit"),
    ]
    return [
        Entry(
            source=source,
            account=account,
            entry_id=entry_id,
            timestamp=_START + timedelta(minutes=minutes),
            asset=asset,
            amount=Decimal(amount),
            fee=Decimal(fee),
            balance=Decimal(balance),
            kind=kind,
            category=category,
            sub_account=sub,
            group_id=group,
            description=f"{category} {asset}",
        )
        for minutes, entry_id, sub, asset, amount, fee, kind, group, balance, category in rows
    ]


def sample_prices(home_currency: str = "USD") -> PriceBook:
    """Prices in `home_currency` for every asset of `sample_entries()` on both of its days, so its
    books can be kept at cost."""
    prices = PriceBook()
    for day in (_START.date(), _START.date() + timedelta(days=1)):
        for asset, price in (
            ("BTC", "40000"),
            ("USDT", "1"),
            ("ETH", "2000"),
            ("1INCH", "0.4"),
            ("stETH", "2100"),
            ("KCS", "10"),
            ("USDC", "1"),
        ):
            prices.add(asset, home_currency, day, Rate(Decimal(price)))
    return prices


def sample_opening_lots() -> list[OpeningLot]:
    """What `sample_entries()`'s holdings that predate its range cost (KCS and USDC in MAIN), as lines 2
    and 3 of an opening-lots file would give them."""
    return [
        OpeningLot(
            acquired=datetime(2023, 1, 5, tzinfo=UTC),
            sub_account="MAIN",
            asset="KCS",
            quantity=Decimal(10),
            cost=Decimal(55),
            line=2,
        ),
        OpeningLot(
            acquired=datetime(2023, 2, 5, tzinfo=UTC),
            sub_account="MAIN",
            asset="USDC",
            quantity=Decimal(100),
            cost=Decimal(99),
            line=3,
        ),
    ]


def cost_basis_example() -> tuple[list[Entry], PriceBook, list[OpeningLot]]:
    """Issue 14's example, for a book at cost: 1 BTC deposited to KuCoin's MAIN with an opening lot of
    $40,000, moved to TRADE when BTC is at $42,000, sold for 45,000 USDT at $1. Every book must show
    both BTC holdings at $0, the USDT at $45,000 and a realized gain of $5,000. Returns the entries
    (source `kucoin`, title it `KuCoin`), the price book and the opening lots."""

    def leg(entry_id: str, day: int, sub: str, asset: str, amount: str, kind: Kind, group: str = "") -> Entry:
        return Entry(
            source="kucoin",
            account="default",
            entry_id=entry_id,
            timestamp=datetime(2024, 1, day, tzinfo=UTC),
            asset=asset,
            amount=Decimal(amount),
            kind=kind,
            sub_account=sub,
            group_id=group,
        )

    entries = [
        leg("d1", 1, "MAIN", "BTC", "1", Kind.DEPOSIT),
        leg("t1", 2, "MAIN", "BTC", "-1", Kind.TRANSFER),
        leg("t2", 2, "TRADE", "BTC", "1", Kind.TRANSFER),
        leg("s1", 3, "TRADE", "BTC", "-1", Kind.TRADE, "o1"),
        leg("s2", 3, "TRADE", "USDT", "45000", Kind.TRADE, "o1"),
    ]
    prices = PriceBook()
    prices.add("USDT", "USD", datetime(2024, 1, 3).date(), Rate(Decimal(1)))
    prices.add("BTC", "USD", datetime(2024, 1, 2).date(), Rate(Decimal(42000)))
    opening = [
        OpeningLot(
            acquired=datetime(2023, 6, 1, tzinfo=UTC),
            sub_account="MAIN",
            asset="BTC",
            quantity=Decimal(1),
            cost=Decimal(40000),
            line=2,
        )
    ]
    return entries, prices, opening


def run_sink(
    sink_type: SinkType,
    target: Path,
    entries: list[Entry],
    **options: Any,
) -> Any:
    """Feeds `entries` to a sink as the engine would, one day a window (see `run_windows`, which
    takes the same options). Returns the last checkpoint."""
    days = sorted({e.timestamp.date() for e in entries})
    return run_windows(
        sink_type, target, [[e for e in entries if e.timestamp.date() == day] for day in days], **options
    )


def run_windows(
    sink_type: SinkType,
    target: Path,
    windows: Sequence[Sequence[Entry]],
    *,
    source_title: str = "Demo",
    chart: Chart | None = None,
    settings: Any = None,
    prices: PriceBook | None = None,
    home_currency: str = "USD",
    cost_basis: LotSettings | None = None,
    opening: Sequence[OpeningLot] = (),
) -> Any:
    """Feeds each window to a sink reopened at the last checkpoint, as consecutive runs write them;
    `prices` learns each window's trades before the sink sees them. With `cost_basis`, the
    transactions are costed and the open lots handed over as the engine does, the lot state carried
    from window to window. The run spans the windows' days. Returns the last checkpoint."""
    days = sorted({e.timestamp.date() for window in windows for e in window})
    first, last = days[0], days[-1]
    run = RunInfo(
        source=windows[0][0].source,
        source_title=source_title,
        account=windows[0][0].account,
        since=datetime.combine(first, datetime.min.time(), UTC),
        until=datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC),
        home_currency=home_currency,
        prices=prices or PriceBook(),
        cost_basis=cost_basis,
        chart=chart or Chart(),
    )
    builder = JournalBuilder(run.chart, source_title, prices=run.prices, home_currency=home_currency)
    checkpoint = None
    lots: dict[str, Any] | None = None
    for window in windows:
        journal = with_counterparts(list(window))
        transactions = builder.build(journal)
        sink = sink_type.open(str(target), run, settings, checkpoint)
        sink.write_entries(window)
        if sink.needs_transactions and cost_basis is not None:
            books = CostBooks(cost_basis, run.prices, run.chart, source_title, opening=opening, state=lots)
            sink.write_transactions(books.cost(journal, transactions))
            sink.write_lots(books.open_lots())
            lots = books.state()
        elif sink.needs_transactions:
            sink.write_transactions(transactions)
        checkpoint = sink.commit()
        sink.recorded()
        sink.close()
    return checkpoint


def assert_golden(path: Path, golden: Path) -> None:
    """`path` must equal the reviewed `golden` file byte for byte; set LEDGERPORT_UPDATE_GOLDEN=1 to
    rewrite the golden file after a deliberate change, then review its diff. A mismatch shows the
    unified diff, golden first, so the failure says what changed."""
    if os.environ.get(UPDATE_GOLDEN):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(path.read_bytes())
    written, expected = path.read_text(encoding="utf-8"), golden.read_text(encoding="utf-8")
    if written != expected:
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True), written.splitlines(keepends=True), str(golden), str(path)
        )
        raise AssertionError(f"{path} differs from {golden} (set {UPDATE_GOLDEN}=1 to accept):\n{''.join(diff)}")


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Polls `condition` until it holds; fails naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting until {what}")
        time.sleep(0.01)


def asset_sums(entries: list[Entry]) -> dict[str, Decimal]:
    """The exact signed sum per asset: what the books' holdings must add up to."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        sums[entry.asset] += entry.amount
    return dict(sums)


def _run(*command: str) -> str:
    """Runs a real tool; its complaint, verbatim, is the assertion message when it refuses the file."""
    if shutil.which(command[0]) is None:
        raise AssertionError(f"{command[0]} is not installed (.ci/run installs it)")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0 or (command[0] == "bean-check" and done.stdout.strip()):
        raise AssertionError(f"{' '.join(command)} refused the file:\n{done.stdout}{done.stderr}")
    return done.stdout


def bean_check(path: Path) -> None:
    _run("bean-check", str(path))


def hledger(path: Path, *args: str) -> str:
    """`hledger -f path ARGS`; `hledger(path, "check", "-s")` runs its strict checks."""
    return _run("hledger", "-f", str(path), *args)


def ledger(path: Path, *args: str) -> str:
    """`ledger --pedantic -f path ARGS`, so undeclared accounts and commodities are errors."""
    return _run("ledger", "--pedantic", "--args-only", "-f", str(path), *args)
