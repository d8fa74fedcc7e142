"""Throughput (issue 7, benchmark 1): a sync against the floor, on the KuCoin sandbox over 127.0.0.1.

In one run, round after round: (a) the floor, bench/_floor.py; (b) `ledgerport sync kucoin --sink csv:...`
as a user runs it; (c) the same into every sink at once. Each is a command of its own, so Python's
start-up and imports count for all three. Prints the medians, entries/s and the ratios to the floor
(targets: (b) within 1.2x, (c) within 1.5x).

    uv run python bench/throughput.py [--entries 100000] [--days 38] [--rounds 5]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _sandboxes import (
    environment,
    every_sink,
    kucoin_sandbox,
    machine,
    median,
    per_day,
    prices_file,
    rounds,
    summary,
    table,
)

TARGETS = {"csv": 1.2, "all sinks": 1.5}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=100_000, help="about this many entries in the sandbox")
    parser.add_argument("--days", type=int, default=38, help="over this many days")
    parser.add_argument("--rounds", type=int, default=5, help="timed runs of each command")
    args = parser.parse_args()
    env = environment()
    with tempfile.TemporaryDirectory() as tmp, kucoin_sandbox(args.days, per_day(args.entries, args.days)) as sandbox:
        directory = Path(tmp)
        out = directory / "out"
        prices = prices_file(directory / "prices.csv", args.days)
        commands = {
            "floor": sandbox.floor(),
            "csv": sandbox.sync(f"csv:{out / 'kucoin.csv'}"),
            "all sinks": sandbox.sync(*every_sink(out), options=["--prices", str(prices), "--home-currency", "USD"]),
        }
        out.mkdir()
        entries = summary([*commands["csv"], "--json"], env)[1]["entries"]  # untimed: the sandbox generates its days
        floor_entries = summary(commands["floor"], env)[1]["entries"]
        if floor_entries != entries:
            raise SystemExit(f"the floor fetched {floor_entries} entries, the sync {entries}")
        seconds = rounds(commands, env, out, args.rounds)
    floor = median(seconds["floor"])
    rows = []
    for name, times in seconds.items():
        ratio = median(times) / floor
        rows.append(
            [
                name,
                f"{median(times):.2f}",
                f"{min(times):.2f}",
                f"{entries / median(times):,.0f}",
                "" if name == "floor" else f"{ratio:.2f}x",
                f"{TARGETS[name]}x" if name in TARGETS else "",
                ("met" if ratio <= TARGETS[name] else "not met") if name in TARGETS else "",
            ]
        )
    print(f"\nThroughput: {entries:,} entries over {args.days} days, median of {args.rounds} rounds; {machine()}\n")
    print(table(["run", "median s", "best s", "entries/s", "÷ floor", "target", "met?"], rows))


if __name__ == "__main__":
    main()
