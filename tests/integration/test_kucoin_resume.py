"""Issue 6 against a KuCoin-compatible server: incremental re-runs and a killed, rate-limited sync."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from ledgerport_kucoin.sandbox import KucoinSandbox, RateLimit

from ledgerport.cli import cli
from ledgerport.testing import wait_until

PLUGINS = "kucoin,csv"


@pytest.fixture
def sandbox() -> Iterator[tuple[KucoinSandbox, str]]:
    sandbox = KucoinSandbox(seed=5, start=datetime(2024, 1, 1, tzinfo=UTC), days=60, per_day=25)
    with sandbox.serve() as server:
        yield sandbox, server.url


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def ids(path: Path) -> list[str]:
    return [line.split(",")[2] for line in path.read_text().splitlines()[1:]]


def test_january_then_january_to_february_then_again(
    sandbox: tuple[KucoinSandbox, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    box, url = sandbox
    for name, value in {**box.credentials.env(), "LEDGERPORT_PLUGINS": PLUGINS}.items():
        monkeypatch.setenv(name, value)
    out, state = tmp_path / "k.csv", tmp_path / "state.db"

    def sync(until: str) -> dict[str, object]:
        result = CliRunner().invoke(
            cli,
            [
                "sync",
                "kucoin",
                "--base-url",
                url,
                "--since",
                "2024-01-01",
                "--until",
                until,
                "--sink",
                f"csv:{out}",
                "--state",
                str(state),
                "--json",
            ],
        )
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    january = sync("2024-02-01")
    both = sync("2024-03-01")
    again = sync("2024-03-01")
    expected = [row["id"] for row in box.expected(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC))]
    assert ids(out) == expected and len(set(expected)) == len(expected)
    assert january["windows"] == 32 and both["windows"] == 30, "the second run fetches February only"
    assert both["entries"] == len(expected) - january["entries"]
    assert (again["windows"], again["requests"], again["entries"]) == (0, 0, 0)


@pytest.mark.slow
def test_a_rate_limited_sync_killed_with_sigkill_then_rerun_has_every_entry_once(
    sandbox: tuple[KucoinSandbox, str], tmp_path: Path
) -> None:
    box, _ = sandbox
    slow = KucoinSandbox(
        seed=5, start=datetime(2024, 1, 1, tzinfo=UTC), days=60, per_day=25, rate_limit=RateLimit(limit=80, period=0.25)
    )
    env = {
        **os.environ,
        **box.credentials.env(),
        "LEDGERPORT_PLUGINS": PLUGINS,
        "LEDGERPORT_STATE": str(tmp_path / "state.db"),
    }
    out = tmp_path / "k.csv"
    with slow.serve() as server:
        command = [
            sys.executable,
            "-m",
            "ledgerport",
            "sync",
            "kucoin",
            "--base-url",
            server.url,
            "--since",
            "2024-01-01",
            "--until",
            "2024-03-01",
            "--sink",
            f"csv:{out}",
        ]
        for more in (150, 75):  # entries a run writes before it is killed: 6, then 3 days of 25
            before = _lines(out)
            process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_until(
                lambda: process.poll() is not None or _lines(out) >= before + more,  # noqa: B023
                f"the run has written {more} more rows",
            )
            assert process.poll() is None, "the sync finished before it was killed: slow the sandbox down"
            process.send_signal(signal.SIGKILL)
            process.wait()
        rerun = subprocess.run([*command, "--json"], env=env, capture_output=True, text=True, check=False)
        assert rerun.returncode == 0, rerun.stderr
    expected = [row["id"] for row in box.expected(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC))]
    assert ids(out) == expected
    report = json.loads(rerun.stdout)
    assert 0 < report["windows"] < 61, "the re-run resumed instead of starting over"
