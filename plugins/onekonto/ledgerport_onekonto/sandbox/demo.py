"""The 1Konto sandbox as `ledgerport demo` runs it: two weeks of one account and a price a day per asset.

The account looks like a real person's (`generate_demo_ledger`): a few deposits fund it, every trade,
withdrawal and transfer is sized from what the holding has, so none goes below zero, and amounts have
the precision a real account shows. The sandbox's tests keep `generate_ledger`, every edge case in bulk.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from ledgerport import DemoSource, SandboxServer, write_daily_prices

from .ledger import DEMO_PRICES, generate_demo_ledger
from .server import Sandbox

START, DAYS, ACCOUNT = date(2024, 1, 1), 14, "DEMO-1"
USER, PASSWORD = "demo@example.com", "sandbox-password"
EVENTS = 180
PRICES = {
    "BTC": str(DEMO_PRICES[0]),
    "ETH": str(DEMO_PRICES[1]),
    "USDC": str(DEMO_PRICES[3]),
    "1INCH": str(DEMO_PRICES[4]),
}


def start_demo(stack: contextlib.ExitStack[None], workdir: Path) -> DemoSource:
    since = datetime.combine(START, datetime.min.time(), UTC)
    until = since + timedelta(days=DAYS)
    ledger = generate_demo_ledger(account=ACCOUNT, seed=1, since=since, until=until, events=EVENTS)
    server = stack.enter_context(SandboxServer(Sandbox(ledger, user=USER, password=PASSWORD)))
    return DemoSource(
        connector="onekonto",
        base_url=server.url,
        account=ACCOUNT,
        env={"ONEKONTO_USER": USER, "ONEKONTO_PASSWORD": PASSWORD},
        since=since,
        until=until,
        prices=(write_daily_prices(workdir / "onekonto-prices.csv", PRICES, START, DAYS),),
    )
