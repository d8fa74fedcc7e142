"""`-vv` shows ledgerport's own debug lines (each request, each window's streams, the pacing), `-v` does not,
and none of them carries a credential."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from ledgerport_kucoin.sandbox import KucoinSandbox

from ledgerport.cli import cli
from ledgerport.engine import plugins

SINCE = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[KucoinSandbox, str]]:
    monkeypatch.delenv(plugins.PLUGINS_ENV, raising=False)
    monkeypatch.setattr(plugins, "_default", [])
    sandbox = KucoinSandbox(seed=3, start=SINCE, days=2, per_day=20, account="multi")
    for name, value in sandbox.credentials.env().items():
        monkeypatch.setenv(name, value)
    with sandbox.serve() as server:
        yield sandbox, server.url


def _sync(url: str, out: Path, *flags: str) -> Result:
    args = [*flags, "sync", "kucoin", "--base-url", url, "--since", "2024-01-01", "--until", "2024-01-03T00:00:00Z"]
    result = CliRunner().invoke(cli, [*args, "--sink", f"csv:{out}"])
    assert result.exit_code == 0, result.output
    return result


def test_very_verbose_shows_each_request_window_and_pacing_decision(
    sandbox: tuple[KucoinSandbox, str], tmp_path: Path
) -> None:
    kucoin, url = sandbox
    stderr = _sync(url, tmp_path / "o.csv", "-vv").stderr
    lines = stderr.splitlines()
    requests = [line for line in lines if line.startswith("DEBUG ledgerport.engine.fetch: kucoin: request ")]
    sent = [line for line in requests if " GET " in line]
    assert len(sent) == kucoin.stats.requests > 4, stderr
    assert any("/api/v1/accounts/ledgers?" in line and "startAt=" in line and "(pool " in line for line in sent)
    assert any(" HTTP 200, " in line for line in requests)
    windows = [line for line in lines if line.startswith("DEBUG ledgerport.engine.reader: kucoin: window ")]
    assert any(": stream classic: " in line and " entries in " in line for line in windows), stderr
    assert any(line.endswith(" pages") and " entries from 4 streams" in line for line in windows), stderr
    assert any("of its budget left" in line for line in lines if "ledgerport.engine.fetch" in line), stderr
    secrets = [value for name, value in kucoin.credentials.env().items() if not name.endswith("_VERSION")]
    assert len(secrets) == 3 and not any(secret in stderr for secret in secrets)
    assert "KC-API" not in stderr and "httpx" not in stderr


def test_verbose_leaves_the_debug_lines_out(sandbox: tuple[KucoinSandbox, str], tmp_path: Path) -> None:
    _, url = sandbox
    stderr = _sync(url, tmp_path / "o.csv", "-v").stderr
    assert "INFO ledgerport.engine.reader: kucoin: reading" in stderr
    assert "DEBUG" not in stderr
