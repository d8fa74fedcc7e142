"""A source that repeats ids: the same entry twice is one entry, two different entries under one id are an error."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from sample import RECORDS, record
from test_engine import EXPECTED_CSV, run

from ledgerport import SourceError
from ledgerport.engine import plugins


def test_one_id_with_two_amounts_in_a_window_is_an_error_naming_both(
    registry: plugins.Registry, serve: Callable[..., str], tmp_path: Path
) -> None:
    url = serve([*RECORDS, record("r4", "2024-01-01T12:30:00.250", "-500", kind="withdrawal")])
    out = tmp_path / "out.csv"
    with pytest.raises(
        SourceError,
        match=r"gave entry id 'r4' twice with different content: -0\.5 BTC withdrawal at 2024-01-01T12:30:00\.250000"
        r"\+00:00, then -500 BTC withdrawal at 2024-01-01T12:30:00\.250000\+00:00",
    ):
        run(registry, url, out)
    assert out.read_text() == ""  # the window was refused: nothing of it is written


def test_the_same_entry_repeated_in_a_page_is_written_once(
    registry: plugins.Registry, serve: Callable[..., str], tmp_path: Path
) -> None:
    url = serve([*RECORDS[:2], RECORDS[1], *RECORDS[2:]])
    run(registry, url, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_text() == EXPECTED_CSV


def test_an_id_kept_in_an_earlier_window_is_not_written_again(
    registry: plugins.Registry, serve: Callable[..., str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A source that stamps one entry with the time of every window it is asked for."""
    url = serve([*RECORDS, record("r1", "2024-01-02T06:00:00", "1.5"), record("r1", "2024-01-03T06:00:00", "1.5")])
    with caplog.at_level(logging.WARNING):
        report = run(registry, url, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_text() == EXPECTED_CSV
    assert report.written == {f"csv:{tmp_path / 'out.csv'}": 6}
    assert caplog.text.count("already written from an earlier window of this run") == 2
