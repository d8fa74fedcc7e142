"""The standard tests every connector should pass, run against the connector's own sandbox.

Subclass `ConnectorConformance` in a test module of your plugin (the class name must start with
`Test`) and define a `conformance` fixture that starts your sandbox and returns a
`ConformanceTarget`:

    class TestConformance(ConnectorConformance):
        @pytest.fixture
        def conformance(self):
            with MySandbox().serve() as server:
                yield ConformanceTarget(connector="myexchange", base_url=server.url, ...)

Each test drives the real engine over real HTTP: what they check is what users rely on.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest

from .. import hookimpl
from .._hooks import ConnectorHooks
from ..engine.config import Config, parse_assignments
from ..sdk.connector import SyncContext
from ..engine.sync import _context, sync
from ..errors import AuthenticationError
from ..model.entry import Entry, Kind
from ..engine.plugins import Registry
from ..sdk.retry import RetryPolicy

__all__ = ["ConformanceTarget", "ConnectorConformance"]

_FAST = RetryPolicy(base_delay=0.001, max_delay=0.01)


@attrs.frozen(kw_only=True)
class ConformanceTarget:
    """What the conformance tests need to know about a connector and its running sandbox.

    `expected` is the sandbox's ground truth for `[since, until)`: entry id → the amount as the
    source sent it (text). `wrong_env` holds credentials the sandbox refuses (its values that differ
    from `env` must never show either); `secrets` every value that must never show. `unknown_kind_record` is a raw record of a category the connector does
    not know. `sign`, if given, signs a request with a frozen clock, for the determinism test.
    """

    connector: str
    base_url: str
    env: Mapping[str, str]
    wrong_env: Mapping[str, str]
    secrets: Sequence[str]
    since: datetime
    until: datetime
    expected: Mapping[str, str]
    unknown_kind_record: Mapping[str, Any]
    account: str | None = None
    options: Sequence[str] = ()
    sign: Callable[[httpx.Request], httpx.Request] | None = None


class _Collector:
    """A plugin that keeps every entry handed to the sinks, to look at them as objects."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []

    @hookimpl(wrapper=True)
    def process_entries(self, ctx: SyncContext, entries: list[Entry]) -> Any:
        result = yield
        self.entries += result
        return result


class ConnectorConformance:
    """The conformance tests; see the module docstring for how to run them."""

    def registry(self, target: ConformanceTarget) -> Registry:
        return Registry.load(env={"LEDGERPORT_PLUGINS": f"{target.connector},csv"})

    def run(self, target: ConformanceTarget, out: Path, **overrides: Any) -> Any:
        options: dict[str, Any] = {
            "since": target.since, "until": target.until, "sinks": [f"csv:{out}"], "base_url": target.base_url,
            "account": target.account, "env": target.env, "options": target.options, "retry": _FAST,
            "registry": self.registry(target),
        }
        return sync(target.connector, **{**options, **overrides})

    def test_the_range_is_covered_exactly_once_with_exact_amounts(
        self, conformance: ConformanceTarget, tmp_path: Path
    ) -> None:
        out = tmp_path / "out.csv"
        self.run(conformance, out)
        with out.open(newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
        ids = [row["entry_id"] for row in rows]
        assert len(ids) == len(set(ids)), "an entry was written twice"
        assert set(ids) == set(conformance.expected), "entries are missing, or lie outside the range"
        for row in rows:
            assert Decimal(row["amount"]).copy_abs() == Decimal(conformance.expected[row["entry_id"]]).copy_abs()

    def test_entries_are_exact_and_in_utc(self, conformance: ConformanceTarget, tmp_path: Path) -> None:
        registry = self.registry(conformance)
        collector = _Collector()
        registry.add(collector, name="conformance-collector")
        self.run(conformance, tmp_path / "out.csv", registry=registry)
        assert collector.entries, "the sandbox's range holds no entry: choose one that does"
        for entry in collector.entries:
            assert isinstance(entry.amount, Decimal) and isinstance(entry.fee, Decimal)
            assert entry.timestamp.utcoffset() == timedelta(0)
            assert conformance.since <= entry.timestamp < conformance.until
            assert entry.source == conformance.connector

    def test_a_second_run_with_state_fetches_and_writes_nothing_new(
        self, conformance: ConformanceTarget, tmp_path: Path
    ) -> None:
        out, state = tmp_path / "out.csv", tmp_path / "state.db"
        self.run(conformance, out, state=state)
        written = out.read_bytes()
        again = self.run(conformance, out, state=state)
        assert (again.requests, again.entries) == (0, 0)
        assert out.read_bytes() == written

    def test_windows_tile_any_range(self, conformance: ConformanceTarget) -> None:
        registry = self.registry(conformance)
        connector = registry.connector(conformance.connector)
        odd = conformance.since + timedelta(hours=13, minutes=37, milliseconds=1)
        for since, until in ((conformance.since, conformance.until), (odd, odd + timedelta(days=3, seconds=1))):
            hooks = self._hooks(registry, conformance, since, until)
            windows = hooks.plan_windows(since, until)
            assert windows[0].start == since and windows[-1].end == until
            assert all(a.end == b.start for a, b in zip(windows, windows[1:], strict=False))
            assert all(w.start < w.end for w in windows)
        assert connector.name == conformance.connector

    def test_an_unknown_kind_is_kept_as_other(
        self, conformance: ConformanceTarget, caplog: pytest.LogCaptureFixture
    ) -> None:
        hooks = self._hooks(self.registry(conformance), conformance, conformance.since, conformance.until)
        with caplog.at_level(logging.WARNING):
            entries = hooks.map_record(dict(conformance.unknown_kind_record))
        assert entries, "a record of an unknown kind was dropped"
        assert all(entry.kind is Kind.OTHER for entry in entries)
        assert caplog.records, "an unknown kind should be logged as a warning"

    def test_refused_credentials_fail_clearly_and_no_secret_shows(
        self, conformance: ConformanceTarget, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        out = tmp_path / "out.csv"
        with caplog.at_level(logging.DEBUG), pytest.raises(AuthenticationError) as refused:
            self.run(conformance, out, env=conformance.wrong_env)
        self.run(conformance, out)
        texts = [str(refused.value), repr(refused.value), caplog.text, out.read_text(encoding="utf-8")]
        wrong = [value for name, value in conformance.wrong_env.items() if conformance.env.get(name) != value]
        for secret in (*conformance.secrets, *wrong):
            assert all(secret not in text for text in texts), f"a secret value was shown: {secret[:2]}..."

    def test_the_signer_is_deterministic(self, conformance: ConformanceTarget) -> None:
        if conformance.sign is None:
            pytest.skip("this connector signs nothing (no `sign` given)")
        url = f"{conformance.base_url}/probe?b=2&a=1"

        def headers(target: str) -> dict[str, str]:
            assert conformance.sign is not None
            return dict(conformance.sign(httpx.Request("GET", target)).headers)

        assert headers(url) == headers(url), "the same request, signed twice at the same time, differs"
        assert headers(url) != headers(f"{conformance.base_url}/probe?a=1&b=2"), "the query order is not signed"

    def _hooks(self, registry: Registry, target: ConformanceTarget, since: datetime, until: datetime) -> ConnectorHooks:
        connector = registry.connector(target.connector)
        ctx = _context(
            connector, since=since, until=until, base_url=target.base_url, account=target.account,
            config=Config(), env=target.env, overrides=parse_assignments(target.options),
        )
        return ConnectorHooks(registry.pm, ctx)

