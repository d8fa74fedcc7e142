"""The 1Konto sandbox as `ledgerport demo` runs it: two weeks of one account and a price a day per asset."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from ledgerport import DemoSource, SandboxServer, write_daily_prices

from .ledger import generate_ledger
from .server import Sandbox

START, DAYS, ACCOUNT = date(2024, 1, 1), 14, "DEMO-1"
USER, PASSWORD = "demo@example.com", "sandbox-password"
PRICES = {"BTC": "42123.45", "ETH": "2300.5", "USDC": "1.0001", "1INCH": "0.4567"}


def start_demo(stack: contextlib.ExitStack[None], workdir: Path) -> DemoSource:
    since = datetime.combine(START, datetime.min.time(), UTC)
    until = since + timedelta(days=DAYS)
    ledger = generate_ledger(account=ACCOUNT, seed=1, since=since, until=until, events=600)
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
