"""Rate-limited backfill (issue 7, benchmark 3): a year of history against a sandbox enforcing a weight budget.

The sandbox allows `--limit` weight per `--period` seconds (a scaled-down KuCoin budget: 200 per 1 s
instead of 2000 per 30 s, so a year takes about a minute) and charges every ledger page PAGE_WEIGHT.
The floor this budget implies is the floor client's requests (one 24 h window a day, 500-row pages)
x weight / limit x period; the table also sets the sync against the floor of its own requests (its
windows of at most 24 h: one more than the days). The sync is timed once, CLI start-up included,
after the floor client has generated the sandbox's days and one whole period has passed, so it
starts with the full budget.
429s come from the sync's `--json` summary (`rate_limit_waits`: waits after a 429 answer); `paced`
counts its pauses before the budget ran out. Target: within 1.1x of the floor, at most one 429.

    uv run python bench/backfill.py [--days 365] [--per-day 400] [--limit 200] [--period 1]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _sandboxes import environment, kucoin_sandbox, machine, summary, table
from ledgerport_kucoin.paging import PAGE_WEIGHT

TARGET_RATIO = 1.1
TARGET_429 = 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=365, help="days of history")
    parser.add_argument("--per-day", type=int, default=400, help="entries on an active sandbox day")
    parser.add_argument("--limit", type=int, default=200, help="weight budget per period")
    parser.add_argument("--period", type=float, default=1.0, help="budget period in seconds")
    args = parser.parse_args()
    env = environment()
    budget = (args.limit, args.period)
    with tempfile.TemporaryDirectory() as tmp, kucoin_sandbox(args.days, args.per_day, *budget) as sandbox:
        _, floor = summary(sandbox.floor(), env)  # untimed: generates the days and counts the requests needed
        time.sleep(args.period)
        seconds, sync = summary(sandbox.sync(f"csv:{Path(tmp) / 'kucoin.csv'}", options=["--json"]), env)
    if sync["entries"] != floor["entries"]:
        raise SystemExit(f"the sync fetched {sync['entries']} entries, the floor client {floor['entries']}")
    needed = floor["requests"] - floor["rate_limited"]
    budget_floor = needed * PAGE_WEIGHT / args.limit * args.period
    ratio = seconds / budget_floor
    met = ratio <= TARGET_RATIO and sync["rate_limit_waits"] <= TARGET_429
    print(
        f"\nBackfill: {sync['entries']:,} entries over {args.days} days, budget {args.limit} weight per "
        f"{args.period:g} s, {PAGE_WEIGHT} per page; {machine()}\n"
    )
    print(
        table(
            [
                "requests needed (24 h, 500/page)",
                "budget floor s",
                "sync requests",
                "sync s",
                "÷ floor",
                "÷ floor of the sync's requests",
                "429s",
                "paced",
                f"target ≤ {TARGET_RATIO}x, ≤ {TARGET_429} 429",
            ],
            [
                [
                    needed,
                    f"{budget_floor:.1f}",
                    sync["requests"],
                    f"{seconds:.1f}",
                    f"{ratio:.2f}x",
                    f"{seconds / (sync['requests'] * PAGE_WEIGHT / args.limit * args.period):.2f}x",
                    sync["rate_limit_waits"],
                    sync["paced"],
                    "met" if met else "not met",
                ]
            ],
        )
    )


if __name__ == "__main__":
    main()
