"""The engine end to end: the test exchange's connector, over real HTTP to its sandbox on 127.0.0.1."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from sample import FAST_RETRY, RECORDS, SINCE, TOKEN, UNTIL, record

from ledgerport import (
    AuthenticationError,
    BadRecordError,
    ConfigError,
    Connector,
    Entry,
    PluginError,
    Session,
    SourceError,
    Stream,
    SyncContext,
    SyncReport,
    SyncRequest,
    Window,
    hookimpl,
    sync,
)
from ledgerport.engine import plugins

EXPECTED_CSV = """\
source,account,entry_id,timestamp,asset,amount,fee,balance,kind,sub_account,group_id,description
testexchange,default,r1,2024-01-01T00:00:00.000Z,BTC,1.5,0,,deposit,,,"first, on since"
testexchange,default,r2,2024-01-01T08:00:00.000Z,BTC,-0.00000001,0.00000001,,fee,,,
testexchange,default,r3,2024-01-01T08:00:00.000Z,1INCH,250.000000000000000001,0,,reward,,,
testexchange,default,r4,2024-01-01T12:30:00.250Z,BTC,-0.5,0,,withdrawal,,,"says ""hi"", twice"
testexchange,default,r5,2024-01-02T00:00:00.000Z,BTC,2,0,,trade,,,
testexchange,default,r6,2024-01-03T23:59:59.999Z,BTC,0.1,0,,interest,,,
"""


RUNTIME = ("env", "progress", "sleep")


def run(registry: plugins.Registry, url: str | None, out: Path, **kwargs: Any) -> SyncReport:
    """A sync of the test exchange over `[SINCE, UNTIL)` into `out`; keyword arguments override the
    request's fields, or give what it runs with (`env`, `progress`, `sleep`)."""
    runtime = {"env": {"TESTEXCHANGE_TOKEN": TOKEN}, **{k: kwargs.pop(k) for k in RUNTIME if k in kwargs}}
    request = SyncRequest(
        source="testexchange", since=SINCE, until=UNTIL, sinks=[f"csv:{out}"], base_url=url, retry=FAST_RETRY
    )
    return sync(attrs.evolve(request, **kwargs), registry=registry, **runtime)


def test_every_entry_of_the_range_once_and_nothing_outside_it(
    registry: plugins.Registry, exchange: str, tmp_path: Path
) -> None:
    report = run(registry, exchange, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_text() == EXPECTED_CSV
    assert (report.windows, report.entries, report.retries) == (3, 6, 0)
    # the /features probe; day 1 has 5 rows (r5 sits on its inclusive upper bound) in pages of 3, days 2
    # and 3 one page each
    assert report.requests == 5 and report.streams == ("ledger",)


def test_page_boundaries_and_repeated_pages_do_not_duplicate(
    registry: plugins.Registry, serve: Callable[..., str], tmp_path: Path
) -> None:
    same_ms = [record(f"s{i}", "2024-01-02T10:00:00", f"0.{i}") for i in range(7)]
    url = serve([*RECORDS, *same_ms])
    run(registry, url, tmp_path / "out.csv", options=["testexchange.page_size=2"])
    rows = (tmp_path / "out.csv").read_text().splitlines()[1:]
    ids = [row.split(",")[2] for row in rows]
    assert ids == ["r1", "r2", "r3", "r4", "r5", *(f"s{i}" for i in range(7)), "r6"]


def test_5xx_pages_and_rate_limits_are_retried(
    registry: plugins.Registry, serve: Callable[..., str], tmp_path: Path
) -> None:
    faults = itertools.chain(["502", "429", "502", "", "429"], itertools.cycle(["", "", "502"]))
    report = run(registry, serve(faults=faults), tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_text() == EXPECTED_CSV
    assert report.rate_limit_waits == 2
    assert report.retries >= 3


def test_the_reported_rate_budget_paces_requests_instead_of_collecting_429s(
    registry: plugins.Registry, serve: Callable[..., str], tmp_path: Path
) -> None:
    from ledgerport_testexchange import rate_budget  # type: ignore[import-not-found]

    budget = rate_budget(size=2, period=0.25)  # long enough to need pacing on a slow machine
    report = run(registry, serve(budget=budget), tmp_path / "out.csv", options=["testexchange.page_size=1"])
    assert (tmp_path / "out.csv").read_text() == EXPECTED_CSV
    assert report.requests == 9 and report.paced >= 3  # the /features probe, then 8 pages of 1
    assert (budget.refused, report.rate_limit_waits) == (0, 0)


def test_a_source_that_keeps_failing_gives_up_with_a_clear_error(
    registry: plugins.Registry, serve: Callable[..., str], tmp_path: Path
) -> None:
    with pytest.raises(SourceError, match=r"testexchange: gave up after 6 attempts: /features: HTTP 502"):
        run(registry, serve(faults=itertools.repeat("502")), tmp_path / "out.csv")


def test_a_wrong_token_stops_the_sync_without_showing_it(
    registry: plugins.Registry, exchange: str, tmp_path: Path
) -> None:
    with pytest.raises(AuthenticationError, match="token was refused") as info:
        run(registry, exchange, tmp_path / "out.csv", env={"TESTEXCHANGE_TOKEN": "wrong-token-value"})
    assert "wrong-token-value" not in str(info.value)


def test_a_bad_record_names_itself_and_what_was_committed_stays(
    registry: plugins.Registry, serve: Callable[..., str], tmp_path: Path
) -> None:
    url = serve([*RECORDS, record("bad1", "2024-01-02T05:00:00", "12,5")])
    out = tmp_path / "out.csv"
    with pytest.raises(BadRecordError, match=r"testexchange: record 'bad1': field 'amount': not a number: '12,5'"):
        run(registry, url, out)
    assert out.read_text() == "".join(EXPECTED_CSV.splitlines(keepends=True)[:5])


def test_process_entries_wrappers_enrich_and_filter_any_connector(
    registry: plugins.Registry, exchange: str, tmp_path: Path
) -> None:
    class Reviewer:
        @hookimpl(wrapper=True)
        def process_entries(self, ctx: SyncContext, entries: list[Entry]) -> object:
            result = yield
            return [
                attrs.evolve(e, description=f"[{ctx.source}] {e.description}".strip())
                for e in result
                if e.asset != "1INCH"
            ]

    registry.add(Reviewer(), name="reviewer")
    run(registry, exchange, tmp_path / "out.csv")
    rows = (tmp_path / "out.csv").read_text().splitlines()
    assert [r.split(",")[2] for r in rows[1:]] == ["r1", "r2", "r4", "r5", "r6"]
    assert rows[1].endswith('"[testexchange] first, on since"')


def _connector_plugin(connector: type[Connector[Any]]) -> object:
    class Plugin:
        @hookimpl
        def register_connectors(self, register: Callable[[type[Connector[Any]]], None]) -> None:
            register(connector)

    return Plugin()


def test_a_plan_that_does_not_tile_the_range_is_refused(
    registry: plugins.Registry, exchange: str, tmp_path: Path
) -> None:
    class Gappy(registry.connector("testexchange")):  # type: ignore[misc]
        name = "gappy"

        def plan_windows(self, since: datetime, until: datetime) -> Sequence[Window]:
            return [Window(since, since + timedelta(days=1)), Window(since + timedelta(days=2), until)]

    registry.add(_connector_plugin(Gappy), name="gappy")
    with pytest.raises(PluginError, match=r"gappy: plan_windows returned .* does not continue from 2024-01-02"):
        run(registry, exchange, tmp_path / "out.csv", source="gappy")


def test_streams_that_share_ids_are_refused(
    registry: plugins.Registry, serve: Callable[..., str], tmp_path: Path
) -> None:
    """The rewards stream prefixes its ids; one that forgot to would collide with the main ledger's."""
    base = registry.connector("testexchange")

    class Careless(base):  # type: ignore[misc,valid-type]
        name = "careless"

        def streams(self, session: Session) -> list[Stream]:
            streams = super().streams(session)
            streams[1].entry_id = lambda record: str(record.get("id"))
            return streams

    registry.add(_connector_plugin(Careless), name="careless")
    url = serve(rewards=[record("r2", "2024-01-01T09:00:00", "1", asset="KCS")])
    with pytest.raises(PluginError, match="entry id 'r2' comes from both stream ledger and stream rewards"):
        run(registry, url, tmp_path / "out.csv", source="careless")


def test_an_optional_stream_is_read_only_where_the_account_has_it(
    registry: plugins.Registry, serve: Callable[..., str], tmp_path: Path
) -> None:
    plain = run(registry, serve(), tmp_path / "plain.csv")
    assert plain.streams == ("ledger",) and plain.requests == 5  # the /features probe, then the 4 pages
    rewards = [
        record("1", "2024-01-01T08:00:00", "0.5", asset="KCS", kind="reward"),
        record("2", "2024-01-03T10:00:00", "0.25", asset="KCS", kind="reward"),
    ]
    both = run(registry, serve(rewards=rewards), tmp_path / "both.csv")
    assert both.streams == ("ledger", "rewards") and both.entries == 8
    rows = (tmp_path / "both.csv").read_text().splitlines()[1:]
    # merged into one list per window, by time then id: the reward at 08:00 sorts after r2 and r3 by id
    assert [row.split(",")[2] for row in rows] == ["r1", "r2", "r3", "rw-1", "r4", "r5", "rw-2", "r6"]


def test_each_rate_pool_paces_against_its_own_budget(
    registry: plugins.Registry, serve: Callable[..., str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from ledgerport_testexchange import rate_budget  # type: ignore[import-not-found]

    budgets = {"/ledger": rate_budget(size=1, period=0.25), "/rewards": rate_budget(size=100, period=60)}
    rewards = [record("1", "2024-01-02T08:00:00", "0.5", asset="KCS")]
    with caplog.at_level(logging.INFO, logger="ledgerport"):
        report = run(registry, serve(rewards=rewards, budget=budgets), tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_text().count("\n") == 8
    assert report.rate_limit_waits == 0 and budgets["/ledger"].refused == 0
    paced = [r.getMessage() for r in caplog.records if "rate budget" in r.getMessage()]
    assert paced and all("pool ledger" in message for message in paced), paced


def test_a_plain_process_entries_implementation_is_refused(registry: plugins.Registry) -> None:
    class Shadowing:
        @hookimpl
        def process_entries(self, ctx: SyncContext, entries: list[Entry]) -> list[Entry]:
            return []

    registry.add(Shadowing(), name="shadowing")
    assert registry.pm.get_plugin("shadowing") is None
    assert [f.error for f in registry.failures if f.plugin == "shadowing"] == [
        "PluginError: process_entries must be a wrapper: @hookimpl(wrapper=True), with `result = yield`"
    ]


def test_settings_and_range_errors_are_clear(registry: plugins.Registry, exchange: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="TESTEXCHANGE_TOKEN"):
        run(registry, exchange, tmp_path / "o.csv", env={})
    with pytest.raises(ConfigError, match="the range is empty"):
        run(registry, exchange, tmp_path / "o.csv", until=SINCE)
    with pytest.raises(ConfigError, match="no default base URL"):
        run(registry, None, tmp_path / "o.csv")
    with pytest.raises(ConfigError, match="expected NAME:TARGET"):
        run(registry, exchange, tmp_path / "o.csv", sinks=["csv"])
    with pytest.raises(PluginError, match="unknown sink 'nope'"):
        run(registry, exchange, tmp_path / "o.csv", sinks=["nope:x"])


def test_config_file_supplies_base_url_account_and_settings(
    registry: plugins.Registry, exchange: str, tmp_path: Path
) -> None:
    config = tmp_path / "ledgerport.toml"
    config.write_text(f'[connectors.testexchange]\nbase_url = "{exchange}"\naccount = "acc-9"\ntoken = "{TOKEN}"\n')
    run(registry, None, tmp_path / "out.csv", config=config, env={})
    rows = (tmp_path / "out.csv").read_text().splitlines()
    assert rows[1].startswith("testexchange,acc-9,r1,")


def test_since_and_until_must_be_aware(registry: plugins.Registry, exchange: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="timezone-aware"):
        run(registry, exchange, tmp_path / "o.csv", since=datetime(2024, 1, 1))
    assert run(registry, exchange, tmp_path / "o.csv", until=datetime(2024, 1, 1, 1, tzinfo=UTC)).entries == 1
