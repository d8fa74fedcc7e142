"""The CLI through click's runner: a thin layer, so these check wiring, output and exit statuses."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sample import RECORDS, TOKEN, record
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


def test_verbose_failure_shows_the_traceback(invoke: Invoke, exchange: str, tmp_path: Path) -> None:
    result = invoke("-v", *sync_args(exchange, tmp_path / "o.csv", "--set", "testexchange.token=wrong-token-123"))
    assert result.exit_code == 1
    assert "Traceback" in result.stderr and "wrong-token-123" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("error: testexchange: the token was refused")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sync", "nope", "--sink", "csv:x"], "unknown connector 'nope' (available: testexchange)"),
        (["sync", "testexchange", "--sink", "xlsx:x"], "unknown sink 'xlsx' (available: csv)"),
        (["sync", "testexchange", "--sink", "out.csv"], "expected NAME:TARGET"),
        (["sync", "testexchange", "--since", "2024-02-01", "--until", "2024-01-01", "--sink", "csv:x"], "is empty"),
        (["sync", "testexchange", "--since", "2999-01-01", "--sink", "csv:x"], "is not before now"),
        (["sync", "testexchange", "--config", "missing.toml", "--sink", "csv:x"], "'missing.toml' does not exist"),
        (["sync", "testexchange", "--since", "soon", "--sink", "csv:x"], "soon"),
        (["sync", "testexchange", "--since", "2024-01-01"], "Missing option '--sink'"),
        (["frobnicate"], "No such command"),
    ],
)
def test_usage_errors_exit_2(invoke: Invoke, args: list[str], message: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr


def test_a_config_file_named_by_the_environment_must_exist(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGERPORT_CONFIG", str(tmp_path / "gone.toml"))
    result = invoke("sync", "testexchange", "--sink", "csv:x")
    assert result.exit_code == 2 and "gone.toml" in result.stderr


def test_quiet_prints_nothing_but_errors(invoke: Invoke, exchange: str, tmp_path: Path) -> None:
    result = invoke("-q", *sync_args(exchange, tmp_path / "o.csv"))
    assert result.exit_code == 0 and result.output == ""
    result = invoke("-q", *sync_args(exchange, tmp_path / "p.csv", "--set", "testexchange.token=wrong-token-123"))
    assert result.exit_code == 1 and result.stderr.startswith("error: testexchange: the token was refused")


def test_very_verbose_shows_our_lines_not_the_http_librarys(invoke: Invoke, exchange: str, tmp_path: Path) -> None:
    result = invoke("-vv", *sync_args(exchange, tmp_path / "o.csv"))
    assert result.exit_code == 0
    assert "INFO ledgerport.engine.reader: testexchange: reading ledger" in result.stderr
    assert "httpx" not in result.stderr and "httpcore" not in result.stderr
    assert "httpx" in invoke("-vvv", *sync_args(exchange, tmp_path / "p.csv")).stderr


def test_a_repeated_warning_is_printed_once_with_its_count_at_the_end(
    invoke: Invoke, serve: Callable[..., str], tmp_path: Path
) -> None:
    url = serve(faults=itertools.chain(["502", "502"], itertools.repeat("")))
    result = invoke(*sync_args(url, tmp_path / "o.csv"))
    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    retries = [line for line in lines if line.startswith("WARNING ledgerport.engine.fetch: testexchange: /features")]
    assert len(retries) == 2 and "retry 1 in" in retries[0]
    assert retries[1].endswith("[2 like this in all, only the first shown]")
    assert lines.index(retries[1]) == len(lines) - 2  # after the sync, before its summary


def failing_on_day_three(serve: Callable[..., str]) -> str:
    return serve([*RECORDS, record("bad", "2024-01-03T10:00:00", "a lot")])


def test_a_failure_says_what_was_written_and_that_a_rerun_resumes(
    invoke: Invoke, serve: Callable[..., str], tmp_path: Path
) -> None:
    result = invoke(*sync_args(failing_on_day_three(serve), tmp_path / "o.csv"))
    assert result.exit_code == 1
    error, advice = result.stderr.splitlines()[-2:]
    assert error.startswith("error: testexchange: record 'bad': field 'amount'")
    assert advice == (
        "2 of 3 windows, up to 2024-01-03 00:00 UTC, with 5 entries, were written before the failure "
        "and recorded in the state: run the same command again to resume from there"
    )
    no_state = invoke(*sync_args(failing_on_day_three(serve), tmp_path / "n.csv", "--no-state"))
    assert no_state.stderr.splitlines()[-1].endswith("; without state (--no-state) a new run starts over")


def test_json_reports_a_failure_too(invoke: Invoke, serve: Callable[..., str], tmp_path: Path) -> None:
    result = invoke(*sync_args(failing_on_day_three(serve), tmp_path / "o.csv", "--json"))
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["error"].startswith("testexchange: record 'bad'")
    assert (report["windows"], report["windows_planned"], report["entries"]) == (2, 3, 5)
    assert report["committed_until"] == "2024-01-03T00:00:00+00:00" and report["resumable"] is True
    assert result.stderr.splitlines()[-2].startswith("error: ")


def test_with_csv_on_stdout_the_report_goes_to_stderr_or_its_file(
    invoke: Invoke, exchange: str, tmp_path: Path
) -> None:
    args = [*sync_args(exchange, tmp_path / "unused.csv")[:-1], "csv:-"]
    result = invoke(*args, "--json")
    assert result.exit_code == 0
    assert result.stdout == EXPECTED_CSV
    assert json.loads(result.stderr[result.stderr.index("{\n") :])["entries"] == 6
    result = invoke(*args, "--json-file", str(tmp_path / "report.json"))
    assert result.stdout == EXPECTED_CSV
    assert json.loads((tmp_path / "report.json").read_text())["ok"] is True


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
        and "1 retry" in text
        and "ETA" in text
    )
