"""A sandbox asked for a port that is taken says so in one line, without a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from ledgerport import ConfigError, SandboxServer, json_response


def test_a_busy_port_is_a_config_error_naming_it() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=rf"^cannot serve on 127\.0\.0\.1:{port}: .*give another --port"):
            SandboxServer(lambda request: json_response({}), port=port)


@pytest.mark.slow
def test_the_onekonto_sandbox_command_on_a_busy_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "ledgerport_onekonto.sandbox", "--port", str(port), "--events", "10"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"error: cannot serve on 127.0.0.1:{port}: Address already in use; give another --port, or 0 for any free one"
    ]
