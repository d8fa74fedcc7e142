"""Requests in flight within one account (issue 16): windows and their streams fetched at once, written
and committed one at a time, in order. Over real HTTP to the test exchange, which delays every answer
and counts the requests it answers at once; nothing here measures time."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner
from sample import FAST_RETRY, SINCE, TOKEN, record

from ledgerport import BadRecordError, ConfigError, Progress, SandboxServer, SyncReport, SyncRequest, sync
from ledgerport.cli import cli
from ledgerport.engine import plugins
from ledgerport.engine.state import OutputKey, StateStore

DAYS = 8
UNTIL = SINCE + timedelta(days=DAYS)
LATENCY = 0.02
"""Long enough that the requests of a run that reads ahead overlap on the server, on any machine."""
RECORDS = [
    record(f"d{day}-{i}", (SINCE + timedelta(days=day, hours=3 * i)).strftime("%Y-%m-%dT%H:%M:%S"), f"{day}.{i}")
    for day in range(DAYS)
    for i in range(7)
]
REWARDS = [
    record(str(day), (SINCE + timedelta(days=day, hours=5)).strftime("%Y-%m-%dT%H:%M:%S"), "0.1", asset="KCS")
    for day in range(DAYS)
]


@pytest.fixture
def exchange(plugin_path: Path) -> Iterator[Callable[..., tuple[str, Any]]]:
    """`exchange(records, **sandbox_options)`: the test exchange with `LATENCY` on 127.0.0.1; its URL and
    its count of requests in flight."""
    from ledgerport_testexchange import InFlight, sandbox  # type: ignore[import-not-found]

    with contextlib.ExitStack() as stack:

        def start(records: Sequence[dict[str, object]] = RECORDS, **options: Any) -> tuple[str, Any]:
            counted = InFlight()
            handler = sandbox(records, TOKEN, latency=LATENCY, in_flight=counted, **options)
            return stack.enter_context(SandboxServer(handler)).url, counted

        yield start


def run(registry: plugins.Registry, url: str, out: Path, **fields: Any) -> SyncReport:
    """A sync of the test exchange over `[SINCE, UNTIL)` into the csv file `out`, pages of 2."""
    runtime = {name: fields.pop(name) for name in ("progress",) if name in fields}
    request = SyncRequest(
        source="testexchange",
        since=SINCE,
        until=UNTIL,
        sinks=[f"csv:{out}"],
        base_url=url,
        retry=FAST_RETRY,
        options=["testexchange.page_size=2"],
    )
    return sync(attrs.evolve(request, **fields), registry=registry, env={"TESTEXCHANGE_TOKEN": TOKEN}, **runtime)


def reading_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("ledgerport-read")]


def test_windows_read_ahead_write_the_same_bytes_as_one_request_at_a_time(
    registry: plugins.Registry, exchange: Callable[..., tuple[str, Any]], tmp_path: Path
) -> None:
    url, one_by_one = exchange(rewards=REWARDS)
    alone = run(registry, url, tmp_path / "one.csv", concurrency=1, state=tmp_path / "one.db")
    url, ahead = exchange(rewards=REWARDS)
    seen: list[Progress] = []
    threads: set[threading.Thread] = set()

    def follow(snapshot: Progress) -> None:
        threads.add(threading.current_thread())
        seen.append(snapshot)

    together = run(registry, url, tmp_path / "four.csv", concurrency=4, state=tmp_path / "four.db", progress=follow)
    assert (tmp_path / "four.csv").read_bytes() == (tmp_path / "one.csv").read_bytes()
    assert together.entries == alone.entries == len(RECORDS) + len(REWARDS)
    assert together.streams == alone.streams == ("ledger", "rewards")
    assert together.requests == alone.requests == one_by_one.served == ahead.served
    assert one_by_one.most == 1, "one request at a time"
    assert ahead.most > 1, "several windows and streams in flight at once"
    assert threads == {threading.current_thread()}, "progress is reported from the caller's thread only"
    assert [p.windows_done for p in seen] == sorted(p.windows_done for p in seen)
    assert seen[-1].windows_done == DAYS and not seen[-1].stream
    assert not reading_threads(), "no thread outlives the sync"


def test_an_error_in_a_middle_window_commits_exactly_the_windows_before_it(
    registry: plugins.Registry, exchange: Callable[..., tuple[str, Any]], tmp_path: Path
) -> None:
    out, state = tmp_path / "out.csv", tmp_path / "state.db"
    url, _ = exchange()
    run(registry, url, tmp_path / "reference.csv", concurrency=1)
    reference = (tmp_path / "reference.csv").read_bytes().splitlines(keepends=True)
    bad = record("bad", (SINCE + timedelta(days=3, hours=1)).strftime("%Y-%m-%dT%H:%M:%S"), "1,5")
    url, counted = exchange([*RECORDS, bad])
    with pytest.raises(BadRecordError, match="record 'bad'"):
        run(registry, url, out, state=state, concurrency=4)
    assert counted.most > 1, "windows after the bad one were being read when it failed"
    assert not reading_threads(), "no thread outlives the failed sync"
    assert out.read_bytes() == b"".join(reference[: 1 + 3 * 7]), "the three days before the bad record's"
    with StateStore(state) as store:
        [covered] = store.covered(OutputKey("testexchange", "default", f"csv:{out.resolve()}"))
    assert (covered.start, covered.end) == (SINCE, SINCE + timedelta(days=3))
    rerun = run(registry, url, out, state=state, on_bad_record="skip", quarantine=tmp_path / "q.jsonl")
    assert (rerun.entries, rerun.skipped) == ((DAYS - 3) * 7, 1)
    assert out.read_bytes() == b"".join(reference), "the rerun resumes at the failed window, each entry once"


def test_pacing_holds_back_every_thread_of_a_pool(
    registry: plugins.Registry, exchange: Callable[..., tuple[str, Any]], tmp_path: Path
) -> None:
    from ledgerport_testexchange import rate_budget

    reports = {}
    for concurrency in (1, 4):
        budget = rate_budget(size=3, period=0.2)
        url, counted = exchange(budget=budget)
        reports[concurrency] = (run(registry, url, tmp_path / f"{concurrency}.csv", concurrency=concurrency), budget)
    (alone, alone_budget), (together, together_budget) = reports[1], reports[4]
    assert (tmp_path / "4.csv").read_bytes() == (tmp_path / "1.csv").read_bytes()
    assert together.paced > 0 and counted.most > 1
    assert together_budget.refused <= alone_budget.refused == 0
    assert together.rate_limit_waits <= alone.rate_limit_waits == 0


def test_a_rate_limit_answer_holds_back_the_pools_other_threads(
    registry: plugins.Registry, exchange: Callable[..., tuple[str, Any]], tmp_path: Path
) -> None:
    """A source that says nothing of its budget until it refuses: the threads wait the refusal out
    together, and everything still arrives once."""
    faults = iter(["", "", "429", *[""] * 500])
    url, _ = exchange(faults=faults)
    report = run(registry, url, tmp_path / "out.csv", concurrency=4)
    assert report.rate_limit_waits == 1 and report.entries == len(RECORDS)


def test_concurrency_is_at_least_one(registry: plugins.Registry, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="concurrency must be at least 1, not 0"):
        run(registry, "http://127.0.0.1:9", tmp_path / "out.csv", concurrency=0)


def test_the_command_takes_concurrency(exchange: Callable[..., tuple[str, Any]], tmp_path: Path) -> None:
    url, counted = exchange()
    args = ["sync", "testexchange", "--base-url", url, "--since", "2024-01-01", "--until", UNTIL.date().isoformat()]
    args += ["--no-state", "--set", "testexchange.page_size=2", "--sink", f"csv:{tmp_path / 'out.csv'}"]
    result = CliRunner().invoke(cli, [*args, "--concurrency", "1"], env={"TESTEXCHANGE_TOKEN": TOKEN})
    assert result.exit_code == 0, result.output
    assert counted.most == 1
    refused = CliRunner().invoke(cli, [*args, "--concurrency", "0"], env={"TESTEXCHANGE_TOKEN": TOKEN})
    assert refused.exit_code == 2 and "--concurrency" in refused.stderr
