"""Requests in flight (issue 16, benchmark 1): one KuCoin account, a year of sparse data, 100 ms a round trip.

The KuCoin sandbox serves `--days` days of about `--per-day` entries (one page a day) and delays every
answer by `--latency` ms, in this process (the sync runs as a command of its own, as a user runs it).
`ledgerport sync kucoin --concurrency N` is timed once for each N, CLI start-up included, after an
untimed run has made the sandbox generate its days. The floor of a run is
`max(requests x latency / N, budget floor)`: its own requests (from `--json`) sent N at a time with
nothing but the wait between them, or the weight budget's whole periods if they take longer. Prints
each run's wall time, its ratio to the floor and its speed-up over one request at a time.
Targets at 4: within 1.3x of the floor and at least 3x faster than at 1.

    uv run python bench/in_flight.py [--days 365] [--per-day 3] [--latency 100] [--concurrency 1 4 8]
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path

from _sandboxes import SINCE, Sandbox, environment, machine, summary, table
from ledgerport_kucoin.paging import PAGE_WEIGHT
from ledgerport_kucoin.sandbox import KucoinSandbox, RateLimit

TARGET_RATIO = 1.3
TARGET_SPEED_UP = 3.0
TARGET_AT = 4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=365, help="days of history")
    parser.add_argument("--per-day", type=int, default=3, help="entries on an active sandbox day (one page)")
    parser.add_argument("--latency", type=float, default=100.0, help="ms the sandbox delays every answer")
    parser.add_argument("--limit", type=int, default=2000, help="weight budget per period (KuCoin's VIP0)")
    parser.add_argument("--period", type=float, default=30.0, help="budget period in seconds")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8], help="the settings compared")
    args = parser.parse_args()
    env = environment()
    rate = RateLimit(limit=args.limit, period=args.period)
    sandbox = KucoinSandbox(start=SINCE, days=args.days, per_day=args.per_day, latency_ms=args.latency, rate_limit=rate)
    with tempfile.TemporaryDirectory() as tmp, sandbox.serve() as server:
        account = Sandbox(url=server.url, days=args.days)

        def timed(concurrency: int) -> tuple[float, dict[str, int]]:
            out = Path(tmp) / f"kucoin-{concurrency}.csv"
            return summary(account.sync(f"csv:{out}", options=["--json", "--concurrency", str(concurrency)]), env)

        timed(max(args.concurrency))  # untimed: the sandbox generates its days
        runs = {concurrency: timed(concurrency) for concurrency in args.concurrency}
        outputs = {(Path(tmp) / f"kucoin-{c}.csv").read_bytes() for c in args.concurrency}
    if len(outputs) != 1:
        raise SystemExit("the runs wrote different files")
    one = runs[min(args.concurrency)][0]
    rows = []
    for concurrency, (seconds, report) in runs.items():
        requests = report["requests"]
        periods = math.ceil(requests * PAGE_WEIGHT / args.limit) - 1  # whole periods waited for the budget
        floor = max(requests * args.latency / 1000 / concurrency, periods * args.period)
        ratio, speed_up = seconds / floor, one / seconds
        met = ""
        if concurrency == TARGET_AT:
            met = "met" if ratio <= TARGET_RATIO and speed_up >= TARGET_SPEED_UP else "not met"
        rows.append(
            [
                concurrency,
                requests,
                report["entries"],
                f"{floor:.2f}",
                f"{seconds:.2f}",
                f"{ratio:.2f}x",
                f"{speed_up:.2f}x",
                report["paced"],
                report["rate_limit_waits"],
                met,
            ]
        )
    print(
        f"\nRequests in flight: {args.days} days of one KuCoin account, {args.latency:g} ms a round trip, "
        f"budget {args.limit} weight per {args.period:g} s; {machine()}\n"
    )
    print(
        table(
            [
                "concurrency",
                "requests",
                "entries",
                "floor s",
                "sync s",
                "÷ floor",
                f"speed-up over {min(args.concurrency)}",
                "paced",
                "429s",
                f"target at {TARGET_AT}: ≤ {TARGET_RATIO}x, ≥ {TARGET_SPEED_UP:g}x",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
