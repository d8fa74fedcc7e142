"""Exactly once through SIGKILL: real `ledgerport sync` processes killed at random moments, then run again."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sample import SINCE, TOKEN, record

from ledgerport.testing import wait_until

DAYS = 12
RECORDS = [
    record(
        f"k{day:02d}-{i:03d}",
        (SINCE + timedelta(days=day, minutes=37 * i)).strftime("%Y-%m-%dT%H:%M:%S"),
        f"{day}.{i:03d}",
    )
    for day in range(DAYS)
    for i in range(30)
]


def command(url: str, tmp: Path, *sinks: str) -> list[str]:
    until = (SINCE + timedelta(days=DAYS)).date().isoformat()
    args = [
        sys.executable,
        "-m",
        "ledgerport",
        "sync",
        "testexchange",
        "--base-url",
        url,
        "--since",
        SINCE.date().isoformat(),
        "--until",
        until,
        "--set",
        "testexchange.page_size=4",
    ]
    for sink in sinks:
        args += ["--sink", f"csv:{tmp / sink}"]
    return args


def process_env(installed_plugins: Path, state: Path) -> dict[str, str]:
    """What a `ledgerport sync` process of these tests runs with: the test plugins, the token, a state."""
    return {
        **os.environ,
        "PYTHONPATH": str(installed_plugins),
        "TESTEXCHANGE_TOKEN": TOKEN,
        "LEDGERPORT_PLUGINS": "testexchange,csv",
        "LEDGERPORT_STATE": str(state),
    }


@pytest.mark.slow
def test_killed_syncs_resume_to_every_entry_exactly_once(
    serve: Callable[..., str], installed_plugins: Path, tmp_path: Path
) -> None:
    from ledgerport_testexchange import rate_budget  # type: ignore[import-not-found]

    env = process_env(installed_plugins, tmp_path / "state.db")
    reference = subprocess.run(
        [*command(serve(RECORDS), tmp_path, "reference.csv"), "--no-state"], env=env, capture_output=True, check=True
    )
    assert reference.returncode == 0
    expected = (tmp_path / "reference.csv").read_bytes()
    assert expected.count(b"\n") == 1 + len(RECORDS)

    # a small rate budget makes the sync take a few seconds, so the kills land in the middle of it
    url = serve(RECORDS, budget=rate_budget(size=4, period=0.1))
    rng = random.Random(20240101)
    killed_mid_run = 0
    output = tmp_path / "a.csv"
    for _ in range(5):
        before = output.stat().st_size if output.exists() else 0
        process = subprocess.Popen(
            command(url, tmp_path, "a.csv", "b.csv"), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        # wait until this run has written something, then kill it at a random moment after that
        wait_until(
            lambda: process.poll() is not None or (output.exists() and output.stat().st_size > before),  # noqa: B023
            "the run has written to its output",
        )
        time.sleep(rng.uniform(0.0, 0.3))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed_mid_run += 1
        process.wait()
    assert killed_mid_run >= 4, "the sync finished before it could be killed: make it slower"
    final = subprocess.run(
        command(url, tmp_path, "a.csv", "b.csv"), env=env, capture_output=True, text=True, check=False
    )
    assert final.returncode == 0, final.stderr
    assert (tmp_path / "a.csv").read_bytes() == expected
    assert (tmp_path / "b.csv").read_bytes() == expected
    again = subprocess.run(
        [*command(url, tmp_path, "a.csv", "b.csv"), "--json"], env=env, capture_output=True, text=True, check=True
    )
    assert '"requests": 0' in again.stdout
    assert (tmp_path / "a.csv").read_bytes() == expected


@pytest.mark.slow
def test_sigterm_and_ctrl_c_say_what_was_committed_and_a_rerun_resumes(
    serve: Callable[..., str], installed_plugins: Path, tmp_path: Path
) -> None:
    from ledgerport_testexchange import rate_budget  # type: ignore[import-not-found]

    env = process_env(installed_plugins, tmp_path / "state.db")
    url = serve(RECORDS, budget=rate_budget(size=4, period=0.1))
    output = tmp_path / "a.csv"
    for sent, status, name in ((signal.SIGTERM, 143, "SIGTERM"), (signal.SIGINT, 130, "SIGINT (Ctrl-C)")):
        before = output.read_bytes().count(b"\n") if output.exists() else 0
        process = subprocess.Popen(
            command(url, tmp_path, "a.csv"), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        # a window's rows reach the file just before the state records it: two windows' rows (30 a
        # day) mean at least one window is recorded, which the message must then report
        wait_until(
            lambda: process.poll() is not None or (output.exists() and output.read_bytes().count(b"\n") > before + 61),  # noqa: B023
            "the run has committed two windows",
        )
        if process.poll() is not None:
            _, stderr = process.communicate()
            pytest.fail(f"the sync ended (status {process.returncode}) before it was stopped:\n{stderr}")
        process.send_signal(sent)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == status, stderr
        assert f"interrupted by {name}" in stderr
        assert "recorded in the state: run the same command again to resume from there" in stderr
        assert "Traceback" not in stderr
    final = subprocess.run(command(url, tmp_path, "a.csv"), env=env, capture_output=True, text=True, check=False)
    assert final.returncode == 0, final.stderr
    ids = [line.split(",")[2] for line in output.read_text().splitlines()[1:]]
    assert ids == [r["id"] for r in RECORDS], "every entry exactly once after two interrupted runs"
