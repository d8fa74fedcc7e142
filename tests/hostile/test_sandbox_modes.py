"""The test exchange's connector against its sandbox misbehaving: each way ends in a clear error or a
complete result, never in a partial one reported as success."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sample import SINCE, TOKEN, UNTIL
from test_engine import EXPECTED_CSV, run

from ledgerport import Secret, SourceError, SyncContext, Window, json_response
from ledgerport.cli import cli
from ledgerport.engine import plugins


@pytest.mark.parametrize(
    ("hostile", "error"),
    [
        ("lying-totals", r"the server says it holds 5 rows but served 3 in 1 pages"),
        ("ignores-page", r"page 2 repeats rows of an earlier page \(r1\)"),
        ("says-page-1", r"asked for page 2, the server answered page 1"),
        ("seconds", r"5 entries returned for 2024-01-01T00:00:00\+00:00 .. 2024-01-02T00:00:00\+00:00 lie outside it"),
        ("huge", r"/ledger: the answer is larger than 67,108,864 bytes"),
        ("echo", r"upstream failed; request was .*'x-token': '\*{8}'"),
    ],
)
def test_a_lying_server_stops_the_sync_before_anything_is_written(
    registry: plugins.Registry, serve: Callable[..., str], tmp_path: Path, hostile: str, error: str
) -> None:
    out = tmp_path / "out.csv"
    with pytest.raises(SourceError, match=error) as info:
        run(registry, serve(hostile=hostile), out)
    assert out.read_text() == "", "the first window was refused: nothing of it may be written"
    assert TOKEN not in str(info.value)


def test_the_same_sandbox_honest_gives_the_complete_result(
    registry: plugins.Registry, serve: Callable[..., str], tmp_path: Path
) -> None:
    run(registry, serve(), tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_text() == EXPECTED_CSV


def test_pages_that_never_end_stop_at_the_cap(
    registry: plugins.Registry, serve: Callable[..., str], capped_reader: Callable[..., Any]
) -> None:
    from ledgerport_testexchange import Settings, TestExchange  # type: ignore[import-not-found]

    url = serve(hostile="endless")
    ctx = SyncContext(source="testexchange", title="Test", account="default", base_url=url)
    read, stats = capped_reader(
        TestExchange(Settings(token=Secret(TOKEN)), ctx), ctx, registry, Window(SINCE, UNTIL), 50
    )
    with pytest.raises(SourceError, match=r"still brings new entries after 50 pages \(stream ledger\)"):
        read()
    assert stats.requests == 51  # the /features probe and 50 pages


def test_a_dripping_server_cannot_keep_a_sync_alive_past_the_deadline(
    registry: plugins.Registry, dripping: Callable[..., str], tmp_path: Path
) -> None:
    url = dripping(lambda request: json_response({"rewards": False}))
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"/features: the answer did not arrive within 1s"):
        run(registry, url, tmp_path / "out.csv", timeout=0.25)
    assert time.monotonic() - started < 3  # the whole answer would take over 4 s


def test_the_page_cap_and_the_answer_cap_are_settings_of_the_command_line(
    plugin_path: Path, serve: Callable[..., str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TESTEXCHANGE_TOKEN", TOKEN)
    sync = ["sync", "testexchange", "--since", "2024-01-01", "--until", "2024-01-04", "--no-state"]
    endless = CliRunner().invoke(
        cli, [*sync, "--base-url", serve(hostile="endless"), "--sink", f"csv:{tmp_path / 'a.csv'}", "--max-pages", "5"]
    )
    assert endless.exit_code == 1
    assert "still brings new entries after 5 pages (stream ledger)" in endless.stderr
    huge = CliRunner().invoke(
        cli, [*sync, "--base-url", serve(hostile="huge"), "--sink", f"csv:{tmp_path / 'b.csv'}", "--max-answer-mb", "1"]
    )
    assert huge.exit_code == 1
    assert "the answer is larger than 1,048,576 bytes" in huge.stderr
