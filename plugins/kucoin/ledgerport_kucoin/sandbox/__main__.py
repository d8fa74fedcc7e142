"""`python -m ledgerport_kucoin.sandbox`: run the sandbox until interrupted and say how to sync from it."""

from __future__ import annotations

import argparse
import contextlib
import shlex
import threading
from datetime import date

from ledgerport import LedgerportError

from . import Faults, KucoinSandbox, RateLimit
from .server import ACCOUNTS, STREAMS


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ledgerport_kucoin.sandbox", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2024, 1, 1), help="first day (UTC)")
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--per-day", type=int, default=40, help="about this many entries on an active day")
    parser.add_argument("--limit", type=int, default=2000, help="rate-limit weight per period")
    parser.add_argument("--period", type=float, default=30.0, help="rate-limit period in seconds")
    parser.add_argument("--bad-gateway", type=float, default=0.0, help="fraction of requests answered with a 502 page")
    parser.add_argument("--account", choices=ACCOUNTS, default="classic", help="which ledgers the account has")
    parser.add_argument("--hide", choices=STREAMS, help="serve this ledger empty, for reconciliation to catch")
    parser.add_argument(
        "--latency", type=float, default=0.0, metavar="MS", help="delay every answer by MS milliseconds"
    )
    args = parser.parse_args(argv)
    sandbox = KucoinSandbox(
        seed=args.seed,
        start=args.start,
        days=args.days,
        per_day=args.per_day,
        rate_limit=RateLimit(limit=args.limit, period=args.period),
        faults=Faults(bad_gateway=args.bad_gateway),
        account=args.account,
        hide=args.hide,
        latency_ms=args.latency,
    )
    try:
        served = sandbox.serve(args.port)
    except LedgerportError as exc:  # a busy port: one line, not a traceback
        raise SystemExit(f"error: {exc}") from None
    with served as server:
        ledger = sandbox.ledger
        exports = " ".join(f"{name}={shlex.quote(value)}" for name, value in sandbox.credentials.env().items())
        print(
            f"KuCoin sandbox on {server.url}, ledger {ledger.start:%Y-%m-%d} .. {ledger.end:%Y-%m-%d}, "
            f"{args.account} account. Try:\n"
        )
        print(
            f"  {exports} \\\n    ledgerport sync kucoin --base-url {server.url} "
            f"--since {ledger.start:%Y-%m-%d} --until {ledger.end:%Y-%m-%d} --sink csv:kucoin.csv\n"
        )
        print("Ctrl-C stops it.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
