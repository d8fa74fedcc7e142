"""The state in PostgreSQL (`--state postgresql://...`): the same protocol as the state file, shared by
workers on several machines, each output claimed with a row lock; against the real server the
tests start (`ledgerport_sql.testing`)."""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner
from ledgerport_sql.testing import create_database, require_postgres
from sample import RECORDS, SINCE, TOKEN, UNTIL, record
from test_concurrency import DEADLINE_SECONDS, _ids, overlapping_accounts
from test_crash_resume import RECORDS as MANY
from test_crash_resume import command, process_env
from test_engine import EXPECTED_CSV, run

import ledgerport
from ledgerport import BadRecordError, ConfigError, StateError, SyncRequest, Window
from ledgerport.cli import cli
from ledgerport.cli.dryrun import dry_run_of
from ledgerport.engine import plugins
from ledgerport.engine.state import Committed, OutputKey, StateStore, Unsettled

DAY = timedelta(days=1)
KEY = OutputKey("s", "a", "csv:/x")
HOLDER = f"ledgerport process {os.getpid()} on {socket.gethostname()}, since "
_names = itertools.count()


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    with contextlib.ExitStack() as stack:
        yield require_postgres(stack)


@pytest.fixture
def database(postgres: str) -> str:
    """The URL of a new, empty database: a state of its own for each test."""
    return create_database(postgres, f"state_{next(_names)}")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new state of either kind, so a test shows both backends answer alike."""
    if request.param == "sqlite":
        return str(tmp_path / "state.db")
    return str(request.getfixturevalue("database"))


def w(a: float, b: float) -> Window:
    return Window(SINCE + a * DAY, SINCE + b * DAY)


def test_the_store_keeps_windows_checkpoints_books_lots_and_the_unsettled_stretch(state: str) -> None:
    identity = {"source": "s", "account": "a", "base_url": "http://x"}
    with StateStore(state) as store:
        assert (store.checkpoint(KEY), store.covered(KEY), store.outputs()) == (None, [], [])
        store.claim([KEY])
        store.register(KEY, identity)
        far = SINCE + 100 * DAY
        store.commit(w(0, 1), [Committed(KEY, {"offset": 10}, [("e0", SINCE)], books={"BTC": "1"})], settled=far)
        store.commit(w(1, 2), [Committed(KEY, {"offset": 20}, [], lots={"version": 1})], settled=far)
        late = [("e1", SINCE + DAY * 5.5), ("e2", SINCE + DAY * 5.9)]
        store.commit(w(5, 6), [Committed(KEY, {"offset": 30}, late)], settled=SINCE + DAY * 5.8)
        assert store.covered(KEY) == [w(0, 2), w(5, 6)]
        assert (store.checkpoint(KEY), store.books(KEY), store.lots(KEY)) == (
            {"offset": 30},
            {"BTC": "1"},
            {"version": 1},
        )
        assert store.unsettled(KEY) == Unsettled(SINCE + DAY * 5.8, SINCE + DAY * 6, frozenset({"e2"}))
        store.save_books(KEY, {"BTC": "2"})
        [record_] = store.outputs()
        assert (record_.key, record_.identity, record_.windows, record_.entries) == (KEY, identity, 3, 3)
        assert record_.covered == [w(0, 2), w(5, 6)] and record_.last_run is not None
        store.check_identity(KEY, identity)
        with pytest.raises(ConfigError, match=r"base_url was http://x, now http://y"):
            store.check_identity(KEY, {**identity, "base_url": "http://y"})
    with StateStore(state) as store:  # what a later run reads
        assert (store.books(KEY), store.covered(KEY)) == ({"BTC": "2"}, [w(0, 2), w(5, 6)])
        store.claim([KEY])
        store.forget([KEY])
        assert (store.checkpoint(KEY), store.covered(KEY), store.outputs()) == (None, [], [])


def test_a_copy_of_the_state_is_a_state_file_holding_the_same(state: str, tmp_path: Path) -> None:
    """What a dry run commits into instead of the state, whichever kind that is."""
    with StateStore(state) as store:
        store.register(KEY, {"source": "s"})
        store.commit(w(0, 1), [Committed(KEY, {"offset": 10}, [("e1", SINCE + DAY * 0.9)])], settled=SINCE + DAY * 0.5)
        store.copy_to(tmp_path / "copy.db")
        held = store.outputs()
    with StateStore(tmp_path / "copy.db") as copy:
        assert copy.outputs() == held and copy.checkpoint(KEY) == {"offset": 10}
        assert copy.unsettled(KEY) == Unsettled(SINCE + DAY * 0.5, SINCE + DAY, frozenset({"e1"}))
        other = OutputKey("s", "b", "csv:/x")
        copy.register(other, {})  # the copy numbers new outputs after the ones it holds
        assert [r.key for r in copy.outputs()] == [KEY, other]


def test_a_window_is_committed_for_every_output_or_for_none(state: str) -> None:
    other = OutputKey("s", "a", "csv:/unregistered")
    with StateStore(state) as store:
        store.register(KEY, {})
        with pytest.raises(StateError, match=r"csv:/unregistered .*: not registered in the state"):
            store.commit(w(0, 1), [Committed(KEY, {"offset": 1}, []), Committed(other, {}, [])], settled=SINCE)
        assert (store.checkpoint(KEY), store.covered(KEY)) == (None, [])


@pytest.mark.postgres
def test_a_second_claim_of_an_output_fails_at_once_naming_the_holder(database: str) -> None:
    with StateStore(database) as first, StateStore(database) as second:
        first.claim([KEY, OutputKey("s", "b", "csv:/x")])
        with pytest.raises(ConfigError) as refused:
            second.claim([OutputKey("s", "c", "csv:/x"), KEY])
        assert str(refused.value).startswith(f"csv:/x (from s, account a) is being synced by {HOLDER}")
        assert str(refused.value).endswith(" UTC; wait for it to finish")
        second.claim([OutputKey("s", "d", "csv:/x")])  # a claim refused leaves the others usable and held
        with StateStore(database) as third, pytest.raises(ConfigError, match="account c"):
            third.claim([OutputKey("s", "c", "csv:/x")])
    with StateStore(database) as later:
        later.claim([KEY])  # closing released every claim


@pytest.mark.postgres
def test_a_run_that_lost_its_claims_commits_nothing_more(database: str) -> None:
    import psycopg

    with StateStore(database) as store:
        store.claim([KEY])
        store.register(KEY, {})
        store.commit(w(0, 1), [Committed(KEY, {"offset": 1}, [])], settled=SINCE)
        with psycopg.connect(database, autocommit=True) as admin:  # the server ends the claiming session
            admin.execute("SELECT pg_terminate_backend(backend) FROM ledgerport_state.claimants")
        with pytest.raises(StateError, match=r"lost the connection to the state database .* run the same command"):
            store.commit(w(1, 2), [Committed(KEY, {"offset": 2}, [])], settled=SINCE)
        assert store.covered(KEY) == [w(0, 1)]


@pytest.mark.postgres
def test_workers_starting_at_once_on_a_new_database_set_it_up_once(database: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def open_and_register(n: int) -> None:
        with StateStore(database) as store:
            store.register(OutputKey("s", f"a{n}", "csv:/x"), {})

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(open_and_register, range(4)))
    with StateStore(database) as store:
        assert [r.key.account for r in store.outputs()] == ["a0", "a1", "a2", "a3"]


@pytest.mark.postgres
def test_a_state_of_a_newer_ledgerport_is_refused(database: str) -> None:
    import psycopg

    StateStore(database).close()
    with psycopg.connect(database, autocommit=True) as admin:
        admin.execute("UPDATE ledgerport_state.state_version SET version = 4")
    with pytest.raises(StateError, match=r"the state database .* was written by a newer ledgerport \(version 4\)"):
        StateStore(database)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://alice:hunter2-secret@127.0.0.1:1/books",
        "postgresql://alice@127.0.0.1:1/books?password=hunter2-secret",
    ],
)
def test_a_password_in_the_url_is_refused_without_printing_it(url: str) -> None:
    with pytest.raises(StateError) as refused:
        StateStore(url)
    assert "hunter2" not in str(refused.value)
    # the user name is masked too, as every URL's user information in an error
    assert str(refused.value).startswith(
        "the state URL postgresql://********@127.0.0.1:1/books must not hold a password"
    )
    assert "PGPASSWORD or ~/.pgpass" in str(refused.value)
    result = CliRunner().invoke(cli, ["state", "list", "--state", url])
    assert result.exit_code == 1 and "must not hold a password" in result.stderr and "hunter2" not in result.output


def test_an_unreachable_database_is_a_state_error_without_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGPASSWORD", "hunter2-secret")
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(
        StateError, match=rf"cannot use the state database postgresql://\S+@127.0.0.1:{port}/books: "
    ) as refused:
        StateStore(f"postgresql://alice@127.0.0.1:{port}/books")
    assert "hunter2" not in str(refused.value)


def test_without_psycopg_a_postgresql_state_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(StateError, match=r"needs psycopg: pip install 'ledgerport\[postgresql\]'"):
        StateStore("postgresql://alice@127.0.0.1:1/books")


@pytest.mark.postgres
def test_a_sync_with_a_postgresql_state_writes_what_one_with_a_state_file_writes(
    registry: plugins.Registry, exchange: str, database: str, tmp_path: Path
) -> None:
    by_file, by_database = tmp_path / "file.csv", tmp_path / "database.csv"
    for out, state in ((by_file, tmp_path / "state.db"), (by_database, database)):
        first = run(registry, exchange, out, state=state, until=UNTIL - DAY)
        assert (first.windows, first.entries) == (2, 5)
        second = run(registry, exchange, out, state=state)
        assert (second.windows, second.entries) == (1, 1)
        assert run(registry, exchange, out, state=state).windows == 0
    assert by_database.read_bytes() == by_file.read_bytes() == EXPECTED_CSV.encode()


@pytest.mark.postgres
def test_a_failed_run_resumes_from_a_postgresql_state(
    registry: plugins.Registry, serve: Callable[..., str], database: str, tmp_path: Path
) -> None:
    out = tmp_path / "out.csv"
    records = [*RECORDS, record("bad1", "2024-01-02T05:00:00", "12,5")]
    url = serve(records)
    with pytest.raises(BadRecordError):
        run(registry, url, out, state=database)
    records.pop()  # the source mends the record
    assert run(registry, url, out, state=database).windows == 2
    assert out.read_text() == EXPECTED_CSV


@pytest.mark.postgres
def test_a_dry_run_on_a_postgresql_state_fetches_what_the_real_run_would_and_changes_nothing(
    registry: plugins.Registry, exchange: str, database: str, tmp_path: Path
) -> None:
    out = tmp_path / "out.csv"
    run(registry, exchange, out, state=database, until=UNTIL - DAY)
    before = out.read_bytes()
    request = SyncRequest(source="testexchange", since=SINCE, until=UNTIL, sinks=[f"csv:{out}"], state=database)
    with contextlib.ExitStack() as stack:
        dry_registry, dry_request = dry_run_of(stack, registry, request)
        report = ledgerport.sync(
            attrs.evolve(dry_request, base_url=exchange), registry=dry_registry, env={"TESTEXCHANGE_TOKEN": TOKEN}
        )
    assert (report.windows, report.entries) == (1, 1), "only the day the state does not hold yet"
    assert out.read_bytes() == before
    assert run(registry, exchange, out, state=database).windows == 1, "the dry run recorded nothing"


@pytest.mark.postgres
def test_state_list_show_and_forget_read_a_postgresql_state(
    registry: plugins.Registry, exchange: str, database: str, tmp_path: Path
) -> None:
    out = tmp_path / "o.csv"
    runner = CliRunner()
    assert "the state database " in runner.invoke(cli, ["state", "list", "--state", database]).stdout
    run(registry, exchange, out, state=database)
    listed = runner.invoke(cli, ["state", "list"], env={"LEDGERPORT_STATE": database})
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.startswith(
        f"csv:{out}\n  from testexchange, account default: 2024-01-01 00:00 .. 2024-01-04 00:00 UTC\n"
    )
    assert "6 entries in 3 windows" in listed.stdout
    shown = runner.invoke(cli, ["state", "show", f"csv:{out}", "--state", database])
    assert '"entries": 6' in shown.stdout
    forgot = runner.invoke(cli, ["state", "forget", f"csv:{out}", "--yes", "--state", database])
    assert forgot.exit_code == 0 and "forgot csv:" in forgot.stderr
    assert "holds no output yet" in runner.invoke(cli, ["state", "list", "--state", database]).stdout


@pytest.mark.slow
@pytest.mark.postgres
def test_syncs_on_one_postgresql_state_run_side_by_side_and_never_sync_one_output_twice(
    serve: Callable[..., str], installed_plugins: Path, database: str, tmp_path: Path
) -> None:
    """As two workers would: two accounts at once both finish; a third run of an output under way is
    refused naming the first."""
    from ledgerport_testexchange import rate_budget  # type: ignore[import-not-found]

    env = {**process_env(installed_plugins, tmp_path / "unused.db"), "LEDGERPORT_STATE": database}
    url = serve(MANY, budget=rate_budget(size=6, period=0.1))
    runs = overlapping_accounts(url, env, tmp_path)
    again = subprocess.run(
        [*command(url, tmp_path, "alice.csv"), "--account", "alice"],
        env=env,
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
        check=False,
    )
    assert again.returncode == 1
    assert f"is being synced by ledgerport process {runs['alice'].pid} on {socket.gethostname()}, since " in (
        again.stderr
    )
    for name, process in runs.items():
        _, stderr = process.communicate(timeout=DEADLINE_SECONDS)
        assert process.returncode == 0, stderr
        assert _ids(tmp_path / f"{name}.csv") == [r["id"] for r in MANY], f"{name}: not every entry exactly once"
    assert not (tmp_path / "unused.db").exists()
