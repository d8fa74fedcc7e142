"""End to end: `ledgerport.sync` and the CLI against the sandbox over HTTP, checked against its ground truth."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ledgerport_kucoin import paging
from ledgerport_kucoin.sandbox import Faults, KucoinSandbox, RateLimit

import ledgerport.engine.plugins
from ledgerport import BadRecordError, ConfigError, SourceError, from_ms
from ledgerport.cli import cli

Serve = Callable[..., tuple[KucoinSandbox, str]]
Run = Callable[..., tuple[ledgerport.SyncReport, list[dict[str, str]]]]

SINCE = datetime(2024, 1, 2, tzinfo=UTC)
UNTIL = datetime(2024, 1, 16, 12, tzinfo=UTC)
QUIET = [datetime(2024, 1, day, tzinfo=UTC) for day in (4, 5, 11, 12)]


def truth(rows: list[dict[str, Any]]) -> list[tuple[str, str, str, str, str]]:
    """What the CSV must hold for the sandbox's raw rows: id, time, signed amount (fee included), fee, and no
    balance: the classic ledger's is deprecated, so it is not carried."""
    return [
        (
            row["id"],
            from_ms(row["createdAt"]).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            ("-" if row["direction"] == "out" else "") + row["amount"],
            row["fee"],
            "",
        )
        for row in rows
    ]


def written(rows: list[dict[str, str]]) -> list[tuple[str, str, str, str, str]]:
    return [(row["entry_id"], row["timestamp"], row["amount"], row["fee"], row["balance"]) for row in rows]


def test_every_entry_of_the_range_once_across_quiet_days_and_edges(serve: Serve, run: Run) -> None:
    sandbox, url = serve(seed=11, days=21)
    report, rows = run(sandbox, url, SINCE, UNTIL)
    expected = sandbox.expected(SINCE, UNTIL)
    assert written(rows) == truth(expected)
    assert len({row["entry_id"] for row in rows}) == len(rows) > 300
    # the edges: an entry sits on `since` (kept), one on `until` (left out), and one just before it
    assert rows[0]["timestamp"] == "2024-01-02T00:00:00.000Z"
    assert rows[-1]["timestamp"] < "2024-01-16T12"
    assert truth(sandbox.expected(UNTIL, UNTIL + timedelta(milliseconds=1)))  # there is one on until
    assert sandbox.expected(SINCE - timedelta(days=1), SINCE)  # and before since
    active = [f"2024-01-{day:02d}" for day in (2, 3, 6, 7, 8, 9, 10, 13, 14, 15, 16)]
    for edge in ("T00:00:00.000Z", "T12:00:00.000Z", "T23:59:59.999Z"):  # window edges, each entry once
        on_edge = [row["timestamp"][:10] for row in rows if row["timestamp"].endswith(edge)]
        assert sorted(set(on_edge)) == (active if edge == "T00:00:00.000Z" else active[:-1])
    # quiet days: nothing there, and entries resume after each 48 h gap
    assert not [row for row in rows if row["timestamp"][:10] in {d.date().isoformat() for d in QUIET}]
    days = {row["timestamp"][:10] for row in rows}
    assert {"2024-01-03", "2024-01-06", "2024-01-10", "2024-01-13"} <= days
    assert report.windows == len(paging.plan(SINCE, UNTIL, now=UNTIL)) == 15 and report.entries == len(rows)
    assert (report.since, report.until, report.streams) == (SINCE, UNTIL, ("classic",))


def test_legs_sharing_a_millisecond_across_page_boundaries_come_once(serve: Serve, run: Run) -> None:
    sandbox, url = serve(seed=12, days=3)
    since, until = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 4, tzinfo=UTC)
    report, rows = run(sandbox, url, since, until, options=["kucoin.page_size=10"])
    assert written(rows) == truth(sandbox.expected(since, until))
    same_ms = Counter(row["timestamp"] for row in rows)
    assert max(same_ms.values()) >= 14  # a burst of legs longer than a page
    assert report.requests >= 2 * report.windows  # windows took several pages
    trades = [row for row in rows if row["kind"] == "trade" and row["group_id"]]
    assert trades and set(Counter(row["group_id"] for row in trades).values()) <= {2, 4, 6, 8, 10, 12, 14}


def test_a_tiny_rate_budget_is_paced_so_the_exchange_refuses_nothing(serve: Serve, run: Run) -> None:
    # the classic ledger's Management pool holds three pages a half second (long enough that a slow
    # machine still needs pacing); the Spot pool's HF probe alone weighs 30
    sandbox, url = serve(seed=13, days=4, rate_limit=RateLimit(limit=6, period=0.5), pool_limits={"spot": RateLimit()})
    since, until = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 5, tzinfo=UTC)
    report, rows = run(sandbox, url, since, until)
    assert written(rows) == truth(sandbox.expected(since, until))
    assert report.paced >= 2 and sandbox.stats.rate_limited == 0 and report.rate_limit_waits == 0


def test_429s_wait_for_the_reset_and_lose_nothing(serve: Serve, run: Run) -> None:
    # each page weighs more than the connector assumes, so its pacing alone cannot avoid 429000
    # a period long enough that the account probes and pages meet a budget not yet refilled by time alone
    sandbox, url = serve(seed=14, days=4, rate_limit=RateLimit(limit=40, period=0.5), weight=15)
    since, until = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 5, tzinfo=UTC)
    report, rows = run(sandbox, url, since, until)
    assert written(rows) == truth(sandbox.expected(since, until))
    assert sandbox.stats.rate_limited >= 2
    assert report.rate_limit_waits == sandbox.stats.rate_limited and report.retries == 0


def test_502_html_pages_and_late_answers_are_retried(serve: Serve, run: Run) -> None:
    faults = Faults(bad_gateway=0.3, delay=0.3, delay_seconds=0.01, seed=3)
    sandbox, url = serve(seed=15, days=9, faults=faults)
    since, until = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 10, tzinfo=UTC)
    report, rows = run(sandbox, url, since, until)
    assert written(rows) == truth(sandbox.expected(since, until))
    assert report.retries == sandbox.stats.bad_gateways >= 2 and sandbox.stats.delayed >= 1


def test_done_when_cli_sync_under_a_small_budget_and_502s_writes_the_range_exactly_once(
    serve: Serve, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, only_plugins: Callable[[str], None]
) -> None:
    sandbox, url = serve(
        seed=2024,
        start=datetime(2023, 12, 31, tzinfo=UTC),
        days=62,
        rate_limit=RateLimit(limit=100, period=0.05),
        faults=Faults(bad_gateway=0.04, seed=9),
    )
    for name, value in sandbox.credentials.env().items():
        monkeypatch.setenv(name, value)
    only_plugins("kucoin,csv")
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(
        cli,
        [
            "sync",
            "kucoin",
            "--base-url",
            url,
            "--since",
            "2024-01-01",
            "--until",
            "2024-03-01",
            "--sink",
            f"csv:{out}",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = out.read_text().splitlines()[1:]
    since, until = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC)
    expected = sandbox.expected(since, until)
    assert [row.split(",")[2] for row in rows] == [row["id"] for row in expected]
    assert sandbox.expected(since - timedelta(days=1), since) and sandbox.expected(until, until + timedelta(days=1))
    assert sandbox.stats.bad_gateways >= 1 and sandbox.stats.rate_limited <= 2
    assert '"paced"' in result.output and '"retries"' in result.output


def test_a_malformed_record_stops_the_sync_naming_its_id_and_field(serve: Serve, run: Run) -> None:
    sandbox, url = serve(seed=16, days=3, faults=Faults(malformed=0.02))
    with pytest.raises(BadRecordError) as info:
        run(sandbox, url, datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 4, tzinfo=UTC))
    assert info.value.record_id in sandbox.ledger.malformed_ids
    assert info.value.field in {"amount", "createdAt", "direction"}
    assert f"kucoin: record {info.value.record_id!r}: field {info.value.field!r}" in str(info.value)


def test_an_unknown_biz_type_is_written_as_other_with_a_warning(
    serve: Serve, run: Run, caplog: pytest.LogCaptureFixture
) -> None:
    odd = {
        "id": "65a0000000000000000000ff",
        "currency": "KCS",
        "amount": "3.5",
        "fee": "0",
        "balance": "3.5",
        "accountType": "MAIN",
        "bizType": "Quantum Yield Farming",
        "direction": "in",
        "createdAt": 1704103200000,
        "context": "",
    }
    sandbox, url = serve(seed=17, days=2, extra_records=[odd])
    with caplog.at_level(logging.WARNING, logger="ledgerport.kucoin"):
        _, rows = run(sandbox, url, datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 3, tzinfo=UTC))
    [row] = [row for row in rows if row["entry_id"] == odd["id"]]
    assert (row["kind"], row["amount"], row["description"]) == ("other", "3.5", "Quantum Yield Farming")
    assert "unknown bizType 'Quantum Yield Farming'" in caplog.text


def test_filters_reach_the_exchange(serve: Serve, run: Run) -> None:
    sandbox, url = serve(seed=18, days=3)
    since, until = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 4, tzinfo=UTC)
    _, rows = run(sandbox, url, since, until, options=["kucoin.currency=1INCH,ETH", "kucoin.direction=in"])
    expected = [
        row
        for row in sandbox.expected(since, until)
        if row["currency"] in ("1INCH", "ETH") and row["direction"] == "in"
    ]
    assert expected and written(rows) == truth(expected)
    # the same output file, written over on purpose: without --fresh an existing file is never replaced
    _, trades = run(sandbox, url, since, until, options=["kucoin.biz_type=TRADE_EXCHANGE"], fresh=True)
    assert trades and {row["kind"] for row in trades} == {"trade"}


def test_an_output_is_not_continued_with_other_filters(serve: Serve, run: Run, tmp_path: Path) -> None:
    sandbox, url = serve(seed=19, days=3)
    state = tmp_path / "state.db"
    since, until = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 3, tzinfo=UTC)
    run(sandbox, url, since, until, options=["kucoin.currency=BTC"], state=state)
    requests = sandbox.stats.requests
    for option in ("kucoin.currency=ETH", "kucoin.direction=in", "kucoin.biz_type=DEPOSIT"):
        with pytest.raises(ConfigError, match="was synced with other settings"):
            run(sandbox, url, since, until + timedelta(days=1), options=["kucoin.currency=BTC", option], state=state)
    assert sandbox.stats.requests == requests  # refused before asking KuCoin anything
    # settings that do not choose entries may change: the output continues where it stopped
    report, rows = run(
        sandbox,
        url,
        None,
        until + timedelta(days=1),
        state=state,
        options=["kucoin.currency=BTC", "kucoin.page_size=10"],
    )
    expected = [row for row in sandbox.expected(since, until + timedelta(days=1)) if row["currency"] == "BTC"]
    assert report.since == until and expected and written(rows) == truth(expected)


def test_an_error_sent_with_http_200_stops_the_sync(serve: Serve, run: Run) -> None:
    sandbox, url = serve(days=2)
    with pytest.raises(SourceError, match="code 400100: bizType 'LOTTERY' is not supported, HTTP 200"):
        run(
            sandbox,
            url,
            datetime(2024, 1, 1, tzinfo=UTC),
            datetime(2024, 1, 2, tzinfo=UTC),
            options=["kucoin.biz_type=LOTTERY"],
        )


def test_done_when_a_changed_currency_filter_or_base_url_is_refused_on_the_command_line_until_fresh(
    serve: Serve, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, only_plugins: Callable[[str], None]
) -> None:
    """Issue 12: `--set kucoin.currency=BTC` then a run without it into the same output exits 1 with one
    clear line; `--fresh` then writes every currency. Another `--base-url` is refused the same way."""
    sandbox, url = serve(seed=21, days=3)
    other_sandbox, other_url = serve(seed=21, days=3)
    for name, value in sandbox.credentials.env().items():
        monkeypatch.setenv(name, value)
    only_plugins("kucoin,csv")
    out = tmp_path / "out.csv"

    def sync(*args: str) -> Any:
        return CliRunner().invoke(
            cli, ["sync", "kucoin", "--since", "2024-01-01", "--until", "2024-01-03", "--sink", f"csv:{out}", *args]
        )

    assert sync("--base-url", url, "--set", "kucoin.currency=BTC").exit_code == 0
    btc_only = out.read_bytes()
    assert {row.split(",")[4] for row in out.read_text().splitlines()[1:]} == {"BTC"}
    unfiltered = sync("--base-url", url)
    assert unfiltered.exit_code == 1
    assert unfiltered.stderr.strip().splitlines() == [
        f"error: csv:{out} (from kucoin, account default) was synced with other settings (currency was BTC, "
        "now (not set)); re-run with the same settings, or with --fresh to write it anew"
    ]
    moved = sync("--base-url", other_url, "--set", "kucoin.currency=BTC")
    assert moved.exit_code == 1
    assert f"(base_url was {url}, now {other_url})" in moved.stderr
    assert out.read_bytes() == btc_only, "a refused run leaves the output alone"
    assert other_sandbox.stats.requests == 0
    fresh = sync("--base-url", url, "--fresh")
    assert fresh.exit_code == 0, fresh.output
    since, until = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 3, tzinfo=UTC)
    ids = [row.split(",")[2] for row in out.read_text().splitlines()[1:]]
    assert ids == [row["id"] for row in sandbox.expected(since, until)]
    assert len({row["currency"] for row in sandbox.expected(since, until)}) > 1
