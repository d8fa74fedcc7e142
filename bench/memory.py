"""Memory (issue 7, benchmark 2): peak RSS of a sync of 100k and of 1M entries, to CSV and to the journal sinks.

Each size is a KuCoin sandbox of its own with the same density (`--per-day` entries on an active day)
over as many days as it takes, generated once, warmed up by one untimed fetch, and reused by every
sink set. The peak is ru_maxrss of the `ledgerport sync` process alone (os.wait4), CLI start-up
included. Target: at most 150 MB at 1M entries, and within 10 % of the 100k figure (streaming).

    uv run python bench/memory.py [--sizes 100000 1000000] [--per-day 3572]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from _sandboxes import days_for, environment, kucoin_sandbox, machine, peak_rss, per_day, prices_file, summary, table

TARGET_MB = 150
TARGET_GROWTH = 1.10
SINK_SETS: dict[str, Callable[[Path], list[str]]] = {
    "csv": lambda out: [f"csv:{out / 'kucoin.csv'}"],
    "beancount + ledger": lambda out: [f"beancount:{out / 'kucoin.beancount'}", f"ledger:{out / 'kucoin.journal'}"],
    "iif + qbo (prices)": lambda out: [f"iif:{out / 'kucoin.iif'}", f"qbo:{out / 'kucoin.qbo.csv'}"],
}
PRICED = {"iif + qbo (prices)"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000], help="entries per sandbox")
    parser.add_argument("--per-day", type=int, default=3572, help="entries on an active sandbox day")
    args = parser.parse_args()
    env = environment()
    peaks: dict[tuple[str, int], float] = {}
    counts: dict[int, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        for size in args.sizes:
            days = days_for(size, args.per_day)
            prices = prices_file(Path(tmp) / f"prices-{days}.csv", days)
            with kucoin_sandbox(days, per_day(size, days)) as sandbox:
                counts[size] = summary(sandbox.floor(), env)[1]["entries"]  # untimed: the sandbox generates its days
                for name, sinks in SINK_SETS.items():
                    shutil.rmtree(out, ignore_errors=True)
                    out.mkdir()
                    options = ["--prices", str(prices), "--home-currency", "USD"] if name in PRICED else []
                    seconds, kib = peak_rss(sandbox.sync(*sinks(out), options=options), env)
                    peaks[name, size] = kib / 1024
                    print(
                        f"{counts[size]:,} entries over {days} days, {name}: {kib / 1024:.1f} MB in {seconds:.1f} s",
                        flush=True,
                    )
    small, large = min(args.sizes), max(args.sizes)
    rows = []
    for name in SINK_SETS:
        growth = peaks[name, large] / peaks[name, small]
        met = peaks[name, large] <= TARGET_MB and growth <= TARGET_GROWTH
        rows.append(
            [name, *(f"{peaks[name, size]:.1f}" for size in args.sizes), f"{growth:.2f}", "met" if met else "not met"]
        )
    headers = [
        "sinks",
        *(f"{counts[size]:,} entries, MB" for size in args.sizes),
        "largest ÷ smallest",
        f"≤ {TARGET_MB} MB and ≤ {TARGET_GROWTH:.2f}",
    ]
    print(f"\nPeak RSS of `ledgerport sync kucoin` (ru_maxrss, MB = 2^20 bytes); {machine()}\n")
    print(table(headers, rows))


if __name__ == "__main__":
    main()
