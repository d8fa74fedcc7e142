"""Benchmark plumbing: the KuCoin sandbox in a process of its own (so it never shares the client's
interpreter), the commands that are measured, a stopwatch, and tables to paste into docs/performance.md."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
SINCE = date(2024, 1, 1)
PRICES = {"BTC": "42123.45", "ETH": "2300.5", "USDT": "0.9997", "1INCH": "0.4567", "KCS": "10.12", "XRP": "0.61"}
UNLIMITED = 10**12
"""A weight budget no benchmark exhausts: the throughput runs measure the client, not pacing."""


@dataclass(frozen=True)
class Sandbox:
    """A running `python -m ledgerport_kucoin.sandbox`: its URL and the days it serves from SINCE."""

    url: str
    days: int

    @property
    def until(self) -> date:
        return SINCE + timedelta(days=self.days)

    def sync(self, *sinks: str, options: Sequence[str] = ()) -> list[str]:
        """`ledgerport sync kucoin` over the whole sandbox as a user runs it; `--no-state` so every run does it all,
        and `--fresh` so it may replace the files of the run before."""
        command = [
            sys.executable,
            "-m",
            "ledgerport",
            "-q",
            "sync",
            "kucoin",
            "--base-url",
            self.url,
            "--since",
            SINCE.isoformat(),
            "--until",
            self.until.isoformat(),
            "--no-state",
            "--fresh",
            *options,
        ]
        for sink in sinks:
            command += ["--sink", sink]
        return command

    def floor(self) -> list[str]:
        """The floor client (bench/_floor.py) over the same days; it prints how many entries it fetched."""
        return [sys.executable, str(BENCH / "_floor.py"), self.url, SINCE.isoformat(), str(self.days)]


def _active(days: int) -> int:
    from ledgerport_kucoin.sandbox.ledger import QUIET_WEEKDAYS

    return sum(1 for day in range(days) if day % 7 not in QUIET_WEEKDAYS)


def per_day(entries: int, days: int) -> int:
    """The sandbox's `--per-day` that gives about `entries` over `days` (its quiet days have none)."""
    return -(-entries // _active(days))


def days_for(entries: int, per_day: int) -> int:
    """How many days of `per_day` entries on active days hold about `entries`."""
    days = 1
    while _active(days) * per_day < entries:
        days += 1
    return days


@contextlib.contextmanager
def kucoin_sandbox(days: int, per_day: int, limit: int = UNLIMITED, period: float = 30.0) -> Iterator[Sandbox]:
    """The sandbox on a free port of 127.0.0.1 with `limit` weight per `period` seconds; stopped on exit."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ledgerport_kucoin.sandbox",
            "--port",
            "0",
            "--start",
            SINCE.isoformat(),
            "--days",
            str(days),
            "--per-day",
            str(per_day),
            "--limit",
            str(limit),
            "--period",
            str(period),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = None
        for line in process.stdout:
            found = re.search(r"(http://127\.0\.0\.1:\d+)", line)
            if found:
                url = found.group(1)
                break
        if url is None:
            raise RuntimeError("the sandbox did not start")
        yield Sandbox(url=url, days=days)
    finally:
        process.terminate()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


def environment() -> dict[str, str]:
    """The sandbox's credentials, and every installed plugin loaded, as by default."""
    from ledgerport_kucoin.sandbox.gateway import Credentials

    env = {**os.environ, **Credentials().env()}
    env.pop("LEDGERPORT_PLUGINS", None)
    return env


def run(command: Sequence[str], env: dict[str, str]) -> tuple[float, str]:
    """Wall seconds of the whole command (interpreter start-up included) and its stdout; fails if it does."""
    started = time.perf_counter()
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return time.perf_counter() - started, done.stdout


def peak_rss(command: Sequence[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak resident set (ru_maxrss, KiB on Linux) of the command's process alone."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command)
    return time.perf_counter() - started, usage.ru_maxrss


def summary(command: Sequence[str], env: dict[str, str]) -> tuple[float, dict[str, Any]]:
    """Runs a command that prints a JSON object (a sync with `--json`, the floor): wall seconds and the object."""
    seconds, out = run(command, env)
    return seconds, json.loads(out[out.index("{") :])


def rounds(commands: dict[str, list[str]], env: dict[str, str], out: Path, count: int) -> dict[str, list[float]]:
    """Wall seconds of each command, `count` rounds of all of them in turn (so a ratio compares runs of
    one moment), `out` emptied before each; prints each round as it ends."""
    seconds: dict[str, list[float]] = {name: [] for name in commands}
    for number in range(count):
        for name, command in commands.items():
            shutil.rmtree(out)
            out.mkdir()
            seconds[name].append(run(command, env)[0])
        print(f"round {number + 1}/{count}: " + ", ".join(f"{n} {s[-1]:.2f} s" for n, s in seconds.items()), flush=True)
    return seconds


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def every_sink(directory: Path) -> list[str]:
    """One of each installed sink, all in `directory`."""
    return [
        f"csv:{directory / 'all.csv'}",
        f"beancount:{directory / 'all.beancount'}",
        f"ledger:{directory / 'all.journal'}",
        f"iif:{directory / 'all.iif'}",
        f"qbo:{directory / 'all.qbo.csv'}",
        f"postings:{directory / 'all.postings.csv'}",
        f"koinly:{directory / 'all.koinly.csv'}",
        f"sql:sqlite:///{(directory / 'all.db').resolve()}",
    ]


def prices_file(path: Path, days: int) -> Path:
    """A `--prices` file for the sandbox's assets over its days, for the sinks that value in money."""
    from ledgerport import write_daily_prices

    return write_daily_prices(path, PRICES, SINCE, days)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table, to paste into docs/performance.md as printed."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    """The machine a figure belongs to: cores, CPU model, Python."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        found = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
        if found:
            model = found.group(1).strip()
    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()} ({sys.platform})"
