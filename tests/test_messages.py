"""What a user is told: a typo in a plugin name is an error, a readable file of credentials a warning."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from sample import RECORDS, TOKEN, record
from test_engine import run

from ledgerport import ConfigError
from ledgerport.engine import plugins


@pytest.mark.parametrize(
    ("config", "options", "named"),
    [
        ('[connectors.kukoin]\ncurrency = "BTC"\n', [], r"\[connectors.kukoin\]"),
        ("[sinks.cvs]\nx = 1\n", [], r"\[sinks.cvs\]"),
        ("", ["kukoin.currency=BTC"], r"--set kukoin.currency=\.\.\."),
    ],
)
def test_a_table_or_set_for_no_installed_plugin_is_an_error_not_an_unfiltered_sync(
    registry: plugins.Registry, exchange: str, tmp_path: Path, config: str, options: list[str], named: str
) -> None:
    (tmp_path / "c.toml").write_text(config)
    with pytest.raises(
        ConfigError, match=rf"^{named}: no installed connector or sink has that name \(connectors: testexchange"
    ):
        run(registry, exchange, tmp_path / "out.csv", config=tmp_path / "c.toml", options=options)
    assert not (tmp_path / "out.csv").exists()  # refused before any output is opened


def test_a_config_file_others_can_read_with_a_credential_in_it_is_warned_about_once(
    registry: plugins.Registry, exchange: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[connectors.testexchange]\ntoken = "{TOKEN}"\n')
    config.chmod(0o644)
    with caplog.at_level(logging.WARNING):
        run(registry, exchange, tmp_path / "a.csv", config=config, env={})
        run(registry, exchange, tmp_path / "b.csv", config=config, env={})
    assert caplog.text.count(f"the config file {config} holds credentials (token) but others may read it") == 1
    assert TOKEN not in caplog.text
    private = tmp_path / "private.toml"
    private.write_text(config.read_text())
    private.chmod(0o600)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        run(registry, exchange, tmp_path / "c.csv", config=private, env={})
    assert "others may read it" not in caplog.text


def test_a_file_that_is_not_a_database_is_named(tmp_path: Path) -> None:
    from ledgerport_sql import SqlSink

    from ledgerport import StateError

    (tmp_path / "books.db").write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(StateError, match=rf"^sql: {tmp_path}/books.db: file is not a database"):
        SqlSink(f"sqlite:///{tmp_path}/books.db", None, None)  # type: ignore[arg-type]


def test_a_killed_run_never_writes_a_quarantine_line_twice(
    registry: plugins.Registry, serve: Callable[..., str], tmp_path: Path
) -> None:
    """The quarantine is fsynced with the window; a run killed before the state recorded that window
    reads it again, and finds its bad records already there."""
    url = serve([*RECORDS, record("bad1", "2024-01-02T05:00:00", "oops")])
    quarantine = tmp_path / "q.jsonl"
    options = {"on_bad_record": "skip", "quarantine": quarantine}
    run(registry, url, tmp_path / "a.csv", **options)
    run(registry, url, tmp_path / "b.csv", **options)  # as the re-run of a killed one: the same window again
    assert len(quarantine.read_text().splitlines()) == 1


@pytest.mark.parametrize("kind", ["config", "prices", "opening"])
def test_a_file_that_is_not_text_is_named(kind: str, tmp_path: Path) -> None:
    from ledgerport import PriceBook
    from ledgerport.books import read_opening_lots
    from ledgerport.engine.config import load_config

    path = tmp_path / f"{kind}.bin"
    path.write_bytes(b"date,asset\n\xff\xfe\x00broken")
    read = {
        "config": lambda: load_config(path),
        "prices": lambda: PriceBook().load(path),
        "opening": lambda: read_opening_lots(path, "USD"),
    }[kind]
    with pytest.raises(ConfigError, match=rf"{path} is not UTF-8 text \(byte \d+\)"):
        read()
