"""The engine end to end: the test exchange's connector, over real HTTP to its sandbox on 127.0.0.1."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest

from sample import FAST_RETRY, RECORDS, SINCE, TOKEN, UNTIL, record
from ledgerport import (
    AuthenticationError,
    BadRecordError,
    ConfigError,
    Entry,
    PluginError,
    SourceError,
    SyncContext,
    SyncReport,
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


def run(registry: plugins.Registry, url: str | None, out: Path, **kwargs: object) -> SyncReport:
    options = {
        "since": SINCE, "until": UNTIL, "sinks": [f"csv:{out}"], "base_url": url,
        "env": {"TESTEXCHANGE_TOKEN": TOKEN}, "registry": registry, "retry": FAST_RETRY,
    }
    return sync("testexchange", **{**options, **kwargs})  # type: ignore[arg-type]


def test_every_entry_of_the_range_once_and_nothing_outside_it(
    registry: plugins.Registry, exchange: str, tmp_path: Path
) -> None:
    report = run(registry, exchange, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_text() == EXPECTED_CSV
    assert (report.windows, report.entries, report.retries) == (3, 6, 0)
    # day 1 has 5 rows (r5 sits on its inclusive upper bound) in pages of 3, days 2 and 3 one page each
    assert report.requests == 4


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

    budget = rate_budget(size=2, period=0.05)
    report = run(registry, serve(budget=budget), tmp_path / "out.csv", options=["testexchange.page_size=1"])
    assert (tmp_path / "out.csv").read_text() == EXPECTED_CSV
    assert report.requests == 8 and report.paced >= 3
    assert (budget.refused, report.rate_limit_waits) == (0, 0)


def test_a_source_that_keeps_failing_gives_up_with_a_clear_error(
    registry: plugins.Registry, serve: Callable[..., str], tmp_path: Path
) -> None:
    with pytest.raises(SourceError, match=r"testexchange: gave up after 6 attempts: /ledger: HTTP 502"):
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


def test_a_plan_that_does_not_tile_the_range_is_refused(
    registry: plugins.Registry, exchange: str, tmp_path: Path
) -> None:
    class Gappy:
        @hookimpl(tryfirst=True)
        def plan_windows(self, ctx: SyncContext, since: datetime, until: datetime) -> Sequence[Window]:
            return [Window(since, since + timedelta(days=1)), Window(since + timedelta(days=2), until)]

    registry.add(Gappy(), name="gappy")
    with pytest.raises(PluginError, match="does not continue from 2024-01-02"):
        run(registry, exchange, tmp_path / "out.csv")


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
