"""Cost basis (issue 14; issue 17's target: the lot engine adds at most 20 % to a journal sync).

In one run, round after round, the same KuCoin sandbox into beancount + ledger, once in quantities
and once at cost (`--cost-basis fifo`, and `average`), each a command of its own as a user runs it.
The sandbox's bulk data is not a real person's (its holdings go below zero), so the runs at cost take
`--on-missing-lots zero`: every shortfall opens a zero-cost lot, which is more work, not less. Prints
the medians and each ratio to the sync in quantities.

    uv run python bench/cost_basis.py [--entries 100000] [--days 38] [--rounds 3]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _sandboxes import environment, kucoin_sandbox, machine, median, per_day, prices_file, rounds, summary, table

TARGET = 1.2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=100_000, help="about this many entries in the sandbox")
    parser.add_argument("--days", type=int, default=38, help="over this many days")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs of each command")
    args = parser.parse_args()
    env = environment()
    with tempfile.TemporaryDirectory() as tmp, kucoin_sandbox(args.days, per_day(args.entries, args.days)) as sandbox:
        directory = Path(tmp)
        out = directory / "out"
        prices = ["--prices", str(prices_file(directory / "prices.csv", args.days)), "--home-currency", "USD"]
        journals = (f"beancount:{out / 'books.beancount'}", f"ledger:{out / 'books.journal'}")
        at_cost = [*prices, "--on-missing-lots", "zero", "--cost-basis"]
        commands = {
            "quantities": sandbox.sync(*journals, options=prices),
            "at cost, fifo": sandbox.sync(*journals, options=[*at_cost, "fifo"]),
            "at cost, average": sandbox.sync(*journals, options=[*at_cost, "average"]),
        }
        out.mkdir()
        entries = summary([*commands["quantities"], "--json"], env)[1]["entries"]  # untimed: the sandbox warms up
        seconds = rounds(commands, env, out, args.rounds)
    base = median(seconds["quantities"])
    rows = []
    for name, times in seconds.items():
        ratio = median(times) / base
        verdict = "" if name == "quantities" else ("met" if ratio <= TARGET else "not met")
        rows.append([name, f"{median(times):.2f}", f"{entries / median(times):,.0f}", f"{ratio:.2f}x", verdict])
    print(f"\nCost basis: {entries:,} entries into beancount + ledger, median of {args.rounds} rounds; {machine()}\n")
    print(table(["sync", "seconds", "entries/s", "to quantities", f"target {TARGET}x"], rows))


if __name__ == "__main__":
    main()
