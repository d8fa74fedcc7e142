"""The onekonto tests' kit: a seeded ledger, its sandbox on 127.0.0.1, and a sync against it.

Test modules get it as the `kit` fixture (they cannot import this file under importlib mode).
"""

from __future__ import annotations

import csv
import decimal
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import attrs
import pytest
from ledgerport_onekonto.sandbox import Ledger, Sandbox, Transaction, generate_ledger

from ledgerport import Registry, RetryPolicy, SandboxServer, SyncReport, SyncRequest, sync


@attrs.frozen
class Served:
    sandbox: Sandbox
    url: str


class Kit:
    SINCE = datetime(2024, 1, 1, tzinfo=UTC)
    UNTIL = datetime(2024, 1, 4, tzinfo=UTC)
    ACCOUNT = "ACC/7 main"  # a slash and a space: the account is a path parameter
    USER = "ada@example.com"
    PASSWORD = "correct horse battery staple"
    CREDENTIALS: ClassVar[dict[str, str]] = {"ONEKONTO_USER": USER, "ONEKONTO_PASSWORD": PASSWORD}
    FAST_RETRY = RetryPolicy(base_delay=0.001, max_delay=0.01)

    def __init__(self, ledger: Ledger, tmp_path: Path) -> None:
        self.ledger = ledger
        self.out = tmp_path / "out.csv"
        self.servers: list[SandboxServer] = []
        self.registry = Registry.load(env={"LEDGERPORT_PLUGINS": "onekonto,csv"})

    def serve(self, ledger: Ledger | None = None, **options: Any) -> Served:
        """A sandbox on 127.0.0.1 over `ledger` (default: the session's); `options` go to `Sandbox`."""
        served = self.ledger if ledger is None else ledger  # an empty ledger is falsy
        sandbox = Sandbox(served, **{"user": self.USER, "password": self.PASSWORD, **options})
        self.servers.append(SandboxServer(sandbox).start())
        return Served(sandbox, self.servers[-1].url)

    def sync(self, url: str | None, env: Mapping[str, str] = CREDENTIALS, **overrides: Any) -> SyncReport:
        """`ledgerport.sync` of the test range into `out`; keyword arguments override the `SyncRequest`."""
        request = SyncRequest(
            source="onekonto",
            since=self.SINCE,
            until=self.UNTIL,
            sinks=[f"csv:{self.out}"],
            base_url=url,
            account=self.ACCOUNT,
            retry=self.FAST_RETRY,
        )
        return sync(attrs.evolve(request, **overrides), registry=self.registry, env=env)

    def rows(self, path: Path | None = None) -> list[dict[str, str]]:
        with (path or self.out).open(newline="", encoding="utf-8") as file:
            return list(csv.DictReader(file))

    def truth(self, since: datetime = SINCE, until: datetime = UNTIL) -> list[Transaction]:
        return self.ledger.between(since, until)

    @staticmethod
    def parse(text: str) -> Decimal:
        return Decimal(text)

    @staticmethod
    def exact_sums(pairs: Iterable[tuple[str, Decimal]]) -> dict[str, Decimal]:
        """Per-asset sums with enough precision that nothing is ever rounded."""
        totals: dict[str, Decimal] = defaultdict(Decimal)
        with decimal.localcontext(prec=200):
            for asset, amount in pairs:
                totals[asset] += amount
        return dict(totals)


@pytest.fixture(scope="session")
def ledger() -> Ledger:
    return generate_ledger(account=Kit.ACCOUNT, seed=4, since=Kit.SINCE, until=Kit.UNTIL, events=1500)


@pytest.fixture
def kit(ledger: Ledger, tmp_path: Path) -> Iterator[Kit]:
    kit = Kit(ledger, tmp_path)
    yield kit
    for server in kit.servers:
        server.stop()
