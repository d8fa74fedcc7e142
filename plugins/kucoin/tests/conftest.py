"""The kucoin connector's fixtures: its sandbox on 127.0.0.1, a sync into a CSV file read back as rows, and
a state file of each test's own (the workspace's `private_state` fixture)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from ledgerport_kucoin.sandbox import KucoinSandbox

import ledgerport

FAST_RETRY = ledgerport.RetryPolicy(base_delay=0.001, max_delay=0.01)
RUNTIME = ("env", "registry", "progress", "sleep")
"""What `ledgerport.sync` runs with, as opposed to the `SyncRequest` of what it is asked to do."""

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
    """`run(sandbox, url, since, until, **options)`: a sync into CSV, and the rows it wrote.

    Options override the `SyncRequest`'s fields, or give what it runs with (`env`, `registry`,
    `progress`, `sleep`): by default the sandbox's credentials and a registry of kucoin and csv.
    """

    def sync(
        sandbox: KucoinSandbox, url: str, since: datetime | None, until: datetime | None, **options: Any
    ) -> tuple[ledgerport.SyncReport, Rows]:
        out = tmp_path / "out.csv"
        runtime: dict[str, Any] = {"env": sandbox.credentials.env(), "registry": registry}
        runtime.update({name: options.pop(name) for name in RUNTIME if name in options})
        fields: dict[str, Any] = {
            "source": "kucoin",
            "since": since,
            "until": until,
            "sinks": [f"csv:{out}"],
            "base_url": url,
            "retry": FAST_RETRY,
            **options,
        }
        report = ledgerport.sync(ledgerport.SyncRequest(**fields), **runtime)
        return report, _read_rows(out)

    return sync
