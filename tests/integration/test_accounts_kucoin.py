"""`sync --all` against KuCoin-compatible sandboxes, one per account, each accepting only that account's
key, secret and passphrase (the sandbox checks every signature); and a killed `--all` run resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from ledgerport_kucoin.sandbox import Credentials, KucoinSandbox

from ledgerport.cli import cli
from ledgerport.testing import wait_until

START, UNTIL = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 31, tzinfo=UTC)
NAMES = ("acme", "bolt", "cove")
RANGE = ["--since", "2024-01-01", "--until", "2024-01-31"]


def credentials(name: str) -> Credentials:
    return Credentials(key=f"{name}-key-0001", secret=f"{name}-secret-0002", passphrase=f"{name}-pass-0003")


def variables(name: str) -> dict[str, str]:
    """Where the account's credentials are held: `ACME_KEY`, `ACME_SECRET`, `ACME_PASS`."""
    own = credentials(name)
    return {
        f"{name.upper()}_KEY": own.key,
        f"{name.upper()}_SECRET": own.secret,
        f"{name.upper()}_PASS": own.passphrase,
    }


@pytest.fixture
def sandboxes(only_plugins: Callable[[str], None]) -> Iterator[dict[str, tuple[KucoinSandbox, str]]]:
    only_plugins("kucoin,csv")
    boxes = {
        name: KucoinSandbox(seed=index + 3, start=START, days=30, per_day=12, credentials=credentials(name))
        for index, name in enumerate(NAMES)
    }
    servers = {name: box.serve().start() for name, box in boxes.items()}
    yield {name: (boxes[name], servers[name].url) for name in NAMES}
    for server in servers.values():
        server.stop()


def table(name: str, url: str, out: Path, env: str | None = None) -> str:
    upper = name.upper()
    env = env or (
        f'{{ KUCOIN_API_KEY = "{upper}_KEY", KUCOIN_API_SECRET = "{upper}_SECRET", '
        f'KUCOIN_API_PASSPHRASE = "{upper}_PASS" }}'
    )
    return (
        f'[[accounts]]\nname = "{name}"\nsource = "kucoin"\nbase_url = "{url}"\n'
        f'sinks = ["csv:{out}/{{name}}.csv"]\nenv = {env}\n'
    )


@pytest.fixture
def config(sandboxes: dict[str, tuple[KucoinSandbox, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in NAMES:
        for variable, value in variables(name).items():
            monkeypatch.setenv(variable, value)
    # the default variables hold acme's key: an account that fell back on them would be refused
    for variable, value in credentials("acme").env().items():
        monkeypatch.setenv(variable, value)
    path = tmp_path / "firm.toml"
    path.write_text("\n".join(table(name, url, tmp_path) for name, (_, url) in sandboxes.items()), encoding="utf-8")
    return path


def ids(path: Path) -> list[str]:
    return [line.split(",")[2] for line in path.read_text().splitlines()[1:]] if path.exists() else []


def expected(box: KucoinSandbox) -> list[str]:
    return [str(row["id"]) for row in box.expected(START, UNTIL)]


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def test_each_account_signs_with_its_own_key_into_its_own_file(
    sandboxes: dict[str, tuple[KucoinSandbox, str]], config: Path, tmp_path: Path
) -> None:
    result = invoke("sync", "--all", "--config", str(config), *RANGE, "--jobs", "3", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    for name, (box, _) in sandboxes.items():
        assert ids(tmp_path / f"{name}.csv") == expected(box) and expected(box)
        assert box.stats.refused == 0 and box.stats.requests > 0, name
    assert report["entries"] == sum(len(expected(box)) for box, _ in sandboxes.values())
    assert [row["name"] for row in report["accounts"]] == list(NAMES)


def test_a_wrong_secret_fails_that_account_and_the_others_are_synced(
    sandboxes: dict[str, tuple[KucoinSandbox, str]], config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOLT_SECRET", "bolt-secret-wrong-9")
    result = invoke("sync", "--all", "--config", str(config), *RANGE)
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert any(line.startswith("bolt: failed: kucoin: ") and "400005" in line for line in lines), lines
    for name in ("acme", "cove"):
        box = sandboxes[name][0]
        assert f"{name}: {len(expected(box))} new entries from kucoin in 31 windows" in lines
        assert ids(tmp_path / f"{name}.csv") == expected(box)
    assert sandboxes["bolt"][0].stats.refused > 0 and ids(tmp_path / "bolt.csv") == []
    assert any(line.startswith("3 accounts: 2 synced, 1 failed;") for line in lines)
    secrets = [value for name in NAMES for value in variables(name).values()] + ["bolt-secret-wrong-9"]
    assert not any(secret in result.output for secret in secrets)


def test_an_account_renaming_part_of_its_credentials_is_refused(
    sandboxes: dict[str, tuple[KucoinSandbox, str]], tmp_path: Path
) -> None:
    config = tmp_path / "firm.toml"
    config.write_text(table("acme", sandboxes["acme"][1], tmp_path, env='{ KUCOIN_API_KEY = "ACME_KEY" }'))
    result = invoke("sync", "--all", "--config", str(config), *RANGE)
    assert result.exit_code == 1
    assert (
        "accounts[acme].env: renames api_key but not api_passphrase, api_secret: an account's credentials all come "
        "from its own variables, never partly from the defaults (add KUCOIN_API_PASSPHRASE, KUCOIN_API_SECRET)"
    ) in result.stderr


def _held(path: Path) -> int:
    """Entries written so far, to the target or to the new file beside it that becomes the target."""
    pending = path.with_name(f".{path.name}.ledgerport-new")
    return max(len(ids(path)), len(ids(pending)))


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_all_run_resumes_every_account_where_it_stopped(
    sandboxes: dict[str, tuple[KucoinSandbox, str]], config: Path, tmp_path: Path, stop: signal.Signals
) -> None:
    for box, _ in sandboxes.values():
        box.latency = 0.02  # slow enough to be stopped mid-run
    command = [sys.executable, "-m", "ledgerport", "sync", "--all", "--config", str(config), *RANGE, "--jobs", "3"]
    process = subprocess.Popen(command, env=dict(os.environ), stderr=subprocess.PIPE, text=True)
    wait_until(lambda: all(_held(tmp_path / f"{name}.csv") > 0 for name in NAMES), "every account has written")
    process.send_signal(stop)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == (-signal.SIGKILL if stop == signal.SIGKILL else 143), stderr
    if stop == signal.SIGTERM:
        assert "interrupted by SIGTERM: every account keeps what it committed" in stderr
    for box, _ in sandboxes.values():
        box.latency = 0
    result = invoke("sync", "--all", "--config", str(config), *RANGE)
    assert result.exit_code == 0, result.output
    for name, (box, _) in sandboxes.items():
        assert ids(tmp_path / f"{name}.csv") == expected(box), name
