"""Many accounts (issue 16): `sync --all --jobs 32` over 200 KuCoin accounts, against them one after another.

A process of its own serves `--accounts` KuCoin sandboxes on 127.0.0.1, each on its own port with
its own API key, secret and passphrase, its own weight budget (KuCoin's 2000 per 30 s) and
`--days` of history, every answer `--latency` ms late. The config has one `[[accounts]]` table per
sandbox, `env` naming the variables that hold its credentials, and a csv sink `out/{name}.csv`.
One untimed run generates every sandbox's days; then, `--rounds` times, `ledgerport sync --all
--jobs N --no-state --fresh --json` for each `--jobs` (1 is one account after another, in one
process), timed as whole commands, with the peak RSS of the process (`os.wait4`). The sandboxes check
every signature, so a run that used one account's key for another would fail.

    uv run python bench/accounts.py [--accounts 200] [--days 30] [--per-day 40] [--latency 50] [--jobs 32 1]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from _sandboxes import SINCE, machine, median, table

NAME = "client{:03d}"


def _credentials(index: int) -> dict[str, str]:
    """The account's credentials, by the variables its table names."""
    name = NAME.format(index).upper()
    return {
        f"{name}_KEY": f"key-{index:03d}-5be1",
        f"{name}_SECRET": f"secret-{index:03d}-9c2f",
        f"{name}_PASS": f"pass-{index:03d}-07ad",
    }


def serve(accounts: int, days: int, per_day: int, latency: float) -> None:
    """The sandboxes' process: prints their URLs as one JSON line, then serves until stdin closes."""
    from ledgerport_kucoin.sandbox import Credentials, KucoinSandbox

    with contextlib.ExitStack() as stack:
        urls = []
        for index in range(accounts):
            values = list(_credentials(index).values())
            box = KucoinSandbox(
                seed=index,
                start=SINCE,
                days=days,
                per_day=per_day,
                latency_ms=latency,
                credentials=Credentials(key=values[0], secret=values[1], passphrase=values[2]),
            )
            urls.append(stack.enter_context(box.serve()).url)
        print(json.dumps(urls), flush=True)
        sys.stdin.read()


@contextlib.contextmanager
def sandboxes(accounts: int, days: int, per_day: int, latency: float) -> Iterator[list[str]]:
    command = [sys.executable, __file__, "--serve", *_options(accounts, days, per_day, latency)]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stdin is not None
        yield json.loads(process.stdout.readline())
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait()


def _options(accounts: int, days: int, per_day: int, latency: float) -> list[str]:
    return ["--accounts", str(accounts), "--days", str(days), "--per-day", str(per_day), "--latency", str(latency)]


def write_config(path: Path, urls: Sequence[str], out: Path) -> None:
    tables = []
    for index, url in enumerate(urls):
        name = NAME.format(index)
        key, secret, passphrase = _credentials(index)
        tables.append(
            f'[[accounts]]\nname = "{name}"\nsource = "kucoin"\nbase_url = "{url}"\n'
            f'sinks = ["csv:{out}/{{name}}.csv"]\n'
            f'env = {{ KUCOIN_API_KEY = "{key}", KUCOIN_API_SECRET = "{secret}", '
            f'KUCOIN_API_PASSPHRASE = "{passphrase}" }}\n'
        )
    path.write_text("\n".join(tables), encoding="utf-8")


def run(command: Sequence[str], env: dict[str, str]) -> tuple[float, float, int, dict[str, object]]:
    """Wall seconds, CPU seconds (user + system), peak RSS (KiB) and the `--json` report of one `sync --all`."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.append(process.stdout.read() if process.stdout else ""))
    reader.start()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    reader.join()
    report = json.loads(out[0])
    if os.waitstatus_to_exitcode(status) or not report["ok"]:
        errors = {row["name"]: row["error"] for row in report["accounts"] if not row["ok"]}
        raise SystemExit(f"sync --all failed: {errors}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--days", type=int, default=30, help="days of history per account")
    parser.add_argument("--per-day", type=int, default=40, help="about this many entries on an active day")
    parser.add_argument("--latency", type=float, default=50.0, metavar="MS", help="delay of every answer")
    parser.add_argument("--jobs", type=int, nargs="+", default=[32, 1], help="the --jobs to compare")
    parser.add_argument("--rounds", type=int, default=1, help="timed runs of each")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.accounts, args.days, args.per_day, args.latency)
        return
    env = {**os.environ}
    env.pop("LEDGERPORT_PLUGINS", None)
    for index in range(args.accounts):
        env.update(_credentials(index))
    until = SINCE.fromordinal(SINCE.toordinal() + args.days)
    with tempfile.TemporaryDirectory() as tmp, sandboxes(args.accounts, args.days, args.per_day, args.latency) as urls:
        config, out = Path(tmp) / "firm.toml", Path(tmp) / "out"
        out.mkdir()
        write_config(config, urls, out)

        def command(jobs: int) -> list[str]:
            return [
                sys.executable, "-m", "ledgerport", "sync", "--all", "--config", str(config),
                "--since", SINCE.isoformat(), "--until", until.isoformat(),
                "--no-state", "--fresh", "--jobs", str(jobs), "--json",
            ]  # fmt: skip

        run(command(max(args.jobs)), env)  # untimed: every sandbox generates its days
        measured: dict[int, list[tuple[float, float, int, dict[str, object]]]] = {jobs: [] for jobs in args.jobs}
        for number in range(args.rounds):
            for jobs in args.jobs:
                measured[jobs].append(run(command(jobs), env))
            print(
                f"round {number + 1}/{args.rounds}: "
                + ", ".join(f"--jobs {jobs} {runs[-1][0]:.1f} s" for jobs, runs in measured.items()),
                flush=True,
            )
    slowest = median([timed[0] for timed in measured[min(args.jobs)]])
    rows = []
    for jobs, runs in measured.items():
        seconds = median([timed[0] for timed in runs])
        report = runs[-1][3]
        accounts = report["accounts"]
        assert isinstance(accounts, list)
        requests = sum(int(row["requests"]) for row in accounts)
        waits = sum(int(row["rate_limit_waits"]) for row in accounts)
        entries = int(str(report["entries"]))
        rows.append(
            [
                f"--jobs {jobs}",
                f"{seconds:.1f}",
                f"{median([timed[1] for timed in runs]):.1f}",
                f"{entries:,}",
                f"{entries / seconds:,.0f}",
                f"{requests:,}",
                waits,
                f"{max(timed[2] for timed in runs) / 1024:.1f}",
                f"{slowest / seconds:.1f}x",
            ]
        )
    print(
        f"\nMany accounts: {args.accounts} KuCoin accounts x {args.days} days, each with its own key and budget, "
        f"{args.latency:g} ms latency, median of {args.rounds}; {machine()}\n"
    )
    print(
        table(
            [
                "run",
                "wall s",
                "client CPU s",
                "entries",
                "entries/s",
                "requests",
                "429s",
                "peak RSS MB",
                f"speed-up on --jobs {min(args.jobs)}",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
