"""The CLI through click's runner: a thin layer, so these check wiring, output and exit statuses."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sample import TOKEN
from test_engine import EXPECTED_CSV

from ledgerport import __version__
from ledgerport.cli import cli

Invoke = Callable[..., Result]


@pytest.fixture
def invoke(plugin_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.setenv("TESTEXCHANGE_TOKEN", TOKEN)

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args))

    return run


def sync_args(url: str, out: Path, *extra: str) -> list[str]:
    return [
        "sync",
        "testexchange",
        "--base-url",
        url,
        "--since",
        "2024-01-01",
        "--until",
        "2024-01-04T00:00:00Z",
        "--sink",
        f"csv:{out}",
        *extra,
    ]


def test_sync_writes_the_csv_and_reports(invoke: Invoke, exchange: str, tmp_path: Path) -> None:
    result = invoke(*sync_args(exchange, tmp_path / "out.csv"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out.csv").read_text() == EXPECTED_CSV
    assert result.stderr.endswith("6 new entries from testexchange in 3 windows\n")


def test_sync_json_summary_and_two_sinks(invoke: Invoke, exchange: str, tmp_path: Path) -> None:
    result = invoke(*sync_args(exchange, tmp_path / "a.csv", "--sink", f"csv:{tmp_path / 'b.csv'}", "--json"))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["entries"] == 6 and summary["windows"] == 3
    assert summary["written"] == {f"csv:{tmp_path / 'a.csv'}": 6, f"csv:{tmp_path / 'b.csv'}": 6}
    assert summary["since"] == "2024-01-01T00:00:00+00:00"
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text() == EXPECTED_CSV


def test_csv_to_standard_output(invoke: Invoke, exchange: str, tmp_path: Path) -> None:
    result = invoke(*sync_args(exchange, tmp_path / "unused.csv")[:-1], "csv:-")
    assert result.exit_code == 0
    assert result.stdout == EXPECTED_CSV


def test_failure_is_one_line_on_stderr_with_status_1(invoke: Invoke, exchange: str, tmp_path: Path) -> None:
    result = invoke(*sync_args(exchange, tmp_path / "o.csv", "--set", "testexchange.token=not-the-right-token"))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "error: testexchange: the token was refused: bad token '********'"
    assert "Traceback" not in result.stderr and "not-the-right-token" not in result.output


def test_verbose_failure_shows_the_traceback(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("-v", "sync", "nope", "--since", "2024-01-01", "--sink", "csv:x")
    assert result.exit_code == 1
    assert "Traceback" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("error: unknown connector 'nope' (available: testexchange)")


def test_usage_errors_exit_2(invoke: Invoke) -> None:
    assert invoke("sync", "testexchange", "--since", "soon", "--sink", "csv:x").exit_code == 2
    assert invoke("sync", "testexchange", "--since", "2024-01-01").exit_code == 2
    assert invoke("frobnicate").exit_code == 2


def test_version_and_help_with_examples(invoke: Invoke) -> None:
    assert invoke("--version").stdout == f"ledgerport, version {__version__}\n"
    help_text = invoke("sync", "--help").stdout
    assert "Examples:" in help_text and "--since is inclusive and --until exclusive" in help_text


def test_the_progress_display_renders_snapshots(capsys: pytest.CaptureFixture[str]) -> None:
    from rich.console import Console
    from sample import SINCE, UNTIL

    from ledgerport import Progress, Window
    from ledgerport.cli.progress import progress_display

    snapshot = Progress(
        windows_done=1,
        windows_total=3,
        window=Window(SINCE, UNTIL),
        stream="ledger",
        entries=1234,
        requests=5,
        retries=1,
        rate_limit_waits=2,
    )
    console = Console(force_terminal=True, width=100, record=True)
    with progress_display(enabled=True, console=console) as update:
        assert update is not None
        update(snapshot)
    text = console.export_text()
    assert (
        "2024-01-01 ledger" in text
        and "1/3" in text
        and "1,234 entries" in text
        and "2 waits" in text
        and "1 retries" in text
    )
