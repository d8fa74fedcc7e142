"""Through the `ledgerport` command, as a user runs it: the issue's "done when" scenario and the errors a user meets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from ledgerport_onekonto.api import password_digest
from ledgerport_onekonto.sandbox import Faults, TickingClock

from ledgerport.cli import cli

Invoke = Callable[..., Result]


@pytest.fixture
def invoke(kit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, only_plugins: Callable[[str], None]) -> Invoke:
    monkeypatch.chdir(tmp_path)
    only_plugins("onekonto,csv")
    monkeypatch.setenv("LEDGERPORT_STATE", str(tmp_path / "state.db"))
    for name, value in kit.CREDENTIALS.items():
        monkeypatch.setenv(name, value)

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args))

    return run


def sync_args(kit, url: str, *extra: str) -> list[str]:
    return [
        "sync",
        "onekonto",
        "--account",
        kit.ACCOUNT,
        "--base-url",
        url,
        "--since",
        "2024-01-01",
        "--until",
        "2024-01-04",
        "--sink",
        f"csv:{kit.out}",
        *extra,
    ]


def test_done_when_expiring_tokens_a_capped_max_and_503s(kit, invoke: Invoke) -> None:
    """Tokens die within 1.5 s (of a clock that moves 0.1 s a request), `max` is capped at
    100, some pages come back short and a few percent of requests fail with 503 or 424."""
    served = kit.serve(token_lifetime=1.5, clock=TickingClock(0.1), max_cap=100, faults=Faults(error_rate=0.05, seed=2))
    result = invoke(*sync_args(kit, served.url, "--set", "onekonto.max=500"))
    assert result.exit_code == 0, result.output
    rows, truth = kit.rows(), kit.truth()
    assert sorted(r["entry_id"] for r in rows) == sorted(t.transaction_id for t in truth)
    got = kit.exact_sums((r["asset"], kit.parse(r["amount"])) for r in rows)
    expected = kit.exact_sums((t.asset, t.delta) for t in truth)
    assert {a: format(v, "f") for a, v in got.items()} == {a: format(v, "f") for a, v in expected.items()}
    stats = served.sandbox.stats
    assert len(stats.tokens_refused) >= 2 and stats.logins == 1 + len(stats.tokens_refused)
    assert stats.faults.get(503, 0) >= 1 and stats.split_orderings > 0
    assert result.stderr.endswith(f"{len(truth)} new entries from onekonto in 3 windows\n")


def test_a_wrong_password_is_one_clear_line_that_shows_no_secret(
    kit, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONEKONTO_PASSWORD", "hunter2-wrong")
    served = kit.serve()
    result = invoke("-v", *sync_args(kit, served.url))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"error: onekonto: login refused for user '{kit.USER}' at /api/v1/identity/jwt "
        "(HTTP 401: invalid user or password); check ONEKONTO_USER and ONEKONTO_PASSWORD"
    )
    assert "hunter2-wrong" not in result.output and password_digest("hunter2-wrong") not in result.output


def test_a_missing_base_url_is_a_clear_error(kit, invoke: Invoke) -> None:
    result = invoke("sync", "onekonto", "--account", "A1", "--since", "2024-01-01", "--sink", f"csv:{kit.out}")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "error: onekonto has no default base URL: "
        "give --base-url (base_url= from Python) or connectors.onekonto.base_url"
    )


def test_the_config_file_holds_base_url_account_and_credentials(
    kit, invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ONEKONTO_USER")
    monkeypatch.delenv("ONEKONTO_PASSWORD")
    served = kit.serve()
    config = tmp_path / "ledgerport.toml"
    config.write_text(
        f'[connectors.onekonto]\nbase_url = "{served.url}"\naccount = "{kit.ACCOUNT}"\n'
        f'user = "{kit.USER}"\npassword = "{kit.PASSWORD}"\nmax = 40\nwindow_hours = 12\n'
    )
    result = invoke(
        "sync",
        "onekonto",
        "--config",
        str(config),
        "--since",
        "2024-01-02",
        "--until",
        "2024-01-03",
        "--sink",
        f"csv:{kit.out}",
        "--json",
    )
    assert result.exit_code == 0, result.output
    assert '"windows": 2' in result.stdout
    assert len(kit.rows()) == len(kit.truth(kit.SINCE.replace(day=2), kit.SINCE.replace(day=3)))
