"""`[[accounts]]` and `sync --all`: several accounts of the test exchange, each served by a sandbox of its
own on 127.0.0.1 that accepts only that account's token, synced from one config in one process."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sample import FAST_RETRY, RECORDS, SINCE, UNTIL, record

from ledgerport import AccountResult, ConfigError, SandboxServer, SyncRequest, sync_accounts
from ledgerport.cli import cli
from ledgerport.engine.accounts import AccountInterrupted
from ledgerport.engine.config import load_config
from ledgerport.engine.plugins import Registry

TOKENS = {"a": "tok-a-0a1b2c3d4e", "b": "tok-b-5f6a7b8c9d", "c": "tok-c-0e1f2a3b4c"}
DEFAULT_TOKEN = "tok-default-9z8y7x"
"""What a single-account sync reads (`TESTEXCHANGE_TOKEN`): refused by every sandbox here, so an
account that fell back on it would fail."""
EXTRA = {"a": [], "b": [record("b1", "2024-01-02T06:00:00", "7", asset="ETH")], "c": []}
RANGE = ["--since", SINCE.date().isoformat(), "--until", UNTIL.date().isoformat()]


@pytest.fixture
def exchanges(plugin_path: Path, only_plugins: Callable[[str], None]) -> Iterator[dict[str, str]]:
    """One sandbox per account, each accepting only its own token; their URLs by account name."""
    from ledgerport_testexchange import sandbox  # type: ignore[import-not-found]

    only_plugins("testexchange,csv")
    servers = {name: SandboxServer(sandbox([*RECORDS, *EXTRA[name]], token)).start() for name, token in TOKENS.items()}
    yield {name: server.url for name, server in servers.items()}
    for server in servers.values():
        server.stop()


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, token in TOKENS.items():
        monkeypatch.setenv(f"{name.upper()}_TOKEN", token)
    monkeypatch.setenv("TESTEXCHANGE_TOKEN", DEFAULT_TOKEN)


def account(name: str, url: str, out: Path, *lines: str) -> str:
    return "\n".join(
        [
            "[[accounts]]",
            f'name = "{name}"',
            'source = "testexchange"',
            f'base_url = "{url}"',
            f'sinks = ["csv:{out}/{{name}}.csv"]',
            f'env = {{ TESTEXCHANGE_TOKEN = "{name.upper()}_TOKEN" }}',
            *lines,
            "",
        ]
    )


def write_config(path: Path, *tables: str) -> Path:
    path.write_text("\n".join(tables), encoding="utf-8")
    return path


@pytest.fixture
def config(exchanges: dict[str, str], environment: None, tmp_path: Path) -> Path:
    return write_config(tmp_path / "firm.toml", *(account(name, url, tmp_path) for name, url in exchanges.items()))


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def ids(path: Path) -> list[str]:
    return [line.split(",")[2] for line in path.read_text().splitlines()[1:]]


EXPECTED = ["r1", "r2", "r3", "r4", "r5", "r6"]


def test_every_account_into_its_own_outputs_with_its_own_token(config: Path, tmp_path: Path) -> None:
    result = invoke("sync", "--all", "--config", str(config), *RANGE, "--jobs", "2")
    assert result.exit_code == 0, result.output
    assert ids(tmp_path / "a.csv") == ids(tmp_path / "c.csv") == EXPECTED
    assert ids(tmp_path / "b.csv") == ["r1", "r2", "r3", "r4", "r5", "b1", "r6"]
    lines = result.stderr.splitlines()
    assert sorted(lines[:3]) == [
        "a: 6 new entries from testexchange in 3 windows",
        "b: 7 new entries from testexchange in 3 windows",
        "c: 6 new entries from testexchange in 3 windows",
    ]
    assert lines[3].startswith("3 accounts: 3 synced, 0 failed; 19 new entries in ")
    again = invoke("sync", "--all", "--config", str(config), *RANGE, "--jobs", "3")
    assert again.exit_code == 0, again.output
    assert sorted(again.stderr.splitlines()[:3]) == [
        f"{name}: 0 new entries from testexchange in 0 windows" for name in "abc"
    ], "the shared state file knows every account's outputs"


def test_one_refused_key_fails_that_account_and_the_others_go_on(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("B_TOKEN", TOKENS["a"])  # a real key, of another account: b's sandbox refuses it
    result = invoke("sync", "--all", "--config", str(config), *RANGE)
    assert result.exit_code == 1, result.output
    assert ids(tmp_path / "a.csv") == ids(tmp_path / "c.csv") == EXPECTED
    assert not (tmp_path / "b.csv").exists() or ids(tmp_path / "b.csv") == []
    lines = result.stderr.splitlines()
    assert "b: failed: testexchange: the token was refused: bad token '********'" in lines
    assert {"a: 6 new entries from testexchange in 3 windows", "c: 6 new entries from testexchange in 3 windows"} < set(
        lines
    )
    assert any(line.startswith("3 accounts: 2 synced, 1 failed; 12 new entries") for line in lines)
    assert lines[-1] == "run the same command again to resume the failed accounts from what they committed"
    assert all(token not in result.output for token in TOKENS.values())


def test_an_unset_variable_fails_its_account_and_never_falls_back_on_the_default(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both default variables hold b's own token here: a fallback on either would succeed, unseen."""
    monkeypatch.delenv("B_TOKEN")
    monkeypatch.setenv("TESTEXCHANGE_TOKEN", TOKENS["b"])
    monkeypatch.setenv("LEDGERPORT_TESTEXCHANGE_TOKEN", TOKENS["b"])
    result = invoke("sync", "--all", "--config", str(config), *RANGE, "--only", "a,b")
    assert result.exit_code == 1, result.output
    assert (
        "b: failed: accounts[b].env.TESTEXCHANGE_TOKEN: $B_TOKEN is not set (or empty), and this account's token "
        "is read from it alone"
    ) in result.stderr.splitlines()
    assert ids(tmp_path / "a.csv") == EXPECTED and not (tmp_path / "b.csv").exists()


def test_only_syncs_the_accounts_named(config: Path, tmp_path: Path) -> None:
    result = invoke("sync", "--config", str(config), *RANGE, "--only", "c", "--only", "a")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "a.csv").exists() and (tmp_path / "c.csv").exists() and not (tmp_path / "b.csv").exists()
    assert result.stderr.splitlines()[-1].startswith("2 accounts: 2 synced, 0 failed; 12 new entries")


def test_json_reports_each_account_as_sync_json_does(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("C_TOKEN", "tok-wrong-1234567")
    report_file = tmp_path / "report.json"
    result = invoke("sync", "--all", "--config", str(config), *RANGE, "--json", "--json-file", str(report_file))
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report == json.loads(report_file.read_text())
    assert (report["ok"], report["failed"], report["entries"]) == (False, ["c"], 13)
    by_name = {row["name"]: row for row in report["accounts"]}
    assert list(by_name) == ["a", "b", "c"], "in the config's order"
    assert by_name["a"]["ok"] and by_name["a"]["entries"] == 6 and by_name["a"]["streams"] == ["ledger"]
    assert by_name["b"]["written"] == {f"csv:{tmp_path}/b.csv": 7}
    failed = by_name["c"]
    assert (failed["ok"], failed["windows"], failed["entries"], failed["resumable"]) == (False, 0, 0, True)
    assert failed["error"] == "testexchange: the token was refused: bad token '********'"
    lines = result.stderr.splitlines()
    assert lines[0] == "c: failed: testexchange: the token was refused: bad token '********'"
    assert not any(line.startswith(("a:", "b:")) for line in lines), "with --json, only the failures are printed"
    assert "tok-wrong-1234567" not in result.output + report_file.read_text()


def test_settings_apply_to_their_account_only_over_the_connector_table(
    exchanges: dict[str, str], environment: None, tmp_path: Path
) -> None:
    config = write_config(
        tmp_path / "firm.toml",
        "[connectors.testexchange]\npage_size = 1\nasset = '1INCH'\n",
        account("a", exchanges["a"], tmp_path, "settings = { asset = 'BTC' }"),
        account("b", exchanges["b"], tmp_path),
    )
    result = invoke("sync", "--all", "--config", str(config), *RANGE, "--json")
    assert result.exit_code == 0, result.output
    reports = {row["name"]: row for row in json.loads(result.stdout)["accounts"]}
    assert ids(tmp_path / "a.csv") == ["r1", "r2", "r4", "r5", "r6"], "a's own asset filter, over the table's"
    assert ids(tmp_path / "b.csv") == ["r3"], "the connector's table, for b"
    # page_size 1 from the table: the probe, then a page per BTC row each day serves (its bounds inclusive: 4, 1, 2)
    assert reports["a"]["requests"] == 8


def test_log_lines_say_which_account_they_belong_to(config: Path) -> None:
    result = invoke("-v", "sync", "--all", "--config", str(config), *RANGE)
    assert result.exit_code == 0, result.output
    reading = [line for line in result.stderr.splitlines() if "reading ledger" in line]
    assert sorted(reading) == [f"INFO ledgerport.engine.reader: {name}: testexchange: reading ledger" for name in "abc"]


def test_a_dry_run_of_every_account_writes_nothing(config: Path, tmp_path: Path, private_state: Path) -> None:
    result = invoke("sync", "--all", "--config", str(config), *RANGE, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "a: dry run, nothing written: 6 new entries from testexchange in 3 windows would be written" in result.stderr
    assert not list(tmp_path.glob("*.csv")) and not private_state.exists()


SECRET = "tok-3f9a-very-secret"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("sink = 'csv:x'", "accounts[x]: unknown key sink (an account has name, source, sinks,"),
        (f"settings = {{ token = '{SECRET}' }}", "accounts[x].settings.token: a credential does not belong"),
        ("settings = { pages = 2 }", "accounts[x].settings.pages: testexchange has no such setting (asset,"),
        (f"env = {{ TESTEXCHANGE_TOKEN = '{SECRET}' }}", "accounts[x].env.TESTEXCHANGE_TOKEN: expected the name"),
        ("env = { TESTEXCHANGE_TOKN = 'X' }", "accounts[x].env.TESTEXCHANGE_TOKN: testexchange reads no such"),
        ("base_url = 'http://ann:pw-1234567@127.0.0.1:1'", "accounts[x].base_url: holds a user or password"),
    ],
)
def test_a_wrong_account_table_is_refused_naming_the_account_and_the_field(
    plugin_path: Path, tmp_path: Path, table: str, message: str
) -> None:
    lines = ["[[accounts]]", 'name = "x"', 'source = "testexchange"', f'sinks = ["csv:{tmp_path}/{{name}}.csv"]', table]
    config = write_config(tmp_path / "firm.toml", "\n".join(lines))
    result = invoke("sync", "--all", "--config", str(config), *RANGE)
    assert result.exit_code == 1 and message in result.stderr, result.output
    assert SECRET not in result.output and "pw-1234567" not in result.output
    assert not list(tmp_path.glob("*.csv"))


def table(name: str = "x", source: str | None = "testexchange", sinks: str | None = "csv:o.csv") -> str:
    lines = [f"name = {json.dumps(name)}"]
    lines += [f'source = "{source}"'] if source else []
    lines += [f'sinks = ["{sinks}"]'] if sinks else []
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        ([table(), table()], "accounts[x]: the 1st and 2nd [[accounts]] tables have this name"),
        ([table(source=None)], 'accounts[x].source: missing: name the connector, e.g. source = "kucoin"'),
        ([table(source="kukoin")], "accounts[x].source: unknown connector 'kukoin'"),
        ([table(sinks="csv:{nmae}.csv")], "accounts[x].sinks[0]: 'csv:{nmae}.csv': unknown placeholder {nmae}"),
        ([table(sinks="xlsx:o")], "accounts[x].sinks[0]: unknown sink 'xlsx'"),
        ([table(sinks=None)], "accounts[x].sinks: missing"),
        ([table(), table("y")], "accounts[y].sinks: csv:o.csv is also written by accounts[x]: give each account"),
        ([table("../x")], "accounts[0] (the 1st [[accounts]] table) name '../x' is not letters, digits"),
        ([], "the config has no [[accounts]] table"),
    ],
)
def test_config_errors_stop_the_run_before_any_account_starts(
    plugin_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tables: Sequence[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    config = write_config(tmp_path / "firm.toml", *(f"[[accounts]]\n{table}\n" for table in tables))
    result = invoke("sync", "--all", "--config", str(config), *RANGE)
    assert result.exit_code == 1 and message in result.stderr, result.output
    assert not list(tmp_path.glob("*.csv"))


def test_only_names_an_account_of_the_config(config: Path) -> None:
    result = invoke("sync", "--all", "--config", str(config), *RANGE, "--only", "a,zz")
    assert result.exit_code == 1 and "--only zz: no [[accounts]] table has that name (a, b, c)" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sync", "--all", "testexchange"], "give no SOURCE"),
        (["sync", "--all", "--sink", "csv:x.csv", "--account", "main"], "give no --sink, --account"),
        (["sync", "testexchange", "--sink", "csv:x.csv", "--jobs", "2"], "--jobs is for --all"),
        (["sync", "--sink", "csv:x.csv"], "Missing argument 'SOURCE'"),
        (["sync", "--all", "--jobs", "0"], "0 is not in the range x>=1"),
    ],
)
def test_usage_errors_of_all_exit_2(plugin_path: Path, args: list[str], message: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2 and message in result.stderr, result.output


@pytest.mark.parametrize(
    ("quarantine", "message"),
    [
        ("q.jsonl", "quarantine q.jsonl: accounts synced together need one file each: put {name} in it"),
        ("q-{nmae}.jsonl", "quarantine q-{nmae}.jsonl: unknown placeholder {nmae}: only {name} is replaced"),
    ],
)
def test_a_quarantine_is_one_file_per_account(config: Path, tmp_path: Path, quarantine: str, message: str) -> None:
    result = invoke(
        "sync", "--all", "--config", str(config), *RANGE, "--on-bad-record", "skip", "--quarantine", quarantine
    )
    assert result.exit_code == 1 and message in result.stderr, result.output
    assert not list(tmp_path.glob("*.csv"))


def test_a_table_or_set_for_no_installed_plugin_stops_every_account_before_it_starts(
    config: Path, tmp_path: Path
) -> None:
    result = invoke("sync", "--all", "--config", str(config), *RANGE, "--set", "kukoin.currency=BTC")
    assert result.exit_code == 1 and "--set kukoin.currency=...: no installed connector or sink" in result.stderr
    assert result.stderr.count("no installed connector") == 1 and not list(tmp_path.glob("*.csv"))


def test_from_python_every_result_in_the_config_order(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, registry: Registry
) -> None:
    seen: list[str] = []
    common = SyncRequest(source="", sinks=(), since=SINCE, until=UNTIL, config=config, retry=FAST_RETRY)
    env = {f"{name.upper()}_TOKEN": token for name, token in TOKENS.items()}
    results = sync_accounts(common, jobs=1, registry=registry, env=env, done=lambda r: seen.append(r.name))
    assert [r.name for r in results] == seen == ["a", "b", "c"] and all(r.ok for r in results)
    assert [r.request.sinks for r in results] == [(f"csv:{tmp_path}/{name}.csv",) for name in "abc"]
    with pytest.raises(ConfigError, match="needs the config file that lists them"):
        sync_accounts(SyncRequest(source="", sinks=()), registry=registry, env=env)
    assert load_config(config).accounts[0].env == {"TESTEXCHANGE_TOKEN": "A_TOKEN"}


def test_a_stop_ends_every_account_at_its_next_page_and_starts_no_other(
    config: Path, tmp_path: Path, registry: Registry
) -> None:
    """b stops the run from its first page; a, which finished first, keeps its outputs, c never starts."""
    stop = threading.Event()

    def progress(name: str) -> Callable[[object], None] | None:
        return (lambda _: stop.set()) if name == "b" else None

    common = SyncRequest(source="", sinks=(), since=SINCE, until=UNTIL, config=config, retry=FAST_RETRY)
    env = {f"{name.upper()}_TOKEN": token for name, token in TOKENS.items()}
    results = sync_accounts(common, jobs=1, registry=registry, env=env, progress=progress, stop=stop)
    outcome = {r.name: (r.ok, str(r.error) if r.error else None) for r in results}
    assert outcome == {
        "a": (True, None),
        "b": (False, "stopped before it finished: what it committed stays, and the next run resumes from there"),
        "c": (False, "not started: the run was stopped first"),
    }
    assert all(isinstance(r.error, AccountInterrupted) for r in results[1:])
    assert ids(tmp_path / "a.csv") == EXPECTED and not (tmp_path / "c.csv").exists()


def test_an_interrupt_in_the_calling_thread_reports_every_account_then_goes_on(
    config: Path, registry: Registry
) -> None:
    reported: list[AccountResult] = []

    def done(result: AccountResult) -> None:
        reported.append(result)
        if len(reported) == 1:
            raise KeyboardInterrupt

    common = SyncRequest(source="", sinks=(), since=SINCE, until=UNTIL, config=config, retry=FAST_RETRY)
    env = {f"{name.upper()}_TOKEN": token for name, token in TOKENS.items()}
    with pytest.raises(KeyboardInterrupt):
        sync_accounts(common, jobs=1, registry=registry, env=env, done=done)
    assert sorted(r.name for r in reported) == ["a", "b", "c"] and reported[0].ok


def test_a_retry_warning_says_which_account_it_belongs_to(
    exchanges: dict[str, str], environment: None, tmp_path: Path
) -> None:
    """The warning is logged by the thread that fetches the window, not by the account's own."""
    from ledgerport_testexchange import sandbox

    with SandboxServer(sandbox(RECORDS, TOKENS["b"], iter(["", "502", *[""] * 50]))) as flaky:
        config = write_config(
            tmp_path / "firm.toml", account("a", exchanges["a"], tmp_path), account("b", flaky.url, tmp_path)
        )
        result = invoke("sync", "--all", "--config", str(config), *RANGE)
    assert result.exit_code == 0, result.output
    retries = [line for line in result.stderr.splitlines() if "retry 1" in line]
    assert len(retries) == 1 and retries[0].startswith("WARNING ledgerport.engine.fetch: b: testexchange: "), retries
