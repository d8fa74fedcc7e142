"""A peer (issue 7, benchmark 4): ccxt's kucoin.fetch_ledger against ledgerport on the same sandbox and range.

Round after round, each in a process of its own: ccxt's fetch_ledger with `paginate` (bench/_ccxt_client.py)
and `ledgerport sync kucoin --sink csv:... --json`. Reports, for each, the entries it delivered against
the ground truth (what the floor client fetches: every entry of the range), its median wall time (start-up
and imports included), the median time of the fetch itself (ccxt: the fetch_ledger call; ledgerport:
`duration_seconds` of its summary), and entries/s on each. The target is judged on the fetch, which
spares ccxt its slow import. Target: ledgerport at least 5x ccxt's entries/s,
with 100 % of the entries. The default 38 days end on an active day: ccxt pages backwards from `until`
and stops at the first empty 24 h, so a range that ended in one of the sandbox's weekly quiet gaps would
give it nothing at all. ccxt is in the `bench` dependency group:

    uv run --group bench python bench/peer_ccxt.py [--entries 100000] [--days 38] [--rounds 3] [--calls 10000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from _sandboxes import BENCH, SINCE, environment, kucoin_sandbox, machine, median, per_day, summary, table

TARGET_RATIO = 5.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=100_000, help="about this many entries in the sandbox")
    parser.add_argument("--days", type=int, default=38, help="over this many days")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs of each client")
    parser.add_argument("--calls", type=int, default=10_000, help="ccxt's paginationCalls (the most pages it asks for)")
    args = parser.parse_args()
    env = environment()
    runs: dict[str, list[tuple[float, float, int]]] = {"ccxt": [], "ledgerport": []}
    with tempfile.TemporaryDirectory() as tmp, kucoin_sandbox(args.days, per_day(args.entries, args.days)) as sandbox:
        truth = summary(sandbox.floor(), env)[1]["entries"]  # untimed: the sandbox generates its days
        commands = {
            "ccxt": [
                sys.executable,
                str(BENCH / "_ccxt_client.py"),
                sandbox.url,
                SINCE.isoformat(),
                str(args.days),
                str(args.calls),
            ],
            "ledgerport": sandbox.sync(f"csv:{Path(tmp) / 'kucoin.csv'}", options=["--json"]),
        }
        for number in range(args.rounds):
            for name, command in commands.items():
                wall, result = summary(command, env)
                runs[name].append((wall, result.get("seconds", result.get("duration_seconds")), result["entries"]))
            print(
                f"round {number + 1}/{args.rounds}: "
                + ", ".join(f"{n} {r[-1][2]:,} entries in {r[-1][0]:.2f} s" for n, r in runs.items()),
                flush=True,
            )
    rate: dict[str, float] = {}
    wall_rate: dict[str, float] = {}
    rows = []
    for name, results in runs.items():
        wall, fetch = median([r[0] for r in results]), median([r[1] for r in results])
        delivered = min(r[2] for r in results)
        rate[name], wall_rate[name] = delivered / fetch, delivered / wall
        rows.append(
            [
                name,
                f"{delivered:,}",
                f"{delivered / truth:.1%}",
                f"{wall:.2f}",
                f"{wall_rate[name]:,.0f}",
                f"{fetch:.2f}",
                f"{rate[name]:,.0f}",
            ]
        )
    ratio = rate["ledgerport"] / rate["ccxt"]
    complete = min(r[2] for r in runs["ledgerport"]) == truth
    print(f"\nPeer: {truth:,} entries over {args.days} days, median of {args.rounds} rounds; {machine()}\n")
    print(
        table(
            ["client", "entries delivered", "of all", "wall s", "entries/s (wall)", "fetch s", "entries/s (fetch)"],
            rows,
        )
    )
    wall_ratio = wall_rate["ledgerport"] / wall_rate["ccxt"]
    print(
        f"\nledgerport ÷ ccxt entries/s: {ratio:.1f}x on the fetch, {wall_ratio:.1f}x "
        f"on wall time; target ≥ {TARGET_RATIO:g}x (on the fetch) with 100 % of the entries: "
        + ("met" if ratio >= TARGET_RATIO and complete else "not met")
    )


if __name__ == "__main__":
    main()
