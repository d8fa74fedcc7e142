"""The commands around sync: init, config show, check, state, --dry-run, config discovery, completion."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sample import TOKEN
from test_cli import sync_args

from ledgerport.cli import cli
from ledgerport.engine.config import load_config

Invoke = Callable[..., Result]


@pytest.fixture
def invoke(plugin_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Invoke:
    monkeypatch.setenv("TESTEXCHANGE_TOKEN", TOKEN)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("LEDGERPORT_CONFIG", raising=False)

    def run(*args: str, **kwargs: object) -> Result:
        return CliRunner().invoke(cli, list(args), **kwargs)  # type: ignore[arg-type]

    return run


def test_init_writes_a_commented_config_for_the_installed_plugins(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("init")
    written = tmp_path / "config" / "ledgerport" / "config.toml"
    assert result.exit_code == 0 and str(written) in result.stderr
    text = written.read_text()
    assert "[connectors.testexchange]  # The tests' made-up exchange." in text
    assert '# token = "..."  # required; or $TESTEXCHANGE_TOKEN, kept secret' in text
    assert "# page_size = 3" in text and "[sinks.csv]" in text and '# home_currency = "USD"' in text
    assert load_config(written).connectors == {"testexchange": {}}  # all commented out, and valid TOML
    assert invoke("init").exit_code == 2  # never over an existing file
    assert invoke("init", "--force").exit_code == 0


def test_the_config_is_found_in_the_xdg_config_home(
    invoke: Invoke, exchange: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TESTEXCHANGE_TOKEN")
    config = tmp_path / "config" / "ledgerport" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[connectors.testexchange]\ntoken = "{TOKEN}"\n')
    assert invoke(*sync_args(exchange, tmp_path / "o.csv")).exit_code == 0
    monkeypatch.setenv("LEDGERPORT_CONFIG", str(tmp_path / "other.toml"))
    (tmp_path / "other.toml").write_text('[connectors.testexchange]\ntoken = "not-this-one"\n')
    assert invoke(*sync_args(exchange, tmp_path / "p.csv")).exit_code == 1  # LEDGERPORT_CONFIG comes first


def test_every_setting_can_come_from_the_environment(
    invoke: Invoke, exchange: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TESTEXCHANGE_TOKEN")
    monkeypatch.setenv("LEDGERPORT_TESTEXCHANGE_TOKEN", TOKEN)
    monkeypatch.setenv("LEDGERPORT_TESTEXCHANGE_ASSET", "1INCH")
    result = invoke(*sync_args(exchange, tmp_path / "o.csv", "--json"))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["entries"] == 1


def test_config_show_says_where_each_value_comes_from_and_masks_secrets(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[connectors.testexchange]\nbase_url = "http://127.0.0.1:9"\npage_size = 7\n')
    monkeypatch.setenv("LEDGERPORT_TESTEXCHANGE_PAGE_SIZE", "2")
    result = invoke("config", "show", "testexchange", "--config", str(config), "--set", "testexchange.asset=BTC")
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines()]
    assert ["base_url", '"http://127.0.0.1:9"', "config", "file"] in rows
    assert ["token", "********", "$TESTEXCHANGE_TOKEN"] in rows
    assert ["page_size", '"2"', "$LEDGERPORT_TESTEXCHANGE_PAGE_SIZE"] in rows
    assert ["asset", '"BTC"', "--set"] in rows
    assert TOKEN not in result.output
    monkeypatch.delenv("TESTEXCHANGE_TOKEN")
    assert ["token", "(not", "set,", "required)", "not", "set"] in [
        line.split() for line in invoke("config", "show", "testexchange").stdout.splitlines()
    ]


def test_check_gives_a_verdict(invoke: Invoke, exchange: str) -> None:
    result = invoke("check", "testexchange", "--base-url", exchange)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"ok: testexchange at {exchange} (account default) accepts the credentials")
    refused = invoke("check", "testexchange", "--base-url", exchange, "--set", "testexchange.token=wrong-token-1")
    assert refused.exit_code == 1
    assert (
        refused.stderr.splitlines()[-1]
        == f"failed: testexchange at {exchange} (account default) refuses the credentials"
    )
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{unused.getsockname()[1]}"
    unreachable = invoke("check", "testexchange", "--base-url", closed)
    assert unreachable.exit_code == 1
    assert "gave up after 1 attempts" in unreachable.stderr and "cannot be read" in unreachable.stderr


def test_state_list_show_and_forget(invoke: Invoke, exchange: str, tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    assert invoke(*sync_args(exchange, out)).exit_code == 0
    listed = invoke("state", "list")
    assert listed.exit_code == 0
    assert listed.stdout.startswith(
        f"csv:{out}\n  from testexchange, account default: 2024-01-01 00:00 .. 2024-01-04 00:00 UTC\n"
    )
    assert "6 entries in 3 windows, last run 20" in listed.stdout
    shown = json.loads(invoke("state", "show", f"csv:{out}").stdout)
    assert shown["entries"] == 6 and shown["identity"]["base_url"] == exchange and len(shown["fingerprint"]) == 64
    assert invoke("state", "show", "csv:elsewhere.csv").exit_code == 2
    forgot = invoke("state", "forget", f"csv:{out}", "--yes")
    assert forgot.exit_code == 0 and "forgot csv:" in forgot.stderr
    assert "holds no output yet" in invoke("state", "list").stdout


def test_state_commands_never_create_a_state_file(invoke: Invoke, private_state: Path) -> None:
    result = invoke("state", "list")
    assert result.exit_code == 2 and "no state file" in result.stderr
    assert not private_state.exists()


def test_a_dry_run_fetches_what_a_sync_would_and_writes_nothing(invoke: Invoke, exchange: str, tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    args = sync_args(exchange, out)
    assert invoke(*[a.replace("2024-01-04T00:00:00Z", "2024-01-02") for a in args]).exit_code == 0
    before, listed = out.read_bytes(), invoke("state", "list").stdout
    result = invoke(*args, "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["dry_run"], report["entries"], report["windows"]) == (True, 2, 2)
    assert out.read_bytes() == before and invoke("state", "list").stdout == listed
    assert invoke(*args, "--dry-run").stderr.endswith(
        "dry run, nothing written: 2 new entries from testexchange in 2 windows would be written\n"
    )


def test_the_shell_completes_connector_and_sink_names(invoke: Invoke) -> None:
    def complete(line: str) -> list[str]:
        words = line.split(" ")
        env = {"_LEDGERPORT_COMPLETE": "bash_complete", "COMP_WORDS": line, "COMP_CWORD": str(len(words) - 1)}
        return CliRunner().invoke(cli, [], prog_name="ledgerport", env=env).stdout.splitlines()

    assert complete("ledgerport sync te") == ["plain,testexchange"]
    assert complete("ledgerport sync testexchange --sink c") == ["plain,csv:"]
    assert complete("ledgerport check ") == ["plain,testexchange"]
