"""The KuCoin sandbox as `ledgerport demo` runs it: an HF account with margin and futures, its last two months,
and a price a day for each asset.

The ledger is recent, as a real account's is (KuCoin serves about a year), and its content is the
same on every run: the sandbox generates each day from the seed and the day's index.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ledgerport import DemoSource, write_daily_prices

from .server import KucoinSandbox

DAYS = 60
PRICES = {"BTC": "42123.45", "ETH": "2300.5", "USDT": "0.9997", "1INCH": "0.4567", "KCS": "10.12", "XRP": "0.61"}


def start_demo(stack: contextlib.ExitStack[bool | None], workdir: Path) -> DemoSource:
    start = datetime.now(UTC).date() - timedelta(days=DAYS)
    sandbox = KucoinSandbox(seed=1, start=start, days=DAYS, per_day=30, account="multi")
    server = stack.enter_context(sandbox.serve())
    since = datetime.combine(start, datetime.min.time(), UTC)
    return DemoSource(
        connector="kucoin",
        base_url=server.url,
        env=sandbox.credentials.env(),
        since=since,
        until=since + timedelta(days=DAYS),
        prices=(write_daily_prices(workdir / "kucoin-prices.csv", PRICES, start, DAYS),),
    )
