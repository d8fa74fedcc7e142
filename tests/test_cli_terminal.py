"""The CLI on a real terminal: a pseudo-terminal, its screen rebuilt by a terminal emulator (pyte)."""

from __future__ import annotations

import fcntl
import itertools
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from collections.abc import Callable, Iterator
from pathlib import Path

import pyte
import pytest
from sample import TOKEN

COLUMNS, ROWS = 80, 24


def run_in_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Runs `python -m ledgerport ARGS` with a pseudo-terminal as its stdin, stdout and stderr;
    returns its exit status and everything it wrote to the terminal."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "ledgerport", *args], stdin=follower, stdout=follower, stderr=follower, env=env
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: every process holding the terminal has closed it
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return process.wait(timeout=60), b"".join(chunks).decode()


def screens(output: str) -> Iterator[list[str]]:
    """The screen after each piece of output: pieces end before each escape sequence, so every
    state the terminal passed through between two of the program's writes is seen."""
    screen = pyte.Screen(COLUMNS, ROWS)
    stream = pyte.Stream(screen)
    for piece in re.split(r"(?=\x1b)", output):
        stream.feed(piece)
        yield [line.rstrip() for line in screen.display]


@pytest.fixture
def terminal_env(installed_plugins: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR", "CI")}
    return {
        **env,
        "PYTHONPATH": str(installed_plugins),
        "LEDGERPORT_PLUGINS": "testexchange,csv",
        "TESTEXCHANGE_TOKEN": TOKEN,
        "TERM": "xterm-256color",
    }


@pytest.mark.slow
def test_a_warning_mid_sync_is_printed_above_the_intact_bar(
    serve: Callable[..., str], terminal_env: dict[str, str], tmp_path: Path
) -> None:
    # the fifth request (a page of the second day) fails once: a retry warning in the middle of the sync
    url = serve(faults=itertools.chain(["", "", "", "", "502"], itertools.repeat("")))
    status, output = run_in_terminal(
        [
            "sync",
            "testexchange",
            "--base-url",
            url,
            "--since",
            "2024-01-01",
            "--until",
            "2024-01-04",
            "--sink",
            f"csv:{tmp_path / 'out.csv'}",
            "--state",
            str(tmp_path / "state.db"),
        ],
        terminal_env,
    )
    assert status == 0, output
    warning = "WARNING ledgerport.engine.fetch: testexchange: /ledger: HTTP 502"
    seen_together = False
    for rows in screens(output):
        text = [row for row in rows if row]
        assert not any("WARNING" in row and "entries" in row for row in text), "\n".join(text)
        if text and any(row.startswith(warning) for row in text):
            bar = text[-1]  # the bar, whole, on the line below: its squares, windows done and the time left
            seen_together |= "━" in bar and re.search(r" \d/(3|\?) ", bar) is not None and "ETA" in bar
    assert seen_together, output
    final = [row for row in list(screens(output))[-1] if row]
    assert any(row.startswith(warning) for row in final)
    assert final[-1] == "6 new entries from testexchange in 3 windows"
