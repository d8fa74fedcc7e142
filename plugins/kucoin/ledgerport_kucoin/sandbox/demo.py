"""The KuCoin sandbox as `ledgerport demo` runs it: an HF account with margin and futures, its last two months,
and a price a day for each asset.

The ledger is recent, as a real account's is (KuCoin serves about a year), and its content is the
same on every run: the sandbox generates each day from the seed and the day's index. It looks like a
real person's account (the generators' `demo` profile): a few deposits of plausible size fund it,
every trade and move is sized from what its holding has at that moment, so no holding ever goes below
zero, and amounts have the precision a real account shows (`DEMO_PLACES`). The sandbox's other uses
(every edge case, in bulk, for the tests and benchmarks) keep their own generators' defaults.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ledgerport import DemoSource, to_ms, write_daily_prices

from .books import Multi
from .ledger import DEMO_PRICES, GeneratedLedger
from .server import KucoinSandbox

DAYS = 60
PER_DAY = 6
"""Events a day in the classic ledger; the HF, margin and futures ledgers add five more."""
PRICES = {
    **{asset: str(price) for asset, price in DEMO_PRICES.items()},
    "USDT": "0.9997",
    "1INCH": "0.4567",
    "XRP": "0.61",
}


def demo_sandbox(start: datetime, seed: int = 1) -> KucoinSandbox:
    """The demo's sandbox: `DAYS` days from `start` (midnight UTC) of the generators' demo profile."""
    sandbox = KucoinSandbox(seed=seed, start=start, days=DAYS, per_day=PER_DAY, account="multi")
    sandbox.multi = Multi(seed=seed, start_ms=to_ms(start), days=DAYS, demo=True)
    sandbox.ledger = GeneratedLedger(
        seed=seed, start=start, days=DAYS, per_day=PER_DAY, extra=sandbox.multi.classic_legs, demo=True
    )
    return sandbox


def start_demo(stack: contextlib.ExitStack[bool | None], workdir: Path) -> DemoSource:
    start = datetime.now(UTC).date() - timedelta(days=DAYS)
    since = datetime.combine(start, datetime.min.time(), UTC)
    sandbox = demo_sandbox(since)
    server = stack.enter_context(sandbox.serve())
    return DemoSource(
        connector="kucoin",
        base_url=server.url,
        env=sandbox.credentials.env(),
        since=since,
        until=since + timedelta(days=DAYS),
        prices=(write_daily_prices(workdir / "kucoin-prices.csv", PRICES, start, DAYS),),
    )
