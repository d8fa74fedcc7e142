"""The kucoin connector's fixtures: its sandbox on 127.0.0.1 and a sync into a CSV file read back as rows."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import ledgerport
from ledgerport_kucoin.sandbox import KucoinSandbox

FAST_RETRY = ledgerport.RetryPolicy(base_delay=0.001, max_delay=0.01)

Rows = list[dict[str, str]]


def _read_rows(path: Path) -> Rows:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def registry() -> ledgerport.Registry:
    return ledgerport.Registry.load(env={"LEDGERPORT_PLUGINS": "kucoin,csv"})


@pytest.fixture
def serve() -> Iterator[Callable[..., tuple[KucoinSandbox, str]]]:
    """Starts a sandbox built from the given keyword arguments; returns it and its URL."""
    servers: list[ledgerport.SandboxServer] = []

    def start(**options: Any) -> tuple[KucoinSandbox, str]:
        sandbox = KucoinSandbox(**options)
        servers.append(sandbox.serve().start())
        return sandbox, servers[-1].url

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def run(registry: ledgerport.Registry, tmp_path: Path) -> Callable[..., tuple[ledgerport.SyncReport, Rows]]:
    """`run(sandbox, url, since, until, **sync_options)`: a sync into CSV, and the rows it wrote."""

    def sync(
        sandbox: KucoinSandbox, url: str, since: datetime, until: datetime, **options: Any
    ) -> tuple[ledgerport.SyncReport, Rows]:
        out = tmp_path / "out.csv"
        arguments: dict[str, Any] = {
            "since": since, "until": until, "sinks": [f"csv:{out}"], "base_url": url,
            "env": sandbox.credentials.env(), "registry": registry, "retry": FAST_RETRY, **options,
        }
        report = ledgerport.sync("kucoin", **arguments)
        return report, _read_rows(out)

    return sync

