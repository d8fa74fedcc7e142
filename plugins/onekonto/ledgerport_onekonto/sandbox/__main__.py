"""`python -m ledgerport_onekonto.sandbox`: serve a seeded 1Konto sandbox on 127.0.0.1 until Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib
import threading
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from ledgerport import LedgerportError, SandboxServer, format_decimal, parse_instant

from .ledger import generate_ledger
from .server import Faults, Sandbox


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ledgerport_onekonto.sandbox", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)")
    parser.add_argument("--account", default="DEMO-1")
    parser.add_argument("--user", default="demo@example.com")
    parser.add_argument("--password", default="sandbox-password")
    parser.add_argument("--since", default="2024-01-01", help="first day of the ledger (default: %(default)s)")
    parser.add_argument("--until", default="2024-01-08", help="end of the ledger, exclusive (default: %(default)s)")
    parser.add_argument("--events", type=int, default=5000, help="events to generate; trades have two legs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--token-lifetime", type=float, default=0.9, help="seconds (default: %(default)s)")
    parser.add_argument("--max-cap", type=int, default=100, help="the most transactions per page")
    parser.add_argument("--error-rate", type=float, default=0.03, help="share of ledger requests failing with 503/424")
    parser.add_argument(
        "--latency", type=float, default=0.0, metavar="MS", help="delay every answer by MS milliseconds"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    since, until = parse_instant(args.since), parse_instant(args.until)
    ledger = generate_ledger(account=args.account, seed=args.seed, since=since, until=until, events=args.events)
    sandbox = Sandbox(
        ledger,
        user=args.user,
        password=args.password,
        token_lifetime=args.token_lifetime,
        max_cap=args.max_cap,
        faults=Faults(error_rate=args.error_rate, seed=args.seed),
        latency_ms=args.latency,
    )
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for transaction in ledger:
        totals[transaction.asset] += transaction.delta
    try:
        served = SandboxServer(sandbox, port=args.port)
    except LedgerportError as exc:
        raise SystemExit(f"error: {exc}") from None
    with served as server:
        print(f"1Konto sandbox on {server.url}: account {args.account}, {len(ledger)} transactions", flush=True)
        print(f"  ONEKONTO_USER={args.user} ONEKONTO_PASSWORD={args.password} ledgerport sync onekonto \\")
        print(f"    --account {args.account} --base-url {server.url} --since {args.since} --until {args.until} \\")
        print("    --sink csv:onekonto.csv")
        print("  expected sum of the amount column per asset:")
        for asset, total in sorted(totals.items()):
            print(f"    {asset} {format_decimal(total)}")
        print("Ctrl-C stops it.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
